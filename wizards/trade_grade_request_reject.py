from odoo import fields, models


class TradeGradeRequestReject(models.TransientModel):
    _name = "trade.grade.request.reject"
    _description = "Reject Grade Request"

    request_id = fields.Many2one("trade.grade.request", required=True, ondelete="cascade")
    reason = fields.Text(required=True)

    def action_reject(self):
        self.ensure_one()
        self.request_id.action_reject(self.reason)
        return {"type": "ir.actions.act_window_close"}
