"""The duplicate check (查重) attacked over JSON-RPC by a rep: each refused, nothing written (#13.4)."""

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import REP_GROUPS, SUPERVISOR_GROUPS, company_user
from .test_attack_guards import RpcMixin

REFUSED = "Acme Export GmbH, a customer of Olga Attack"


@tagged("post_install", "-at_install")
class TestDuplicateAttacks(RpcMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls._rpc_company("Dup Attack Co")
        cls.rep = company_user(cls.env, cls.company, "dupatk_rep", REP_GROUPS, "Ravi Attack")
        cls.other_rep = company_user(cls.env, cls.company, "dupatk_rep2", REP_GROUPS, "Olga Attack")
        cls.supervisor = company_user(cls.env, cls.company, "dupatk_sup", SUPERVISOR_GROUPS, "Sam Attack")
        cls.germany = cls.env.ref("base.de")
        cls.acme = cls.env["res.partner"].create(
            {
                "name": "Acme Export GmbH",
                "is_company": True,
                "vat": "DE811907980",
                "country_id": cls.germany.id,
                "email": "info@acme-export.de",
                "user_id": cls.other_rep.id,
            }
        )
        cls.own = cls.env["res.partner"].create({"name": "Ravi Own Timber", "is_company": True, "user_id": cls.rep.id})

    def setUp(self):
        super().setUp()
        self._login(self.rep)

    def _twins(self):
        return (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search_count([("trade_dup_vat_key", "=", "811907980"), ("id", "!=", self.acme.id)])
        )

    def test_create(self):
        _result, error = self._rpc(
            "res.partner", "create", [{"name": "ACME Export", "is_company": True, "vat": "811 907 980"}]
        )
        self.assertRefused(error, "UserError", REFUSED)
        self.assertFalse(self._twins())

    def test_create_from_context_defaults(self):
        _result, error = self._rpc(
            "res.partner",
            "create",
            [{"name": "Quiet Twin", "is_company": True}],
            context={"default_vat": "DE811907980", "default_user_id": self.other_rep.id},
        )
        self.assertRefused(error, "UserError", REFUSED)
        self.assertFalse(self._twins())

    def test_copy(self):
        _result, error = self._rpc("res.partner", "copy", [self.own.id], {"default": {"vat": "DE811907980"}})
        self.assertRefused(error, "UserError", REFUSED)
        self.assertFalse(self._twins())

    def test_load(self):
        result, error = self._rpc(
            "res.partner", "load", [["name", "is_company", "vat"], [["Acme Export Ltd", "1", "DE811907980"]]]
        )
        self.assertIsNone(error)
        self.assertFalse(result["ids"])
        self.assertRegex(" ".join(message["message"] for message in result["messages"]), REFUSED)
        self.assertFalse(self._twins())

    def test_write_vat_or_name_afterwards(self):
        for vals in ({"vat": "DE-811.907.980"}, {"name": "ACME EXPORT", "country_id": self.germany.id}):
            with self.subTest(vals=vals):
                _result, error = self._rpc("res.partner", "write", [[self.own.id], vals])
                self.assertRefused(error, "UserError", REFUSED)
        self.own.invalidate_recordset()
        self.assertEqual((self.own.name, self.own.vat), ("Ravi Own Timber", False))

    def test_forging_the_confirmation(self):
        confirm = [[Command.SET, 0, [self.acme.id]]]
        twin = {"name": "Acme Export", "is_company": True, "vat": "811907980"}
        attempts = (
            ("create", [{**twin, "trade_not_duplicate_ids": confirm}], {}, None),
            ("create", [twin], {}, {"default_trade_not_duplicate_ids": confirm}),
            ("write", [[self.own.id], {"trade_not_duplicate_ids": confirm}], {}, None),
            ("action_trade_confirm_not_duplicate", [[self.own.id]], {}, None),
        )
        for method, args, kwargs, context in attempts:
            with self.subTest(method=method, context=context):
                _result, error = self._rpc("res.partner", method, args, kwargs, context=context)
                self.assertRefused(error, "AccessError", "supervisors|access|rights")
        self.assertFalse(self.own.sudo().trade_not_duplicate_ids)
        self.assertFalse(self._twins())

    def test_supervisor_confirmation_lets_the_rep_keep_editing(self):
        self._login(self.supervisor)
        twin_id, error = self._rpc(
            "res.partner", "create", [{"name": "Acme Export", "is_company": True, "country_id": self.germany.id}]
        )
        self.assertIsNone(error)
        _result, error = self._rpc("res.partner", "action_trade_confirm_not_duplicate", [[twin_id]])
        self.assertIsNone(error)
        _result, error = self._rpc("res.partner", "write", [[twin_id], {"user_id": self.rep.id}])
        self.assertIsNone(error)
        self._login(self.rep)
        _result, error = self._rpc("res.partner", "write", [[twin_id], {"name": "Acme Export AG"}])
        self.assertIsNone(error)
