from odoo import fields, models, tools
from odoo.tools import SQL

from .tiering_constants import STAR_SELECTION


def tier_by_star():
    """``(company_id, star, tier_id)`` rows: each active tier once per star of its range.

    Tiers cover 0-5 stars once each per company (checked when they change), so joining on
    (company, star) finds the tier the grading engine stores on the customer, with one hash lookup
    instead of a range comparison per tier.
    """
    return SQL(
        """SELECT t.company_id, star::text AS star, t.id AS tier_id
             FROM trade_service_tier t, generate_series(t.min_star, t.max_star) AS star
            WHERE t.active"""
    )


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
    tiering_backup_user_id = fields.Many2one("res.users", string="Backup Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    tiering_star_grade = fields.Selection(STAR_SELECTION, readonly=True)
    tiering_service_tier_id = fields.Many2one("trade.service.tier", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Grading Currency", readonly=True)
    annual_amount = fields.Monetary(string="Annual Purchase Amount", currency_field="currency_id", readonly=True)
    tiering_next_follow_up_date = fields.Date(string="Next Follow-up", readonly=True)
    tiering_backup_missing = fields.Boolean(readonly=True)
    customer_since = fields.Datetime(readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """CREATE OR REPLACE VIEW %(view)s AS (
                   SELECT (c.company_id::bigint << 32) | c.partner_id AS id, c.*,
                          ts.tier_id AS tiering_service_tier_id,
                          COALESCE(t.require_backup, false) AND c.tiering_backup_user_id IS NULL
                              AS tiering_backup_missing
                     FROM (SELECT co.id AS company_id, p.id AS partner_id, p.user_id, p.tiering_backup_user_id,
                                  p.team_id,
                                  COALESCE(p.tiering_star_grade ->> co.id::text, '0') AS tiering_star_grade,
                                  co.tiering_currency_id AS currency_id,
                                  COALESCE((p.tiering_annual_amount ->> co.id::text)::float8, 0) AS annual_amount,
                                  (p.tiering_next_follow_up_date ->> co.id::text)::date AS tiering_next_follow_up_date,
                                  p.create_date AS customer_since, p.country_id
                             FROM res_company co
                             JOIN res_partner p
                               ON p.id = p.commercial_partner_id AND p.active
                              AND (p.tiering_date ? co.id::text OR p.tiering_next_follow_up_date ? co.id::text)) c
                     LEFT JOIN (%(tiers)s) ts ON ts.company_id = c.company_id AND ts.star = c.tiering_star_grade
                     LEFT JOIN trade_service_tier t ON t.id = ts.tier_id
                )""",
                view=SQL.identifier(self._table),
                tiers=tier_by_star(),
            )
        )
