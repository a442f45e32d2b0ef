"""Credit ratings from the payment record and limits by tier x rating (#13.2)."""

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import ADMIN_GROUPS, TieringCase, company_user
from .test_attack_guards import AttackCase

REP_GROUPS = "sales_team.group_sale_salesman,account.group_account_invoice"
SUPERVISOR_GROUPS = (
    "sales_team.group_sale_salesman_all_leads,trade_crm_tiering.group_tiering_supervisor,account.group_account_invoice"
)
GM_GROUPS = "sales_team.group_sale_salesman_all_leads,trade_crm_tiering.group_tiering_gm,account.group_account_invoice"
LIMITS = {
    "limit_aaa": 50_000,
    "limit_aa": 40_000,
    "limit_a": 30_000,
    "limit_bbb": 20_000,
    "limit_bb": 10_000,
    "limit_b": 5_000,
}


@tagged("post_install", "-at_install")
class TestCreditRating(TieringCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_accounting()
        cls.tiers = {tier.code: tier for tier in cls.company.tiering_tier_ids}
        cls.rep = cls._user("cr_rep", REP_GROUPS)
        cls.supervisor = cls._user("cr_sup", SUPERVISOR_GROUPS)
        cls.gm = cls._user("cr_gm", GM_GROUPS)
        cls.admin = cls._user("cr_admin", ADMIN_GROUPS)
        cls.good = cls._customer("Prompt Payer GmbH", user_id=cls.rep.id)
        cls.bad = cls._customer("Slow Payer Ltd", user_id=cls.rep.id)
        for days in (20, 50, 80):
            cls._invoice(cls.good, due_days_ago=days, paid_days_ago=days + 2)  # paid early
            cls._invoice(cls.bad, due_days_ago=days)  # still open

    def _nightly(self):
        self.env["trade.tiering.nightly"].with_context(trade_nightly_budget=float("inf"))._run_pass("scoring")

    def _matrix(self):
        # The database's administrator sets the matrix in Settings, for the lowest tier every new customer is in.
        tier = self.env["res.partner"].with_company(self.company).browse(self.good.id).tiering_service_tier_id
        return (
            self.env["trade.credit.limit"].with_user(self.admin).create({"tiering_service_tier_id": tier.id, **LIMITS})
        )

    def _read(self, partner, user):
        partner = partner.with_user(user).with_company(self.company)
        partner.invalidate_recordset()
        return partner.trade_credit_rating_auto, partner.trade_credit_rating_used, partner.credit_limit

    def test_nightly_rates_and_writes_the_matrix_limit(self):
        self._matrix()
        self.assertTrue(self.company.account_use_credit_limit, "the matrix turns on Odoo's sales credit limit")
        self._nightly()
        self.assertEqual(self._read(self.good, self.rep), ("AAA", "AAA", 50_000))
        self.assertEqual(self._read(self.bad, self.gm), ("C", "C", 0.0))
        self.assertTrue(self.good.with_user(self.supervisor).with_company(self.company).use_partner_credit_limit)
        # Odoo's own warning on the rep's quotation above the limit.
        order = (
            self.env["sale.order"]
            .with_user(self.rep)
            .create(
                {
                    "partner_id": self.good.id,
                    "company_id": self.company.id,
                    "order_line": [
                        Command.create(
                            {"product_id": self.product.id, "price_unit": 60_000, "product_uom_qty": 1, "tax_id": []}
                        )
                    ],
                }
            )
        )
        self.assertIn("credit limit", order.partner_credit_warning)

    def test_without_matrix_limits_stay_the_users(self):
        self.good.with_company(self.company).credit_limit = 1_234.0
        self._nightly()
        self.assertEqual(self._read(self.good, self.rep), ("AAA", "AAA", 1_234.0))
        # A rep's write on a company without a matrix is Odoo's own business.
        self.good.with_user(self.rep).with_company(self.company).credit_limit = 2_000.0
        self.assertEqual(self._read(self.good, self.rep)[2], 2_000.0)

    def test_rep_overrides_rating_with_reason(self):
        self._matrix()
        self._nightly()
        partner = self.bad.with_user(self.rep).with_company(self.company)
        with self.assertRaisesRegex(ValidationError, "say why its credit rating is set by hand"):
            partner.write({"trade_credit_rating_override": "A"})
        partner.write(
            {"trade_credit_rating_override": "A", "trade_credit_rating_reason": "Paid through a bank guarantee"}
        )
        # Both shown: the suggestion stays; the rating in force and the limit follow at once.
        self.assertEqual(self._read(self.bad, self.rep), ("C", "A", 30_000))
        self._nightly()
        self.assertEqual(self._read(self.bad, self.supervisor), ("C", "A", 30_000))
        partner.write({"trade_credit_rating_override": False})
        self.assertEqual(self._read(self.bad, self.rep), ("C", "C", 0.0))

    def test_limit_set_by_hand_only_by_supervisors(self):
        self._matrix()
        self._nightly()
        as_rep = self.good.with_user(self.rep).with_company(self.company)
        with self.assertRaisesRegex(UserError, "comes from the credit matrix"):
            as_rep.write({"credit_limit": 99_000})
        with self.assertRaisesRegex(UserError, "comes from the credit matrix"):
            as_rep.write({"use_partner_credit_limit": False})
        with self.assertRaisesRegex(AccessError, "Only sales supervisors"):
            as_rep.write({"trade_credit_limit_manual": True, "trade_credit_limit_reason": "x", "credit_limit": 99_000})
        as_sup = self.good.with_user(self.supervisor).with_company(self.company)
        with self.assertRaisesRegex(UserError, "comes from the credit matrix"):
            as_sup.write({"credit_limit": 99_000})
        with self.assertRaisesRegex(ValidationError, "say why its credit limit is set by hand"):
            as_sup.write({"trade_credit_limit_manual": True, "credit_limit": 99_000})
        as_sup.write(
            {"trade_credit_limit_manual": True, "trade_credit_limit_reason": "Parent guarantee", "credit_limit": 99_000}
        )
        self._nightly()
        self.assertEqual(self._read(self.good, self.rep)[2], 99_000, "the nightly pass keeps a limit set by hand")
        with self.assertRaisesRegex(UserError, "comes from the credit matrix"):
            as_rep.write({"credit_limit": 1})
        # The GM removes the override: the matrix limit is back at once.
        self.good.with_user(self.gm).with_company(self.company).write({"trade_credit_limit_manual": False})
        self.assertEqual(self._read(self.good, self.rep)[2], 50_000)

    def test_rep_creates_contact_of_graded_customer(self):
        self._matrix()
        self._nightly()
        contact = self.env["res.partner"].with_user(self.rep).create({"name": "Anna Buyer", "parent_id": self.good.id})
        self.assertEqual(contact.with_company(self.company).credit_limit, 50_000)

    def test_bad_settings_are_refused_clearly(self):
        settings = self.env["res.company"].with_user(self.admin).browse(self.company.id)
        with self.assertRaisesRegex(ValidationError, "must rise from AAA to B: AA"):
            settings.write({"trade_credit_aa_days": 1.0})
        with self.assertRaisesRegex(ValidationError, "same ceilings as AA"):
            settings.write({"trade_credit_a_days": 7.0, "trade_credit_a_share": 10.0})
        with self.assertRaisesRegex(ValidationError, "between 0 and 60 days"):
            settings.write({"trade_credit_grace_days": -1})
        tier = self.tiers["A"]
        limits = self.env["trade.credit.limit"].with_user(self.admin)
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            limits.create({"tiering_service_tier_id": tier.id, **LIMITS, "limit_b": -5})
        with self.assertRaisesRegex(ValidationError, "is above that of the better rating"):
            limits.create({"tiering_service_tier_id": tier.id, **LIMITS, "limit_aaa": 1_000})
        with self.assertRaises(AccessError):
            self.env["trade.credit.limit"].with_user(self.supervisor).create({"tiering_service_tier_id": tier.id})

    def test_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["trade_crm_tiering"], ["zh_CN"], overwrite=True)
        labels = (
            self.env["res.partner"]
            .with_user(self.rep)
            .with_context(lang="zh_CN")
            .fields_get(["trade_credit_rating_auto", "credit_limit"])
        )
        self.assertEqual(labels["trade_credit_rating_auto"]["string"], "建议信用评级")
        partner = self.bad.with_user(self.rep).with_company(self.company).with_context(lang="zh_CN")
        with self.assertRaisesRegex(ValidationError, "请说明为何手动设置信用评级"):
            partner.write({"trade_credit_rating_override": "A"})
        with self.assertRaisesRegex(ValidationError, "评级区间必须从 AAA 到 B 逐级升高"):
            self.env["res.company"].with_user(self.admin).with_context(lang="zh_CN").browse(self.company.id).write(
                {"trade_credit_aa_days": 1.0}
            )


