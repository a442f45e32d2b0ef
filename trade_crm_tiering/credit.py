"""Credit ratings from payment behaviour, and credit limits by service tier x rating.

Odoo-free and set-based: per-invoice or per-customer figures in, one row per customer out.

Payment record (the last 12 months)
    The invoices counted are a customer's posted invoices due in the 365 days ending today (today
    included), plus those due later that are already paid (paid early: 0 days late). An invoice is
    paid on its last reconciliation date; one still open (partly paid included) is late by the days
    since its due date. This is the record the customer scores use (``scoring``: ``days_late`` and
    ``invoices_due`` are the same figures).

    - average days late: the plain mean, over the invoices counted, of the days each was paid
      after its due date (paid on time or early: 0);
    - overdue share: the share, in %, of the invoiced amount (``basis="amount"``, the default) or
      of the number of invoices (``basis="count"``) that was paid more than ``grace_days`` after its
      due date, or is still open more than ``grace_days`` after it. The grace covers bank transfers
      that leave the buyer on the due date and arrive a few days later.

Suggested rating
    Ratings run from AAA (best) to C. Each rating down to B has a ceiling for both figures; a
    customer gets the best rating whose two ceilings it stays within (a figure on the ceiling
    stays within it), and C when it stays within none. The ceilings must rise from AAA to B on
    both figures, each rating strictly above the previous on at least one, so every rating can be
    reached. A customer with fewer than ``min_invoices`` invoices counted has no payment history:
    no rating is suggested (None).

Credit limit
    A company sets a limit per service tier and rating, in the company currency. The rating used is
    the one set by hand when there is one, else the suggestion. Rules:

    - rating C: limit 0 and prepayment required, whatever the tier;
    - no rating (no payment history, nothing set by hand): with ``unrated="default"`` no limit of
      the customer's own (NaN: Odoo's company default credit limit applies), or the limit of the
      rating ``unrated`` names (for example ``"B"``: new customers start on B terms);
    - a tier without a row in the matrix: no limit of the customer's own (NaN), prepayment not
      required unless the rating is C;
    - within a tier the limit may not rise as the rating falls.

    Odoo's own credit warning treats a limit of 0 as "no limit": the prepayment flag, not the 0,
    is what blocks credit sales to C customers (``needs_credit_approval``).
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

RATINGS = ("AAA", "AA", "A", "BBB", "BB", "B", "C")
BANDED = RATINGS[:-1]  # ratings with ceilings; C takes the rest
WORST = RATINGS[-1]
WINDOW_DAYS = 365
BASES = ("amount", "count")
UNRATED_DEFAULT = "default"
DEFAULT_GRACE_DAYS = 7

# Ceilings for export trade on 30-90 day terms: (average days late, overdue share in %).
DEFAULT_BANDS = (
    ("AAA", 3.0, 5.0),
    ("AA", 7.0, 10.0),
    ("A", 15.0, 20.0),
    ("BBB", 30.0, 30.0),
    ("BB", 45.0, 45.0),
    ("B", 60.0, 60.0),
)
FIGURE_COLUMNS = ("invoices", "amount", "late_invoices", "late_amount", "days_late", "overdue_share")


class CreditConfigError(ValueError):
    """A credit setting is invalid. ``code`` names the problem, ``params`` fill its message."""

    def __init__(self, code, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class RatingBands:
    """How a company turns a payment record into a suggested rating.

    ``bands``: ``(rating, max average days late, max overdue share %)`` for AAA to B, in that order.
    """

    bands: tuple = DEFAULT_BANDS
    grace_days: int = DEFAULT_GRACE_DAYS
    basis: str = "amount"
    min_invoices: int = 3

    def check(self):
        ratings = tuple(band[0] for band in self.bands)
        if ratings != BANDED:
            raise CreditConfigError("band_ratings", ratings=ratings, expected=BANDED)
        previous = None
        for rating, days, share in self.bands:
            if days is None or not np.isfinite(days) or days < 0:
                raise CreditConfigError("band_days", rating=rating, value=days)
            if share is None or not 0 <= share <= 100:
                raise CreditConfigError("band_share", rating=rating, value=share)
            if previous is not None:
                previous_rating, previous_days, previous_share = previous
                if days < previous_days or share < previous_share:
                    raise CreditConfigError(
                        "not_monotone",
                        rating=rating,
                        days=days,
                        share=share,
                        previous_rating=previous_rating,
                        previous_days=previous_days,
                        previous_share=previous_share,
                    )
                if (days, share) == (previous_days, previous_share):
                    raise CreditConfigError("unreachable", rating=rating, previous_rating=previous_rating)
            previous = (rating, days, share)
        if not isinstance(self.grace_days, int) or not 0 <= self.grace_days <= 60:
            raise CreditConfigError("grace_days", value=self.grace_days)
        if self.basis not in BASES:
            raise CreditConfigError("basis", basis=self.basis)
        if not isinstance(self.min_invoices, int) or self.min_invoices < 1:
            raise CreditConfigError("min_invoices", value=self.min_invoices)


@dataclass(frozen=True)
class CreditMatrix:
    """A company's credit limits: ``{tier code: {rating: limit}}`` for the ratings AAA to B.

    C is always 0 and may be left out (or given as 0). ``unrated``: ``"default"`` or the rating
    whose limit a customer without any rating gets.
    """

    limits: dict = field(default_factory=dict)
    unrated: str = UNRATED_DEFAULT

    def check(self):
        for tier, row in self.limits.items():
            unknown = sorted(set(row) - set(RATINGS))
            if unknown:
                raise CreditConfigError("unknown_rating", tier=tier, rating=unknown[0])
            missing = [rating for rating in BANDED if rating not in row]
            if missing:
                raise CreditConfigError("missing_rating", tier=tier, rating=missing[0])
            if row.get(WORST, 0) != 0:
                raise CreditConfigError("c_not_zero", tier=tier, value=row[WORST])
            previous = None
            for rating in BANDED:
                limit = row[rating]
                if limit is None or not np.isfinite(limit) or limit < 0:
                    raise CreditConfigError("limit_value", tier=tier, rating=rating, value=limit)
                if previous is not None and limit > previous[1]:
                    raise CreditConfigError(
                        "limit_not_monotone",
                        tier=tier,
                        rating=rating,
                        value=limit,
                        previous_rating=previous[0],
                        previous=previous[1],
                    )
                previous = (rating, limit)
        if self.unrated != UNRATED_DEFAULT and self.unrated not in RATINGS:
            raise CreditConfigError("unrated", value=self.unrated)

    def stacked(self):
        """The limits as a Series indexed by ``(tier, rating)``, C included (0)."""
        entries = {
            (tier, rating): float(row.get(rating, 0.0)) if rating != WORST else 0.0
            for tier, row in self.limits.items()
            for rating in RATINGS
        }
        index = pd.MultiIndex.from_arrays(
            [[tier for tier, _rating in entries], [rating for _tier, rating in entries]], names=["tier", "rating"]
        )
        return pd.Series(list(entries.values()), index=index, dtype="float64")


def payment_figures(invoices, today, grace_days=DEFAULT_GRACE_DAYS):
    """Each customer's payment record from its invoices (one row per invoice).

    ``invoices`` columns: ``partner_id``, ``amount`` (the invoice total in one currency, the
    company's), ``due`` (due date) and ``paid`` (the date it was paid in full; NaT while open).
    ``today``: a date; ``grace_days``: the company's ``RatingBands.grace_days``. Returns a
    DataFrame indexed by ``partner_id`` with ``FIGURE_COLUMNS``: the invoices counted and their
    amount, those overdue and their amount, the average days late and the overdue share by amount
    (%; NaN when the amount counted is 0). Customers without an invoice counted have no row.
    """
    today = pd.Timestamp(today)
    due = pd.to_datetime(invoices["due"])
    paid = pd.to_datetime(invoices["paid"])
    counted = (due > today - pd.Timedelta(days=WINDOW_DAYS)) & ((due <= today) | paid.notna())
    frame = invoices.loc[counted, ["partner_id", "amount"]].copy()
    frame["amount"] = frame["amount"].astype("float64").fillna(0.0)
    late_days = ((paid[counted].fillna(today) - due[counted]).dt.days).clip(lower=0)
    frame["days_late"] = late_days.astype("float64")
    overdue = late_days > grace_days
    frame["late_invoices"] = overdue.astype("int64")
    frame["late_amount"] = frame["amount"].where(overdue, 0.0)
    grouped = frame.groupby("partner_id", sort=True)
    figures = pd.DataFrame(
        {
            "invoices": grouped.size(),
            "amount": grouped["amount"].sum(),
            "late_invoices": grouped["late_invoices"].sum(),
            "late_amount": grouped["late_amount"].sum(),
            "days_late": grouped["days_late"].mean(),
        }
    )
    figures["overdue_share"] = (figures["late_amount"] / figures["amount"] * 100).where(figures["amount"] > 0)
    return figures.reindex(columns=list(FIGURE_COLUMNS))


def overdue_share(figures, basis="amount"):
    """The overdue share (%) of each customer: by invoiced amount or by number of invoices.

    By amount, a customer whose invoices total 0 has no share (NaN) and is judged on days alone.
    """
    if basis == "count":
        return (figures["late_invoices"] / figures["invoices"] * 100).where(figures["invoices"] > 0)
    return (figures["late_amount"] / figures["amount"] * 100).where(figures["amount"] > 0)


def suggest(figures, bands=None):
    """The suggested rating of each customer (object Series: a rating, or None without history).

    ``figures``: ``payment_figures`` output, or the same columns aggregated in SQL (the overdue
    share is recomputed from the counts and amounts on the basis ``bands`` names).
    """
    bands = bands or RatingBands()
    bands.check()
    count = pd.Series(figures["invoices"], dtype="float64").fillna(0)
    days = pd.Series(figures["days_late"], dtype="float64").fillna(0).to_numpy()
    share = overdue_share(figures, bands.basis).fillna(0).to_numpy()
    # within[i, j]: customer j stays within the ceilings of band i; C (last row) takes everyone.
    within = np.vstack(
        [(days <= band_days) & (share <= band_share) for _rating, band_days, band_share in bands.bands]
        + [np.ones(len(days), dtype=bool)]
    )
    ratings = np.array(RATINGS, dtype=object)[within.argmax(axis=0)]
    result = pd.Series(ratings, index=figures.index, dtype="object")
    return result.where(count.to_numpy() >= bands.min_invoices, None)


def effective_rating(suggested, override):
    """The rating in force: the one set by hand where there is one, else the suggestion."""
    override = pd.Series(override, dtype="object")
    suggested = pd.Series(suggested, dtype="object").reindex(override.index)
    # Odoo reads an empty selection as False: anything but a rating is "not set".
    result = override.where(override.isin(RATINGS), suggested)
    return result.where(result.isin(RATINGS), None)


def credit_limits(tiers, ratings, matrix):
    """Each customer's credit limit and prepayment flag.

    ``tiers``: tier code per customer; ``ratings``: the rating in force (None without one), same
    index. Returns a DataFrame with ``rating`` (the rating the limit was looked up for, None
    when none applied), ``limit`` (float; NaN: no limit of the customer's own) and ``prepayment``.
    """
    matrix.check()
    tiers = pd.Series(tiers, dtype="object")
    ratings = pd.Series(ratings, dtype="object").reindex(tiers.index)
    rated = ratings.notna() & ratings.isin(RATINGS)
    fallback = None if matrix.unrated == UNRATED_DEFAULT else matrix.unrated
    used = ratings.where(rated, fallback)
    lookup = matrix.stacked()
    keys = pd.MultiIndex.from_arrays([tiers.to_numpy(), used.to_numpy()])
    limits = pd.Series(lookup.reindex(keys).to_numpy(), index=tiers.index, dtype="float64")
    prepayment = (used == WORST).to_numpy()
    limits = limits.mask(prepayment, 0.0)
    return pd.DataFrame(
        {"rating": used.where(used.notna(), None), "limit": limits, "prepayment": prepayment},
        index=tiers.index,
    )


def needs_credit_approval(limits, exposure, order_amount):
    """Whether confirming each order needs a credit approval.

    ``limits``: ``credit_limits`` output per customer; ``exposure``: what the customer owes plus
    orders confirmed but not yet invoiced; ``order_amount``: the order to confirm (same index,
    company currency). A prepayment customer needs approval for any order; otherwise approval
    is needed when exposure plus the order would go above a limit of the customer's own. A limit
    of 0 without prepayment, like a missing one, means no limit (as in Odoo).
    """
    exposure = pd.Series(exposure, dtype="float64").fillna(0.0)
    order_amount = pd.Series(order_amount, dtype="float64").reindex(exposure.index).fillna(0.0)
    limit = limits["limit"].reindex(exposure.index)
    prepayment = limits["prepayment"].reindex(exposure.index).eq(True)
    over = (limit > 0) & (exposure + order_amount > limit)
    return (prepayment & (order_amount > 0)) | over
