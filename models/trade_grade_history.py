from odoo import api, fields, models

from .tiering_constants import STAR_SELECTION


class TradeGradeHistory(models.Model):
    _name = "trade.grade.history"
    _description = "Grade History"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    old_star = fields.Selection(STAR_SELECTION, string="Old Grade", required=True)
    new_star = fields.Selection(STAR_SELECTION, string="New Grade", required=True)
    actual_star = fields.Selection(STAR_SELECTION, string="Actual Grade", help="What purchases gave at the time.")
    annual_amount = fields.Monetary(string="Annual Purchase Amount", currency_field="currency_id")
    currency_id = fields.Many2one("res.currency", string="Grading Currency")
    source = fields.Selection(
        [("auto", "Sales data"), ("manual", "Set by hand"), ("request", "Approved request"), ("import", "Import")],
        required=True,
        default="auto",
    )
    reason = fields.Text()
    user_id = fields.Many2one("res.users", string="By", default=lambda self: self.env.user)
    direction = fields.Selection([("up", "Upgrade"), ("down", "Downgrade")], compute="_compute_direction", store=True)

    @api.depends("old_star", "new_star")
    def _compute_direction(self):
        for entry in self:
            entry.direction = "up" if entry.new_star > entry.old_star else "down"
