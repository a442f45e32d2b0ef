"""The 8-class value matrix says what seed 002 says (#14.6): the advice per class, what a class
proposes per company (a tier change through a grade request, or a release to the team pool) and
the margin after service cost, as the admin, the nightly cron, a rep and a supervisor see them."""

from odoo import Command, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from ..trade_crm_tiering import matrix
from .common import REP_GROUPS, SUPERVISOR_GROUPS, RolesCase


@tagged("post_install", "-at_install")
class TestMatrixAdvice(RolesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.supervisor = cls._user("matrix_sup", SUPERVISOR_GROUPS, "Mia Supervisor")
        cls.other_rep = cls._user("matrix_rep2", REP_GROUPS, "Otto Rep")
        cls.company.write(
            {
                "tiering_approver_id": cls.supervisor.id,
                "tiering_matrix_cutoff": "fixed",
                "tiering_matrix_amount": 50_000,
                "tiering_matrix_margin": 20,
                "tiering_matrix_effort": 1,
            }
        )
        cls.tiers = cls._tiers_by_code()
        # Small, high margin, no interaction: a hidden gem of the rep's.
        cls.gem = cls._customer("Gem Trading", user_id=cls.salesman.id)
        cls._costed_order(cls.gem, 20_000, 6_000)
        # Small, low margin, 2 interactions per 10,000 of sales: let go, the rep's too.
        cls.loser = cls._customer("Fussy Imports", user_id=cls.salesman.id)
        cls._costed_order(cls.loser, 20_000, 2_000)
        for _note in range(4):
            cls.loser.message_post(body="Yet another question", message_type="comment", subtype_xmlid="mail.mt_note")
        # Big, high margin, no interaction: another rep's treasure.
        cls.treasure = cls._customer("Treasure Holdings", user_id=cls.other_rep.id)
        cls._costed_order(cls.treasure, 80_000, 24_000)

    @classmethod
    def _costed_order(cls, partner, amount, margin):
        order = cls._order(partner, amount)
        order.order_line.purchase_price = amount - margin
        return order

    def _run_nightly_scoring(self):
        self.env.ref("trade_crm_tiering.ir_cron_tiering_scoring").method_direct_trigger()

    def _configure(self, lines, cost=None):
        """The admin sets the consequences (``[(class, action, tier code)]``) in Settings."""
        form = Form(self.env["res.config.settings"].with_user(self.admin))
        for tiering_value_class, action, code in lines:
            with form.tiering_matrix_consequence_ids.new() as line:
                line.tiering_value_class = tiering_value_class
                line.action = action
                if code:
                    line.tiering_service_tier_id = self.tiers[code]
        if cost is not None:
            form.tiering_cost_per_interaction = cost
        form.save().execute()

    def _requests(self, partner):
        return self.env["trade.grade.request"].search(
            [("partner_id", "=", partner.id), ("company_id", "=", self.company.id), ("source", "=", "matrix")]
        )

    def _notes(self, partner, text):
        return partner.message_ids.filtered(lambda message: text in (message.body or ""))

    # ------------------------------------------------------------------
    # Advice
    # ------------------------------------------------------------------

    def test_advice_selection_follows_the_matrix(self):
        partners = self.env["res.partner"]
        advice = [key for key, _label in partners._fields["tiering_value_class_advice"].selection]
        self.assertEqual(advice, list(matrix.ADVICE_KEYS))
        self.assertEqual(
            [key for key, _label in partners._fields["tiering_value_class"].selection], list(matrix.ADVICE)
        )
        self.assertEqual(matrix.ADVICE["costly_giant"], "consider_dropping")
        self.assertEqual(matrix.ADVICE["costly_niche"], "consider_dropping")
        self.assertEqual(matrix.ADVICE["maintain"], "drop")
        self.assertEqual(matrix.ADVICE["volume_base"], "keep_if_affordable")
        self.assertEqual(matrix.ADVICE["hidden_gem"], "fast_cash_flow")

    def test_rep_reads_advice_and_margins_of_own_customers_only(self):
        self.company.tiering_cost_per_interaction = 50
        self._run_nightly_scoring()
        rep_partners = self.env["res.partner"].with_user(self.salesman).with_company(self.company)
        names = [
            "tiering_value_class",
            "tiering_value_class_advice",
            "tiering_margin_12m",
            "tiering_service_cost_12m",
            "tiering_net_margin_12m",
            "tiering_net_margin_rate",
        ]
        (gem, loser, treasure) = rep_partners.browse((self.gem | self.loser | self.treasure).ids).read(names)
        self.assertEqual([gem[name] for name in names], ["hidden_gem", "fast_cash_flow", 6_000.0, 0.0, 6_000.0, 30.0])
        # 4 notes at 50 each: 200 off the margin
        self.assertEqual([loser[name] for name in names], ["let_go", "drop", 2_000.0, 200.0, 1_800.0, 9.0])
        self.assertEqual({treasure[name] for name in names}, {False}, "another rep's customer: masked")
        with Form(self.gem.with_user(self.salesman)) as form:
            self.assertEqual(form.tiering_value_class_advice, "fast_cash_flow")
            self.assertEqual(form.tiering_net_margin_12m, 6_000.0)
        self.assertEqual(
            rep_partners.search([("tiering_value_class_advice", "=", "drop"), ("id", "in", self.loser.ids)]), self.loser
        )
        self.assertFalse(
            rep_partners.search([("tiering_value_class_advice", "=", "keep_investing"), ("id", "=", self.treasure.id)]),
            "a rep cannot find another rep's customers by their advice",
        )
        # The supervisor's matrix report: nominal and net margins side by side, per class.
        groups = dict(
            self.env["res.partner"]
            .with_user(self.supervisor)
            .with_company(self.company)
            ._read_group(
                [("id", "in", (self.gem | self.loser | self.treasure).ids)],
                ["tiering_value_class"],
                ["tiering_net_margin_12m:sum"],
            )
        )
        self.assertEqual(groups, {"hidden_gem": 6_000.0, "let_go": 1_800.0, "treasure": 24_000.0})
        action = self.env.ref("trade_crm_tiering.action_trade_value_matrix")
        self.assertIn("pivot", action.view_mode)

    def test_advice_is_translated(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["trade_crm_tiering"], ["zh_CN"], overwrite=True)
        labels = dict(
            self.env["res.partner"]
            .with_context(lang="zh_CN")
            ._fields["tiering_value_class_advice"]
            ._description_selection(self.env(context={"lang": "zh_CN"}))
        )
        self.assertEqual(labels["consider_dropping"], "酌情舍弃")

    # ------------------------------------------------------------------
    # Settings
    # ------------------------------------------------------------------

    def test_off_by_default(self):
        self.assertFalse(self.company.tiering_matrix_consequence_ids)
        self.assertEqual(self.company.tiering_cost_per_interaction, matrix.DEFAULT_COST_PER_INTERACTION)
        self._run_nightly_scoring()
        self.assertEqual(self.loser.with_company(self.company).tiering_value_class, "let_go")
        self.assertEqual(self.loser.user_id, self.salesman, "no consequence: nobody is released")
        self.assertFalse(self._requests(self.gem))

    def test_admin_configures_and_bad_configuration_is_refused(self):
        self._configure([("hidden_gem", "tier_change", "B"), ("let_go", "release_to_pool", None)], cost=35)
        lines = self.company.tiering_matrix_consequence_ids
        self.assertEqual(
            {(line.tiering_value_class, line.action, line.tiering_service_tier_id.code or None) for line in lines},
            {("hidden_gem", "tier_change", "B"), ("let_go", "release_to_pool", None)},
        )
        self.assertEqual(lines.filtered(lambda line: line.tiering_value_class == "let_go").advice, "drop")
        self.assertEqual(self.company.tiering_cost_per_interaction, 35)
        admin_company = self.company.with_user(self.admin)
        with self.assertRaisesRegex(ValidationError, "Hidden Gem has two consequences"):
            admin_company.write(
                {
                    "tiering_matrix_consequence_ids": [
                        Command.create({"tiering_value_class": "hidden_gem", "action": "none"})
                    ]
                }
            )
        with self.assertRaisesRegex(ValidationError, "Costly Giant proposes a tier change: choose the tier"):
            admin_company.write(
                {
                    "tiering_matrix_consequence_ids": [
                        Command.create({"tiering_value_class": "costly_giant", "action": "tier_change"})
                    ]
                }
            )
        with self.assertRaisesRegex(ValidationError, "names a tier but proposes no tier change"):
            self.env["res.config.settings"].with_user(self.admin).create(
                {
                    "tiering_matrix_consequence_ids": [
                        Command.create(
                            {
                                "tiering_value_class": "maintain",
                                "action": "release_to_pool",
                                "tiering_service_tier_id": self.tiers["C"].id,
                            }
                        )
                    ]
                }
            )
        with self.assertRaisesRegex(ValidationError, "cost per interaction cannot be negative"):
            form = Form(self.env["res.config.settings"].with_user(self.admin))
            form.tiering_cost_per_interaction = -1
            form.save()
        self.assertEqual(len(self.company.tiering_matrix_consequence_ids), 2, "nothing half-written")

    def test_rep_cannot_write_consequences_or_margins(self):
        self._configure([("let_go", "release_to_pool", None)])
        line = self.company.tiering_matrix_consequence_ids
        consequences = self.env["trade.matrix.consequence"].with_user(self.salesman)
        with self.assertRaises(AccessError):
            consequences.create({"company_id": self.company.id, "tiering_value_class": "treasure", "action": "none"})
        with self.assertRaises(AccessError):
            line.with_user(self.salesman).write({"action": "none"})
        with self.assertRaises(AccessError):
            line.with_user(self.salesman).unlink()
        with self.assertRaises(AccessError):
            self.company.with_user(self.salesman).write({"tiering_cost_per_interaction": 0})
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(self.salesman).create({"tiering_cost_per_interaction": 0})
        self._run_nightly_scoring()
        gem = self.gem.with_user(self.salesman).with_company(self.company)
        for name, value in (
            ("tiering_net_margin_12m", 1e9),
            ("tiering_service_cost_12m", 0),
            ("tiering_value_class", "treasure"),
        ):
            with self.assertRaises(AccessError, msg=name):
                gem.write({name: value})
        # default_* keys and copies carry no margin either
        created = (
            self.env["res.partner"]
            .with_user(self.salesman)
            .with_company(self.company)
            .with_context(default_tiering_net_margin_12m=1e9, default_tiering_service_cost_12m=5)
            .create({"name": "Forged Margin Co", "is_company": True})
        )
        self.assertEqual(created.sudo().tiering_net_margin_12m, 0.0)
        copy = gem.copy()
        self.assertEqual(copy.sudo().with_company(self.company).tiering_net_margin_12m, 0.0)
        self.assertEqual(self.gem.with_company(self.company).tiering_net_margin_12m, 6_000.0)
        self.assertEqual(line.action, "release_to_pool")

    # ------------------------------------------------------------------
    # The nightly pass
    # ------------------------------------------------------------------

    def test_nightly_cron_proposes_once_and_the_supervisor_approves(self):
        self._configure([("hidden_gem", "tier_change", "B"), ("let_go", "release_to_pool", None)])
        self._run_nightly_scoring()
        # Tier change: one grade request to the lowest grade of tier B, sent to the supervisor.
        request = self._requests(self.gem)
        self.assertEqual(len(request), 1)
        self.assertEqual((request.state, request.requested_star), ("to_approve", "3"))
        self.assertIn("Hidden Gem", request.reason)
        self.assertEqual(request.tiering_approval_step_ids.user_id, self.supervisor)
        self.assertTrue(self._notes(self.gem, "The value matrix proposes tier"))
        # Release: the let-go customer is back in the team pool, logged in its chatter.
        self.assertFalse(self.loser.user_id)
        self.assertEqual(self.loser.tiering_pool_released_date, fields.Date.today())
        self.assertTrue(self._notes(self.loser, "its value class Let Go"))
        self.assertTrue(
            self.env["trade.pool.log"].search([("partner_id", "=", self.loser.id), ("action", "=", "release")])
        )
        # The next night: no second request, no second release.
        self._run_nightly_scoring()
        self.assertEqual(len(self._requests(self.gem)), 1, "one pending request per customer")
        self.assertEqual(len(self._notes(self.gem, "The value matrix proposes tier")), 1)
        self.assertEqual(len(self._notes(self.loser, "its value class Let Go")), 1)
        # A rep cannot approve it; the supervisor does, and the customer moves to tier B.
        with self.assertRaises(AccessError):
            request.with_user(self.salesman).action_approve()
        request.with_user(self.supervisor).action_approve()
        self.assertEqual(request.state, "approved")
        gem = self.gem.with_company(self.company)
        self.assertEqual((gem.tiering_star_grade, gem.tiering_service_tier_id), ("3", self.tiers["B"]))
        # Now in tier B: nothing more to propose.
        self._run_nightly_scoring()
        self.assertEqual(len(self._requests(self.gem)), 1)

    def test_rejected_proposal_is_not_made_again(self):
        self._configure([("hidden_gem", "tier_change", "B")])
        self._run_nightly_scoring()
        request = self._requests(self.gem)
        request.with_user(self.supervisor).action_reject("Too small for a key account")
        self._run_nightly_scoring()
        self.assertEqual(self._requests(self.gem), request, "rejected: not proposed again the next night")

    def test_requests_come_in_batches_within_the_nightly_cap(self):
        second = self._customer("Second Gem", user_id=self.salesman.id)
        self._costed_order(second, 10_000, 4_000)
        self._configure([("hidden_gem", "tier_change", "B")])
        self.env["trade.tiering.scoring"]._score(self.company)
        engine = self.env["trade.value.matrix"]
        self.assertEqual(engine._apply(self.company, limit=1)["requested"], 1)
        self.assertEqual(engine._apply(self.company, limit=1)["requested"], 1)
        self.assertEqual(engine._apply(self.company, limit=1)["requested"], 0, "both wait for approval")
        self.assertEqual(len(self._requests(self.gem)), 1)
        self.assertEqual(len(self._requests(second)), 1)
        # The nightly unit hands the next batch on as its cursor, then goes on to the credit ratings.
        nightly = self.env["trade.tiering.nightly"]
        self.assertEqual(nightly._unit_scoring(self.company, "matrix"), "credit")
        self.assertEqual(nightly._unit_scoring(self.company, "matrix:500"), "credit")

    def test_customers_a_rule_placed_get_no_tier_change(self):
        """In rule mode a rule serves its customers in its tier whatever their grade: the matrix
        proposes no grade request for them, and still does for the others."""
        self._configure([("hidden_gem", "tier_change", "B")])
        second = self._customer("Ruled Gem", user_id=self.salesman.id)
        self._costed_order(second, 10_000, 4_000)
        self.company.tiering_tier_mode = "rules"
        self.env["trade.tier.rule"].create(
            {"company_id": self.company.id, "tier_id": self.tiers["C"].id, "min_amount": 15_000, "order_months": 6}
        )
        self._run_nightly_scoring()
        placed = second.with_user(self.salesman).with_company(self.company)
        self.assertEqual(placed.tiering_value_class, "hidden_gem")
        self.assertFalse(placed.tiering_rule_id, "under the rule's amount: placed by its stars")
        gem = self.gem.with_user(self.salesman).with_company(self.company)
        self.assertEqual((gem.tiering_value_class, gem.tiering_service_tier_id), ("hidden_gem", self.tiers["C"]))
        self.assertTrue(gem.tiering_rule_id, "placed by the rule")
        self.assertFalse(self._requests(self.gem), "a rule places it: no grade request")
        self.assertEqual(len(self._requests(second)), 1)
        # The night's order: scores, then the rules, then the matrix and the credit limits.
        nightly = self.env["trade.tiering.nightly"]
        self.assertEqual(nightly._unit_scoring(self.company, "tier_rules>matrix"), "matrix")
