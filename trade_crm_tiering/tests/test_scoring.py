from datetime import date

import numpy as np
import pandas as pd
import pytest

from trade_crm_tiering import matrix, scoring
from trade_crm_tiering.ranking import percentile, quintile
from trade_crm_tiering.scoring import ScoringConfig, ScoringConfigError, check_weights

TODAY = date(2026, 11, 23)


def components(frame):
    return scoring.component_scores(frame, scoring.derived_figures(frame))


def evaluate(frame, **config):
    return scoring.evaluate(frame, ScoringConfig(**config), TODAY)


# ----------------------------------------------------------------------
# Percentiles and quintiles
# ----------------------------------------------------------------------


def test_percentile_is_mid_rank():
    assert list(percentile([10, 20, 30, 40])) == [12.5, 37.5, 62.5, 87.5]
    assert list(percentile([10, 20, 30, 40], higher_is_better=False)) == [87.5, 62.5, 37.5, 12.5]


def test_percentile_ties_score_alike():
    scores = percentile([5, 5, 10])
    assert scores[0] == scores[1] == pytest.approx(100 / 3)
    assert scores[2] == pytest.approx(250 / 3)
    assert list(percentile([7, 7, 7])) == [50, 50, 50]


def test_percentile_of_one_and_of_none():
    assert list(percentile([123.0])) == [50]
    scores = percentile([np.nan, 4.0, np.nan])
    assert np.isnan(scores[0]) and np.isnan(scores[2]) and scores[1] == 50
    assert percentile([]).empty


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (list(range(10)), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]),
        ([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]),
        ([9.0], [3]),
        ([4, 4, 4, 4], [3, 3, 3, 3]),
        # ties: the two 1s share ranks 1-2 (mid-rank percentile exactly 20%): quintile 2, never 1 or 3
        ([1, 1, 2, 3, 4], [2, 2, 3, 4, 5]),
        ([0, 0, 0, 0, 100], [3, 3, 3, 3, 5]),  # four tied at the bottom share the middle
    ],
)
def test_quintiles_with_ties_and_edges(values, expected):
    assert list(quintile(values)) == expected


def test_quintile_lower_is_better_and_missing():
    assert list(quintile([10, 40, 20, 30, 50], higher_is_better=False)) == [5, 2, 4, 3, 1]
    result = quintile([np.nan, 3.0])
    assert np.isnan(result[0]) and result[1] == 3


# ----------------------------------------------------------------------
# Dimensions
# ----------------------------------------------------------------------


def test_current_value_ranks_amount_orders_and_margin(frame):
    customers = frame(
        a={"amount_12m": 10_000, "orders_12m": 1, "margin_12m": 4_000},
        b={"amount_12m": 20_000, "orders_12m": 2, "margin_12m": 3_000},
        c={"amount_12m": 30_000, "orders_12m": 3, "margin_12m": 2_000},
        d={"amount_12m": 40_000, "orders_12m": 4, "margin_12m": 1_000},
        idle={"amount_12m": 0, "orders_12m": 0, "margin_12m": 0},
    )
    current = components(customers)["current"]
    # the idle customer scores 0 and is left out of the others' percentiles
    assert list(current["amount"]) == [12.5, 37.5, 62.5, 87.5, 0]
    assert list(current["frequency"]) == [12.5, 37.5, 62.5, 87.5, 0]
    assert list(current["margin"]) == [87.5, 62.5, 37.5, 12.5, 0]
    # a: (12.5 + 12.5 + 87.5) / 3 = 37.5 -> 38; d: (87.5 * 2 + 12.5) / 3 = 62.5 -> 63
    assert list(evaluate(customers)["score_current"]) == [38, 46, 54, 63, 0]


def test_negative_margin_scores_zero(frame):
    current = components(frame(loss={"margin_12m": -500.0}, gain={}))["current"]
    assert list(current["margin"]) == [0, 50]


def test_potential_from_growth_and_ratings(frame):
    customers = frame(
        doubled={"amount_12m": 80_000, "amount_prev_12m": 40_000},
        halved={"amount_12m": 20_000, "amount_prev_12m": 40_000},
        steady={},
        tripled={"amount_12m": 120_000, "amount_prev_12m": 40_000},
        lost={"amount_12m": 0, "amount_prev_12m": 40_000},
        new={"amount_prev_12m": 0, "rating_industry": 5, "rating_size": 3, "rating_wallet": 1},
        unknown={"amount_prev_12m": 0},
    )
    potential = components(customers)["potential"]
    assert list(potential["growth"][:5]) == [100, 25, 50, 100, 0]
    assert np.isnan(potential["growth"]["new"]), "no purchases the year before: no growth figure"
    assert (potential["industry"]["new"], potential["size"]["new"], potential["wallet"]["new"]) == (100, 50, 0)
    result = evaluate(customers)
    assert result.loc["new", "score_potential"] == 50  # (100 + 50 + 0) / 3
    assert result.loc["doubled", "score_potential"] == 100
    assert result.loc["unknown", "score_potential"] == 50, "nothing known: neutral"
    assert result.loc["halved", "growth_rate"] == -50


