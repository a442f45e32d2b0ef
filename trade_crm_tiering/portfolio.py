"""Portfolio analytics: revenue concentration, Pareto, grade migration and rep workload.

Odoo-free: the add-on reads amounts, grades and cadences with a few set-based queries and hands
plain values to these functions. Shares are percentages (0-100).
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise

# Risk bands, from least to most worrying; the last two raise an alert.
BANDS = ("low", "moderate", "high", "critical")
ALERT_BANDS = ("high", "critical")
# The concentration measures: the share of revenue of the largest 1, 3 and 10 customers.
MEASURES = (("top1", 1), ("top3", 3), ("top10", 10))
# Pareto: the fewest customers that make 80% of revenue, and what the top 20% of customers make.
PARETO_REVENUE = 80
PARETO_CUSTOMERS = 20
# A customer is class A while the customers before it make less than 80% of the revenue, B below 95%.
PARETO_CLASS_LIMITS = (("a", 80), ("b", 95))
STARS = tuple(range(6))
DAYS_PER_MONTH = 365.25 / 12
# A rep above this share of their capacity is full; above 100%, overloaded.
FULL_FROM = 80.0
PERIODS = ("last_month", "last_quarter", "this_quarter", "last_12_months", "this_year", "last_year")
# Up to today, so the migration panel shows the grade changes a manager just saw happen; a
# calendar quarter already over is empty in a young database.
DEFAULT_PERIOD = "last_12_months"
# Shares are compared with the band limits at this precision, so 20.000000000001% is 20%.
_SHARE_DIGITS = 9


class PortfolioConfigError(ValueError):
    """A portfolio setting is invalid. ``code`` names the problem, ``params`` fill its message."""

    def __init__(self, code, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params


# ----------------------------------------------------------------------
# Bands
# ----------------------------------------------------------------------


@dataclass(frozen=True)
class BandLimits:
    """Under ``moderate`` a share is low; over ``high`` high; over ``critical`` (when set) critical."""

    moderate: float
    high: float
    critical: float | None = None

    def check(self):
        """Raise PortfolioConfigError unless 0 < moderate < high (< critical) <= 100."""
        limits = [self.moderate, self.high] + ([self.critical] if self.critical is not None else [])
        if limits[0] <= 0 or limits[-1] > 100:
            raise PortfolioConfigError("range", low=limits[0], high=limits[-1])
        for lower, upper in pairwise(limits):
            if upper <= lower:
                raise PortfolioConfigError("order", lower=lower, upper=upper)


def band(share, limits):
    """The band of ``share`` (a percentage) under ``limits``; None without a share.

    Under the moderate limit is low, up to the high limit included is moderate, over it high,
    over the critical limit critical.
    """
    if share is None:
        return None
    share = round(share, _SHARE_DIGITS)
    if share < limits.moderate:
        return "low"
    if limits.critical is not None and share > limits.critical:
        return "critical"
    if share > limits.high:
        return "high"
    return "moderate"


def alert_step(current_band, alerted_band):
    """Whether to alert, and the band to remember, once per episode of high risk.

    ``alerted_band``: the highest band already alerted in the current episode, or None. An episode
    starts when the band turns high (or critical) and ends when it falls back below high; within
    it, only a rise from high to critical alerts again. Returns ``(alert, band to remember)``.
    """
    if current_band not in ALERT_BANDS:
        return False, None
    if alerted_band is None or BANDS.index(current_band) > BANDS.index(alerted_band):
        return True, current_band
    return False, alerted_band


# ----------------------------------------------------------------------
# Concentration and Pareto
# ----------------------------------------------------------------------


def ranked(amounts):
    """``[(key, amount)]`` of the positive amounts, largest first; ties by key, so the order is stable.

    ``amounts``: ``{key: amount}`` or ``[(key, amount)]``. Customers that bought nothing (or
    returned more than they bought) do not take part in concentration figures.
    """
    items = amounts.items() if isinstance(amounts, dict) else amounts
    return sorted(((key, amount) for key, amount in items if amount and amount > 0), key=lambda kv: (-kv[1], kv[0]))


@dataclass(frozen=True)
class RankedCustomer:
    key: object
    amount: float
    rank: int
    share: float
    cumulative_share: float


def top_customers(ranking, limit):
    """The first ``limit`` of ``ranking`` (see ranked) with their share and cumulative share."""
    total = sum(amount for _key, amount in ranking)
    result, running = [], 0.0
    for rank, (key, amount) in enumerate(ranking[:limit], start=1):
        running += amount
        result.append(RankedCustomer(key, amount, rank, 100.0 * amount / total, 100.0 * running / total))
    return result


@dataclass(frozen=True)
class Concentration:
    customers: int  # customers with revenue
    total: float
    shares: dict  # {"top1": share, ...}: None without revenue
    pareto_customers: int  # the fewest customers that make PARETO_REVENUE % of revenue
    pareto_customer_share: float | None  # ... as a share of the customers with revenue
    top_slice_customers: int  # the top PARETO_CUSTOMERS % of customers, rounded up
    top_slice_revenue_share: float | None  # ... and their share of revenue


def concentration(ranking, revenue_target=PARETO_REVENUE, customer_slice=PARETO_CUSTOMERS):
    """Top-N shares and the Pareto figures of ``ranking`` (see ranked).

    The top N of fewer than N customers is all of them. The top 20% of n customers is the
    ceil(n / 5) largest, so a company with one customer has it as its top 20%. Ties do not change
    any figure: tied customers have the same amount, whichever is counted first.
    """
    n = len(ranking)
    total = sum(amount for _key, amount in ranking)
    if not n:
        return Concentration(0, 0.0, {name: None for name, _size in MEASURES}, 0, None, 0, None)
    cumulative = []
    running = 0.0
    for _key, amount in ranking:
        running += amount
        cumulative.append(running)
    shares = {name: 100.0 * cumulative[min(size, n) - 1] / total for name, size in MEASURES}
    target = total * revenue_target / 100.0
    # The tolerance absorbs float noise: 0.1 + 0.7 reaching 80% of 1.0 counts.
    tolerance = total * 1e-12
    pareto = next(index for index, value in enumerate(cumulative, start=1) if value >= target - tolerance)
    slice_size = -(-n * customer_slice // 100)  # ceil, in integers
    return Concentration(
        customers=n,
        total=total,
        shares=shares,
        pareto_customers=pareto,
        pareto_customer_share=100.0 * pareto / n,
        top_slice_customers=slice_size,
        top_slice_revenue_share=100.0 * cumulative[slice_size - 1] / total,
    )


def pareto_class(share_before):
    """The ABC class of a customer from the share of revenue of the customers ranked before it."""
    for name, limit in PARETO_CLASS_LIMITS:
        if share_before < limit:
            return name
    return "c"


# ----------------------------------------------------------------------
# Grade migration
# ----------------------------------------------------------------------


def grade_at(last_new_before, first_old_after, current):
    """A customer's grade at a moment, from its grade history.

    The new grade of its last change before the moment; without one, the old grade of its first
    change after it; without any change, the grade it has now.
    """
    for value in (last_new_before, first_old_after, current):
        if value is not None and value != "":
            return int(value)
    return 0


@dataclass(frozen=True)
class Migration:
    matrix: tuple  # matrix[start star][end star]: customers
    customers: int
    upgrades: int
    downgrades: int
    changed_share: float | None  # share of the customers whose grade differs at the end


def migration(moves):
    """The grade migration matrix of ``moves``: ``[(start star, end star)]``, one per customer, or
    ``{(start star, end star): customers}``.

    Upgrades and downgrades compare the two ends: a customer that went up and back down within
    the period did not change.
    """
    counts = moves if isinstance(moves, Mapping) else Counter((int(start), int(end)) for start, end in moves)
    matrix = [[0] * len(STARS) for _star in STARS]
    for (start, end), count in counts.items():
        matrix[int(start)][int(end)] += count
    customers = sum(map(sum, matrix))
    upgrades = sum(matrix[start][end] for start in STARS for end in STARS if end > start)
    downgrades = sum(matrix[start][end] for start in STARS for end in STARS if end < start)
    return Migration(
        matrix=tuple(tuple(row) for row in matrix),
        customers=customers,
        upgrades=upgrades,
        downgrades=downgrades,
        changed_share=100.0 * (upgrades + downgrades) / customers if customers else None,
    )


def period_bounds(key, today):
    """``(first day, last day)`` of the period ``key`` (see PERIODS) around ``today``, both included."""
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    month_start = today.replace(day=1)
    if key == "last_month":
        end = month_start - timedelta(days=1)
        return end.replace(day=1), end
    if key == "last_quarter":
        end = quarter_start - timedelta(days=1)
        return date(end.year, end.month - 2, 1), end
    if key == "this_quarter":
        return quarter_start, today
    if key == "last_12_months":
        return today - timedelta(days=364), today
    if key == "this_year":
        return date(today.year, 1, 1), today
    if key == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    raise PortfolioConfigError("period", period=key)


# ----------------------------------------------------------------------
# Rep workload
# ----------------------------------------------------------------------


@dataclass(frozen=True)
class Cadence:
    """What a service tier asks of the salesperson: a follow-up every N days, a review every M months."""

    follow_up_days: int
    review_months: int = 0

    def monthly_follow_ups(self):
        return DAYS_PER_MONTH / self.follow_up_days if self.follow_up_days else 0.0

    def monthly_reviews(self):
        return 1.0 / self.review_months if self.review_months else 0.0


@dataclass
class RepLoad:
    user: object
    customers_by_tier: dict = field(default_factory=dict)
    customers: int = 0
    follow_ups: float = 0.0  # follow-ups due per month under the tiers' cadences
    reviews: float = 0.0  # business reviews due per month
    overdue: int = 0
    missing_backups: int = 0
    capacity: float | None = None
    load: float = 0.0  # follow-ups + reviews per month
    utilisation: float | None = None  # load as a share of capacity
    room: float | None = None  # capacity left, negative when overloaded
    status: str | None = None  # "overloaded", "full", "room"; None for customers without salesperson


def rep_status(load, capacity, full_from=FULL_FROM):
    """``(utilisation %, room, status)`` of a monthly ``load`` against ``capacity``."""
    if not capacity or capacity <= 0:
        return None, None, None
    utilisation = 100.0 * load / capacity
    if round(utilisation, _SHARE_DIGITS) > 100:
        status = "overloaded"
    elif round(utilisation, _SHARE_DIGITS) >= full_from:
        status = "full"
    else:
        status = "room"
    return utilisation, capacity - load, status


def workload(rows, cadences, capacity, users=(), full_from=FULL_FROM):
    """Monthly load of each salesperson under their customers' tier cadences, against ``capacity``.

    ``rows``: ``[(user, tier, customers, overdue, missing backups)]``, counts per salesperson
    and tier (user None: customers without salesperson). ``cadences``: ``{tier: Cadence}``; a tier
    missing from it asks for nothing. ``users``: salespeople to list even without customers.
    Returns RepLoad per user, busiest first, the customers without salesperson last.
    """
    loads = {user: RepLoad(user) for user in users}
    for user, tier, customers, overdue, missing in rows:
        load = loads.setdefault(user, RepLoad(user))
        load.customers_by_tier[tier] = load.customers_by_tier.get(tier, 0) + customers
        load.customers += customers
        load.overdue += overdue
        load.missing_backups += missing
        cadence = cadences.get(tier)
        if cadence:
            load.follow_ups += customers * cadence.monthly_follow_ups()
            load.reviews += customers * cadence.monthly_reviews()
    for user, load in loads.items():
        load.load = load.follow_ups + load.reviews
        if user is not None:
            load.capacity = capacity
            load.utilisation, load.room, load.status = rep_status(load.load, capacity, full_from)
    return sorted(loads.values(), key=lambda item: (item.user is None, -item.load, str(item.user)))
