"""Duplicate check (查重) as the rep, the supervisor, the GM and the administrator (#13.4)."""

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, tagged

from .common import ADMIN_GROUPS, GM_GROUPS, REP_GROUPS, SUPERVISOR_GROUPS, TieringCase, company_user


class DuplicateCase(TieringCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rep = cls._user("dup_rep", REP_GROUPS, "Ravi Rep")
        cls.other_rep = cls._user("dup_rep2", REP_GROUPS, "Olga Rep")
        cls.supervisor = cls._user("dup_sup", SUPERVISOR_GROUPS, "Sam Supervisor")
        cls.gm = cls._user("dup_gm", GM_GROUPS, "Grace Manager")
        cls.admin = cls._user("dup_admin", ADMIN_GROUPS, "Ada Admin")
        cls.germany = cls.env.ref("base.de")
        cls.acme = cls._customer(
            "Acme Trading Ltd",
            vat="DE123456789",
            email="sales@acme-trading.com",
            phone="+49 30 1234567",
            country_id=cls.germany.id,
            user_id=cls.other_rep.id,
        )
        cls.acme.with_company(cls.company).write({"tiering_star_grade": "3", "tiering_star_grade_actual": "3"})

    def _partners(self, user):
        return self.env["res.partner"].with_user(user).with_context(allowed_company_ids=[self.company.id])


@tagged("post_install", "-at_install")
class TestDuplicateCheck(DuplicateCase):
    def test_form_warns_before_saving_with_salesperson_and_grade(self):
        form = Form(self._partners(self.rep))
        form.company_type = "company"
        form.name = "ACME TRADING GmbH"
        form.country_id = self.germany
        warning = form.trade_duplicate_warning
        self.assertIn("Acme Trading Ltd", warning)
        self.assertIn("Olga Rep", warning)
        self.assertIn("3 stars", warning)
        self.assertIn("same name and country", warning)

    def test_form_matches_vat_domain_and_phone(self):
        for field, value, reason in (
            ("vat", "123.456.789", "same VAT"),
            ("email", "ceo@acme-trading.com", "same email domain"),
            ("phone", "030 1234567", "same phone"),
        ):
            with self.subTest(field=field):
                form = Form(self._partners(self.rep))
                form.company_type = "company"
                form.name = "Someone Else"
                setattr(form, field, value)
                self.assertIn(reason, form.trade_duplicate_warning or "")

    def test_free_mail_and_other_country_do_not_match(self):
        form = Form(self._partners(self.rep))
        form.company_type = "company"
        form.name = "Acme Trading"
        form.country_id = self.env.ref("base.fr")
        form.email = "acme@gmail.com"
        self.assertFalse(form.trade_duplicate_warning)

    def test_rep_cannot_create_another_reps_customer(self):
        with self.assertRaisesRegex(UserError, "Acme Trading Ltd, a customer of Olga Rep"):
            self._partners(self.rep).create({"name": "Acme Trading Co., Ltd.", "is_company": True, "vat": "123456789"})
        self.assertFalse(self.env["res.partner"].search_count([("name", "=", "Acme Trading Co., Ltd.")]))

    def test_rep_may_create_contacts_individuals_and_own_duplicates(self):
        partners = self._partners(self.rep)
        person = partners.create({"name": "Hans", "email": "hans@acme-trading.com"})
        self.assertFalse(person.is_company)
        own = partners.create({"name": "Rep Own GmbH", "is_company": True, "user_id": self.rep.id})
        again = partners.create({"name": "Rep Own Ltd", "is_company": True, "user_id": self.rep.id})
        self.assertIn("Rep Own GmbH", again.trade_duplicate_warning)
        self.assertTrue(own.exists())

    def test_rep_cannot_edit_a_customer_into_a_duplicate(self):
        fresh = self._partners(self.rep).create({"name": "Fresh Timber", "is_company": True, "user_id": self.rep.id})
        with self.assertRaisesRegex(UserError, "Olga Rep"):
            fresh.write({"vat": "DE 123 456 789"})
        with self.assertRaisesRegex(UserError, "Olga Rep"):
            fresh.write({"name": "Acme Trading", "country_id": self.germany.id})
        self.assertFalse(fresh.vat)

    def test_supervisor_and_gm_may_create_and_confirm(self):
        twin = self._partners(self.supervisor).create(
            {"name": "Acme Trading Ltd", "is_company": True, "country_id": self.germany.id}
        )
        self.assertIn("Acme Trading Ltd", twin.trade_duplicate_warning)
        twin.with_user(self.supervisor).action_trade_confirm_not_duplicate()
        self.assertEqual(twin.sudo().trade_not_duplicate_ids, self.acme)
        twin.with_user(self.supervisor).user_id = self.rep
        # The rep edits the confirmed customer freely...
        twin.with_user(self.rep).write({"name": "Acme Trading Ltd.", "phone": "+49 89 7654321"})
        # ...but not into a duplicate of another customer nobody confirmed.
        beta = self._customer("Beta Kft", vat="HU99887766", user_id=self.other_rep.id)
        with self.assertRaisesRegex(UserError, "Beta Kft"):
            twin.with_user(self.rep).write({"vat": "HU 99887766"})
        gm_twin = self._partners(self.gm).create({"name": "Beta", "is_company": True, "vat": "99887766"})
        self.assertIn("Beta Kft", gm_twin.trade_duplicate_warning)
        self.assertTrue(beta.exists())

    def test_rep_cannot_confirm_not_a_duplicate(self):
        own = self._partners(self.rep).create({"name": "Rep Plywood", "is_company": True, "user_id": self.rep.id})
        with self.assertRaisesRegex(AccessError, "supervisors"):
            own.with_user(self.rep).action_trade_confirm_not_duplicate()
        with self.assertRaises(AccessError):
            own.with_user(self.rep).write({"trade_not_duplicate_ids": [Command.link(self.acme.id)]})

    def test_confirming_a_customer_without_match_is_a_clear_error(self):
        lone = self._customer("Lonely Lumber Pty", vat="AU5550001112")
        with self.assertRaisesRegex(UserError, "Lonely Lumber Pty matches no other customer"):
            lone.with_user(self.supervisor).action_trade_confirm_not_duplicate()

    def test_lead_form_warns_before_saving(self):
        form = Form(self.env["crm.lead"].with_user(self.rep).with_context(allowed_company_ids=[self.company.id]))
        form.name = "Plywood inquiry"
        form.email_from = "buyer@acme-trading.com"
        self.assertIn("Acme Trading Ltd", form.trade_duplicate_warning)
        self.assertIn("Olga Rep", form.trade_duplicate_warning)
        lead = form.save()
        self.assertTrue(lead.exists())


@tagged("post_install", "-at_install")
class TestDuplicateAdmin(DuplicateCase):
    def test_possible_duplicates_list_and_merge_action(self):
        twin = self._customer("ACME trading GmbH", vat="DE 123456789")
        groups = self.env["trade.duplicate.group"].with_user(self.admin).search([("partner_id", "=", self.acme.id)])
        self.assertIn("vat", groups.mapped("reason"))
        vat_group = groups.filtered(lambda g: g.reason == "vat")
        self.assertEqual(vat_group.size, 2)
        self.assertIn("ACME trading GmbH", vat_group.partner_names)
        action = vat_group.action_merge()
        self.assertEqual(action["res_model"], "base.partner.merge.automatic.wizard")
        self.assertEqual(action["context"]["active_ids"], sorted((self.acme | twin).ids))
        with self.assertRaises(AccessError):
            self.env["trade.duplicate.group"].with_user(self.rep).search([])

    def test_possible_duplicates_by_name_and_country_and_by_mobile(self):
        """Each kind of key finds its members: name within a country, a mobile equal to a phone."""
        twin = self._customer("Acme Trading GmbH", country_id=self.germany.id, user_id=self.rep.id)
        self._customer("Acme Trading Ltd", country_id=self.env.ref("base.fr").id, user_id=self.rep.id)
        by_mobile = self._customer("Zeta Imports", mobile="+49 30 1234567", user_id=self.rep.id)
        self.assertEqual(twin.trade_dup_name_key, self.acme.trade_dup_name_key)
        groups = self.env["trade.duplicate.group"].with_user(self.admin)
        found = groups.search([("partner_id", "=", self.acme.id)])
        name_group = found.filtered(lambda g: g.reason == "name_country")
        self.assertEqual((name_group.size, name_group.key), (2, self.acme.trade_dup_name_key))
        self.assertEqual(name_group.partner_names, "Acme Trading Ltd, Acme Trading GmbH")
        self.assertEqual(name_group.salespeople, "Olga Rep, Ravi Rep")
        self.assertEqual(name_group.action_merge()["context"]["active_ids"], [self.acme.id, twin.id])
        phone_group = found.filtered(lambda g: g.reason == "phone")
        self.assertEqual(phone_group.partner_names, "Acme Trading Ltd, Zeta Imports")
        self.assertEqual(phone_group.action_merge()["context"]["active_ids"], [self.acme.id, by_mobile.id])
        self.assertEqual(groups.search([("reason", "=", "phone")]), phone_group)

    def test_admin_and_odoo_flows_are_not_refused(self):
        twin = self._partners(self.admin).create({"name": "Acme Trading", "is_company": True, "vat": "123456789"})
        self.assertTrue(twin.exists())
        user = self.env["res.users"].with_user(self.admin).create({"name": "Acme Trading", "login": "acme_login"})
        self.assertFalse(user.partner_id.is_company)

    def test_merge_regrades_from_the_union_and_keeps_histories_and_requests(self):
        self.company.tiering_last_regrade = fields.Datetime.now()
        twin = self._customer("Acme Trading", vat="123456789", user_id=self.other_rep.id)
        self.acme.with_company(self.company).sudo().write(
            {"tiering_star_grade": False, "tiering_star_grade_actual": False}
        )
        self._order(self.acme, 30_000)
        self._order(twin, 30_000)
        engine = self.env["trade.tiering.engine"]
        engine._regrade(self.company, (self.acme | twin).ids)
        self.assertEqual(self._grade(self.acme)[0], "1")
        self.assertEqual(self._grade(twin)[0], "1")
        histories = self._history(self.acme) | self._history(twin)
        self.assertTrue(self._history(twin))
        request = (
            self.env["trade.grade.request"]
            .sudo()
            .create({"partner_id": twin.id, "company_id": self.company.id, "requested_star": "3", "reason": "Big"})
        )
        wizard = (
            self.env["base.partner.merge.automatic.wizard"]
            .with_user(self.admin)
            .with_context(active_model="res.partner", active_ids=(self.acme | twin).ids)
            .create({})
        )
        wizard.dst_partner_id = self.acme
        wizard.action_merge()
        self.assertFalse(twin.exists())
        self.assertEqual(self._grade(self.acme), ("2", 60_000))
        self.assertLessEqual(histories, self._history(self.acme))
        self.assertEqual(request.partner_id, self.acme)


@tagged("post_install", "-at_install")
class TestDuplicateWarningTour(HttpCase):
    def test_rep_sees_the_duplicate_before_saving(self):
        rep = company_user(self.env, self.env.company, "dup_tour_rep", REP_GROUPS)
        other = company_user(self.env, self.env.company, "dup_tour_rep2", REP_GROUPS, "Olga Tour")
        acme = self.env["res.partner"].create(
            {"name": "Acme Tour Trading Ltd", "is_company": True, "country_id": self.env.ref("base.de").id}
        )
        acme.user_id = other
        acme.with_company(self.env.company).write({"tiering_star_grade": "4", "tiering_star_grade_actual": "4"})
        self.start_tour(
            "/odoo/action-base.action_partner_form/new", "trade_crm_tiering_duplicate_warning", login=rep.login
        )
        self.assertEqual(self.env["res.partner"].search_count([("name", "=", "Acme Tour Trading GmbH")]), 0)
