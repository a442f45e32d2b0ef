"""The customer's trade profile: lifecycle stage and founding anniversaries."""

from dataclasses import dataclass
from datetime import date, timedelta

LIFECYCLE_STAGES = ("potential", "intent", "deal", "lost")
DORMANT_DAYS = 365
GREETING_LEAD_DAYS = 7


@dataclass(frozen=True)
class Activity:
    """What one customer has going on in one company."""

    last_order: date | None = None  # latest confirmed order
    open_quotation: bool = False  # a quotation in draft or sent
    open_opportunity: bool = False
    open_lead: bool = False
    lost_lead: bool = False  # a lead or opportunity marked lost
    dormant: bool = False  # flagged dormant elsewhere (customer scoring)


def lifecycle_stage(activity, today, dormant_days=DORMANT_DAYS):
    """The stage ``activity`` puts a customer in on ``today``.

    - deal: a confirmed order within the last ``dormant_days`` (and not flagged dormant);
    - intent: an open opportunity or quotation (a dormant customer being won back too);
    - potential: an open lead, or nothing at all yet;
    - lost: orders, but none for ``dormant_days``; or leads that were all lost.
    """
    recent = activity.last_order is not None and (today - activity.last_order).days < dormant_days
    if recent and not activity.dormant:
        return "deal"
    if activity.open_opportunity or activity.open_quotation:
        return "intent"
    if activity.open_lead:
        return "potential"
    if activity.last_order is not None or activity.lost_lead or activity.dormant:
        return "lost"
    return "potential"


def anniversary(founded, year):
    """The founding anniversary in ``year`` (29 February falls on the 28th in other years)."""
    try:
        return founded.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def next_anniversary(founded, today):
    """The next founding anniversary on or after ``today``; None before the founding itself."""
    if founded is None or founded > today:
        return None
    this_year = anniversary(founded, today.year)
    return this_year if this_year >= today else anniversary(founded, today.year + 1)


def greeting_due(founded, today, lead_days=GREETING_LEAD_DAYS):
    """The deadline of the greeting for the anniversary coming within ``lead_days``, or None.

    The greeting is due the day before the anniversary (today when that has passed).
    """
    upcoming = next_anniversary(founded, today)
    if upcoming is None or (upcoming - today).days > lead_days:
        return None
    return max(today, upcoming - timedelta(days=1))


def years_between(start, end):
    """Whole and partial years from ``start`` to ``end``, one decimal; 0 without a start."""
    if start is None or end < start:
        return 0.0
    return round((end - start).days / 365.25, 1)
