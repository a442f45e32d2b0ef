"""Attacks over JSON-RPC, each as the role named in issue 12, each refused or without effect, and
nothing written (#12.1, #12.3, #12.6, #12.10)."""

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common import REP_GROUPS, SUPERVISOR_GROUPS, TieringCase, call_kw, company_user, make_role_users, role_password


class RpcMixin:
    """call_kw over JSON-RPC as the web client sends it, the error's type and message kept."""

    def _login(self, user):
        self.authenticate(user.login, role_password(user.login))

    def _rpc(self, model, method, args, kwargs=None, context=None):
        """``(result, error)``: ``error`` is ``"<exception name>: <message>"`` or None."""
        kwargs = dict(kwargs or {})
        kwargs["context"] = {"allowed_company_ids": [self.company.id], "lang": "en_US", **(context or {})}
        body = call_kw(self, model, method, args, kwargs)
        if "error" in body:
            data = body["error"]["data"]
            return None, f"{data['name']}: {data['message']}"
        return body.get("result"), None

    @classmethod
    def _rpc_company(cls, name):
        """A USD company of the test's own, which the superuser (who sets the fixtures up) may use."""
        company = cls.env["res.company"].create({"name": name, "currency_id": cls.env.ref("base.USD").id})
        cls.env.user.company_ids |= company
        return company

    def assertRefused(self, error, exception, regex):  # noqa: N802 (unittest style)
        self.assertTrue(error, "the call went through")
        self.assertIn(exception, error)
        self.assertRegex(error, regex)


