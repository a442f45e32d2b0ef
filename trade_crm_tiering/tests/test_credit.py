from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from trade_crm_tiering.credit import (
    DEFAULT_BANDS,
    FIGURE_COLUMNS,
    RATINGS,
    CreditConfigError,
    CreditMatrix,
    RatingBands,
    credit_limits,
    effective_rating,
    needs_credit_approval,
    overdue_share,
    payment_figures,
    suggest,
)

TODAY = date(2026, 6, 30)
NAT = pd.NaT


def invoices(*rows):
    """``(partner, amount, due, paid)`` rows; dates as ISO strings or NaT."""
    return pd.DataFrame(
        [
            {"partner_id": p, "amount": a, "due": pd.Timestamp(d), "paid": pd.Timestamp(x) if x else NAT}
            for p, a, d, x in rows
        ],
        columns=["partner_id", "amount", "due", "paid"],
    )


def figures(**customers):
    """Per-customer figures: ``name=(invoices, amount, late_invoices, late_amount, days_late)``."""
    columns = ("invoices", "amount", "late_invoices", "late_amount", "days_late")
    frame = pd.DataFrame.from_dict(
        {name: dict(zip(columns, values, strict=True)) for name, values in customers.items()}, orient="index"
    )
    frame["overdue_share"] = np.nan
    return frame


MATRIX = CreditMatrix(
    limits={
        "A": {"AAA": 500_000, "AA": 400_000, "A": 300_000, "BBB": 200_000, "BB": 100_000, "B": 50_000},
        "D": {"AAA": 50_000, "AA": 40_000, "A": 30_000, "BBB": 20_000, "BB": 10_000, "B": 0, "C": 0},
    }
)


# payment record ---------------------------------------------------------------------------------


def test_payment_figures_counts_late_days_and_overdue_amounts():
    frame = invoices(
        (1, 1000, "2026-05-01", "2026-04-20"),  # early: 0 days late
        (1, 3000, "2026-05-01", "2026-05-08"),  # 7 days: within the 7-day grace
        (1, 6000, "2026-05-01", "2026-05-09"),  # 8 days: overdue
        (2, 500, "2026-06-20", None),  # open, 10 days past due: overdue
    )
    result = payment_figures(frame, TODAY, grace_days=7)
    assert list(result.columns) == list(FIGURE_COLUMNS)
    assert result.loc[1].to_dict() == {
        "invoices": 3,
        "amount": 10_000.0,
        "late_invoices": 1,
        "late_amount": 6000.0,
        "days_late": 5.0,
        "overdue_share": 60.0,
    }
    assert result.loc[2, "days_late"] == 10.0
    assert result.loc[2, "overdue_share"] == 100.0


def test_payment_window_is_the_365_days_ending_today():
    frame = invoices(
        (1, 100, "2025-07-01", "2025-09-01"),  # due 364 days ago: counted
        (1, 100, "2025-06-30", "2025-09-01"),  # due 365 days ago: out
        (1, 100, "2026-06-30", None),  # due today, open: counted, 0 days late
        (1, 100, "2026-07-15", None),  # not yet due and open: says nothing yet
        (1, 100, "2026-07-15", "2026-06-01"),  # not yet due but already paid: counted
    )
    result = payment_figures(frame, TODAY)
    assert result.loc[1, "invoices"] == 3
    assert result.loc[1, "days_late"] == pytest.approx(62 / 3)


def test_payment_figures_of_no_invoice_is_an_empty_frame():
    result = payment_figures(invoices(), TODAY)
    assert result.empty
    assert list(result.columns) == list(FIGURE_COLUMNS)


def test_overdue_share_of_a_zero_amount_is_unknown():
    frame = figures(zero=(2, 0.0, 1, 0.0, 20.0))
    assert np.isnan(overdue_share(frame)["zero"])
    assert overdue_share(frame, basis="count")["zero"] == 50.0


# suggested rating -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_late", "share", "rating"),
    [
        (0, 0, "AAA"),
        (3, 5, "AAA"),  # on both ceilings: within them
        (3.01, 5, "AA"),
        (3, 5.01, "AA"),
        (15, 20, "A"),
        (16, 0, "BBB"),  # days alone pull it down
        (0, 31, "BB"),  # the share alone too
        (60, 60, "B"),
        (60.5, 0, "C"),
        (0, 61, "C"),
    ],
)
def test_best_rating_whose_ceilings_it_stays_within(days_late, share, rating):
    frame = figures(c=(10, 100.0, 1, share, days_late))
    assert suggest(frame)["c"] == rating


def test_no_rating_without_enough_history():
    frame = figures(two=(2, 100.0, 0, 0.0, 0.0), none=(0, 0.0, 0, 0.0, np.nan), three=(3, 100.0, 0, 0.0, 0.0))
    result = suggest(frame)
    assert result["two"] is None
    assert result["none"] is None
    assert result["three"] == "AAA"
    assert suggest(frame, RatingBands(min_invoices=1))["two"] == "AAA"


