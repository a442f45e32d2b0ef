from odoo import api, models
from odoo.tools import SQL


class TradeTieringEngine(models.AbstractModel):
    """The language of the texts the nightly passes write, on the engine where every pass asks for it.

    The passes run as the cron's user, whose language says nothing about who reads what they
    write. The rule, everywhere in the module (issue 16):
    - a text stored for one person (a warning and its activity, a retention, review, pool or
      approval activity, a concentration alert for the general manager) is written in that
      person's language (_user_langs);
    - a chatter note on a customer (regraded, back to the team pool) or on its grade request,
      read by whoever follows it, is written in the language of the customer's salesperson,
      else in the company's (_customer_note_langs).
    Amounts, numbers and dates in those texts are formatted in the same language. The bulk
    paths translate once per language, never once per row.
    """

    _inherit = "trade.tiering.engine"

    @api.model
    def _company_lang(self, company):
        """The company's language (its partner's), English when none is installed."""
        lang = company.partner_id.sudo().lang
        return lang if lang in self._installed_langs() else "en_US"

    @api.model
    def _installed_langs(self):
        return {code for code, _name in self.env["res.lang"].get_installed()}

    @api.model
    def _user_langs(self, user_ids, company):
        """``{user id: language}`` of ``user_ids``; ``None`` (nobody) and a language no longer
        installed give the company's."""
        fallback = self._company_lang(company)
        installed = self._installed_langs()
        # sudo: a user's language is no secret, whoever the pass runs as.
        users = self.env["res.users"].sudo().with_context(active_test=False).browse({uid for uid in user_ids if uid})
        langs = {user.id: user.lang if user.lang in installed else fallback for user in users}
        langs[None] = langs[False] = fallback
        return langs

    @api.model
    def _user_lang(self, user, company):
        """The language of ``user`` (a record, possibly empty), as _user_langs gives it."""
        return self._user_langs(user.ids, company)[user.id]

    @api.model
    def _customer_note_langs(self, company, partner_ids):
        """``{customer id: language of its chatter notes}``: its salesperson's, else the company's."""
        self.env["res.partner"].flush_model(["user_id"])
        rows = self.env.execute_query(SQL("SELECT id, user_id FROM res_partner WHERE id = ANY(%s)", list(partner_ids)))
        langs = self._user_langs([user_id for _id, user_id in rows], company)
        return {partner_id: langs[user_id] for partner_id, user_id in rows}
