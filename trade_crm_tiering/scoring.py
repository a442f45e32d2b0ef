"""Customer scores on four dimensions and their weighted composite, from per-customer figures.

Odoo-free: the add-on aggregates the figures of a company's customers with SQL into a pandas
DataFrame (one row per customer that ever had a confirmed order in the company, the columns of
``INPUT_COLUMNS``), and ``evaluate`` returns everything the nightly pass stores.

Every score is 0-100. A dimension is the plain mean of its components; a component without data
(no growth baseline, no invoice due yet, a rating nobody entered) is left out, and a dimension with
no component at all is 50, "nothing known either way". The composite ``tiering_score`` is the
weighted sum of the four rounded dimension scores, so it can be recomputed from what the form shows.

Components:

- Current value: the mid-rank percentile, among the company's customers with a positive figure, of
  the last 12 months' amount, number of orders and margin (0 for no amount, orders or margin).
- Potential value: growth of the last 12 months over the 12 before (-100% -> 0, steady -> 50,
  +100% or more -> 100; left out without purchases in the 12 months before) and the rep's 1-5
  ratings of industry outlook, company size and share of wallet (1 -> 0, 5 -> 100).
- Cooperation difficulty (higher is easier): cost to serve (done activities and logged messages of
  the last 12 months per 10,000 of sales in the grading currency, inverted mid-rank percentile;
  left out without sales), payment behaviour (average days paid late on due customer invoices:
  0 -> 100, 60 or more -> 0), decision cycle (average days from quotation to confirmation of the
  last 12 months' orders: 0 -> 100, 60 or more -> 0) and the rep's decision-chain complexity rating
  (1, simple -> 100, 5, complex -> 0).
- Relationship stickiness: years since the first order (5 or more -> 100), contacts we deal with
  at the customer (4 or more -> 100) and the repurchase rate, the share of the last 8 quarters
  (since the first order, if later) with an order.

Prospects (customers with a lead, an opportunity or a quotation in the company and no confirmed
order yet, the developing customers of seed 000) are scored by ``evaluate_prospects`` on what is
known of them, columns ``PROSPECT_COLUMNS``:

- Current value: 0, they have bought nothing yet.
- Potential value, the prospect potential: the mean of the rep's 1-5 ratings of industry outlook,
  company size and share of wallet (1 -> 0, 5 -> 100), the expected revenue (the star grade that
  amount would give as an annual purchase amount under the company's thresholds, x 20: 0 stars
  -> 0, 5 stars -> 100; left out without an expected revenue), the highest probability of its open
  leads and opportunities (Odoo's 0-100 %; left out when it has none), and how far along the
  pipeline it is: ``100 x position / (stages + 2)`` where the pipeline is a lead (position 0),
  the CRM's ``stages`` open stages in their order (an opportunity in the first is at 1), a draft
  quotation (``stages + 1``) and a sent one (``stages + 2``); the furthest counts.
  Expected revenue is the larger of the open leads' expected revenue and the open quotations'
  untaxed amount, in the grading currency (``prospect_revenue``).
- Cooperation difficulty: the rep's decision-chain rating, as for customers (50 without it).
- Relationship stickiness: the contacts we deal with (4 or more -> 100).

The composite follows the company weights like a customer's. The value matrix places a prospect by
its probability-weighted expected revenue (its leads' prorated revenue, or its quotations at
the highest probability of its leads, in full without any) as the order size, with no margin known (low margin) and
its interactions per 10,000 of that revenue as the effort, against the customers' cut-offs.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import early_warnings, grading, health, matrix, rfm
from .ranking import percentile

# Windows, in days back from today (today is day 0).
DAYS_3M, DAYS_6M, DAYS_12M, DAYS_24M = 91, 182, 365, 730
QUARTERS = 8  # the repurchase rate looks at the last 8 quarters of the 24 months
QUARTER_DAYS = DAYS_24M / QUARTERS
COST_UNIT = 10_000.0  # cost to serve: interactions per this much of sales
LATE_DAYS_ZERO = 60.0  # payment: this many days late or more scores 0
DECISION_DAYS_ZERO = 60.0  # decision cycle: this many days or more scores 0
YEARS_FULL = 5.0  # stickiness: this many years as a customer scores 100
CONTACTS_FULL = 4.0  # stickiness: this many contacts score 100
NEUTRAL = 50.0

DIMENSIONS = ("current", "potential", "difficulty", "stickiness")
DEFAULT_WEIGHTS = (40, 25, 15, 20)

# The figures ``evaluate`` needs per customer; NaN where unknown.
INPUT_COLUMNS = (
    "orders",  # confirmed orders ever
    "days_since_first",
    "days_since_last",
    "orders_12m",
    "orders_24m",
    "amount_6m",  # sales in the grading currency, untaxed
    "amount_prev_6m",
    "amount_12m",
    "amount_prev_12m",
    "margin_12m",
    "decision_days",  # average days from quotation to confirmation, last 12 months
    "order_days_24m",  # distinct days with an order in the last 24 months
    "span_24m",  # days from the first to the last order of the last 24 months
    "quarters_24m",  # of the last 8 quarters, those with an order
    "interactions_12m",  # done activities and logged messages
    "days_late",  # average days paid late on due customer invoices
    "invoices_due",
    "contacts",
    "inquiries_3m",
    "inquiries_prev_3m",
    "rating_industry",  # rep ratings 1-5
    "rating_size",
    "rating_wallet",
    "rating_chain",
    "health_stored",  # what the previous pass stored
    "health_previous_stored",
    "health_quarter_stored",
)


class ScoringConfigError(ValueError):
    """A scoring setting is invalid. ``code`` names the problem, ``params`` fill its message."""

    def __init__(self, code, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class ScoringConfig:
    """A company's scoring settings."""

    weights: tuple = DEFAULT_WEIGHTS
    cutoffs: matrix.Cutoffs = field(default_factory=matrix.Cutoffs)
    thresholds: early_warnings.Thresholds = field(default_factory=early_warnings.Thresholds)
    service_cost: matrix.ServiceCost = field(default_factory=matrix.ServiceCost)


