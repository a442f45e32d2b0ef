"""RFM: recency, frequency and monetary quintile scores (1-5) and a named segment.

Among a company's customers with orders: recency is the days since the last order (fewer is
better), frequency the orders of the last 24 months, monetary their amount in the grading
currency. Each is scored 1-5 by mid-rank quintile (see ranking.py): equal figures score alike, a
lone customer scores 3.

The segment reads recency against the mean of frequency and monetary (FM), first rule that fits:

=============== ============== =====================================================
segment         rule           meaning
=============== ============== =====================================================
champions       R >= 4, FM >= 4 bought recently, often, a lot
loyal           R >= 3, FM >= 3 buys regularly and well
promising       R >= 4          bought recently, not much yet
need_attention  R = 3           middling on every count
at_risk         FM >= 3         used to buy well, not lately
hibernating     R = 2           little, not lately
lost            (R = 1)         little, long ago
=============== ============== =====================================================
"""

import pandas as pd

from .ranking import quintile

SEGMENTS = ("champions", "loyal", "promising", "need_attention", "at_risk", "hibernating", "lost")


# (segment, rule on recency and the mean of frequency and monetary), the first that fits wins.
SEGMENT_RULES = (
    ("champions", lambda r, fm: r >= 4 and fm >= 4),
    ("loyal", lambda r, fm: r >= 3 and fm >= 3),
    ("promising", lambda r, fm: r >= 4),
    ("need_attention", lambda r, fm: r == 3),
    ("at_risk", lambda r, fm: fm >= 3),
    ("hibernating", lambda r, fm: r == 2),
    ("lost", lambda r, fm: True),
)


def segment(recency, frequency, monetary):
    """The segment of one customer's R, F and M scores (1-5 each)."""
    fm = (frequency + monetary) / 2
    return next(name for name, rule in SEGMENT_RULES if rule(recency, fm))


def rfm_scores(days_since_last, orders, amount, references=None):
    """``rfm_recency``, ``rfm_frequency``, ``rfm_monetary`` (1-5), ``rfm_score``, the three as one
    code (``"545"``: R5 F4 M5), and ``rfm_segment`` per customer.

    ``references``: ``(days since last, orders, amount)`` of the whole population, sorted, when
    the customers given are a batch of it (see ranking.percentile).
    """
    recency_ref, orders_ref, amount_ref = references or (None, None, None)
    scores = pd.DataFrame(
        {
            "rfm_recency": quintile(days_since_last, higher_is_better=False, reference=recency_ref),
            "rfm_frequency": quintile(pd.Series(orders).fillna(0), reference=orders_ref),
            "rfm_monetary": quintile(pd.Series(amount).fillna(0), reference=amount_ref),
        }
    )
    scores["rfm_segment"] = pd.Series(
        [
            segment(r, f, m) if pd.notna(r) else None
            for r, f, m in zip(scores["rfm_recency"], scores["rfm_frequency"], scores["rfm_monetary"], strict=True)
        ],
        index=scores.index,
        dtype="object",
    )
    scores["rfm_score"] = pd.Series(
        [
            f"{int(r)}{int(f)}{int(m)}" if pd.notna(r) else None
            for r, f, m in zip(scores["rfm_recency"], scores["rfm_frequency"], scores["rfm_monetary"], strict=True)
        ],
        index=scores.index,
        dtype="object",
    )
    return scores