def test_customers_missing_from_the_aggregation_get_no_rating():
    frame = figures(paid=(5, 100.0, 0, 0.0, 0.0)).reindex(["paid", "never"])
    result = suggest(frame)
    assert (result["paid"], result["never"]) == ("AAA", None)


def test_count_basis_judges_the_share_of_invoices():
    # one big invoice late out of ten small ones: 10% of invoices, 90% of the amount
    frame = figures(c=(10, 1000.0, 1, 900.0, 2.0))
    assert suggest(frame)["c"] == "C"
    assert suggest(frame, RatingBands(basis="count"))["c"] == "AA"


def test_zero_invoiced_amount_is_judged_on_days_alone():
    frame = figures(c=(4, 0.0, 4, 0.0, 10.0))
    assert suggest(frame)["c"] == "A"


def test_suggest_on_an_empty_frame():
    result = suggest(figures(x=(1, 1.0, 0, 0.0, 0.0)).iloc[:0])
    assert result.empty


def test_suggest_from_invoices_end_to_end():
    rows = [(1, 100, "2026-03-01", "2026-03-01")] * 4 + [(2, 100, "2026-03-01", None)] * 4
    result = suggest(payment_figures(invoices(*rows), TODAY))
    assert result.to_dict() == {1: "AAA", 2: "C"}


def test_custom_bands():
    bands = RatingBands(bands=tuple((rating, days * 2, share) for rating, days, share in DEFAULT_BANDS))
    frame = figures(c=(10, 100.0, 0, 0.0, 6.0))
    assert suggest(frame)["c"] == "AA"
    assert suggest(frame, bands)["c"] == "AAA"


@pytest.mark.parametrize(
    ("bands", "code"),
    [
        (RatingBands(bands=DEFAULT_BANDS[:-1]), "band_ratings"),
        (RatingBands(bands=(DEFAULT_BANDS[1], DEFAULT_BANDS[0], *DEFAULT_BANDS[2:])), "band_ratings"),
        (RatingBands(bands=(("AAA", -1.0, 5.0), *DEFAULT_BANDS[1:])), "band_days"),
        (RatingBands(bands=(("AAA", np.nan, 5.0), *DEFAULT_BANDS[1:])), "band_days"),
        (RatingBands(bands=(("AAA", 3.0, 101.0), *DEFAULT_BANDS[1:])), "band_share"),
        (RatingBands(bands=(DEFAULT_BANDS[0], ("AA", 2.0, 10.0), *DEFAULT_BANDS[2:])), "not_monotone"),
        (RatingBands(bands=(DEFAULT_BANDS[0], ("AA", 7.0, 4.0), *DEFAULT_BANDS[2:])), "not_monotone"),
        (RatingBands(bands=(DEFAULT_BANDS[0], ("AA", 3.0, 5.0), *DEFAULT_BANDS[2:])), "unreachable"),
        (RatingBands(grace_days=-1), "grace_days"),
        (RatingBands(grace_days=1.5), "grace_days"),
        (RatingBands(basis="value"), "basis"),
        (RatingBands(min_invoices=0), "min_invoices"),
    ],
)
def test_bad_bands(bands, code):
    with pytest.raises(CreditConfigError) as caught:
        bands.check()
    assert caught.value.code == code


def test_not_monotone_names_both_bands():
    bands = RatingBands(bands=(DEFAULT_BANDS[0], ("AA", 2.0, 10.0), *DEFAULT_BANDS[2:]))
    with pytest.raises(CreditConfigError) as caught:
        bands.check()
    assert caught.value.params["rating"] == "AA"
    assert caught.value.params["previous_rating"] == "AAA"


def test_equal_ceiling_on_one_figure_is_allowed():
    RatingBands(bands=(DEFAULT_BANDS[0], ("AA", 3.0, 10.0), *DEFAULT_BANDS[2:])).check()


# rating in force --------------------------------------------------------------------------------


def test_override_wins_over_the_suggestion_and_false_means_unset():
    suggested = pd.Series({1: "AA", 2: "BB", 3: None, 4: "A"})
    override = pd.Series({1: "C", 2: False, 3: None, 4: ""})
    assert effective_rating(suggested, override).to_dict() == {1: "C", 2: "BB", 3: None, 4: "A"}


# credit limits ----------------------------------------------------------------------------------


def test_limit_by_tier_and_rating():
    result = credit_limits(pd.Series({1: "A", 2: "A", 3: "D"}), pd.Series({1: "AAA", 2: "BB", 3: "AA"}), MATRIX)
    assert result["limit"].to_dict() == {1: 500_000.0, 2: 100_000.0, 3: 40_000.0}
    assert not result["prepayment"].any()
    assert result["rating"].to_dict() == {1: "AAA", 2: "BB", 3: "AA"}


