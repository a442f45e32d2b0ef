"""Attacks over JSON-RPC on the manager's numbers of the portfolio dashboard (get_numbers) and on
signing a tier rule's move into the top tier, each as the role named, through /web/dataset/call_kw
as the web client posts it (test_dashboard_numbers and test_tier_rules_odoo test them with_user)."""

from odoo.tests import HttpCase, tagged

from .common import SUPERVISOR_GROUPS, company_user
from .test_attack_approvals import AttackCase
from .test_dashboard_numbers import NumbersCase

ACCESS_ERROR = "odoo.exceptions.AccessError"
USER_ERROR = "odoo.exceptions.UserError"


class RpcAsUser:
    """The JSON-RPC calls of test_attack_approvals.AttackCase, without its fixtures: ``_rpc`` logs
    in as the user and raises RpcError on an error; ``assertRefused`` checks it is a clear one."""

    _login = AttackCase._login
    _rpc = AttackCase._rpc
    assertRefused = AttackCase.assertRefused  # noqa: N815 (unittest style)


@tagged("post_install", "-at_install")
class TestRpcDashboardNumbersAttacks(RpcAsUser, HttpCase, NumbersCase):
    """get_numbers over JSON-RPC: a rep gets the figures of their own customers whatever they send;
    portal users and other companies get a clear refusal, never figures."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal = company_user(cls.env, cls.company, "numrpc_portal", "base.group_portal")
        # Another company with a big customer of its own: a leak of it would show in the figures.
        cls.elsewhere = cls._make_company("Elsewhere Timber Ltd")
        cls.stranger = cls.env["res.partner"].create({"name": "Elsewhere Buyer GmbH", "is_company": True})
        cls._order(cls.stranger, 777_000, company=cls.elsewhere)
        cls.env["res.partner"].with_company(cls.elsewhere).action_tiering_regrade()
        cls.env.cr.flush()

    def _numbers(self, user, period=None, context=None):
        args = [period] if period else []
        return self._rpc(user, "trade.portfolio.dashboard", "get_numbers", *args, context=context)

    def _figures(self, numbers):
        """``(countries, total amount, customers, reps, repurchase by star)`` of get_numbers."""
        margin = numbers["margin_countries"]
        return (
            {row["name"] for row in margin["countries"]},
            margin["total"]["amount"],
            numbers["margin_pareto"]["customers"],
            {row["user_id"] for row in numbers["reps"]},
            {row["star"]: (row["buyers"], row["repeat"]) for row in numbers["repurchase"]},
        )

    def test_portal_user_is_refused(self):
        for args in ((), ("last_month",)):
            error = self.assertRefused(".", self.portal, "trade.portfolio.dashboard", "get_numbers", *args)
            self.assertEqual(error.name, ACCESS_ERROR, "refused for lack of access, not by a crash")
        error = self.assertRefused(
            ".", self.portal, "trade.portfolio.dashboard", "action_open", "repurchase", {"star": 2}
        )
        self.assertEqual(error.name, ACCESS_ERROR)

    def test_rep_gets_only_own_customers_gm_the_company(self):
        countries, amount, customers, reps, repurchase = self._figures(self._numbers(self.rep))
        # Hamburg 60,000 + Lyon 200,000 + Dubai 100,000: Olga's Shanghai and Osaka, and Lima, are not there.
        self.assertEqual(countries, {"Germany", "France", "United Arab Emirates"})
        self.assertEqual((amount, customers, reps), (360_000.0, 3, {self.rep.id}))
        self.assertEqual((repurchase[2], repurchase[3]), ((3, 2), (0, 0)), "Shanghai's 3 stars are Olga's")
        mine = self._numbers(self.rep)
        self.assertNotIn(self.other_rep.name, str(mine))
        self.assertEqual(mine["trend"]["quarters"][-1]["counts"], [1, 0, 3, 0, 0, 0])
        # Olga gets hers, the general manager the company's (without the other company's buyer).
        countries, amount, customers, reps, _repurchase = self._figures(self._numbers(self.other_rep))
        self.assertEqual((countries, amount, customers, reps), ({"China", "Japan"}, 500_000.0, 2, {self.other_rep.id}))
        countries, amount, customers, reps, repurchase = self._figures(self._numbers(self.gm))
        self.assertIn("China", countries)
        self.assertEqual((amount, customers, reps), (900_000.0, 6, {self.rep.id, self.other_rep.id}))
        self.assertEqual((repurchase[2], repurchase[3]), ((4, 2), (1, 0)))

    def test_rep_forging_context_gets_own_figures_or_a_clear_refusal(self):
        own = self._figures(self._numbers(self.rep))
        # Context keys naming another user or the superuser change nothing: still the rep's figures.
        forged = {"uid": self.gm.id, "su": True, "allowed_company_ids": [self.company.id], "active_test": False}
        self.assertEqual(self._figures(self._numbers(self.rep, context=forged)), own)
        # A company the rep is not in, alone or beside theirs, or one that does not exist: refused.
        for companies in ([self.elsewhere.id], [self.company.id, self.elsewhere.id], [self.company.id, 999_999]):
            error = self.assertRefused(
                "unauthorized or invalid companies",
                self.rep,
                "trade.portfolio.dashboard",
                "get_numbers",
                context={"allowed_company_ids": companies},
            )
            self.assertEqual(error.name, ACCESS_ERROR)
            self.assertNotIn("777", error.message)
        # Not a period of the dashboard: refused by name, whatever its type.
        for period in ("forever", "last_month' OR 1=1 --", ["last_month"], {"start": "2000-01-01"}):
            error = self.assertRefused("Unknown period", self.rep, "trade.portfolio.dashboard", "get_numbers", period)
            self.assertEqual(error.name, USER_ERROR)
        # The other company's own people get its figures, never this company's.
        stranger_gm = company_user(self.env, self.elsewhere, "numrpc_gm2", SUPERVISOR_GROUPS)
        countries, amount, customers, _reps, _repurchase = self._figures(self._numbers(stranger_gm))
        self.assertEqual((countries, amount, customers), ({"No country"}, 777_000.0, 1))


@tagged("post_install", "-at_install")
class TestRpcTopTierRuleAttacks(AttackCase):
    """A tier rule moves the rep's customer Hamburg Holz AG (tier C) up into the top tier A: over
    JSON-RPC the rep cannot sign nor forge it, the supervisor signs the first step only, once, and
    the general manager's signature moves the customer into A."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.tiering_tier_mode = "rules"
        cls.env.cr.flush()
        cls.rule = cls.env["trade.tier.rule"].create(
            {"company_id": cls.company.id, "tier_id": cls.tiers["A"].id, "order_months": 6, "min_amount": 1_000}
        )

    def _night(self):
        # The nightly rules pass, which runs as the superuser.
        return self.env["trade.tier.rule"]._apply_company(self.company)

    def _tier_request(self):
        self._night()
        request = self.env["trade.grade.request"].search(
            [("partner_id", "=", self.customer.id), ("source", "=", "rule")]
        )
        self.assertEqual((request.state, request.requested_tier_id), ("to_approve", self.tiers["A"]))
        return request

    def _steps(self, request):
        request.invalidate_recordset()
        return [(step.role, step.user_id, step.state) for step in request.sudo().tiering_approval_step_ids]

    def _activity(self, request):
        return self._approval_activities(request).filtered(lambda activity: activity.active)

    def _rep_tier(self):
        """The customer's tier as the rep reads it over JSON-RPC."""
        rows = self._rpc(self.rep, "res.partner", "read", self.customer.ids, ["tiering_service_tier_id"])
        return rows[0]["tiering_service_tier_id"][0]

    def _refused(self, user, exception, regex, model, method, *args, **kwargs):
        error = self.assertRefused(regex, user, model, method, *args, **kwargs)
        self.assertEqual(error.name, exception, error.message)
        return error

    def test_rule_move_into_a_signed_over_rpc(self):
        tier_c = self.tiers["C"].id
        self.assertEqual(self._rep_tier(), tier_c)
        request = self._tier_request()
        self.assertEqual(self._steps(request), [("supervisor", self.supervisor, "pending"), ("gm", self.gm, "waiting")])
        supervisor_activity = self._activity(request)
        # The rep can neither approve nor reject it: not directly, not through the approval activity.
        self._refused(self.rep, ACCESS_ERROR, ".", "trade.grade.request", "action_approve", request.ids)
        self._refused(self.rep, ACCESS_ERROR, ".", "trade.grade.request", "action_reject", request.ids, "No")
        self._refused(self.rep, ACCESS_ERROR, ".", "mail.activity", "action_trade_approve", supervisor_activity.ids)
        self.assertEqual(self._steps(request)[0][2], "pending")
        # The supervisor signs the first step from the activity; it now waits for the general manager.
        result = self._rpc(self.supervisor, "mail.activity", "action_trade_approve", supervisor_activity.ids)
        self.assertIn(f"it now waits for {self.gm.name}", result["params"]["message"])
        self.assertEqual(
            self._steps(request), [("supervisor", self.supervisor, "approved"), ("gm", self.gm, "pending")]
        )
        self.assertEqual(self._rep_tier(), tier_c, "not applied before the general manager signs")
        # The supervisor cannot sign again, the general manager's step: not directly, not from its activity.
        gm_activity = self._activity(request)
        self.assertEqual(gm_activity.user_id, self.gm)
        for method, ids in (("trade.grade.request", request.ids), ("mail.activity", gm_activity.ids)):
            action = "action_approve" if method == "trade.grade.request" else "action_trade_approve"
            error = self._refused(self.supervisor, ACCESS_ERROR, "two different people", method, action, ids)
            self.assertNotIn(self.supervisor.name, error.message.split("can be signed by:")[-1])
        # Another supervisor holds no general manager's role either; the rep still cannot.
        waits = f"waits for the approval of {self.gm.name}"
        self._refused(self.approver, ACCESS_ERROR, waits, "trade.grade.request", "action_approve", request.ids)
        self._refused(self.rep, ACCESS_ERROR, ".", "trade.grade.request", "action_approve", request.ids)
        self.assertEqual(
            self._steps(request), [("supervisor", self.supervisor, "approved"), ("gm", self.gm, "pending")]
        )
        self.assertEqual((request.state, self._rep_tier()), ("to_approve", tier_c))
        # The general manager signs: the customer is in A, as the rep reads it.
        self._rpc(self.gm, "trade.grade.request", "action_approve", request.ids)
        self.assertEqual(request.state, "approved")
        self.assertEqual([step[2] for step in self._steps(request)], ["approved", "approved"])
        self.assertEqual(self._rep_tier(), self.tiers["A"].id)

    def test_rep_cannot_forge_the_request_nor_its_steps(self):
        request = self._tier_request()
        steps = request.sudo().tiering_approval_step_ids
        tier_a, tier_c = self.tiers["A"].id, self.tiers["C"].id
        model = "trade.grade.request"
        for vals, regex in (
            ({"state": "approved"}, "through Submit, Approve"),
            ({"tiering_approval_user_id": self.rep.id}, "through Submit, Approve"),
            ({"requested_tier_id": self.tiers["B"].id}, "set by the nightly rules pass"),
            ({"current_tier_id": tier_a}, "set by the nightly rules pass"),
            ({"tiering_rule_id": False}, "set by the nightly rules pass"),
        ):
            self._refused(self.rep, ACCESS_ERROR, regex, model, "write", request.ids, vals)
        # The steps are the workflow's: written through the request or directly, by the rep or a supervisor.
        signed = {"state": "approved", "signed_by_id": self.supervisor.id}
        self.assertRefused(
            ".", self.rep, model, "write", request.ids, {"tiering_approval_step_ids": [(1, steps[0].id, signed)]}
        )
        for user in (self.rep, self.supervisor):
            self._refused(user, ACCESS_ERROR, ".", "trade.approval.step", "write", steps.ids, signed)
            self._refused(user, ACCESS_ERROR, ".", "trade.approval.step", "unlink", steps[1:].ids)
        # Nor the customer's tier itself.
        self._refused(
            self.rep, ACCESS_ERROR, ".", "res.partner", "write", self.customer.ids, {"tiering_service_tier_id": tier_a}
        )
        self.assertEqual(self._steps(request), [("supervisor", self.supervisor, "pending"), ("gm", self.gm, "waiting")])
        self.assertEqual(
            (request.state, request.requested_tier_id.id, self._rep_tier()), ("to_approve", tier_a, tier_c)
        )

    def test_rep_cannot_create_an_approved_tier_request(self):
        forged = {
            "partner_id": self.customer.id,
            "requested_star": "3",
            "reason": "Forged",
            "state": "approved",
            "source": "rule",
            "requester_id": self.gm.id,
            "requested_tier_id": self.tiers["A"].id,
            "current_tier_id": self.tiers["C"].id,
            "tiering_rule_id": self.rule.id,
            "name": "GR/FORGED",
        }
        defaults = {f"default_{name}": value for name, value in forged.items() if name != "partner_id"}
        defaults["allowed_company_ids"] = [self.company.id]
        request_id = self._rpc(self.rep, "trade.grade.request", "create", forged, context=defaults)
        request = self.env["trade.grade.request"].browse(request_id)
        self.assertEqual(
            (request.state, request.source, request.requester_id, request.requested_tier_id, request.tiering_rule_id),
            ("draft", "manual", self.rep, self.env["trade.service.tier"], self.env["trade.tier.rule"]),
        )
        self.assertFalse(request.current_tier_id)
        self.assertNotEqual(request.name, "GR/FORGED")
        # Only defaults, no values: the same draft of the rep's own.
        minimal = {"partner_id": self.customer.id, "requested_star": "3", "reason": "Defaults only"}
        request = self.env["trade.grade.request"].browse(
            self._rpc(self.rep, "trade.grade.request", "create", minimal, context=defaults)
        )
        self.assertEqual((request.state, request.source, request.requested_tier_id.id), ("draft", "manual", False))
        # Signed steps sent along are refused with the whole request.
        before = self.env["trade.grade.request"].search_count([])
        step = {"res_model": "trade.grade.request", "role": "gm", "user_id": self.gm.id, "state": "approved"}
        self._refused(
            self.rep,
            ACCESS_ERROR,
            ".",
            "trade.grade.request",
            "create",
            dict(minimal, tiering_approval_step_ids=[(0, 0, step)]),
        )
        self.assertEqual(self.env["trade.grade.request"].search_count([]), before)
        self.assertEqual(self._rep_tier(), self.tiers["C"].id)
