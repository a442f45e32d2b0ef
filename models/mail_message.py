from odoo import api, models

from .trade_response_clock import THREAD_POST

# Messages that mean someone dealt with the customer: notes, emails, done activities.
INTERACTION_TYPES = ("comment", "email")


class MailMessage(models.Model):
    _inherit = "mail.message"

    @api.model_create_multi
    def create(self, vals_list):
        messages = super().create(vals_list)
        touched = messages.filtered(
            lambda m: (
                m.model in ("res.partner", "crm.lead")
                and (m.message_type in INTERACTION_TYPES or m.mail_activity_type_id)
            )
        )
        if touched:
            touched._tiering_customers()._tiering_schedule_cadence()
        if self.env.cr.cache.get(THREAD_POST):
            # sudo: response clocks are the system's; posted through the chatter or the mail gateway only.
            self.env["trade.response.clock"].sudo()._track_messages(messages.filtered(_maybe_response))
        return messages

    def _tiering_customers(self):
        """The customers these messages were written to, directly or on one of their leads (a
        prospect's work happens on its leads, #14.1)."""

        # sudo: whoever wrote, the customer's follow-up cadence is the system's to keep.
        def records(model):
            ids = {message.res_id for message in self if message.model == model}
            return self.env[model].sudo().browse(ids).exists()

        return (records("res.partner") | records("crm.lead").partner_id).commercial_partner_id


def _maybe_response(message):
    """Messages that may start or stop a response clock (trade.response.clock._direction decides)."""
    return message.model in ("res.partner", "crm.lead") and (
        message.message_type in INTERACTION_TYPES or message.mail_activity_type_id
    )


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _message_create(self, values_list):
        # Marks messages posted through the thread API (chatter, mail gateway, done activities):
        # a mail.message created directly over RPC cannot start or stop a response clock. On the
        # cursor, not in the context, which an RPC caller controls.
        cache = self.env.cr.cache
        cache[THREAD_POST] = cache.get(THREAD_POST, 0) + 1
        try:
            return super()._message_create(values_list)
        finally:
            cache[THREAD_POST] -= 1
