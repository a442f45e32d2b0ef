"""Whether a quotation needs approval, why, and at which level.

A quotation needs approval when its highest line discount is above the tier's authority, its
payment terms run longer than the tier's, its margin rate is under the company's floor, its
amount is above the tier's limit, or confirming it would take the customer over its credit
limit. The supervisor approves alone up to the tier's second-level discount and amount; above
either, the general manager signs after the supervisor.

A limit of 0 (or None) is "no limit": a company without tier setup gets no policy.
"""

from dataclasses import dataclass

REASONS = ("discount", "payment_term", "margin", "amount", "credit")
SUPERVISOR, GENERAL_MANAGER = 1, 2


@dataclass(frozen=True)
class QuoteLimits:
    """A tier's limits, and the company's margin floor (percent)."""

    max_discount: float = 0.0
    second_discount: float = 0.0  # 0: the supervisor approves any discount
    payment_days: int | None = None  # None: the tier sets no payment terms
    max_amount: float = 0.0  # 0: no limit
    second_amount: float = 0.0  # 0: the supervisor approves any amount
    margin_floor: float = 0.0  # 0: no floor


@dataclass(frozen=True)
class QuoteFigures:
    """What the quotation gives (amount in the limits' currency)."""

    discount: float = 0.0
    payment_days: int | None = None  # None: no payment terms on the quotation
    margin_rate: float | None = None  # None: no amount to measure a margin against
    amount: float = 0.0
    over_credit: bool = False


def reasons(figures, limits):
    """The reasons (codes of ``REASONS``, in that order) the quotation needs approval."""
    found = []
    if figures.discount > limits.max_discount:
        found.append("discount")
    has_terms = limits.payment_days is not None and figures.payment_days is not None
    if has_terms and figures.payment_days > limits.payment_days:
        found.append("payment_term")
    if limits.margin_floor > 0 and figures.margin_rate is not None and figures.margin_rate < limits.margin_floor:
        found.append("margin")
    if limits.max_amount > 0 and figures.amount > limits.max_amount:
        found.append("amount")
    if figures.over_credit:
        found.append("credit")
    return tuple(found)


def level(figures, limits):
    """0 (no approval), ``SUPERVISOR`` or ``GENERAL_MANAGER`` (after the supervisor)."""
    found = reasons(figures, limits)
    if not found:
        return 0
    above_discount = "discount" in found and limits.second_discount > 0 and figures.discount > limits.second_discount
    above_amount = "amount" in found and limits.second_amount > 0 and figures.amount > limits.second_amount
    return GENERAL_MANAGER if above_discount or above_amount else SUPERVISOR


def check_limits(max_discount, second_discount, max_amount, second_amount):
    """The problem with a tier's limits (a code), or None.

    Discounts are percentages; a second level, when set, is at least the first.
    """
    if not 0 <= max_discount <= 100 or not 0 <= second_discount <= 100:
        return "discount_range"
    if second_discount and second_discount < max_discount:
        return "second_discount_below"
    if max_amount < 0 or second_amount < 0:
        return "amount_negative"
    if second_amount and second_amount < max_amount:
        return "second_amount_below"
    return None
