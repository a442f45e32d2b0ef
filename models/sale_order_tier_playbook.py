from odoo import api, models
from odoo.tools import SQL

from .trade_tiering_bulk import array_literal

# Orders whose priority follows their customer's tier: quotations and confirmed orders not locked.
OPEN_STATES = ("draft", "sent", "sale")


class SaleOrder(models.Model):
    """Tier playbooks on orders (#14.3): the tier's pricelist for new quotations, and an order
    priority that follows the customer's current tier, carried to the deliveries when the
    ``stock`` module is installed (the add-on does not depend on it)."""

    _inherit = "sale.order"

    @api.depends("partner_id", "company_id")
    def _compute_pricelist_id(self):
        res = super()._compute_pricelist_id()
        for order in self:
            if order.state != "draft" or not order.partner_id:
                continue
            pricelist = order._tiering_tier_pricelist()
            if pricelist:
                order.pricelist_id = pricelist
        return res

    def _tiering_tier_pricelist(self):
        """The pricelist of the customer's tier, when the customer has no pricelist of its own.

        In Odoo 18 ``property_product_pricelist`` is computed: the customer's own pricelist is
        ``specific_property_product_pricelist`` (company-dependent, no fallback), set when a
        pricelist is chosen on the customer; without it the pricelist comes from the country
        group or the company's first pricelist, which the tier's pricelist replaces."""
        self.ensure_one()
        customer = self.partner_id.commercial_partner_id.with_company(self.company_id or self.env.company)
        if customer.specific_property_product_pricelist._get_partner_pricelist_multi_filter_hook():
            return self.env["product.pricelist"]
        # sudo: a rep reads the tier's settings through the customer, not the tier itself.
        pricelist = customer.sudo().tiering_service_tier_id.pricelist_id
        if not pricelist.active or pricelist.company_id not in (self.company_id, self.env["res.company"]):
            return self.env["product.pricelist"]
        return self.env["product.pricelist"].browse(pricelist.id)

    # ------------------------------------------------------------------
    # Priority
    # ------------------------------------------------------------------

    @api.model
    def _tiering_sync_priority(self, company, partner_ids=None):
        """The open orders of ``company`` (of the customers ``partner_ids``, all when None) take
        the order priority of their customer's current tier: one UPDATE, then one for the
        deliveries when ``stock`` is installed. Returns the ids of the orders changed."""
        self.flush_model(["tiering_priority", "partner_id", "company_id", "state", "locked"])
        self.env["trade.service.tier"].flush_model(["order_priority"])
        partners = self.env["res.partner"].with_company(company)
        partners.flush_model(["tiering_service_tier_id", "commercial_partner_id"])
        fallback = partners._fields["tiering_service_tier_id"].get_company_dependent_fallback(partners).id
        scope = (
            SQL("AND c.id = ANY(%s::int4[])", array_literal(partner_ids, "int4")) if partner_ids is not None else SQL()
        )
        rows = self.env.execute_query(
            SQL(
                """UPDATE sale_order so
                      SET tiering_priority = COALESCE(t.order_priority, FALSE)
                     FROM res_partner p
                     JOIN res_partner c ON c.id = p.commercial_partner_id
                LEFT JOIN trade_service_tier t
                       ON t.id = COALESCE((c.tiering_service_tier_id ->> %(cid)s)::int4, %(fallback)s)
                    WHERE p.id = so.partner_id AND so.company_id = %(company)s
                      AND so.state IN %(states)s AND NOT COALESCE(so.locked, FALSE)
                      AND so.tiering_priority IS DISTINCT FROM COALESCE(t.order_priority, FALSE)
                      %(scope)s
                RETURNING so.id, so.tiering_priority""",
                cid=str(company.id),
                fallback=fallback or None,
                company=company.id,
                states=OPEN_STATES,
                scope=scope,
            )
        )
        if not rows:
            return []
        self.invalidate_model(["tiering_priority"])
        self._tiering_sync_delivery_priority(
            [order_id for order_id, flag in rows if flag], [order_id for order_id, flag in rows if not flag]
        )
        return [order_id for order_id, _flag in rows]

    @api.model
    def _tiering_sync_delivery_priority(self, urgent_ids, normal_ids):
        """The deliveries not done nor cancelled of the orders take their priority; nothing without
        the ``stock`` module (no deliveries)."""
        if "stock.picking" not in self.env or "sale_id" not in self.env["stock.picking"]._fields:
            return
        pickings = self.env["stock.picking"].sudo()
        for ids, priority in ((urgent_ids, "1"), (normal_ids, "0")):
            if ids:
                pickings.search(
                    [("sale_id", "in", ids), ("state", "not in", ("done", "cancel")), ("priority", "!=", priority)]
                ).write({"priority": priority})

    def _action_confirm(self):
        res = super()._action_confirm()
        # The deliveries just created carry the order's priority.
        self._tiering_sync_delivery_priority(self.filtered("tiering_priority").ids, [])
        return res
