from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, TransactionCase, tagged
from odoo.tools import SQL

from .common import REP_GROUPS, SUPERVISOR_GROUPS, TieringCase


class ScoringCase(TieringCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rep = cls._user("score_rep", REP_GROUPS, "Rita Rep")
        cls.supervisor = cls._user("score_sup", SUPERVISOR_GROUPS, "Sven Supervisor")
        cls.company.tiering_approver_id = cls.supervisor

    def _score(self, company=None):
        return self.env["trade.tiering.scoring"]._score(company or self.company)

    def _order(self, partner, amount, days_ago=10, margin=None, created_days_before=None, **kwargs):
        """An order as in TieringCase; ``margin``: its margin (cost set on its line); ``created_days_before``:
        the quotation was created that many days before the order was confirmed."""
        order = super()._order(partner, amount, days_ago=days_ago, **kwargs)
        if margin is not None:
            order.order_line.purchase_price = amount - margin
        if created_days_before is not None:
            order.flush_recordset()
            self.env.cr.execute(
                SQL(
                    "UPDATE sale_order SET create_date = date_order - %s * interval '1 day' WHERE id = %s",
                    created_days_before,
                    order.id,
                )
            )
        return order

    def _lead(self, partner, days_ago):
        lead = self.env["crm.lead"].create({"name": f"Inquiry from {partner.name}", "partner_id": partner.id})
        self._backdate(lead, create_date=self.today - timedelta(days=days_ago))
        return lead

    def _warnings(self, partner, warning_type=None, state=None):
        domain = [("partner_id", "=", partner.id), ("company_id", "=", self.company.id)]
        if warning_type:
            domain.append(("warning_type", "=", warning_type))
        if state:
            domain.append(("state", "=", state))
        return self.env["trade.customer.warning"].search(domain)

    def _activities(self, partner, xmlid):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                ("activity_type_id", "=", self.env.ref(xmlid).id),
            ]
        )

    def _read(self, partner, *names):
        partner = partner.with_company(self.company)
        partner.invalidate_recordset()
        return tuple(partner[name] for name in names)


