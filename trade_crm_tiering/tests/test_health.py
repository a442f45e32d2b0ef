from datetime import date

import numpy as np
import pandas as pd
import pytest

from trade_crm_tiering import health
from trade_crm_tiering.scoring import ScoringConfig, derived_figures, evaluate

TODAY = date(2026, 11, 23)  # Q4: quarter from 2026-10-01
Q3, Q4 = date(2026, 7, 1), date(2026, 10, 1)


@pytest.mark.parametrize(
    ("score", "name"), [(100, "good"), (60, "good"), (59, "fair"), (40, "fair"), (39, "poor"), (0, "poor")]
)
def test_bands(score, name):
    assert health.band(score) == name


def test_no_band_without_score():
    assert health.band(None) is None
    assert health.band(np.nan) is None


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (70, 60, "rising"),
        (65, 60, "rising"),
        (64, 60, "steady"),
        (56, 60, "steady"),
        (55, 60, "falling"),
        (50, None, None),
    ],
)
def test_trend(current, previous, expected):
    assert health.trend(current, previous) == expected


def test_quarter_start():
    assert health.quarter_start(date(2026, 11, 23)) == Q4
    assert health.quarter_start(date(2026, 3, 31)) == date(2026, 1, 1)
    assert health.quarter_start(date(2026, 7, 1)) == Q3


def test_previous_value_is_the_last_one_of_an_earlier_quarter():
    previous = health.previous_values(
        stored_health=[70, 70, 70, np.nan],
        stored_previous=[np.nan, 50, 50, np.nan],
        stored_quarter=[Q3, Q4, None, None],
        today=TODAY,
    )
    # new quarter: last quarter's value; same quarter: the reference kept; never scored: none
    assert previous[0] == 70
    assert previous[1] == 50
    assert np.isnan(previous[2]) and np.isnan(previous[3])


def run(frame, **overrides):
    return evaluate(frame, ScoringConfig(), TODAY)


def test_health_parts_and_score(frame):
    customers = frame(
        # usual gap 90 days (8 order days over 630): 30 days since -> recency 100; steady -> momentum 100
        regular={},
        # 180 days since the last order = 2 usual gaps -> recency 50; sales halved -> momentum 50
        slipping={"days_since_last": 180, "amount_6m": 10_000.0},
        # no usual gap (2 order days): by days since the last order, 90 -> 100 ... 365 -> 0
        occasional={"order_days_24m": 2, "days_since_last": 200, "amount_6m": 0.0, "amount_prev_6m": 0.0},
        # paid 30 days late (payment 50); inquiries 1 against 4 (25)
        late={"days_late": 30.0, "invoices_due": 2, "inquiries_3m": 1, "inquiries_prev_3m": 4},
    )
    parts = health.parts(
        customers, derived_figures(customers)["usual_gap"], pd.Series([np.nan] * 4, index=customers.index)
    )
    assert list(parts["recency"]) == [100, 50, pytest.approx(60), 100]
    assert list(parts["momentum"]) == [100, 50, 0, 100]
    result = run(customers)
    # regular: (40 * 100 + 30 * 100) / 70; slipping: 50; occasional: (40 * 60) / 70 = 34.3;
    # late: (4000 + 3000 + 15 * 50 + 15 * 25) / 100 = 81.25
    assert list(result["health"]) == [100, 50, 34, 81]
    assert list(result["health_band"]) == ["good", "fair", "poor", "good"]


def test_momentum_of_a_new_buyer(frame):
    result = health.parts(
        frame(new={"amount_prev_6m": 0.0, "amount_6m": 5_000.0}),
        pd.Series([np.nan], index=["new"]),
        pd.Series([np.nan], index=["new"]),
    )
    assert result.loc["new", "momentum"] == 100
    assert np.isnan(result.loc["new", "inquiries"])


def test_trend_against_the_previous_quarter(frame):
    customers = frame(
        better={"health_stored": 60.0, "health_quarter_stored": Q3},
        same_quarter={"health_stored": 100.0, "health_previous_stored": 80.0, "health_quarter_stored": Q4},
        first={},
        worse={"days_since_last": 180, "amount_6m": 10_000.0, "health_stored": 90.0, "health_quarter_stored": Q3},
        flat={"health_stored": 97.0, "health_quarter_stored": Q3},
    )
    result = run(customers)
    assert list(result["health"]) == [100, 100, 100, 50, 100]
    assert list(result["health_previous"].fillna(-1)) == [60, 80, -1, 90, 97]
    assert list(result["health_trend"]) == ["rising", "rising", None, "falling", "steady"]
    assert set(result["health_quarter"]) == {Q4}