def check_weights(weights):
    """Raise ScoringConfigError unless the four weights are whole, not negative, and total 100."""
    if len(weights) != len(DIMENSIONS):
        raise ScoringConfigError("count", count=len(weights))
    for name, weight in zip(DIMENSIONS, weights, strict=True):
        if weight is None or weight < 0:
            raise ScoringConfigError("negative", dimension=name, weight=weight)
    total = sum(weights)
    if total != 100:
        raise ScoringConfigError("total", total=total)


def round_score(values):
    """Round half up (62.5 -> 63), keeping NaN; float noise below 1e-9 is ignored."""
    return np.floor(pd.Series(values, dtype="float64") + 0.5 + 1e-9)


def _positive_percentile(values, reference=None):
    """0 for a figure of 0 or less; else its mid-rank percentile among the positive figures."""
    values = pd.Series(values, dtype="float64")
    scores = percentile(values.where(values > 0), reference=reference)
    return scores.fillna(0.0)


def _scale(values, full):
    """``values`` as a share of ``full``, 0-100."""
    return (pd.Series(values, dtype="float64") / full * 100).clip(0, 100)


def _falling(values, zero_at):
    """100 at 0, falling linearly to 0 at ``zero_at`` and beyond."""
    return (100 - pd.Series(values, dtype="float64").clip(lower=0) * 100 / zero_at).clip(0, 100)


def _rating(values, best=5):
    """A 1-5 rating as 0-100, 100 at ``best`` (5 or 1)."""
    values = pd.Series(values, dtype="float64")
    return (values - 1) * 25 if best == 5 else (5 - values) * 25


def _dimension(*components):
    """The mean of the components a customer has; 50 when it has none."""
    return pd.concat(components, axis=1).mean(axis=1, skipna=True).fillna(NEUTRAL)


def derived_figures(frame):
    """Figures shown with the scores: cost to serve, repurchase rate, usual gap between orders."""
    amount = frame["amount_12m"]
    cost = (frame["interactions_12m"] / amount * COST_UNIT).where(amount > 0)
    since_first = np.floor(frame["days_since_first"] / QUARTER_DAYS) + 1
    repurchase = frame["quarters_24m"] / since_first.clip(upper=QUARTERS) * 100
    gap = (frame["span_24m"] / (frame["order_days_24m"] - 1)).where(frame["order_days_24m"] >= 3)
    growth = ((amount / frame["amount_prev_12m"] - 1) * 100).where(frame["amount_prev_12m"] > 0)
    margin_rate = (frame["margin_12m"] / amount * 100).where(amount > 0)
    return pd.DataFrame(
        {
            "cost_to_serve": cost,
            "repurchase_rate": repurchase.clip(0, 100),
            "usual_gap": gap,
            "growth_rate": growth,
            "margin_rate": margin_rate,
        },
        index=frame.index,
    )


