from odoo import api, models

# Lead changes that can move a customer's lifecycle stage.
LIFECYCLE_TRIGGERS = frozenset({"type", "active", "stage_id", "partner_id", "probability", "company_id"})


class CrmLead(models.Model):
    _inherit = "crm.lead"

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        leads._tiering_schedule_lifecycle()
        return leads

    def write(self, vals):
        if not LIFECYCLE_TRIGGERS.intersection(vals):
            return super().write(vals)
        before = self.partner_id
        res = super().write(vals)
        (before | self.partner_id)._tiering_lifecycle_refresh_later()
        return res

    def unlink(self):
        partners = self.partner_id
        res = super().unlink()
        partners._tiering_lifecycle_refresh_later()
        return res

    def _tiering_schedule_lifecycle(self):
        self.partner_id._tiering_lifecycle_refresh_later()
