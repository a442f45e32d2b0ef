from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..trade_crm_tiering import response

RECLAIM_MODES = [("round_robin", "Reassign round-robin within the team"), ("pool", "Return to the team pool")]


class ResCompany(models.Model):
    _inherit = "res.company"

    tiering_lead_reclaim_hours = fields.Float(
        string="Reclaim Leads After (Hours)",
        default=24.0,
        help="A lead or opportunity assigned to a salesperson and untouched for this long is reclaimed.",
    )
    tiering_lead_reclaim_mode = fields.Selection(
        RECLAIM_MODES,
        string="Reclaimed Leads Go",
        required=True,
        default="round_robin",
        help="Round-robin: to the next member of the lead's sales team. Pool: unassigned, for the team to claim.",
    )

    @api.constrains("tiering_lead_reclaim_hours", "tiering_lead_reclaim_mode")
    def _check_lead_reclaim(self):
        for company in self:
            try:
                company._reclaim_config()
            except response.ResponseConfigError as error:
                raise ValidationError(
                    self.env._(
                        "%(company)s: leads are reclaimed after a number of hours above 0 (not %(hours)s).",
                        company=company.name,
                        hours=company.tiering_lead_reclaim_hours,
                    )
                ) from error

    def _reclaim_config(self):
        self.ensure_one()
        config = response.ReclaimConfig(hours=self.tiering_lead_reclaim_hours, mode=self.tiering_lead_reclaim_mode)
        config.check()
        return config


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    tiering_lead_reclaim_hours = fields.Float(related="company_id.tiering_lead_reclaim_hours", readonly=False)
    tiering_lead_reclaim_mode = fields.Selection(related="company_id.tiering_lead_reclaim_mode", readonly=False)
