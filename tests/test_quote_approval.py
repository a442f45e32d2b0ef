from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import TourCase
from .test_attack_approvals import AttackCase
from .test_service_tiers import TierCase


class QuoteCase(TierCase):
    """Tier B (3-4 stars): discount authority 5%, the supervisor alone up to 8%; quotations up to
    50,000 USD, the supervisor alone up to 200,000; payment terms 30 days. Margin floor 10%."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tiers["B"].write({"second_max_discount": 8, "max_amount": 50_000, "second_max_amount": 200_000})
        cls.company.tiering_margin_floor = 10
        cls.term_45 = cls.env.ref("account.account_payment_term_45days")

    def setUp(self):
        super().setUp()
        self.key = self._key_account()

    def _quote(self, price=1_000, discount=0, user=None, cost=None, **vals):
        line = {"product_id": self.product.id, "price_unit": price, "discount": discount, "tax_id": []}
        if cost is not None:
            line["purchase_price"] = cost
        return (
            self.env["sale.order"]
            .with_user(user or self.rep)
            .create({"partner_id": self.key.id, "order_line": [Command.create(line)], **vals})
        )

    def _assert_asked(self, result, approver, regex):
        self.assertEqual(result["tag"], "display_notification")
        self.assertRegex(result["params"]["message"], f"sent for approval to {approver}: .*{regex}")


@tagged("post_install", "-at_install")
class TestQuoteApproval(QuoteCase):
    def test_within_every_limit_nothing_is_asked(self):
        order = self._quote(price=40_000, discount=5)
        self.assertFalse(order.tiering_quote_needs_approval)
        self.assertEqual(order.with_user(self.rep).action_quotation_send()["res_model"], "mail.compose.message")
        order.with_user(self.rep).action_confirm()
        self.assertEqual((order.state, order.tiering_discount_approval_state), ("sale", False))

    def test_each_reason_is_asked_at_the_first_send(self):
        cases = {
            "discount": ({"discount": 7}, "a 7% discount, more than the 5%"),
            "payment terms": (
                {"payment_term_id": self.term_45.id},
                "payment terms of 45 days .*longer than the 30 days",
            ),
            "margin": ({"cost": 950}, "a margin rate of 5%, under the company's floor of 10%"),
            "amount": ({"price": 60_000}, r"untaxed amount of \$\xa060,000.00, above the \$\xa050,000.00"),
        }
        for name, (vals, regex) in cases.items():
            with self.subTest(reason=name):
                order = self._quote(**vals)
                self.assertTrue(order.tiering_quote_needs_approval)
                self.assertEqual(order.tiering_quote_approval_level, "supervisor")
                self._assert_asked(order.with_user(self.rep).action_quotation_send(), "Sam Supervisor", regex)
                self.assertEqual((order.state, order.tiering_approval_user_id), ("draft", self.supervisor))
                self.assertEqual(order.tiering_approval_step_ids.mapped("role"), ["supervisor"])
                with self.assertRaisesRegex(UserError, "cannot be sent yet: it waits for the approval of Sam"):
                    order.with_user(self.rep).action_quotation_send()
                order.with_user(self.supervisor).action_approve_discount()
                self.assertEqual(order.tiering_discount_approval_state, "approved")
                self.assertFalse(order.tiering_quote_needs_approval)
                action = order.with_user(self.rep).action_quotation_send()
                self.assertEqual(action["res_model"], "mail.compose.message")
                order.with_user(self.rep).action_confirm()
                self.assertEqual(order.state, "sale")

    def test_above_the_second_level_the_general_manager_signs_after_the_supervisor(self):
        for vals in ({"discount": 12}, {"price": 250_000}):
            with self.subTest(**vals):
                order = self._quote(**vals)
                self.assertEqual(order.tiering_quote_approval_level, "gm")
                self._assert_asked(order.with_user(self.rep).action_confirm(), "Sam Supervisor", "")
                self.assertEqual(order.tiering_approval_step_ids.mapped("role"), ["supervisor", "gm"])
                order.with_user(self.supervisor).action_approve_discount()
                self.assertEqual(
                    (order.tiering_discount_approval_state, order.tiering_approval_user_id), ("pending", self.gm)
                )
                with self.assertRaisesRegex(UserError, "waits for the approval of Grace Manager"):
                    order.with_user(self.rep).action_confirm()
                with self.assertRaises(AccessError):
                    order.with_user(self.supervisor).action_approve_discount()
                order.with_user(self.gm).action_approve_discount()
                self.assertEqual(order.tiering_discount_approval_state, "approved")
                order.with_user(self.rep).action_confirm()
                self.assertEqual(order.state, "sale")

    def test_supervisors_give_the_first_level_the_general_manager_both(self):
        order = self._quote(discount=7, user=self.supervisor)
        order.with_user(self.supervisor).action_confirm()
        self.assertEqual(order.state, "sale")
        # Above the supervisor's own limit, another supervisor and the general manager approve.
        order = self._quote(discount=12, user=self.supervisor)
        self._assert_asked(order.with_user(self.supervisor).action_confirm(), "Dana Default", "12% discount")
        self.assertEqual(order.tiering_approval_step_ids.user_id, self.approver | self.gm)
        order = self._quote(discount=12, price=900_000, user=self.gm)
        order.with_user(self.gm).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_printing_and_sharing_are_blocked_too(self):
        order = self._quote(discount=7)
        reports = self.env["ir.actions.report"].with_user(self.rep)
        with self.assertRaisesRegex(UserError, "cannot be printed before Sam Supervisor approve it: a 7% discount"):
            reports._render_qweb_html("sale.action_report_saleorder", order.ids)
        # Sharing by link takes contact creation rights.
        self.rep.sudo().groups_id |= self.env.ref("base.group_partner_manager")
        share = (
            self.env["portal.share"]
            .with_user(self.rep)
            .with_context(active_model="sale.order", active_id=order.id)
            .create({"partner_ids": [Command.set(self.key.ids)]})
        )
        self._assert_asked(share.action_send_mail(), "Sam Supervisor", "7% discount")
        with self.assertRaisesRegex(UserError, "cannot be shared yet: it waits for the approval of Sam"):
            order.with_user(self.rep).action_preview_sale_order()
        with self.assertRaisesRegex(UserError, "cannot be printed yet: it waits for the approval of Sam"):
            reports._render_qweb_html("sale.action_report_saleorder", order.ids)
        order.with_user(self.supervisor).action_approve_discount()
        html, _kind = reports._render_qweb_html("sale.action_report_saleorder", order.ids)
        self.assertIn(order.name, str(html))
        self.assertEqual(order.with_user(self.rep).action_preview_sale_order()["type"], "ir.actions.act_url")
        self.assertTrue(share.action_send_mail())

    def test_printing_from_odoo_asks_for_the_approval(self):
        # The web client asks before it prints (static/src/quote_print): the request is kept.
        order = self._quote(discount=7)
        as_rep = order.with_user(self.rep)
        self.assertIs(as_rep.action_tiering_check_print("account.report_invoice"), False)
        self.assertFalse(order.tiering_discount_approval_state)
        self._assert_asked(as_rep.action_tiering_check_print("sale.report_saleorder"), "Sam Supervisor", "7% discount")
        self.assertEqual(
            (order.tiering_discount_approval_state, order.tiering_approval_user_id), ("pending", self.supervisor)
        )
        with self.assertRaisesRegex(UserError, "cannot be printed yet: it waits for the approval of Sam"):
            as_rep.action_tiering_check_print("sale.report_saleorder")
        order.with_user(self.supervisor).action_approve_discount()
        self.assertIs(as_rep.action_tiering_check_print("sale.report_saleorder"), False)
        pro_forma = self._quote(discount=7).with_user(self.rep)
        asked = pro_forma.action_tiering_check_print("sale.report_saleorder_pro_forma")
        self._assert_asked(asked, "Sam Supervisor", "7%")
        within_authority = self._quote(discount=5).with_user(self.rep)
        self.assertIs(within_authority.action_tiering_check_print("sale.report_saleorder"), False)
        self.assertFalse(within_authority.tiering_discount_approval_state)

    def test_any_change_voids_the_approval(self):
        changes = {
            "payment terms": lambda order: order.write({"payment_term_id": self.term_45.id}),
            "cost": lambda order: order.order_line.write({"purchase_price": 990}),
            # the discount written with it: with Sales' Discounts on, Odoo resets it on a new quantity
            "quantity": lambda order: order.order_line.write({"product_uom_qty": 2, "discount": 7}),
        }
        for name, change in changes.items():
            with self.subTest(change=name):
                order = self._quote(discount=7)
                order.with_user(self.rep).action_confirm()
                order.with_user(self.supervisor).action_approve_discount()
                change(order.with_user(self.rep))
                self.assertFalse(order.tiering_discount_approval_state)
                self.assertIn("approval is void", order.message_ids[0].body)
                self._assert_asked(order.with_user(self.rep).action_confirm(), "Sam Supervisor", "")
                self.assertEqual(order.state, "draft")

    def test_over_the_credit_limit_confirming_needs_approval(self):
        self.company.account_use_credit_limit = True
        self.key.with_company(self.company).credit_limit = 500
        order = self._quote(price=1_000)
        self.assertTrue(order.partner_credit_warning)
        # Sending is no commitment: only confirming is held by the credit limit.
        self.assertEqual(order.with_user(self.rep).action_quotation_send()["res_model"], "mail.compose.message")
        self._assert_asked(order.with_user(self.rep).action_confirm(), "Sam Supervisor", "over its credit limit")
        order.with_user(self.supervisor).action_approve_discount()
        order.with_user(self.rep).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_the_approver_sees_grade_tier_and_every_figure_against_its_limit(self):
        order = self._quote(price=60_000, discount=7, cost=57_000, payment_term_id=self.term_45.id)
        order.with_user(self.rep).action_confirm()
        note = str(order.activity_ids.note)
        for text in (
            "Valencia Cocinas SL",
            "B Key",
            "7%",
            "up to 5%",
            "Margin rate",
            "floor 10%",
            "45 Days",
            "30 Days",
            "55,800.00",
            "50,000.00",
        ):
            self.assertIn(text, note)
        self.assertEqual(order.with_user(self.supervisor).tiering_quote_approval_level, "supervisor")

    def test_rejected_quotation_stays_blocked(self):
        order = self._quote(discount=7)
        order.with_user(self.rep).action_confirm()
        order.with_user(self.supervisor).action_reject_discount("Too generous")
        with self.assertRaisesRegex(UserError, "Sam Supervisor rejected its approval"):
            order.with_user(self.rep).action_confirm()
        order.with_user(self.rep).action_request_discount_approval()
        self.assertEqual(order.tiering_discount_approval_state, "pending")

    def test_no_tier_no_policy(self):
        """A customer outside every tier, or a company without tiers, is not held by any limit."""
        buyer = self._customer("Untiered Buyer", user_id=self.rep.id)
        buyer.sudo().tiering_service_tier_id = False
        self.company.account_use_credit_limit = True
        buyer.with_company(self.company).credit_limit = 10
        order = (
            self.env["sale.order"]
            .with_user(self.rep)
            .create(
                {
                    "partner_id": buyer.id,
                    "payment_term_id": self.term_45.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": self.product.id,
                                "price_unit": 900_000,
                                "discount": 30,
                                "purchase_price": 899_000,
                            }
                        )
                    ],
                }
            )
        )
        self.assertFalse(order.tiering_quote_needs_approval)
        order.with_user(self.rep).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_bad_limits_are_refused(self):
        tier = self.tiers["B"]
        for vals, regex in (
            ({"second_max_discount": 4}, "supervisor discount limit cannot be below"),
            ({"second_max_discount": 120}, "percentages between 0 and 100"),
            ({"max_amount": -1}, "cannot be negative"),
            ({"second_max_amount": 10_000}, "supervisor amount limit cannot be below"),
        ):
            with self.subTest(**vals), self.assertRaisesRegex(ValidationError, regex):
                tier.write(vals)
        with self.assertRaisesRegex(ValidationError, "margin floor is a percentage"):
            self.company.tiering_margin_floor = 150
        settings = self.env["res.config.settings"].create({"tiering_margin_floor": 12.5})
        settings.execute()
        self.assertEqual(self.env.company.tiering_margin_floor, 12.5)


@tagged("post_install", "-at_install")
class TestAttackQuoteApproval(AttackCase):
    """Over JSON-RPC, as the web client: no way around the quotation approval."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tiers["A"].write({"second_max_discount": 15, "max_amount": 100_000})
        cls.company.tiering_margin_floor = 10
        cls.manager = cls._user("quote_mgr", "sales_team.group_sale_manager", "Mia Manager")

    def _values(self, **line):
        line = {"product_id": self.product.id, "price_unit": 1_000, "tax_id": [], **line}
        return {"partner_id": self.vip.id, "order_line": [Command.create(line)]}

    def test_13_context_defaults_and_forged_fields_approve_nothing(self):
        context = {
            "default_tiering_discount_approval_state": "approved",
            "default_tiering_discount_approval_signature": "forged",
            "default_tiering_approval_user_id": self.supervisor.id,
        }
        order_id = self._rpc(self.rep, "sale.order", "create", self._values(price_unit=150_000), context=context)
        order = self.env["sale.order"].browse(order_id)
        self.assertFalse(order.tiering_discount_approval_state or order.tiering_approval_user_id)
        for vals in (
            {"tiering_discount_approval_state": "approved"},
            {"tiering_discount_approval_signature": "x"},
            {"tiering_approval_user_id": self.rep.id},
            {"tiering_order_tier_id": self.tiers["D"].id},
        ):
            self.assertRefused("move on through their buttons only", self.rep, "sale.order", "write", [order_id], vals)
        step = {"res_model": "sale.order", "res_id": order_id, "role": "supervisor", "state": "approved"}
        self.assertRefused("not allowed", self.rep, "trade.approval.step", "create", step)
        result = self._rpc(self.rep, "sale.order", "action_quotation_send", [order_id])
        self.assertIn("above the", result["params"]["message"])
        self.assertEqual(order.tiering_discount_approval_state, "pending")

    def test_13_nobody_approves_their_own_quotation(self):
        order_id = self._rpc(self.rep, "sale.order", "create", self._values(discount=20))
        self._rpc(self.rep, "sale.order", "action_confirm", [order_id])
        self.assertRefused("Nobody approves their own", self.rep, "sale.order", "action_approve_discount", [order_id])
        # Another rep of the team neither reads nor signs it.
        self.assertRefused("read' access", self.other_rep, "sale.order", "action_approve_discount", [order_id])
        # 20% is above tier A's second level: the supervisor's signature is not the last one.
        self._rpc(self.supervisor, "sale.order", "action_approve_discount", [order_id])
        self.assertRefused(
            "signed by two different people", self.supervisor, "sale.order", "action_approve_discount", [order_id]
        )
        self.assertRefused("waits for the approval of Grace", self.rep, "sale.order", "action_confirm", [order_id])
        self._rpc(self.gm, "sale.order", "action_approve_discount", [order_id])
        self._rpc(self.rep, "sale.order", "action_confirm", [order_id])
        self.assertEqual(self.env["sale.order"].browse(order_id).state, "sale")

    def test_13_writes_after_submit_or_approval_void_it(self):
        order_id = self._rpc(self.rep, "sale.order", "create", self._values(discount=12))
        self._rpc(self.rep, "sale.order", "action_quotation_send", [order_id])
        order = self.env["sale.order"].browse(order_id)
        line = order.order_line
        self._rpc(self.rep, "sale.order.line", "write", line.ids, {"purchase_price": 999})
        self.assertFalse(order.tiering_discount_approval_state)
        self.assertRefused(
            "not waiting for approval", self.supervisor, "sale.order", "action_approve_discount", [order_id]
        )
        self._rpc(self.rep, "sale.order", "action_quotation_send", [order_id])
        self._rpc(self.supervisor, "sale.order", "action_approve_discount", [order_id])
        self.assertEqual(order.tiering_discount_approval_state, "approved")
        term = self.env.ref("account.account_payment_term_immediate")
        self._rpc(self.rep, "sale.order", "write", [order_id], {"payment_term_id": term.id})
        self.assertFalse(order.tiering_discount_approval_state)
        result = self._rpc(self.rep, "sale.order", "action_confirm", [order_id])
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(order.state, "draft")

    def test_13_a_copy_carries_no_approval(self):
        order_id = self._rpc(self.rep, "sale.order", "create", self._values(discount=12))
        self._rpc(self.rep, "sale.order", "action_confirm", [order_id])
        self._rpc(self.supervisor, "sale.order", "action_approve_discount", [order_id])
        copied = self._rpc(self.rep, "sale.order", "copy", [order_id])
        copy_id = copied[0] if isinstance(copied, list) else copied
        copied = self.env["sale.order"].browse(copy_id)
        self.assertFalse(copied.tiering_discount_approval_state or copied.tiering_approval_step_ids)
        self.assertTrue(copied.tiering_quote_needs_approval)
        result = self._rpc(self.rep, "sale.order", "action_confirm", [copy_id])
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(copied.state, "draft")

    def test_13_bad_input_is_a_clear_error(self):
        self.assertRefused(
            "supervisor discount limit cannot be below",
            self.manager,
            "trade.service.tier",
            "write",
            self.tiers["A"].ids,
            {"second_max_discount": 2},
        )


