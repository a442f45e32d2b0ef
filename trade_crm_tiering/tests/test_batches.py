"""Scoring a company's customers in batches, ranked against the whole population's figures,
gives what one pass over all of them gives (the nightly scoring action, #11.5)."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from trade_crm_tiering import scoring
from trade_crm_tiering.ranking import percentile, quintile
from trade_crm_tiering.scoring import ScoringConfig

TODAY = date(2026, 11, 23)


def _population(size=60, seed=3):
    """Customers with ties, zeros and missing figures in every column ``evaluate`` ranks or splits by."""
    rng = np.random.default_rng(seed)
    days_since_first = rng.integers(30, 2_000, size).astype("float64")
    frame = pd.DataFrame(
        {
            "orders": rng.integers(1, 30, size),
            "days_since_first": days_since_first,
            "days_since_last": np.minimum(rng.integers(0, 700, size), days_since_first),
            "orders_12m": rng.integers(0, 4, size),
            "orders_24m": rng.integers(0, 6, size),
            "amount_6m": rng.choice([0.0, 500.0, 1_000.0, 2_500.5], size),
            "amount_prev_6m": rng.choice([0.0, 1_000.0, 3_000.0], size),
            "amount_12m": rng.choice([0.0, 1_000.0, 2_000.0, 2_000.0, 7_300.25, 15_000.0], size),
            "amount_prev_12m": rng.choice([np.nan, 0.0, 1_000.0, 9_000.0], size),
            "margin_12m": rng.choice([0.0, -50.0, 300.0, 300.0, 1_200.0], size),
            "decision_days": rng.choice([np.nan, 1.0, 12.5], size),
            "order_days_24m": rng.integers(0, 6, size),
            "span_24m": rng.choice([np.nan, 100.0, 400.0], size),
            "quarters_24m": rng.integers(0, 9, size),
            "interactions_12m": rng.choice([0.0, 1.0, 3.0, 3.0], size),
            "days_late": rng.choice([np.nan, 0.0, 20.0], size),
            "invoices_due": rng.integers(0, 3, size),
            "contacts": rng.integers(0, 5, size),
            "inquiries_3m": rng.integers(0, 3, size),
            "inquiries_prev_3m": rng.integers(0, 6, size),
        },
        index=pd.Index(range(100, 100 + size), name="partner_id"),
    )
    return frame


@pytest.mark.parametrize("higher_is_better", [True, False])
def test_percentile_and_quintile_against_a_reference_equal_the_whole(higher_is_better):
    values = pd.Series([5.0, np.nan, 1.0, 5.0, 3.0, 3.0, 3.0, 9.0, np.nan, 0.5])
    reference = np.sort(values.dropna().to_numpy())
    whole_p = percentile(values, higher_is_better)
    whole_q = quintile(values, higher_is_better)
    for part in (values.iloc[:3], values.iloc[3:7], values.iloc[7:]):
        pd.testing.assert_series_equal(percentile(part, higher_is_better, reference), whole_p.loc[part.index])
        pd.testing.assert_series_equal(quintile(part, higher_is_better, reference), whole_q.loc[part.index])


@pytest.mark.parametrize("mode", ["median", "fixed"])
def test_evaluate_in_batches_equals_one_pass(mode):
    frame = _population()
    config = ScoringConfig(cutoffs=scoring.matrix.Cutoffs(mode=mode, amount=2_000, margin=10, effort=1))
    whole = scoring.evaluate(frame, config, TODAY)
    basis = scoring.ranking_basis(frame, config)
    batches = [scoring.evaluate(frame.iloc[start : start + 7], config, TODAY, basis) for start in range(0, 60, 7)]
    pd.testing.assert_frame_equal(pd.concat(batches), whole)
