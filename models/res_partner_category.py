from odoo import api, fields, models

TAG_FAMILIES = [
    ("product", "Product Preference"),
    ("region", "Market Region"),
    ("habit", "Purchase Habit"),
    ("stage", "Cooperation Stage"),
]


class ResPartnerCategory(models.Model):
    _inherit = "res.partner.category"

    trade_family = fields.Selection(
        TAG_FAMILIES,
        string="Tag Family",
        index=True,
        help="Tags of a family are searched together on customers: a market region, a product preference... "
        "A tag takes the family of its parent tag.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("parent_id") and "trade_family" not in vals:
                vals["trade_family"] = self.browse(vals["parent_id"]).trade_family
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("parent_id") and "trade_family" not in vals:
            vals = dict(vals, trade_family=self.browse(vals["parent_id"]).trade_family)
        res = super().write(vals)
        if "trade_family" in vals:
            # Sub-tags follow their parent's family.
            descendants = self.search([("id", "child_of", self.ids), ("id", "not in", self.ids)])
            if descendants:
                super(ResPartnerCategory, descendants).write({"trade_family": vals["trade_family"]})
        return res
