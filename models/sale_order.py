from odoo import api, fields, models

from .res_partner import CATEGORY_SELECTION, STAR_SELECTION

# Changes to a confirmed order that can move its customer's annual amount.
REGRADE_TRIGGERS = frozenset({"state", "partner_id", "date_order", "currency_id", "pricelist_id", "company_id"})


class SaleOrder(models.Model):
    _inherit = "sale.order"

    partner_star_grade = fields.Selection(STAR_SELECTION, string="Customer Grade", compute="_compute_partner_grade")
    partner_grade_category = fields.Selection(
        CATEGORY_SELECTION, string="Customer Category", compute="_compute_partner_grade"
    )

    @api.depends("partner_id", "company_id")
    def _compute_partner_grade(self):
        for order in self:
            customer = order.partner_id.commercial_partner_id.with_company(order.company_id or self.env.company)
            order.partner_star_grade = customer.star_grade
            order.partner_grade_category = customer.grade_category

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        orders._tiering_schedule_regrade()
        return orders

    def write(self, vals):
        if not REGRADE_TRIGGERS.intersection(vals):
            return super().write(vals)
        before = self._tiering_grading_keys()
        res = super().write(vals)
        self.env["res.partner"]._tiering_schedule_regrade(before | self._tiering_grading_keys())
        return res

    def _tiering_grading_keys(self):
        """(company id, customer id) of the confirmed orders among these."""
        return {
            (order.company_id.id, order.partner_id.commercial_partner_id.id) for order in self if order.state == "sale"
        }

    def _tiering_schedule_regrade(self):
        self.env["res.partner"]._tiering_schedule_regrade(self._tiering_grading_keys())
