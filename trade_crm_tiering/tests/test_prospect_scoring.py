import numpy as np
import pandas as pd
import pytest

from trade_crm_tiering import scoring
from trade_crm_tiering.matrix import Cutoffs
from trade_crm_tiering.scoring import ScoringConfig

THRESHOLDS = (20_000.0, 50_000.0, 300_000.0, 1_000_000.0, 2_000_000.0)
STAGES = 4  # New, Qualified, Proposition, and one more open stage


def frame(**columns):
    return pd.DataFrame(columns, index=pd.Index(range(1, len(next(iter(columns.values()))) + 1), name="partner_id"))


def test_potential_is_the_mean_of_ratings_revenue_probability_and_stage():
    prospects = frame(
        lead_revenue=[300_000.0],  # 3 stars -> 60
        probability=[40.0],  # 40
        pipeline_position=[3.0],  # an opportunity in the 3rd open stage: 3 / 6 -> 50
        rating_industry=[5.0],  # 100
        rating_size=[3.0],  # 50
        rating_wallet=[np.nan],  # left out
    )
    components = scoring.prospect_components(prospects, THRESHOLDS, STAGES)
    assert components["revenue"].tolist() == [60.0]
    assert components["stage"].tolist() == [50.0]
    # (100 + 50 + 60 + 40 + 50) / 5 = 60
    assert scoring.prospect_potential(prospects, THRESHOLDS, STAGES).tolist() == [60.0]


def test_pipeline_ends_with_the_sent_quotation():
    prospects = frame(pipeline_position=[0.0, 1.0, 5.0, 6.0, 9.0])
    stage = scoring.prospect_components(prospects, THRESHOLDS, STAGES)["stage"]
    assert stage.round(1).tolist() == [0.0, 16.7, 83.3, 100.0, 100.0]


def test_missing_lead_data_is_left_out_and_nothing_known_is_neutral():
    prospects = frame(
        lead_revenue=[0.0, np.nan, np.nan],
        quoted=[np.nan, 0.0, 10_000.0],
        probability=[np.nan, np.nan, np.nan],
        pipeline_position=[np.nan, np.nan, np.nan],
    )
    components = scoring.prospect_components(prospects, THRESHOLDS, STAGES)
    assert components["revenue"].isna().tolist() == [True, True, False]
    # an expected revenue below the first threshold is worth 0 stars
    assert components["revenue"].iloc[2] == 0.0
    assert scoring.prospect_potential(prospects, THRESHOLDS, STAGES).tolist() == [50.0, 50.0, 0.0]


def test_revenue_on_a_threshold_gets_its_star():
    prospects = frame(lead_revenue=[19_999.0, 20_000.0, 2_000_000.0, 9e9])
    revenue = scoring.prospect_components(prospects, THRESHOLDS, STAGES)["revenue"]
    assert revenue.tolist() == [0.0, 20.0, 100.0, 100.0]


def test_evaluate_prospects_scores_and_places_them_in_the_matrix():
    prospects = frame(
        lead_revenue=[500_000.0, np.nan],
        lead_weighted=[250_000.0, np.nan],
        quoted=[100_000.0, 5_000.0],
        probability=[50.0, 10.0],
        pipeline_position=[6.0, 0.0],
        interactions_12m=[0.0, 3.0],
        contacts=[2.0, 0.0],
        rating_chain=[1.0, np.nan],
    )
    config = ScoringConfig(weights=(40, 30, 10, 20))
    result = scoring.evaluate_prospects(prospects, config, THRESHOLDS, STAGES, (100_000.0, 20.0, 5.0))
    first, second = result.loc[1], result.loc[2]
    # potential: revenue 3 stars -> 60, probability 50, stage 100 -> 70
    assert (first.score_current, first.score_potential, first.score_difficulty, first.score_stickiness) == (
        0,
        70,
        100,
        50,
    )
    # 0 x 0.4 + 70 x 0.3 + 100 x 0.1 + 50 x 0.2 = 41
    assert first.tiering_score == 41
    assert first.value_class == "volume_base", "big expected revenue, no margin known, no effort"
    # potential: revenue 0 stars -> 0, probability 10, stage 0 -> 3.3
    assert (second.score_potential, second.score_difficulty, second.score_stickiness) == (3, 50, 0)
    assert second.value_class == "let_go", "small, and 3 interactions for 500 of weighted revenue"


def test_prospects_follow_the_weights_check():
    with pytest.raises(scoring.ScoringConfigError):
        scoring.evaluate_prospects(
            frame(lead_revenue=[1.0]), ScoringConfig(weights=(50, 50, 10, 0)), THRESHOLDS, STAGES, (0, 0, 0)
        )


def test_expected_and_weighted_revenue():
    prospects = frame(
        lead_revenue=[10_000.0, 10_000.0, np.nan, np.nan],
        lead_weighted=[5_000.0, 1_000.0, np.nan, np.nan],
        quoted=[np.nan, 20_000.0, 8_000.0, np.nan],
        probability=[50.0, 10.0, np.nan, np.nan],
    )
    expected, weighted = scoring.prospect_revenue(prospects)
    assert expected.tolist() == [10_000.0, 20_000.0, 8_000.0, 0.0]
    # a quotation counts at the best probability of the leads, in full without leads
    assert weighted.tolist() == [5_000.0, 2_000.0, 8_000.0, 0.0]


def test_fixed_cutoffs_place_prospects():
    prospects = frame(quoted=[1_000.0], interactions_12m=[0.0])
    config = ScoringConfig(cutoffs=Cutoffs(mode="fixed", amount=500.0, margin=10.0, effort=1.0))
    result = scoring.evaluate_prospects(prospects, config, THRESHOLDS, STAGES, None)
    assert result.value_class.tolist() == ["volume_base"]
