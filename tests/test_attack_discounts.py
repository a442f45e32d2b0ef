"""Issue 12: attacks on discounts, performed over JSON-RPC as the role named, with AttackCase's helpers."""

from odoo import Command
from odoo.tests import tagged

from .test_attack_approvals import AttackCase


@tagged("post_install", "-at_install")
class TestAttackDiscountDefaults(AttackCase):
    """#12.1 (sale part): context defaults and copy defaults grant no discount approval."""

    def _order_values(self, discount=60):
        return {
            "partner_id": self.customer.id,
            "order_line": [
                Command.create({"product_id": self.product.id, "price_unit": 1_000, "discount": discount, "tax_id": []})
            ],
        }

    def test_121_context_defaults_grant_no_discount_approval(self):
        context = {
            "default_tiering_discount_approval_state": "approved",
            "default_tiering_discount_approved": 100,
            "default_tiering_discount_requester_id": self.supervisor.id,
            "default_tiering_approval_user_id": self.rep.id,
            "default_tier_id": self.tiers["A"].id,
            "default_tiering_order_star_grade": "5",
        }
        order_id = self._rpc(self.rep, "sale.order", "create", self._order_values(), context=context)
        order = self.env["sale.order"].browse(order_id)
        self.assertFalse(order.tiering_discount_approval_state)
        self.assertEqual(order.tiering_discount_approved, 0.0)
        self.assertFalse(
            order.tiering_discount_requester_id or order.tiering_approval_user_id or order.tiering_order_tier_id
        )
        self.assertFalse(order.tiering_order_star_grade)
        self.assertTrue(order.tiering_discount_needs_approval)
        result = self._rpc(self.rep, "sale.order", "action_confirm", [order_id])
        self.assertIn("60% discount, more than the 3%", result["params"]["message"])
        # A real request, asked by the rep, waiting for the supervisor.
        self.assertEqual((order.state, order.tiering_discount_approval_state), ("draft", "pending"))
        self.assertEqual(
            (order.tiering_discount_requester_id, order.tiering_approval_user_id), (self.rep, self.supervisor)
        )

    def test_121_copy_defaults_grant_no_discount_approval(self):
        order = self.env["sale.order"].with_user(self.rep).create(self._order_values())
        before = self.env["sale.order"].search_count([])
        defaults = {"tiering_discount_approval_state": "approved", "tiering_discount_approved": 100}
        self.assertRefused(
            "Discount approvals move on through their buttons only",
            self.rep,
            "sale.order",
            "copy",
            [order.id],
            default=defaults,
        )
        self.assertEqual(self.env["sale.order"].search_count([]), before)
        # Even the system's own copies do not carry an approval over.
        copied = order.sudo().copy(default=defaults)
        self.assertEqual((copied.tiering_discount_approval_state, copied.tiering_discount_approved), (False, 0.0))


