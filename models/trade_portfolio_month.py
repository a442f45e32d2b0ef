import logging
from datetime import date, timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..trade_crm_tiering import grading, portfolio, tiering_day
from .tiering_constants import STAR_SELECTION

_logger = logging.getLogger(__name__)

# The portfolio report covers this year and the three before.
REPORT_YEARS = 3
PARETO_CLASSES = [("a", "A: first 80% of revenue"), ("b", "B: next 15%"), ("c", "C: last 5%")]


class TradePortfolioMonth(models.Model):
    """Confirmed sales of each customer per month, in the grading currency: the portfolio report's facts.

    Converting each of a million orders at its day's rate takes seconds, too long for every pivot
    a manager opens, so the nightly pass does it once per company and stores the monthly sums
    with their share of the month's total, their rank, and the customer's grade, tier,
    salesperson, team, country and industry of that night: grouping a million rows by them is
    then a scan of one table, where joining the customers for every pivot cell would not fit in
    the report's time budget. Written by SQL only, as superuser.
    """

    _name = "trade.portfolio.month"
    _description = "Portfolio Month"
    _log_access = False
    _order = "date desc, rank"

    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, ondelete="cascade")
    date = fields.Date(string="Month", required=True, readonly=True)
    currency_id = fields.Many2one("res.currency", string="Grading Currency", required=True, readonly=True)
    amount = fields.Float(readonly=True, digits=(16, 2))
    margin = fields.Float(readonly=True, digits=(16, 2))
    order_count = fields.Integer(string="Orders", readonly=True)
    share = fields.Float(string="Share of the Month (%)", readonly=True)
    cumulative_share = fields.Float(string="Cumulative Share (%)", readonly=True)
    rank = fields.Integer(readonly=True)
    pareto_class = fields.Selection(PARETO_CLASSES, readonly=True)
    # The customer as it was at the refresh: the report groups by these without joining customers.
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    industry_id = fields.Many2one("res.partner.industry", readonly=True)
    tiering_star_grade = fields.Selection(STAR_SELECTION, readonly=True)
    tiering_service_tier_id = fields.Many2one("trade.service.tier", readonly=True)
    refreshed_on = fields.Datetime(readonly=True)

    _sql_constraints = [
        ("customer_month_uniq", "unique(company_id, date, partner_id)", "One row per customer and month."),
    ]

    def init(self):
        self.env.cr.execute(
            SQL(
                """CREATE INDEX IF NOT EXISTS trade_portfolio_month_company_date_idx
                   ON trade_portfolio_month (company_id, date)"""
            )
        )
        self.env.cr.execute(
            SQL("CREATE INDEX IF NOT EXISTS trade_portfolio_month_partner_idx ON trade_portfolio_month (partner_id)")
        )
        # The monthly figures of a refresh done in batches (see _refresh_basis), between its units.
        self.env.cr.execute(
            SQL(
                """CREATE TABLE IF NOT EXISTS trade_portfolio_month_basis (
                       company_id int4 NOT NULL REFERENCES res_company(id) ON DELETE CASCADE,
                       partner_id int4 NOT NULL,
                       date date NOT NULL,
                       amount float8,
                       margin float8,
                       order_count int4,
                       share float8,
                       cumulative_share float8,
                       rank int4,
                       pareto_class varchar)"""
            )
        )
        self.env.cr.execute(
            SQL(
                """CREATE INDEX IF NOT EXISTS trade_portfolio_month_basis_partner_idx
                   ON trade_portfolio_month_basis (company_id, partner_id)"""
            )
        )

    @api.model
    def _horizon(self, today):
        """``(first day, day after the last)`` of the months the report covers."""
        next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
        return date(today.year - REPORT_YEARS, 1, 1), next_month

    @api.model
    def _refresh(self, companies):
        """Recompute the monthly rows of ``companies`` from their confirmed orders."""
        # sudo: the facts are the system's; the report model applies each user's rules.
        facts = self.sudo()
        for company in companies:
            facts.with_company(company)._refresh_company(company)

    @api.model
    def _refresh_all(self, companies=None):
        """Refresh every company (or ``companies``) that can be: a company whose orders use a
        currency without rates keeps its previous figures, and the log says why."""
        # Every company: there are few.
        companies = companies if companies is not None else self.env["res.company"].search([])  # pylint: disable=no-search-all
        for company in companies:
            try:
                with self.env.cr.savepoint():
                    self._refresh(company)
            except UserError as error:
                _logger.warning("Portfolio report of %s not refreshed: %s", company.name, error)

    def _refresh_company(self, company):
        """The whole company at once (the dashboard's button, the install): its rows are replaced
        by the monthly figures straight from the orders."""
        ranked = self._ranked_rows(company)
        self.env.execute_query(SQL("DELETE FROM trade_portfolio_month WHERE company_id = %s", company.id))
        if ranked is not None:
            self.env.execute_query(self._insert_query(company, SQL("TRUE"), ranked))
        self.invalidate_model()

    def _refresh_basis(self, company):
        """The company-wide step of a refresh in batches: every customer's monthly sums with their
        share, rank and Pareto class in the month, stored in a work table (one INSERT ... SELECT).
        The batches of _refresh_batch then replace the report's rows customer by customer.

        Raises UserError when an order's currency has no rate, leaving everything as it was.
        """
        ranked = self._ranked_rows(company)
        self._drop_basis(company)
        if ranked is not None:
            self.env.execute_query(
                SQL(
                    """INSERT INTO trade_portfolio_month_basis
                              (company_id, partner_id, date, amount, margin, order_count, share, cumulative_share,
                               rank, pareto_class)
                       SELECT %s, b.* FROM (%s) b""",
                    company.id,
                    ranked,
                )
            )
        # Fresh statistics, or the batches' joins are planned for a handful of rows (nested loops
        # over tens of thousands: seconds per batch at 100,000 customers).
        self.env.execute_query(SQL("ANALYZE trade_portfolio_month_basis"))

    def _drop_basis(self, company):
        self.env.execute_query(SQL("DELETE FROM trade_portfolio_month_basis WHERE company_id = %s", company.id))

    def _refresh_batch(self, company, after, size):
        """Replace the report's rows of the next ``size`` customers after id ``after`` by their rows
        of the basis; the last batch covers every id above ``after``, so that customers without
        sales any more lose their rows, and drops the basis.

        Returns the id to go on after, or None when the company is done.
        """
        rows = self.env.execute_query(
            SQL(
                """SELECT DISTINCT partner_id FROM trade_portfolio_month_basis
                    WHERE company_id = %s AND partner_id > %s ORDER BY 1 LIMIT %s""",
                company.id,
                after,
                size + 1,
            )
        )
        high = rows[size - 1][0] if len(rows) > size else None
        in_range = SQL("partner_id > %s", after)
        if high is not None:
            in_range = SQL("%s AND partner_id <= %s", in_range, high)
        self.env.execute_query(
            SQL("DELETE FROM trade_portfolio_month WHERE company_id = %s AND %s", company.id, in_range)
        )
        basis = SQL(
            """SELECT partner_id, date, amount, margin, order_count, share, cumulative_share, rank, pareto_class
                 FROM trade_portfolio_month_basis WHERE company_id = %s AND %s""",
            company.id,
            in_range,
        )
        self.env.execute_query(self._insert_query(company, in_range, basis))
        self.invalidate_model()
        if high is None:
            self._drop_basis(company)
        return high

    def _ranked_rows(self, company):
        """The SELECT of every customer's monthly figures (see _ranked_query), None without orders."""
        today = tiering_day.today()
        start, end = self._horizon(today)
        self.env["sale.order"].flush_model(
            ["amount_untaxed", "margin", "currency_id", "date_order", "state", "company_id", "partner_id"]
        )
        self.env["res.partner"].flush_model(
            ["commercial_partner_id", "user_id", "team_id", "country_id", "industry_id", "tiering_star_grade"]
        )
        self.env["trade.service.tier"].flush_model()
        self.env["res.currency.rate"].flush_model(["rate", "name", "currency_id", "company_id"])
        where = SQL(
            "so.company_id = %s AND so.state = 'sale' AND so.date_order >= %s AND so.date_order < %s",
            company.id,
            start,
            end,
        )
        currencies = [
            row[0]
            for row in self.env.execute_query(
                SQL("SELECT DISTINCT so.currency_id FROM sale_order so WHERE %s ORDER BY 1", where)
            )
        ]
        factors = self._factors(company, start, end, currencies)
        if not currencies:
            return None
        return self._ranked_query(company, where, factors)

    def _factors(self, company, start, end, currencies):
        """``(currency ids, days, factors)`` into the grading currency for every day of [start, end).

        Rates are picked as Odoo picks them (see trade.tiering.currency); a currency without
        any rate stops the refresh with a message naming it.
        """
        window = grading.GradingWindow(start=start, end=end)
        days = window.days()
        values = self.env["trade.tiering.currency"]._daily_factors(company, window, currencies)
        columns = ([], [], [])
        for index, currency in enumerate(currencies):
            chunk = values[index * len(days) : (index + 1) * len(days)]
            if all(factor is None for factor in chunk):
                raise UserError(
                    self.env._(
                        "The portfolio report of %(company)s cannot be computed: %(currency)s has no exchange "
                        "rate. Add a rate under Accounting or Sales > Configuration > Currencies.",
                        company=company.name,
                        currency=self.env["res.currency"].browse(currency).name,
                    )
                )
            for day, factor in zip(days, chunk, strict=True):
                if factor is not None:
                    columns[0].append(currency)
                    columns[1].append(day)
                    columns[2].append(factor)
        return columns

    def _ranked_query(self, company, where, factors):
        """One SELECT of the monthly sums, shares and ranks, orders converted at their day's factor.

        Each order is rounded to the cent in the grading currency before it is summed, as the
        grading engine does, so a customer's months add up to what grading sums. The margin is
        the order's (the sum of its lines' margins), converted the same way.
        """
        scale = 10**company.tiering_currency_id.decimal_places
        (a_class, a_limit), (b_class, b_limit) = portfolio.PARETO_CLASS_LIMITS
        return SQL(
            """WITH factor AS (
                   SELECT * FROM unnest(%(currencies)s::int[], %(days)s::date[], %(factors)s::float8[])
                          AS f(currency_id, day, factor)
               ), monthly AS (
                   SELECT p.commercial_partner_id AS partner_id,
                          date_trunc('month', so.date_order)::date AS date,
                          SUM(ROUND(so.amount_untaxed::float8 * f.factor * %(scale)s))::float8 / %(scale)s AS amount,
                          SUM(ROUND(COALESCE(so.margin, 0)::float8 * f.factor * %(scale)s))::float8 / %(scale)s
                              AS margin,
                          COUNT(*) AS order_count
                     FROM sale_order so
                     JOIN res_partner p ON p.id = so.partner_id
                     JOIN factor f ON f.currency_id = so.currency_id AND f.day = so.date_order::date
                    WHERE %(where)s
                    GROUP BY 1, 2
               ), ranked AS (
                   SELECT monthly.*,
                          SUM(GREATEST(amount, 0)) OVER month AS total,
                          SUM(GREATEST(amount, 0)) OVER running AS running,
                          ROW_NUMBER() OVER running AS rank
                     FROM monthly
                   WINDOW month AS (PARTITION BY date),
                          running AS (PARTITION BY date ORDER BY amount DESC, partner_id ROWS UNBOUNDED PRECEDING)
               )
               SELECT r.partner_id, r.date, r.amount, r.margin, r.order_count,
                      CASE WHEN r.total > 0 THEN 100 * r.amount / r.total END AS share,
                      CASE WHEN r.total > 0 THEN 100 * r.running / r.total END AS cumulative_share,
                      r.rank,
                      CASE WHEN r.total <= 0 OR r.amount <= 0 THEN NULL
                           WHEN 100 * (r.running - r.amount) < %(a_limit)s * r.total THEN %(a_class)s
                           WHEN 100 * (r.running - r.amount) < %(b_limit)s * r.total THEN %(b_class)s
                           ELSE 'c' END AS pareto_class
                 FROM ranked r""",
            currencies=factors[0],
            days=factors[1],
            factors=factors[2],
            scale=scale,
            where=where,
            a_limit=a_limit,
            a_class=a_class,
            b_limit=b_limit,
            b_class=b_class,
        )

    def _insert_query(self, company, in_range, ranked):
        """One INSERT of the report's rows of ``ranked`` (the SELECT of _ranked_query, or the basis)
        whose customers are ``in_range``, with each customer's grade, tier and salesperson today."""
        return SQL(
            """WITH ranked AS (%(ranked)s), customer AS (
                   SELECT p.id, p.user_id, p.team_id, p.country_id, p.industry_id, p.star, t.id AS tier_id
                     FROM (SELECT id, user_id, team_id, country_id, industry_id,
                                  COALESCE(tiering_star_grade ->> %(cid)s, '0') AS star
                             FROM res_partner
                            WHERE id IN (SELECT partner_id FROM ranked WHERE %(in_range)s)) p
                     LEFT JOIN trade_service_tier t
                            ON t.company_id = %(company)s AND t.active AND p.star::int BETWEEN t.min_star AND t.max_star
               )
               INSERT INTO trade_portfolio_month
                      (company_id, partner_id, date, currency_id, amount, margin, order_count, share,
                       cumulative_share, rank, pareto_class, user_id, team_id, country_id, industry_id,
                       tiering_star_grade, tiering_service_tier_id, refreshed_on)
               SELECT %(company)s, b.partner_id, b.date, %(currency)s, b.amount, b.margin, b.order_count, b.share,
                      b.cumulative_share, b.rank, b.pareto_class,
                      p.user_id, p.team_id, p.country_id, p.industry_id, p.star, p.tier_id,
                      now() AT TIME ZONE 'UTC'
                 FROM ranked b
                 JOIN customer p ON p.id = b.partner_id
                WHERE %(in_range)s""",
            ranked=ranked,
            company=company.id,
            cid=str(company.id),
            currency=company.tiering_currency_id.id,
            in_range=in_range,
        )
