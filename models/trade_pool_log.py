from odoo import fields, models


class TradePoolLog(models.Model):
    """Customers released to and claimed from the team pool: the claim cap and cooldown read it."""

    _name = "trade.pool.log"
    _description = "Team Pool Log"
    _order = "date desc, id desc"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, ondelete="cascade")
    user_id = fields.Many2one("res.users", string="Salesperson", index=True)
    action = fields.Selection([("release", "Released"), ("claim", "Claimed")], required=True)
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    # The company the release or claim happened in: its pool, its claim cap, its record rules.
    company_id = fields.Many2one("res.company", index=True, default=lambda self: self.env.company)