@tagged("post_install", "-at_install")
class TestCreditAttacks(AttackCase):
    """A rep (with invoicing rights) never sets a graded customer's limit or the suggested rating over JSON-RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing_rep = company_user(cls.env, cls.company, "atk_billing_rep", REP_GROUPS)
        cls.env["trade.credit.limit"].create(
            {"company_id": cls.company.id, "tiering_service_tier_id": cls.tiers["A"].id, **LIMITS}
        )
        cls.env["trade.credit.limit"].create(
            {"company_id": cls.company.id, "tiering_service_tier_id": cls.tiers["D"].id, **LIMITS}
        )
        # Customers without a payment record start on B terms: the VIP gets a limit of its own.
        cls.company.trade_credit_unrated = "B"
        cls.env["trade.credit"]._refresh(cls.company)

    def _limit(self, partner):
        partner = partner.with_company(self.company)
        partner.invalidate_recordset()
        return partner.credit_limit

    def test_write_limit_refused(self):
        before = self._limit(self.vip)
        self.assertEqual(before, 5_000)
        self._login(self.billing_rep)
        for vals in ({"credit_limit": 1e9}, {"use_partner_credit_limit": False}):
            _result, error = self._rpc("res.partner", "write", [[self.vip.id], vals])
            self.assertRefused(error, "UserError", "credit matrix")
        _result, error = self._rpc(
            "res.partner",
            "write",
            [[self.vip.id], {"trade_credit_limit_manual": True, "trade_credit_limit_reason": "x"}],
        )
        self.assertRefused(error, "AccessError", "Only sales supervisors")
        self.assertEqual(self._limit(self.vip), before)

    def test_suggested_rating_and_override_without_reason_refused(self):
        self._login(self.billing_rep)
        for field in ("trade_credit_rating_auto", "trade_credit_rating_used"):
            _result, error = self._rpc("res.partner", "write", [[self.vip.id], {field: "AAA"}])
            self.assertRefused(error, "AccessError", "payment record")
        _result, error = self._rpc("res.partner", "write", [[self.vip.id], {"trade_credit_rating_override": "AAA"}])
        self.assertRefused(error, "ValidationError", "say why its credit rating is set by hand")
        self.assertFalse(self.vip.with_company(self.company).trade_credit_rating_used)

    def test_create_copy_load_refused(self):
        self._login(self.billing_rep)
        defaults = {"default_credit_limit": 1e9, "default_use_partner_credit_limit": True}
        _result, error = self._rpc(
            "res.partner", "create", [{"name": "Ctx Credit Ltd", "is_company": True}], context=defaults
        )
        self.assertRefused(error, "UserError", "credit matrix")
        _result, error = self._rpc(
            "res.partner",
            "create",
            [{"name": "Ctx Rated Ltd", "is_company": True}],
            context={"default_trade_credit_rating_auto": "AAA"},
        )
        self.assertRefused(error, "AccessError", "payment record")
        _result, error = self._rpc("res.partner", "copy", [[self.vip.id]], {"default": {"credit_limit": 1e9}})
        self.assertRefused(error, "UserError", "credit matrix")
        result, error = self._rpc(
            "res.partner", "load", [["name", "is_company", "credit_limit"], [["Loaded Credit", "1", "1000000000"]]]
        )
        self.assertFalse(error)
        self.assertFalse(result["ids"])
        result, error = self._rpc(
            "res.partner", "load", [["name", "is_company", "trade_credit_rating_auto"], [["Loaded Rated", "1", "AAA"]]]
        )
        self.assertFalse(result["ids"])
        names = ("Ctx Credit Ltd", "Ctx Rated Ltd", "Loaded Credit", "Loaded Rated")
        self.assertFalse(self.env["res.partner"].search([("name", "in", names)]))
        self.assertFalse(self.env["res.partner"].search([("credit_limit", "=", 1e9)]))
