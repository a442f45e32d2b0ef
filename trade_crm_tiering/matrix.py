"""The 8-class customer value matrix: order size x margin x effort, each split in two.

Over the last 12 months, per customer: order size is its sales in the grading currency, margin its
margin rate (margin / sales, in %), effort its cost to serve (done activities and logged messages
per 10,000 of sales). A customer without sales in the 12 months is small with a low margin, and
high-effort only if it still took interactions.

Each axis is split at a cut-off per company: by default the median of the customers with sales in
the last 12 months, or a fixed value from Settings. A figure at or above the cut-off is big / high
margin; effort is high only strictly above its cut-off, so when most customers take no interaction
at all (a median of 0) the quiet ones are not counted as high effort.

What to do with each class follows the article the matrix comes from (seed 002): ``ADVICE``
gives each class its advice key, which the add-on words and translates. A company may also make
a class propose something (``Consequences``): a tier change, through a grade request, or a release
to the team pool; nothing by default.

The article's activity-based costing shows what a customer earns once the time it takes is paid
for: margin after service cost = margin - interactions x cost per interaction (``service_costing``).
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# (big, high margin, high effort): class
CLASSES = {
    (True, True, False): "treasure",
    (True, True, True): "demanding_star",
    (True, False, False): "volume_base",
    (True, False, True): "costly_giant",
    (False, True, False): "hidden_gem",
    (False, True, True): "costly_niche",
    (False, False, False): "maintain",
    (False, False, True): "let_go",
}
CUTOFF_MODES = ("median", "fixed")

# Seed 002's advice per class (order size, margin, effort):
ADVICE = {
    "treasure": "keep_investing",  # big, high margin, little effort: a treasure, keep investing, never coast
    "demanding_star": "worth_the_trouble",  # big, high margin, much effort: worth the trouble, serve it well
    "volume_base": "keep_if_affordable",  # big, low margin, little effort: keep it if its tied-up capital is affordable
    "costly_giant": "consider_dropping",  # big, low margin, much effort
    "hidden_gem": "fast_cash_flow",  # small, high margin, little effort: real money and fast cash flow
    "costly_niche": "consider_dropping",  # small, high margin, much effort
    "maintain": "drop",  # small, low margin, little effort: drop it, spend the time on what matters more
    "let_go": "drop",  # small, low margin, much effort: likewise
}
ADVICE_KEYS = (
    "keep_investing",
    "worth_the_trouble",
    "keep_if_affordable",
    "fast_cash_flow",
    "consider_dropping",
    "drop",
)
CONSEQUENCE_ACTIONS = ("none", "tier_change", "release_to_pool")
DEFAULT_COST_PER_INTERACTION = 20.0  # grading currency: about half an hour of a rep's loaded cost


class MatrixConfigError(ValueError):
    def __init__(self, code, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Cutoffs:
    """How a company splits each axis: ``mode`` median or fixed, and the fixed values."""

    mode: str = "median"
    amount: float = 0.0
    margin: float = 0.0  # margin rate, %
    effort: float = 0.0  # interactions per 10,000 of sales

    def check(self):
        if self.mode not in CUTOFF_MODES:
            raise MatrixConfigError("mode", mode=self.mode)
        for axis in ("amount", "effort"):
            if getattr(self, axis) < 0:
                raise MatrixConfigError("negative", axis=axis, value=getattr(self, axis))
        if not -100 <= self.margin <= 100:
            raise MatrixConfigError("margin_range", value=self.margin)


def cutoff_values(amount, margin_rate, cost, cutoffs):
    """``(amount, margin rate, effort)`` cut-offs: fixed, or medians over customers with sales."""
    if cutoffs.mode == "fixed":
        return cutoffs.amount, cutoffs.margin, cutoffs.effort
    active = pd.Series(amount, dtype="float64") > 0

    def median(values):
        values = pd.Series(values, dtype="float64")[active].dropna()
        return float(values.median()) if len(values) else 0.0

    return median(amount), median(margin_rate), median(cost)


def classify(amount, margin_rate, interactions, cost, cutoffs, values=None):
    """The value class of each customer (a Series of CLASSES values).

    ``values``: the cut-offs of ``cutoff_values`` over the whole population, when the customers
    given are a batch of it.
    """
    cutoffs.check()
    amount = pd.Series(amount, dtype="float64").fillna(0)
    amount_cut, margin_cut, effort_cut = values or cutoff_values(amount, margin_rate, cost, cutoffs)
    big = (amount > 0) & (amount >= amount_cut)
    high_margin = pd.Series(margin_rate, dtype="float64").fillna(float("-inf")) >= margin_cut
    # Without sales the cost to serve is unbounded when it took any interaction at all.
    took_time = pd.Series(interactions, dtype="float64").fillna(0) > 0
    without_sales = pd.Series(np.where(took_time, np.inf, 0.0), index=amount.index)
    effort = pd.Series(cost, dtype="float64").where(amount > 0, without_sales)
    high_effort = effort.fillna(0) > effort_cut
    return pd.Series(
        [CLASSES[key] for key in zip(big, high_margin & (amount > 0), high_effort, strict=True)],
        index=amount.index,
        dtype="object",
    )


def advice(classes):
    """The advice key of each customer's value class (None without a class)."""
    classes = pd.Series(classes, dtype="object")
    return classes.map(ADVICE).astype("object").where(classes.isin(list(ADVICE)), None)