@tagged("post_install", "-at_install")
class TestQuoteApprovalTour(TourCase):
    def _quotation_above_the_amount_limit(self):
        """A rep's quotation of 30,000 for a B customer whose tier lets reps quote up to 20,000."""
        rep, supervisor, customer, product = self._tier_b_customer(
            "tour_quote", "Quote Team", "Quote Tour Traders", "Tour Board"
        )
        customer.with_company(self.env.company).tiering_service_tier_id.max_amount = 20_000
        quotation = self._rep_quotation(rep, customer, product, price_unit=30_000)
        return quotation, rep, supervisor

    def test_rep_sends_supervisor_approves(self):
        quotation, rep, supervisor = self._quotation_above_the_amount_limit()
        self.start_tour(f"/odoo/sales/{quotation.id}", "trade_crm_tiering_quote_send", login=rep.login)
        self.assertEqual((quotation.state, quotation.tiering_discount_approval_state), ("draft", "pending"))
        self.start_tour(f"/odoo/sales/{quotation.id}", "trade_crm_tiering_quote_approve", login=supervisor.login)
        self.assertEqual(quotation.tiering_discount_approval_state, "approved")
        self.assertEqual(quotation.with_user(rep).action_quotation_send()["res_model"], "mail.compose.message")

    def test_printing_asks_for_the_approval(self):
        quotation, rep, supervisor = self._quotation_above_the_amount_limit()
        self.start_tour(f"/odoo/sales/{quotation.id}", "trade_crm_tiering_quote_print", login=rep.login)
        self.assertEqual((quotation.state, quotation.tiering_discount_approval_state), ("draft", "pending"))
        self.assertEqual(quotation.tiering_approval_user_id, supervisor)
        activity = quotation.activity_ids.filtered(lambda a: a.user_id == supervisor)
        self.assertEqual(len(activity), 1)
