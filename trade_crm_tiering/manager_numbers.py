"""The manager's numbers of the portfolio dashboard (seed 004's dashboard, seed 002's 20/80).

Odoo-free: the add-on reads orders, leads, response clocks and grade history with a few set-based
queries, as the user (record rules applied), and hands plain rows to these functions. Rates and
shares are percentages (0-100); None where there is nothing to divide by.

- Repurchase rate by grade: the customers with at least two confirmed orders in the period over
  those with at least one, per star grade.
- Conversion: won over counted, per key (a lead source, a salesperson).
- Win rate: won over closed (won + lost).
- Deal cycle by grade: the average days from a lead's creation to its win, per star grade of its
  customer.
- Margin rate by key (a country): margin over amount.
- Margin Pareto: the revenue Pareto of trade_crm_tiering.portfolio, on margins.
- Grade trend: the customers per grade at the end of each quarter, from the grade history.
"""

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from . import portfolio

SECONDS_PER_DAY = 86400.0
TREND_QUARTERS = 8


def rate(part, whole):
    """``part`` as a percentage of ``whole``; None when ``whole`` is 0."""
    return 100.0 * part / whole if whole else None


# ----------------------------------------------------------------------
# Repurchase
# ----------------------------------------------------------------------


@dataclass(frozen=True)
class Repurchase:
    star: int
    buyers: int  # customers with at least one confirmed order in the period
    repeat: int  # ... with at least two
    rate: float | None


def repurchase_by_grade(rows, stars=portfolio.STARS):
    """Repurchase per star grade of ``rows``: ``[(star, orders in the period)]``, one per customer.

    Customers without orders (0 or None) are no buyers. Every grade of ``stars`` is listed.
    """
    buyers, repeat = defaultdict(int), defaultdict(int)
    for star, orders in rows:
        if orders and orders >= 1:
            buyers[int(star)] += 1
            if orders >= 2:
                repeat[int(star)] += 1
    return [Repurchase(star, buyers[star], repeat[star], rate(repeat[star], buyers[star])) for star in stars]


# ----------------------------------------------------------------------
# Leads: conversion, win rate, deal cycle
# ----------------------------------------------------------------------


@dataclass(frozen=True)
class Conversion:
    key: object
    count: int
    won: int
    rate: float | None


def conversion(rows):
    """``[(key, won)]`` (one per lead) to Conversion per key, most leads first, ties by key."""
    counts, won = defaultdict(int), defaultdict(int)
    for key, is_won in rows:
        counts[key] += 1
        if is_won:
            won[key] += 1
    result = [Conversion(key, count, won[key], rate(won[key], count)) for key, count in counts.items()]
    return sorted(result, key=lambda item: (-item.count, str(item.key)))


@dataclass(frozen=True)
class WinRate:
    key: object
    won: int
    lost: int
    rate: float | None  # won / (won + lost)


def win_rates(rows):
    """``[(key, won)]``, one per closed lead (won True, lost False), to WinRate per key, by key."""
    won, lost = defaultdict(int), defaultdict(int)
    for key, is_won in rows:
        if is_won:
            won[key] += 1
        else:
            lost[key] += 1
    keys = sorted(set(won) | set(lost), key=str)
    return [WinRate(key, won[key], lost[key], rate(won[key], won[key] + lost[key])) for key in keys]


def cycle_days(created, closed):
    """Days from ``created`` to ``closed`` (datetimes), never negative (a back-dated creation)."""
    return max(0.0, (closed - created).total_seconds() / SECONDS_PER_DAY)


@dataclass(frozen=True)
class Cycle:
    star: int
    deals: int
    average_days: float | None


def cycle_by_grade(rows, stars=portfolio.STARS):
    """``[(star, days)]``, one per deal, to the average days per star grade (every grade listed)."""
    deals, days = defaultdict(int), defaultdict(float)
    for star, value in rows:
        deals[int(star)] += 1
        days[int(star)] += value
    return [Cycle(star, deals[star], days[star] / deals[star] if deals[star] else None) for star in stars]


# ----------------------------------------------------------------------
# Margin
# ----------------------------------------------------------------------


