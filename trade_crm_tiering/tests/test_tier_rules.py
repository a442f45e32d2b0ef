import numpy as np
import pandas as pd
import pytest

from trade_crm_tiering.tier_rules import (
    INPUT_COLUMNS,
    LABEL_KEYS,
    Rule,
    TierRuleError,
    check_rules,
    evaluate,
    explain,
    matches,
    months_to_days,
    needs_approval,
    rule_numbers,
)

TIERS = ("A", "B", "C", "D")
# seed 004: inquiry within 3 months, order within 6 months and amount over a threshold: A
A_ACTIVE = Rule("A", inquiry_months=3, order_months=6, min_amount=50_000, name="active buyer")
B_INQUIRING = Rule("B", inquiry_months=3, stages=("potential", "intent"), name="inquiring prospect")

ENGLISH = {
    "score_min": "score at least %(min)s",
    "score_max": "score at most %(max)s",
    "score_between": "score %(min)s to %(max)s",
    "stages": "stage %(stages)s",
    "inquiry": "inquiry within %(months)s months",
    "order": "order within %(months)s months",
    "amount": "amount at least %(amount)s",
    "tags_any": "tagged %(tags)s",
    "tags_all": "tagged all of %(tags)s",
    "and": " and ",
    "separator": ", ",
}
CHINESE = {
    "score_min": "评分不低于%(min)s",
    "score_max": "评分不高于%(max)s",
    "score_between": "评分%(min)s至%(max)s",
    "stages": "客户状态为%(stages)s",
    "inquiry": "%(months)s个月内有询盘",
    "order": "%(months)s个月内有成交",
    "amount": "年采购金额不低于%(amount)s",
    "tags_any": "带有标签%(tags)s之一",
    "tags_all": "带有全部标签%(tags)s",
    "and": "且",
    "separator": "、",
}


def customers(**rows):
    """Customers by id with every input; unspecified: score 50, deal, never inquired or ordered, 0."""
    base = {"score": 50.0, "stage": "deal", "days_since_inquiry": np.nan, "days_since_order": np.nan, "amount": 0.0}
    return pd.DataFrame.from_dict({key: {**base, **values} for key, values in rows.items()}, orient="index")


def star_tiers(frame, tier="C"):
    return pd.Series(tier, index=frame.index, dtype="object")


def test_months_are_365_12ths_of_a_year_in_whole_days():
    assert [months_to_days(m) for m in (1, 3, 6, 12, 24)] == [30, 91, 182, 365, 730]


def test_seed_004_rule_places_active_buyers_in_a():
    frame = customers(
        active={"days_since_inquiry": 20, "days_since_order": 100, "amount": 60_000},
        edge={"days_since_inquiry": 91, "days_since_order": 182, "amount": 50_000},  # all on the boundaries
        late_inquiry={"days_since_inquiry": 92, "days_since_order": 100, "amount": 60_000},
        old_order={"days_since_inquiry": 20, "days_since_order": 183, "amount": 60_000},
        small={"days_since_inquiry": 20, "days_since_order": 100, "amount": 49_999.99},
        never={"amount": 90_000},
    )
    result = evaluate(frame, [A_ACTIVE], star_tiers(frame))
    assert result["tier"].to_dict() == {
        "active": "A",
        "edge": "A",
        "late_inquiry": "C",
        "old_order": "C",
        "small": "C",
        "never": "C",
    }
    assert result.loc["active", "rule"] == 0
    assert result.loc["active", "rule_number"] == 1
    assert result.loc["never", "rule"] is pd.NA
    assert result.loc["never", "rule_number"] is pd.NA


def test_first_matching_rule_wins_and_numbers_count_within_a_tier():
    rules = [
        Rule("A", min_score=80, name="top score"),
        A_ACTIVE,
        B_INQUIRING,
        Rule("A", tags_any=("vip",), name="flagged"),
    ]
    frame = customers(
        both={"score": 90, "days_since_inquiry": 10, "days_since_order": 10, "amount": 80_000},
        second={"score": 10, "days_since_inquiry": 10, "days_since_order": 10, "amount": 80_000},
        prospect={"stage": "intent", "days_since_inquiry": 5},
        flagged={"score": 10},
        nothing={"score": 10},
    )
    tags = pd.DataFrame({"customer": ["flagged", "prospect"], "tag": ["vip", "vip"]})
    result = evaluate(frame, rules, star_tiers(frame, "D"), tags)
    assert result["tier"].to_dict() == {"both": "A", "second": "A", "prospect": "B", "flagged": "A", "nothing": "D"}
    assert result["rule"].astype(object).where(result["rule"].notna(), None).to_dict() == {
        "both": 0,
        "second": 1,
        "prospect": 2,
        "flagged": 3,
        "nothing": None,
    }
    assert result.loc["flagged", "rule_number"] == 3  # the third rule for A
    assert result.loc["prospect", "rule_number"] == 1
    assert rule_numbers(rules) == [1, 2, 1, 3]


