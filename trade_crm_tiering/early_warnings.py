"""Early warnings: when each condition holds, and which warnings to raise or close.

Conditions, each with a switch and thresholds per company:

- growth spike: the last 6 months' sales are at least ``spike_factor`` times the 6 months before
  (which must have had sales: without them there is no baseline to spike from) and at least
  ``spike_min_amount`` in the grading currency;
- frequency drop: the days since the last order exceed ``frequency_factor`` times the customer's
  usual gap between orders (known from 3 order days in the last 24 months);
- dormant: no order for ``dormant_months`` months (a month counted as 365/12 days) after having
  ordered; the customer is marked dormant whether or not its warning is switched on;
- inquiries falling: leads of the last 3 months fewer than ``inquiry_ratio`` times those of the 3
  months before, which must number at least ``inquiry_min``.

A warning is raised once per episode: when its condition holds and the customer has no warning of
that type still open (or dismissed); it is closed when the condition no longer holds (or its
switch is turned off), and the next time the condition appears is a new episode.
"""

from dataclasses import dataclass

import pandas as pd

TYPES = ("growth_spike", "frequency_drop", "dormant", "inquiries_falling")


class WarningConfigError(ValueError):
    def __init__(self, code, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Thresholds:
    """A company's warning switches and thresholds."""

    growth_spike: bool = True
    spike_factor: float = 3.0
    spike_min_amount: float = 10_000.0
    frequency_drop: bool = True
    frequency_factor: float = 1.5
    dormant: bool = True
    dormant_months: int = 12
    inquiries_falling: bool = True
    inquiry_ratio: float = 0.5
    inquiry_min: int = 2

    @property
    def dormant_days(self):
        return round(self.dormant_months * 365 / 12)

    def check(self):
        if self.spike_factor <= 1:
            raise WarningConfigError("spike_factor", value=self.spike_factor)
        if self.spike_min_amount < 0:
            raise WarningConfigError("spike_min_amount", value=self.spike_min_amount)
        if self.frequency_factor <= 1:
            raise WarningConfigError("frequency_factor", value=self.frequency_factor)
        if self.dormant_months < 1:
            raise WarningConfigError("dormant_months", value=self.dormant_months)
        if not 0 < self.inquiry_ratio < 1:
            raise WarningConfigError("inquiry_ratio", value=self.inquiry_ratio)
        if self.inquiry_min < 1:
            raise WarningConfigError("inquiry_min", value=self.inquiry_min)

    def enabled(self, warning_type):
        return getattr(self, warning_type)


def conditions(frame, derived, thresholds):
    """``dormant`` and one boolean column per warning type: whether its condition holds now.

    ``dormant`` is the fact (stored on the customer); a type's column is False when its switch is off.
    """
    thresholds.check()
    recent, before = frame["amount_6m"].fillna(0), frame["amount_prev_6m"].fillna(0)
    since_last = frame["days_since_last"]
    inquiries, inquiries_before = frame["inquiries_3m"].fillna(0), frame["inquiries_prev_3m"].fillna(0)
    dormant = since_last >= thresholds.dormant_days
    held = {
        "growth_spike": (before > 0)
        & (recent >= thresholds.spike_factor * before)
        & (recent >= thresholds.spike_min_amount),
        "frequency_drop": since_last > thresholds.frequency_factor * derived["usual_gap"],
        "dormant": dormant,
        "inquiries_falling": (inquiries_before >= thresholds.inquiry_min)
        & (inquiries < thresholds.inquiry_ratio * inquiries_before),
    }
    result = pd.DataFrame({"dormant": dormant.fillna(False).astype(bool)}, index=frame.index)
    for warning_type in TYPES:
        result[f"warn_{warning_type}"] = held[warning_type].fillna(False).astype(bool) & bool(
            thresholds.enabled(warning_type)
        )
    return result


def episodes(holding, open_warnings):
    """Which warnings to raise and which to close.

    ``holding``: ``{warning type: set of customer ids}`` whose condition holds now.
    ``open_warnings``: ``{(customer id, warning type): warning id}`` of the warnings not closed.
    Returns ``(to_raise, to_close)``: ``[(customer id, type)]`` sorted, and the warning ids to close.
    """
    to_raise = sorted(
        (customer, warning_type)
        for warning_type, customers in holding.items()
        for customer in customers
        if (customer, warning_type) not in open_warnings
    )
    to_close = sorted(
        warning_id
        for (customer, warning_type), warning_id in open_warnings.items()
        if customer not in holding.get(warning_type, ())
    )
    return to_raise, to_close
