from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tools import SQL

from ..models import trade_tiering_engine, trade_tiering_nightly
from ..trade_crm_tiering import policy
from .common import GM_GROUPS, REP_GROUPS, TieringCase, company_user

NIGHTLY_LOGGER = "odoo.addons.trade_crm_tiering.models.trade_tiering_nightly"
CRONS = (
    "trade_crm_tiering.ir_cron_tiering_regrade",
    "trade_crm_tiering.ir_cron_tiering_scoring",
    "trade_crm_tiering.ir_cron_tiering_cadence",
    "trade_crm_tiering.ir_cron_tiering_portfolio",
    "trade_crm_tiering.ir_cron_trade_profile",
)


@tagged("post_install", "-at_install")
class TestMissingRate(TieringCase):
    """A EUR company grading in USD, where USD has no rate: sales go through, grades stay (#11.4)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur_company = cls.env["res.company"].create(
            {"name": "Euro Moebel GmbH", "currency_id": cls.eur.id, "tiering_auto_upgrade": "apply"}
        )
        cls.env.user.company_ids |= cls.eur_company
        cls.eur_company.tiering_currency_id = cls.usd
        cls.gm = company_user(cls.env, cls.eur_company, "eur_gm", GM_GROUPS, "Greta GM")
        cls.eur_company.tiering_gm_id = cls.gm
        cls.rep = company_user(cls.env, cls.eur_company, "eur_rep", REP_GROUPS, "Erik Rep")
        cls.customer = cls._customer("Lyon Bois SA", user_id=cls.rep.id)
        # A rate first: the customer is graded 1 star (27,778 USD of purchases).
        cls.usd_rate = cls.env["res.currency.rate"].create(
            {"currency_id": cls.usd.id, "company_id": cls.eur_company.id, "name": "2015-01-01", "rate": 1.2}
        )
        cls._order(cls.customer, 23_148.15, currency=cls.eur, company=cls.eur_company)
        cls.env["res.partner"]._tiering_regrade(cls.eur_company)
        # Then no USD rate at all: the grading currency cannot be converted into.
        cls.env["res.currency.rate"].search([("currency_id", "=", cls.usd.id)]).unlink()

    def _quotation_confirmed_by_rep(self, amount):
        order = (
            self.env["sale.order"]
            .with_user(self.rep)
            .with_context(allowed_company_ids=self.eur_company.ids)
            .create(
                {
                    "partner_id": self.customer.id,
                    "pricelist_id": self._pricelist(self.eur, self.eur_company).id,
                    "order_line": [
                        Command.create(
                            {"product_id": self.product.id, "price_unit": amount, "tax_id": [Command.clear()]}
                        )
                    ],
                }
            )
        )
        order.action_confirm()
        self._run_commit_hooks()
        return order

    def _rate_activities(self):
        return self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.eur_company.partner_id.id)]
        )

    def test_missing_rate_never_blocks_a_sale(self):
        before = self._grade(self.customer, self.eur_company)
        self.assertEqual(before[0], "1")
        order = self._quotation_confirmed_by_rep(50_000)
        self.assertEqual(order.state, "sale")
        self.assertEqual(self._grade(self.customer, self.eur_company), before, "no grade on a made-up rate")
        activity = self._rate_activities()
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.gm)
        self.assertIn("USD", activity.summary)
        self.assertIn("USD", str(activity.note))
        self.assertIn(str(fields.Date.context_today(order)), str(activity.note), "names the orders' dates")
        # The same episode: another sale, the night's grading and scoring tell nobody again.
        self._quotation_confirmed_by_rep(10_000)
        self.env.ref("trade_crm_tiering.ir_cron_tiering_regrade").method_direct_trigger()
        self.env.ref("trade_crm_tiering.ir_cron_tiering_scoring").method_direct_trigger()
        self.assertEqual(len(self._rate_activities()), 1)
        self.assertEqual(self._grade(self.customer, self.eur_company), before)

    def test_rate_back_ends_the_episode(self):
        self._quotation_confirmed_by_rep(50_000)
        self._rate_activities().action_feedback(feedback="Rate added")
        self.env["res.currency.rate"].create(
            {"currency_id": self.usd.id, "company_id": self.eur_company.id, "name": "2015-01-01", "rate": 1.2}
        )
        self.env["res.partner"]._tiering_regrade(self.eur_company)
        self.assertEqual(self._grade(self.customer, self.eur_company), ("2", 87_777.78))
        # A new episode is announced again.
        self.env["res.currency.rate"].search([("currency_id", "=", self.usd.id)]).unlink()
        self._quotation_confirmed_by_rep(1_000)
        self.assertEqual(len(self._rate_activities()), 1)


@tagged("post_install", "-at_install")
class TestNightlyCrons(TieringCase):
    """One scheduled action per pass, company by company, resumable (#11.5)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls._make_company("Second Export Co")
        cls.first_customer = cls._customer("Nightly One")
        cls.second_customer = cls._customer("Nightly Two")
        cls._order(cls.first_customer, 25_000)
        cls._order(cls.second_customer, 60_000, company=cls.other)

    def test_one_cron_per_pass(self):
        for xmlid in CRONS:
            cron = self.env.ref(xmlid)
            self.assertEqual(cron.model_id.model, "trade.tiering.nightly")
            self.assertTrue(cron.active)
            cron.method_direct_trigger()
        self.assertEqual(self._grade(self.first_customer), ("1", 25_000.0))
        self.assertEqual(self._grade(self.second_customer, self.other), ("2", 60_000.0))
        self.assertTrue(self.other.tiering_last_regrade)
        self.assertTrue(self.other.tiering_last_scoring)
        self.assertFalse(self.env["ir.config_parameter"].get_param("trade_crm_tiering.nightly.grading"))

    def test_cut_off_run_resumes_where_it_stopped(self):
        nightly = self.env["trade.tiering.nightly"].with_context(trade_nightly_budget=0)
        key = "trade_crm_tiering.nightly.grading"
        with patch.object(trade_tiering_nightly, "GRADING_BATCH", 200):
            nightly._run_pass("grading")
            state = self.env["ir.config_parameter"].get_param(key)
            self.assertTrue(state, "what is left is kept for the next call")
            calls = 1
            while self.env["ir.config_parameter"].get_param(key):
                nightly._run_pass("grading")
                calls += 1
                self.assertLess(calls, 1_000)
        self.assertGreaterEqual(calls, 4, "two companies, each a batch then its close")
        self.assertEqual(self._grade(self.first_customer), ("1", 25_000.0))
        self.assertEqual(self._grade(self.second_customer, self.other), ("2", 60_000.0))

    def test_progress_goes_to_the_cron_runner(self):
        cron = self.env.ref("trade_crm_tiering.ir_cron_tiering_regrade")
        cron, progress = cron._add_progress()
        with patch.object(trade_tiering_nightly, "GRADING_BATCH", 1):
            self.env["trade.tiering.nightly"].with_context(
                ir_cron_progress_id=progress.id, trade_nightly_budget=0
            )._run_pass("grading")
        self.assertEqual(progress.done, 1)
        self.assertGreater(progress.remaining, 0)

    def test_one_company_failing_leaves_the_others(self):
        original = type(self.env["res.partner"])._tiering_regrade
        failing = self.company.id

        def regrade(partners, company, partner_ids=None):
            # Fault injection: this company's grading breaks.
            if company.id == failing:
                raise ValueError("broken company")
            return original(partners, company, partner_ids)

        with (
            patch.object(type(self.env["res.partner"]), "_tiering_regrade", regrade),
            self.assertLogs(NIGHTLY_LOGGER, "ERROR") as logs,
        ):
            self.env.ref("trade_crm_tiering.ir_cron_tiering_regrade").method_direct_trigger()
        self.assertIn("broken company", "\n".join(logs.output))
        self.assertEqual(self._grade(self.second_customer, self.other), ("2", 60_000.0))
        self.assertFalse(self.first_customer.with_company(self.company).tiering_annual_amount)

    def test_old_entry_points_still_run_every_pass(self):
        self.env["res.partner"]._cron_tiering_regrade()
        self.env["res.partner"]._cron_trade_profile()
        self.assertEqual(self._grade(self.first_customer), ("1", 25_000.0))


@tagged("post_install", "-at_install")
class TestMailRows(TieringCase):
    """The nightly bulk INSERTs write the columns Odoo's ORM writes (#11.8)."""

    def _columns(self, table, ids):
        rows = self.env.execute_query(
            SQL(
                "SELECT row_to_json(t)::jsonb FROM %s t WHERE id = ANY(%s) ORDER BY id",
                SQL.identifier(table),
                list(ids),
            )
        )
        return [{name for name, value in row.items() if value is not None} for [row] in rows]

    def _messages(self, partner):
        return self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", partner.id), ("tracking_value_ids", "!=", False)]
        )

    def test_single_order_uses_the_orm_and_bulk_writes_the_same_columns(self):
        orm_partner, bulk_partner = self._customer("ORM Path Co"), self._customer("Bulk Path Co")
        self._order(orm_partner, 25_000)
        self._run_commit_hooks()
        orm_message = self._messages(orm_partner)
        self.assertEqual(len(orm_message), 1, "a single order's regrade logs through message_log")
        engine = self.env["trade.tiering.engine"].with_company(self.company)
        before = trade_tiering_engine.StoredState()
        grade = policy.GradeState(actual=2)
        update = trade_tiering_engine.Update(60_000.0, grade, policy.Decision(effective=2), before)
        engine._insert_tracking_messages(self.company, {bulk_partner.id: update})
        bulk_message = self._messages(bulk_partner)
        self.assertEqual(len(bulk_message), 1)
        [orm_columns, bulk_columns] = self._columns("mail_message", (orm_message | bulk_message).ids)
        self.assertEqual(bulk_columns, orm_columns, "mail_message: bulk rows and ORM rows differ")
        orm_values = self._columns("mail_tracking_value", orm_message.tracking_value_ids.ids)
        bulk_values = self._columns("mail_tracking_value", bulk_message.tracking_value_ids.ids)
        self.assertEqual(len(bulk_values), len(orm_values))
        for bulk_row, orm_row in zip(bulk_values, orm_values, strict=True):
            self.assertEqual(bulk_row, orm_row, "mail_tracking_value: bulk rows and ORM rows differ")

    def test_bulk_insert_covers_every_required_column(self):
        """A NOT NULL column without default added by Odoo fails here, not in a customer's chatter."""
        written = {
            "mail_message": {
                "res_id",
                "body",
                "message_id",
                "model",
                "message_type",
                "subtype_id",
                "is_internal",
                "author_id",
                "email_from",
                "reply_to",
                "email_add_signature",
                "reply_to_force_new",
                "date",
                "create_uid",
                "create_date",
                "write_uid",
                "write_date",
            },
            "mail_tracking_value": {
                "mail_message_id",
                "field_id",
                "old_value_char",
                "new_value_char",
                "create_uid",
                "create_date",
                "write_uid",
                "write_date",
            },
        }
        for table, columns in written.items():
            rows = self.env.execute_query(
                SQL(
                    """SELECT column_name FROM information_schema.columns
                        WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL""",
                    table,
                )
            )
            self.assertLessEqual({row[0] for row in rows} - {"id"}, columns, table)
