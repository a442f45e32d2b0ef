from odoo import fields, models

from .res_company_credit import CREDIT_SETTING_FIELDS


def _related_fields():
    return {name: fields.Float(related=f"company_id.{name}", readonly=False) for name in CREDIT_SETTING_FIELDS[:-3]}


# A file of its own (not res_config_settings.py) so the parallel issue-13 branches merge cleanly.
class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"  # pylint: disable=consider-merging-classes-inherited

    locals().update(_related_fields())
    trade_credit_grace_days = fields.Integer(related="company_id.trade_credit_grace_days", readonly=False)
    trade_credit_basis = fields.Selection(related="company_id.trade_credit_basis", readonly=False)
    trade_credit_min_invoices = fields.Integer(related="company_id.trade_credit_min_invoices", readonly=False)
    trade_credit_unrated = fields.Selection(related="company_id.trade_credit_unrated", readonly=False)

    def action_trade_credit_limits(self):
        """The company's credit matrix: one row per service tier, a limit per rating."""
        action = self.env["ir.actions.act_window"]._for_xml_id("trade_crm_tiering.action_trade_credit_limit")
        action["domain"] = [("company_id", "=", self.env.company.id)]
        action["context"] = {"default_company_id": self.env.company.id}
        return action
