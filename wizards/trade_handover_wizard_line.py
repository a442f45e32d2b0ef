from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..models.trade_handover_line import NEEDS_APPROVAL_COMPUTED


class TradeHandoverWizardLine(models.TransientModel):
    """One customer of a planned handover; the receiver can be changed before handing over."""

    _name = "trade.handover.wizard.line"
    _inherit = ["trade.handover.customer"]
    _description = "Planned Customer Handover"
    _handover_parent_field = "wizard_id"
    _order = "weight desc, id"

    wizard_id = fields.Many2one("trade.handover.wizard", required=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True)
    receiver_id = fields.Many2one("res.users", required=True, domain="[('share', '=', False)]")
    weight = fields.Integer(readonly=True)
    needs_approval = fields.Boolean(compute="_compute_needs_approval")
    role_conflict = fields.Boolean(
        string="Loses Its Backup",
        compute="_compute_role_conflict",
        help="The leaver is the customer's backup and the receiver is already its salesperson: the customer would "
        "be left without a backup.",
    )

    @api.depends("partner_id", "receiver_id", "role")
    def _compute_role_conflict(self):
        for line in self:
            # The backup taking over from the leaving salesperson is the handover of its kind (#14):
            # the customer is left without a backup, which the missing-backup warning then flags.
            customer = line.partner_id
            line.role_conflict = (
                bool(line.receiver_id) and line.role == "backup" and line.receiver_id == customer.user_id
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals.pop("needs_approval", None)
            vals.pop("role_conflict", None)
        return super().create(vals_list)

    def write(self, vals):
        if "needs_approval" in vals and not self.env.su:
            raise AccessError(NEEDS_APPROVAL_COMPUTED(self.env))
        return super().write(vals)
