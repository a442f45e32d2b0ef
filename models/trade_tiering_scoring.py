from contextlib import contextmanager
from datetime import timedelta

import numpy as np
import pandas as pd

from odoo import api, fields, models
from odoo.tools import SQL

from ..trade_crm_tiering import grading, tiering_day
from ..trade_crm_tiering import scoring as maths
from .trade_tiering_bulk import array_literal
from .trade_tiering_currency import MissingRatesError

# Company-dependent fields the scoring pass stores on each customer (the commercial entity; its
# contacts show the entity's), with where each value comes from: (field, frame, column, kind).
# ``frame`` is "input" (the figures aggregated from the database) or "result" (what
# trade_crm_tiering.scoring.evaluate gives).
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
    ("tiering_repurchase_rate", "result", "repurchase_rate", "float"),
    ("tiering_usual_gap", "result", "usual_gap", "float"),
    ("tiering_score_current", "result", "score_current", "int"),
    ("tiering_score_potential", "result", "score_potential", "int"),
    ("tiering_score_difficulty", "result", "score_difficulty", "int"),
    ("tiering_score_stickiness", "result", "score_stickiness", "int"),
    ("tiering_score", "result", "tiering_score", "int"),
    ("tiering_rfm_score", "result", "rfm_score", "text"),
    ("tiering_rfm_segment", "result", "rfm_segment", "text"),
    ("tiering_value_class", "result", "value_class", "text"),
    ("tiering_health_score", "result", "health", "int"),
    ("tiering_health_band", "result", "health_band", "text"),
    ("tiering_health_trend", "result", "health_trend", "text"),
    ("tiering_health_previous", "result", "health_previous", "int"),
    ("tiering_health_quarter", "result", "health_quarter", "date"),
    ("tiering_dormant", "result", "dormant", "bool"),
    ("tiering_service_cost_12m", "result", "service_cost", "money"),
    ("tiering_net_margin_12m", "result", "net_margin", "money"),
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
CASTS = {"integer": "int4", "float": "float8", "date": "date", "selection": "text", "char": "text", "boolean": "bool"}


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
        today = tiering_day.today()
        try:
            figures = scoring._gather(company, today)
        except MissingRatesError:
            return {"customers": 0, "changed": 0, "skipped": True}
        summary = scoring._score_figures(company, figures, today)
        company.tiering_last_scoring = fields.Datetime.now()
        return summary

    def _score_figures(self, company, figures, today, basis=None, partner_range=None):
        """Score and store the customers of ``figures`` (all of the company's, or those of
        ``partner_range`` ranked against ``basis``, see _score_batch); raise and close warnings."""
        scoring = self
        stored = scoring._read_stored(company, figures.index.tolist(), partner_range)
        inputs = figures.join(
            stored[["tiering_health_score", "tiering_health_previous", "tiering_health_quarter"]].rename(
                columns={
                    "tiering_health_score": "health_stored",
                    "tiering_health_previous": "health_previous_stored",
                    "tiering_health_quarter": "health_quarter_stored",
                }
            )
        )
        result = maths.evaluate(inputs, company._tiering_scoring_config(), today, basis)
        new = scoring._new_frame(inputs, result, today).reindex(stored.index)
        changed = scoring._changed_ids(stored, new)
        scoring._store(company, new.loc[changed], today)
        warnings = scoring.env["trade.customer.warning"]._tiering_sync(company, inputs, result, today, partner_range)
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

    def _gather(self, company, today, partner_range=None):
        """The figures of maths.INPUT_COLUMNS for each customer with confirmed orders (NaN unknown).

        ``partner_range``: ``(after, last)`` ids, the customers of a batch (``last`` None: no end).
        """
        self.env["sale.order"].flush_model()
        self.env["res.partner"].flush_model()
        frame = self._order_figures(company, today, partner_range)
        ids = frame.index.tolist()
        extra = [
            self._interactions(company, today, partner_range),
            self._payments(company, today, partner_range),
            self._contacts(ids),
            self._inquiries(company, today, partner_range),
            self._ratings(ids),
        ]
        for part in extra:
            frame = frame.join(part)
        counts = ["interactions_12m", "invoices_due", "contacts", "inquiries_3m", "inquiries_prev_3m"]
        # float64 whatever the batch holds: an empty aggregation gives an object column.
        frame[counts] = frame[counts].astype("float64").fillna(0)
        return frame

    def _order_window(self, today):
        """The 24 months of orders whose amounts are converted (a grading window, for the factors)."""
        return grading.GradingWindow(start=today - timedelta(days=maths.DAYS_24M - 1), end=today + timedelta(days=1))

    def _order_figures(self, company, today, partner_range=None):
        """One aggregation of the company's confirmed orders, per commercial partner.

        Amounts and margins (the order's stored margin, the sum of its lines' margins) are converted
        into the grading currency at each order's date with the daily factors of trade.tiering.currency,
        looked up by array position, and summed in whole cents like the grading engine does. Odoo would
        convert an order without any rate at a made-up 1: MissingRatesError, the stored scores stay.
        """
        window = self._order_window(today)
        where = SQL(
            "so.company_id = %s AND so.state = 'sale' AND so.date_order >= %s AND so.date_order < %s",
            company.id,
            window.start,
            window.end,
        )
        scale = 10**company.tiering_currency_id.decimal_places
        rows = self.env["trade.tiering.currency"]._converted(
            company,
            window,
            where,
            lambda currencies, factors: self._sum_order_figures(
                company, today, window, currencies, factors, scale, partner_range
            ),
            partial=False,
        )
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
            "span_24m",
            "order_days",
            "quarter_bits",
            "incomplete",
        ]
        frame = pd.DataFrame.from_records(rows, columns=columns, index="partner_id")
        money = ["amount_6m", "amount_prev_6m", "amount_12m", "amount_prev_12m", "margin_12m"]
        frame[money] = frame[money].astype("float64").fillna(0) / scale
        frame["order_days_24m"] = frame["order_days"].fillna("").str.count("1")
        frame["quarters_24m"] = [int(bits or 0).bit_count() for bits in frame["quarter_bits"].tolist()]
        frame = frame.drop(columns=["order_days", "quarter_bits", "incomplete"])
        return frame.astype({"decision_days": "float64", "span_24m": "float64"})

    def _sum_order_figures(self, company, today, window, currencies, factors, scale, partner_range=None):
        """``[(partner, figures..., incomplete)]``, one row per commercial partner.

        A plain (hash) aggregation: the distinct order days and quarters of the last 24 months are
        bitmaps (a ``bit(730)`` with bit ``age`` set, and an integer with bit ``quarter`` set) OR-ed
        together and counted in Python, instead of COUNT(DISTINCT ...) which sorts every order.
        The inner query computes each order's age and conversion factor once (OFFSET 0 keeps the
        planner from inlining them into every aggregate).
        """
        days = len(window.days())
        d6, d12, d24 = maths.DAYS_6M, maths.DAYS_12M, maths.DAYS_24M
        query = SQL(
            """SELECT o.partner_id, COUNT(*), MAX(o.age), MIN(o.age),
                      COUNT(*) FILTER (WHERE o.age < %(d12)s), COUNT(*) FILTER (WHERE o.age < %(d24)s),
                      SUM(o.cents) FILTER (WHERE o.age < %(d6)s),
                      SUM(o.cents) FILTER (WHERE o.age >= %(d6)s AND o.age < %(d12_6)s),
                      SUM(o.cents) FILTER (WHERE o.age < %(d12)s),
                      SUM(o.cents) FILTER (WHERE o.age >= %(d12)s AND o.age < %(d24)s),
                      SUM(o.margin_cents) FILTER (WHERE o.age < %(d12)s),
                      AVG(o.decision_days) FILTER (WHERE o.age < %(d12)s),
                      MAX(o.age) FILTER (WHERE o.age < %(d24)s) - MIN(o.age),
                      BIT_OR(B'1'::bit(%(d24)s) >> o.age) FILTER (WHERE o.age < %(d24)s),
                      BIT_OR(1::int8 << FLOOR(o.age / %(quarter)s)::int) FILTER (WHERE o.age < %(d24)s),
                      COALESCE(BOOL_OR(o.factor IS NULL) FILTER (WHERE o.age < %(d24)s), FALSE)
                 FROM (SELECT a.partner_id, a.age, a.factor,
                              ROUND(a.amount * a.factor * %(scale)s) AS cents,
                              ROUND(a.margin * a.factor * %(scale)s) AS margin_cents,
                              a.decision_days
                         FROM (SELECT p.commercial_partner_id AS partner_id, x.age,
                                      (%(factors)s::float8[])[
                                          (array_position(%(currencies)s::int[], so.currency_id) - 1) * %(days)s
                                          + %(days)s - x.age] AS factor,
                                      so.amount_untaxed::float8 AS amount, so.margin::float8 AS margin,
                                      GREATEST(date_part('epoch', so.date_order - so.create_date) / 86400, 0)
                                          AS decision_days
                                 FROM sale_order so
                                 JOIN res_partner p ON p.id = so.partner_id
                                CROSS JOIN LATERAL (SELECT %(today)s::date - so.date_order::date AS age) x
                                WHERE so.company_id = %(company)s AND so.state = 'sale' AND so.date_order < %(end)s
                                  AND %(in_range)s
                               OFFSET 0) a
                      ) o
                GROUP BY o.partner_id""",
            d6=d6,
            d12=d12,
            d12_6=2 * d6,
            d24=d24,
            quarter=maths.QUARTER_DAYS,
            scale=scale,
            factors=array_literal(factors, "float8"),
            currencies=currencies,
            days=days,
            today=today,
            company=company.id,
            end=window.end,
            in_range=_in_range("p.commercial_partner_id", partner_range),
        )
        with self._without_jit():
            return self.env.execute_query(query)

    @contextmanager
    def _without_jit(self):
        """JIT compiling the wide aggregation costs more than it saves (seconds, at 1M orders)."""
        cr = self.env.cr
        cr.execute("SELECT current_setting('jit')")
        previous = cr.fetchone()[0]
        cr.execute("SET LOCAL jit = off")
        try:
            yield
        finally:
            cr.execute(SQL("SELECT set_config('jit', %s, true)", previous))

    def _interactions(self, company, today, partner_range=None):
        """Done activities and logged messages of the last 12 months on the customer and its contacts,
        and on its orders in this company (the time the team spends on it)."""
        return self._interaction_counts(company, today, _in_range("p.commercial_partner_id", partner_range))

    def _interaction_counts(self, company, today, scope, leads=False):
        """``interactions_12m`` per commercial partner of ``scope`` (a condition on ``p``): done
        activities and logged messages of the last 12 months on it and its contacts, its orders in
        the company and, with ``leads``, its leads there."""
        self.env["mail.message"].flush_model(["model", "res_id", "date", "message_type", "mail_activity_type_id"])
        counted = SQL(
            "m.date >= %s AND (m.message_type = 'comment' OR m.mail_activity_type_id IS NOT NULL)",
            today - timedelta(days=maths.DAYS_12M - 1),
        )
        on_leads = SQL(
            """UNION ALL
               SELECT p.commercial_partner_id, COUNT(*)
                 FROM mail_message m
                 JOIN crm_lead l ON l.id = m.res_id
                 JOIN res_partner p ON p.id = l.partner_id
                WHERE m.model = 'crm.lead' AND (l.company_id = %(company)s OR l.company_id IS NULL)
                  AND %(counted)s AND %(scope)s
                GROUP BY 1""",
            company=company.id,
            counted=counted,
            scope=scope,
        )
        rows = self.env.execute_query(
            SQL(
                """SELECT partner_id, SUM(n) FROM (
                       SELECT p.commercial_partner_id AS partner_id, COUNT(*) AS n
                         FROM mail_message m JOIN res_partner p ON p.id = m.res_id
                        WHERE m.model = 'res.partner' AND %(counted)s AND %(scope)s
                        GROUP BY 1
                       UNION ALL
                       SELECT p.commercial_partner_id, COUNT(*)
                         FROM mail_message m
                         JOIN sale_order so ON so.id = m.res_id
                         JOIN res_partner p ON p.id = so.partner_id
                        WHERE m.model = 'sale.order' AND so.company_id = %(company)s AND %(counted)s
                          AND %(scope)s
                        GROUP BY 1
                       %(on_leads)s) counts
                    GROUP BY partner_id""",
                counted=counted,
                company=company.id,
                scope=scope,
                on_leads=on_leads if leads else SQL(),
            )
        )
        return pd.DataFrame.from_records(rows, columns=["partner_id", "interactions_12m"], index="partner_id")

    def _payments(self, company, today, partner_range=None):
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
                      AND %(in_range)s
                    GROUP BY 1""",
                company=company.id,
                in_range=_in_range("m.commercial_partner_id", partner_range),
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
                    WHERE commercial_partner_id = ANY(%s::int4[]) AND id != commercial_partner_id
                      AND active AND NOT is_company AND type = 'contact'
                    GROUP BY 1""",
                array_literal(ids, "int4"),
            )
        )
        return pd.DataFrame.from_records(rows, columns=["partner_id", "contacts"], index="partner_id")

    def _inquiries(self, company, today, partner_range=None):
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
                      AND %(in_range)s
                    GROUP BY 1""",
                in_range=_in_range("p.commercial_partner_id", partner_range),
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
        rows = self.env.execute_query(
            SQL("SELECT id, %s FROM res_partner WHERE id = ANY(%s::int4[])", columns, array_literal(ids, "int4"))
        )
        frame = pd.DataFrame.from_records(rows, columns=["partner_id", *RATING_FIELDS.values()], index="partner_id")
        return frame.astype("float64")

    # ------------------------------------------------------------------
    # Storing
    # ------------------------------------------------------------------

    def _read_stored(self, company, ids, partner_range=None):
        """What is stored for the customers of ``ids`` and for every partner scored before (one that
        has no orders any more, or became a contact of another customer, is cleared); of
        ``partner_range`` only, for a batch."""
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
                    WHERE id = ANY(%(ids)s::int4[]) OR (tiering_scored_on ? %(cid)s AND %(in_range)s)""",
                columns=columns,
                in_range=_in_range("id", partner_range),
                ids=array_literal(ids, "int4"),
                cid=cid,
            )
        )
        frame = pd.DataFrame.from_records(rows, columns=["id", *COMPARED_FIELDS], index="id")
        return frame.reindex(frame.index.union(pd.Index(ids, dtype="int64")))

    def _new_frame(self, inputs, result, today):
        """The values to store, one column per field of COMPARED_FIELDS (index: customer id).

        Numbers are float64 rounded as stored (NaN for nothing), the other values Python objects.
        """
        frames = {"input": inputs, "result": result}
        data = {}
        for name, frame, column, kind in STORED_VALUES:
            series = frames[frame][column]
            if kind in DIGITS:
                data[name] = series.astype("float64").round(DIGITS[kind])
            elif kind == "days_ago":
                data[name] = _days_ago(series, today)
            elif kind == "bool":
                data[name] = series.fillna(False).astype(bool)
            else:
                data[name] = series.astype(object).where(series.notna(), None)
        return pd.DataFrame(data, index=result.index)

    def _changed_ids(self, stored, new):
        """The customers whose new values differ from the stored ones (same index in both frames).

        Compared column by column the way the values read back: nothing, 0 and False are alike.
        """
        changed = np.zeros(len(stored), dtype=bool)
        for name, _frame, _column, kind in STORED_VALUES:
            if kind in DIGITS:
                before = pd.to_numeric(stored[name], errors="coerce").fillna(0).to_numpy(dtype="float64")
                changed |= before != new[name].astype("float64").fillna(0).to_numpy(dtype="float64")
            else:
                changed |= _objects(stored[name]) != _objects(new[name])
        return stored.index[changed]

    def _store(self, company, new, today):
        """One UPDATE of the changed customers (``new``: their values).

        Scores stay on the commercial entity: copied onto every contact, as grades are, they would
        make the nightly UPDATE a fifth larger (a contact per 4 customers in the benchmark) for
        figures nobody filters contacts by; a contact's form links to its company's scores.
        """
        if new.empty:
            return
        values = {name: _python(new[name], kind) for name, _frame, _column, kind in STORED_VALUES}
        # Every customer with orders has a last order; the others are cleared.
        values["tiering_scored_on"] = [today if day else None for day in values["tiering_last_order_date"]]
        self.env["trade.tiering.bulk"]._write_company_fields(company, new.index.tolist(), values)


