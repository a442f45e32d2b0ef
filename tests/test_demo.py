from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    """The demo shows a believable export business where every grade occurs."""

    def test_every_grade_occurs_among_demo_customers(self):
        customers = self.env["res.partner"].browse(
            self.env.ref(f"trade_crm_tiering.demo_customer_{index:02d}").id for index in range(1, 41)
        )
        self.assertEqual(set(customers.mapped("star_grade")), {"0", "1", "2", "3", "4", "5"})
        self.assertGreaterEqual(len(customers.country_id), 10)
        orders = self.env["sale.order"].search([("partner_id.commercial_partner_id", "in", customers.ids)])
        self.assertEqual(set(orders.currency_id.mapped("name")), {"USD", "EUR", "CNY"})
        self.assertTrue(all(order.state == "sale" for order in orders))
        self.assertTrue(all(customers.filtered(lambda c: c.star_grade == "5").mapped("grade_history_count")))

    def test_demo_customers_are_scored_and_warned(self):
        spiking = self.env.ref("trade_crm_tiering.demo_customer_41")
        dormant = self.env.ref("trade_crm_tiering.demo_customer_34")
        warnings = self.env["trade.customer.warning"].search([("state", "=", "open")])
        self.assertIn((spiking, "growth_spike"), {(w.partner_id, w.warning_type) for w in warnings})
        self.assertIn((dormant, "dormant"), {(w.partner_id, w.warning_type) for w in warnings})
        self.assertTrue(dormant.tiering_dormant)
        self.assertEqual(spiking.tiering_rating_wallet, "5")
        graded = self.env.ref("trade_crm_tiering.demo_customer_01")
        self.assertTrue(graded.tiering_score and graded.value_class and graded.rfm_segment and graded.health_band)
