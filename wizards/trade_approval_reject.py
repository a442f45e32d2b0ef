from odoo import api, fields, models
from odoo.exceptions import UserError


class TradeApprovalReject(models.TransientModel):
    """Asks a supervisor why a document waiting for approval is rejected (see trade.approval.mixin)."""

    _name = "trade.approval.reject"
    _description = "Reject with a Reason"

    res_model = fields.Char(string="Document Model", required=True)
    res_id = fields.Many2oneReference(string="Document", model_field="res_model", required=True)
    reason = fields.Text(required=True)

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        # After create: the model may come from a context default.
        for wizard in wizards:
            wizard._check_res_model(wizard.res_model)
        return wizards

    def write(self, vals):
        if "res_model" in vals:
            self._check_res_model(vals["res_model"])
        return super().write(vals)

    @api.model
    def _check_res_model(self, name):
        """Only documents of the approval workflow are rejected here."""
        mixin = self.pool["trade.approval.mixin"]
        model = self.env.get(name) if isinstance(name, str) else None
        if model is None or model._abstract or not isinstance(model, mixin):
            raise UserError(
                self.env._(
                    "%(model)s documents cannot be rejected here: only grade requests, discount approvals "
                    "and handovers are.",
                    model=name,
                )
            )

    def action_reject(self):
        self.ensure_one()
        self._check_res_model(self.res_model)
        document = self.env[self.res_model].browse(self.res_id).exists()
        if not document:
            raise UserError(self.env._("The document to reject no longer exists."))
        document.action_reject(self.reason)
        return {"type": "ir.actions.act_window_close"}
