"""The manager's numbers on the portfolio dashboard (issue 14.5; seed 004's dashboard, seed 002's 20/80).

Repurchase rate by grade, lead-source conversion, deal cycle by grade, margin rate by country, win
rate and median response time per rep, the Pareto of margin, and the grade distribution at the end
of each quarter. Each figure comes from one set-based query run as the user:

- orders and grades are those of the portfolio customers the user may see (the dashboard's own
  scope, trade.portfolio.customer under its record rules: a rep their customers);
- leads are those the user may read (crm.lead's record rules), a rep's own only;
- response clocks are those the user may read (a rep's own).

The maths is in trade_crm_tiering.manager_numbers. Every figure links to the records behind it,
computed the same way as the user.
"""

from datetime import datetime, time, timedelta

import pandas as pd

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..trade_crm_tiering import manager_numbers, portfolio, response

ORDER_FIELDS = ("partner_id", "company_id", "state", "date_order", "amount_untaxed", "margin", "currency_rate")
# The dashboard links of these figures: action_open(kind) calls _open_<kind>.
NUMBER_LINKS = (
    "repurchase",
    "margin_country",
    "margin_pareto",
    "lead_source",
    "deal_cycle",
    "rep_leads",
    "rep_response",
    "grade_trend",
)
LEAD_FIELDS = ("company_id", "active", "create_date", "date_closed", "source_id", "user_id", "stage_id", "partner_id")


