from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..trade_crm_tiering import quote


class TradeServiceTier(models.Model):
    """The tier's quotation limits: above them, a quotation needs approval (see sale.order)."""

    _inherit = "trade.service.tier"

    currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    second_max_discount = fields.Float(
        string="Supervisor Discount Limit (%)",
        digits=(5, 2),
        help="A sales supervisor approves discounts up to this alone; above it, the general manager signs "
        "after the supervisor. 0: the supervisor approves any discount.",
    )
    max_amount = fields.Monetary(
        string="Quotation Amount Limit",
        currency_field="currency_id",
        help="Quotations whose untaxed amount, in the company currency, is above this need a supervisor's "
        "approval. 0: no limit.",
    )
    second_max_amount = fields.Monetary(
        string="Supervisor Amount Limit",
        currency_field="currency_id",
        help="A sales supervisor approves quotations up to this untaxed amount (company currency) alone; "
        "above it, the general manager signs after the supervisor. 0: the supervisor approves any amount.",
    )

    @api.constrains("max_discount", "second_max_discount", "max_amount", "second_max_amount")
    def _check_quote_limits(self):
        messages = {
            "discount_range": self.env._("discounts are percentages between 0 and 100"),
            "second_discount_below": self.env._("the supervisor discount limit cannot be below the discount authority"),
            "amount_negative": self.env._("amount limits cannot be negative"),
            "second_amount_below": self.env._("the supervisor amount limit cannot be below the quotation amount limit"),
        }
        for tier in self:
            problem = quote.check_limits(
                tier.max_discount, tier.second_max_discount, tier.max_amount, tier.second_max_amount
            )
            if problem:
                raise ValidationError(
                    self.env._("Tier %(tier)s: %(problem)s.", tier=tier.display_name, problem=messages[problem])
                )
