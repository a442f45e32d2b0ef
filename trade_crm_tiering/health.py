"""Customer health (0-100), its band and its trend against the previous quarter.

Health looks at how the relationship is going, whatever the customer's size. The weighted mean of
the parts a customer has (weights renormalised over them):

- recency (40): days since the last order against the customer's usual gap between orders: 100
  up to one usual gap, 0 from three, linear between; without a usual gap (fewer than 3 order days
  in 24 months) 100 up to 90 days, 0 from 365, linear between;
- momentum (30): the last 6 months' sales against the 6 before: 100 at the same or more, falling in
  proportion (half as much -> 50); 100 for sales with none before, 0 for no sales in 12 months;
- payment (15): the payment behaviour score of scoring.py, when invoices fell due;
- inquiries (15): leads of the last 3 months against the 3 before, like momentum; left out when
  there were none in either.

Bands: good 60-100, fair 40-59, poor 0-39. The trend compares the health with the last value of
the previous calendar quarter: rising 5 points or more above it, falling 5 or more below, steady
between; none in a customer's first quarter of scores.
"""

from datetime import date

import numpy as np
import pandas as pd

WEIGHTS = {"recency": 40, "momentum": 30, "payment": 15, "inquiries": 15}
TREND_TOLERANCE = 5
BANDS = ((60, "good"), (40, "fair"), (0, "poor"))
RECENT_DAYS, STALE_DAYS = 90, 365


def quarter_start(day):
    """The first day of the calendar quarter of ``day``."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def band(score):
    """good, fair or poor; None without a score."""
    if score is None or pd.isna(score):
        return None
    return next(name for floor, name in BANDS if score >= floor)


def trend(current, previous, tolerance=TREND_TOLERANCE):
    """rising, steady or falling; None without a previous value."""
    if previous is None or pd.isna(previous) or current is None or pd.isna(current):
        return None
    if current - previous >= tolerance:
        return "rising"
    if previous - current >= tolerance:
        return "falling"
    return "steady"


def _ratio_score(now, before):
    """100 x now / before, capped at 100; 100 when there was nothing before but is something now."""
    now = pd.Series(now, dtype="float64").fillna(0)
    before = pd.Series(before, dtype="float64").fillna(0)
    ratio = (now / before.where(before > 0) * 100).clip(0, 100)
    return ratio.where(before > 0, np.where(now > 0, 100.0, np.nan))


def parts(frame, usual_gap, payment):
    """The health parts of each customer, NaN where a part does not apply."""
    days = frame["days_since_last"].astype("float64")
    by_gap = ((3 - days / usual_gap) / 2 * 100).clip(0, 100)
    by_days = ((STALE_DAYS - days) / (STALE_DAYS - RECENT_DAYS) * 100).clip(0, 100)
    momentum = _ratio_score(frame["amount_6m"], frame["amount_prev_6m"])
    no_sales = frame["amount_6m"].fillna(0).le(0) & frame["amount_prev_6m"].fillna(0).le(0)
    return pd.DataFrame(
        {
            "recency": by_gap.where(usual_gap.notna(), by_days),
            "momentum": momentum.mask(no_sales, 0.0),
            "payment": payment,
            "inquiries": _ratio_score(frame["inquiries_3m"], frame["inquiries_prev_3m"]),
        }
    )


def scores(part_frame):
    """Weighted mean of the parts each customer has, rounded half up."""
    weights = pd.Series(WEIGHTS, dtype="float64")
    present = part_frame.notna()
    weighted = (part_frame.fillna(0) * weights).sum(axis=1)
    total = (present * weights).sum(axis=1)
    return np.floor(weighted / total.where(total > 0) + 0.5 + 1e-9)


def previous_values(stored_health, stored_previous, stored_quarter, today):
    """The health each customer is compared with: its last value of an earlier quarter.

    A pass in a new quarter takes the stored health (the last of the quarter before) as the
    reference; a pass in the same quarter keeps the reference stored with it.
    """
    current = quarter_start(today)
    quarters = pd.Series(stored_quarter, dtype="object")
    earlier = quarters.map(lambda day: day is not None and not pd.isna(day) and day < current)
    same = quarters.map(lambda day: day is not None and not pd.isna(day) and day == current)
    stored_health = pd.Series(stored_health, dtype="float64")
    kept = pd.Series(stored_previous, dtype="float64").where(same.astype(bool))
    return stored_health.where(earlier.astype(bool), kept)


def health_frame(frame, derived, payment, today):
    """``health``, ``health_band``, ``health_previous``, ``health_trend``, ``health_quarter``."""
    health = scores(parts(frame, derived["usual_gap"], payment))
    previous = previous_values(
        frame["health_stored"], frame["health_previous_stored"], frame["health_quarter_stored"], today
    )
    return pd.DataFrame(
        {
            "health": health,
            "health_band": pd.Series([band(value) for value in health], index=frame.index, dtype="object"),
            "health_previous": previous,
            "health_trend": pd.Series(
                [trend(h, p) for h, p in zip(health, previous, strict=True)], index=frame.index, dtype="object"
            ),
            "health_quarter": pd.Series([quarter_start(today)] * len(health), index=frame.index, dtype="object"),
        },
        index=frame.index,
    )