@tagged("post_install", "-at_install")
class TestScoring(ScoringCase):
    def test_current_value_from_amounts_orders_and_margins(self):
        small, big = self._customer("Small Timber"), self._customer("Big Timber")
        self._order(small, 9_000, days_ago=20, currency=self.eur, margin=4_500)  # 10,000 USD, margin 5,000
        self._order(big, 30_000, days_ago=30, margin=3_000)
        self._order(big, 10_000, days_ago=200, margin=1_000)
        self._order(big, 99_000, days_ago=400, margin=9_000)  # the year before
        self._score()
        self.assertEqual(
            self._read(small, "tiering_amount_12m", "tiering_orders_12m", "tiering_margin_12m"), (10_000.0, 1, 5_000.0)
        )
        self.assertEqual(
            self._read(big, "tiering_amount_12m", "tiering_orders_12m", "tiering_margin_12m"), (40_000.0, 2, 4_000.0)
        )
        self.assertEqual(self._read(big, "tiering_margin_rate")[0], 10.0)
        # two customers: the better one at 75, the other at 25 on each count
        # small: amount 25, orders 25, margin 75 -> 41.7; big: 75, 75, 25 -> 58.3
        self.assertEqual(self._read(small, "tiering_score_current")[0], 42)
        self.assertEqual(self._read(big, "tiering_score_current")[0], 58)

    def test_potential_from_growth_and_ratings(self):
        partner = self._customer("Growing Panels")
        self._order(partner, 30_000, days_ago=100)
        self._order(partner, 20_000, days_ago=500)  # +50% -> growth 75
        partner.write({"tiering_rating_industry": "5", "tiering_rating_size": "3", "tiering_rating_wallet": "2"})
        self._score()
        self.assertEqual(self._read(partner, "tiering_growth_rate", "tiering_amount_prev_12m"), (50.0, 20_000.0))
        # (75 + 100 + 50 + 25) / 4
        self.assertEqual(self._read(partner, "tiering_score_potential")[0], 63)

    def test_difficulty_from_interactions_decision_cycle_and_chain(self):
        partner = self._customer("Chatty Imports", tiering_rating_chain="4")
        contact = self.env["res.partner"].create({"name": "Chatty Buyer", "parent_id": partner.id})
        order = self._order(partner, 20_000, days_ago=5, created_days_before=12)
        self._order(contact, 20_000, days_ago=50, created_days_before=0)
        partner.message_post(body="Called about the delivery", message_type="comment", subtype_xmlid="mail.mt_note")
        contact.message_post(body="Sent samples", message_type="comment", subtype_xmlid="mail.mt_note")
        order.message_post(body="Customer asked for new drawings", message_type="comment", subtype_xmlid="mail.mt_note")
        activity = partner.activity_schedule("mail.mail_activity_data_call", summary="Follow up")
        activity.action_feedback(feedback="Done")
        # not counted: system notifications and messages older than 12 months
        partner.message_post(body="Tracking", message_type="notification")
        old = partner.message_post(body="Old note", message_type="comment", subtype_xmlid="mail.mt_note")
        old.date = datetime.now() - timedelta(days=400)
        self._score()
        self.assertEqual(self._read(partner, "tiering_interactions_12m", "tiering_cost_to_serve"), (4, 1.0))
        self.assertEqual(self._read(partner, "tiering_decision_days")[0], 6.0)
        # cost 50 (the only customer with sales), decision 90, chain 25 -> 55
        self.assertEqual(self._read(partner, "tiering_score_difficulty")[0], 55)

    def test_stickiness_from_years_contacts_and_repurchases(self):
        partner = self._customer("Loyal Wood Co")
        for name in ("Ann", "Ben", "Cid"):
            self.env["res.partner"].create({"name": name, "parent_id": partner.id})
        self.env["res.partner"].create({"name": "Warehouse", "parent_id": partner.id, "type": "delivery"})
        # first order 2.5 years ago; orders in 4 of the last 8 quarters
        self._order(partner, 1_000, days_ago=912)
        for days_ago in (10, 100, 200, 300):
            self._order(partner, 1_000, days_ago=days_ago)
        self._score()
        self.assertEqual(self._read(partner, "tiering_contact_count", "tiering_repurchase_rate"), (3, 50.0))
        self.assertEqual(self._read(partner, "tiering_first_order_date")[0], self.today - timedelta(days=912))
        # years 2.5 / 5 -> 50, contacts 3 / 4 -> 75, repurchase 50
        self.assertEqual(self._read(partner, "tiering_score_stickiness")[0], 58)

    def test_composite_follows_the_company_weights(self):
        partner = self._customer("Weighted Co", tiering_rating_industry="5")
        self._order(partner, 10_000, days_ago=30)
        self._score()
        dims = self._read(
            partner,
            "tiering_score_current",
            "tiering_score_potential",
            "tiering_score_difficulty",
            "tiering_score_stickiness",
        )
        expected = round((dims[0] * 40 + dims[1] * 25 + dims[2] * 15 + dims[3] * 20) / 100 + 1e-9)
        self.assertEqual(self._read(partner, "tiering_score")[0], expected)
        self.company.write(
            {
                "tiering_weight_current": 0,
                "tiering_weight_potential": 100,
                "tiering_weight_difficulty": 0,
                "tiering_weight_stickiness": 0,
            }
        )
        self._score()
        self.assertEqual(self._read(partner, "tiering_score")[0], 100, "only the potential counts: rated 5")

    def test_weights_must_add_up_to_100(self):
        form = Form(self.env["res.config.settings"])
        form.tiering_weight_current = 50
        with self.assertRaisesRegex(
            ValidationError, "Tiering Export Co: the four score weights must add up to 100, not 110"
        ):
            form.save().execute()
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self.company.write({"tiering_weight_current": 60, "tiering_weight_potential": -5})
        # several weights changed together in Settings
        form = Form(self.env["res.config.settings"])
        form.tiering_weight_current = 30
        form.tiering_weight_stickiness = 30
        form.save().execute()
        self.assertEqual(self.company._tiering_weights(), (30, 25, 15, 30))

    def test_warning_settings_are_validated(self):
        with self.assertRaisesRegex(ValidationError, "growth spike factor must be above 1"):
            self.company.tiering_spike_factor = 0.5
        with self.assertRaisesRegex(ValidationError, "inquiry ratio must be between 0 and 1"):
            self.company.tiering_inquiry_ratio = 1.5
        with self.assertRaisesRegex(ValidationError, "margin cut-off must be between"):
            self.company.write({"tiering_matrix_cutoff": "fixed", "tiering_matrix_margin": 150})

    def test_customer_without_orders_gets_empty_values(self):
        idle = self._customer("Idle Prospect", tiering_rating_industry="4")
        active = self._customer("Active Buyer")
        self._order(active, 5_000)
        summary = self._score()
        self.assertEqual(summary["customers"], 1)
        self.assertEqual(
            self._read(
                idle,
                "tiering_score",
                "tiering_value_class",
                "tiering_rfm_segment",
                "tiering_health_band",
                "tiering_scored_on",
            ),
            (0, False, False, False, False),
        )
        self.assertFalse(self._warnings(idle))
        with Form(idle.with_user(self.rep)) as form:
            self.assertEqual(form.tiering_value_class_action, False)
            self.assertEqual(form.tiering_margin_rate, 0.0)
        self.assertTrue(self._read(active, "tiering_scored_on")[0])

    def test_scores_are_cleared_when_the_orders_go(self):
        partner = self._customer("Cancelled Co")
        order = self._order(partner, 5_000)
        self._score()
        self.assertEqual(self._read(partner, "tiering_orders_12m")[0], 1)
        order._action_cancel()
        self.assertEqual(self._score()["changed"], 1)
        self.assertEqual(
            self._read(partner, "tiering_orders_12m", "tiering_value_class", "tiering_scored_on"), (0, False, False)
        )

    def test_second_pass_changes_nothing(self):
        for index in range(5):
            self._order(self._customer(f"Steady {index}"), 1_000 * (index + 1), days_ago=10 * index)
        self.assertEqual(self._score()["changed"], 5)
        self.assertEqual(self._score(), {"customers": 5, "changed": 0, "raised": 0, "closed": 0})

    def test_scores_are_kept_on_the_customer_not_its_contacts(self):
        partner = self._customer("Parent Co")
        buyer = self.env["res.partner"].create({"name": "Parent Buyer", "parent_id": partner.id})
        self._order(buyer, 5_000)
        self._score()
        self.assertEqual(self._read(partner, "tiering_orders_12m", "tiering_rfm_segment"), (1, "loyal"))
        self.assertEqual(self._read(buyer, "tiering_score", "tiering_rfm_segment"), (0, False))
        self.assertEqual(buyer.open_commercial_entity()["res_id"], partner.id)

    def test_scores_belong_to_each_company(self):
        other = self._make_company("Tiering Trading HK")
        partner = self._customer("Shared Customer")
        self._order(partner, 5_000)
        self._order(partner, 7_000, company=other)
        self._order(partner, 9_000, company=other)
        self._score()
        self._score(other)
        self.assertEqual(partner.with_company(self.company).tiering_orders_12m, 1)
        self.assertEqual(partner.with_company(other).tiering_orders_12m, 2)

    def test_reps_rate_but_cannot_write_scores(self):
        partner = self._customer("Rated Co", user_id=self.rep.id)
        partner.with_user(self.rep).write({"tiering_rating_size": "4", "tiering_rating_chain": "2"})
        self.assertEqual(partner.tiering_rating_size, "4")
        for name, value in (("tiering_score", 99), ("tiering_value_class", "treasure"), ("tiering_dormant", True)):
            with self.assertRaises(AccessError, msg=name):
                partner.with_user(self.supervisor).write({name: value})

    def test_cron_and_settings_button_rescore(self):
        partner = self._customer("Nightly Co")
        self._order(partner, 5_000)
        self.env["res.partner"]._cron_tiering_regrade()
        self.assertTrue(self._read(partner, "tiering_scored_on")[0])
        self.assertTrue(self.company.tiering_last_scoring)
        action = self.env["res.config.settings"].create({}).action_tiering_regrade_now()
        self.assertIn("1 customers scored", action["params"]["message"])

    def test_filters_and_group_bys(self):
        partner = self._customer("Gone Quiet")
        self._order(partner, 5_000, days_ago=500)
        self._score()
        partners = self.env["res.partner"].with_company(self.company)
        self.assertIn(partner, partners.search([("tiering_dormant", "=", True)]))
        groups = dict(partners._read_group([("id", "=", partner.id)], ["tiering_value_class"], ["__count"]))
        self.assertEqual(groups, {"maintain": 1})
        self.assertEqual(
            partners.search([("tiering_health_band", "=", "poor"), ("id", "=", partner.id)]),
            partner,
            "no order in 500 days",
        )