class AttackCase(RpcMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.usd = cls.env.ref("base.USD")
        cls.company = cls._rpc_company("Attack Trading Co")
        cls.roles = make_role_users(cls.env, cls.company, prefix="atk")
        cls.salesman, cls.admin, cls.portal = cls.roles["salesman"], cls.roles["admin"], cls.roles["portal"]
        cls.other_rep = company_user(cls.env, cls.company, "atk_rep2", REP_GROUPS)
        cls.supervisor = company_user(cls.env, cls.company, "atk_sup", SUPERVISOR_GROUPS)
        cls.tiers = {tier.code: tier for tier in cls.company.tiering_tier_ids}
        cls.vip = cls.env["res.partner"].create({"name": "Attack VIP GmbH", "is_company": True})
        # The grading engine's values, set as the superuser the engine runs as.
        cls.vip.with_company(cls.company).write(
            {
                "tiering_star_grade": "5",
                "tiering_star_grade_actual": "4",
                "tiering_star_grade_potential": "5",
                "tiering_grade_category": "vip",
                "tiering_service_tier_id": cls.tiers["A"].id,
                "tiering_annual_amount": 900_000.0,
            }
        )

    def _grading(self, partner):
        partner = partner.with_company(self.company)
        partner.invalidate_recordset()
        return (
            partner.tiering_star_grade,
            partner.tiering_grade_category,
            partner.tiering_star_grade_potential,
            partner.tiering_service_tier_id,
            partner.tiering_annual_amount,
        )

    def _ungraded(self):
        # A customer never graded reads the defaults: no stars, ordinary, the company's lowest tier.
        return ("0", "ordinary", False, self.tiers["D"], 0.0)

    def _named(self, name):
        return self.env["res.partner"].with_context(active_test=False).search([("name", "=", name)])


@tagged("post_install", "-at_install")
class TestContextDefaultAttacks(AttackCase):
    """#12.1: no system field takes a value from context defaults, copy defaults, load or name_create."""

    def _vip_defaults(self):
        return {
            "default_tiering_star_grade": "5",
            "default_tiering_star_grade_actual": "5",
            "default_tiering_grade_category": "vip",
            "default_tiering_star_grade_potential": "5",
            "default_tiering_service_tier_id": self.tiers["A"].id,
            "default_tiering_annual_amount": 1_000_000.0,
            "default_tiering_date": "2020-01-01",
            "default_trade_lifecycle": "deal",
            "default_tiering_score_current": 100,
        }

    def test_create_with_context_defaults_gets_no_grade(self):
        self._login(self.salesman)
        partner_id, error = self._rpc(
            "res.partner", "create", [{"name": "Ctx VIP Ltd", "is_company": True}], context=self._vip_defaults()
        )
        self.assertFalse(error)
        partner = self.env["res.partner"].browse(partner_id)
        self.assertEqual(self._grading(partner), self._ungraded())
        self.assertFalse(partner.with_company(self.company).tiering_date)
        self.assertFalse(partner.with_company(self.company).tiering_score_current)
        # A form shows what it would save: the defaults it gets carry no grade either.
        defaults, error = self._rpc(
            "res.partner",
            "default_get",
            [["tiering_star_grade", "tiering_grade_category", "tiering_service_tier_id"]],
            context=self._vip_defaults(),
        )
        self.assertFalse(error)
        self.assertNotEqual(defaults.get("tiering_star_grade"), "5")
        self.assertEqual(defaults.get("tiering_service_tier_id"), self.tiers["D"].id)

    def test_web_save_and_name_create_with_context_defaults(self):
        self._login(self.salesman)
        _result, error = self._rpc(
            "res.partner",
            "web_save",
            [[], {"name": "Form VIP Ltd", "is_company": True}],
            {"specification": {"tiering_star_grade": {}}},
            context=self._vip_defaults(),
        )
        self.assertFalse(error)
        self.assertEqual(self._grading(self._named("Form VIP Ltd")), self._ungraded())
        (partner_id, _name), error = self._rpc(
            "res.partner", "name_create", ["Quick VIP Ltd"], context=self._vip_defaults()
        )
        self.assertFalse(error)
        self.assertEqual(self._grading(self.env["res.partner"].browse(partner_id)), self._ungraded())

    def test_explicit_grade_on_create_is_refused(self):
        for user in (self.salesman, self.admin):
            self._login(user)
            _result, error = self._rpc(
                "res.partner", "create", [{"name": "Forged VIP Ltd", "is_company": True, "tiering_star_grade": "5"}]
            )
            self.assertRefused(error, "AccessError", "cannot be edited")
            self.assertFalse(self._named("Forged VIP Ltd"))

    def test_copy_with_defaults_gets_no_grade(self):
        self._login(self.salesman)
        copy_ids, error = self._rpc(
            "res.partner",
            "copy",
            [[self.vip.id]],
            {"default": {"name": "VIP Twin", "tiering_star_grade": "5", "tiering_service_tier_id": self.tiers["A"].id}},
        )
        self.assertFalse(error)
        self.assertEqual(self._grading(self.env["res.partner"].browse(copy_ids)), self._ungraded())
        self.assertEqual(self._grading(self.vip)[0], "5", "the copied customer keeps its own grade")

    def test_odoo_import_of_grades_is_refused(self):
        for user in (self.salesman, self.admin):
            self._login(user)
            result, error = self._rpc(
                "res.partner",
                "load",
                [
                    ["name", "is_company", "tiering_star_grade", "tiering_grade_category"],
                    [["Imported VIP", "1", "5", "vip"]],
                ],
            )
            self.assertFalse(error)
            self.assertFalse(result["ids"])
            self.assertRegex(result["messages"][0]["message"], "cannot be imported")
            self.assertFalse(self._named("Imported VIP"))
        # The same import without the grades goes through.
        result, error = self._rpc("res.partner", "load", [["name", "is_company"], [["Imported Plain", "1"]]])
        self.assertFalse(error)
        self.assertEqual(self._grading(self.env["res.partner"].browse(result["ids"])), self._ungraded())


@tagged("post_install", "-at_install")
class TestParentLaunderingAttack(AttackCase):
    """#12.3: a contact detached from a VIP and made a company keeps nothing of the VIP's grade."""

    def test_detach_resets_the_grade(self):
        self._login(self.salesman)
        contact_id, error = self._rpc("res.partner", "create", [{"name": "Laundered Buyer", "parent_id": self.vip.id}])
        self.assertFalse(error)
        contact = self.env["res.partner"].browse(contact_id)
        self.assertEqual(self._grading(contact)[:4], self._grading(self.vip)[:4], "contacts show their company's grade")
        _result, error = self._rpc("res.partner", "write", [[contact_id], {"parent_id": False, "is_company": True}])
        self.assertFalse(error)
        self.assertEqual(self._grading(contact), self._ungraded())
        self.env["res.partner"]._tiering_regrade(self.company, contact.ids)
        self.assertEqual(self._grading(contact), self._ungraded(), "graded on its own sales: none")
        self.assertEqual(self._grading(self.vip)[0], "5")

    def test_is_company_alone_also_resets(self):
        self._login(self.salesman)
        contact_id, _error = self._rpc("res.partner", "create", [{"name": "Promoted Buyer", "parent_id": self.vip.id}])
        _result, error = self._rpc("res.partner", "write", [[contact_id], {"is_company": True}])
        self.assertFalse(error)
        contact = self.env["res.partner"].browse(contact_id)
        if contact.commercial_partner_id == contact:
            self.assertEqual(self._grading(contact), self._ungraded())


@tagged("post_install", "-at_install")
class TestRegradeAttack(AttackCase):
    """#12.6: a company-wide regrade is for tiering administrators, and never ends the initial phase."""

    def test_reps_and_portal_users_cannot_regrade(self):
        for user in (self.salesman, self.portal, self.roles["accountant"]):
            self._login(user)
            _result, error = self._rpc("res.partner", "action_tiering_regrade", [[]])
            self.assertRefused(error, "AccessError", "tiering administrators")
        self.assertFalse(self.company.tiering_last_regrade)
        self.assertEqual(self._grading(self.vip)[0], "5")

    def test_admin_regrade_keeps_the_initial_phase(self):
        self._login(self.admin)
        _result, error = self._rpc("res.partner", "action_tiering_regrade", [[]])
        self.assertFalse(error)
        self.company.invalidate_recordset()
        self.assertFalse(self.company.tiering_last_regrade, "still the initial classification")


@tagged("post_install", "-at_install")
class TestOwnershipAttack(AttackCase):
    """#12.10: reps change salespeople only through the pool or a handover."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.theirs = cls.env["res.partner"].create(
            {"name": "Olga's Customer", "is_company": True, "user_id": cls.other_rep.id}
        )
        cls.pooled = cls.env["res.partner"].create({"name": "Pool Customer", "is_company": True})
        cls.pooled.write(
            {"tiering_pool_released_date": fields.Date.today(), "tiering_pool_previous_user_id": cls.other_rep.id}
        )
        cls.unassigned = cls.env["res.partner"].create({"name": "Nobody's Customer", "is_company": True})

    def _claims(self):
        return self.env["trade.pool.log"].search([("action", "=", "claim")])

    def test_rep_cannot_take_a_customer_by_writing_the_salesperson(self):
        self._login(self.salesman)
        for partner in (self.theirs, self.pooled, self.unassigned):
            before = partner.user_id
            _result, error = self._rpc("res.partner", "write", [[partner.id], {"user_id": self.salesman.id}])
            self.assertRefused(error, "AccessError", "claim the customer from the team pool or hand it over")
            partner.invalidate_recordset()
            self.assertEqual(partner.user_id, before)
        # The context key of the pool and handover paths is no pass for a user's own write.
        _result, error = self._rpc(
            "res.partner",
            "write",
            [[self.theirs.id], {"user_id": self.salesman.id}],
            context={"trade_ownership_transfer": True},
        )
        self.assertRefused(error, "AccessError", "Only sales supervisors and administrators")
        self.assertEqual(self.theirs.user_id, self.other_rep)

    def test_supervisor_reassigns_and_it_is_logged(self):
        self._login(self.supervisor)
        _result, error = self._rpc("res.partner", "write", [[self.theirs.id], {"user_id": self.salesman.id}])
        self.assertFalse(error)
        self.assertEqual(self.theirs.user_id, self.salesman)
        logged = self.theirs.message_ids.filtered(lambda m: "Salesperson changed from" in (m.body or ""))
        self.assertEqual(len(logged), 1)
        self.assertIn(self.supervisor.name, logged.body)

    def test_claim_only_from_the_pool_and_only_for_salespeople(self):
        self._login(self.salesman)
        _result, error = self._rpc("res.partner", "action_pool_claim", [[self.unassigned.id]])
        self.assertRefused(error, "UserError", "is not in the team pool")
        self.assertFalse(self.unassigned.user_id)
        self._login(self.portal)
        _result, error = self._rpc("res.partner", "action_pool_claim", [[self.pooled.id]])
        self.assertRefused(error, "AccessError", ".")
        self._login(self.roles["accountant"])
        _result, error = self._rpc("res.partner", "action_pool_claim", [[self.pooled.id]])
        self.assertRefused(error, "AccessError", "Only salespeople")
        self.pooled.invalidate_recordset()
        self.assertFalse(self.pooled.user_id)
        self.assertFalse(self._claims())
        self._login(self.salesman)
        _result, error = self._rpc("res.partner", "action_pool_claim", [[self.pooled.id]])
        self.assertFalse(error)
        self.assertEqual(self.pooled.user_id, self.salesman)
        self.assertEqual(self._claims().company_id, self.company)

    def test_claim_cap_counts_per_company(self):
        self.company.tiering_claim_cap = 1
        elsewhere = self.env["res.company"].create({"name": "Attack Trading HK", "currency_id": self.usd.id})
        self.env["trade.pool.log"].create(
            {"partner_id": self.theirs.id, "user_id": self.salesman.id, "action": "claim", "company_id": elsewhere.id}
        )
        self._login(self.salesman)
        _result, error = self._rpc("res.partner", "action_pool_claim", [[self.pooled.id]])
        self.assertFalse(error, "a claim in another company does not count here")
        other_pooled = self.env["res.partner"].create(
            {"name": "Pool Customer Two", "is_company": True, "tiering_pool_released_date": fields.Date.today()}
        )
        _result, error = self._rpc("res.partner", "action_pool_claim", [[other_pooled.id]])
        self.assertRefused(error, "UserError", "already claimed 1 customers today")
        self.assertFalse(other_pooled.user_id)


@tagged("post_install", "-at_install")
class TestPoolReleaseAcrossCompanies(TieringCase):
    """#12.10: the salesperson is one for every company; the pool of one company does not take it from
    a customer another company serves above its release tier."""

    def test_release_keeps_a_customer_served_above_elsewhere(self):
        rep = new_test_user(self.env, login="release_rep", groups="sales_team.group_sale_salesman")
        other = self._make_company("Release Trading HK")
        tiers = {company: {t.code: t for t in company.tiering_tier_ids} for company in (self.company, other)}
        served, idle = (
            self._customer("Served Elsewhere", user_id=rep.id),
            self._customer("Idle Everywhere", user_id=rep.id),
        )
        for partner in served | idle:
            partner.with_company(self.company).write(
                {"tiering_star_grade": "0", "tiering_service_tier_id": tiers[self.company]["D"].id}
            )
        served.with_company(other).write({"tiering_star_grade": "5", "tiering_service_tier_id": tiers[other]["A"].id})
        (served | idle).with_company(self.company)._tiering_release_to_pool()
        self.assertEqual(served.user_id, rep)
        self.assertFalse(idle.user_id)
        self.assertTrue(idle.tiering_pool_released_date)
        self.assertFalse(served.tiering_pool_released_date)