@dataclass(frozen=True)
class MarginRate:
    key: object
    customers: int
    amount: float
    margin: float
    rate: float | None  # margin / amount


def margin_rates(rows):
    """``[(key, amount, margin)]``, one per customer, to MarginRate per key, largest amount first.

    The rate is None where the key's amount is not positive (returns only).
    """
    customers, amounts, margins = defaultdict(int), defaultdict(float), defaultdict(float)
    for key, amount, margin in rows:
        customers[key] += 1
        amounts[key] += amount or 0.0
        margins[key] += margin or 0.0
    result = [
        MarginRate(
            key,
            customers[key],
            amounts[key],
            margins[key],
            rate(margins[key], amounts[key]) if amounts[key] > 0 else None,
        )
        for key in customers
    ]
    return sorted(result, key=lambda item: (-item.amount, str(item.key)))


def pareto(amounts):
    """The Pareto figures (portfolio.concentration) of ``{key: amount}`` and the keys, largest first,
    that make its 80%: ``(Concentration, [key])``. Keys without a positive amount take no part."""
    ranking = portfolio.ranked(amounts)
    result = portfolio.concentration(ranking)
    return result, [key for key, _amount in ranking[: result.pareto_customers]]


# ----------------------------------------------------------------------
# Grade trend per quarter
# ----------------------------------------------------------------------


@dataclass(frozen=True)
class Quarter:
    year: int
    quarter: int
    after: datetime  # the grades counted are those just before this moment (naive, as Odoo stores)

    @property
    def label(self):
        return f"{self.year} Q{self.quarter}"


def quarters(today, count=TREND_QUARTERS):
    """The last ``count`` quarters up to the one of ``today``, oldest first.

    A finished quarter is counted at its last day's end; the current one at the end of ``today``.
    """
    result = []
    year, quarter = today.year, (today.month - 1) // 3 + 1
    for index in range(count):
        if index == 0:
            after = today + timedelta(days=1)
        else:
            after = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
        result.append(Quarter(year, quarter, datetime.combine(after, time.min)))
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return result[::-1]


def grades_at(customers, changes, moment):
    """``{customer: star}`` of the customers that existed before ``moment``.

    ``customers``: ``[(customer, star now, created)]``; ``changes``: ``[(customer, date, old star)]``
    of the grade history. A customer's grade at a moment is the old grade of its first change at
    or after it; without one, the grade it has now.
    """
    first_after = {}
    for customer, when, old in sorted(changes, key=lambda row: (row[1], _order_key(row[0]))):
        if when >= moment and customer not in first_after:
            first_after[customer] = old
    return {
        customer: int(first_after.get(customer, star) or 0)
        for customer, star, created in customers
        if created is None or created < moment
    }


def _order_key(value):
    return (str(type(value)), value)


def grade_trend(customers, changes, moments, stars=portfolio.STARS):
    """Customers per star grade at each of ``moments`` (see grades_at): ``[[count per star]]``.

    Set-based: the grades customers have now counted by creation date, corrected by each change
    for the moments between the customer's previous change and it, where it is the first change
    at or after the moment. ``changes`` must be in date order per customer (as the query sorts
    them); of two changes at the same date the first one counts. ``moments`` ascending.
    """
    moments = list(moments)
    created_by_grade = defaultdict(list)
    current = {}
    for customer, star, created in customers:
        grade = int(star or 0)
        current[customer] = (grade, created)
        created_by_grade[grade].append(datetime.min if created is None else created)
    counts = [[0] * len(stars) for _moment in moments]
    for grade, created in created_by_grade.items():
        created.sort()
        for index, moment in enumerate(moments):
            counts[index][grade] += bisect_left(created, moment)
    previous = {}
    for customer, when, old in changes:
        if customer not in current:
            continue
        grade, created = current[customer]
        before = previous.get(customer)
        previous[customer] = when
        first = 0 if before is None else bisect_right(moments, before)
        for index in range(first, bisect_right(moments, when)):
            if created is None or created < moments[index]:
                counts[index][grade] -= 1
                counts[index][int(old or 0)] += 1
    return counts
