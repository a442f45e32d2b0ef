from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _compute_invoice_payment_term_id(self):
        res = super()._compute_invoice_payment_term_id()
        # Customers without payment terms of their own get their service tier's.
        for move in self.filtered(
            lambda m: not m.invoice_payment_term_id and m.is_sale_document(include_receipts=True)
        ):
            customer = move.partner_id.commercial_partner_id.with_company(move.company_id)
            move.invoice_payment_term_id = customer.tiering_service_tier_id.payment_term_id
        return res
