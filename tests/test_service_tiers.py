from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools.safe_eval import safe_eval

from .common import REP_GROUPS, ApprovalCase


class TierCase(ApprovalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.tiering_auto_upgrade = "apply"
        cls.tiers = cls._tiers_by_code()
        cls.cadence = cls.env["trade.tiering.cadence"]

    def _tier_activities(self, partner, xmlid):
        activity_type = self.env.ref(f"trade_crm_tiering.{xmlid}")
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                ("activity_type_id", "=", activity_type.id),
            ]
        )

    def _run_cadence(self):
        self.cadence._run(self.company)

    def _key_account(self, name="Valencia Cocinas SL", amount=400_000):
        customer = self._customer(name, user_id=self.rep.id, team_id=self.team.id)
        self._order(customer, amount)
        customer.action_tiering_regrade()
        return customer


@tagged("post_install", "-at_install")
class TestTierSetup(TierCase):
    def test_each_company_gets_the_default_tiers(self):
        self.assertEqual(sorted(self.tiers), ["A", "B", "C", "D"])
        a, b, c, d = (self.tiers[code] for code in "ABCD")
        self.assertEqual((a.min_star, a.max_star, a.follow_up_days, a.review_months, a.response_hours), (5, 5, 7, 3, 4))
        self.assertTrue(a.require_backup and a.order_priority)
        self.assertEqual((a.max_discount, a.pool_release_days), (10.0, 0))
        self.assertEqual((b.min_star, b.max_star, b.follow_up_days, b.max_discount), (3, 4, 14, 5.0))
        self.assertEqual(
            (c.min_star, c.max_star, c.follow_up_days, c.review_months, c.pool_release_days), (1, 2, 30, 12, 90)
        )
        self.assertEqual(
            (d.min_star, d.max_star, d.follow_up_days, d.response_hours, d.pool_release_days), (0, 0, 60, 48, 30)
        )
        self.assertFalse(c.order_priority or d.order_priority)

    def test_gaps_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "no service tier covers 0 stars"):
            self.tiers["D"].active = False
            self._run_commit_hooks()

    def test_overlaps_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "tiers B Key and A Core both cover 5 stars"):
            self.tiers["B"].max_star = 5
            self._run_commit_hooks()

    def test_reversed_or_out_of_range_stars_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "stars go from 0 to 5"):
            self.tiers["A"].max_star = 6
        with self.assertRaisesRegex(ValidationError, "must not be reversed"):
            self.tiers["B"].write({"min_star": 4, "max_star": 3})

    def test_several_tiers_edited_together(self):
        self.tiers["B"].min_star = 2
        self.tiers["C"].max_star = 1
        self._run_commit_hooks()
        self.assertEqual(self.company._tiering_tier_map()[2], self.tiers["B"])

    def test_reps_cannot_edit_tiers(self):
        tier = self.tiers["B"].with_user(self.rep)
        self.assertEqual(tier.max_discount, 5.0)
        with self.assertRaises(AccessError):
            tier.max_discount = 50
        with self.assertRaises(AccessError):
            self.env["trade.service.tier"].with_user(self.supervisor).create(
                {"code": "X", "name": "X", "min_star": 0, "max_star": 0}
            )
        manager = self._user("tier_manager", "sales_team.group_sale_manager", "Mia Manager")
        self.tiers["B"].with_user(manager).max_discount = 6


