"""Credit ratings from the payment record and credit limits by service tier x rating.

The nightly scoring pass calls ``trade.credit._refresh`` once per company after its scores: one
aggregation of the company's invoices, the maths in trade_crm_tiering/credit.py, and bulk writes
of the suggested rating, the rating in force and, in a company with a credit matrix, Odoo's own
partner credit limit (``credit_limit``), so its sales-order credit warning works.
"""

import numpy as np
import pandas as pd

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..trade_crm_tiering import credit, tiering_day

# The limit field of each rating of the matrix (C is always 0: prepayment).
LIMIT_FIELDS = tuple((rating, f"limit_{rating.lower()}") for rating in credit.BANDED)


def _limit_fields():
    return {
        name: fields.Monetary(string=f"{rating} Limit", currency_field="currency_id", default=0.0)
        for rating, name in LIMIT_FIELDS
    }


class TradeCreditLimit(models.Model):
    """One row of a company's credit matrix: a service tier's credit limit for each rating."""

    _name = "trade.credit.limit"
    _description = "Credit Limit by Tier and Rating"
    _order = "company_id, tiering_service_tier_id"
    _rec_name = "tiering_service_tier_id"

    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    tiering_service_tier_id = fields.Many2one(
        "trade.service.tier",
        required=True,
        ondelete="cascade",
        domain="[('company_id', '=', company_id)]",
    )
    locals().update(_limit_fields())

    _sql_constraints = [
        ("tier_uniq", "unique(company_id, tiering_service_tier_id)", "A service tier has one row of credit limits."),
    ]

    def _tiering_limits(self):
        return {rating: self[name] for rating, name in LIMIT_FIELDS}

    @api.constrains("tiering_service_tier_id", "company_id", *(name for _rating, name in LIMIT_FIELDS))
    def _check_limits(self):
        for row in self:
            if row.tiering_service_tier_id.company_id != row.company_id:
                raise ValidationError(
                    self.env._(
                        "Tier %(tier)s belongs to another company than %(company)s.",
                        tier=row.tiering_service_tier_id.display_name,
                        company=row.company_id.name,
                    )
                )
            try:
                credit.CreditMatrix(limits={row.tiering_service_tier_id.display_name: row._tiering_limits()}).check()
            except credit.CreditConfigError as error:
                raise ValidationError(row.company_id._tiering_credit_error_message(error)) from error

    @api.model_create_multi
    def create(self, vals_list):
        rows = super().create(vals_list)
        rows._tiering_use_credit_limit()
        return rows

    def write(self, vals):
        res = super().write(vals)
        self._tiering_use_credit_limit()
        return res

    def _tiering_use_credit_limit(self):
        """A company with a matrix turns on Odoo's sales credit limit, so its warning shows."""
        # sudo: the setting is the company's; whoever may edit the matrix may have it follow.
        self.company_id.sudo().filtered(lambda c: not c.account_use_credit_limit).account_use_credit_limit = True


