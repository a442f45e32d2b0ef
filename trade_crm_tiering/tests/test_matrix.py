import numpy as np
import pytest

from trade_crm_tiering.matrix import CLASSES, Cutoffs, MatrixConfigError, classify, cutoff_values

FIXED = Cutoffs(mode="fixed", amount=50_000, margin=20, effort=2)


@pytest.mark.parametrize(
    ("amount", "margin_rate", "cost", "expected"),
    [
        (80_000, 30, 1, "treasure"),
        (80_000, 30, 5, "demanding_star"),
        (80_000, 10, 1, "volume_base"),
        (80_000, 10, 5, "costly_giant"),
        (20_000, 30, 1, "hidden_gem"),
        (20_000, 30, 5, "costly_niche"),
        (20_000, 10, 1, "maintain"),
        (20_000, 10, 5, "let_go"),
        # on a cut-off: big and high margin; effort is high only above it
        (50_000, 20, 2, "treasure"),
    ],
)
def test_each_class_with_fixed_cutoffs(amount, margin_rate, cost, expected):
    interactions = cost * amount / 10_000
    assert list(classify([amount], [margin_rate], [interactions], [cost], FIXED)) == [expected]


def test_eight_distinct_classes():
    assert len(set(CLASSES.values())) == 8


def test_median_cutoffs_over_customers_with_sales():
    amount = [10_000, 20_000, 30_000, 40_000, 0]
    margin = [10, 40, 20, 30, np.nan]
    cost = [4, 3, 2, 1, np.nan]
    assert cutoff_values(amount, margin, cost, Cutoffs()) == (25_000, 25, 2.5)
    classes = classify(amount, margin, [4, 6, 6, 4, 0], cost, Cutoffs())
    assert list(classes) == ["let_go", "costly_niche", "volume_base", "treasure", "maintain"]


def test_customer_without_sales_is_small_low_margin():
    quiet, busy = classify([0, 0], [np.nan, np.nan], [0, 3], [np.nan, np.nan], FIXED)
    assert (quiet, busy) == ("maintain", "let_go")


def test_nobody_is_high_effort_when_the_median_is_zero():
    classes = classify([10_000, 20_000, 30_000], [20, 20, 20], [0, 0, 3], [0, 0, 1], Cutoffs())
    assert list(classes) == ["hidden_gem", "treasure", "demanding_star"]


@pytest.mark.parametrize(
    ("cutoffs", "code"),
    [
        (Cutoffs(mode="average"), "mode"),
        (Cutoffs(mode="fixed", amount=-1), "negative"),
        (Cutoffs(mode="fixed", effort=-0.5), "negative"),
        (Cutoffs(mode="fixed", margin=120), "margin_range"),
    ],
)
def test_bad_cutoffs(cutoffs, code):
    with pytest.raises(MatrixConfigError) as caught:
        cutoffs.check()
    assert caught.value.code == code