def test_score_bounds_are_inclusive_and_unknown_scores_fail():
    frame = customers(low={"score": 40}, mid={"score": 55}, high={"score": 70}, out={"score": 71}, nan={"score": None})
    result = matches(frame, Rule("B", min_score=40, max_score=70))
    assert result.tolist() == [True, True, True, False, False]
    assert matches(frame, Rule("B", max_score=40)).tolist() == [True, False, False, False, False]


def test_stage_condition():
    frame = customers(p={"stage": "potential"}, d={"stage": "deal"}, x={"stage": None})
    assert matches(frame, Rule("D", stages=("potential", "intent"))).tolist() == [True, False, False]


def test_amount_missing_reads_as_zero():
    frame = customers(none={"amount": None}, some={"amount": 10.0})
    assert matches(frame, Rule("D", min_amount=0)).tolist() == [True, True]
    assert matches(frame, Rule("D", min_amount=10)).tolist() == [False, True]


def test_tags_any_and_all():
    frame = customers(ab={}, a={}, none={}, abc={})
    tags = pd.DataFrame(
        {"customer": ["ab", "ab", "a", "abc", "abc", "abc", "ab"], "tag": [1, 2, 1, 1, 2, 3, 2]}  # "ab" has 2 twice
    )
    assert matches(frame, Rule("A", tags_any=(2, 3)), tags).tolist() == [True, False, False, True]
    assert matches(frame, Rule("A", tags_all=(1, 2)), tags).tolist() == [True, False, False, True]
    assert matches(frame, Rule("A", tags_any=(3,), tags_all=(1, 2)), tags).tolist() == [False, False, False, True]
    assert not matches(frame, Rule("A", tags_any=(1,))).any()  # no tags given: nobody has any


def test_customers_no_rule_places_keep_their_star_tier_and_none_stays_none():
    frame = customers(a={}, b={})
    fallback = pd.Series({"a": "B", "b": None}, dtype="object")
    result = evaluate(frame, [Rule("A", min_score=99)], fallback)
    assert result["tier"].tolist() == ["B", None]


def test_no_rules_at_all_is_the_star_range():
    frame = customers(a={}, b={})
    result = evaluate(frame, [], pd.Series({"a": "C", "b": "D"}))
    assert result["tier"].tolist() == ["C", "D"]
    assert result["rule"].isna().all()


def test_evaluate_on_no_customers():
    result = evaluate(customers(a={}).iloc[:0], [A_ACTIVE], pd.Series(dtype="object"))
    assert result.empty
    assert list(result.columns) == ["tier", "rule", "rule_number"]


def test_missing_input_columns_read_as_unknown():
    frame = pd.DataFrame({"score": [90.0]}, index=[1])
    result = evaluate(frame, [A_ACTIVE, Rule("B", min_score=80)], pd.Series({1: "D"}))
    assert result.loc[1, "tier"] == "B"
    assert set(INPUT_COLUMNS) >= {"score", "stage", "amount"}


def test_evaluate_keeps_the_index_at_scale():
    count = 100_000
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "score": rng.integers(0, 101, count).astype(float),
            "stage": rng.choice(["potential", "intent", "deal", "lost"], count),
            "days_since_inquiry": rng.integers(0, 400, count).astype(float),
            "days_since_order": rng.integers(0, 800, count).astype(float),
            "amount": rng.integers(0, 200_000, count).astype(float),
        },
        index=np.arange(count) * 2 + 1,
    )
    rules = [A_ACTIVE, Rule("B", min_score=70), B_INQUIRING]
    result = evaluate(frame, rules, star_tiers(frame, "D"))
    assert result.index.equals(frame.index)
    expected_a = (frame.days_since_inquiry <= 91) & (frame.days_since_order <= 182) & (frame.amount >= 50_000)
    assert (result["tier"] == "A").sum() == expected_a.sum()
    assert (result.loc[~expected_a & (frame.score >= 70), "tier"] == "B").all()