def component_scores(frame, derived, basis=None):
    """Every component score, by dimension: ``{dimension: {component: Series}}``.

    ``basis``: see ``ranking_basis``; without it, the customers of ``frame`` are the population.
    """
    basis = basis or {}
    growth = (NEUTRAL + derived["growth_rate"] / 2).clip(0, 100)
    return {
        "current": {
            "amount": _positive_percentile(frame["amount_12m"], basis.get("amount_12m")),
            "frequency": _positive_percentile(frame["orders_12m"], basis.get("orders_12m")),
            "margin": _positive_percentile(frame["margin_12m"], basis.get("margin_12m")),
        },
        "potential": {
            "growth": growth,
            "industry": _rating(frame["rating_industry"]),
            "size": _rating(frame["rating_size"]),
            "wallet": _rating(frame["rating_wallet"]),
        },
        "difficulty": {
            "cost": percentile(derived["cost_to_serve"], higher_is_better=False, reference=basis.get("cost_to_serve")),
            "payment": _falling(frame["days_late"], LATE_DAYS_ZERO).where(frame["invoices_due"] > 0),
            "decision": _falling(frame["decision_days"], DECISION_DAYS_ZERO).where(frame["orders_12m"] > 0),
            "chain": _rating(frame["rating_chain"], best=1),
        },
        "stickiness": {
            "years": _scale(frame["days_since_first"] / DAYS_12M, YEARS_FULL),
            "contacts": _scale(frame["contacts"], CONTACTS_FULL),
            "repurchase": derived["repurchase_rate"],
        },
    }


def dimension_scores(components, weights=DEFAULT_WEIGHTS):
    """The four rounded dimension scores and ``tiering_score``, their weighted sum, rounded."""
    check_weights(weights)
    scores = pd.DataFrame({f"score_{name}": round_score(_dimension(*components[name].values())) for name in DIMENSIONS})
    weighted = sum(scores[f"score_{name}"] * weight for name, weight in zip(DIMENSIONS, weights, strict=True))
    scores["tiering_score"] = round_score(weighted / 100)
    return scores


def evaluate(frame, config, today, basis=None):
    """Everything the nightly pass stores for the customers of ``frame`` (index: customer id).

    ``frame`` holds ``INPUT_COLUMNS``; ``today`` is a date. Returns a DataFrame with the derived
    figures, the scores, RFM, value class, health, and the warning conditions. ``basis``: the
    company-wide figures of ``ranking_basis`` when ``frame`` is a batch of the company's customers;
    the results are then those of one pass over all of them. ``service_cost`` and ``net_margin``:
    the last 12 months' interactions at the company's cost per interaction, and the margin after it.
    """
    frame = frame.reindex(columns=INPUT_COLUMNS)
    derived = derived_figures(frame)
    components = component_scores(frame, derived, basis)
    result = pd.concat([derived, dimension_scores(components, config.weights)], axis=1)
    references = basis and (basis["days_since_last"], basis["orders_24m"], basis["amount_24m"])
    result = result.join(rfm.rfm_scores(frame["days_since_last"], frame["orders_24m"], _amount_24m(frame), references))
    result["value_class"] = matrix.classify(
        frame["amount_12m"],
        derived["margin_rate"],
        frame["interactions_12m"],
        derived["cost_to_serve"],
        config.cutoffs,
        basis and tuple(basis["cutoffs"].tolist()),
    )
    result = result.join(health.health_frame(frame, derived, components["difficulty"]["payment"], today))
    result = result.join(early_warnings.conditions(frame, derived, config.thresholds))
    # The article's activity-based costing: the margin once the interactions are paid for.
    costing = matrix.service_costing(
        frame["amount_12m"], frame["margin_12m"], frame["interactions_12m"], config.service_cost
    )
    result = result.join(costing[["service_cost", "net_margin"]])
    return result


# The columns of ``frame`` that ``ranking_basis`` needs: those of every customer of the company.
BASIS_COLUMNS = (
    "days_since_first",
    "days_since_last",
    "orders_12m",
    "orders_24m",
    "amount_12m",
    "amount_prev_12m",
    "margin_12m",
    "order_days_24m",
    "span_24m",
    "quarters_24m",
    "interactions_12m",
)


def ranking_basis(frame, config):
    """The company-wide figures that scores rank customers by, from ``frame`` (``BASIS_COLUMNS``)
    of all the company's customers: ``{name: sorted float64 array}`` of the values each percentile
    or quintile ranks among, and ``cutoffs``, the value matrix's cut-offs.

    ``evaluate(batch, config, today, basis)`` then scores a batch of the customers as one pass over
    all of them would.
    """
    frame = frame.reindex(columns=INPUT_COLUMNS)
    derived = derived_figures(frame)

    def population(values):
        values = pd.Series(values, dtype="float64").dropna().to_numpy()
        return np.sort(values, kind="stable")

    def positive(values):
        values = pd.Series(values, dtype="float64")
        return population(values.where(values > 0))

    amount = frame["amount_12m"].astype("float64").fillna(0)
    return {
        "amount_12m": positive(frame["amount_12m"]),
        "orders_12m": positive(frame["orders_12m"]),
        "margin_12m": positive(frame["margin_12m"]),
        "cost_to_serve": population(derived["cost_to_serve"]),
        "days_since_last": population(frame["days_since_last"]),
        "orders_24m": population(frame["orders_24m"].fillna(0)),
        "amount_24m": population(_amount_24m(frame).fillna(0)),
        "cutoffs": np.array(
            matrix.cutoff_values(amount, derived["margin_rate"], derived["cost_to_serve"], config.cutoffs),
            dtype="float64",
        ),
    }


