from odoo import fields, models


class TradeApprovalReject(models.TransientModel):
    """Asks a supervisor why a document waiting for approval is rejected (see trade.approval.mixin)."""

    _name = "trade.approval.reject"
    _description = "Reject with a Reason"

    res_model = fields.Char(string="Document Model", required=True)
    res_id = fields.Many2oneReference(string="Document", model_field="res_model", required=True)
    reason = fields.Text(required=True)

    def action_reject(self):
        self.ensure_one()
        self.env[self.res_model].browse(self.res_id)._approval_reject_with_reason(self.reason)
        return {"type": "ir.actions.act_window_close"}
