from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import ApprovalCase


@tagged("post_install", "-at_install")
class TestGradeRequests(ApprovalCase):
    def test_request_for_the_current_grade_is_refused(self):
        request = self._request(self.rep, 2)
        with self.assertRaisesRegex(UserError, "already served at 2 stars"):
            request.with_user(self.rep).action_submit()

    def test_rep_sets_an_ordinary_grade_alone(self):
        small = self._customer("Small Buyer", user_id=self.rep.id)
        self._order(small, 1_000)
        small.action_tiering_regrade()
        self.customer = small
        request = self._request(self.rep, 2, reason="Samples approved, trial order next month")
        request.with_user(self.rep).action_submit()
        self.assertEqual(request.state, "approved")
        self.assertFalse(request.tiering_approval_step_ids)
        self.assertEqual(
            (small.tiering_star_grade, small.tiering_star_grade_potential, small.tiering_star_grade_actual),
            ("2", "2", "0"),
        )
        self.assertEqual(small.tiering_potential_reason, "Samples approved, trial order next month")
        history = self._history(small)[-1]
        self.assertEqual((history.source, history.new_star, history.reason), ("request", "2", request.reason))

    def test_key_account_needs_the_team_leader(self):
        request = self._request(self.rep, 4)
        request.with_user(self.rep).action_submit()
        self.assertEqual(request.state, "to_approve")
        self.assertEqual(request.tiering_approval_user_id, self.supervisor)
        activity = self._approval_activities(request)
        self.assertEqual(activity.user_id, self.supervisor)
        self.assertIn("Hamburg Holz AG", activity.note)
        self.assertIn("2 stars → 4 stars", activity.note)
        self.assertIn("60,000.00", activity.note)
        self.assertIn("new showroom", activity.note)
        self.assertEqual(self.customer.tiering_star_grade, "2", "nothing changes before approval")

        request.with_user(self.supervisor).action_approve(feedback="Agreed, review in Q3")
        self.assertEqual(request.state, "approved")
        self.assertEqual((self.customer.tiering_star_grade, self.customer.tiering_star_grade_potential), ("4", "4"))
        self.assertEqual(self.customer.tiering_grade_category, "key")
        self.assertFalse(self._approval_activities(request), "the approval activity is marked done")
        done = self.env["mail.message"].search(
            [("model", "=", "trade.grade.request"), ("res_id", "=", request.id), ("mail_activity_type_id", "!=", False)]
        )
        self.assertIn("Agreed, review in Q3", done.body)
        step = request.tiering_approval_step_ids
        self.assertEqual((step.role, step.state, step.signed_by_id), ("supervisor", "approved", self.supervisor))
        notice = request.message_ids.filtered(lambda m: self.rep.partner_id in m.partner_ids)
        self.assertIn("Approved", notice.body)
        self.assertEqual(self._history(self.customer)[-1].source, "request")

    def test_vip_needs_the_supervisor_then_the_general_manager(self):
        request = self._request(self.rep, 5)
        request.with_user(self.rep).action_submit()
        request.with_user(self.supervisor).action_approve()
        self.assertEqual(request.state, "to_approve")
        self.assertEqual(self._approval_activities(request).user_id, self.gm)
        self.assertEqual(self.customer.tiering_star_grade, "2")
        with self.assertRaises(AccessError):
            request.with_user(self.supervisor).action_approve()
        request.with_user(self.gm).action_approve()
        self.assertEqual(request.state, "approved")
        self.assertEqual(self.customer.tiering_star_grade, "5")
        self.assertEqual(request.tiering_approval_step_ids.mapped("state"), ["approved", "approved"])

    def test_supervisor_falls_back_to_the_default_approver(self):
        self.team.user_id = self.other_rep  # a leader who is not a supervisor
        request = self._request(self.rep, 3)
        request.with_user(self.rep).action_submit()
        self.assertEqual(request.tiering_approval_user_id, self.approver)

    def test_nobody_approves_their_own_request(self):
        request = self._request(self.supervisor, 3)
        request.with_user(self.supervisor).action_submit()
        self.assertEqual(request.tiering_approval_user_id, self.approver, "the team leader asking is not asked")
        with self.assertRaisesRegex(AccessError, "own request"):
            request.with_user(self.supervisor).action_approve()
        self.customer = self._customer("Genoa Mobili SpA", user_id=self.rep.id, team_id=self.team.id)
        gm_request = self._request(self.gm, 4, reason="GM's own pick")
        gm_request.with_user(self.gm).action_submit()
        gm_request.with_user(self.supervisor).action_approve()
        self.assertEqual(gm_request.state, "approved")

    def test_general_manager_cannot_approve_their_own_vip_request(self):
        # #16.8: no dead end; the company's default approver signs, never the general manager.
        self.customer.team_id = False
        request = self._request(self.gm, 5)
        request.with_user(self.gm).action_submit()
        self.assertEqual(request.tiering_approval_step_ids.user_id, self.approver)
        with self.assertRaisesRegex(AccessError, "own request"):
            request.with_user(self.gm).action_approve()

    def test_reps_cannot_approve(self):
        request = self._request(self.rep, 3)
        request.with_user(self.rep).action_submit()
        with self.assertRaisesRegex(AccessError, "own request"):
            request.with_user(self.rep).action_approve()
        with self.assertRaises(AccessError):
            request.with_user(self.other_rep).action_approve()

    def test_rejection_changes_nothing(self):
        request = self._request(self.rep, 4)
        request.with_user(self.rep).action_submit()
        with self.assertRaisesRegex(UserError, "Say why"):
            request.with_user(self.supervisor).action_reject(" ")
        request.with_user(self.supervisor).action_reject("Payment behaviour too weak")
        self.assertEqual((request.state, request.rejection_reason), ("rejected", "Payment behaviour too weak"))
        self.assertEqual((self.customer.tiering_star_grade, self.customer.tiering_star_grade_potential), ("2", False))
        self.assertFalse(self._approval_activities(request))
        self.assertEqual(request.tiering_approval_step_ids.state, "rejected")
        self.assertEqual(len(self._history(self.customer)), 1)

    def test_reject_wizard(self):
        request = self._request(self.rep, 3)
        request.with_user(self.rep).action_submit()
        action = request.with_user(self.supervisor).action_open_reject_wizard()
        self.assertEqual(action["res_model"], "trade.approval.reject")
        wizard = Form(self.env[action["res_model"]].with_user(self.supervisor).with_context(**action["context"]))
        wizard.reason = "Not yet"
        wizard.save().action_reject()
        self.assertEqual(request.state, "rejected")

    def test_cancelled_request_changes_nothing(self):
        request = self._request(self.rep, 4)
        request.with_user(self.rep).action_submit()
        with self.assertRaises(AccessError):
            request.with_user(self.other_rep).action_cancel()
        request.with_user(self.rep).action_cancel()
        self.assertEqual(request.state, "cancelled")
        self.assertFalse(self._approval_activities(request))
        self.assertEqual(self.customer.tiering_star_grade, "2")
        with self.assertRaises(UserError):
            request.with_user(self.supervisor).action_approve()

    def test_request_cannot_go_below_the_actual_grade(self):
        request = self._request(self.rep, 1)
        with self.assertRaisesRegex(UserError, "cannot go below"):
            request.with_user(self.rep).action_submit()

    def test_one_open_request_per_customer(self):
        self._request(self.rep, 4).with_user(self.rep).action_submit()
        second = self._request(self.rep, 3)
        with self.assertRaisesRegex(UserError, "already has a grade request waiting"):
            second.with_user(self.rep).action_submit()

    def test_request_from_the_customer_form(self):
        action = self.customer.with_user(self.rep).action_request_grade_change()
        self.assertEqual(action["res_model"], "trade.grade.request")
        form = Form(
            self.env["trade.grade.request"].with_user(self.rep).with_context(**action["context"]),
            view="trade_crm_tiering.trade_grade_request_view_form_quick",
        )
        self.assertEqual(form.partner_id, self.customer)
        self.assertEqual(form.current_star, "2")
        form.requested_star = "3"
        form.reason = "Distributor for all of northern Germany from next year"
        request = form.save()
        request.action_submit()
        self.assertEqual(request.requester_id, self.rep)
        self.assertEqual(self.customer.tiering_grade_request_count, 1)

    def test_workflow_fields_cannot_be_written(self):
        request = self._request(self.rep, 4)
        for vals in (
            {"state": "approved"},
            {"requester_id": self.supervisor.id},
            {"tiering_approval_user_id": self.rep.id},
        ):
            with self.assertRaises(AccessError):
                request.with_user(self.rep).write(vals)
        forged = (
            self.env["trade.grade.request"]
            .with_user(self.rep)
            .create(
                {
                    "partner_id": self.customer.id,
                    "requested_star": "5",
                    "reason": "x",
                    "state": "approved",
                    "requester_id": self.supervisor.id,
                    "source": "auto",
                }
            )
        )
        self.assertEqual((forged.state, forged.requester_id, forged.source), ("draft", self.rep, "manual"))
        request.with_user(self.rep).action_submit()
        with self.assertRaisesRegex(UserError, "Only draft"):
            request.with_user(self.rep).write({"requested_star": "5"})


