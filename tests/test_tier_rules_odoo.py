"""Tiers from rules, not only from stars (#14.4, seed 004 rule-based dynamic grading)."""

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from .common import ADMIN_GROUPS, GM_GROUPS, REP_GROUPS, SUPERVISOR_GROUPS, TieringCase


@tagged("post_install", "-at_install")
class TestTierRulesOdoo(TieringCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rep = cls._user("tr_rep", REP_GROUPS)
        cls.supervisor = cls._user("tr_sup", SUPERVISOR_GROUPS)
        cls.admin = cls._user("tr_admin", ADMIN_GROUPS)
        cls.company.tiering_approver_id = cls.supervisor
        cls.company.tiering_tier_mode = "rules"
        cls.tiers = {tier.code: tier for tier in cls.company.tiering_tier_ids}
        # Bought 2,000 a month ago: 0 stars, tier D by its star range.
        cls.buyer = cls._customer("Recent Buyer Ltd", user_id=cls.rep.id)
        cls._order(cls.buyer, 2_000, days_ago=30)
        # Asked a month ago, never bought: D as well.
        cls.prospect = cls._customer("Curious Prospect Co", user_id=cls.rep.id)
        cls.env["crm.lead"].create(
            {"name": "Plywood enquiry", "partner_id": cls.prospect.id, "company_id": cls.company.id}
        )
        # What the transaction's commit runs: the buyer's regrade.
        cls.env.cr.flush()

    def _rule(self, user=None, **values):
        rules = self.env["trade.tier.rule"].with_user(user or self.admin).with_company(self.company)
        with Form(rules) as form:
            for name, value in values.items():
                setattr(form, name, value)
        return form.record

    def _night(self):
        return self.env["trade.tier.rule"]._apply_company(self.company)

    def _tier(self, partner, user=None):
        partner = partner.with_user(user or self.rep).with_company(self.company)
        partner.invalidate_recordset()
        return partner.tiering_service_tier_id.code

    def _explanation(self, partner, lang="en_US"):
        partner = partner.with_user(self.rep).with_company(self.company).with_context(lang=lang)
        partner.invalidate_recordset()
        return partner.tiering_tier_explanation

    # ------------------------------------------------------------------
    # Rules and their checks
    # ------------------------------------------------------------------

    def test_admin_creates_ordered_rules(self):
        first = self._rule(tier_id=self.tiers["C"], order_months=6, min_amount=1_000)
        second = self._rule(tier_id=self.tiers["C"], inquiry_months=3, name="asked lately")
        self.assertEqual((first.number, second.number), (1, 2))
        self.assertEqual(second.display_name, "Tier C: rule 2 (asked lately)")
        self.assertEqual(first.conditions, "order within 6 months and amount at least 1,000")
        # The handle reorders them: the second is tried first now.
        second.with_user(self.admin).sequence = 1
        first.invalidate_recordset(["number"])
        self.assertEqual(first.number, 2)

    def test_bad_rules_are_refused_by_name(self):
        with self.assertRaisesRegex(ValidationError, r"Tier B: rule \d has no condition"):
            self._rule(tier_id=self.tiers["B"])
        with self.assertRaisesRegex(ValidationError, r"the lowest score \(80\) is above the highest \(20\)"):
            self._rule(tier_id=self.tiers["B"], min_score=80, max_score=20)
        with self.assertRaisesRegex(ValidationError, "a score goes from 0 to 100, not 150"):
            self._rule(tier_id=self.tiers["B"], min_score=150)
        with self.assertRaisesRegex(ValidationError, "months since the last order must be at least 1, not -2"):
            self._rule(tier_id=self.tiers["B"], order_months=-2)
        with self.assertRaisesRegex(ValidationError, "the amount cannot be negative"):
            self._rule(tier_id=self.tiers["B"], min_amount=-5)
        self.assertFalse(self.env["trade.tier.rule"].search([("company_id", "=", self.company.id)]))

    # ------------------------------------------------------------------
    # The nightly pass
    # ------------------------------------------------------------------

    def test_nightly_pass_places_customers_and_explains(self):
        self._rule(tier_id=self.tiers["C"], order_months=6, min_amount=1_000)
        self.assertEqual((self._tier(self.buyer), self._tier(self.prospect)), ("D", "D"))
        self.env["trade.tiering.nightly"].with_context(trade_nightly_budget=float("inf"))._run_pass("scoring")
        self.assertEqual((self._tier(self.buyer), self._tier(self.prospect)), ("C", "D"))
        self.assertEqual(
            self._explanation(self.buyer), "Tier C: rule 1, order within 6 months and amount at least 1,000"
        )
        self.assertEqual(
            self._explanation(self.buyer, "zh_CN"),
            "服务层级C：规则1，6个月内有成交且年采购金额不低于1,000",  # noqa: RUF001
        )
        self.assertEqual(self._explanation(self.prospect), "Tier D: from the star grade (no rule matches).")
        # A contact of the customer is served in its tier.
        contact = self.env["res.partner"].create({"name": "Anna Buyer", "parent_id": self.buyer.id})
        self._night()
        self.assertEqual(self._tier(contact), "C")
        # Back on star ranges: the rule's placements go.
        self.company.with_user(self.admin).tiering_tier_mode = "stars"
        self._night()
        self.assertEqual(self._tier(self.buyer), "D")
        self.assertFalse(self._explanation(self.buyer))

    def test_first_matching_rule_wins_and_deleting_it_releases(self):
        self._rule(tier_id=self.tiers["C"], inquiry_months=3, stage_potential=True, stage_intent=True)
        by_order = self._rule(tier_id=self.tiers["C"], order_months=6)
        summary = self._night()
        self.assertEqual(summary["changed"], 2)
        self.assertEqual(
            self._explanation(self.prospect), "Tier C: rule 1, stage Potential, Intent and inquiry within 3 months"
        )
        self.assertEqual(self._explanation(self.buyer), "Tier C: rule 2, order within 6 months")
        self.assertEqual(self._night()["changed"], 0)
        by_order.with_user(self.admin).unlink()
        self.assertEqual(self._tier(self.buyer), "D")

    def test_move_up_into_b_waits_for_the_supervisor(self):
        rule = self._rule(tier_id=self.tiers["B"], order_months=6, min_amount=1_000)
        self.assertTrue(self.tiers["B"].rule_approval)
        self._night()
        requests = self.env["trade.grade.request"].search([("partner_id", "=", self.buyer.id)])
        self.assertEqual(len(requests), 1)
        self.assertEqual(
            (requests.source, requests.state, requests.requested_tier_id, requests.tiering_rule_id),
            ("rule", "to_approve", self.tiers["B"], rule),
        )
        self.assertEqual(requests.tiering_approval_user_id, self.supervisor)
        self.assertEqual(requests.tiering_approval_step_ids.mapped("role"), ["supervisor"])
        self.assertIn("order within 6 months", requests.reason)
        # Not applied before the approval, and one request per customer however many nights.
        self.assertEqual(self._tier(self.buyer), "D")
        self._night()
        self.assertEqual(self.env["trade.grade.request"].search_count([("partner_id", "=", self.buyer.id)]), 1)
        # The rep cannot approve it; the supervisor does.
        with self.assertRaises(AccessError):
            requests.with_user(self.rep).action_approve()
        requests.with_user(self.supervisor).action_approve()
        self.assertEqual(requests.state, "approved")
        self.assertEqual(self._tier(self.buyer), "B")
        self.assertEqual(
            self._explanation(self.buyer), "Tier B: rule 1, order within 6 months and amount at least 1,000"
        )
        # Served in B now: the next night changes nothing and asks nothing.
        summary = self._night()
        self.assertEqual((summary["changed"], summary["requests"]), (0, 0))

    def test_request_goes_when_the_rule_stops_matching(self):
        rule = self._rule(tier_id=self.tiers["B"], order_months=6)
        self._night()
        request = self.env["trade.grade.request"].search([("partner_id", "=", self.buyer.id)])
        self.assertEqual(request.state, "to_approve")
        rule.with_user(self.admin).write({"order_months": 0, "min_score": 99})
        self._night()
        self.assertEqual(request.state, "cancelled")
        self.assertEqual(self._tier(self.buyer), "D")

    def test_a_regrade_keeps_the_rule_tier(self):
        self._rule(tier_id=self.tiers["C"], order_months=6)
        self._night()
        self._order(self.buyer, 500, days_ago=2)
        self._run_commit_hooks()
        self.assertEqual(self._tier(self.buyer), "C")
        # Tier ranges applied again: everyone goes back to their star range, except those a rule placed.
        self.company._tiering_assign_tiers()
        self.assertEqual(self._tier(self.buyer), "C")

    # ------------------------------------------------------------------
    # Attacks
    # ------------------------------------------------------------------

    def test_rep_cannot_write_rules(self):
        rule = self._rule(tier_id=self.tiers["C"], order_months=6)
        self.assertEqual(rule.with_user(self.rep).conditions, "order within 6 months")  # reps read them
        with self.assertRaises(AccessError):
            self.env["trade.tier.rule"].with_user(self.rep).create({"tier_id": self.tiers["A"].id, "min_score": 1})
        with self.assertRaises(AccessError):
            rule.with_user(self.rep).tier_id = self.tiers["A"]
        with self.assertRaises(AccessError):
            rule.with_user(self.supervisor).unlink()

    def test_rep_cannot_set_the_tier_or_the_rule(self):
        rule = self._rule(tier_id=self.tiers["A"], order_months=6)
        buyer = self.buyer.with_user(self.rep).with_company(self.company)
        with self.assertRaises(AccessError):
            buyer.write({"tiering_service_tier_id": self.tiers["A"].id})
        with self.assertRaises(AccessError):
            buyer.write({"tiering_rule_id": rule.id})
        # Neither a default nor a copy carries a rule.
        created = (
            self.env["res.partner"]
            .with_user(self.rep)
            .with_company(self.company)
            .with_context(default_tiering_rule_id=rule.id)
            .create({"name": "Forged Ltd", "is_company": True})
        )
        self.assertFalse(created.tiering_rule_id)
        self._night()
        self.assertFalse(buyer.copy().tiering_rule_id)
        # A rep's grade request never becomes a tier request, nor is turned into one.
        request = (
            self.env["trade.grade.request"]
            .with_user(self.rep)
            .with_context(default_requested_tier_id=self.tiers["A"].id)
            .create(
                {
                    "partner_id": self.buyer.id,
                    "requested_star": "1",
                    "reason": "Big plans",
                    "source": "rule",
                    "tiering_rule_id": rule.id,
                }
            )
        )
        self.assertEqual(
            (request.source, request.requested_tier_id.id, request.tiering_rule_id.id), ("manual", False, False)
        )
        with self.assertRaises(AccessError):
            request.write({"requested_tier_id": self.tiers["A"].id})
        # The nightly request itself cannot be approved by the rep nor edited.
        tier_request = self.env["trade.grade.request"].search([("source", "=", "rule")])
        self.assertEqual(tier_request.partner_id, self.buyer)
        with self.assertRaises(AccessError):
            tier_request.with_user(self.rep).write({"requested_tier_id": self.tiers["B"].id})


@tagged("post_install", "-at_install")
class TestTierRuleTopTierApproval(TieringCase):
    """A rule moving a customer up into the company's top tier (A) is signed like a VIP grade: a
    supervisor, then the general manager; into B a supervisor alone (issue 14)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rep = cls._user("tra_rep", REP_GROUPS, "Tra Rep")
        cls.supervisor = cls._user("tra_sup", SUPERVISOR_GROUPS, "Tra Sup")
        cls.gm = cls._user("tra_gm", GM_GROUPS, "Tra Gm")
        cls.company.write(
            {"tiering_approver_id": cls.supervisor.id, "tiering_gm_id": cls.gm.id, "tiering_tier_mode": "rules"}
        )
        cls.tiers = {tier.code: tier for tier in cls.company.tiering_tier_ids}
        # Bought 2,000 a month ago: 0 stars, tier D by its star range.
        cls.buyer = cls._customer("Top Tier Buyer Ltd", user_id=cls.rep.id)
        cls._order(cls.buyer, 2_000, days_ago=30)
        cls.env.cr.flush()
        cls.env["trade.tier.rule"].create(
            {"company_id": cls.company.id, "tier_id": cls.tiers["A"].id, "order_months": 6, "min_amount": 1_000}
        )

    def _night(self):
        return self.env["trade.tier.rule"]._apply_company(self.company)

    def _tier(self, partner, user=None):
        partner = partner.with_user(user or self.rep).with_company(self.company)
        partner.invalidate_recordset()
        return partner.tiering_service_tier_id.code

    def _request(self, user):
        return (
            self.env["trade.grade.request"]
            .with_user(user)
            .search([("partner_id", "=", self.buyer.id), ("source", "=", "rule")])
        )

    def _steps(self, request):
        request.invalidate_recordset()
        return [(step.role, step.user_id, step.state) for step in request.sudo().tiering_approval_step_ids]

    def test_top_tier_is_the_first_of_the_company(self):
        self.assertEqual(self.env["trade.service.tier"]._tiering_top_tier(self.company), self.tiers["A"])

    def test_move_into_a_needs_the_supervisor_then_the_gm(self):
        self.assertEqual(self._night()["requests"], 1)
        request = self._request(self.supervisor)
        self.assertEqual((request.state, request.requested_tier_id), ("to_approve", self.tiers["A"]))
        self.assertEqual(self._steps(request), [("supervisor", self.supervisor, "pending"), ("gm", self.gm, "waiting")])
        self.assertEqual(request.tiering_approval_user_id, self.supervisor)
        # A rep cannot approve it.
        with self.assertRaises(AccessError):
            request.with_user(self.rep).action_approve()
        request.with_user(self.supervisor).action_approve()
        request.invalidate_recordset()
        # Signed by the supervisor: still waiting, now for the general manager, and not applied yet.
        self.assertEqual((request.state, request.tiering_approval_user_id), ("to_approve", self.gm))
        self.assertEqual(
            self._steps(request), [("supervisor", self.supervisor, "approved"), ("gm", self.gm, "pending")]
        )
        gm_activity = request.sudo().activity_ids
        self.assertEqual(gm_activity.user_id, self.gm)
        self.assertIn("tier D Developing → A Core, by a tier rule", str(gm_activity.note))
        self.assertEqual(self._tier(self.buyer), "D")
        # The supervisor cannot sign the general manager's step too, nor the rep.
        with self.assertRaises(AccessError):
            request.with_user(self.supervisor).action_approve()
        with self.assertRaises(AccessError):
            request.with_user(self.rep).action_approve()
        self.assertEqual(request.state, "to_approve")
        request.with_user(self.gm).action_approve()
        self.assertEqual(request.state, "approved")
        self.assertEqual(self._tier(self.buyer), "A")
        # Served in A: the next night asks nothing.
        summary = self._night()
        self.assertEqual((summary["changed"], summary["requests"]), (0, 0))

    def test_move_into_b_needs_the_supervisor_only(self):
        rule = self.env["trade.tier.rule"].search([("company_id", "=", self.company.id)])
        rule.tier_id = self.tiers["B"]
        self._night()
        request = self._request(self.supervisor)
        self.assertEqual(self._steps(request), [("supervisor", self.supervisor, "pending")])
        request.with_user(self.supervisor).action_approve()
        self.assertEqual(request.state, "approved")
        self.assertEqual(self._tier(self.buyer), "B")

    def test_move_into_a_without_gm_waits_as_a_draft(self):
        self.company.tiering_gm_id = False
        self.assertEqual(self._night()["requests"], 1)
        request = self._request(self.supervisor)
        self.assertEqual(request.state, "draft")
        self.assertFalse(request.sudo().tiering_approval_step_ids)
        self.assertFalse(request.tiering_approval_user_id)
        self.assertIn(
            "needs a supervisor, then an active general manager",
            " ".join(request.sudo().message_ids.mapped("body")),
        )
        with self.assertRaises(AccessError):
            request.with_user(self.supervisor).action_submit()
        self.assertEqual(self._tier(self.buyer), "D")

    def _playbook_activities(self, partner):
        summaries = self.env.ref("trade_crm_tiering.activity_plan_tier_a").template_ids.mapped("summary")
        return self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", partner.id), ("summary", "in", summaries)]
        )

    def test_approved_move_into_a_launches_the_playbook_once(self):
        self.tiers["A"].activity_plan_id = self.env.ref("trade_crm_tiering.activity_plan_tier_a")
        self._night()
        request = self._request(self.supervisor)
        request.with_user(self.supervisor).action_approve()
        self.assertFalse(self._playbook_activities(self.buyer), "not before the general manager signs")
        request.with_user(self.gm).action_approve()
        self.assertEqual(self._tier(self.buyer), "A")
        activities = self._playbook_activities(self.buyer)
        self.assertEqual(len(activities), 3)
        self.assertEqual(activities.user_id, self.rep)
        self.assertIn("entered tier A Core", " ".join(self.buyer.sudo().message_ids.mapped("body")))
        # Star ranges redrawn: the rule keeps the customer in A, so it enters nothing and gets no second launch.
        self.company._tiering_assign_tiers()
        self._night()
        self.assertEqual(self._tier(self.buyer), "A")
        self.assertEqual(len(self._playbook_activities(self.buyer)), 3)

    def test_free_rule_move_launches_the_playbook(self):
        """A move a rule makes without approval (here into C) launches C's playbook at night."""
        rule = self.env["trade.tier.rule"].search([("company_id", "=", self.company.id)])
        rule.tier_id = self.tiers["C"]
        self.tiers["C"].activity_plan_id = self.env.ref("trade_crm_tiering.activity_plan_tier_a")
        self.assertEqual(self._night()["requests"], 0)
        self.assertEqual(self._tier(self.buyer), "C")
        self.assertEqual(len(self._playbook_activities(self.buyer).filtered(lambda a: a.user_id == self.rep)), 3)
