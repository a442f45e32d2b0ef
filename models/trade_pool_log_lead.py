from odoo import fields, models


class TradePoolLog(models.Model):
    """Leads reclaimed from an idle salesperson are logged in the pool log too."""

    _inherit = "trade.pool.log"

    # A lead need not have a customer.
    partner_id = fields.Many2one(required=False)
    lead_id = fields.Many2one("crm.lead", index=True, ondelete="cascade")
    previous_user_id = fields.Many2one("res.users", string="Reclaimed From")
    action = fields.Selection(selection_add=[("reclaim", "Reclaimed")], ondelete={"reclaim": "cascade"})