DIGITS = {"int": 0, "money": 2, "float": 1}


def _in_range(column, partner_range):
    """SQL: ``column`` within ``(after, last]`` (no end when ``last`` is None); TRUE without a range."""
    if partner_range is None:
        return SQL("TRUE")
    after, last = partner_range
    if last is None:
        return SQL("%s > %s", SQL(column), after)
    return SQL("%s > %s AND %s <= %s", SQL(column), after, SQL(column), last)


def _days_ago(series, today):
    """Dates ``series`` days before ``today`` (None where unknown)."""
    days = series.to_numpy(dtype="float64", na_value=np.nan)
    known = ~np.isnan(days)
    dates = np.full(len(days), None, dtype=object)
    dates[known] = (np.datetime64(today, "D") - days[known].astype("timedelta64[D]")).astype(object)
    return pd.Series(dates, index=series.index, dtype=object)


def _objects(series):
    """``series`` as an object array where nothing, False and empty text are all None."""
    values = series.to_numpy(dtype=object).copy()
    empty = series.isna().to_numpy() | series.isin([False, ""]).to_numpy()
    values[empty] = None
    return values


def _python(series, kind):
    """A column as the Python values to store (None for nothing)."""
    if kind not in DIGITS:
        return _objects(series).tolist()
    numbers = series.to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(numbers)
    # astype(object) gives Python ints and floats, as the ORM would write them.
    values = (np.where(missing, 0, numbers).astype(np.int64) if kind == "int" else numbers).astype(object)
    values[missing] = None
    return values.tolist()
