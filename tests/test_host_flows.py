"""Odoo's own flows, run as the people who use it (never the superuser), with the add-on installed
(#11.2, #11.3)."""

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import RolesCase, make_role_users, role_password
from .test_attack_guards import RpcMixin


def _grade_as_engine(partner, company, tier):
    """A VIP grade as the grading engine (superuser) stores it."""
    partner.with_company(company).sudo().write(
        {
            "tiering_star_grade": "5",
            "tiering_star_grade_actual": "5",
            "tiering_grade_category": "vip",
            "tiering_service_tier_id": tier.id,
            "tiering_annual_amount": 800_000.0,
            "tiering_date": "2024-01-31",
            "tiering_last_interaction_date": "2024-02-01",
            "trade_lifecycle": "deal",
            "trade_lifecycle_auto": "deal",
        }
    )


@tagged("post_install", "-at_install")
class TestHostFlows(RolesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tier_a = cls.company.tiering_tier_ids.filtered(lambda t: t.code == "A")
        cls.tier_d = cls.company.tiering_tier_ids.filtered(lambda t: t.code == "D")
        cls.vip = cls._customer("Flow VIP AG", email="buyer@flow-vip.example", user_id=cls.salesman.id)
        _grade_as_engine(cls.vip, cls.company, cls.tier_a)

    def test_admin_creates_a_user(self):
        user = (
            self.env["res.users"]
            .with_user(self.admin)
            .create(
                {
                    "name": "New Colleague",
                    "login": "new_colleague",
                    "groups_id": [Command.set(self.env.ref("sales_team.group_sale_salesman").ids)],
                }
            )
        )
        self.assertTrue(user.has_group("trade_crm_tiering.group_tiering_user"))
        self.assertEqual(user.partner_id.with_company(self.company).tiering_star_grade, "0")

    def test_admin_creates_a_company_in_eur_while_usd_is_inactive(self):
        self.usd.with_context(force_deactivate=True).active = False
        company = (
            self.env["res.company"].with_user(self.admin).create({"name": "Euro GmbH", "currency_id": self.eur.id})
        )
        self.assertEqual(company.tiering_currency_id, self.eur)
        self.assertTrue(company.sudo().tiering_tier_ids)
        # Without a currency named, the company still gets one.
        bare = self.env["res.company"].with_user(self.admin).create({"name": "Bare GmbH"})
        self.assertTrue(bare.tiering_currency_id)

    def test_admin_creates_a_partner_from_form_defaults(self):
        partners = self.env["res.partner"].with_user(self.admin)
        values = partners.default_get(list(partners._fields))
        partner = partners.create({**values, "name": "Form Partner", "is_company": True})
        self.assertEqual(partner.with_company(self.company).tiering_star_grade, "0")

    def test_duplicate_archive_restore(self):
        for user in (self.admin, self.sales_manager, self.salesman):
            twin = self.vip.with_user(user).copy()
            graded = twin.with_company(self.company)
            self.assertEqual((graded.tiering_star_grade, graded.tiering_service_tier_id), ("0", self.tier_d))
            self.assertFalse(graded.tiering_last_interaction_date)
        customer = self.vip.with_user(self.admin)
        customer.action_archive()
        self.assertFalse(customer.active)
        customer.action_unarchive()
        self.assertTrue(customer.active)
        self.assertEqual(self.vip.with_company(self.company).tiering_star_grade, "5", "archiving keeps the grade")

    def test_admin_merges_customers(self):
        duplicate = self._customer("Flow VIP AG (duplicate)", email="buyer@flow-vip.example")
        plain = self._customer("Flow Plain AG", email="buyer@flow-vip.example")
        wizard = (
            self.env["base.partner.merge.automatic.wizard"]
            .with_user(self.admin)
            .create({"partner_ids": [Command.set((duplicate | self.vip).ids)], "dst_partner_id": self.vip.id})
        )
        wizard.action_merge()
        self.assertFalse(duplicate.exists())
        self.assertEqual(self.vip.with_company(self.company).tiering_star_grade, "5")
        # The other way round: an ungraded partner kept, a graded one merged into it.
        wizard = (
            self.env["base.partner.merge.automatic.wizard"]
            .with_user(self.admin)
            .create({"partner_ids": [Command.set((plain | self.vip).ids)], "dst_partner_id": plain.id})
        )
        wizard.action_merge()
        self.assertFalse(self.vip.exists())
        # Odoo's merge fills the kept partner's empty company values from the merged one's: the
        # duplicate's grade, until the next regrade counts the orders that moved with it.
        self.assertEqual(plain.with_company(self.company).tiering_star_grade, "5")

    def test_standard_import_of_contacts(self):
        for user in (self.admin, self.salesman):
            result = (
                self.env["res.partner"]
                .with_user(user)
                .load(["name", "email", "is_company"], [[f"Imported by {user.login}", "imp@example.com", "1"]])
            )
            self.assertFalse([m for m in result["messages"] if m["type"] == "error"], result["messages"])
            self.assertEqual(len(result["ids"]), 1)

    def test_salesman_converts_a_lead_into_a_customer(self):
        lead = (
            self.env["crm.lead"]
            .with_user(self.salesman)
            .create({"name": "Plywood for a hotel", "partner_name": "Hotel Lead GmbH", "contact_name": "Hanna"})
        )
        wizard = (
            self.env["crm.lead2opportunity.partner"]
            .with_user(self.salesman)
            .with_context(active_model="crm.lead", active_id=lead.id, active_ids=lead.ids)
            .create({"name": "convert", "action": "create"})
        )
        wizard.action_apply()
        self.assertEqual(lead.type, "opportunity")
        self.assertTrue(lead.partner_id)
        self.assertEqual(lead.partner_id.commercial_partner_id.with_company(self.company).tiering_star_grade, "0")

    def test_salesman_creates_a_customer_from_the_quotation_field(self):
        partner_id, _name = (
            self.env["res.partner"]
            .with_user(self.salesman)
            .with_context(default_tiering_star_grade="5", default_tiering_service_tier_id=self.tier_a.id)
            .name_create("Quotation Customer Ltd")
        )
        order = (
            self.env["sale.order"]
            .with_user(self.salesman)
            .create(
                {
                    "partner_id": partner_id,
                    "order_line": [Command.create({"product_id": self.product.id, "price_unit": 100.0})],
                }
            )
        )
        self.assertEqual(order.partner_id.with_company(self.company).tiering_star_grade, "0")
        self.assertEqual(order.partner_id.with_company(self.company).tiering_service_tier_id, self.tier_d)

    def test_accountant_posts_an_invoice(self):
        if not self.env["account.journal"].search([("company_id", "=", self.company.id), ("type", "=", "sale")]):
            self.env["account.chart.template"].try_loading("generic_coa", company=self.company, install_demo=False)
        invoice = (
            self.env["account.move"]
            .with_user(self.accountant)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.vip.id,
                    "invoice_line_ids": [
                        Command.create({"product_id": self.product.id, "quantity": 1, "price_unit": 250.0})
                    ],
                }
            )
        )
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.invoice_payment_term_id, self.tier_a.payment_term_id)


