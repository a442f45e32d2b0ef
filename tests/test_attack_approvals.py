"""Issue 12: attacks on grades and handovers (discounts: test_attack_discounts), performed over
JSON-RPC as the role named.

Each test does what an attacker with that login would do through the web client's RPC, and checks
the refusal says why and that nothing was written.
"""

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import GM_GROUPS, ApprovalCase, call_kw, role_password


class RpcError(Exception):
    def __init__(self, name, message):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


class AttackCase(HttpCase, ApprovalCase):
    """The approval fixtures, plus a VIP customer (tier A) of the rep and JSON-RPC helpers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tiers = cls._tiers_by_code()
        cls.team.member_ids |= cls.other_rep
        cls.company.tiering_auto_upgrade = "apply"
        cls.vip = cls._customer("Milano Mobili SpA", user_id=cls.rep.id, team_id=cls.team.id)
        cls._order(cls.vip, 2_000_000)
        cls.vip.action_tiering_regrade()
        cls.company.tiering_auto_upgrade = "request"

    def _login(self, user):
        self.authenticate(user.login, role_password(user.login))

    def _rpc(self, user, model, method, *args, context=None, **kwargs):
        """Call ``model.method(*args, **kwargs)`` over JSON-RPC as ``user``; raise RpcError on an error."""
        self._login(user)
        self.env.flush_all()
        if context is not None:
            kwargs["context"] = context
        body = call_kw(self, model, method, args, kwargs)
        self.env.invalidate_all()
        if "error" in body:
            raise RpcError(body["error"]["data"]["name"], body["error"]["data"]["message"])
        return body["result"]

    def assertRefused(self, regex, user, model, method, *args, **kwargs):  # noqa: N802 (unittest style)
        """The call is refused with a user-facing error (no traceback) whose message matches ``regex``."""
        with self.assertRaises(RpcError) as caught:
            self._rpc(user, model, method, *args, **kwargs)
        error = caught.exception
        self.assertIn(
            error.name,
            (
                "odoo.exceptions.UserError",
                "odoo.exceptions.AccessError",
                "odoo.exceptions.ValidationError",
                "odoo.exceptions.MissingError",
            ),
            f"a traceback instead of a clear error: {error}",
        )
        self.assertRegex(error.message, regex)
        return error

    def _state(self, partner):
        partner = partner.with_company(self.company)
        return partner.tiering_star_grade, partner.tiering_star_grade_potential or False

    def _vip_request(self, user, stars, customer=None):
        return self._rpc(
            user,
            "trade.grade.request",
            "create",
            {"partner_id": (customer or self.vip).id, "requested_star": str(stars), "reason": "Attack"},
        )


@tagged("post_install", "-at_install")
class TestAttackForgedGradeRequest(AttackCase):
    """#12.2: a grade request is judged on the customer's figures, for customers the rep serves."""

    def test_122_forged_actual_grade_does_not_downgrade_a_vip(self):
        self.assertEqual(self._state(self.vip), ("5", False))
        request_id = self._vip_request(self.rep, 2)
        self.assertRefused(
            "computed from the customer",
            self.rep,
            "trade.grade.request",
            "write",
            [request_id],
            {"actual_star": "0", "current_star": "0", "annual_amount": 0},
        )
        request = self.env["trade.grade.request"].browse(request_id)
        self.assertEqual((request.actual_star, request.current_star), ("5", "5"))
        # Snapshot values sent at creation are ignored as well.
        forged_id = self._rpc(
            self.rep,
            "trade.grade.request",
            "create",
            {"partner_id": self.vip.id, "requested_star": "2", "reason": "Attack", "actual_star": "0"},
        )
        self.assertEqual(self.env["trade.grade.request"].browse(forged_id).actual_star, "5")
        self.assertRefused("cannot go below", self.rep, "trade.grade.request", "action_submit", [forged_id])
        self.assertEqual(self._state(self.vip), ("5", False))
        self.assertEqual(self.env["trade.grade.request"].browse(forged_id).state, "draft")

    def test_122_stale_snapshot_is_recomputed_at_submit(self):
        request = self.env["trade.grade.request"].browse(self._vip_request(self.rep, 2))
        # The stored snapshot went stale (as if the customer was regraded since): submit reads the customer.
        request.sudo().write({"actual_star": "0", "current_star": "0"})
        self.assertRefused("cannot go below", self.rep, "trade.grade.request", "action_submit", request.ids)
        self.assertEqual(self._state(self.vip), ("5", False))
        self.assertEqual(request.state, "draft")

    def _approve_potential(self, stars):
        request = self._request(self.rep, stars)
        request.with_user(self.rep).action_submit()
        request.with_user(self.supervisor).action_approve()
        if request.state == "to_approve":
            request.with_user(self.gm).action_approve()
        self.assertEqual(request.state, "approved")

    def test_122_rep_cannot_wipe_an_approved_potential_grade(self):
        self._approve_potential(5)
        self.assertEqual(self._state(self.customer), ("5", "5"))
        request_id = self._vip_request(self.rep, 2, customer=self.customer)
        self.assertRefused("only a sales supervisor", self.rep, "trade.grade.request", "action_submit", [request_id])
        self.assertEqual(self._state(self.customer), ("5", "5"))
        self.assertEqual(self.env["trade.grade.request"].browse(request_id).state, "draft")
        # A supervisor may.
        request_id = self._vip_request(self.supervisor, 2, customer=self.customer)
        self._rpc(self.supervisor, "trade.grade.request", "action_submit", [request_id])
        self.assertEqual(self._state(self.customer), ("2", False))

    def test_122_request_on_a_contact_targets_its_company(self):
        contact = self.env["res.partner"].create({"name": "Hans Einkauf", "parent_id": self.customer.id})
        request_id = self._vip_request(self.rep, 3, customer=contact)
        request = self.env["trade.grade.request"].browse(request_id)
        self.assertEqual(request.partner_id, self.customer)
        self._rpc(self.rep, "trade.grade.request", "write", [request_id], {"partner_id": contact.id})
        self.assertEqual(request.partner_id, self.customer)

    def test_122_requests_only_for_customers_the_rep_serves(self):
        stranger = self._customer("Oslo Tre AS", user_id=self.other_rep.id, team_id=self.team.id)
        before = self.env["trade.grade.request"].search_count([])
        self.assertRefused(
            "you are neither its salesperson nor its backup",
            self.rep,
            "trade.grade.request",
            "create",
            {"partner_id": stranger.id, "requested_star": "3", "reason": "Attack"},
        )
        request_id = self._vip_request(self.rep, 3)
        self.assertRefused(
            "you are neither its salesperson nor its backup",
            self.rep,
            "trade.grade.request",
            "write",
            [request_id],
            {"partner_id": stranger.id},
        )
        self.assertEqual(self.env["trade.grade.request"].search_count([]), before + 1)
        self.assertEqual(self.env["trade.grade.request"].browse(request_id).partner_id, self.vip)
        # The backup salesperson serves the customer too; supervisors ask for anyone.
        stranger.tiering_backup_user_id = self.rep
        self._vip_request(self.rep, 3, customer=stranger)
        self._vip_request(self.supervisor, 4, customer=stranger)


