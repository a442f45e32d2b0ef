"""Follow-up cadence and the team pool: when a customer is due for contact or goes back to the pool."""

from datetime import timedelta

POOL_WARNING_DAYS = 7


def next_follow_up(last_interaction, follow_up_days, today):
    """The date the next interaction is due: ``follow_up_days`` after the last one.

    A customer never contacted is due today.
    """
    if not last_interaction:
        return today
    return last_interaction + timedelta(days=follow_up_days)


def next_review(last_review, review_months, today):
    """The date of the next business review, every ``review_months`` months; None without reviews."""
    if not review_months:
        return None
    if not last_review:
        return today
    return last_review + timedelta(days=round(review_months * 30.44))


def pool_status(idle_since, release_days, today, warning_days=POOL_WARNING_DAYS):
    """``"release"``, ``"warn"`` (release within ``warning_days``) or None.

    ``idle_since``: the last interaction, or when the customer was created if there was none.
    ``release_days`` 0 never releases.
    """
    if not release_days or not idle_since:
        return None
    idle = (today - idle_since).days
    if idle >= release_days:
        return "release"
    if idle >= release_days - warning_days:
        return "warn"
    return None


def claim_refusal(claims_today, cap, previous_owner_is_claimer, released_on, cooldown_days, today):
    """Why a claim is refused: ``"cap"``, ``"cooldown"``, or None when it is allowed."""
    if claims_today >= cap:
        return "cap"
    if previous_owner_is_claimer and released_on and (today - released_on).days < cooldown_days:
        return "cooldown"
    return None
