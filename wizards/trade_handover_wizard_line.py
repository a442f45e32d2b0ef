from odoo import fields, models

from ..models.res_partner import STAR_SELECTION
from ..models.trade_handover_line import HANDOVER_ROLES


class TradeHandoverWizardLine(models.TransientModel):
    """One customer of a planned handover; the receiver can be changed before handing over."""

    _name = "trade.handover.wizard.line"
    _description = "Planned Customer Handover"
    _order = "weight desc, id"

    wizard_id = fields.Many2one("trade.handover.wizard", required=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True)
    receiver_id = fields.Many2one("res.users", required=True, domain="[('share', '=', False)]")
    role = fields.Selection(
        HANDOVER_ROLES,
        string="Leaver's Role",
        required=True,
        readonly=True,
    )
    star_grade = fields.Selection(STAR_SELECTION, string="Grade", readonly=True)
    tier_id = fields.Many2one("trade.service.tier", readonly=True)
    weight = fields.Integer(readonly=True)
    needs_approval = fields.Boolean(readonly=True)
