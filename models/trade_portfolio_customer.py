from odoo import fields, models, tools
from odoo.tools import SQL

from .res_partner import STAR_SELECTION
from .trade_portfolio_report import tier_join


class TradePortfolioCustomer(models.Model):
    """Each company's customers with what the portfolio figures need: one row per company and customer.

    A customer belongs to a company's portfolio once it is graded there or has follow-ups planned
    there (as the cadence planner sees it). Read through the ORM, the rows obey the same record
    rules as the portfolio report, so the dashboard's figures only count what the user may see.
    """

    _name = "trade.portfolio.customer"
    _description = "Portfolio Customer"
    _auto = False
    _rec_name = "partner_id"

    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    backup_user_id = fields.Many2one("res.users", string="Backup Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    star_grade = fields.Selection(STAR_SELECTION, readonly=True)
    service_tier_id = fields.Many2one("trade.service.tier", string="Service Tier", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Grading Currency", readonly=True)
    annual_amount = fields.Monetary(string="Annual Purchase Amount", currency_field="currency_id", readonly=True)
    next_follow_up_date = fields.Date(string="Next Follow-up", readonly=True)
    backup_missing = fields.Boolean(readonly=True)
    customer_since = fields.Datetime(readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        star = SQL("COALESCE(p.star_grade ->> c.id::text, '0')")
        self.env.cr.execute(
            SQL(
                """CREATE OR REPLACE VIEW %(view)s AS (
                   SELECT (c.id::bigint << 32) | p.id AS id,
                          c.id AS company_id, p.id AS partner_id, p.user_id, p.backup_user_id, p.team_id,
                          %(star)s AS star_grade,
                          t.id AS service_tier_id,
                          c.tiering_currency_id AS currency_id,
                          COALESCE((p.tiering_annual_amount ->> c.id::text)::float8, 0) AS annual_amount,
                          (p.next_follow_up_date ->> c.id::text)::date AS next_follow_up_date,
                          COALESCE(t.require_backup, false) AND p.backup_user_id IS NULL AS backup_missing,
                          p.create_date AS customer_since
                     FROM res_company c
                     JOIN res_partner p
                       ON p.id = p.commercial_partner_id AND p.active
                      AND (p.tiering_date -> c.id::text IS NOT NULL OR p.next_follow_up_date -> c.id::text IS NOT NULL)
                     %(tiers)s
                )""",
                view=SQL.identifier(self._table),
                star=star,
                tiers=tier_join(SQL("c.id"), star),
            )
        )