@tagged("post_install", "-at_install")
class TestAttackVipTwoSteps(AttackCase):
    """#12.5: the two steps of a VIP grade are signed by two different people, never archived users."""

    def _vip_submitted(self):
        request_id = self._vip_request(self.rep, 5, customer=self.customer)
        self._rpc(self.rep, "trade.grade.request", "action_submit", [request_id])
        request = self.env["trade.grade.request"].browse(request_id)
        self.assertEqual(request.state, "to_approve")
        return request

    def test_125_one_general_manager_cannot_sign_both_steps(self):
        request = self._vip_submitted()
        error = self.assertRefused(
            "two different people", self.gm, "trade.grade.request", "action_approve", request.ids
        )
        self.assertIn(self.supervisor.name, error.message)
        self.assertEqual(request.tiering_approval_step_ids.mapped("state"), ["pending", "waiting"])
        self.assertEqual(self._state(self.customer), ("2", False))
        # Another general manager signs the first step; they cannot sign the second as well.
        other_gm = self._user("tier_gm2", GM_GROUPS, "Gino Manager")
        self._rpc(other_gm, "trade.grade.request", "action_approve", request.ids)
        error = self.assertRefused(
            "two different people", other_gm, "trade.grade.request", "action_approve", request.ids
        )
        self.assertIn(self.gm.name, error.message)
        self.assertEqual(request.tiering_approval_step_ids.mapped("state"), ["approved", "pending"])
        self.assertEqual(self._state(self.customer), ("2", False))
        self._rpc(self.gm, "trade.grade.request", "action_approve", request.ids)
        self.assertEqual(self._state(self.customer), ("5", "5"))

    def test_125_the_supervisor_step_never_goes_to_the_general_manager(self):
        # No supervisor but the GM: the chain would put the GM on both steps.
        self.team.user_id = False
        self.company.tiering_approver_id = self.gm
        request_id = self._vip_request(self.rep, 5, customer=self.customer)
        self.assertRefused("two different people", self.rep, "trade.grade.request", "action_submit", [request_id])
        self.assertEqual(self.env["trade.grade.request"].browse(request_id).state, "draft")

    def test_125_archived_users_are_never_approvers(self):
        self.supervisor.active = False
        request = self._vip_submitted()
        self.assertEqual(request.tiering_approval_step_ids.user_id, self.approver | self.gm)
        self.company.tiering_approver_id.active = False
        newcomer = self._customer("Bergen Bord AS", user_id=self.rep.id, team_id=self.team.id)
        request_id = self._vip_request(self.rep, 4, customer=newcomer)
        self._rpc(self.rep, "trade.grade.request", "action_submit", [request_id])
        request = self.env["trade.grade.request"].browse(request_id)
        self.assertTrue(request.tiering_approval_step_ids.user_id.active)
        self.assertNotIn(self.approver, request.tiering_approval_step_ids.user_id)


