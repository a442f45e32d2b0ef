from datetime import timedelta

import numpy as np
import pandas as pd

from odoo import api, fields, models
from odoo.tools import SQL

from ..trade_crm_tiering import grading
from ..trade_crm_tiering import scoring as maths

# Company-dependent fields the scoring pass stores on each customer and copies onto its contacts,
# with where each value comes from: (field, frame, column, kind). ``frame`` is "input" (the figures
# aggregated from the database) or "result" (what trade_crm_tiering.scoring.evaluate gives).
STORED_VALUES = (
    ("tiering_first_order_date", "input", "days_since_first", "days_ago"),
    ("tiering_last_order_date", "input", "days_since_last", "days_ago"),
    ("tiering_orders_12m", "input", "orders_12m", "int"),
    ("tiering_amount_12m", "input", "amount_12m", "money"),
    ("tiering_amount_prev_12m", "input", "amount_prev_12m", "money"),
    ("tiering_amount_6m", "input", "amount_6m", "money"),
    ("tiering_amount_prev_6m", "input", "amount_prev_6m", "money"),
    ("tiering_margin_12m", "input", "margin_12m", "money"),
    ("tiering_interactions_12m", "input", "interactions_12m", "int"),
    ("tiering_days_late", "input", "days_late", "float"),
    ("tiering_invoices_due", "input", "invoices_due", "int"),
    ("tiering_decision_days", "input", "decision_days", "float"),
    ("tiering_contact_count", "input", "contacts", "int"),
    ("tiering_inquiries_3m", "input", "inquiries_3m", "int"),
    ("tiering_inquiries_prev_3m", "input", "inquiries_prev_3m", "int"),
    ("tiering_cost_to_serve", "result", "cost_to_serve", "money"),
    ("tiering_repurchase_rate", "result", "repurchase_rate", "float"),
    ("tiering_usual_gap", "result", "usual_gap", "float"),
    ("score_current", "result", "score_current", "int"),
    ("score_potential", "result", "score_potential", "int"),
    ("score_difficulty", "result", "score_difficulty", "int"),
    ("score_stickiness", "result", "score_stickiness", "int"),
    ("tiering_score", "result", "tiering_score", "int"),
    ("rfm_recency", "result", "rfm_recency", "int"),
    ("rfm_frequency", "result", "rfm_frequency", "int"),
    ("rfm_monetary", "result", "rfm_monetary", "int"),
    ("rfm_segment", "result", "rfm_segment", "text"),
    ("value_class", "result", "value_class", "text"),
    ("health_score", "result", "health", "int"),
    ("health_band", "result", "health_band", "text"),
    ("health_trend", "result", "health_trend", "text"),
    ("health_previous", "result", "health_previous", "int"),
    ("health_quarter", "result", "health_quarter", "date"),
    ("tiering_dormant", "result", "dormant", "bool"),
)
COMPARED_FIELDS = tuple(name for name, *_source in STORED_VALUES)
# When the scores of a customer last changed: written with them, never compared.
SCORE_FIELDS = (*COMPARED_FIELDS, "tiering_scored_on")
# Rep-entered 1-5 ratings: plain fields, the same in every company, writable by reps.
RATING_FIELDS = {
    "tiering_rating_industry": "rating_industry",
    "tiering_rating_size": "rating_size",
    "tiering_rating_wallet": "rating_wallet",
    "tiering_rating_chain": "rating_chain",
}
CASTS = {"integer": "int4", "float": "float8", "date": "date", "selection": "text", "boolean": "bool"}


def _empty(value):
    """Whether a stored value reads as nothing: the engine stores no 0, False or empty text."""
    return value is None or value is False or value == "" or (not isinstance(value, bool) and value == 0)


