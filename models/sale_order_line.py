from odoo import api, models

# Line fields that change the untaxed amount of the order.
AMOUNT_FIELDS = frozenset({"product_uom_qty", "price_unit", "discount", "tax_id", "product_id", "product_uom"})


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        orders = lines.order_id
        orders._tiering_schedule_regrade()
        orders._tiering_void_changed_approvals()
        orders._tiering_check_confirmed_discounts(lines)
        return lines

    def write(self, vals):
        if "discount" in vals:
            before = {line.id: line.discount for line in self}
        res = super().write(vals)
        if AMOUNT_FIELDS.intersection(vals) or "order_id" in vals:
            self.order_id._tiering_schedule_regrade()
            self.order_id._tiering_void_changed_approvals()
        elif "purchase_price" in vals:
            # The cost moves the margin rate an approval was given for.
            self.order_id._tiering_void_changed_approvals()
        if "discount" in vals:
            # The authority check applies to discounts raised, not to those left as approved.
            raised = self.filtered(lambda line: line.discount > before[line.id])
            raised.order_id._tiering_check_confirmed_discounts(raised)
        return res

    def unlink(self):
        orders = self.order_id
        res = super().unlink()
        orders = orders.exists()
        orders._tiering_schedule_regrade()
        orders._tiering_void_changed_approvals()
        return res
