import numpy as np
import pandas as pd
import pytest

from trade_crm_tiering.matrix import (
    ADVICE,
    ADVICE_KEYS,
    CLASSES,
    Consequence,
    Consequences,
    Cutoffs,
    MatrixConfigError,
    ServiceCost,
    advice,
    classify,
    consequences,
    cutoff_values,
    service_costing,
)

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


# seed 002's advice ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("big", "high_margin", "high_effort", "expected"),
    [
        (True, False, True, "consider_dropping"),  # 订单金额大、利润率低、事情多 = 酌情舍弃
        (True, False, False, "keep_if_affordable"),  # 资金占用大,量力而为,酌情保留
        (True, True, True, "worth_the_trouble"),  # 看在钱的份上,麻烦也要服务好
        (True, True, False, "keep_investing"),  # 宝贝客户,警惕不要懈怠,持续加码
        (False, True, True, "consider_dropping"),  # 订单金额小、利润率高、事情多 = 酌情舍弃
        (False, True, False, "fast_cash_flow"),  # 真金白银,快速现金流
        (False, False, True, "drop"),  # 舍弃,做更重要的事
        (False, False, False, "drop"),  # 舍弃,做更重要的事
    ],
)
def test_advice_follows_seed_002(big, high_margin, high_effort, expected):
    value_class = CLASSES[(big, high_margin, high_effort)]
    assert ADVICE[value_class] == expected
    assert list(advice([value_class])) == [expected]


def test_every_class_has_advice_and_every_advice_a_class():
    assert set(ADVICE) == set(CLASSES.values())
    assert set(ADVICE.values()) == set(ADVICE_KEYS)


def test_advice_of_unknown_or_missing_classes_is_none():
    result = advice(pd.Series({1: "treasure", 2: None, 3: False, 4: "nonsense"}))
    assert result.to_dict() == {1: "keep_investing", 2: None, 3: None, 4: None}


# consequences -----------------------------------------------------------------------------------


def test_consequences_are_off_by_default():
    result = consequences(list(CLASSES.values()), Consequences())
    assert set(result["action"]) == {"none"}
    assert result["tier"].isna().all()


def test_consequences_per_class():
    config = Consequences(
        by_class={
            "costly_giant": Consequence("tier_change", "C"),
            "let_go": Consequence("release_to_pool"),
            "maintain": Consequence("none"),
        }
    )
    classes = pd.Series({1: "costly_giant", 2: "let_go", 3: "maintain", 4: "treasure", 5: None})
    result = consequences(classes, config)
    assert result["action"].to_dict() == {1: "tier_change", 2: "release_to_pool", 3: "none", 4: "none", 5: "none"}
    assert result["tier"].to_dict() == {1: "C", 2: None, 3: None, 4: None, 5: None}


def test_tier_change_to_the_current_tier_proposes_nothing():
    config = Consequences(by_class={"costly_giant": Consequence("tier_change", "C")})
    classes = pd.Series({1: "costly_giant", 2: "costly_giant"})
    result = consequences(classes, config, current_tiers=pd.Series({1: "C", 2: "B"}))
    assert result["action"].to_dict() == {1: "none", 2: "tier_change"}
    assert result["tier"].to_dict() == {1: None, 2: "C"}


def test_consequences_of_no_customer():
    result = consequences(pd.Series(dtype="object"), Consequences())
    assert result.empty
    assert list(result.columns) == ["action", "tier"]


@pytest.mark.parametrize(
    ("by_class", "code"),
    [
        ({"unicorn": Consequence("release_to_pool")}, "value_class"),
        ({"let_go": Consequence("delete")}, "action"),
        ({"let_go": Consequence("tier_change")}, "tier_missing"),
        ({"let_go": Consequence("tier_change", "Z")}, "tier_unknown"),
        ({"let_go": Consequence("release_to_pool", "C")}, "tier_unused"),
    ],
)
def test_bad_consequences(by_class, code):
    with pytest.raises(MatrixConfigError) as caught:
        Consequences(by_class=by_class).check(tiers=("A", "B", "C", "D"))
    assert caught.value.code == code


# activity-based costing -------------------------------------------------------------------------


def test_margin_after_service_cost():
    result = service_costing(
        amount=pd.Series({1: 100_000.0, 2: 10_000.0, 3: 0.0}),
        margin=pd.Series({1: 10_000.0, 2: 3_000.0, 3: 0.0}),
        interactions=pd.Series({1: 50, 2: 200, 3: 4}),
        config=ServiceCost(cost_per_interaction=20),
    )
    assert result.loc[1].to_dict() == {
        "nominal_margin": 10_000.0,
        "service_cost": 1_000.0,
        "net_margin": 9_000.0,
        "nominal_rate": 10.0,
        "net_rate": 9.0,
    }
    # the small, busy customer earns less than it costs
    assert result.loc[2, "net_margin"] == -1_000.0
    assert result.loc[2, "net_rate"] == -10.0
    # without sales: no rates, the time it took is a loss
    assert result.loc[3, "net_margin"] == -80.0
    assert np.isnan(result.loc[3, "nominal_rate"])
    assert np.isnan(result.loc[3, "net_rate"])


def test_service_costing_reads_missing_figures_as_zero():
    result = service_costing([50_000.0, np.nan], [np.nan, 100.0], [np.nan, 1])
    assert result["service_cost"].tolist() == [0.0, 20.0]
    assert result["nominal_margin"].tolist() == [0.0, 100.0]
    assert result["net_margin"].tolist() == [0.0, 80.0]


def test_free_interactions_leave_the_margin_as_it_is():
    result = service_costing([1000.0], [200.0], [30], ServiceCost(cost_per_interaction=0))
    assert result.loc[0, "net_margin"] == result.loc[0, "nominal_margin"] == 200.0


@pytest.mark.parametrize("value", [-1, float("nan"), float("inf"), None])
def test_bad_cost_per_interaction(value):
    with pytest.raises(MatrixConfigError) as caught:
        ServiceCost(cost_per_interaction=value).check()
    assert caught.value.code == "cost_per_interaction"
