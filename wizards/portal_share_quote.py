from odoo import models


class PortalShare(models.TransientModel):
    _inherit = "portal.share"

    def action_send_mail(self):
        if self.res_model == "sale.order":
            gate = self.env["sale.order"].browse(self.res_id).exists()._tiering_quote_gate("share")
            if gate:
                return gate
        return super().action_send_mail()
