from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from .common import ROLE_GROUPS, company_user
from .test_service_tiers import TierCase


class PlaybookCase(TierCase):
    """The tiers of the test company with an admin who configures them and a sales director (the
    sales manager group: the default executive sponsors)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = company_user(cls.env, cls.company, "pb_admin", ROLE_GROUPS["admin"], "Ada Admin")
        cls.director = company_user(
            cls.env, cls.company, "pb_director", "sales_team.group_sale_manager", "Dirk Director"
        )
        cls.plan = cls.env.ref("trade_crm_tiering.activity_plan_tier_a")

    def _configure_tier(self, code, **values):
        """The admin sets the tier's playbook in the tier's form."""
        with Form(self.tiers[code].with_user(self.admin)) as form:
            for name, value in values.items():
                setattr(form, name, value)

    def _activities(self, partner):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                ("activity_type_id", "in", self._plan_types()),
            ]
        )

    def _plan_types(self):
        return self.env["mail.activity.plan.template"].search([]).activity_type_id.ids

    def _core_account(self, name="Lagos Timber Ltd"):
        customer = self._customer(name, user_id=self.rep.id, team_id=self.team.id)
        self._order(customer, 2_500_000)
        return customer


@tagged("post_install", "-at_install")
class TestTierPlaybookPlans(PlaybookCase):
    def test_example_plan_is_shipped(self):
        self.assertEqual(self.plan.res_model, "res.partner")
        self.assertEqual(
            self.plan.template_ids.mapped("summary"),
            ["Welcome call: the customer is now a core account", "Executive visit", "Sample review"],
        )
        self.assertIn("every quarter", str(self.plan.template_ids[1].note))

    def test_admin_regrade_launches_the_plan_of_the_tier_entered(self):
        self._configure_tier("A", activity_plan_id=self.plan)
        self.assertEqual(self.tiers["A"].activity_plan_id, self.plan)
        customer = self._core_account()
        self.assertFalse(self._activities(customer))
        customer.with_user(self.admin).action_tiering_regrade()
        self.assertEqual(customer.tiering_service_tier_id, self.tiers["A"])
        activities = self._activities(customer).sorted("date_deadline")
        self.assertEqual(
            [(a.summary, a.user_id, a.date_deadline) for a in activities],
            [
                ("Welcome call: the customer is now a core account", self.rep, self.today + timedelta(days=2)),
                ("Sample review", self.rep, self.today + timedelta(weeks=2)),
                ("Executive visit", self.rep, self.today + relativedelta(months=1)),
            ],
        )
        self.assertEqual(activities.mapped("res_name"), [customer.display_name] * 3)
        self.assertIn("every quarter", str(activities[2].note))
        # The rep works them like any activity.
        activities[0].with_user(self.rep).action_feedback(feedback="Introduced Sam as backup")
        # No tier change, no new plan.
        customer.with_user(self.admin).action_tiering_regrade()
        self.assertEqual(len(self._activities(customer)), 2)

    def test_nightly_pass_launches_plans_in_bulk(self):
        self._configure_tier("A", activity_plan_id=self.plan)
        customers = [self._core_account(f"Core Buyer {n}") for n in range(3)]
        orphan = self._core_account("Nobody's Customer")
        orphan.user_id = False
        self.env.ref("trade_crm_tiering.ir_cron_tiering_regrade").method_direct_trigger()
        for customer in customers:
            self.assertEqual(customer.tiering_service_tier_id, self.tiers["A"])
            self.assertEqual(len(self._activities(customer)), 3)
            self.assertEqual(self._activities(customer).user_id, self.rep)
        self.assertEqual(orphan.tiering_service_tier_id, self.tiers["A"])
        self.assertFalse(self._activities(orphan), "asked at launch, and nobody to ask: left out")
        self.env.ref("trade_crm_tiering.ir_cron_tiering_regrade").method_direct_trigger()
        self.assertEqual(len(self._activities(customers[0])), 3, "once, when the customer enters the tier")

    def test_approved_request_launches_the_plan_with_the_templates_responsibles(self):
        plan = (
            self.env["mail.activity.plan"]
            .with_user(self.admin)
            .create(
                {
                    "name": "Key account onboarding",
                    "res_model": "res.partner",
                    "template_ids": [
                        Command.create(
                            {
                                "summary": "Credit check",
                                "responsible_type": "other",
                                "responsible_id": self.supervisor.id,
                            }
                        ),
                        Command.create({"summary": "Introduce the team", "responsible_type": "on_demand"}),
                    ],
                }
            )
        )
        self._configure_tier("B", activity_plan_id=plan)
        request = self._request(self.rep, 4)
        request.with_user(self.rep).action_submit()
        self.assertFalse(self._activities(self.customer), "nothing before the approval")
        request.with_user(self.supervisor).action_approve()
        self.assertEqual(self.customer.tiering_service_tier_id, self.tiers["B"])
        activities = self._activities(self.customer)
        self.assertEqual(
            sorted((a.summary, a.user_id.name) for a in activities),
            [("Credit check", "Sam Supervisor"), ("Introduce the team", "Ravi Rep")],
        )

    def test_rep_cannot_change_the_playbook_of_a_tier(self):
        pricelist = self._pricelist(self.eur, self.company)
        tier = self.tiers["A"].with_user(self.rep)
        self.assertFalse(tier.activity_plan_id)
        with self.assertRaises(AccessError):
            tier.write({"activity_plan_id": self.plan.id})
        with self.assertRaises(AccessError):
            tier.write({"pricelist_id": pricelist.id})
        with self.assertRaises(AccessError):
            tier.write({"order_priority": False, "sponsor_expected": False})
        self.assertFalse(self.tiers["A"].activity_plan_id)
        self.assertTrue(self.tiers["A"].sponsor_expected)


@tagged("post_install", "-at_install")
class TestExecutiveSponsor(PlaybookCase):
    def _no_sponsor(self, user):
        return self.env["res.partner"].with_user(user).search([("tiering_sponsor_missing", "=", True)])

    def test_supervisor_sets_the_sponsor_of_a_core_account(self):
        core = self._core_account()
        core.action_tiering_regrade()
        key = self._key_account()
        self.assertEqual(
            (core.tiering_service_tier_id, key.tiering_service_tier_id), (self.tiers["A"], self.tiers["B"])
        )
        self.assertIn(core, self._no_sponsor(self.supervisor), "an A customer without a sponsor is listed")
        self.assertNotIn(key, self._no_sponsor(self.supervisor), "B customers need none")
        with Form(core.with_user(self.supervisor)) as form:
            form.tiering_executive_sponsor_id = self.director
        self.assertEqual(core.tiering_executive_sponsor_id, self.director)
        self.assertNotIn(core, self._no_sponsor(self.supervisor))
        self.assertFalse(core.with_user(self.rep).tiering_sponsor_missing)
        self.assertEqual(core.with_user(self.rep).tiering_executive_sponsor_id, self.director, "reps see it")

    def test_sponsor_outside_the_group_is_refused(self):
        core = self._core_account()
        with self.assertRaisesRegex(ValidationError, r"Ravi Rep .*Sales / Administrator"):
            core.with_user(self.supervisor).write({"tiering_executive_sponsor_id": self.rep.id})
        self.assertFalse(core.tiering_executive_sponsor_id)

    def test_admin_chooses_the_sponsor_group(self):
        self.assertEqual(self.company.tiering_sponsor_group_id, self.env.ref("sales_team.group_sale_manager"))
        supervisors = self.env.ref("trade_crm_tiering.group_tiering_supervisor")
        settings = Form(self.env["res.config.settings"].with_user(self.admin))
        settings.tiering_sponsor_group_id = supervisors
        settings.save().execute()
        self.assertEqual(self.company.tiering_sponsor_group_id, supervisors)
        core = self._core_account()
        core.with_user(self.supervisor).write({"tiering_executive_sponsor_id": self.approver.id})
        self.assertEqual(core.tiering_executive_sponsor_id, self.approver)
        with self.assertRaisesRegex(ValidationError, "Dirk Director"):
            core.with_user(self.supervisor).write({"tiering_executive_sponsor_id": self.director.id})

    def test_rep_cannot_set_the_sponsor(self):
        core = self._core_account()
        partners = self.env["res.partner"].with_user(self.rep)
        with self.assertRaises(AccessError):
            core.with_user(self.rep).write({"tiering_executive_sponsor_id": self.director.id})
        with self.assertRaises(AccessError):
            partners.create({"name": "Forged Sponsor Ltd", "tiering_executive_sponsor_id": self.director.id})
        with self.assertRaises(AccessError):
            partners.with_context(default_tiering_executive_sponsor_id=self.director.id).create(
                {"name": "Forged Default Ltd"}
            )
        core.with_user(self.supervisor).write({"tiering_executive_sponsor_id": self.director.id})
        with self.assertRaises(AccessError):
            core.with_user(self.rep).write({"tiering_executive_sponsor_id": False})
        # The rep still edits the rest of the customer, and a copy has no sponsor.
        core.with_user(self.rep).write({"phone": "+234 1 555 0100", "tiering_executive_sponsor_id": self.director.id})
        copy = core.with_user(self.rep).copy()
        self.assertFalse(copy.tiering_executive_sponsor_id)
        self.assertEqual(core.tiering_executive_sponsor_id, self.director)


@tagged("post_install", "-at_install")
class TestSingleThreadedAccount(PlaybookCase):
    def _warnings(self, partner, state=None):
        domain = [("partner_id", "=", partner.id), ("warning_type", "=", "single_threaded")]
        if state:
            domain.append(("state", "=", state))
        return self.env["trade.customer.warning"].search(domain)

    def _contacts(self, customer, count):
        return self.env["res.partner"].create(
            [
                {"name": f"{customer.name} contact {n}", "parent_id": customer.id, "type": "contact"}
                for n in range(count)
            ]
        )

    def test_core_and_key_accounts_with_one_contact_are_warned_once(self):
        core = self._core_account()
        key = self._key_account()
        general = self._customer("Small Shop", user_id=self.rep.id)
        self._order(general, 30_000)
        self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(general.tiering_service_tier_id, self.tiers["C"])
        self._contacts(core, 1)
        self._contacts(key, 1)
        self._contacts(key, 1).type = "invoice"  # an address is not a contact person
        self._contacts(general, 1)
        self.env.ref("trade_crm_tiering.ir_cron_tiering_scoring").method_direct_trigger()
        warning = self._warnings(core)
        self.assertEqual((warning.state, warning.user_id), ("open", self.rep))
        self.assertEqual(
            warning.activity_id.activity_type_id, self.env.ref("trade_crm_tiering.mail_activity_type_single_threaded")
        )
        self.assertEqual(warning.activity_id.summary, "Single-threaded account: add contacts")
        self.assertIn("one contact person", warning.details)
        self.assertEqual(self._warnings(key).state, "open")
        self.assertFalse(self._warnings(general), "C customers are not warned")
        # Once per episode.
        self.env.ref("trade_crm_tiering.ir_cron_tiering_scoring").method_direct_trigger()
        self.assertEqual(len(self._warnings(core)), 1)
        # More people known at the customer: the warning closes.
        self._contacts(core, 2)
        self.env["trade.tiering.scoring"]._score(self.company)
        self.assertEqual(self._warnings(core).state, "closed")
        self.assertEqual(self._warnings(key).state, "open")

    def test_admin_turns_the_warning_off_for_a_tier(self):
        key = self._key_account()
        self._configure_tier("B", single_thread_warning=False)
        self.env["trade.tiering.scoring"]._score(self.company)
        self.assertFalse(self._warnings(key))
        self._configure_tier("B", single_thread_warning=True)
        self.env["trade.tiering.scoring"]._score(self.company)
        self.assertEqual(self._warnings(key).state, "open")


@tagged("post_install", "-at_install")
class TestTierPricelist(PlaybookCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.core_pricelist = cls.env["product.pricelist"].create(
            {"name": "Core Customers", "currency_id": cls.usd.id, "company_id": cls.company.id}
        )

    def _quotation(self, customer):
        form = Form(self.env["sale.order"].with_user(self.rep))
        form.partner_id = customer
        with form.order_line.new() as line:
            line.product_id = self.product
        return form.save()

    def test_rep_quotation_gets_the_pricelist_of_the_tier(self):
        self._configure_tier("B", pricelist_id=self.core_pricelist)
        key = self._key_account()
        own = self._key_account("Own Pricelist GmbH")
        own.property_product_pricelist = self._pricelist(self.cny, self.company)
        self.assertEqual(
            own.with_company(self.company).specific_property_product_pricelist, self._pricelist(self.cny, self.company)
        )
        newcomer = self._customer("Newcomer Ltd", user_id=self.rep.id)
        self.assertEqual(self._quotation(key).pricelist_id, self.core_pricelist)
        self.assertEqual(
            self._quotation(own).pricelist_id,
            self._pricelist(self.cny, self.company),
            "the customer's own pricelist wins",
        )
        self.assertNotEqual(self._quotation(newcomer).pricelist_id, self.core_pricelist, "tier D has none")

    def test_archived_tier_pricelist_is_not_used(self):
        self._configure_tier("B", pricelist_id=self.core_pricelist)
        self.core_pricelist.active = False
        key = self._key_account()
        self.assertNotEqual(self._quotation(key).pricelist_id, self.core_pricelist)


@tagged("post_install", "-at_install")
class TestTierPriority(PlaybookCase):
    def test_open_orders_follow_the_tier(self):
        customer = self._customer("Rising Star Co", user_id=self.rep.id, team_id=self.team.id)
        confirmed = self._order(customer, 30_000)
        customer.action_tiering_regrade()
        self.assertEqual(customer.tiering_service_tier_id, self.tiers["C"])
        quotation = self._order(customer, 1_000, confirm=False)
        cancelled = self._order(customer, 1_000, confirm=False)
        cancelled.action_cancel()
        self.assertFalse(any((confirmed | quotation | cancelled).mapped("tiering_priority")))
        # The customer becomes a key account (B: priority orders) by the admin's regrade.
        self._order(customer, 400_000)
        customer.with_user(self.admin).action_tiering_regrade()
        self.assertEqual(customer.tiering_service_tier_id, self.tiers["B"])
        self.assertEqual((confirmed | quotation | cancelled).mapped("tiering_priority"), [True, True, False])
        # The admin takes the priority away from the tier: the open orders follow.
        self._configure_tier("B", order_priority=False)
        self.assertFalse(any((confirmed | quotation).mapped("tiering_priority")))

    def test_deliveries_carry_the_priority_when_stock_is_installed(self):
        customer = self._key_account()
        order = self._order(customer, 1_000)
        self.assertTrue(order.tiering_priority)
        # The add-on does not depend on stock: without it there is no delivery, and the sync
        # of the orders works alone.
        self._configure_tier("B", order_priority=False)
        self.assertFalse(order.tiering_priority)
        if "stock.picking" in self.env:
            self._configure_tier("B", order_priority=True)
            self.assertTrue(order.picking_ids)
            self.assertEqual(set(order.picking_ids.mapped("priority")), {"1"})
        else:
            self.assertNotIn("picking_ids", order._fields)
            self.assertEqual(self.env["sale.order"]._tiering_sync_delivery_priority(order.ids, []), None)


@tagged("post_install", "-at_install")
class TestTierPlaybookNote(PlaybookCase):
    """The customer's chatter says which playbook its new tier launched (issue 14)."""

    def _launch_notes(self, partner, user=None):
        partner = partner.with_user(user or self.rep)
        partner.invalidate_recordset(["message_ids"])
        return partner.message_ids.filtered(lambda m: "launched" in str(m.body) or "已启动" in str(m.body))

    def test_regrade_into_a_notes_the_playbook_once(self):
        self._configure_tier("A", activity_plan_id=self.plan)
        customer = self._core_account()
        customer.with_user(self.admin).action_tiering_regrade()
        notes = self._launch_notes(customer)
        self.assertEqual(len(notes), 1)
        self.assertEqual(
            notes.body,
            "<p>Playbook “Core Customer Playbook” launched: the customer entered tier A Core.</p>",
        )
        self.assertEqual(notes.subtype_id, self.env.ref("mail.mt_note"))
        self.assertEqual(notes.author_id, self.admin.partner_id)
        # No tier change, no new note.
        customer.with_user(self.admin).action_tiering_regrade()
        self.assertEqual(len(self._launch_notes(customer)), 1)

    def test_nightly_pass_notes_in_the_language_of_each_customer(self):
        self._configure_tier("A", activity_plan_id=self.plan)
        english = self._core_account("Core Buyer English")
        chinese_rep = company_user(self.env, self.company, "pb_rep_zh", ROLE_GROUPS["salesman"], "Zhang Rep")
        chinese_rep.lang = "zh_CN"
        chinese = self._core_account("Core Buyer Chinese")
        chinese.user_id = chinese_rep
        orphan = self._core_account("Nobody's Customer")
        orphan.user_id = False
        self.env.ref("trade_crm_tiering.ir_cron_tiering_regrade").method_direct_trigger()
        self.assertEqual(
            self._launch_notes(english).mapped("body"),
            ["<p>Playbook “Core Customer Playbook” launched: the customer entered tier A Core.</p>"],
        )
        self.assertEqual(
            self._launch_notes(chinese, chinese_rep).mapped("body"),
            ["<p>服务方案“Core Customer Playbook”已启动：客户已进入服务层级 A 核心客户。</p>"],  # noqa: RUF001
        )
        self.assertFalse(self._launch_notes(orphan, self.admin), "no activity launched, nothing to say")