@tagged("post_install", "-at_install")
class TestHostFlowsOverRpc(RpcMixin, HttpCase):
    """The same flows as the web client drives them, over JSON-RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls._rpc_company("RPC Flows Co")
        cls.roles = make_role_users(cls.env, cls.company, prefix="flow")
        tier_a = cls.company.tiering_tier_ids.filtered(lambda t: t.code == "A")
        cls.vip = cls.env["res.partner"].create({"name": "RPC VIP AG", "is_company": True, "email": "v@rpc.example"})
        _grade_as_engine(cls.vip, cls.company, tier_a)

    def _ok(self, *args, **kwargs):
        result, error = self._rpc(*args, **kwargs)
        self.assertFalse(error)
        return result

    def test_flows_over_json_rpc(self):
        self._login(self.roles["admin"])
        user_id = self._ok("res.users", "create", [{"name": "RPC Colleague", "login": "rpc_colleague"}])
        self.assertTrue(self.env["res.users"].browse(user_id).partner_id)
        defaults = self._ok(
            "res.partner", "default_get", [["name", "trade_lifecycle", "tiering_star_grade", "user_id"]]
        )
        partner_id = self._ok("res.partner", "create", [{**defaults, "name": "RPC Form Partner"}])
        twin_ids = self._ok("res.partner", "copy", [[self.vip.id]])
        self._ok("res.partner", "action_archive", [twin_ids])
        self._ok("res.partner", "action_unarchive", [twin_ids])
        wizard_id = self._ok(
            "base.partner.merge.automatic.wizard",
            "create",
            [{"partner_ids": [Command.set([partner_id, twin_ids[0]])], "dst_partner_id": twin_ids[0]}],
        )
        self._ok("base.partner.merge.automatic.wizard", "action_merge", [[wizard_id]])
        self.assertFalse(self.env["res.partner"].browse(partner_id).exists())
        imported = self._ok("res.partner", "load", [["name", "is_company"], [["RPC Imported", "1"]]])
        self.assertTrue(imported["ids"])

        self._login(self.roles["salesman"])
        (customer_id, _name) = self._ok("res.partner", "name_create", ["RPC Quotation Customer"])
        self._ok("sale.order", "create", [{"partner_id": customer_id}])
        lead_id = self._ok("crm.lead", "create", [{"name": "RPC lead", "partner_name": "RPC Lead GmbH"}])
        context = {"active_model": "crm.lead", "active_id": lead_id, "active_ids": [lead_id]}
        wizard_id = self._ok(
            "crm.lead2opportunity.partner", "create", [{"name": "convert", "action": "create"}], context=context
        )
        self._ok("crm.lead2opportunity.partner", "action_apply", [[wizard_id]], context=context)
        self.assertTrue(self.env["crm.lead"].browse(lead_id).partner_id)

    def test_portal_user_opens_their_account_page(self):
        portal = self.roles["portal"]
        self.authenticate(portal.login, role_password(portal.login))
        response = self.url_open("/my/account")
        self.assertEqual(response.status_code, 200)
        self.assertIn(portal.partner_id.name, response.text)