@tagged("post_install", "-at_install")
class TestAttackDiscounts(AttackCase):
    """#12.7 and #12.8: an approval covers the order the approver saw; confirmed orders are checked too."""

    def _discount_order(self, discount, user=None):
        return (
            self.env["sale.order"]
            .with_user(user or self.rep)
            .create(
                {
                    "partner_id": self.customer.id,
                    "order_line": [
                        Command.create(
                            {"product_id": self.product.id, "price_unit": 1_000, "discount": discount, "tax_id": []}
                        )
                    ],
                }
            )
        )

    def test_127_raising_the_discount_while_waiting_voids_the_request(self):
        order = self._discount_order(15)
        self._rpc(self.rep, "sale.order", "action_request_discount_approval", order.ids)
        self.assertEqual(order.tiering_discount_approval_state, "pending")
        self._rpc(self.rep, "sale.order.line", "write", order.order_line.ids, {"discount": 60})
        self.assertFalse(order.tiering_discount_approval_state)
        self.assertFalse(order.tiering_approval_user_id)
        self.assertRefused(
            "not waiting for approval", self.supervisor, "sale.order", "action_approve_discount", order.ids
        )
        self.assertFalse(order.tiering_discount_approval_state)
        self.assertEqual(order.tiering_discount_approved, 0.0)
        result = self._rpc(self.rep, "sale.order", "action_confirm", order.ids)
        self.assertIn("60% discount", result["params"]["message"])
        self.assertEqual((order.state, order.tiering_discount_approval_state), ("draft", "pending"))

    def test_127_changing_lines_after_approval_voids_it(self):
        order = self._discount_order(15)
        self._rpc(self.rep, "sale.order", "action_request_discount_approval", order.ids)
        self._rpc(self.supervisor, "sale.order", "action_approve_discount", order.ids)
        self.assertEqual((order.tiering_discount_approval_state, order.tiering_discount_approved), ("approved", 15.0))
        # Same discount, ten times the amount: not what was approved.
        # (the discount written with it: with Sales' Discounts on, Odoo resets it on a new quantity)
        self._rpc(self.rep, "sale.order.line", "write", order.order_line.ids, {"product_uom_qty": 10, "discount": 15})
        self.assertFalse(order.tiering_discount_approval_state)
        self.assertIn(
            "15% discount", self._rpc(self.rep, "sale.order", "action_confirm", order.ids)["params"]["message"]
        )
        self.assertEqual((order.state, order.tiering_discount_approval_state), ("draft", "pending"))
        order.order_line.product_uom_qty = 1
        self.assertFalse(order.tiering_discount_approval_state)
        self._rpc(self.rep, "sale.order", "action_request_discount_approval", order.ids)
        self._rpc(self.supervisor, "sale.order", "action_approve_discount", order.ids)
        self._rpc(
            self.rep,
            "sale.order",
            "write",
            order.ids,
            {"order_line": [Command.create({"product_id": self.product.id, "price_unit": 5, "tax_id": []})]},
        )
        self.assertFalse(order.tiering_discount_approval_state)
        self.assertIn(
            "15% discount", self._rpc(self.rep, "sale.order", "action_confirm", order.ids)["params"]["message"]
        )
        self.assertEqual(order.state, "draft")

    def test_127_a_new_customer_is_no_way_around_the_discount_authority(self):
        """A customer outside every tier has no discount policy (a company without tiers), so a rep
        could try a brand-new customer: over JSON-RPC, as the web client saves, it is graded when
        its first quotation is saved, and the lowest tier's authority applies."""
        for values in ({"name": "Fresh Face Trading Ltd", "is_company": True}, {"name": "Walk-in Buyer"}):
            partner_id = self._rpc(self.rep, "res.partner", "create", values)
            order_id = self._rpc(
                self.rep,
                "sale.order",
                "create",
                {
                    "partner_id": partner_id,
                    "order_line": [
                        Command.create(
                            {"product_id": self.product.id, "price_unit": 1_000, "discount": 20, "tax_id": []}
                        )
                    ],
                },
            )
            partner = self.env["res.partner"].browse(partner_id).with_company(self.company)
            self.assertTrue(partner.tiering_service_tier_id, f"{partner.name} is tiered from its first quotation")
            result = self._rpc(self.rep, "sale.order", "action_confirm", [order_id])
            self.assertIn("20% discount", result["params"]["message"])
            self.assertEqual(self.env["sale.order"].browse(order_id).state, "draft")

    def test_128_discount_on_a_confirmed_order_is_checked(self):
        order = self._discount_order(0)
        order.with_user(self.rep).action_confirm()
        line = order.order_line
        self.assertRefused("confirmed.*60% discount", self.rep, "sale.order.line", "write", line.ids, {"discount": 60})
        self.assertEqual(line.discount, 0.0)
        self.assertRefused(
            "confirmed.*50% discount",
            self.rep,
            "sale.order",
            "write",
            order.ids,
            {
                "order_line": [
                    Command.create({"product_id": self.product.id, "price_unit": 10, "discount": 50, "tax_id": []})
                ]
            },
        )
        self.assertEqual(order.order_line, line)
        # Within the tier's authority, or by a supervisor, it goes through.
        self._rpc(self.rep, "sale.order.line", "write", line.ids, {"discount": 3})
        self._rpc(self.supervisor, "sale.order.line", "write", line.ids, {"discount": 20})
        self.assertEqual(line.discount, 20.0)

    def test_128_approved_discount_survives_confirmation(self):
        order = self._discount_order(15)
        self._rpc(self.rep, "sale.order", "action_request_discount_approval", order.ids)
        self._rpc(self.supervisor, "sale.order", "action_approve_discount", order.ids)
        self._rpc(self.rep, "sale.order", "action_confirm", order.ids)
        self.assertEqual((order.state, order.tiering_discount_approval_state), ("sale", "approved"))
        self.assertRefused(
            "confirmed.*16% discount", self.rep, "sale.order.line", "write", order.order_line.ids, {"discount": 16}
        )
        self.assertEqual(order.order_line.discount, 15.0)