@tagged("post_install", "-at_install")
class TestRfmAndMatrix(ScoringCase):
    def test_rfm_quintiles_and_segments(self):
        customers = []
        # recent, frequent, big ... old, rare, small
        for index, (days, count, amount) in enumerate(
            [(5, 6, 60_000), (40, 5, 40_000), (100, 4, 20_000), (200, 2, 10_000), (300, 1, 2_000)]
        ):
            partner = self._customer(f"RFM {index}")
            for order in range(count):
                self._order(partner, amount / count, days_ago=days + order)
            customers.append(partner)
        self._score()
        self.assertEqual(
            [p.with_company(self.company).tiering_rfm_score for p in customers], ["555", "444", "333", "222", "111"]
        )
        self.assertEqual(
            [p.with_company(self.company).tiering_rfm_segment for p in customers],
            ["champions", "champions", "loyal", "hibernating", "lost"],
        )
        found = self.env["res.partner"].with_company(self.company).search([("tiering_rfm_segment", "=", "champions")])
        self.assertEqual(found & self.env["res.partner"].browse([p.id for p in customers]), customers[0] | customers[1])

    def test_rfm_ties_and_a_single_customer(self):
        lone = self._customer("Lone Buyer")
        self._order(lone, 5_000, days_ago=30)
        self._score()
        self.assertEqual(self._read(lone, "tiering_rfm_score", "tiering_rfm_segment"), ("333", "loyal"))
        twin = self._customer("Twin Buyer")
        self._order(twin, 5_000, days_ago=30)
        self._score()
        self.assertEqual(self._read(lone, "tiering_rfm_score"), self._read(twin, "tiering_rfm_score"))

    def test_each_matrix_class_with_fixed_cutoffs(self):
        self.company.write(
            {
                "tiering_matrix_cutoff": "fixed",
                "tiering_matrix_amount": 50_000,
                "tiering_matrix_margin": 20,
                "tiering_matrix_effort": 1,
            }
        )
        expected = {}
        for big in (True, False):
            for high_margin in (True, False):
                for busy in (True, False):
                    amount = 80_000 if big else 20_000
                    partner = self._customer(f"Matrix {big} {high_margin} {busy}")
                    self._order(partner, amount, margin=amount * (0.3 if high_margin else 0.1))
                    # 1 interaction per 10,000 is the cut-off: busy customers take 2 per 10,000
                    for _note in range(int(amount / 10_000 * 2) if busy else 0):
                        partner.message_post(body="Question", message_type="comment", subtype_xmlid="mail.mt_note")
                    expected[partner] = (big, high_margin, busy)
        self._score()
        classes = {
            (True, True, False): "treasure",
            (True, True, True): "demanding_star",
            (True, False, False): "volume_base",
            (True, False, True): "costly_giant",
            (False, True, False): "hidden_gem",
            (False, True, True): "costly_niche",
            (False, False, False): "maintain",
            (False, False, True): "let_go",
        }
        for partner, key in expected.items():
            self.assertEqual(partner.with_company(self.company).tiering_value_class, classes[key], partner.name)
        treasure = next(p for p, key in expected.items() if key == (True, True, False))
        self.assertIn("guard against complacency", treasure.with_company(self.company).tiering_value_class_action)
        let_go = next(p for p, key in expected.items() if key == (False, False, True))
        action = let_go.with_company(self.company).with_context(lang="zh_CN").tiering_value_class_action
        self.assertIn("放弃", action)

    def test_median_cutoffs(self):
        amounts = {"Median A": (10_000, 3_000), "Median B": (20_000, 4_000), "Median C": (30_000, 3_000)}
        partners = {}
        for name, (amount, margin) in amounts.items():
            partners[name] = self._customer(name)
            self._order(partners[name], amount, margin=margin)
        self._score()
        # medians: amount 20,000, margin rate 20% (30%, 20%, 10%), effort 0 (nobody took any)
        self.assertEqual(
            [partners[name].with_company(self.company).tiering_value_class for name in amounts],
            ["hidden_gem", "treasure", "volume_base"],
        )