class TradeTieringScoring(models.AbstractModel):
    """Scores every customer of a company in one set-based pass, after its nightly regrade.

    A handful of aggregations per company (orders, interactions, invoices, contacts, leads, what is
    stored), the maths in trade_crm_tiering/scoring.py on one DataFrame, one UPDATE of the customers
    whose values changed (and their contacts), then the early warnings (trade.customer.warning).
    Runs as superuser like the grading engine: the values are system-maintained.
    """

    _name = "trade.tiering.scoring"
    _description = "Customer Scoring"

    @api.model
    def _score(self, company):
        """Score the customers of ``company``. Returns a summary dict of counts."""
        # sudo: see the class docstring.
        scoring = self.sudo().with_company(company)
        company = scoring.env["res.company"].browse(company.id)
        today = fields.Date.context_today(scoring)
        figures = scoring._gather(company, today)
        stored = scoring._read_stored(company, figures.index.tolist())
        inputs = figures.join(
            stored[["health_score", "health_previous", "health_quarter"]].rename(
                columns={
                    "health_score": "health_stored",
                    "health_previous": "health_previous_stored",
                    "health_quarter": "health_quarter_stored",
                }
            )
        )
        result = maths.evaluate(inputs, company._tiering_scoring_config(), today)
        changed = scoring._changed_values(stored, scoring._new_values(inputs, result, today))
        scoring._store(company, changed, today)
        warnings = scoring.env["trade.customer.warning"]._tiering_sync(company, inputs, result, today)
        company.tiering_last_scoring = fields.Datetime.now()
        return {"customers": len(result), "changed": len(changed), **warnings}

    @api.model
    def _score_companies(self, companies=None):
        """Score every company (or ``companies``); the demo data calls this once its orders exist."""
        # Few companies, each scored as a whole.
        companies = companies or self.env["res.company"].search([])  # pylint: disable=no-search-all
        return {company.id: self._score(company) for company in companies}

    # ------------------------------------------------------------------
    # Gathering the figures
    # ------------------------------------------------------------------

    def _gather(self, company, today):
        """The figures of maths.INPUT_COLUMNS for each customer with confirmed orders (NaN unknown)."""
        self.env["sale.order"].flush_model()
        self.env["res.partner"].flush_model()
        frame = self._order_figures(company, today)
        ids = frame.index.tolist()
        extra = [
            self._interactions(company, today),
            self._payments(company, today),
            self._contacts(ids),
            self._inquiries(company, today),
            self._ratings(ids),
        ]
        for part in extra:
            frame = frame.join(part)
        counts = ["interactions_12m", "invoices_due", "contacts", "inquiries_3m", "inquiries_prev_3m"]
        frame[counts] = frame[counts].fillna(0)
        return frame

    def _order_window(self, today):
        """The 24 months of orders whose amounts are converted (a grading window, for the factors)."""
        return grading.GradingWindow(start=today - timedelta(days=maths.DAYS_24M - 1), end=today + timedelta(days=1))

    def _order_figures(self, company, today):
        """One aggregation of the company's confirmed orders, per commercial partner.

        Amounts and margins (the order's stored margin, the sum of its lines' margins) are converted
        into the grading currency at each order's date with the engine's daily factors, looked up by
        array position, and summed in whole cents like the grading engine does.
        """
        engine = self.env["trade.tiering.engine"]
        window = self._order_window(today)
        where = SQL(
            "so.company_id = %s AND so.state = 'sale' AND so.date_order >= %s AND so.date_order < %s",
            company.id,
            window.start,
            window.end,
        )
        scale = 10**company.tiering_currency_id.decimal_places
        currencies = engine._candidate_currencies(company)
        factors = engine._daily_factors(company, window, currencies)
        rows = self._sum_order_figures(company, today, window, currencies, factors, scale)
        if any(row[-1] for row in rows):
            # An order in a currency no pricelist uses (any more), or in one without rates.
            currencies = sorted(set(currencies) | engine._order_currencies(where))
            factors = engine._daily_factors(company, window, currencies)
            rows = self._sum_order_figures(company, today, window, currencies, factors, scale)
            if any(row[-1] for row in rows):
                engine._raise_missing_rates(company, window, where, currencies, factors)
        columns = [
            "partner_id",
            "orders",
            "days_since_first",
            "days_since_last",
            "orders_12m",
            "orders_24m",
            "amount_6m",
            "amount_prev_6m",
            "amount_12m",
            "amount_prev_12m",
            "margin_12m",
            "decision_days",
            "order_days_24m",
            "span_24m",
            "quarters_24m",
            "incomplete",
        ]
        frame = pd.DataFrame.from_records(rows, columns=columns, index="partner_id").drop(columns="incomplete")
        money = ["amount_6m", "amount_prev_6m", "amount_12m", "amount_prev_12m", "margin_12m"]
        frame[money] = frame[money].astype("float64").fillna(0) / scale
        return frame.astype({"decision_days": "float64", "span_24m": "float64"})

    def _sum_order_figures(self, company, today, window, currencies, factors, scale):
        days = len(window.days())
        # Day 0 is today; the factor of an order ``age`` days old sits at ``days - age`` of its currency.
        factor = SQL(
            "(%(factors)s::float8[])[(array_position(%(currencies)s::int[], o.currency_id) - 1) * %(days)s"
            " + %(days)s - o.age]",
            factors=factors,
            currencies=currencies,
            days=days,
        )

        def cents(column, low, high):
            return SQL(
                "SUM(ROUND(%(column)s * %(factor)s * %(scale)s)) FILTER (WHERE o.age >= %(low)s AND o.age < %(high)s)",
                column=SQL.identifier("o", column),
                factor=factor,
                scale=scale,
                low=low,
                high=high,
            )

        d6, d12, d24 = maths.DAYS_6M, maths.DAYS_12M, maths.DAYS_24M
        return self.env.execute_query(
            SQL(
                """SELECT o.partner_id, COUNT(*), MAX(o.age), MIN(o.age),
                          COUNT(*) FILTER (WHERE o.age < %(d12)s), COUNT(*) FILTER (WHERE o.age < %(d24)s),
                          %(amount_6m)s, %(amount_prev_6m)s, %(amount_12m)s, %(amount_prev_12m)s, %(margin_12m)s,
                          AVG(GREATEST(EXTRACT(EPOCH FROM o.date_order - o.create_date) / 86400, 0))
                              FILTER (WHERE o.age < %(d12)s),
                          COUNT(DISTINCT o.age) FILTER (WHERE o.age < %(d24)s),
                          MAX(o.age) FILTER (WHERE o.age < %(d24)s) - MIN(o.age) FILTER (WHERE o.age < %(d24)s),
                          COUNT(DISTINCT FLOOR(o.age / %(quarter)s)) FILTER (WHERE o.age < %(d24)s),
                          COALESCE(BOOL_OR(%(factor)s IS NULL) FILTER (WHERE o.age < %(d24)s), FALSE)
                     FROM (SELECT p.commercial_partner_id AS partner_id, so.currency_id, so.date_order,
                                  so.create_date, so.amount_untaxed::float8 AS amount, so.margin::float8 AS margin,
                                  %(today)s::date - so.date_order::date AS age
                             FROM sale_order so
                             JOIN res_partner p ON p.id = so.partner_id
                            WHERE so.company_id = %(company)s AND so.state = 'sale' AND so.date_order < %(end)s
                          ) o
                    GROUP BY o.partner_id""",
                d12=d12,
                d24=d24,
                amount_6m=cents("amount", 0, d6),
                amount_prev_6m=cents("amount", d6, 2 * d6),
                amount_12m=cents("amount", 0, d12),
                amount_prev_12m=cents("amount", d12, d24),
                margin_12m=cents("margin", 0, d12),
                quarter=maths.QUARTER_DAYS,
                factor=factor,
                today=today,
                company=company.id,
                end=window.end,
            )
        )

    def _interactions(self, company, today):
        """Done activities and logged messages of the last 12 months on the customer and its contacts,
        and on its orders in this company (the time the team spends on it)."""
        self.env["mail.message"].flush_model(["model", "res_id", "date", "message_type", "mail_activity_type_id"])
        counted = SQL(
            "m.date >= %s AND (m.message_type = 'comment' OR m.mail_activity_type_id IS NOT NULL)",
            today - timedelta(days=maths.DAYS_12M - 1),
        )
        rows = self.env.execute_query(
            SQL(
                """SELECT partner_id, SUM(n) FROM (
                       SELECT p.commercial_partner_id AS partner_id, COUNT(*) AS n
                         FROM mail_message m JOIN res_partner p ON p.id = m.res_id
                        WHERE m.model = 'res.partner' AND %(counted)s
                        GROUP BY 1
                       UNION ALL
                       SELECT p.commercial_partner_id, COUNT(*)
                         FROM mail_message m
                         JOIN sale_order so ON so.id = m.res_id
                         JOIN res_partner p ON p.id = so.partner_id
                        WHERE m.model = 'sale.order' AND so.company_id = %(company)s AND %(counted)s
                        GROUP BY 1) counts
                    GROUP BY partner_id""",
                counted=counted,
                company=company.id,
            )
        )
        return pd.DataFrame.from_records(rows, columns=["partner_id", "interactions_12m"], index="partner_id")

    def _payments(self, company, today):
        """Average days paid late on the customer invoices of the company due in the last 12 months.

        A paid invoice was paid on the latest date of its reconciliations (``max_date`` of its
        partial reconciles: the later of the invoice and the payment dates); an invoice still open
        after its due date is late by the days since. Invoices paid before falling due count too.
        """
        self.env["account.move"].flush_model()
        self.env["account.partial.reconcile"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """WITH paid AS (
                       SELECT l.move_id, MAX(apr.max_date) AS day
                         FROM account_partial_reconcile apr JOIN account_move_line l ON l.id = apr.debit_move_id
                        WHERE apr.company_id = %(company)s
                        GROUP BY l.move_id)
                   SELECT m.commercial_partner_id,
                          AVG(GREATEST(CASE WHEN m.payment_state IN ('paid', 'in_payment') THEN paid.day
                                            ELSE %(today)s::date END - m.invoice_date_due, 0)),
                          COUNT(*)
                     FROM account_move m LEFT JOIN paid ON paid.move_id = m.id
                    WHERE m.company_id = %(company)s AND m.move_type = 'out_invoice' AND m.state = 'posted'
                      AND m.payment_state IN ('paid', 'in_payment', 'partial', 'not_paid')
                      AND m.invoice_date_due >= %(start)s
                      AND (m.invoice_date_due <= %(today)s OR m.payment_state IN ('paid', 'in_payment'))
                    GROUP BY 1""",
                company=company.id,
                today=today,
                start=today - timedelta(days=maths.DAYS_12M - 1),
            )
        )
        frame = pd.DataFrame.from_records(rows, columns=["partner_id", "days_late", "invoices_due"], index="partner_id")
        return frame.astype({"days_late": "float64"})

    def _contacts(self, ids):
        """Active contact persons at each customer."""
        rows = self.env.execute_query(
            SQL(
                """SELECT commercial_partner_id, COUNT(*) FROM res_partner
                    WHERE commercial_partner_id = ANY(%s) AND id != commercial_partner_id
                      AND active AND NOT is_company AND type = 'contact'
                    GROUP BY 1""",
                ids,
            )
        )
        return pd.DataFrame.from_records(rows, columns=["partner_id", "contacts"], index="partner_id")

    def _inquiries(self, company, today):
        """Leads and opportunities (lost ones too) from each customer: the last 3 months and the 3 before.

        Leads without a company count for every company.
        """
        self.env["crm.lead"].flush_model(["partner_id", "company_id", "create_date"])
        split = today - timedelta(days=maths.DAYS_3M - 1)
        rows = self.env.execute_query(
            SQL(
                """SELECT p.commercial_partner_id,
                          COUNT(*) FILTER (WHERE l.create_date >= %(split)s),
                          COUNT(*) FILTER (WHERE l.create_date < %(split)s)
                     FROM crm_lead l JOIN res_partner p ON p.id = l.partner_id
                    WHERE (l.company_id = %(company)s OR l.company_id IS NULL) AND l.create_date >= %(start)s
                    GROUP BY 1""",
                split=split,
                start=split - timedelta(days=maths.DAYS_3M),
                company=company.id,
            )
        )
        return pd.DataFrame.from_records(
            rows, columns=["partner_id", "inquiries_3m", "inquiries_prev_3m"], index="partner_id"
        )

    def _ratings(self, ids):
        columns = SQL(", ").join(SQL("%s::int", SQL.identifier(name)) for name in RATING_FIELDS)
        rows = self.env.execute_query(SQL("SELECT id, %s FROM res_partner WHERE id = ANY(%s)", columns, ids))
        frame = pd.DataFrame.from_records(rows, columns=["partner_id", *RATING_FIELDS.values()], index="partner_id")
        return frame.astype("float64")

    # ------------------------------------------------------------------
    # Storing
    # ------------------------------------------------------------------

    def _read_stored(self, company, ids):
        """What is stored for the customers of ``ids`` and for every customer scored before."""
        partners = self.env["res.partner"]
        cid = str(company.id)
        columns = SQL(", ").join(
            SQL(
                "(%s ->> %s)::%s",
                SQL.identifier(name),
                cid,
                SQL(CASTS[partners._fields[name].type]),
            )
            for name in COMPARED_FIELDS
        )
        rows = self.env.execute_query(
            SQL(
                """SELECT id, %(columns)s FROM res_partner
                    WHERE id = commercial_partner_id AND (id = ANY(%(ids)s) OR tiering_scored_on ? %(cid)s)""",
                columns=columns,
                ids=ids,
                cid=cid,
            )
        )
        frame = pd.DataFrame.from_records(rows, columns=["id", *COMPARED_FIELDS], index="id")
        return frame.reindex(frame.index.union(pd.Index(ids, dtype="int64")))

    def _new_values(self, inputs, result, today):
        """``{customer id: tuple of COMPARED_FIELDS values}``, as the ORM would read them back."""
        frames = {"input": inputs, "result": result}
        columns = [_convert(kind, frames[frame][column], today) for _name, frame, column, kind in STORED_VALUES]
        return dict(zip(result.index.tolist(), zip(*columns, strict=True), strict=True))

    def _changed_values(self, stored, new):
        """The values to write: new ones that differ from what is stored, and empty ones for the
        customers scored before that have no orders any more."""
        nothing = (None,) * len(COMPARED_FIELDS)
        changed = {}
        for partner_id, *old in stored.itertuples(name=None):
            values = new.get(partner_id, nothing)
            before = [None if pd.isna(value) else value for value in old]
            if any(_empty(a) != _empty(b) or (not _empty(a) and a != b) for a, b in zip(before, values, strict=True)):
                changed[partner_id] = values
        return changed

    def _store(self, company, changed, today):
        """One UPDATE of the changed customers and their contacts."""
        if not changed:
            return
        contacts = self.env["trade.tiering.engine"]._contacts_of(list(changed))
        rows = []
        for partner_id, values in changed.items():
            row = dict(zip(COMPARED_FIELDS, values, strict=True))
            row["tiering_scored_on"] = today if any(not _empty(value) for value in values) else None
            rows += [(target, row) for target in (partner_id, *contacts.get(partner_id, ()))]
        self.env["trade.tiering.engine"]._write_grade_fields(company, rows)


def _convert(kind, series, today):
    """A column of the frame as a list of values to store (None for nothing)."""
    if kind in ("text", "date"):
        return [None if value is None or pd.isna(value) else value for value in series.tolist()]
    numbers = series.to_numpy(dtype="float64", na_value=np.nan)
    if kind == "bool":
        return [bool(value) for value in numbers]
    if kind == "days_ago":
        return [None if np.isnan(value) else today - timedelta(days=int(value)) for value in numbers]
    if kind == "int":
        return [None if np.isnan(value) else int(value) for value in numbers]
    digits = 2 if kind == "money" else 1
    return [None if np.isnan(value) else round(float(value), digits) for value in numbers]