@tagged("post_install", "-at_install")
class TestTierFollowsGrade(TierCase):
    def test_customers_are_served_by_the_tier_of_their_grade(self):
        newcomer = self._customer("Newcomer Ltd")
        self.assertEqual(newcomer.tiering_service_tier_id, self.tiers["D"], "never graded: the 0-star tier")
        key = self._key_account()
        self.assertEqual(key.tiering_service_tier_id, self.tiers["B"])
        contact = self.env["res.partner"].create({"name": "Buyer", "parent_id": key.id})
        self.assertEqual(contact.tiering_service_tier_id, self.tiers["B"])
        self._order(key, 2_000_000)
        key.action_tiering_regrade()
        self.assertEqual(key.tiering_service_tier_id, self.tiers["A"])
        self.assertEqual(key.tiering_response_hours, 4)
        self.assertTrue(key.tiering_require_backup)

    def test_tier_ranges_changed_move_customers(self):
        key = self._key_account()
        self.tiers["B"].min_star = 4
        self.tiers["C"].max_star = 3
        self._run_commit_hooks()
        self.assertEqual(key.tiering_service_tier_id, self.tiers["C"])
        self.tiers["D"].max_star = 3
        self.tiers["C"].write({"min_star": 4, "max_star": 4})
        self.tiers["B"].active = False
        self._run_commit_hooks()
        self.assertEqual(key.tiering_service_tier_id, self.tiers["D"])

    def test_group_and_filter_by_tier(self):
        key = self._key_account()
        found = self.env["res.partner"].search(
            [("tiering_service_tier_id", "=", self.tiers["B"].id), ("id", "=", key.id)]
        )
        self.assertEqual(found, key)
        self.assertEqual(self.tiers["B"].customer_count, 1)

    def test_tier_fields_cannot_be_written(self):
        key = self._key_account()
        with self.assertRaises(AccessError):
            key.with_user(self.rep).write({"tiering_service_tier_id": self.tiers["A"].id})
        with self.assertRaises(AccessError):
            key.with_user(self.supervisor).write({"tiering_next_follow_up_date": fields.Date.today()})

    def test_backup_missing_is_flagged(self):
        vip = self._key_account("Oslo Hytter AS", 2_500_000)
        self.assertTrue(vip.tiering_backup_missing)
        missing = self.env["res.partner"].search([("tiering_backup_missing", "=", True)])
        self.assertIn(vip, missing)
        vip.tiering_backup_user_id = self.other_rep
        self.assertFalse(vip.tiering_backup_missing)
        self.assertNotIn(vip, self.env["res.partner"].search([("tiering_backup_missing", "=", True)]))


@tagged("post_install", "-at_install")
class TestFollowUpCadence(TierCase):
    def test_one_follow_up_activity_however_often_the_job_runs(self):
        key = self._key_account()
        self._run_cadence()
        self._run_cadence()
        activity = self._tier_activities(key, "mail_activity_type_tier_follow_up")
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.rep)
        ordered = self.today - timedelta(days=10)
        self.assertEqual(key.tiering_last_interaction_date, ordered, "the order is the last interaction")
        self.assertEqual(activity.date_deadline, ordered + timedelta(days=14))
        self.assertEqual(key.tiering_next_follow_up_date, ordered + timedelta(days=14))

    def test_interaction_reschedules_the_follow_up(self):
        key = self._key_account()
        with freeze_time(self.today - timedelta(days=10)):
            self._run_cadence()
        self._run_cadence()
        activity = self._tier_activities(key, "mail_activity_type_tier_follow_up")
        with freeze_time(self.today + timedelta(days=5)):
            key.with_user(self.rep).message_post(body="Called about the spring order", message_type="comment")
            self._run_commit_hooks()
        self.assertEqual(key.tiering_last_interaction_date, self.today + timedelta(days=5))
        self.assertEqual(activity.date_deadline, self.today + timedelta(days=19))
        self.assertEqual(len(self._tier_activities(key, "mail_activity_type_tier_follow_up")), 1)

    def test_done_follow_up_counts_and_the_next_one_is_planned(self):
        key = self._key_account()
        self._run_cadence()
        activity = self._tier_activities(key, "mail_activity_type_tier_follow_up")
        with freeze_time(self.today + timedelta(days=3)):
            activity.with_user(self.rep).action_feedback(feedback="Visited the showroom")
            self._run_commit_hooks()
        following = self._tier_activities(key, "mail_activity_type_tier_follow_up")
        self.assertEqual(len(following), 1)
        self.assertEqual(following.date_deadline, self.today + timedelta(days=17))

    def test_overdue_follow_ups(self):
        key = self._key_account()
        with freeze_time(self.today + timedelta(days=20)):
            self._run_cadence()
            self.assertTrue(key.tiering_follow_up_overdue)
            self.assertIn(key, self.env["res.partner"].search([("tiering_follow_up_overdue", "=", True)]))
            action = self.env.ref("trade_crm_tiering.action_trade_overdue_follow_ups")
            overdue = self.env["mail.activity"].search(
                [*safe_eval(action.domain), ("res_id", "=", key.id), ("date_deadline", "<", fields.Date.today())]
            )
            self.assertEqual(overdue.user_id, self.rep)

    def test_no_salesperson_no_follow_up(self):
        key = self._key_account()
        self._run_cadence()
        key.user_id = False
        self._run_commit_hooks()
        self.assertFalse(self._tier_activities(key, "mail_activity_type_tier_follow_up"))

    def test_new_salesperson_takes_the_follow_up(self):
        key = self._key_account()
        self._run_cadence()
        key.user_id = self.other_rep
        self._run_commit_hooks()
        self.assertEqual(self._tier_activities(key, "mail_activity_type_tier_follow_up").user_id, self.other_rep)

    def test_business_review_at_the_tier_cadence(self):
        key = self._key_account()
        self._run_cadence()
        review = self._tier_activities(key, "mail_activity_type_business_review")
        self.assertEqual((len(review), review.date_deadline), (1, self.today))
        review.action_feedback(feedback="Q3 review held")
        self._run_commit_hooks()
        following = self._tier_activities(key, "mail_activity_type_business_review")
        self.assertEqual(len(following), 1)
        self.assertEqual(following.date_deadline, self.today + timedelta(days=91))

    def test_tiers_without_reviews_have_none(self):
        small = self._customer("Small Buyer", user_id=self.rep.id)
        self._order(small, 1_000)
        small.action_tiering_regrade()
        self._run_cadence()
        self.assertEqual(small.tiering_service_tier_id, self.tiers["D"])
        self.assertFalse(self._tier_activities(small, "mail_activity_type_business_review"))
        self.assertEqual(len(self._tier_activities(small, "mail_activity_type_tier_follow_up")), 1)