class TradeCredit(models.AbstractModel):
    """Suggests credit ratings and writes credit limits, set-based, as superuser (system values)."""

    _name = "trade.credit"
    _description = "Customer Credit Ratings and Limits"

    @api.model
    def _refresh(self, company, partner_ids=None):
        """Rate ``company``'s customers (or ``partner_ids``) and write their limits. Returns counts."""
        service = self.sudo().with_company(company)
        company = service.env["res.company"].browse(company.id)
        today = tiering_day.today()
        bands = company._tiering_credit_bands()
        figures = service._payment_figures(company, today, bands.grace_days, partner_ids)
        matrix = company._tiering_credit_matrix()
        stored = service._read_stored(company, figures.index.tolist(), partner_ids, everyone=matrix is not None)
        suggested = credit.suggest(figures.reindex(stored.index), bands)
        rated = service._write_ratings(company, stored, suggested, today)
        limits = service._write_limits(company, stored, suggested, matrix) if matrix is not None else 0
        return {"customers": len(stored), "rated": rated, "limits": limits}

    def _payment_figures(self, company, today, grace_days, partner_ids=None):
        """credit.payment_figures in one aggregation: the company's invoices due in the last 12
        months (or later and paid), by commercial partner, in the company currency."""
        self.env["account.move"].flush_model()
        self.env["account.partial.reconcile"].flush_model()
        scope = SQL("AND m.commercial_partner_id = ANY(%s)", list(partner_ids)) if partner_ids is not None else SQL()
        rows = self.env.execute_query(
            SQL(
                """WITH paid AS (
                       SELECT l.move_id, MAX(apr.max_date) AS day
                         FROM account_partial_reconcile apr JOIN account_move_line l ON l.id = apr.debit_move_id
                        WHERE apr.company_id = %(company)s
                        GROUP BY l.move_id
                   ), invoices AS (
                       SELECT m.commercial_partner_id AS pid, COALESCE(m.amount_total_signed, 0) AS amount,
                              GREATEST(CASE WHEN m.payment_state IN ('paid', 'in_payment') THEN paid.day
                                            ELSE %(today)s::date END - m.invoice_date_due, 0) AS late
                         FROM account_move m LEFT JOIN paid ON paid.move_id = m.id
                        WHERE m.company_id = %(company)s AND m.move_type = 'out_invoice' AND m.state = 'posted'
                          AND m.payment_state IN ('paid', 'in_payment', 'partial', 'not_paid')
                          AND m.invoice_date_due > %(start)s
                          AND (m.invoice_date_due <= %(today)s OR m.payment_state IN ('paid', 'in_payment'))
                          %(scope)s
                   )
                   SELECT pid, COUNT(*), SUM(amount), COUNT(*) FILTER (WHERE late > %(grace)s),
                          COALESCE(SUM(amount) FILTER (WHERE late > %(grace)s), 0), AVG(late)
                     FROM invoices GROUP BY pid""",
                company=company.id,
                today=today,
                start=today - pd.Timedelta(days=credit.WINDOW_DAYS),
                grace=grace_days,
                scope=scope,
            )
        )
        columns = ["partner_id", "invoices", "amount", "late_invoices", "late_amount", "days_late"]
        frame = pd.DataFrame.from_records(rows, columns=columns, index="partner_id").astype("float64")
        return frame

    def _read_stored(self, company, ids, partner_ids=None, everyone=False):
        """Per commercial partner to look at (with invoices counted, a rating stored, or everyone
        when the company has a credit matrix): its service tier (the company's default tier when
        none is stored, as the ORM reads it), suggested and hand-set ratings, rating in force,
        credit limit and limit override."""
        partners = self.env["res.partner"].with_company(company)
        partners.flush_model()
        cid = str(company.id)
        default_tier = partners._fields["tiering_service_tier_id"].get_company_dependent_fallback(partners)
        scope = SQL("AND p.id = ANY(%s)", list(partner_ids)) if partner_ids is not None else SQL()
        targets = (
            SQL("TRUE")
            if everyone
            else SQL(
                """(p.id = ANY(%(ids)s) OR p.trade_credit_rating_auto ? %(cid)s
                    OR p.trade_credit_rating_override ? %(cid)s OR p.trade_credit_rating_used ? %(cid)s)""",
                ids=[int(pid) for pid in ids],
                cid=cid,
            )
        )
        rows = self.env.execute_query(
            SQL(
                """SELECT p.id, COALESCE((p.tiering_service_tier_id ->> %(cid)s)::int, %(default_tier)s),
                          p.trade_credit_rating_auto ->> %(cid)s, p.trade_credit_rating_override ->> %(cid)s,
                          p.trade_credit_rating_used ->> %(cid)s, (p.credit_limit ->> %(cid)s)::float8,
                          COALESCE((p.trade_credit_limit_manual ->> %(cid)s)::boolean, false)
                     FROM res_partner p
                    WHERE p.id = p.commercial_partner_id AND %(targets)s %(scope)s""",
                cid=cid,
                default_tier=default_tier.id or None,
                targets=targets,
                scope=scope,
            )
        )
        columns = ["partner_id", "tier", "auto", "override", "used", "limit", "manual"]
        return pd.DataFrame.from_records(rows, columns=columns, index="partner_id").sort_index()

    def _write_ratings(self, company, stored, suggested, today):
        """Store the suggested rating and the rating in force where they changed."""
        used = credit.effective_rating(suggested, stored["override"])
        changed = (_objects(stored["auto"]) != _objects(suggested)) | (_objects(stored["used"]) != _objects(used))
        ids = stored.index[changed].tolist()
        if ids:
            self.env["trade.tiering.bulk"]._write_company_fields(
                company,
                ids,
                {
                    "trade_credit_rating_auto": _objects(suggested[changed]).tolist(),
                    "trade_credit_rating_used": _objects(used[changed]).tolist(),
                    "trade_credit_rated_auto_on": [today] * len(ids),
                },
            )
        return len(ids)

    def _write_limits(self, company, stored, suggested, matrix):
        """Write Odoo's credit limit of the graded customers (those with a service tier) of a company
        with a credit matrix, but for limits a supervisor set by hand. Without a matrix, nothing:
        the company's limits stay the users' own."""
        graded = stored[stored["tier"].notna() & ~stored["manual"].astype(bool)]
        if graded.empty:
            return 0
        used = credit.effective_rating(suggested.reindex(graded.index), graded["override"])
        limits = credit.credit_limits(graded["tier"].astype("int64"), used, matrix)["limit"]
        # Odoo keeps no limit of the customer's own as the company default (nothing stored).
        fallback = (
            self.env["res.partner"]
            ._fields["credit_limit"]
            .get_company_dependent_fallback(self.env["res.partner"].with_company(company))
        )
        new = limits.fillna(fallback or 0.0).round(2)
        old = pd.to_numeric(graded["limit"], errors="coerce").fillna(fallback or 0.0).round(2)
        changed = new.to_numpy() != old.to_numpy()
        ids = graded.index[changed].tolist()
        if not ids:
            return 0
        values = new[changed].tolist()
        # Odoo copies credit_limit onto contacts (a commercial field): the same in bulk.
        contacts = self.env.execute_query(
            SQL(
                """SELECT id, commercial_partner_id FROM res_partner
                    WHERE commercial_partner_id = ANY(%s) AND id != commercial_partner_id""",
                ids,
            )
        )
        by_id = dict(zip(ids, values, strict=True))
        all_ids = ids + [pid for pid, _parent in contacts]
        all_values = values + [by_id[parent] for _pid, parent in contacts]
        self.env["trade.tiering.bulk"]._write_company_fields(company, all_ids, {"credit_limit": all_values})
        return len(ids)


def _objects(series):
    """Ratings as objects, anything but a rating (NaN, False, None) as None."""
    values = pd.Series(series, dtype="object").to_numpy(dtype=object).copy()
    values[~np.isin(values, credit.RATINGS)] = None
    return values
