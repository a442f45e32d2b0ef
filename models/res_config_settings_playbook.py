from odoo import fields, models


# A file of its own so the parallel issue-14 branches merge cleanly.
class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"  # pylint: disable=consider-merging-classes-inherited

    tiering_sponsor_group_id = fields.Many2one(
        related="company_id.tiering_sponsor_group_id", readonly=False, string="Executive Sponsors From"
    )