class TradePortfolioDashboard(models.AbstractModel):
    _inherit = "trade.portfolio.dashboard"

    @api.model
    def get_numbers(self, period=None):
        """The manager's numbers of ``period`` for the current company: a call of their own, which
        the dashboard makes beside get_data (in parallel under workers), each within its 2 s."""
        period = period or portfolio.DEFAULT_PERIOD
        self._period_bounds(period)  # an unknown period is refused with a clear error
        self._without_jit()
        return self._manager_numbers(self.env.company, period)

    # ------------------------------------------------------------------
    # The figures
    # ------------------------------------------------------------------

    def _period_moments(self, period):
        """``(first moment, moment after the last day)`` of ``period``, naive UTC as stored."""
        start, end = self._period_bounds(period or portfolio.DEFAULT_PERIOD)
        return datetime.combine(start, time.min), datetime.combine(end + timedelta(days=1), time.min)

    def _manager_numbers(self, company, period):
        first, after = self._period_moments(period)
        stars = dict(self.env["res.partner"]._fields["tiering_star_grade"]._description_selection(self.env))
        customers = self._visible_customers(company)
        orders = self._order_rows(company, first, after, customers)
        leads = self._lead_rows(company, first, after)
        return {
            "repurchase": self._repurchase(orders, stars),
            "margin_countries": self._margin_countries(company, orders),
            "margin_pareto": self._margin_pareto(orders),
            "sources": self._sources(leads, first, after),
            "cycle": self._cycle(leads, stars, first, after),
            "reps": self._reps(company, leads, first, after),
            "trend": self._trend(company, stars, customers),
        }

    def _visible_customers(self, company):
        """``{customer: (star, created, country)}`` of the portfolio customers the user may see:
        one read of the dashboard's scope (trade.portfolio.customer under the record rules) that
        every figure on customers then filters with."""
        self.env["res.partner"].flush_model(["country_id"])
        query = self._customer_query(company)
        column = query.table
        rows = self.env.execute_query(
            query.select(
                SQL.identifier(column, "partner_id"),
                SQL("%s::int", SQL.identifier(column, "tiering_star_grade")),
                SQL.identifier(column, "customer_since"),
                SQL.identifier(column, "country_id"),
            )
        )
        return {partner: (star, since, country) for partner, star, since, country in rows}

    def _among(self, column, customers):
        """The SQL condition keeping ``column`` to ``customers``: none for a user who sees the
        company (the rows are filtered in Python), an id list for a rep (a few hundred)."""
        if self._sees_company():
            return SQL("TRUE")
        return SQL("%s IN (SELECT unnest(%s::int4[]))", column, list(customers))

    def _month_span(self, company, first, after):
        """``(first month, month after)``: the whole months of ``[first, after)`` that the nightly
        monthly figures (trade.portfolio.month) already hold complete, or ``(first, first)``.

        A month is complete there once refreshed after its end; the current month never is.
        """
        none = (first.date(), first.date())
        current = fields.Date.context_today(self).replace(day=1)
        month_first = (
            first.date() if first.day == 1 else (first.date().replace(day=1) + timedelta(days=32)).replace(day=1)
        )
        month_after = min(after.date().replace(day=1), current)
        if month_first >= month_after:
            return none
        # sudo: only the time of the last refresh (as the dashboard's _refreshed_on).
        last = (
            self.env["trade.portfolio.month"]
            .sudo()
            .search_fetch([("company_id", "=", company.id)], ["refreshed_on"], limit=1, order="id desc")
        )
        if not last.refreshed_on or last.refreshed_on < datetime.combine(month_after, time.min):
            return none
        return month_first, month_after

    def _order_rows(self, company, first, after, customers):
        """``[(customer, star, country, orders, amount, margin)]``: the confirmed orders of
        ``[first, after)`` of each of ``customers`` (see _visible_customers), in the grading currency.

        Whole months come from the nightly monthly figures (each order converted at its day's
        rate): a million orders are too many to sum within the dashboard's 2 s. The days before
        and after them (the current month at least) come from the orders, each at its own rate
        into the company's currency (as Odoo's sales analysis does), then into the grading
        currency at today's rate; in floats, numeric divisions are slow.
        """
        self.env["sale.order"].flush_model(ORDER_FIELDS)
        month_first, month_after = self._month_span(company, first, after)
        rows = self.env.execute_query(
            SQL(
                """SELECT partner_id, SUM(orders), SUM(amount), SUM(margin) FROM (
                       SELECT m.partner_id, m.order_count AS orders, m.amount, m.margin
                         FROM trade_portfolio_month m
                        WHERE m.company_id = %(company)s AND m.date >= %(month_first)s AND m.date < %(month_after)s
                          AND %(among_months)s
                       UNION ALL
                       SELECT p.commercial_partner_id, 1,
                              so.amount_untaxed::float8 / COALESCE(NULLIF(so.currency_rate::float8, 0), 1) * %(factor)s,
                              COALESCE(so.margin, 0)::float8 / COALESCE(NULLIF(so.currency_rate::float8, 0), 1)
                                  * %(factor)s
                         FROM sale_order so
                         JOIN res_partner p ON p.id = so.partner_id
                        WHERE so.company_id = %(company)s AND so.state = 'sale'
                          AND ((so.date_order >= %(first)s AND so.date_order < %(live_until)s)
                               OR (so.date_order >= %(live_from)s AND so.date_order < %(after)s))
                          AND %(among_orders)s
                   ) facts
                   GROUP BY 1
                   ORDER BY 1""",
                company=company.id,
                first=first,
                after=after,
                month_first=month_first,
                month_after=month_after,
                live_until=datetime.combine(month_first, time.min),
                live_from=datetime.combine(month_after, time.min),
                factor=self._grading_factor(company),
                among_months=self._among(SQL("m.partner_id"), customers),
                among_orders=self._among(SQL("p.commercial_partner_id"), customers),
            )
        )
        return [
            (partner, customers[partner][0], customers[partner][2], int(count), amount, margin)
            for partner, count, amount, margin in rows
            if partner in customers
        ]

    def _lead_domain(self, company):
        """The leads the figures count, besides the record rules: the company's, a rep's own."""
        domain = [("company_id", "=", company.id), ("active", "in", [True, False])]
        if not self._sees_company():
            domain.append(("user_id", "=", self.env.uid))
        return domain

    def _lead_rows(self, company, first, after):
        """``[(lead, source, salesperson, created, closed, won, lost, customer, star)]`` of the
        leads the user may read that were created or closed in ``[first, after)``.

        Won: active in a won stage. Lost: archived (marked lost). The customer is the lead's
        commercial partner; ``star`` its grade in ``company``.
        """
        leads = self.env["crm.lead"].with_context(active_test=False)
        leads.flush_model(LEAD_FIELDS)
        self.env["crm.stage"].flush_model(["is_won"])
        self.env["res.partner"].flush_model(["commercial_partner_id", "tiering_star_grade"])
        domain = [
            *self._lead_domain(company),
            "|",
            "&",
            ("create_date", ">=", first),
            ("create_date", "<", after),
            "&",
            ("date_closed", ">=", first),
            ("date_closed", "<", after),
        ]
        query = leads._search(domain)
        return self.env.execute_query(
            SQL(
                """SELECT l.id, l.source_id, l.user_id, l.create_date, l.date_closed,
                          l.active AND COALESCE(s.is_won, false), NOT l.active,
                          cp.id, COALESCE(cp.tiering_star_grade ->> %(cid)s, '0')::int
                     FROM crm_lead l
                     LEFT JOIN crm_stage s ON s.id = l.stage_id
                     LEFT JOIN res_partner p ON p.id = l.partner_id
                     LEFT JOIN res_partner cp ON cp.id = p.commercial_partner_id
                    WHERE l.id IN (%(leads)s)
                    ORDER BY l.id""",
                cid=str(company.id),
                leads=query.subselect(),
            )
        )

    def _repurchase(self, orders, stars):
        result = manager_numbers.repurchase_by_grade((star, count) for _p, star, _c, count, _a, _m in orders)
        return [
            {
                "star": item.star,
                "label": stars[str(item.star)],
                "buyers": item.buyers,
                "repeat": item.repeat,
                "rate": item.rate,
            }
            for item in result
        ]

    def _grading_factor(self, company):
        """Company currency to grading currency, at today's rate, for the orders summed live."""
        source, target = company.currency_id, company.tiering_currency_id
        if not target or source == target:
            return 1.0
        return source._get_conversion_rate(source, target, company, fields.Date.context_today(self))

    def _margin_countries(self, company, orders):
        result = manager_numbers.margin_rates(
            (country, amount, margin) for _p, _s, country, _n, amount, margin in orders
        )
        # sudo: the names of the countries of customers the user sees.
        names = {
            country.id: country.name
            for country in self.env["res.country"].sudo().browse([r.key for r in result if r.key])
        }
        total_amount = sum(item.amount for item in result)
        total_margin = sum(item.margin for item in result)
        return {
            "total": {
                "amount": total_amount,
                "margin": total_margin,
                "rate": manager_numbers.rate(total_margin, total_amount) if total_amount > 0 else None,
            },
            "countries": [
                {
                    "country_id": item.key or False,
                    "name": names.get(item.key) or self.env._("No country"),
                    "customers": item.customers,
                    "amount": item.amount,
                    "margin": item.margin,
                    "rate": item.rate,
                }
                for item in result
            ],
        }

    def _margin_pareto(self, orders):
        figures, _keys = manager_numbers.pareto({partner: margin for partner, _s, _c, _n, _a, margin in orders})
        return {
            "customers": figures.customers,
            "pareto_customers": figures.pareto_customers,
            "customer_share": figures.pareto_customer_share,
            "slice_customers": figures.top_slice_customers,
            "slice_share": figures.top_slice_revenue_share,
        }

    def _sources(self, leads, first, after):
        rows = [(row[1], row[5]) for row in leads if first <= row[3] < after]
        result = manager_numbers.conversion(rows)
        names = {
            source.id: source.name for source in self.env["utm.source"].sudo().browse([r.key for r in result if r.key])
        }
        return [
            {
                "source_id": item.key or False,
                "name": names.get(item.key) or self.env._("No source"),
                "leads": item.count,
                "won": item.won,
                "rate": item.rate,
            }
            for item in result
        ]

    @staticmethod
    def _closed_in(row, first, after):
        return row[4] is not None and first <= row[4] < after and (row[5] or row[6])

    def _cycle(self, leads, stars, first, after):
        rows = [
            (row[8], manager_numbers.cycle_days(row[3], row[4]))
            for row in leads
            if row[5] and row[7] and self._closed_in(row, first, after)
        ]
        return [
            {"star": item.star, "label": stars[str(item.star)], "deals": item.deals, "days": item.average_days}
            for item in manager_numbers.cycle_by_grade(rows)
        ]

    def _reps(self, company, leads, first, after):
        """Win rate (leads closed in the period) and median response hours (clocks started in it) per rep."""
        wins = {
            item.key: item
            for item in manager_numbers.win_rates(
                (row[2], row[5]) for row in leads if row[2] and self._closed_in(row, first, after)
            )
        }
        medians = self._rep_medians(company, first, after)
        user_ids = sorted(set(wins) | set(medians))
        # sudo: the names of the salespeople whose figures the user may see.
        names = {user.id: user.name for user in self.env["res.users"].sudo().browse(user_ids)}
        result = []
        for user_id in user_ids:
            win, median = wins.get(user_id), medians.get(user_id)
            result.append(
                {
                    "user_id": user_id,
                    "name": names.get(user_id, ""),
                    "won": win.won if win else 0,
                    "lost": win.lost if win else 0,
                    "win_rate": win.rate if win else None,
                    "clocks": median["clocks"] if median else 0,
                    "median_hours": median["median_hours"] if median else None,
                }
            )
        return sorted(result, key=lambda rep: rep["name"])

    def _clock_domain(self, company, first, after):
        return [
            ("company_id", "=", company.id),
            ("user_id", "!=", False),
            ("date_started", ">=", first),
            ("date_started", "<", after),
        ]

    def _rep_medians(self, company, first, after):
        """``{rep: {clocks, median_hours}}`` over the response clocks the user may read."""
        clocks = self.env["trade.response.clock"]
        clocks.flush_model()
        query = clocks._search(self._clock_domain(company, first, after))
        rows = self.env.execute_query(
            query.select(
                SQL.identifier(query.table, "user_id"),
                SQL.identifier(query.table, "date_started"),
                SQL.identifier(query.table, "date_stopped"),
            )
        )
        if not rows:
            return {}
        frame = pd.DataFrame(rows, columns=["user", "started", "stopped"])
        frame["started"] = pd.to_datetime(frame["started"])
        frame["stopped"] = pd.to_datetime(frame["stopped"])
        frame["hours"] = (frame["stopped"] - frame["started"]) / response.HOUR
        medians = response.median_response(frame, ["user"], now=fields.Datetime.now())
        return {
            int(user): {"clocks": int(row.clocks), "median_hours": round(float(row.median_hours), 1)}
            for user, row in medians.iterrows()
        }

    def _trend_rows(self, company, quarters, customers):
        """``(customers, changes)`` for manager_numbers.grade_trend: ``(customer, star, created)``
        of ``customers`` (see _visible_customers) and their grade changes since the first
        quarter's end, in date order per customer."""
        rows = self.env.execute_query(
            SQL(
                """SELECT partner_id, date, old_star::int FROM trade_grade_history
                    WHERE company_id = %s AND date >= %s AND %s
                    ORDER BY partner_id, date, id""",
                company.id,
                quarters[0].after,
                self._among(SQL("partner_id"), customers),
            )
        )
        changes = [row for row in rows if row[0] in customers]
        return [(partner, star, since) for partner, (star, since, _country) in customers.items()], changes

    def _trend(self, company, stars, customers):
        quarters = manager_numbers.quarters(fields.Date.context_today(self))
        counts = manager_numbers.grade_trend(
            *self._trend_rows(company, quarters, customers), [quarter.after for quarter in quarters]
        )
        return {
            "stars": [{"star": star, "label": stars[str(star)]} for star in portfolio.STARS],
            "quarters": [
                {"index": index, "label": quarter.label, "counts": row, "customers": sum(row)}
                for index, (quarter, row) in enumerate(zip(quarters, counts, strict=True))
            ],
        }

    # ------------------------------------------------------------------
    # Links into the records behind each figure
    # ------------------------------------------------------------------

    @api.model
    def action_open(self, kind, params=None):
        if kind not in NUMBER_LINKS:
            return super().action_open(kind, params)
        params = params or {}
        if not isinstance(params, dict):
            raise UserError(self.env._("The dashboard link's parameters must be a dictionary."))
        company = self.env.company
        first, after = self._period_moments(params.get("period"))
        return getattr(self, f"_open_{kind}")(company, params, first, after)

    def _star_param(self, params):
        star = self._int_param(params, "star")
        if star not in portfolio.STARS:
            raise UserError(self.env._("Unknown grade: %(star)s.", star=star))
        return star

    def _open_repurchase(self, company, params, first, after):
        star = self._star_param(params)
        least = 2 if params.get("repeat") else 1
        orders = self._order_rows(company, first, after, self._visible_customers(company))
        ids = [row[0] for row in orders if row[1] == star and row[3] >= least]
        name = self.env._("Repeat Buyers") if least == 2 else self.env._("Buyers of the Period")
        return self._partner_action(name, [("id", "in", ids)])

    def _open_margin_pareto(self, company, params, first, after):
        orders = self._order_rows(company, first, after, self._visible_customers(company))
        _figures, ids = manager_numbers.pareto({row[0]: row[5] for row in orders})
        return self._partner_action(self.env._("Customers Making 80% of Margin"), [("id", "in", ids)])

    def _open_margin_country(self, company, params, first, after):
        country = self._int_param(params, "country_id", required=False)
        orders = self._order_rows(company, first, after, self._visible_customers(company))
        customers = [row[0] for row in orders if (row[2] or False) == country]
        domain = [
            ("company_id", "=", company.id),
            ("state", "=", "sale"),
            ("date_order", ">=", first),
            ("date_order", "<", after),
            ("partner_id.commercial_partner_id", "in", customers),
        ]
        return self._window_action(self.env._("Orders of the Period"), "sale.order", domain)

    def _open_lead_source(self, company, params, first, after):
        source = self._int_param(params, "source_id", required=False)
        domain = [
            *self._lead_domain(company),
            ("source_id", "=", source),
            ("create_date", ">=", first),
            ("create_date", "<", after),
        ]
        if params.get("won"):
            domain += self._won_domain()
        return self._window_action(self.env._("Leads by Source"), "crm.lead", domain, active_test=False)

    def _won_domain(self):
        return [("active", "=", True), ("stage_id.is_won", "=", True)]

    def _closed_domain(self, company, first, after):
        return [
            *self._lead_domain(company),
            ("date_closed", ">=", first),
            ("date_closed", "<", after),
            "|",
            ("active", "=", False),
            ("stage_id.is_won", "=", True),
        ]

    def _open_deal_cycle(self, company, params, first, after):
        star = self._star_param(params)
        ids = [
            row[0]
            for row in self._lead_rows(company, first, after)
            if row[5] and row[7] and row[8] == star and self._closed_in(row, first, after)
        ]
        return self._window_action(self.env._("Won Leads"), "crm.lead", [("id", "in", ids)], active_test=False)

    def _open_rep_leads(self, company, params, first, after):
        user_id = self._int_param(params, "user_id")
        domain = [*self._closed_domain(company, first, after), ("user_id", "=", user_id)]
        if params.get("won"):
            domain += self._won_domain()
            return self._window_action(self.env._("Won Leads"), "crm.lead", domain, active_test=False)
        return self._window_action(self.env._("Closed Leads"), "crm.lead", domain, active_test=False)

    def _open_rep_response(self, company, params, first, after):
        user_id = self._int_param(params, "user_id")
        domain = [*self._clock_domain(company, first, after), ("user_id", "=", user_id)]
        return self._window_action(self.env._("Response Times"), "trade.response.clock", domain)

    def _open_grade_trend(self, company, params, first, after):
        star = self._star_param(params)
        quarters = manager_numbers.quarters(fields.Date.context_today(self))
        index = self._int_param(params, "quarter")
        if not 0 <= index < len(quarters):
            raise UserError(self.env._("Unknown quarter: %(quarter)s.", quarter=index))
        customers, changes = self._trend_rows(company, quarters, self._visible_customers(company))
        grades = manager_numbers.grades_at(customers, changes, quarters[index].after)
        ids = [partner for partner, grade in grades.items() if grade == star]
        return self._partner_action(
            self.env._("Grade at the End of %(quarter)s", quarter=quarters[index].label), [("id", "in", ids)]
        )

    def _window_action(self, name, model, domain, active_test=True):
        # Datetimes as Odoo writes them in domains: the action goes to the browser as JSON.
        domain = [
            (leaf[0], leaf[1], fields.Datetime.to_string(leaf[2]))
            if isinstance(leaf, tuple) and isinstance(leaf[2], datetime)
            else leaf
            for leaf in domain
        ]
        context = {"create": False}
        if not active_test:
            context["active_test"] = False
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "domain": domain,
            "context": context,
            "views": [(False, "list"), (False, "form")],
            "target": "current",
        }
