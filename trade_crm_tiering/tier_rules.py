"""Service tiers from rules: ordered conditions, first match wins, star ranges for the rest.

Besides "tier by star range", a company may place customers with rules. A rule names a tier and
a conjunction of conditions, each optional:

- score: the composite ``tiering_score`` (0-100) at least ``min_score`` and at most ``max_score``;
- lifecycle stage: one of ``stages``;
- last inquiry within ``inquiry_months`` months, last confirmed order within ``order_months``
  months (a month is 365/12 days, rounded to whole days, as for dormancy; a customer that never
  inquired or ordered fails the condition);
- amount: the annual purchase amount, in the grading currency, at least ``min_amount`` (no
  purchases: 0);
- tags: at least one of ``tags_any``, and every one of ``tags_all``.

Rules are tried in the order given (the company orders them); the first rule whose conditions a
customer meets places it, and a customer no rule places gets its star-range tier. A rule without
any condition is refused: it would place everyone, which is what the star ranges already do.
Each placed customer knows its rule, so the form can say "Tier A: rule 2, inquiry within 3
months and order within 6 months and amount at least 50,000" (``explain``).
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .profile import LIFECYCLE_STAGES

MONTH_DAYS = 365 / 12
SCORE_RANGE = (0, 100)
INPUT_COLUMNS = ("score", "stage", "days_since_inquiry", "days_since_order", "amount")
LABEL_KEYS = (
    "score_min",
    "score_max",
    "score_between",
    "stages",
    "inquiry",
    "order",
    "amount",
    "tags_any",
    "tags_all",
    "and",
    "separator",
)


class TierRuleError(ValueError):
    """A tier rule is invalid. ``code`` names the problem, ``params`` fill its message."""

    def __init__(self, code, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params


def months_to_days(months):
    """Whole days in ``months`` months (3 -> 91, 6 -> 182, 12 -> 365)."""
    return round(months * MONTH_DAYS)


@dataclass(frozen=True)
class Rule:
    """One rule: the tier it places customers in and its conditions (None or () when unused)."""

    tier: str
    min_score: float | None = None
    max_score: float | None = None
    stages: tuple = ()
    inquiry_months: int | None = None
    order_months: int | None = None
    min_amount: float | None = None
    tags_any: tuple = ()
    tags_all: tuple = ()
    name: str = ""

    def has_condition(self):
        bounds = (self.min_score, self.max_score, self.inquiry_months, self.order_months, self.min_amount)
        return any(value is not None for value in bounds) or bool(self.stages or self.tags_any or self.tags_all)

    def check(self, tiers=None, stages=LIFECYCLE_STAGES):
        """Raise TierRuleError unless the rule is usable; ``tiers``: the known tier codes."""
        if tiers is not None and self.tier not in tiers:
            raise TierRuleError("unknown_tier", tier=self.tier)
        if not self.has_condition():
            raise TierRuleError("no_condition")
        low, high = SCORE_RANGE
        for bound in ("min_score", "max_score"):
            value = getattr(self, bound)
            if value is not None and not low <= value <= high:
                raise TierRuleError("score_range", bound=bound, value=value, low=low, high=high)
        if self.min_score is not None and self.max_score is not None and self.min_score > self.max_score:
            raise TierRuleError("score_order", min=self.min_score, max=self.max_score)
        unknown = [stage for stage in self.stages if stage not in stages]
        if unknown:
            raise TierRuleError("unknown_stage", stage=unknown[0])
        for field_name in ("inquiry_months", "order_months"):
            value = getattr(self, field_name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise TierRuleError("months", field=field_name, value=value)
        if self.min_amount is not None and not (np.isfinite(self.min_amount) and self.min_amount >= 0):
            raise TierRuleError("amount", value=self.min_amount)


def check_rules(rules, tiers=None, stages=LIFECYCLE_STAGES):
    """Check every rule; the error's params also give the rule's ``position`` (1-based) and ``name``."""
    for position, rule in enumerate(rules, start=1):
        try:
            rule.check(tiers, stages)
        except TierRuleError as error:
            error.params.update(position=position, name=rule.name, tier=rule.tier)
            raise


def rule_numbers(rules):
    """The number of each rule within its tier (1-based), in the order given: "Tier A: rule 2"."""
    seen = {}
    numbers = []
    for rule in rules:
        seen[rule.tier] = seen.get(rule.tier, 0) + 1
        numbers.append(seen[rule.tier])
    return numbers


def _tagged(index, tags, wanted, every):
    """Whether each customer of ``index`` has any (``every`` False) or all of the ``wanted`` tags."""
    wanted = set(wanted)
    pairs = tags[tags["tag"].isin(wanted)]
    if every:
        counts = pairs.drop_duplicates(["customer", "tag"]).groupby("customer").size()
        return index.isin(counts.index[counts.to_numpy() == len(wanted)])
    return index.isin(pairs["customer"].unique())


def matches(customers, rule, tags=None):
    """Whether each customer meets every condition of ``rule`` (a bool numpy array).

    ``customers``: see ``evaluate``; ``tags``: ``(customer, tag)`` rows, or None.
    """
    result = np.ones(len(customers), dtype=bool)
    score = customers["score"].to_numpy(dtype="float64", na_value=np.nan)
    if rule.min_score is not None:
        result &= score >= rule.min_score
    if rule.max_score is not None:
        result &= score <= rule.max_score
    if rule.stages:
        result &= customers["stage"].isin(rule.stages).to_numpy()
    for months, column in ((rule.inquiry_months, "days_since_inquiry"), (rule.order_months, "days_since_order")):
        if months is not None:
            result &= customers[column].to_numpy(dtype="float64", na_value=np.nan) <= months_to_days(months)
    if rule.min_amount is not None:
        amount = customers["amount"].to_numpy(dtype="float64", na_value=np.nan)
        result &= np.nan_to_num(amount, nan=0.0) >= rule.min_amount
    if rule.tags_any or rule.tags_all:
        tags = tags if tags is not None else pd.DataFrame({"customer": [], "tag": []})
        if rule.tags_any:
            result &= _tagged(customers.index, tags, rule.tags_any, every=False)
        if rule.tags_all:
            result &= _tagged(customers.index, tags, rule.tags_all, every=True)
    return result


def evaluate(customers, rules, fallback, tags=None):
    """Each customer's tier and the rule that placed it.

    ``customers``: a DataFrame indexed by customer id with ``INPUT_COLUMNS``: ``score`` (0-100),
    ``stage`` (a lifecycle stage), ``days_since_inquiry`` and ``days_since_order`` (NaN: never),
    ``amount`` (annual purchase amount, grading currency). ``rules``: checked ``Rule`` objects in
    the company's order. ``fallback``: the star-range tier of each customer (same index).
    ``tags``: a DataFrame of ``(customer, tag)`` rows, one per tag a customer has, or None.

    Returns a DataFrame with the same index: ``tier``, ``rule`` (the position of the placing rule
    in ``rules``, from 0; <NA> when the star range placed the customer) and ``rule_number`` (its
    number within its tier, from 1; <NA> likewise).
    """
    customers = customers.reindex(columns=list(INPUT_COLUMNS))
    placed_by = np.full(len(customers), -1, dtype=np.int64)
    for position, rule in enumerate(rules):
        unplaced = placed_by < 0
        if not unplaced.any():
            break
        placed_by[unplaced & matches(customers, rule, tags)] = position
    placed = placed_by >= 0
    # -1 (not placed) reads rule 0 here, then gives way to the star range or <NA>.
    chosen = placed_by.clip(min=0)
    tiers = np.array([rule.tier for rule in rules] or [None], dtype=object)[chosen]
    numbers = np.array(rule_numbers(rules) or [0], dtype=np.int64)[chosen]
    fallback = pd.Series(fallback, dtype="object").reindex(customers.index).to_numpy()
    return pd.DataFrame(
        {
            "tier": pd.Series(np.where(placed, tiers, fallback), index=customers.index, dtype="object"),
            "rule": pd.Series(placed_by, index=customers.index, dtype="Int64").where(placed),
            "rule_number": pd.Series(numbers, index=customers.index, dtype="Int64").where(placed),
        },
        index=customers.index,
    )


def needs_approval(current, proposed, ranks, approval_tiers):
    """Whether moving each customer from its ``current`` to its ``proposed`` tier needs approval.

    ``ranks``: ``{tier code: rank}``, a lower rank a better tier (the tiers' sequence);
    ``approval_tiers``: the tiers a customer may only be moved up into with approval (A and B).
    A customer without a current tier moving into one of them is moving up too.
    """
    current = pd.Series(current, dtype="object")
    proposed = pd.Series(proposed, dtype="object").reindex(current.index)
    current_rank = current.map(ranks).astype("float64").fillna(np.inf)
    proposed_rank = proposed.map(ranks).astype("float64").fillna(np.inf)
    return (proposed_rank < current_rank) & proposed.isin(approval_tiers)


def _number(value):
    return f"{value:g}" if float(value).is_integer() else f"{value}"


def explain(rule, labels, stage_names=None, tag_names=None, amount_text=None):
    """``rule``'s conditions in words, as the form shows them.

    ``labels``: the translated templates, one per ``LABEL_KEYS`` entry, with %-style fields:
    ``score_min`` %(min)s, ``score_max`` %(max)s, ``score_between`` %(min)s and %(max)s,
    ``stages`` %(stages)s, ``inquiry`` and ``order`` %(months)s, ``amount`` %(amount)s,
    ``tags_any`` and ``tags_all`` %(tags)s; ``and`` joins conditions, ``separator`` joins the
    stages or tags of one condition. ``stage_names`` / ``tag_names``: ``{value: label}``
    (the value itself when missing); ``amount_text``: formats the amount (default 50,000).
    """
    stage_names = stage_names or {}
    tag_names = tag_names or {}
    amount_text = amount_text or "{:,.0f}".format
    separator = labels["separator"]
    parts = []
    if rule.min_score is not None and rule.max_score is not None:
        parts.append(labels["score_between"] % {"min": _number(rule.min_score), "max": _number(rule.max_score)})
    elif rule.min_score is not None:
        parts.append(labels["score_min"] % {"min": _number(rule.min_score)})
    elif rule.max_score is not None:
        parts.append(labels["score_max"] % {"max": _number(rule.max_score)})
    if rule.stages:
        names = separator.join(str(stage_names.get(stage, stage)) for stage in rule.stages)
        parts.append(labels["stages"] % {"stages": names})
    if rule.inquiry_months is not None:
        parts.append(labels["inquiry"] % {"months": rule.inquiry_months})
    if rule.order_months is not None:
        parts.append(labels["order"] % {"months": rule.order_months})
    if rule.min_amount is not None:
        parts.append(labels["amount"] % {"amount": amount_text(rule.min_amount)})
    for key, tags in (("tags_any", rule.tags_any), ("tags_all", rule.tags_all)):
        if tags:
            parts.append(labels[key] % {"tags": separator.join(str(tag_names.get(tag, tag)) for tag in tags)})
    return labels["and"].join(parts)