def _amount_24m(frame):
    return frame["amount_12m"].fillna(0) + frame["amount_prev_12m"].fillna(0)


# ----------------------------------------------------------------------
# Prospects: no confirmed order yet, a lead, an opportunity or a quotation
# ----------------------------------------------------------------------

PROSPECT_COLUMNS = (
    "lead_revenue",  # grading currency: expected revenue of the open leads and opportunities
    "lead_weighted",  # the same, each times its probability (Odoo's prorated revenue)
    "quoted",  # grading currency: untaxed amount of the open quotations
    "probability",  # highest probability (0-100) of the open leads and opportunities; NaN without
    "pipeline_position",  # 0 lead, 1.. the opportunity's stage, stages + 1 draft, stages + 2 sent quotation
    "interactions_12m",
    "contacts",
    "rating_industry",
    "rating_size",
    "rating_wallet",
    "rating_chain",
)
STAR_SCORE = 20.0  # a star of expected revenue is worth this much of the revenue component


def prospect_revenue(frame):
    """``(expected, weighted)`` revenue of each prospect: the larger of its leads' expected revenue
    and its quotations; weighted by probability (a quotation at the highest probability of the
    prospect's leads, in full when it has none)."""
    frame = frame.reindex(columns=PROSPECT_COLUMNS)
    leads = pd.Series(frame["lead_revenue"], dtype="float64").fillna(0)
    quoted = pd.Series(frame["quoted"], dtype="float64").fillna(0)
    chance = pd.Series(frame["probability"], dtype="float64").fillna(100).clip(0, 100) / 100
    weighted = np.maximum(pd.Series(frame["lead_weighted"], dtype="float64").fillna(0), quoted * chance)
    return np.maximum(leads, quoted), weighted


def prospect_components(frame, thresholds, stages):
    """The potential components of each prospect: ``{component: Series}`` (NaN: left out).

    ``thresholds``: the company's five grading thresholds; ``stages``: its open CRM stages.
    """
    frame = frame.reindex(columns=PROSPECT_COLUMNS)
    revenue, _weighted = prospect_revenue(frame)
    stars = revenue.map(lambda amount: float(grading.band(amount, thresholds)), na_action="ignore")
    position = pd.Series(frame["pipeline_position"], dtype="float64").clip(lower=0, upper=stages + 2)
    return {
        "industry": _rating(frame["rating_industry"]),
        "size": _rating(frame["rating_size"]),
        "wallet": _rating(frame["rating_wallet"]),
        "revenue": (stars * STAR_SCORE).where(revenue > 0),
        "probability": pd.Series(frame["probability"], dtype="float64").clip(0, 100),
        "stage": position * 100 / (stages + 2),
    }


def prospect_potential(frame, thresholds, stages):
    """The prospect potential score (0-100, rounded) of each prospect: the mean of its components."""
    return round_score(_dimension(*prospect_components(frame, thresholds, stages).values()))


def evaluate_prospects(frame, config, thresholds, stages, cutoff_values):
    """Scores and value class of the prospects of ``frame`` (``PROSPECT_COLUMNS``, index: partner).

    ``cutoff_values``: the value matrix's ``(amount, margin rate, effort)`` cut-offs of the
    company's customers (matrix.cutoff_values), which prospects are placed against.
    """
    frame = frame.reindex(columns=PROSPECT_COLUMNS)
    nothing = pd.Series(np.nan, index=frame.index, dtype="float64")
    components = {
        "current": {"amount": pd.Series(0.0, index=frame.index)},
        "potential": prospect_components(frame, thresholds, stages),
        "difficulty": {"chain": _rating(frame["rating_chain"], best=1)},
        "stickiness": {"contacts": _scale(frame["contacts"], CONTACTS_FULL)},
    }
    scores = dimension_scores(components, config.weights)
    scores.index = frame.index
    _revenue, weighted = prospect_revenue(frame)
    interactions = pd.Series(frame["interactions_12m"], dtype="float64").fillna(0)
    effort = (interactions / weighted * COST_UNIT).where(weighted > 0)
    scores["value_class"] = matrix.classify(weighted, nothing, interactions, effort, config.cutoffs, cutoff_values)
    return scores
