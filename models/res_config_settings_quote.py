from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    tiering_margin_floor = fields.Float(related="company_id.tiering_margin_floor", readonly=False)
