from datetime import date

import pytest

from trade_crm_tiering.early_warnings import Thresholds, WarningConfigError, conditions, episodes
from trade_crm_tiering.scoring import ScoringConfig, derived_figures, evaluate

TODAY = date(2026, 11, 23)


def held(frame, **thresholds):
    return conditions(frame, derived_figures(frame), Thresholds(**thresholds))


def test_growth_spike_needs_the_factor_the_minimum_and_a_baseline(frame):
    customers = frame(
        spike={"amount_6m": 30_000.0, "amount_prev_6m": 10_000.0},
        short={"amount_6m": 29_999.0, "amount_prev_6m": 10_000.0},
        small={"amount_6m": 9_000.0, "amount_prev_6m": 3_000.0},
        new={"amount_6m": 90_000.0, "amount_prev_6m": 0.0},
    )
    assert list(held(customers)["warn_growth_spike"]) == [True, False, False, False]
    assert list(held(customers, spike_factor=2.0, spike_min_amount=5_000)["warn_growth_spike"]) == [
        True,
        True,
        True,
        False,
    ]


def test_frequency_drop_against_the_usual_gap(frame):
    # 8 order days over 630 days: a usual gap of 90 days
    customers = frame(
        due={"days_since_last": 135},
        late={"days_since_last": 136},
        irregular={"days_since_last": 500, "order_days_24m": 2},
    )
    assert list(held(customers)["warn_frequency_drop"]) == [False, True, False]
    assert list(held(customers, frequency_factor=1.2)["warn_frequency_drop"]) == [True, True, False]


def test_dormant_after_twelve_months(frame):
    customers = frame(active={"days_since_last": 364}, dormant={"days_since_last": 365})
    result = held(customers)
    assert list(result["dormant"]) == [False, True]
    assert list(result["warn_dormant"]) == [False, True]
    assert list(held(customers, dormant_months=6)["dormant"]) == [True, True]
    switched_off = held(customers, dormant=False)
    assert list(switched_off["dormant"]) == [False, True], "still marked dormant"
    assert not switched_off["warn_dormant"].any()


def test_inquiries_falling(frame):
    customers = frame(
        halved={"inquiries_3m": 2, "inquiries_prev_3m": 4},
        fell={"inquiries_3m": 1, "inquiries_prev_3m": 4},
        few={"inquiries_3m": 0, "inquiries_prev_3m": 1},
        none={},
    )
    assert list(held(customers)["warn_inquiries_falling"]) == [False, True, False, False]
    assert list(held(customers, inquiry_min=1)["warn_inquiries_falling"]) == [False, True, True, False]


def test_switched_off_warnings_never_hold(frame):
    customers = frame(spike={"amount_6m": 90_000.0, "amount_prev_6m": 10_000.0, "days_since_last": 400})
    result = held(customers, growth_spike=False, frequency_drop=False, dormant=False)
    assert not result[["warn_growth_spike", "warn_frequency_drop", "warn_dormant"]].any(axis=None)


def test_evaluate_carries_the_conditions(frame):
    result = evaluate(frame(a={"days_since_last": 400}), ScoringConfig(), TODAY)
    assert bool(result.loc["a", "warn_dormant"]) and bool(result.loc["a", "warn_frequency_drop"])


def test_episodes_raise_once_and_close_when_the_condition_clears():
    holding = {"growth_spike": {1, 2}, "dormant": {3}}
    to_raise, to_close = episodes(holding, {})
    assert to_raise == [(1, "growth_spike"), (2, "growth_spike"), (3, "dormant")]
    assert to_close == []
    opened = {(1, "growth_spike"): 11, (2, "growth_spike"): 12, (3, "dormant"): 13}
    # the next night, same conditions: nothing new
    assert episodes(holding, opened) == ([], [])
    # customer 2 stops spiking, customer 3 stays dormant and also spikes
    to_raise, to_close = episodes({"growth_spike": {1, 3}, "dormant": {3}}, opened)
    assert to_raise == [(3, "growth_spike")]
    assert to_close == [12]
    # a new episode for customer 2 once its earlier warning closed
    del opened[(2, "growth_spike")]
    assert episodes({"growth_spike": {1, 2}}, opened)[0] == [(2, "growth_spike")]


@pytest.mark.parametrize(
    ("thresholds", "code"),
    [
        ({"spike_factor": 1.0}, "spike_factor"),
        ({"spike_min_amount": -1}, "spike_min_amount"),
        ({"frequency_factor": 0.9}, "frequency_factor"),
        ({"dormant_months": 0}, "dormant_months"),
        ({"inquiry_ratio": 1.0}, "inquiry_ratio"),
        ({"inquiry_ratio": 0}, "inquiry_ratio"),
        ({"inquiry_min": 0}, "inquiry_min"),
    ],
)
def test_bad_thresholds(thresholds, code):
    with pytest.raises(WarningConfigError) as caught:
        Thresholds(**thresholds).check()
    assert caught.value.code == code
