"""Which grade a customer is served at, given what its purchases say and what was approved.

The actual grade comes from data; a potential grade may be approved above it. Grades of key
accounts (3-4 stars) and VIPs (5) are approved, so data alone may only raise a customer within the
ordinary grades unless the company applies data upgrades at once; and a customer leaving the key or
VIP category keeps its grade for a grace period, so its team can try to retain it.
"""

from dataclasses import dataclass
from datetime import timedelta

from .grading import category

ORDINARY_MAX = 2
CATEGORY_RANK = {"ordinary": 0, "key": 1, "vip": 2}


@dataclass(frozen=True)
class GradeState:
    """What is stored for one customer in one company."""

    actual: int = 0
    effective: int = 0
    potential: int = 0
    downgrade_due: object = None  # a date, or None


@dataclass(frozen=True)
class Decision:
    """What to store and do after a regrade.

    ``request_star``: a grade data supports but that needs approval (open a request for it).
    ``grace_started``: the customer just entered its downgrade grace period (warn its team).
    """

    effective: int
    downgrade_due: object = None
    request_star: int | None = None
    grace_started: bool = False


def supported_grade(actual, potential):
    """The grade data and approvals support together."""
    return max(actual, potential or 0)


def leaves_category(current, target):
    """True when going from ``current`` to ``target`` stars drops out of the key or VIP category."""
    current_rank = CATEGORY_RANK[category(current)]
    return current_rank > 0 and CATEGORY_RANK[category(target)] < current_rank


def decide(state, today, auto_upgrade="request", grace_days=30):
    """The effective grade and follow-ups for ``state`` on ``today``.

    ``auto_upgrade``: ``apply`` lets data raise a customer into any grade; ``request`` raises it
    at once only up to the highest ordinary grade and asks for approval of the rest.
    """
    target = supported_grade(state.actual, state.potential)
    if target > state.effective:
        if target <= ORDINARY_MAX or auto_upgrade == "apply":
            return Decision(effective=target)
        return Decision(effective=max(state.effective, ORDINARY_MAX), request_star=target)
    if target < state.effective and leaves_category(state.effective, target):
        if state.downgrade_due is None:
            return Decision(
                effective=state.effective,
                downgrade_due=today + timedelta(days=grace_days),
                grace_started=True,
            )
        if today < state.downgrade_due:
            return Decision(effective=state.effective, downgrade_due=state.downgrade_due)
    return Decision(effective=target)


def approved(state, requested):
    """``(effective, potential)`` once a request for ``requested`` stars is approved.

    The customer is served at the approved grade at once. A grade above what its purchases give
    becomes its potential grade; one at that level withdraws the potential grade.
    """
    return requested, requested if requested > state.actual else 0


def withdrawn(state):
    """``(effective, potential)`` once the potential grade is withdrawn.

    The customer falls back to its actual grade; if its purchases give more than it is served at,
    that upgrade still goes through approval.
    """
    return min(state.effective, state.actual), 0


def changes_anything(state, requested):
    """Whether approving ``requested`` stars would change how the customer is graded."""
    effective, potential = approved(state, requested)
    return (effective, potential) != (state.effective, state.potential) or state.downgrade_due is not None


def imported(state, stars):
    """``(effective, potential)`` for a grade read from a spreadsheet, or None when nothing changes.

    A customer already served at ``stars`` keeps how it is graded (a potential grade or a
    downgrade grace period included): re-importing a file, or an exported one, changes nothing.
    Otherwise the grade applies as if approved: above what the customer's purchases give, it
    becomes the potential grade; below it, the next regrade raises the customer again (asking
    for approval where the company wants it).
    """
    if stars == state.effective:
        return None
    return approved(state, stars)
