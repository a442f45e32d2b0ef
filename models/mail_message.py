from odoo import api, models

# Messages that mean someone dealt with the customer: notes, emails, done activities.
INTERACTION_TYPES = ("comment", "email")


class MailMessage(models.Model):
    _inherit = "mail.message"

    @api.model_create_multi
    def create(self, vals_list):
        messages = super().create(vals_list)
        touched = messages.filtered(
            lambda m: m.model == "res.partner" and (m.message_type in INTERACTION_TYPES or m.mail_activity_type_id)
        )
        if touched:
            # sudo: whoever wrote to the customer, its follow-up cadence is the system's to keep.
            customers = self.env["res.partner"].sudo().browse(set(touched.mapped("res_id"))).exists()
            customers.commercial_partner_id._tiering_schedule_cadence()
        return messages
