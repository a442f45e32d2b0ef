from odoo import api, fields, models
from odoo.tools import SQL

from .tiering_constants import SALES_MANAGER_GROUP


class ResCompany(models.Model):
    _inherit = "res.company"

    tiering_sponsor_group_id = fields.Many2one(
        "res.groups",
        string="Executive Sponsors From",
        default=lambda self: self.env.ref(SALES_MANAGER_GROUP, raise_if_not_found=False),
        help="The executive sponsor of a customer is a user of this group.",
    )

    def _tiering_assign_tiers(self):
        """Customers moved to another tier by a change of the tiers' star ranges get their tier's
        playbook too (see res.partner._tiering_enter_tiers)."""
        before = {company: company._tiering_tier_snapshot() for company in self}
        res = super()._tiering_assign_tiers()
        for company, tiers in before.items():
            company._tiering_enter_tiers_since(tiers)
        return res

    def _tiering_enter_tiers_since(self, before, partner_ids=None):
        """Customers whose tier is no longer the one of ``before`` (a tier snapshot taken with the
        same ``partner_ids``) get their new tier's playbook."""
        self.ensure_one()
        after = self._tiering_tier_snapshot(partner_ids)
        moves = {pid: (before.get(pid), tier) for pid, tier in after.items() if before.get(pid) != tier}
        self.env["res.partner"]._tiering_enter_tiers(self, moves)

    def _tiering_tier_snapshot(self, partner_ids=None):
        """``{customer id: tier id}`` of the company's customers (commercial entities), fallback
        tier included; ``partner_ids`` limits it. One query."""
        self.ensure_one()
        partners = self.env["res.partner"].with_company(self)
        partners.flush_model(["tiering_service_tier_id", "commercial_partner_id"])
        fallback = partners._fields["tiering_service_tier_id"].get_company_dependent_fallback(partners).id
        rows = self.env.execute_query(
            SQL(
                """SELECT id, COALESCE((tiering_service_tier_id ->> %(cid)s)::int4, %(fallback)s)
                     FROM res_partner
                    WHERE id = commercial_partner_id AND (%(all)s OR id = ANY(%(ids)s))""",
                cid=str(self.id),
                fallback=fallback or None,
                all=partner_ids is None,
                ids=list(partner_ids or ()),
            )
        )
        return dict(rows)

    @api.model
    def _tiering_sponsor_group(self):
        return self.tiering_sponsor_group_id or self.env.ref(SALES_MANAGER_GROUP)
