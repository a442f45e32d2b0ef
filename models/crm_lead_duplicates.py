from odoo import api, fields, models


class CrmLead(models.Model):
    """The duplicate check (查重) on leads: the customers a new lead may already be, before saving.

    A lead is no customer yet, so it is only warned about; the customer its conversion creates is
    checked like any other (see res_partner_duplicates).
    """

    _inherit = "crm.lead"

    trade_duplicate_warning = fields.Text(
        string="Possible Duplicates",
        compute="_compute_trade_duplicate_warning",
        help="Customers this lead may already be: same name and country, email domain or phone.",
    )

    @api.depends("partner_name", "email_from", "phone", "mobile", "country_id", "partner_id")
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_trade_duplicate_warning(self):
        partners = self.env["res.partner"]
        for lead in self:
            matches = lead._tiering_duplicates()
            lead.trade_duplicate_warning = partners._tiering_describe_duplicates(matches) if matches else False

    def _tiering_duplicates(self):
        """``[(partner, reasons)]``: the customers this lead may be, other than its own customer."""
        self.ensure_one()
        partners = self.env["res.partner"]
        probe = {
            "name": self.partner_name,
            "country": self.country_id.id,
            "email": self.email_from,
            "phone": self.phone,
            "mobile": self.mobile,
        }
        own = self.partner_id.commercial_partner_id.id
        found = partners._tiering_find_duplicates(probe, [own] if own else [])
        matches = partners.sudo().browse([partner_id for partner_id, _reasons in found])
        return list(zip(matches, [reasons for _id, reasons in found], strict=True))
