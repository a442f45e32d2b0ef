import base64

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools.safe_eval import safe_eval

DEFAULT_DOMAIN = "[('parent_id', '=', False), ('customer_rank', '>', 0)]"


class TradeCustomerExportWizard(models.TransientModel):
    """Export the customer classification table (xlsx): the customers of a filter, or those selected."""

    _name = "trade.customer.export.wizard"
    _description = "Export Customer Classification"

    domain = fields.Char(string="Customers", default=DEFAULT_DOMAIN, required=True)
    file = fields.Binary(readonly=True, attachment=False)
    filename = fields.Char(readonly=True)

    def action_export(self):
        self.ensure_one()
        try:
            domain = safe_eval(self.domain or "[]", {"uid": self.env.uid})
            expression.expression(domain, self.env["res.partner"])
        except (ValueError, SyntaxError, NameError, TypeError, KeyError, AssertionError):
            raise UserError(
                self.env._("The customer filter is not a valid domain: %(domain)s", domain=self.domain)
            ) from None
        return self._store(self.env["trade.customer.classification"]._build(self._scope(domain)))

    @api.model
    def _download(self, partners):
        """The classification table of ``partners`` (from the customer list)."""
        data = self.env["trade.customer.classification"]._build(self._scope([("id", "in", partners.ids)]))
        return self.create({"domain": str([("id", "in", partners.ids)])})._store(data)

    @api.model
    def _scope(self, domain):
        """``domain`` narrowed to the customers the user serves, unless they see every customer.

        The table lists amounts and scores: a rep exports the customers they or their team serve,
        as they read them (#12.11); supervisors and the general manager export all.
        """
        if self.env["res.partner"]._tiering_sees_all():
            return domain
        return expression.AND([domain, [("tiering_served", "=", True)]])

    def _store(self, data):
        self.write(
            {
                "file": base64.b64encode(data),
                "filename": self.env._("Customer Classification %(date)s.xlsx", date=fields.Date.context_today(self)),
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content?model={self._name}&id={self.id}&field=file&filename_field=filename&download=true",
            "target": "self",
        }