def test_rating_c_means_prepayment_in_every_tier():
    tiers = pd.Series({1: "A", 2: "D", 3: "X"})
    result = credit_limits(tiers, pd.Series({1: "C", 2: "C", 3: "C"}), MATRIX)
    assert result["limit"].tolist() == [0.0, 0.0, 0.0]
    assert result["prepayment"].all()


def test_unrated_customers_fall_back_to_the_company_default_or_a_named_rating():
    tiers = pd.Series({1: "A", 2: "A"})
    ratings = pd.Series({1: None, 2: False})
    default = credit_limits(tiers, ratings, MATRIX)
    assert default["limit"].isna().all()
    assert not default["prepayment"].any()
    assert default["rating"].tolist() == [None, None]
    as_b = credit_limits(tiers, ratings, replace(MATRIX, unrated="B"))
    assert as_b["limit"].tolist() == [50_000.0, 50_000.0]
    assert as_b["rating"].tolist() == ["B", "B"]
    as_c = credit_limits(tiers, ratings, replace(MATRIX, unrated="C"))
    assert as_c["prepayment"].all()


def test_tier_without_a_row_or_customer_without_a_tier_has_no_limit_of_its_own():
    result = credit_limits(pd.Series({1: "B", 2: None}), pd.Series({1: "AAA", 2: "AAA"}), MATRIX)
    assert result["limit"].isna().all()
    assert not result["prepayment"].any()


def test_limits_of_an_empty_matrix_and_of_no_customer():
    empty = credit_limits(pd.Series({1: "A"}), pd.Series({1: "A"}), CreditMatrix())
    assert np.isnan(empty.loc[1, "limit"])
    none = credit_limits(pd.Series(dtype="object"), pd.Series(dtype="object"), MATRIX)
    assert none.empty
    assert list(none.columns) == ["rating", "limit", "prepayment"]


def test_limits_at_100k_customers_keep_their_index():
    ids = np.arange(100_000) * 7
    tiers = pd.Series(np.where(ids % 2, "A", "D"), index=ids, dtype="object")
    ratings = pd.Series(np.array(RATINGS, dtype=object)[ids % 7], index=ids)
    result = credit_limits(tiers, ratings, MATRIX)
    assert result.index.equals(tiers.index)
    assert result.loc[7, "limit"] == MATRIX.limits["A"][RATINGS[0]]
    assert result.loc[14 * 6 + 42, "prepayment"] == (RATINGS[(14 * 6 + 42) % 7] == "C")


@pytest.mark.parametrize(
    ("limits", "unrated", "code"),
    [
        ({"A": {**MATRIX.limits["A"], "D": 10}}, "default", "unknown_rating"),
        ({"A": {"AAA": 10}}, "default", "missing_rating"),
        ({"A": {**MATRIX.limits["A"], "C": 1}}, "default", "c_not_zero"),
        ({"A": {**MATRIX.limits["A"], "BB": -1}}, "default", "limit_value"),
        ({"A": {**MATRIX.limits["A"], "BB": np.inf}}, "default", "limit_value"),
        ({"A": {**MATRIX.limits["A"], "BB": 600_000}}, "default", "limit_not_monotone"),
        ({}, "D", "unrated"),
    ],
)
def test_bad_matrix(limits, unrated, code):
    with pytest.raises(CreditConfigError) as caught:
        CreditMatrix(limits=limits, unrated=unrated).check()
    assert caught.value.code == code


# approval on confirmation -----------------------------------------------------------------------


def test_credit_approval_over_the_limit_or_for_prepayment_customers():
    limits = pd.DataFrame(
        {
            "limit": [100.0, 100.0, 0.0, np.nan, 0.0],
            "prepayment": [False, False, True, False, False],
        },
        index=["within", "over", "prepay", "no_limit", "zero_no_prepay"],
    )
    exposure = pd.Series({"within": 50.0, "over": 50.0, "prepay": 0.0, "no_limit": 1e9, "zero_no_prepay": 10.0})
    order = pd.Series({"within": 50.0, "over": 50.01, "prepay": 1.0, "no_limit": 1.0, "zero_no_prepay": 1.0})
    result = needs_credit_approval(limits, exposure, order)
    assert result.to_dict() == {
        "within": False,
        "over": True,
        "prepay": True,
        "no_limit": False,
        "zero_no_prepay": False,
    }


def test_prepayment_customer_with_a_zero_order_needs_nothing():
    limits = pd.DataFrame({"limit": [0.0], "prepayment": [True]}, index=[1])
    assert not needs_credit_approval(limits, pd.Series({1: 0.0}), pd.Series({1: 0.0}))[1]