@tagged("post_install", "-at_install")
class TestTeamPool(TierCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team.member_ids |= cls.other_rep

    def _developing(self, name="Idle Trading"):
        customer = self._customer(
            name, user_id=self.rep.id, team_id=self.team.id, tiering_backup_user_id=self.other_rep.id
        )
        self._order(customer, 1_000, days_ago=0)
        customer.action_tiering_regrade()
        self.assertEqual(customer.tiering_service_tier_id, self.tiers["D"])
        return customer

    def test_warning_a_week_before_then_release(self):
        customer = self._developing()
        self._run_cadence()
        with freeze_time(self.today + timedelta(days=22)):
            self._run_cadence()
        self.assertFalse(self._tier_activities(customer, "mail_activity_type_pool_warning"))
        with freeze_time(self.today + timedelta(days=23)):
            self._run_cadence()
            self._run_cadence()
        warning = self._tier_activities(customer, "mail_activity_type_pool_warning")
        self.assertEqual((len(warning), warning.user_id), (2, self.rep | self.other_rep), "and its backup's copy")
        with freeze_time(self.today + timedelta(days=30)):
            self._run_cadence()
        self.assertFalse(customer.user_id)
        self.assertFalse(customer.tiering_backup_user_id)
        self.assertEqual(customer.team_id, self.team, "released customers stay in their team")
        self.assertEqual(customer.tiering_pool_previous_user_id, self.rep)
        self.assertEqual(customer.tiering_pool_released_date, self.today + timedelta(days=30))
        self.assertFalse(customer.activity_ids, "its tier activities are removed")
        self.assertIn("Back to the team pool", customer.message_ids[0].body)
        pool = self.env.ref("trade_crm_tiering.action_trade_team_pool").domain
        teammate = self.env["res.partner"].with_user(self.other_rep)
        self.assertIn(customer, teammate.search(safe_eval(pool, {"uid": self.other_rep.id})))
        outsider = self._user("tier_pool_outsider", REP_GROUPS, "Paula Outsider")
        outsider_partners = self.env["res.partner"].with_user(outsider)
        self.assertNotIn(customer, outsider_partners.search(safe_eval(pool, {"uid": outsider.id})))

    def test_interaction_keeps_the_customer(self):
        customer = self._developing()
        with freeze_time(self.today + timedelta(days=25)):
            customer.message_post(body="Sent the new catalogue", message_type="comment")
            self._run_commit_hooks()
        with freeze_time(self.today + timedelta(days=30)):
            self._run_cadence()
        self.assertEqual(customer.user_id, self.rep)

    def test_key_accounts_never_go_to_the_pool(self):
        key = self._key_account()
        with freeze_time(self.today + timedelta(days=400)):
            self._run_cadence()
        self.assertEqual(key.user_id, self.rep)

    def _released(self, name):
        customer = self._developing(name)
        with freeze_time(self.today + timedelta(days=30)):
            self._run_cadence()
        self.assertFalse(customer.user_id)
        return customer

    def test_claim_within_the_daily_cap(self):
        self.company.tiering_claim_cap = 1
        first, second = self._released("Pool One"), self._released("Pool Two")
        first.with_user(self.other_rep).action_pool_claim()
        self.assertEqual(first.user_id, self.other_rep)
        self.assertFalse(first.tiering_pool_released_date)
        with self.assertRaisesRegex(UserError, "already claimed 1 customers today"):
            second.with_user(self.other_rep).action_pool_claim()
        with freeze_time(fields.Date.today() + timedelta(days=1)):
            second.with_user(self.other_rep).action_pool_claim()
        self.assertEqual(second.user_id, self.other_rep)

    def test_previous_owner_waits_for_the_cooldown(self):
        customer = self._released("Pool Three")
        released = customer.tiering_pool_released_date
        with freeze_time(released + timedelta(days=6)), self.assertRaisesRegex(UserError, "claim it back after 7 days"):
            customer.with_user(self.rep).action_pool_claim()
        with freeze_time(released + timedelta(days=7)):
            customer.with_user(self.rep).action_pool_claim()
        self.assertEqual(customer.user_id, self.rep)

    def test_claims_stay_in_the_team(self):
        outsider = self._user("tier_outsider", REP_GROUPS, "Otto Outsider")
        customer = self._released("Pool Four")
        with self.assertRaisesRegex(UserError, "which you are not part of"):
            customer.with_user(outsider).action_pool_claim()
        served = self._key_account("Served Co")
        with self.assertRaisesRegex(UserError, "is not in the team pool"):
            served.with_user(self.other_rep).action_pool_claim()


@tagged("post_install", "-at_install")
class TestTierOrders(TierCase):
    def _discounted_order(self, customer, discount, user=None):
        user = user or self.rep
        product = self.product
        order = (
            self.env["sale.order"]
            .with_user(user)
            .create(
                {
                    "partner_id": customer.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "price_unit": 1_000,
                                "discount": discount,
                                "tax_id": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        )
        return order

    def test_confirmation_keeps_a_snapshot_of_grade_and_tier(self):
        key = self._key_account()
        order = self._order(key, 1_000)
        self.assertEqual((order.tiering_order_star_grade, order.tiering_order_tier_id), ("3", self.tiers["B"]))
        self._order(key, 2_000_000)
        key.action_tiering_regrade()
        self.assertEqual(key.tiering_service_tier_id, self.tiers["A"])
        self.assertEqual((order.tiering_order_star_grade, order.tiering_order_tier_id), ("3", self.tiers["B"]))

    def test_priority_orders(self):
        key = self._key_account()
        small = self._customer("Small Buyer")
        priority = self._order(key, 1_000, confirm=False)
        ordinary = self._order(small, 1_000, confirm=False)
        self.assertTrue(priority.tiering_priority)
        self.assertFalse(ordinary.tiering_priority)
        found = self.env["sale.order"].search(
            [("tiering_priority", "=", True), ("id", "in", (priority | ordinary).ids)]
        )
        self.assertEqual(found, priority)

    def test_discount_above_authority_needs_approval(self):
        key = self._key_account()
        order = self._discounted_order(key, 8)
        self.assertTrue(order.tiering_discount_needs_approval)
        # The first try asks for approval at once, and says why and who approves.
        result = order.with_user(self.rep).action_confirm()
        self.assertEqual(result["tag"], "display_notification")
        self.assertRegex(
            result["params"]["message"], "sent for approval to Sam Supervisor: a 8% discount, more than the 5%"
        )
        self.assertEqual((order.state, order.tiering_discount_approval_state), ("draft", "pending"))
        with self.assertRaisesRegex(UserError, "waits for the approval of Sam Supervisor"):
            order.with_user(self.rep).action_confirm()
        activity = order.activity_ids
        self.assertEqual(
            activity.activity_type_id, self.env.ref("trade_crm_tiering.mail_activity_type_discount_approval")
        )
        self.assertEqual(activity.user_id, self.supervisor)
        self.assertIn("8% discount", activity.note)
        with self.assertRaises(AccessError):
            order.with_user(self.rep).action_approve_discount()
        order.with_user(self.supervisor).action_approve_discount()
        self.assertEqual((order.tiering_discount_approval_state, order.tiering_discount_approved), ("approved", 8.0))
        self.assertFalse(order.activity_ids)
        order.with_user(self.rep).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_a_customer_outside_every_tier_has_no_discount_policy(self):
        """Odoo's own sales flows with discounts keep working for customers no tier covers."""
        buyer = self._customer("Untiered Buyer", user_id=self.rep.id)
        buyer.sudo().tiering_service_tier_id = False
        order = self._discounted_order(buyer, 20)
        self.assertFalse(order.tiering_discount_needs_approval)
        order.with_user(self.rep).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_a_bigger_discount_after_approval_needs_it_again(self):
        key = self._key_account()
        order = self._discounted_order(key, 8)
        order.with_user(self.rep).action_request_discount_approval()
        order.with_user(self.supervisor).action_approve_discount()
        order.order_line.discount = 12
        self.assertTrue(order.tiering_discount_needs_approval)
        self.assertFalse(order.tiering_discount_approval_state)
        # The approval was for 8%: confirming asks again, for 12%.
        result = order.with_user(self.rep).action_confirm()
        self.assertIn("12% discount", result["params"]["message"])
        self.assertEqual((order.state, order.tiering_discount_approval_state), ("draft", "pending"))

    def test_rejected_discount(self):
        key = self._key_account()
        order = self._discounted_order(key, 8)
        order.with_user(self.rep).action_request_discount_approval()
        action = order.with_user(self.supervisor).action_open_reject_wizard()
        wizard = Form(self.env[action["res_model"]].with_user(self.supervisor).with_context(**action["context"]))
        wizard.reason = "Margin too thin on this range"
        wizard.save().action_reject()
        self.assertEqual(order.tiering_discount_approval_state, "rejected")
        self.assertIn("Margin too thin", order.message_ids[0].body)
        with self.assertRaises(UserError):
            order.with_user(self.rep).action_confirm()
        order.order_line.discount = 5
        order.with_user(self.rep).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_supervisors_confirm_directly(self):
        key = self._key_account()
        order = self._discounted_order(key, 9, user=self.supervisor)
        order.with_user(self.supervisor).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_discount_workflow_fields_cannot_be_written(self):
        key = self._key_account()
        order = self._discounted_order(key, 8)
        with self.assertRaises(AccessError):
            order.with_user(self.rep).write(
                {"tiering_discount_approval_state": "approved", "tiering_discount_approved": 50}
            )

    def test_tier_payment_term_for_customers_without_one(self):
        key = self._key_account()
        order = self._order(key, 10, confirm=False)
        self.assertEqual(order.payment_term_id, self.tiers["B"].payment_term_id)
        self.env["account.journal"].create(
            {"name": "Export Sales", "type": "sale", "code": "TEXS", "company_id": self.company.id}
        )
        invoice = self.env["account.move"].create({"move_type": "out_invoice", "partner_id": key.id})
        self.assertEqual(invoice.invoice_payment_term_id, self.tiers["B"].payment_term_id)
        own_term = self.env.ref("account.account_payment_term_end_following_month")
        key.property_payment_term_id = own_term
        self.assertEqual(self._order(key, 10, confirm=False).payment_term_id, own_term)
