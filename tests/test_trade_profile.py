from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from .common import ApprovalCase


class ProfileCase(ApprovalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.tiering_auto_upgrade = "apply"
        cls.lifecycle = cls.env["trade.lifecycle"]

    def _stage(self, partner, company=None):
        self._run_commit_hooks()
        return partner.with_company(company or self.company).trade_lifecycle

    def _lead(self, partner, **vals):
        return self.env["crm.lead"].create(
            {"name": f"Inquiry from {partner.name}", "partner_id": partner.id, "company_id": self.company.id, **vals}
        )


@tagged("post_install", "-at_install")
class TestLifecycle(ProfileCase):
    def test_stage_follows_leads_quotations_and_orders(self):
        customer = self._customer("Nairobi Furnishings Ltd")
        self.assertEqual(self._stage(customer), "potential", "nothing yet")
        lead = self._lead(customer, type="lead")
        self.assertEqual(self._stage(customer), "potential")
        lead.convert_opportunity(customer)
        self.assertEqual(self._stage(customer), "intent")
        lead.action_set_lost()
        self.assertEqual(self._stage(customer), "lost", "its only lead was lost")
        quotation = self._order(customer, 5_000, confirm=False)
        self.assertEqual(self._stage(customer), "intent")
        quotation.action_confirm()
        self.assertEqual(self._stage(customer), "deal")
        self.assertEqual(customer.trade_lifecycle_auto, "deal")

    def test_orders_of_contacts_count(self):
        customer = self._customer("Cairo Home Style")
        buyer = self.env["res.partner"].create({"name": "Ahmed Hassan", "parent_id": customer.id})
        self._order(buyer, 2_000)
        self.assertEqual(self._stage(customer), "deal")

    def test_no_order_for_a_year_is_lost(self):
        customer = self._customer("Vienna Wohnen GmbH")
        self._order(customer, 9_000, days_ago=30)
        self.assertEqual(self._stage(customer), "deal")
        with freeze_time(self.today + timedelta(days=340)):
            self.env.ref("trade_crm_tiering.ir_cron_trade_profile").method_direct_trigger()
            self.assertEqual(customer.trade_lifecycle, "lost")
        self._order(customer, 1_000, confirm=False)
        self.assertEqual(self._stage(customer), "deal", "its order is not a year old today")

    def test_stage_is_per_company(self):
        other = self._make_company("Tiering Trading HK")
        customer = self._customer("Shared Buyer")
        self._order(customer, 5_000, company=other)
        self.assertEqual(self._stage(customer, other), "deal")
        self.assertEqual(self._stage(customer), "potential")

    def test_a_rep_sets_the_stage_by_hand_with_a_reason(self):
        customer = self._customer("Karachi Furnishers", user_id=self.rep.id)
        self._order(customer, 5_000)
        self.assertEqual(self._stage(customer), "deal")
        form = Form(customer.with_user(self.rep))
        form.trade_lifecycle_override = "lost"
        form.trade_lifecycle_reason = "Went bankrupt in March"
        form.save()
        self.assertEqual((customer.trade_lifecycle, customer.trade_lifecycle_auto), ("lost", "deal"))
        self._order(customer, 1_000)
        self.assertEqual(self._stage(customer), "lost", "the hand-set stage holds while data changes")
        customer.with_user(self.rep).write({"trade_lifecycle_override": False, "trade_lifecycle_reason": False})
        self.assertEqual(customer.trade_lifecycle, "deal")

    def test_stage_set_by_hand_needs_a_reason(self):
        customer = self._customer("Doha Interiors WLL", user_id=self.rep.id)
        with self.assertRaisesRegex(ValidationError, "say why its lifecycle stage is set by hand"):
            customer.with_user(self.rep).trade_lifecycle_override = "intent"

    def test_stage_cannot_be_written(self):
        customer = self._customer("Lima Casa SAC", user_id=self.rep.id)
        for name in ("trade_lifecycle", "trade_lifecycle_auto"):
            with self.assertRaisesRegex(AccessError, "lifecycle stage is computed"):
                customer.with_user(self.supervisor).write({name: "deal"})

    def test_filters_and_groups_by_stage(self):
        deal = self._customer("Deal Co")
        self._order(deal, 1_000)
        intent = self._customer("Intent Co")
        self._order(intent, 1_000, confirm=False)
        self._run_commit_hooks()
        partners = self.env["res.partner"]
        scope = [("id", "in", (deal | intent | self.customer).ids)]
        self.assertEqual(partners.search([*scope, ("trade_lifecycle", "=", "deal")]), deal | self.customer)
        self.assertEqual(partners.search([*scope, ("trade_lifecycle", "=", "intent")]), intent)
        groups = dict(partners._read_group(scope, ["trade_lifecycle"], ["__count"]))
        self.assertEqual(groups, {"deal": 2, "intent": 1})


@tagged("post_install", "-at_install")
class TestTradeProfile(ProfileCase):
    def test_reps_keep_the_profile(self):
        customer = self._customer("Gulf Star Building Materials LLC", user_id=self.rep.id)
        form = Form(customer.with_user(self.rep))
        form.trade_source = "trade_show"
        form.trade_size_band = "medium"
        form.trade_main_products = "Birch plywood, oak veneer"
        form.trade_declared_volume = 1_500_000
        form.trade_target_price = 27.5
        form.trade_credit_rating = "AA"
        form.trade_credit_rated_on = date(2026, 3, 1)
        form.trade_founded_on = date(1998, 6, 15)
        form.trade_preferred_channel = "whatsapp"
        form.save()
        self.assertEqual(
            (customer.trade_source, customer.trade_credit_rating, customer.trade_declared_volume),
            ("trade_show", "AA", 1_500_000),
        )
        self.assertEqual(customer.tiering_currency_id, self.company.tiering_currency_id)

    def _anniversary_customer(self, name, amount, founded):
        customer = self._customer(name, user_id=self.rep.id, trade_founded_on=founded)
        self._order(customer, amount)
        customer.action_tiering_regrade()
        return customer

    def _greetings(self, customer):
        greeting = self.env.ref("trade_crm_tiering.mail_activity_type_anniversary_greeting")
        return customer.activity_ids.filtered(lambda a: a.activity_type_id == greeting)

    def test_greeting_before_the_founding_anniversary_of_key_customers(self):
        founded = self.today + timedelta(days=5) - relativedelta(years=20)
        key = self._anniversary_customer("Rheinland Moebelhandel GmbH", 400_000, founded)
        small = self._anniversary_customer("Accra Trading Ventures", 1_000, founded)
        later = self._anniversary_customer("Seoul Design Mart Co.", 400_000, founded + timedelta(days=10))
        cron = self.env.ref("trade_crm_tiering.ir_cron_trade_profile")
        cron.method_direct_trigger()
        cron.method_direct_trigger()
        greeting = self._greetings(key)
        self.assertEqual(len(greeting), 1)
        self.assertEqual((greeting.user_id, greeting.date_deadline), (self.rep, self.today + timedelta(days=4)))
        self.assertIn("turns 20", greeting.note)
        self.assertFalse(self._greetings(small), "a developing customer gets no greeting")
        self.assertFalse(self._greetings(later), "its anniversary is more than a week away")
        greeting.action_feedback(feedback="Sent a card and a bamboo sample box")
        cron.method_direct_trigger()
        self.assertFalse(self._greetings(key), "greeted once per anniversary")


@tagged("post_install", "-at_install")
class TestTags(ProfileCase):
    def test_four_families_are_seeded(self):
        tags = self.env["res.partner.category"]
        for family in ("product", "region", "habit", "stage"):
            self.assertTrue(tags.search_count([("trade_family", "=", family), ("parent_id", "!=", False)]) >= 4)
        middle_east = self.env.ref("trade_crm_tiering.partner_tag_region_middle_east")
        self.assertEqual(middle_east.display_name, "Market Region / Middle East")

    def test_sub_tags_take_their_parents_family(self):
        middle_east = self.env.ref("trade_crm_tiering.partner_tag_region_middle_east")
        gcc = self.env["res.partner.category"].create({"name": "GCC", "parent_id": middle_east.id})
        self.assertEqual(gcc.trade_family, "region")
        habit = self.env.ref("trade_crm_tiering.partner_tag_habit")
        gcc.parent_id = habit
        self.assertEqual(gcc.trade_family, "habit")
        habit_child = self.env.ref("trade_crm_tiering.partner_tag_habit_custom_orders")
        habit.trade_family = "stage"
        self.assertEqual((gcc.trade_family, habit_child.trade_family), ("stage", "stage"))

    def test_families_combine_in_search(self):
        def tag(xmlid):
            return self.env.ref(f"trade_crm_tiering.partner_tag_{xmlid}")

        gcc = self.env["res.partner.category"].create({"name": "GCC", "parent_id": tag("region_middle_east").id})
        match = self._customer(
            "Gulf Star", category_id=[(6, 0, (gcc | tag("product_plywood") | tag("stage_sample")).ids)]
        )
        self._customer(
            "Rhein Holz",
            category_id=[(6, 0, (tag("region_europe") | tag("product_plywood") | tag("stage_sample")).ids)],
        )
        self._customer("Al Noor", category_id=[(6, 0, (tag("region_middle_east") | tag("stage_long_term")).ids)])
        # What the search view's family fields send: one child_of condition per family, joined by AND.
        domain = [
            ("category_id", "child_of", tag("region_middle_east").id),
            ("category_id", "child_of", tag("product_plywood").id),
            ("category_id", "child_of", tag("stage_sample").id),
        ]
        self.assertEqual(self.env["res.partner"].search(domain), match)
        # Each family field suggests its own family's tags only.
        suggested = self.env["res.partner.category"].name_search("a", [("trade_family", "=", "region")], limit=None)
        families = (
            self.env["res.partner.category"].browse([tag_id for tag_id, _name in suggested]).mapped("trade_family")
        )
        self.assertEqual(set(families), {"region"})

    def test_search_view_has_a_field_per_family(self):
        arch = self.env["res.partner"].get_views([(False, "search")])["views"]["search"]["arch"]
        for family in ("region", "product", "habit", "stage"):
            self.assertIn(f"[('trade_family', '=', '{family}')]", arch)
