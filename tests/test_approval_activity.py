"""Issue 16.2 and 16.8: approving from the activity, and the grade request dialog."""

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import GM_GROUPS, ApprovalCase
from .test_handover import HandoverCase

GRADE_APPROVAL = "trade_crm_tiering.mail_activity_type_grade_approval"


@tagged("post_install", "-at_install")
class TestApprovalActivity(ApprovalCase):
    def _submitted(self, stars, user=None):
        request = self._request(user or self.rep, stars)
        request.with_user(user or self.rep).action_submit()
        self.assertEqual(request.state, "to_approve")
        return request

    def test_approve_from_the_activity(self):
        request = self._submitted(4)
        activity = self._approval_activities(request)
        as_supervisor = activity.with_user(self.supervisor)
        self.assertTrue(as_supervisor.trade_approval)
        self.assertTrue(as_supervisor.trade_can_approve)
        self.assertFalse(activity.with_user(self.rep).trade_can_approve, "the requester is offered no Approve")
        action = as_supervisor.action_trade_approve()
        self.assertEqual((action["tag"], action["params"]["type"]), ("display_notification", "success"))
        self.assertEqual(request.state, "approved")
        self.assertEqual(self.customer.tiering_star_grade, "4")
        self.assertEqual(request.tiering_approval_step_ids.signed_by_id, self.supervisor)
        self.assertFalse(self._approval_activities(request))

    def test_vip_moves_from_activity_to_activity(self):
        request = self._submitted(5)
        action = self._approval_activities(request).with_user(self.supervisor).action_trade_approve()
        self.assertIn("waits for Grace Manager", action["params"]["message"])
        activity = self._approval_activities(request)
        self.assertEqual(activity.user_id, self.gm)
        self.assertFalse(activity.with_user(self.supervisor).trade_can_approve, "one person, one step")
        with self.assertRaisesRegex(AccessError, "two different people"):
            activity.with_user(self.supervisor).action_trade_approve()
        activity.with_user(self.gm).action_trade_approve()
        self.assertEqual((request.state, self.customer.tiering_star_grade), ("approved", "5"))

    def test_reject_from_the_activity_asks_why(self):
        request = self._submitted(4)
        action = self._approval_activities(request).with_user(self.supervisor).action_trade_reject()
        self.assertEqual(action["res_model"], "trade.approval.reject")
        self.assertEqual(request.state, "to_approve", "nothing is decided before the reason is given")
        wizard = Form(self.env[action["res_model"]].with_user(self.supervisor).with_context(**action["context"]))
        wizard.reason = "Payments are always late"
        wizard.save().action_reject()
        self.assertEqual((request.state, request.rejection_reason), ("rejected", "Payments are always late"))
        self.assertEqual(self.customer.tiering_star_grade, "2")

    def test_mark_done_without_deciding_is_refused(self):
        request = self._submitted(4)
        activity = self._approval_activities(request).with_user(self.supervisor)
        with self.assertRaisesRegex(UserError, "Approve or reject"):
            activity.action_feedback(feedback="Seen it")
        with self.assertRaisesRegex(UserError, "Approve or reject"):
            activity.action_feedback_schedule_next(feedback="Seen it")
        with self.assertRaisesRegex(UserError, "Approve or reject"):
            activity.action_done()
        self.assertTrue(activity.exists(), "the reminder stays")
        self.assertEqual((request.state, request.tiering_approval_user_id), ("to_approve", self.supervisor))
        self.assertEqual(request.tiering_approval_step_ids.state, "pending")
        # Deciding closes it, with the decision logged as the activity's feedback.
        request.with_user(self.supervisor).action_approve(feedback="Fine")
        self.assertFalse(activity.exists())

    def test_other_activities_are_still_marked_done(self):
        request = self._submitted(4)
        todo = request.activity_schedule("mail.mail_activity_data_todo", user_id=self.supervisor.id)
        self.assertFalse(todo.with_user(self.supervisor).trade_approval)
        todo.with_user(self.supervisor).action_feedback(feedback="Called the rep")
        self.assertFalse(todo.exists())
        self.assertEqual(request.state, "to_approve")

    def test_reps_cannot_decide_from_the_activity(self):
        request = self._submitted(4)
        activity = self._approval_activities(request)
        with self.assertRaisesRegex(AccessError, "own request"):
            activity.with_user(self.rep).action_trade_approve()
        with self.assertRaisesRegex(AccessError, "own request"):
            activity.with_user(self.rep).action_trade_reject()
        with self.assertRaises(AccessError):
            activity.with_user(self.other_rep).action_trade_approve()
        with self.assertRaises(AccessError):
            activity.with_user(self.other_rep).action_trade_reject()
        self.assertEqual((request.state, request.tiering_approval_step_ids.state), ("to_approve", "pending"))
        self.assertEqual(self.customer.tiering_star_grade, "2")

    def test_a_decided_activity_cannot_be_decided_again(self):
        request = self._submitted(4)
        activity = self._approval_activities(request)
        request.with_user(self.supervisor).action_cancel()
        self.assertFalse(activity.exists())
        todo = request.activity_schedule("mail.mail_activity_data_todo", user_id=self.supervisor.id)
        with self.assertRaisesRegex(UserError, "does not ask for an approval"):
            todo.with_user(self.supervisor).action_trade_approve()

    def test_discount_approval_from_the_activity(self):
        order = (
            self.env["sale.order"]
            .with_user(self.rep)
            .create(
                {
                    "partner_id": self.customer.id,
                    "order_line": [
                        Command.create(
                            {"product_id": self.product.id, "price_unit": 1_000, "discount": 15, "tax_id": []}
                        )
                    ],
                }
            )
        )
        order.with_user(self.rep).action_request_discount_approval()
        activity = self.env["mail.activity"].search([("res_model", "=", "sale.order"), ("res_id", "=", order.id)])
        self.assertEqual(
            activity.activity_type_id, self.env.ref("trade_crm_tiering.mail_activity_type_discount_approval")
        )
        with self.assertRaisesRegex(UserError, "Approve or reject"):
            activity.with_user(self.supervisor).action_feedback()
        with self.assertRaises(AccessError):
            activity.with_user(self.rep).action_trade_approve()
        activity.with_user(self.supervisor).action_trade_approve()
        self.assertEqual((order.tiering_discount_approval_state, order.tiering_discount_approved), ("approved", 15))
        order.with_user(self.rep).action_confirm()
        self.assertEqual(order.state, "sale")


