from datetime import timedelta

from odoo import Command, fields, http
from odoo.tests import HttpCase, tagged

from .common import GM_GROUPS, REP_GROUPS, company_user, read_xlsx


@tagged("post_install", "-at_install")
class TestPortfolioDashboardTour(HttpCase):
    """A company of its own with two customers: 600,000 and 150,000 USD over the last 12 months."""

    def setUp(self):
        super().setUp()
        usd = self.env.ref("base.USD")
        self.company = self.env["res.company"].create(
            {"name": "Tour Export Co", "currency_id": usd.id, "tiering_auto_upgrade": "apply"}
        )
        self.env.user.company_ids |= self.company
        self.gm = company_user(self.env, self.company, "tour_portfolio_gm", GM_GROUPS, "Gina Tour Manager")
        self.rep = company_user(self.env, self.company, "tour_portfolio_rep", REP_GROUPS, "Tina Tour Rep")
        self.company.tiering_gm_id = self.gm
        env = self.env(context=dict(self.env.context, allowed_company_ids=[self.company.id]))
        pricelist = env["product.pricelist"].create(
            {"name": "Tour USD", "currency_id": usd.id, "company_id": self.company.id}
        )
        product = env["product.product"].create({"name": "Tour Oak Veneer", "taxes_id": [Command.clear()]})
        for name, amount in (("Tour Timber Giant", 600_000), ("Tour Small Buyer", 150_000)):
            customer = env["res.partner"].create({"name": name, "is_company": True, "user_id": self.rep.id})
            order = env["sale.order"].create(
                {
                    "partner_id": customer.id,
                    "company_id": self.company.id,
                    "pricelist_id": pricelist.id,
                    "order_line": [Command.create({"product_id": product.id, "price_unit": amount, "tax_id": False})],
                }
            )
            order.action_confirm()
            order.date_order = fields.Datetime.now() - timedelta(days=20)
        env["res.partner"].action_tiering_regrade()
        env["trade.portfolio.month"]._refresh(self.company)

    def test_general_manager_reads_the_dashboard(self):
        data = self.env["trade.portfolio.dashboard"].with_user(self.gm).get_data()
        self.assertEqual(data["company"]["name"], "Tour Export Co")
        self.assertEqual([c["name"] for c in data["top_customers"]], ["Tour Timber Giant", "Tour Small Buyer"])
        self.start_tour(
            "/odoo/action-trade_crm_tiering.action_trade_portfolio_dashboard",
            "trade_crm_tiering_portfolio_dashboard",
            login=self.gm.login,
        )

    def test_xlsx_download(self):
        self.authenticate(self.gm.login, self.gm.login)
        response = self.url_open(
            "/trade_crm_tiering/portfolio/xlsx",
            data={"company_id": self.company.id, "period": "last_year", "csrf_token": http.Request.csrf_token(self)},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("spreadsheetml", response.headers["Content-Type"])
        self.assertIn("Portfolio%20Tour%20Export%20Co", response.headers["Content-Disposition"])
        book = read_xlsx(response.content)
        self.assertEqual(book["Concentration"]["B4"].value, "Tour Timber Giant")
        self.assertIn("Last year", book["Summary"]["B7"].value)

    def test_xlsx_download_of_a_company_not_allowed(self):
        self.authenticate(self.rep.login, self.rep.login)
        main = self.env.ref("base.main_company")
        response = self.url_open(
            "/trade_crm_tiering/portfolio/xlsx",
            data={"company_id": main.id, "csrf_token": http.Request.csrf_token(self)},
        )
        self.assertNotEqual(response.status_code, 200)
        self.assertNotIn("spreadsheetml", response.headers.get("Content-Type", ""))
