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


def percentile(values, higher_is_better=True):
    """Mid-rank percentile (0-100) of each value among the non-missing ones, as a float Series."""
    values = pd.Series(values, dtype="float64")
    count = values.notna().sum()
    if not count:
        return values
    return (_average_rank(values, higher_is_better) - 0.5) / count * 100


def quintile(values, higher_is_better=True):
    """Quintile score 1-5 of each value (5 = best fifth), from its mid-rank percentile.

    Computed in integers (an average rank is a multiple of 0.5) so a percentile on a boundary,
    such as exactly 20%, never falls on the wrong side through rounding.
    """
    values = pd.Series(values, dtype="float64")
    count = int(values.notna().sum())
    result = pd.Series(np.nan, index=values.index, dtype="float64")
    if not count:
        return result
    doubled = (2 * _average_rank(values, higher_is_better) - 1).dropna().astype("int64")
    result.loc[doubled.index] = np.minimum(5, (5 * doubled) // (2 * count) + 1)
    return result
