from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    """The demo shows a believable export business where every grade occurs."""

    def test_every_grade_occurs_among_demo_customers(self):
        customers = self.env["res.partner"].browse(
            self.env.ref(f"trade_crm_tiering.demo_customer_{index:02d}").id for index in range(1, 41)
        )
        self.assertEqual(set(customers.mapped("tiering_star_grade")), {"0", "1", "2", "3", "4", "5"})
        self.assertGreaterEqual(len(customers.country_id), 10)
        orders = self.env["sale.order"].search([("partner_id.commercial_partner_id", "in", customers.ids)])
        self.assertEqual(set(orders.currency_id.mapped("name")), {"USD", "EUR", "CNY"})
        self.assertTrue(all(order.state == "sale" for order in orders))
        self.assertTrue(
            all(customers.filtered(lambda c: c.tiering_star_grade == "5").mapped("tiering_grade_history_count"))
        )

    def test_demo_shows_the_tier_cadence_at_work(self):
        customers = self.env["res.partner"].browse(
            self.env.ref(f"trade_crm_tiering.demo_customer_{index:02d}").id for index in range(1, 41)
        )
        self.assertEqual(set(customers.tiering_service_tier_id.mapped("code")), {"A", "B", "C", "D"})
        follow_up = self.env.ref("trade_crm_tiering.mail_activity_type_tier_follow_up")
        planned = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", customers.ids),
                ("activity_type_id", "=", follow_up.id),
            ]
        )
        self.assertEqual(len(planned), len(set(planned.mapped("res_id"))), "one follow-up per customer")
        self.assertTrue(customers.filtered("tiering_pool_released_date"), "idle developing customers went to the pool")
        self.assertTrue(customers.filtered("tiering_backup_missing"), "a VIP without a backup is flagged")
        self.assertTrue(customers.filtered("tiering_follow_up_overdue"))

    def test_demo_customers_are_scored_and_warned(self):
        spiking = self.env.ref("trade_crm_tiering.demo_customer_41")
        dormant = self.env.ref("trade_crm_tiering.demo_customer_34")
        warnings = self.env["trade.customer.warning"].search([("state", "=", "open")])
        self.assertIn((spiking, "growth_spike"), {(w.partner_id, w.warning_type) for w in warnings})
        self.assertIn((dormant, "dormant"), {(w.partner_id, w.warning_type) for w in warnings})
        self.assertTrue(dormant.tiering_dormant)
        self.assertEqual(spiking.tiering_rating_wallet, "5")
        graded = self.env.ref("trade_crm_tiering.demo_customer_01")
        self.assertTrue(
            graded.tiering_score
            and graded.tiering_value_class
            and graded.tiering_rfm_segment
            and graded.tiering_health_band
        )

    def test_demo_customers_have_trade_profiles_and_tags(self):
        customers = self.env["res.partner"].browse(
            self.env.ref(f"trade_crm_tiering.demo_customer_{index:02d}").id for index in range(1, 41)
        )
        self.assertTrue(all(customers.mapped("trade_source")))
        families = {"region", "product", "habit", "stage"}
        for customer in customers:
            self.assertEqual(set(customer.category_id.mapped("trade_family")), families, customer.name)
        self.assertEqual(set(customers.mapped("trade_lifecycle")), {"potential", "intent", "deal", "lost"})
        greeting = self.env.ref("trade_crm_tiering.mail_activity_type_anniversary_greeting")
        greeted = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "in", customers.ids), ("activity_type_id", "=", greeting.id)]
        )
        self.assertTrue(greeted, "a key customer's founding anniversary is this week")

    def test_demo_orders_carry_their_customers_tier_payment_terms(self):
        customers = self.env["res.partner"].browse(
            self.env.ref(f"trade_crm_tiering.demo_customer_{index:02d}").id for index in range(1, 42)
        )
        orders = self.env["sale.order"].search([("partner_id.commercial_partner_id", "in", customers.ids)])
        self.assertTrue(orders)
        for order in orders:
            customer = order.partner_id.commercial_partner_id.with_company(order.company_id)
            self.assertEqual(order.payment_term_id, customer.tiering_service_tier_id.payment_term_id, customer.name)
        core = orders.filtered(lambda o: o.partner_id.commercial_partner_id.tiering_service_tier_id.code == "A")
        self.assertTrue(core)
        self.assertEqual(core.payment_term_id, self.env.ref("account.account_payment_term_45days"))
