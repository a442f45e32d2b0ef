import base64

from odoo import api, fields, models
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
        domain = safe_eval(self.domain or "[]", {"uid": self.env.uid})
        return self._store(self.env["trade.customer.classification"]._build(domain))

    @api.model
    def _download(self, partners):
        """The classification table of ``partners`` (from the customer list)."""
        data = self.env["trade.customer.classification"]._build([("id", "in", partners.ids)])
        return self.create({"domain": str([("id", "in", partners.ids)])})._store(data)

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
