from odoo import fields, models

from .tiering_constants import GM_GROUP, SUPERVISOR_GROUP

ROLE_SELECTION = [("supervisor", "Sales Supervisor"), ("gm", "General Manager")]
ROLE_GROUPS = {
    "supervisor": SUPERVISOR_GROUP,
    "gm": GM_GROUP,
}


class TradeApprovalStep(models.Model):
    """One signature a document awaits (see trade.approval.mixin)."""

    _name = "trade.approval.step"
    _description = "Approval Step"
    _order = "res_model, res_id, sequence, id"

    res_model = fields.Char(string="Document Model", required=True, index=True, readonly=True)
    res_id = fields.Many2oneReference(
        string="Document", model_field="res_model", required=True, index=True, readonly=True
    )
    sequence = fields.Integer(readonly=True)
    role = fields.Selection(ROLE_SELECTION, required=True, readonly=True)
    user_id = fields.Many2one("res.users", string="Approver", readonly=True)
    state = fields.Selection(
        [
            ("waiting", "Waiting"),
            ("pending", "To Approve"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            ("cancelled", "Cancelled"),
        ],
        default="waiting",
        required=True,
        readonly=True,
    )
    signed_by_id = fields.Many2one("res.users", readonly=True)
    signed_on = fields.Datetime(readonly=True)
    feedback = fields.Text(readonly=True)
    activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null")
