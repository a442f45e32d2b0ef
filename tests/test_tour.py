from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestCustomerGradeTour(HttpCase):
    def test_rep_sees_the_stars_of_a_graded_customer(self):
        rep = new_test_user(self.env, login="tour_rep", groups="sales_team.group_sale_salesman", lang="en_US")
        customer = self.env["res.partner"].create(
            {"name": "Tour Timber Importers", "is_company": True, "customer_rank": 1}
        )
        product = self.env["product.product"].create({"name": "Tour Plywood", "taxes_id": [Command.clear()]})
        order = self.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "user_id": rep.id,
                "order_line": [Command.create({"product_id": product.id, "price_unit": 400_000, "tax_id": False})],
            }
        )
        order.action_confirm()
        order.date_order = fields.Datetime.now() - timedelta(days=3)
        customer.action_tiering_regrade()
        self.assertEqual(customer.star_grade, "3")
        self.start_tour(
            "/odoo/action-account.res_partner_action_customer", "trade_crm_tiering_customer_grade", login=rep.login
        )
