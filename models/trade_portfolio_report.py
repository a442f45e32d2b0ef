from odoo import fields, models, tools
from odoo.tools import SQL

from .tiering_constants import STAR_SELECTION
from .trade_portfolio_month import PARETO_CLASSES


class TradePortfolioReport(models.Model):
    """Customer portfolio per month: one row per customer and month of confirmed sales.

    A read-only view of trade.portfolio.month, refreshed every night: sums in the grading
    currency, shares and ranks of the company's total of the month, and the customer's grade,
    tier, salesperson, team, country and industry of that night. Who sees a row is decided on the
    customer's salesperson of now (see the record rules).
    """

    _name = "trade.portfolio.report"
    _description = "Customer Portfolio Analysis"
    _auto = False
    _order = "date desc, rank"
    _rec_name = "partner_id"

    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    date = fields.Date(string="Month", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    industry_id = fields.Many2one("res.partner.industry", readonly=True)
    tiering_star_grade = fields.Selection(STAR_SELECTION, readonly=True)
    tiering_service_tier_id = fields.Many2one("trade.service.tier", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Grading Currency", readonly=True)
    amount = fields.Monetary(currency_field="currency_id", readonly=True)
    margin = fields.Monetary(currency_field="currency_id", readonly=True)
    order_count = fields.Integer(string="Orders", readonly=True)
    share = fields.Float(
        string="Share of the Month (%)",
        readonly=True,
        help="The customer's share of the company's confirmed sales of the month. Summed over "
        "customers of one month it gives their share; over several months it means nothing.",
    )
    cumulative_share = fields.Float(
        string="Cumulative Share (%)",
        readonly=True,
        aggregator="max",
        help="The share of the month's sales made by this customer and every larger one.",
    )
    rank = fields.Integer(readonly=True, aggregator="min", help="1 is the largest customer of the month.")
    pareto_class = fields.Selection(
        PARETO_CLASSES,
        readonly=True,
        help="A: the largest customers that make 80% of the month's sales; B: the next 15%; C: the rest.",
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """CREATE OR REPLACE VIEW %(view)s AS (
                   SELECT id, company_id, partner_id, date, currency_id, amount, margin, order_count, share,
                          cumulative_share, rank, pareto_class, user_id, team_id, country_id, industry_id,
                          tiering_star_grade, tiering_service_tier_id
                     FROM trade_portfolio_month
                )""",
                view=SQL.identifier(self._table),
            )
        )