def test_difficulty_from_cost_payment_decision_and_chain(frame):
    customers = frame(
        quiet={"interactions_12m": 0, "days_late": 0.0, "invoices_due": 4, "decision_days": 0.0},
        busy={"interactions_12m": 8, "days_late": 30.0, "invoices_due": 2, "decision_days": 15.0, "rating_chain": 5},
        slow={"interactions_12m": 4, "days_late": 90.0, "invoices_due": 1, "decision_days": 75.0, "rating_chain": 1},
        unpaid={"interactions_12m": 2, "invoices_due": 0, "orders_12m": 0, "amount_12m": 0, "decision_days": np.nan},
    )
    result = evaluate(customers)
    # cost to serve: interactions per 10,000 of 40,000 of sales; none without sales
    assert list(result["cost_to_serve"][:3]) == [0, 2, 1]
    assert np.isnan(result.loc["unpaid", "cost_to_serve"])
    difficulty = components(customers)["difficulty"]
    assert list(difficulty["cost"][:3]) == [pytest.approx(500 / 6), pytest.approx(100 / 6), 50]
    assert list(difficulty["payment"][:3]) == [100, 50, 0]
    assert list(difficulty["decision"][:3]) == [100, 75, 0]
    assert list(difficulty["chain"][1:3]) == [0, 100]
    # quiet: (83.3 + 100 + 100) / 3 = 94.4; busy: (16.7 + 50 + 75 + 0) / 4 = 35.4
    assert list(result["score_difficulty"]) == [94, 35, 38, 50]


def test_stickiness_from_years_contacts_and_repurchase(frame):
    customers = frame(
        old={"days_since_first": 5 * 365, "contacts": 6, "quarters_24m": 8},
        young={"days_since_first": 365, "contacts": 1, "quarters_24m": 4, "span_24m": 300},
        # first ordered 100 days ago: 2 quarters so far, ordered in 1 of them
        new={"days_since_first": 100, "contacts": 2, "quarters_24m": 1},
    )
    result = evaluate(customers)
    assert list(result["repurchase_rate"]) == [100, 80, 50]  # young: 4 of 5 quarters so far
    stickiness = components(customers)["stickiness"]
    assert list(stickiness["years"]) == [100, 20, pytest.approx(100 * 100 / 365 / 5)]
    assert list(stickiness["contacts"]) == [100, 25, 50]
    # young: (20 + 25 + 80) / 3 = 41.7; new: (5.5 + 50 + 50) / 3 = 35.2
    assert list(result["score_stickiness"]) == [100, 42, 35]


def test_composite_is_the_weighted_sum_of_the_rounded_dimensions(frame):
    customers = frame(
        a={"amount_12m": 10_000, "rating_industry": 5, "contacts": 4},
        b={"amount_12m": 30_000, "rating_chain": 5},
    )
    result = evaluate(customers)
    for weights in ((40, 25, 15, 20), (25, 25, 25, 25), (100, 0, 0, 0)):
        result = evaluate(customers, weights=weights)
        dims = result[[f"score_{name}" for name in scoring.DIMENSIONS]]
        expected = np.floor((dims * weights).sum(axis=1) / 100 + 0.5)
        assert list(result["tiering_score"]) == list(expected)
    assert list(evaluate(customers, weights=(100, 0, 0, 0))["tiering_score"]) == list(result["score_current"])


def test_known_customer_end_to_end(frame):
    one = frame(
        solo={
            "amount_12m": 50_000,
            "amount_prev_12m": 40_000,
            "margin_12m": 15_000,
            "orders_12m": 5,
            "days_since_first": 800,
            "contacts": 2,
            "days_late": 10.0,
            "invoices_due": 3,
            "decision_days": 3.0,
            "interactions_12m": 5,
            "rating_industry": 4,
            "rating_chain": 2,
        }
    )
    result = evaluate(one).loc["solo"]
    assert result["score_current"] == 50  # the company's only customer: the median
    assert result["score_potential"] == 69  # growth 62.5, industry 75
    assert result["score_difficulty"] == 76  # cost 50, payment 83.3, decision 95, chain 75
    assert result["score_stickiness"] == 65  # years 43.8, contacts 50, repurchase 100
    assert result["tiering_score"] == 62  # 20 + 17.25 + 11.4 + 13 = 61.65
    assert result["service_cost"] == 100.0  # 5 interactions at the default 20
    assert result["net_margin"] == 14_900.0


def test_margin_after_service_cost_at_the_company_cost(frame):
    customers = frame(
        busy={"amount_12m": 10_000, "margin_12m": 1_000, "orders_12m": 1, "interactions_12m": 40},
        quiet={"amount_12m": 10_000, "margin_12m": 1_000, "orders_12m": 1, "interactions_12m": 0},
    )
    result = evaluate(customers, service_cost=matrix.ServiceCost(cost_per_interaction=50))
    assert result.loc["busy", "service_cost"] == 2_000.0
    assert result.loc["busy", "net_margin"] == -1_000.0  # costs more to serve than it earns
    assert result.loc["quiet", "net_margin"] == 1_000.0


@pytest.mark.parametrize(
    ("weights", "code"),
    [((40, 25, 15, 19), "total"), ((50, 50, 50, -50), "negative"), ((50, 50), "count"), ((40, 25, 15, 21), "total")],
)
def test_weights_must_be_whole_positive_and_total_100(weights, code):
    with pytest.raises(ScoringConfigError) as caught:
        check_weights(weights)
    assert caught.value.code == code


def test_default_weights_are_valid():
    check_weights(scoring.DEFAULT_WEIGHTS)
    check_weights((0, 0, 0, 100))


def test_empty_frame_evaluates_to_nothing():
    result = scoring.evaluate(pd.DataFrame(columns=scoring.INPUT_COLUMNS), ScoringConfig(), TODAY)
    assert result.empty
    assert {"tiering_score", "value_class", "health", "rfm_segment", "warn_dormant"} <= set(result.columns)
