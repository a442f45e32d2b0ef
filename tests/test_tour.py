from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged

from .common import MANAGER_GROUPS, REP_GROUPS, SUPERVISOR_GROUPS, TourCase, company_user


@tagged("post_install", "-at_install")
class TestCustomerGradeTour(HttpCase):
    def test_rep_sees_the_stars_of_a_graded_customer(self):
        self.env.company.tiering_auto_upgrade = "apply"
        rep = company_user(self.env, self.env.company, "tour_rep", REP_GROUPS)
        customer = self.env["res.partner"].create(
            # The rep serves the customer: reps read the grade history of their customers only (#12.11).
            {"name": "Tour Timber Importers", "is_company": True, "customer_rank": 1, "user_id": rep.id}
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
        self.assertEqual(customer.tiering_star_grade, "3")
        self.start_tour(
            "/odoo/action-account.res_partner_action_customer", "trade_crm_tiering_customer_grade", login=rep.login
        )


@tagged("post_install", "-at_install")
class TestGradeApprovalTour(TourCase):
    def test_rep_requests_and_supervisor_approves(self):
        company = self.env.company
        rep, supervisor, customer = self._team_customer("tour_req", "Tour Team", "Hamburg Timber Tour")
        self.assertEqual(customer.with_company(company).tiering_star_grade, "0")

        self.start_tour(f"/odoo/res.partner/{customer.id}", "trade_crm_tiering_request_grade", login=rep.login)
        request = self.env["trade.grade.request"].search([("partner_id", "=", customer.id)])
        self.assertEqual((request.state, request.requested_star, request.requester_id), ("to_approve", "4", rep))
        self.assertEqual(request.activity_ids.user_id, supervisor)

        self.start_tour("/odoo", "trade_crm_tiering_approve_grade", login=supervisor.login)
        self.assertEqual(request.state, "approved")
        self.assertEqual(customer.with_company(company).tiering_star_grade, "4")


@tagged("post_install", "-at_install")
class TestDiscountApprovalTour(TourCase):
    def test_rep_asks_and_supervisor_approves_a_discount(self):
        rep, supervisor, customer, product = self._tier_b_customer(
            "tour_disc", "Discount Team", "Discount Tour Traders", "Tour Panel"
        )
        quotation = self._rep_quotation(rep, customer, product, price_unit=1_000, discount=8)
        self.start_tour(f"/odoo/sales/{quotation.id}", "trade_crm_tiering_ask_discount", login=rep.login)
        self.assertEqual(quotation.tiering_discount_approval_state, "pending")
        self.start_tour("/odoo", "trade_crm_tiering_approve_discount", login=supervisor.login)
        self.assertEqual(quotation.tiering_discount_approval_state, "approved")
        quotation.with_user(rep).action_confirm()
        self.assertEqual(quotation.state, "sale")


@tagged("post_install", "-at_install")
class TestApprovalActivityTourZh(HttpCase):
    """#16.2, #16.3 and #16.8 in Chinese: the template downloads on the first click, the grade
    request dialog says what the grade is and who approves it, the supervisor approves from the
    activity."""

    def setUp(self):
        super().setUp()
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["trade_crm_tiering"], ["zh_CN"], overwrite=True)
        self.env.company.tiering_auto_upgrade = "request"
        # A sales administrator serving the customer: imports customers and asks for grades.
        company = self.env.company
        self.requester = company_user(
            self.env, company, "tour_zh_admin", MANAGER_GROUPS, "Li Tour Sales Admin", lang="zh_CN"
        )
        self.supervisor = company_user(
            self.env, company, "tour_zh_sup", SUPERVISOR_GROUPS, "Wang Tour Supervisor", lang="zh_CN"
        )
        team = self.env["crm.team"].create(
            {"name": "Zhejiang Tour Team", "user_id": self.supervisor.id, "member_ids": self.requester.ids}
        )
        self.customer = self.env["res.partner"].create(
            {"name": "Zhejiang Tour Timber", "is_company": True, "user_id": self.requester.id, "team_id": team.id}
        )

    def test_import_template_request_dialog_and_approval_from_the_activity(self):
        self.start_tour(
            "/odoo/action-sale.action_quotations_with_onboarding",
            "trade_crm_tiering_zh_import_template",
            login=self.requester.login,
        )
        wizard = self.env["trade.customer.import.wizard"].search([("create_uid", "=", self.requester.id)])
        self.assertEqual(len(wizard), 1, "the first click saved the wizard, without a file")
        self.assertFalse(wizard.file)
        self.assertTrue(wizard.template_file, "the template was built for the download")

        self.start_tour(
            f"/odoo/res.partner/{self.customer.id}", "trade_crm_tiering_zh_request_grade", login=self.requester.login
        )
        request = self.env["trade.grade.request"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(
            (request.state, request.requested_star, request.requester_id), ("to_approve", "4", self.requester)
        )
        self.assertEqual(request.tiering_approval_user_id, self.supervisor)

        self.start_tour(
            "/odoo/action-trade_crm_tiering.action_trade_grade_request",
            "trade_crm_tiering_zh_approve_from_activity",
            login=self.supervisor.login,
        )
        self.assertEqual(request.state, "approved")
        self.assertEqual(request.tiering_approval_step_ids.signed_by_id, self.supervisor)
        self.assertEqual(self.customer.with_company(self.env.company).tiering_star_grade, "4")
