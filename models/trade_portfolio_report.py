from odoo import fields, models, tools
from odoo.tools import SQL

from .res_partner import STAR_SELECTION
from .trade_portfolio_month import PARETO_CLASSES


def tier_join(company_column, star_column):
    """LEFT JOIN of the active service tier whose star range holds ``star_column``.

    The same tier the grading engine stores on the customer: tiers cover 0-5 stars once each.
    """
    return SQL(
        """LEFT JOIN trade_service_tier t ON t.company_id = %s AND t.active
                  AND %s::int BETWEEN t.min_star AND t.max_star""",
        company_column,
        star_column,
    )


class TradePortfolioReport(models.Model):
    """Customer portfolio per month: one row per customer and month of confirmed sales.

    The monthly sums come from trade.portfolio.month (refreshed every night); the customer's grade,
    tier, salesperson, team, country and industry are today's. Shares and ranks are of the
    company's total of the month.
    """

    _name = "trade.portfolio.report"
    _description = "Customer Portfolio Analysis"
    _auto = False
    _order = "date desc, rank"
    _rec_name = "partner_id"

    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    date = fields.Date(string="Month", readonly=True)
    country_id = fields.Many2one("res.country", string="Country", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    industry_id = fields.Many2one("res.partner.industry", string="Industry", readonly=True)
    star_grade = fields.Selection(STAR_SELECTION, readonly=True)
    service_tier_id = fields.Many2one("trade.service.tier", string="Service Tier", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Grading Currency", readonly=True)
    amount = fields.Monetary(string="Amount", currency_field="currency_id", readonly=True)
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
                   SELECT m.id, m.company_id, m.partner_id, m.date, m.currency_id, m.amount, m.margin,
                          m.order_count, m.share, m.cumulative_share, m.rank, m.pareto_class,
                          p.country_id, p.team_id, p.user_id, p.industry_id,
                          COALESCE(p.star_grade ->> m.company_id::text, '0') AS star_grade,
                          t.id AS service_tier_id
                     FROM trade_portfolio_month m
                     JOIN res_partner p ON p.id = m.partner_id
                     %(tiers)s
                )""",
                view=SQL.identifier(self._table),
                tiers=tier_join(SQL("m.company_id"), SQL("COALESCE(p.star_grade ->> m.company_id::text, '0')")),
            )
        )