@tagged("post_install", "-at_install")
class TestPotentialGrades(ApprovalCase):
    def _approve_potential(self, stars, review_date):
        request = self._request(self.rep, stars, review_date=review_date)
        request.with_user(self.rep).action_submit()
        if request.state == "to_approve":
            request.with_user(self.supervisor).action_approve()
        return request

    def test_effective_grade_is_the_higher_of_actual_and_potential(self):
        self._approve_potential(4, self.today + timedelta(days=90))
        self.assertEqual(
            (self.customer.tiering_star_grade_actual, self.customer.tiering_star_grade_potential), ("2", "4")
        )
        self.assertEqual(self.customer.tiering_star_grade, "4")
        self.assertEqual(self.customer.tiering_potential_review_date, self.today + timedelta(days=90))
        self._order(self.customer, 2_000_000)
        self.customer.action_tiering_regrade()
        self.assertEqual(self.customer.tiering_star_grade_actual, "5")
        self.assertEqual(self.customer.tiering_star_grade, "4", "5 stars from data still need approval")

    def test_review_date_schedules_one_review_activity(self):
        self._approve_potential(3, self.today + timedelta(days=10))
        review = self.env.ref("trade_crm_tiering.mail_activity_type_potential_review")
        cron = self.env.ref("trade_crm_tiering.ir_cron_tiering_regrade")
        cron.method_direct_trigger()
        self.assertFalse(self.customer.activity_ids.filtered(lambda a: a.activity_type_id == review))
        with freeze_time(self.today + timedelta(days=10)):
            cron.method_direct_trigger()
            cron.method_direct_trigger()
        activity = self.customer.activity_ids.filtered(lambda a: a.activity_type_id == review)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.rep)
        self.assertEqual(self.customer.tiering_star_grade, "3", "the review date alone withdraws nothing")

    def test_withdrawn_potential_falls_back_to_actual(self):
        self._approve_potential(4, False)
        with self.assertRaises(AccessError):
            self.customer.with_user(self.rep).action_withdraw_potential_grade()
        self.customer.with_user(self.supervisor).action_withdraw_potential_grade()
        self.assertEqual((self.customer.tiering_star_grade, self.customer.tiering_star_grade_potential), ("2", False))
        history = self._history(self.customer)[-1]
        self.assertEqual((history.old_star, history.new_star, history.source), ("4", "2", "manual"))

    def test_requesting_the_actual_grade_withdraws_the_potential(self):
        self._approve_potential(3, False)
        request = self._request(self.rep, 2, reason="Project cancelled")
        with self.assertRaisesRegex(UserError, "only a sales supervisor"):
            request.with_user(self.rep).action_submit()
        request = self._request(self.supervisor, 2, reason="Project cancelled")
        request.with_user(self.supervisor).action_submit()
        self.assertEqual(request.state, "approved")
        self.assertEqual((self.customer.tiering_star_grade, self.customer.tiering_star_grade_potential), ("2", False))