@tagged("post_install", "-at_install")
class TestAttackHandover(AttackCase):
    """#12.9: which customers need approval is the system's call, and a submitted handover is frozen."""

    def _wizard(self):
        wizard_id = self._rpc(
            self.supervisor,
            "trade.handover.wizard",
            "create",
            {
                "from_user_id": self.rep.id,
                "scope": "selected",
                "partner_ids": [Command.set(self.vip.ids)],
                "receiver_mode": "one",
                "receiver_id": self.other_rep.id,
            },
        )
        self._rpc(self.supervisor, "trade.handover.wizard", "action_plan", [wizard_id])
        return self.env["trade.handover.wizard"].browse(wizard_id)

    def test_129_needs_approval_cannot_be_written_on_the_plan(self):
        self.assertEqual(self.vip.with_company(self.company).tiering_service_tier_id, self.tiers["A"])
        wizard = self._wizard()
        self.assertTrue(wizard.line_ids.needs_approval)
        self.assertRefused(
            "computed from the customer",
            self.supervisor,
            "trade.handover.wizard.line",
            "write",
            wizard.line_ids.ids,
            {"needs_approval": False},
        )
        self.assertTrue(wizard.line_ids.needs_approval)
        action = self._rpc(self.supervisor, "trade.handover.wizard", "action_confirm", wizard.ids)
        handover = self.env["trade.handover"].browse(action["res_id"])
        self.assertEqual(handover.state, "to_approve")
        self.assertEqual(self.vip.user_id, self.rep, "an A-tier customer waits for the approval")

    def _submitted(self):
        action = self._rpc(self.supervisor, "trade.handover.wizard", "action_confirm", self._wizard().ids)
        handover = self.env["trade.handover"].browse(action["res_id"])
        self.assertEqual(handover.state, "to_approve")
        return handover

    def test_129_submitted_handover_is_frozen(self):
        handover = self._submitted()
        line = handover.line_ids
        for vals in (
            {"from_user_id": self.other_rep.id},
            {"line_ids": [Command.update(line.id, {"receiver_id": self.supervisor.id})]},
            {"line_ids": [Command.create({"partner_id": self.customer.id, "receiver_id": self.other_rep.id})]},
            {"move_leads": False},
        ):
            self.assertRefused("submitted", self.supervisor, "trade.handover", "write", handover.ids, vals)
        self.assertRefused(
            "submitted", self.supervisor, "trade.handover.line", "write", line.ids, {"receiver_id": self.rep.id}
        )
        self.assertRefused(
            "computed from the customer",
            self.supervisor,
            "trade.handover.line",
            "write",
            line.ids,
            {"needs_approval": False},
        )
        self.assertEqual((handover.from_user_id, handover.line_ids), (self.rep, line))
        self.assertEqual((line.receiver_id, line.needs_approval), (self.other_rep, True))
        # The note may still be completed.
        self._rpc(self.supervisor, "trade.handover", "write", handover.ids, {"note": "Leaves on Friday"})
        # Approved by another supervisor, the customer moves.
        self._rpc(self.approver, "trade.handover", "action_approve", handover.ids)
        self.assertEqual((handover.state, self.vip.user_id), ("done", self.other_rep))
        self.assertRefused(
            "submitted", self.supervisor, "trade.handover", "write", handover.ids, {"from_user_id": self.rep.id}
        )

    def test_129_handover_lines_of_a_draft_compute_needs_approval(self):
        handover_id = self._rpc(
            self.supervisor,
            "trade.handover",
            "create",
            {
                "from_user_id": self.rep.id,
                "line_ids": [
                    Command.create(
                        {
                            "partner_id": self.vip.id,
                            "receiver_id": self.other_rep.id,
                            "role": "salesperson",
                            "needs_approval": False,
                            "tier_id": self.tiers["D"].id,
                        }
                    )
                ],
            },
        )
        handover = self.env["trade.handover"].browse(handover_id)
        self.assertTrue(handover.line_ids.needs_approval)
        self._rpc(self.supervisor, "trade.handover", "action_submit", [handover_id])
        self.assertEqual(handover.state, "to_approve")
        self.assertEqual(self.vip.user_id, self.rep)


