import pytest

from trade_crm_tiering.rfm import SEGMENTS, rfm_scores, segment


@pytest.mark.parametrize(
    ("r", "f", "m", "expected"),
    [
        (5, 5, 5, "champions"),
        (4, 4, 4, "champions"),
        (4, 3, 4, "loyal"),  # FM 3.5
        (3, 5, 5, "loyal"),
        (5, 1, 2, "promising"),
        (4, 2, 3, "promising"),  # FM 2.5
        (3, 2, 2, "need_attention"),
        (2, 5, 5, "at_risk"),
        (1, 3, 3, "at_risk"),
        (2, 2, 2, "hibernating"),
        (1, 1, 2, "lost"),
    ],
)
def test_segment_rules(r, f, m, expected):
    assert segment(r, f, m) == expected


def test_every_segment_is_reachable():
    reached = {segment(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)}
    assert reached == set(SEGMENTS)


def test_five_customers_spread_over_the_quintiles():
    scores = rfm_scores([10, 40, 100, 200, 400], [12, 8, 5, 3, 1], [90_000, 50_000, 20_000, 10_000, 1_000])
    assert list(scores["rfm_recency"]) == [5, 4, 3, 2, 1]
    assert list(scores["rfm_frequency"]) == [5, 4, 3, 2, 1]
    assert list(scores["rfm_monetary"]) == [5, 4, 3, 2, 1]
    assert list(scores["rfm_segment"]) == ["champions", "champions", "loyal", "hibernating", "lost"]
    assert list(scores["rfm_score"]) == ["555", "444", "333", "222", "111"]


def test_ties_share_their_scores():
    scores = rfm_scores([30, 30, 30, 300], [4, 4, 1, 1], [5_000, 5_000, 5_000, 5_000])
    assert scores["rfm_recency"][0] == scores["rfm_recency"][1] == scores["rfm_recency"][2]
    assert scores["rfm_frequency"][0] == scores["rfm_frequency"][1]
    assert scores["rfm_frequency"][2] == scores["rfm_frequency"][3]
    assert set(scores["rfm_monetary"]) == {3}, "all equal: the middle quintile"


def test_a_single_customer_is_in_the_middle():
    scores = rfm_scores([12], [3], [40_000])
    assert scores.iloc[0].to_dict() == {
        "rfm_recency": 3,
        "rfm_frequency": 3,
        "rfm_monetary": 3,
        "rfm_segment": "loyal",
        "rfm_score": "333",
    }


def test_no_customers():
    assert rfm_scores([], [], []).empty
