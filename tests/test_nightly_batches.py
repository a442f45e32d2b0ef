from contextlib import suppress
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import SQL

from ..models import trade_tiering_nightly
from ..models.trade_tiering_scoring import SCORE_FIELDS
from .common import TieringCase
from .test_scoring import ScoringCase


class UndoError(Exception):
    """Rolls a savepoint back once its results are read."""


@tagged("post_install", "-at_install")
class TestNightlyBatches(ScoringCase):
    """The nightly scoring and portfolio actions work in batches of customers; the results are
    those of one pass over all of a company's customers (#11.5)."""

    # TieringCase's order helper, a class method (ScoringCase's own is an instance method).
    _order_as_set_up = classmethod(TieringCase._order.__func__)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners = cls.env["res.partner"]
        # Ties on amounts and order counts, contacts, interactions, a growth spike (D), dormant customers (F, H).
        figures = [
            ("Batch A", [(10_000, 30), (12_000, 200)]),
            ("Batch B", [(20_000, 15)]),
            ("Batch C", [(20_000, 15)]),
            ("Batch D", [(5_000, 250), (40_000, 3)]),
            ("Batch E", [(75_000, 90), (1_000, 500), (2_000, 600)]),
            ("Batch F", [(3_000, 250)]),
            ("Batch G", [(20_000, 15), (20_000, 45)]),
            ("Batch H", [(8_000, 300)]),
        ]
        for name, orders in figures:
            partner = cls._customer(name, user_id=cls.rep.id)
            for amount, days_ago in orders:
                cls._order_as_set_up(partner, amount, days_ago=days_ago)
            cls.partners |= partner
        cls.env["res.partner"].create({"name": "Anna Contact", "parent_id": cls.partners[0].id})
        cls.partners[3].message_post(body="Called about the new range", message_type="comment")
        cls.gone = cls.partners[5]
        # Night one, in one pass: stored values and open warnings to compare against.
        cls.env["trade.tiering.scoring"]._score(cls.company)
        cls.env["trade.portfolio.month"]._refresh(cls.company)
        # Then the customer F's only order is cancelled, and B grows.
        cls.env["sale.order"].search([("partner_id", "=", cls.gone.id)])._action_cancel()
        cls._order_as_set_up(cls.partners[1], 90_000, days_ago=2)

    def _scores(self):
        self.env.flush_all()
        cid = str(self.company.id)
        columns = SQL(", ").join(SQL("%s ->> %s", SQL.identifier(name), cid) for name in SCORE_FIELDS)
        scores = self.env.execute_query(
            SQL(
                "SELECT id, %s FROM res_partner WHERE id = ANY(%s) ORDER BY id",
                columns,
                self.partners.ids,
            )
        )
        warnings = self.env.execute_query(
            SQL(
                """SELECT partner_id, warning_type, state, details, user_id, activity_id IS NOT NULL
                     FROM trade_customer_warning WHERE company_id = %s ORDER BY partner_id, warning_type, id""",
                self.company.id,
            )
        )
        return scores, warnings

    def _report_rows(self):
        self.env.flush_all()
        return self.env.execute_query(
            SQL(
                """SELECT partner_id, date, currency_id, amount, margin, order_count, share, cumulative_share, rank,
                          pareto_class, user_id, team_id, country_id, industry_id, tiering_star_grade,
                          tiering_service_tier_id
                     FROM trade_portfolio_month WHERE company_id = %s ORDER BY date, rank""",
                self.company.id,
            )
        )

    def _one_pass(self, run, read):
        """What ``read`` returns after ``run`` went over every customer at once; rolled back."""
        with suppress(UndoError), self.env.cr.savepoint():
            run()
            result = read()
            raise UndoError
        self.env.invalidate_all(flush=False)
        return result

    def _run_in_batches(self, name):
        """Run the nightly pass ``name`` a unit per call until it is through; returns the calls."""
        nightly = self.env["trade.tiering.nightly"].with_context(trade_nightly_budget=0)
        calls = 0
        while True:
            nightly._run_pass(name)
            calls += 1
            if not self.env["ir.config_parameter"].get_param(f"trade_crm_tiering.nightly.{name}"):
                return calls
            self.assertLess(calls, 100)

    def test_scoring_in_batches_equals_one_pass(self):
        expected = self._one_pass(self._score, self._scores)
        self.assertIn(None, [row[SCORE_FIELDS.index("tiering_score") + 1] for row in expected[0]])
        self.assertTrue(expected[1], "warnings are compared too")
        with patch.object(trade_tiering_nightly, "SCORING_BATCH", 2):
            calls = self._run_in_batches("scoring")
        # This company: the basis, then 8 customers by 2 (4 batches); the other companies' units.
        self.assertGreaterEqual(calls, 5)
        self.env.invalidate_all()
        self.assertEqual(self._scores(), expected)
        self.assertTrue(self.company.tiering_last_scoring)
        self.assertFalse(
            self.env.execute_query(SQL("SELECT 1 FROM trade_tiering_scoring_basis")),
            "the company-wide figures are dropped with the pass",
        )

    def test_portfolio_report_in_batches_equals_one_pass(self):
        expected = self._one_pass(lambda: self.env["trade.portfolio.month"]._refresh(self.company), self._report_rows)
        self.assertNotIn(self.gone.id, [row[0] for row in expected])
        self.assertIn(self.gone.id, [row[0] for row in self._report_rows()], "last night's rows, to be removed")
        with patch.object(trade_tiering_nightly, "PORTFOLIO_BATCH", 2):
            calls = self._run_in_batches("portfolio")
        # This company: the basis, 7 customers with sales by 2 (4 batches), the alerts.
        self.assertGreaterEqual(calls, 5)
        self.assertEqual(self._report_rows(), expected)
        self.assertFalse(self.env.execute_query(SQL("SELECT 1 FROM trade_portfolio_month_basis")))
