"""Star grades from annual purchase amounts: thresholds, banding, grading windows.

Odoo-free: the add-on's models call these with plain Python values.
"""

import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta

STARS = ("0", "1", "2", "3", "4", "5")
DEFAULT_THRESHOLDS = (20_000.0, 50_000.0, 300_000.0, 1_000_000.0, 2_000_000.0)
DEFAULT_YEARS = 2
MIN_YEARS, MAX_YEARS = 1, 5
ROLLING_DAYS = 365

# Grade category by star: 0-2 ordinary (the rep decides), 3-4 key account, 5 VIP.
CATEGORY_BY_STAR = {0: "ordinary", 1: "ordinary", 2: "ordinary", 3: "key", 4: "key", 5: "vip"}

_YEAR_TOKEN = re.compile(r"^\d{4}$")


class GradingConfigError(ValueError):
    """A grading setting is invalid. ``code`` names the problem, ``params`` fill its message."""

    def __init__(self, code, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params


def check_thresholds(thresholds):
    """Raise GradingConfigError unless the five thresholds are positive and strictly ascending."""
    if len(thresholds) != 5:
        raise GradingConfigError("count", count=len(thresholds))
    for index, value in enumerate(thresholds, start=1):
        if value is None or value <= 0:
            raise GradingConfigError("not_positive", star=index, value=value)
    for index in range(1, 5):
        if thresholds[index] <= thresholds[index - 1]:
            raise GradingConfigError(
                "not_ascending",
                star=index + 1,
                value=thresholds[index],
                previous_star=index,
                previous=thresholds[index - 1],
            )


def check_years(years):
    if not isinstance(years, int) or not MIN_YEARS <= years <= MAX_YEARS:
        raise GradingConfigError("years_range", years=years, low=MIN_YEARS, high=MAX_YEARS)


def parse_excluded_years(text):
    """Return the sorted tuple of years in ``text`` ("2020, 2021" or "2020 2021").

    Raise GradingConfigError naming the first token that is not a four-digit year.
    """
    if not text or not text.strip():
        return ()
    years = set()
    for token in re.split(r"[,;\s]+", text.strip()):
        if not token:
            continue
        if not _YEAR_TOKEN.match(token) or not 1900 <= int(token) <= 2999:
            raise GradingConfigError("excluded_year", token=token)
        years.add(int(token))
    return tuple(sorted(years))


def band(amount, thresholds):
    """Star grade (0-5) of ``amount``: the number of thresholds it reaches.

    An amount exactly on a threshold gets the higher grade.
    """
    return bisect_right(thresholds, amount or 0.0)


def category(star):
    return CATEGORY_BY_STAR[int(star)]


@dataclass(frozen=True)
class GradingWindow:
    """Orders dated in [start, end) count; with ``years``, only orders of those calendar years.

    The summed amount is divided by ``divisor`` to give a yearly figure.
    """

    start: date
    end: date
    years: tuple = ()
    divisor: int = 1

    def annualise(self, total):
        return total / self.divisor

    def days(self):
        """Every day from ``start`` to ``end`` (excluded), excluded years included."""
        return [self.start + timedelta(days=offset) for offset in range((self.end - self.start).days)]


def grading_window(basis, today, years=DEFAULT_YEARS, excluded_years=()):
    """The window of orders that makes up the annual amount on ``today``.

    ``rolling_12m``: the 365 days ending today (today included).
    ``full_years``: the ``years`` most recent full calendar years before today's year, skipping
    the excluded ones (the window reaches back further so it still spans ``years`` years); the
    amount is the average per year.
    """
    if basis == "rolling_12m":
        return GradingWindow(start=today - timedelta(days=ROLLING_DAYS - 1), end=today + timedelta(days=1))
    if basis != "full_years":
        raise GradingConfigError("basis", basis=basis)
    check_years(years)
    excluded = set(excluded_years)
    chosen = []
    year = today.year - 1
    while len(chosen) < years:
        if year not in excluded:
            chosen.append(year)
        year -= 1
    chosen.reverse()
    return GradingWindow(
        start=date(chosen[0], 1, 1),
        end=date(chosen[-1] + 1, 1, 1),
        years=tuple(chosen),
        divisor=years,
    )
