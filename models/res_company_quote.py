from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    tiering_margin_floor = fields.Float(
        string="Quotation Margin Floor (%)",
        digits=(5, 2),
        help="Quotations whose margin rate (margin / untaxed amount) is under this need a supervisor's "
        "approval. 0: no floor.",
    )

    @api.constrains("tiering_margin_floor")
    def _check_tiering_margin_floor(self):
        for company in self:
            if not 0 <= company.tiering_margin_floor <= 100:
                raise ValidationError(
                    self.env._(
                        "%(company)s: the quotation margin floor is a percentage between 0 and 100.",
                        company=company.name,
                    )
                )