# approval ---------------------------------------------------------------------------------------

RANKS = {"A": 1, "B": 2, "C": 3, "D": 4}


def test_moving_up_into_a_or_b_needs_approval():
    current = pd.Series({1: "C", 2: "B", 3: "A", 4: "D", 5: None, 6: "B", 7: "A"})
    proposed = pd.Series({1: "B", 2: "A", 3: "B", 4: "C", 5: "A", 6: "B", 7: "D"})
    result = needs_approval(current, proposed, RANKS, approval_tiers=("A", "B"))
    assert result.to_dict() == {1: True, 2: True, 3: False, 4: False, 5: True, 6: False, 7: False}


# validation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        (Rule("X", min_score=10), "unknown_tier"),
        (Rule("A"), "no_condition"),
        (Rule("A", stages=(), tags_any=()), "no_condition"),
        (Rule("A", min_score=-1), "score_range"),
        (Rule("A", max_score=101), "score_range"),
        (Rule("A", min_score=70, max_score=60), "score_order"),
        (Rule("A", stages=("deal", "won")), "unknown_stage"),
        (Rule("A", inquiry_months=0), "months"),
        (Rule("A", order_months=1.5), "months"),
        (Rule("A", order_months=True), "months"),
        (Rule("A", min_amount=-5), "amount"),
        (Rule("A", min_amount=float("nan")), "amount"),
    ],
)
def test_bad_rule(rule, code):
    with pytest.raises(TierRuleError) as caught:
        rule.check(TIERS)
    assert caught.value.code == code


def test_score_equal_bounds_and_zero_amount_are_fine():
    Rule("A", min_score=70, max_score=70).check(TIERS)
    Rule("A", min_amount=0).check(TIERS)


def test_check_rules_says_which_rule():
    rules = [A_ACTIVE, Rule("B", min_score=90, max_score=10, name="broken")]
    with pytest.raises(TierRuleError) as caught:
        check_rules(rules, TIERS)
    assert caught.value.code == "score_order"
    assert caught.value.params == {"min": 90, "max": 10, "position": 2, "name": "broken", "tier": "B"}
    check_rules([A_ACTIVE, B_INQUIRING], TIERS)
    check_rules([Rule("Z", min_score=1)])  # tiers unknown to the caller: not checked


# explanation ------------------------------------------------------------------------------------


def test_explain_in_english():
    assert explain(A_ACTIVE, ENGLISH) == (
        "inquiry within 3 months and order within 6 months and amount at least 50,000"
    )
    rule = Rule("B", min_score=60.0, max_score=80, stages=("potential", "intent"), tags_all=(7, 8))
    text = explain(rule, ENGLISH, stage_names={"potential": "Potential", "intent": "Intent"}, tag_names={7: "Europe"})
    assert text == "score 60 to 80 and stage Potential, Intent and tagged all of Europe, 8"


def test_explain_in_chinese_with_a_currency_format():
    rule = Rule("A", min_score=75.5, order_months=6, min_amount=50_000, tags_any=(1,))
    text = explain(
        rule,
        CHINESE,
        tag_names={1: "长期合作"},
        amount_text=lambda amount: f"${amount:,.2f}",
    )
    assert text == "评分不低于75.5且6个月内有成交且年采购金额不低于$50,000.00且带有标签长期合作之一"


def test_explain_single_bounds():
    assert explain(Rule("D", max_score=30), ENGLISH) == "score at most 30"
    assert explain(Rule("D", min_score=30), ENGLISH) == "score at least 30"


def test_every_label_key_is_used():
    rule = Rule(
        "A", min_score=1, stages=("deal",), inquiry_months=1, order_months=1, min_amount=1, tags_any=(1,), tags_all=(2,)
    )
    used = {key for key in LABEL_KEYS if key not in ("score_max", "score_between")}
    marked = {key: f"<{key}>" if key not in ("and", "separator") else ENGLISH[key] for key in LABEL_KEYS}
    text = explain(rule, marked)
    assert {key for key in used if f"<{key}>" in text} == used - {"and", "separator"}
