"""Percentiles and quintiles within a company's customers, with ties treated alike.

Both use the mid-rank percentile: a customer's share of the others below it, counting half of
those equal to it, ``(below + equal / 2) / n``. Equal values always get equal results, the best of
many distinct values gets close to 100, and a lone customer (or a company where all are equal)
sits in the middle: 50, quintile 3.
"""

import numpy as np
import pandas as pd


def _average_rank(values, higher_is_better):
    """Average rank (1 = worst) of each non-missing value; missing values stay missing."""
    return values.rank(method="average", ascending=higher_is_better)


def _reference_rank(values, higher_is_better, reference):
    """Average rank (1 = worst) of each value among ``reference`` (the sorted non-missing values of
    the whole population), as ``_average_rank`` gives it when ``values`` are part of it."""
    known = values.notna().to_numpy()
    numbers = values.to_numpy(dtype="float64")[known]
    below = np.searchsorted(reference, numbers, side="left")
    above = len(reference) - np.searchsorted(reference, numbers, side="right")
    equal = len(reference) - below - above
    # ``rank`` of pandas' method="average": those ranked worse, then the middle of the equal ones.
    worse = below if higher_is_better else above
    ranks = np.full(len(values), np.nan)
    ranks[known] = worse + (equal + 1) / 2
    return pd.Series(ranks, index=values.index, dtype="float64")


def _ranks(values, higher_is_better, reference):
    """``(average ranks, count)``: among ``values`` themselves, or among ``reference`` when given."""
    if reference is None:
        return _average_rank(values, higher_is_better), values.notna().sum()
    return _reference_rank(values, higher_is_better, reference), len(reference)


def percentile(values, higher_is_better=True, reference=None):
    """Mid-rank percentile (0-100) of each value among the non-missing ones, as a float Series.

    ``reference``: the sorted non-missing values of the whole population, when ``values`` are only
    a batch of it (the nightly pass scores a company's customers in batches).
    """
    values = pd.Series(values, dtype="float64")
    ranks, count = _ranks(values, higher_is_better, reference)
    if not count:
        return values.where(values.isna())
    return (ranks - 0.5) / count * 100


def quintile(values, higher_is_better=True, reference=None):
    """Quintile score 1-5 of each value (5 = best fifth), from its mid-rank percentile.

    Computed in integers (an average rank is a multiple of 0.5) so a percentile on a boundary,
    such as exactly 20%, never falls on the wrong side through rounding. ``reference``: see
    ``percentile``.
    """
    values = pd.Series(values, dtype="float64")
    ranks, count = _ranks(values, higher_is_better, reference)
    count = int(count)
    result = pd.Series(np.nan, index=values.index, dtype="float64")
    if not count:
        return result
    doubled = (2 * ranks - 1).dropna().astype("int64")
    result.loc[doubled.index] = np.minimum(5, (5 * doubled) // (2 * count) + 1)
    return result