@tagged("post_install", "-at_install")
class TestHealth(ScoringCase):
    def test_health_band_and_trend_against_the_previous_quarter(self):
        partner = self._customer("Health Co")
        with freeze_time("2026-02-15 12:00:00"):
            for day in (date(2025, 10, 1), date(2025, 11, 15), date(2026, 1, 1), date(2026, 2, 10)):
                self._order(partner, 10_000, date=datetime.combine(day, datetime.min.time()))
            self._score()
            first = self._read(
                partner, "tiering_health_score", "tiering_health_band", "tiering_health_trend", "tiering_health_quarter"
            )
            self.assertEqual(first[1:], ("good", False, date(2026, 1, 1)))
            self.assertEqual(first[0], 100)
        with freeze_time("2026-03-20 12:00:00"):
            self._score()
            # still the first quarter: no reference yet
            self.assertEqual(self._read(partner, "tiering_health_trend")[0], False)
            q1 = self._read(partner, "tiering_health_score")[0]
        with freeze_time("2026-08-15 12:00:00"):
            # no order for 186 days against a usual gap of 44, nothing sold in the last 6 months
            self._score()
            health, previous, trend = self._read(
                partner, "tiering_health_score", "tiering_health_previous", "tiering_health_trend"
            )
            self.assertEqual((health, previous, trend), (0, q1, "falling"))
            self.assertEqual(self._read(partner, "tiering_health_band")[0], "poor")
        with freeze_time("2026-09-10 12:00:00"):
            for day in (date(2026, 9, 1), date(2026, 9, 9)):
                self._order(partner, 30_000, date=datetime.combine(day, datetime.min.time()))
            self._score()
            self.assertEqual(self._read(partner, "tiering_health_previous", "tiering_health_trend"), (q1, "steady"))
        self.assertIn(
            partner,
            self.env["res.partner"].with_company(self.company).search([("tiering_health_band", "=", "good")]),
        )


