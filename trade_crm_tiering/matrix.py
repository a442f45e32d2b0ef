"""The 8-class customer value matrix: order size x margin x effort, each split in two.

Over the last 12 months, per customer: order size is its sales in the grading currency, margin its
margin rate (margin / sales, in %), effort its cost to serve (done activities and logged messages
per 10,000 of sales). A customer without sales in the 12 months is small with a low margin, and
high-effort only if it still took interactions.

Each axis is split at a cut-off per company: by default the median of the customers with sales in
the last 12 months, or a fixed value from Settings. A figure at or above the cut-off is big / high
margin; effort is high only strictly above its cut-off, so when most customers take no interaction
at all (a median of 0) the quiet ones are not counted as high effort.
"""

from dataclasses import dataclass

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


def classify(amount, margin_rate, interactions, cost, cutoffs):
    """The value class of each customer (a Series of CLASSES values)."""
    cutoffs.check()
    amount = pd.Series(amount, dtype="float64").fillna(0)
    amount_cut, margin_cut, effort_cut = cutoff_values(amount, margin_rate, cost, cutoffs)
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