@tagged("post_install", "-at_install")
class TestDataDrivenGrades(ApprovalCase):
    def test_data_upgrade_into_key_opens_one_auto_request(self):
        self._order(self.customer, 400_000)
        self.customer.action_tiering_regrade()
        self.assertEqual((self.customer.tiering_star_grade_actual, self.customer.tiering_star_grade), ("3", "2"))
        request = self.env["trade.grade.request"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual((request.source, request.state, request.requested_star), ("auto", "to_approve", "3"))
        self.assertEqual(request.tiering_approval_user_id, self.supervisor)
        self.assertIn("460,000.00", request.reason)
        self.env["res.partner"].action_tiering_regrade()
        self.customer.action_tiering_regrade()
        self.assertEqual(self.env["trade.grade.request"].search_count([("partner_id", "=", self.customer.id)]), 1)
        request.with_user(self.supervisor).action_approve()
        self.assertEqual((self.customer.tiering_star_grade, self.customer.tiering_star_grade_potential), ("3", False))
        notice = request.message_ids.filtered(lambda m: self.rep.partner_id in m.partner_ids)
        self.assertTrue(notice, "the salesperson hears of an automatic request's outcome")

    def test_auto_request_follows_the_data(self):
        order = self._order(self.customer, 400_000)
        self.customer.action_tiering_regrade()
        first = self.env["trade.grade.request"].search([("partner_id", "=", self.customer.id)])
        order.order_line.price_unit = 1_500_000
        self.customer.action_tiering_regrade()
        self.assertEqual(first.state, "cancelled")
        second = self.env["trade.grade.request"].search(
            [("partner_id", "=", self.customer.id), ("state", "=", "to_approve")]
        )
        self.assertEqual(second.requested_star, "4")
        order._action_cancel()
        self.customer.action_tiering_regrade()
        self.assertEqual(second.state, "cancelled")
        self.assertEqual(self.customer.tiering_star_grade, "2")

    def test_data_upgrade_applies_at_once_when_set_so(self):
        self.company.tiering_auto_upgrade = "apply"
        self._order(self.customer, 2_000_000)
        self.customer.action_tiering_regrade()
        self.assertEqual(self.customer.tiering_star_grade, "5")
        self.assertFalse(self.env["trade.grade.request"].search([("partner_id", "=", self.customer.id)]))

    def test_auto_request_without_approver_waits_as_draft(self):
        self.company.write({"tiering_approver_id": False, "tiering_gm_id": False})
        self.customer.team_id = False
        self._order(self.customer, 400_000)
        self.customer.action_tiering_regrade()
        request = self.env["trade.grade.request"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(request.state, "draft")
        self.assertIn("Nobody can approve", request.message_ids[0].body)

    def _make_key_account(self):
        self.company.tiering_auto_upgrade = "apply"
        order = self._order(self.customer, 400_000)
        self.customer.action_tiering_regrade()
        self.assertEqual(self.customer.tiering_star_grade, "3")
        self.company.tiering_auto_upgrade = "request"
        return order

    def test_falling_out_of_key_keeps_the_grade_for_the_grace_period(self):
        order = self._make_key_account()
        order._action_cancel()
        self.customer.action_tiering_regrade()
        self.assertEqual((self.customer.tiering_star_grade, self.customer.tiering_star_grade_actual), ("3", "2"))
        self.assertEqual(self.customer.tiering_downgrade_due, self.today + timedelta(days=30))
        retention = self.env.ref("trade_crm_tiering.mail_activity_type_retention")
        activities = self.customer.activity_ids.filtered(lambda a: a.activity_type_id == retention)
        self.assertEqual(activities.user_id, self.rep | self.supervisor)
        self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(len(self.customer.activity_ids.filtered(lambda a: a.activity_type_id == retention)), 2)
        with freeze_time(self.today + timedelta(days=29)):
            self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(self.customer.tiering_star_grade, "3")
        with freeze_time(self.today + timedelta(days=30)):
            self.env["res.partner"].action_tiering_regrade()
        self.assertEqual((self.customer.tiering_star_grade, self.customer.tiering_downgrade_due), ("2", False))

    def test_potential_grade_approved_during_grace_stops_the_downgrade(self):
        order = self._make_key_account()
        order._action_cancel()
        self.customer.action_tiering_regrade()
        self.assertTrue(self.customer.tiering_downgrade_due)
        request = self._request(self.rep, 3, reason="Big tender expected in spring")
        request.with_user(self.rep).action_submit()
        request.with_user(self.supervisor).action_approve()
        self.assertFalse(self.customer.tiering_downgrade_due)
        with freeze_time(self.today + timedelta(days=40)):
            self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(self.customer.tiering_star_grade, "3")

    def test_recovering_purchases_end_the_grace_period(self):
        order = self._make_key_account()
        order._action_cancel()
        self.customer.action_tiering_regrade()
        self._order(self.customer, 300_000)
        self.customer.action_tiering_regrade()
        self.assertEqual((self.customer.tiering_star_grade, self.customer.tiering_downgrade_due), ("3", False))