@tagged("post_install", "-at_install")
class TestPaymentBehaviour(ScoringCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_accounting()

    def test_average_days_paid_late(self):
        partner = self._customer("Slow Payer")
        self._order(partner, 5_000)
        self._invoice(partner, due_days_ago=30, paid_days_ago=10)  # paid 20 days late
        self._invoice(partner, due_days_ago=40)  # open, 40 days late so far
        self._invoice(partner, due_days_ago=60, paid_days_ago=70)  # paid early: 0
        self._invoice(partner, due_days_ago=-10)  # not due yet: not counted
        self._score()
        self.assertEqual(self._read(partner, "tiering_invoices_due", "tiering_days_late"), (3, 20.0))
        # payment 66.7, cost 50, decision 100 -> 72
        self.assertEqual(self._read(partner, "tiering_score_difficulty")[0], 72)


@tagged("post_install", "-at_install")
class TestScoringGlossary(TransactionCase):
    """The Chinese terms of the glossary are used for scores and warnings."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(["trade_crm_tiering"], ["zh_CN"], overwrite=True)

    def test_glossary_terms(self):
        partner = self.env["res.partner"].with_context(lang="zh_CN")
        labels = partner.fields_get(
            [
                "tiering_health_score",
                "tiering_dormant",
                "tiering_score_current",
                "tiering_score_potential",
                "tiering_score_difficulty",
                "tiering_score_stickiness",
                "tiering_cost_to_serve",
                "tiering_value_class",
            ]
        )
        self.assertEqual(
            [
                labels[name]["string"]
                for name in (
                    "tiering_health_score",
                    "tiering_dormant",
                    "tiering_score_current",
                    "tiering_score_potential",
                    "tiering_score_difficulty",
                    "tiering_score_stickiness",
                    "tiering_cost_to_serve",
                )
            ],
            ["客户健康度", "休眠", "当前价值", "潜在价值", "合作难度", "关系粘性", "服务成本"],
        )
        upgrade = self.env.ref("trade_crm_tiering.mail_activity_type_upgrade_opportunity").with_context(lang="zh_CN")
        self.assertEqual(upgrade.name, "升级机会")
        menu = self.env.ref("trade_crm_tiering.menu_trade_customer_warning").with_context(lang="zh_CN")
        self.assertEqual(menu.name, "预警")
        warnings = self.env["trade.customer.warning"].with_context(lang="zh_CN")
        self.assertEqual(warnings.fields_get(["salesperson_id"])["salesperson_id"]["string"], "业务员")