@tagged("post_install", "-at_install")
class TestAttackBadInput(AttackCase):
    """#12.13 (parts): the reject wizard's model and a warning's state give clear errors."""

    def test_1213_reject_wizard_takes_approval_documents_only(self):
        for model in ("res.partner", "no.such.model", "trade.approval.mixin"):
            self.assertRefused(
                "cannot be rejected",
                self.supervisor,
                "trade.approval.reject",
                "create",
                {"res_model": model, "res_id": self.customer.id, "reason": "x"},
            )
        self.assertFalse(self.env["trade.approval.reject"].search([]))

    def test_1213_reopening_a_warning_twice_is_a_clear_error(self):
        warnings = self.env["trade.customer.warning"]
        values = {
            "partner_id": self.customer.id,
            "company_id": self.company.id,
            "warning_type": "dormant",
            "date_raised": self.today,
        }
        closed = warnings.create({**values, "state": "closed"})
        warnings.create(values)
        self.assertRefused(
            "already has an open", self.supervisor, "trade.customer.warning", "write", closed.ids, {"state": "open"}
        )
        self.assertEqual(closed.state, "closed")


@tagged("post_install", "-at_install")
class TestAttackDuplicateRequests(AttackCase):
    """#12.14: one waiting request per customer, whatever each rep can see."""

    def test_1214_two_reps_cannot_both_wait_for_one_customer(self):
        self.customer.tiering_backup_user_id = self.other_rep
        first = self._vip_request(self.rep, 3, customer=self.customer)
        self._rpc(self.rep, "trade.grade.request", "action_submit", [first])
        second = self._vip_request(self.other_rep, 4, customer=self.customer)
        self.assertRefused(
            "already has a grade request waiting", self.other_rep, "trade.grade.request", "action_submit", [second]
        )
        requests = self.env["trade.grade.request"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(requests.mapped("state"), ["draft", "to_approve"])


@tagged("post_install", "-at_install")
class TestAttackApprovalActivity(AttackCase):
    """#16.2: the approval activity's Approve, Reject and Mark Done are no way around the workflow."""

    def _waiting(self):
        request_id = self._vip_request(self.rep, 4, customer=self.customer)
        self._rpc(self.rep, "trade.grade.request", "action_submit", [request_id])
        request = self.env["trade.grade.request"].browse(request_id)
        self.assertEqual(request.state, "to_approve")
        return request, self._approval_activities(request)

    def test_162_reps_cannot_decide_through_the_activity(self):
        request, activity = self._waiting()
        for user in (self.rep, self.other_rep):
            self.assertRefused(".", user, "mail.activity", "action_trade_approve", activity.ids)
            self.assertRefused(".", user, "mail.activity", "action_trade_reject", activity.ids)
        self.assertRefused("own request", self.rep, "mail.activity", "action_trade_approve", activity.ids)
        self.assertEqual((request.state, request.tiering_approval_step_ids.state), ("to_approve", "pending"))
        self.assertEqual(self._state(self.customer), ("2", False))

    def test_162_the_reminder_cannot_be_silenced(self):
        request, activity = self._waiting()
        for user in (self.rep, self.supervisor):
            self.assertRefused("Approve or reject", user, "mail.activity", "action_feedback", activity.ids)
        self.assertRefused(".", self.rep, "mail.activity", "unlink", activity.ids)
        self.assertRefused("Approve or reject", self.supervisor, "mail.activity", "unlink", activity.ids)
        self.assertRefused(".", self.other_rep, "mail.activity", "action_feedback", activity.ids)
        self.assertTrue(activity.exists())
        self.assertEqual(request.tiering_approval_user_id, self.supervisor)
        # The approver decides from the activity.
        result = self._rpc(self.supervisor, "mail.activity", "action_trade_approve", activity.ids)
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(request.state, "approved")
        self.assertEqual(self._state(self.customer), ("4", "4"))