@dataclass(frozen=True)
class Consequence:
    """What a value class proposes: ``action`` none, tier_change (to ``tier``) or release_to_pool."""

    action: str = "none"
    tier: str | None = None


@dataclass(frozen=True)
class Consequences:
    """A company's consequences per value class: ``{class: Consequence}``; a class left out: none."""

    by_class: dict = field(default_factory=dict)

    def check(self, tiers=None):
        """Raise MatrixConfigError unless every entry is usable; ``tiers``: the known tier codes."""
        for value_class, consequence in self.by_class.items():
            if value_class not in ADVICE:
                raise MatrixConfigError("value_class", value_class=value_class)
            if consequence.action not in CONSEQUENCE_ACTIONS:
                raise MatrixConfigError("action", value_class=value_class, action=consequence.action)
            if consequence.action == "tier_change":
                if not consequence.tier:
                    raise MatrixConfigError("tier_missing", value_class=value_class)
                if tiers is not None and consequence.tier not in tiers:
                    raise MatrixConfigError("tier_unknown", value_class=value_class, tier=consequence.tier)
            elif consequence.tier:
                raise MatrixConfigError("tier_unused", value_class=value_class, action=consequence.action)


def consequences(classes, config, current_tiers=None):
    """What each customer's value class proposes: a DataFrame with ``action`` and ``tier``.

    ``current_tiers`` (same index), when given, drops a tier change to the tier a customer is
    already in. ``tier`` is None unless the action is a tier change.
    """
    config.check()
    classes = pd.Series(classes, dtype="object")
    entries = {value_class: config.by_class.get(value_class, Consequence()) for value_class in ADVICE}
    action = classes.map({key: entry.action for key, entry in entries.items()}).astype("object").fillna("none")
    tier = classes.map({key: entry.tier for key, entry in entries.items()}).astype("object")
    tier = tier.where((action == "tier_change") & tier.notna(), None)
    if current_tiers is not None:
        current = pd.Series(current_tiers, dtype="object").reindex(classes.index)
        already = (action == "tier_change") & (tier == current)
        action = action.mask(already, "none")
        tier = tier.mask(already, None)
    return pd.DataFrame({"action": action, "tier": tier}, index=classes.index)


@dataclass(frozen=True)
class ServiceCost:
    """Activity-based costing: what one interaction (a done activity or a logged message) costs,
    in the grading currency."""

    cost_per_interaction: float = DEFAULT_COST_PER_INTERACTION

    def check(self):
        value = self.cost_per_interaction
        if value is None or not np.isfinite(value) or value < 0:
            raise MatrixConfigError("cost_per_interaction", value=value)


def service_costing(amount, margin, interactions, config=None):
    """Nominal margin and margin after service cost, side by side, per customer.

    ``amount``, ``margin``: the last 12 months' sales and margin in the grading currency;
    ``interactions``: done activities and logged messages over the same months. Missing figures
    read as 0. Returns ``nominal_margin``, ``service_cost``, ``net_margin`` and the two margin
    rates in % of sales, ``nominal_rate`` and ``net_rate`` (NaN without sales).
    """
    config = config or ServiceCost()
    config.check()
    amount = pd.Series(amount, dtype="float64").fillna(0.0)
    margin = pd.Series(margin, dtype="float64").reindex(amount.index).fillna(0.0)
    interactions = pd.Series(interactions, dtype="float64").reindex(amount.index).fillna(0.0)
    cost = interactions * config.cost_per_interaction
    net = margin - cost
    sales = amount.where(amount > 0)
    return pd.DataFrame(
        {
            "nominal_margin": margin,
            "service_cost": cost,
            "net_margin": net,
            "nominal_rate": margin / sales * 100,
            "net_rate": net / sales * 100,
        },
        index=amount.index,
    )