@tagged("post_install", "-at_install")
class TestHandoverApprovalActivity(HandoverCase):
    def test_handover_approved_from_the_activity(self):
        vip = self._graded("Gulf Star LLC", 2_500_000)
        handover = self._hand_over(scope="all")
        self.assertEqual(handover.state, "to_approve")
        activity = self._activities(handover, xmlid="trade_crm_tiering.mail_activity_type_handover_approval")
        with self.assertRaisesRegex(UserError, "Approve or reject"):
            activity.with_user(self.approver).action_feedback()
        with self.assertRaises(AccessError):
            activity.with_user(self.other_rep).action_trade_approve()
        activity.with_user(self.approver).action_trade_approve()
        self.assertEqual(handover.state, "done")
        self.assertEqual(vip.user_id, self.other_rep)


@tagged("post_install", "-at_install")
class TestGradeRequestDialog(ApprovalCase):
    def _dialog(self, user):
        action = self.customer.with_user(user).action_request_grade_change()
        return Form(
            self.env["trade.grade.request"].with_user(user).with_context(**action["context"]),
            view="trade_crm_tiering.trade_grade_request_view_form_quick",
        )

    def test_dialog_shows_the_category_and_who_approves(self):
        form = self._dialog(self.rep)
        form.requested_star = "4"
        self.assertEqual(form.requested_category, "key")
        self.assertEqual(form.approval_preview, "Sam Supervisor")
        self.assertFalse(form.approval_warning)
        form.requested_star = "5"
        self.assertEqual(form.requested_category, "vip")
        self.assertEqual(form.approval_preview, "Sam Supervisor, then Grace Manager")
        form.requested_star = "2"
        self.assertEqual(form.requested_category, "ordinary")
        self.assertIn("Nobody", form.approval_preview)

    def test_submit_confirms_who_approves(self):
        form = self._dialog(self.rep)
        form.requested_star = "4"
        form.reason = "Opening a second showroom"
        request = form.save()
        action = request.with_user(self.rep).action_submit()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("Sam Supervisor", action["params"]["message"])
        self.assertIn(request.name, action["params"]["message"])
        self.assertEqual(action["params"]["next"], {"type": "ir.actions.act_window_close"})

    def test_general_manager_asks_vip_for_their_own_customer(self):
        # The salesperson's team is computed from the salesperson: the customer stays in the team.
        self.customer.write({"user_id": self.gm.id, "team_id": self.team.id})
        form = self._dialog(self.gm)
        form.requested_star = "5"
        self.assertEqual(form.approval_preview, "Sam Supervisor")
        form.reason = "Strategic distributor for the whole of Germany"
        request = form.save()
        request.with_user(self.gm).action_submit()
        self.assertEqual(request.tiering_approval_step_ids.user_id, self.supervisor)
        with self.assertRaisesRegex(AccessError, "own request"):
            request.with_user(self.gm).action_approve()
        request.with_user(self.supervisor).action_approve()
        self.assertEqual((request.state, self.customer.tiering_star_grade), ("approved", "5"))

    def test_general_manager_falls_back_to_the_default_approver(self):
        self.customer.write({"user_id": self.gm.id, "team_id": False})
        form = self._dialog(self.gm)
        form.requested_star = "5"
        self.assertEqual(form.approval_preview, "Dana Default")
        form.reason = "Strategic distributor"
        request = form.save()
        request.with_user(self.gm).action_submit()
        self.assertEqual(request.tiering_approval_user_id, self.approver)

    def test_general_manager_without_anyone_to_approve_is_told_what_to_set(self):
        self.customer.write({"user_id": self.gm.id, "team_id": False})
        self.company.tiering_approver_id = False
        form = self._dialog(self.gm)
        form.requested_star = "5"
        self.assertFalse(form.approval_preview)
        self.assertIn("default approver", form.approval_warning)
        form.reason = "Strategic distributor"
        request = form.save()
        with self.assertRaisesRegex(UserError, "default approver"):
            request.with_user(self.gm).action_submit()
        self.assertEqual(request.state, "draft")

    def test_a_second_general_manager_may_sign_the_supervisor_step(self):
        other_gm = self._user("tier_gm2", GM_GROUPS, "Gino Manager")
        self.customer.write({"user_id": self.gm.id, "team_id": False})
        request = self._request(self.gm, 5)
        request.with_user(self.gm).action_submit()
        request.with_user(other_gm).action_approve()
        self.assertEqual(request.state, "approved")

    def test_grade_requests_show_what_waits_for_the_supervisor(self):
        request = self._request(self.rep, 4)
        request.with_user(self.rep).action_submit()
        action = (
            self.env["ir.actions.act_window"]
            .with_user(self.supervisor)
            ._for_xml_id("trade_crm_tiering.action_trade_grade_request")
        )
        self.assertIn("search_default_waiting_for_me", action["context"])
        self.assertIn("search_default_my_requests", action["context"])
        # The two filters are in one group of the search view: either holds.
        domain = ["|", ("tiering_approval_user_id", "=", self.supervisor.id), ("requester_id", "=", self.supervisor.id)]
        self.assertIn(request, self.env["trade.grade.request"].with_user(self.supervisor).search(domain))
        domain = ["|", ("tiering_approval_user_id", "=", self.rep.id), ("requester_id", "=", self.rep.id)]
        self.assertIn(request, self.env["trade.grade.request"].with_user(self.rep).search(domain))
