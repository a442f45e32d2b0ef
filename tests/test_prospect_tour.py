"""Issue 14: a browser tour opens a prospect's form and the dashboard's new figures."""

from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged
from odoo.tools import SQL

from .test_prospects import ProspectCase


@tagged("post_install", "-at_install")
class TestProspectTour(HttpCase, ProspectCase):
    """The approval fixtures' customer Hamburg (2 stars, 60,000 ten days ago, now with a margin of
    15,000 and in Germany) and the rep's prospect Tour Lagos Timber, whose lead came from the same
    trade fair as Hamburg's won lead; then the nightly passes.

    Dates that the dashboard counts are days away from today's boundaries, whatever the time zone:
    the leads, Hamburg's creation and its first grading are moved back.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fair = cls.env["utm.source"].create({"name": "Tour Trade Fair"})
        cls.hamburg = cls.customer
        cls.hamburg.country_id = cls.env.ref("base.de")
        cls.hamburg.sale_order_ids.order_line.purchase_price = 45_000
        won = cls.env["crm.lead"].create(
            {
                "name": "Hamburg order of birch plywood",
                "type": "opportunity",
                "company_id": cls.company.id,
                "team_id": cls.team.id,
                "user_id": cls.rep.id,
                "source_id": cls.fair.id,
                "partner_id": cls.hamburg.id,
            }
        )
        won.action_set_won()
        cls.started = fields.Datetime.now() - timedelta(days=3)
        cls.env["trade.response.clock"].create(
            {
                "partner_id": cls.hamburg.id,
                "company_id": cls.company.id,
                "user_id": cls.rep.id,
                "date_started": cls.started,
                "date_stopped": cls.started + timedelta(hours=6),
                "hours": 6,
                "state": "answered",
            }
        )
        cls.won = won

    def setUp(self):
        super().setUp()
        self.prospect = self._prospect("Tour Lagos Timber")
        self.prospect.write({"tiering_rating_industry": "5", "tiering_rating_size": "3"})
        self.lead = self._lead(
            self.prospect, expected_revenue=60_000, probability=40, source_id=self.fair.id, team_id=self.team.id
        )
        self._move_back()
        self._run_nightly()

    def _move_back(self):
        """Hamburg's lead 30 -> 10 days ago, the prospect's 2 days ago, Hamburg created and first
        graded 200 days ago."""
        now = fields.Datetime.now()
        for lead, created, closed in ((self.won, 30, 10), (self.lead, 2, None)):
            self._backdate(
                lead,
                create_date=now - timedelta(days=created),
                date_closed=now - timedelta(days=closed) if closed else None,
            )
        self._backdate(self.hamburg, create_date=now - timedelta(days=200))
        self.env.cr.execute(
            SQL(
                "UPDATE trade_grade_history SET date = %s WHERE partner_id = %s AND company_id = %s",
                now - timedelta(days=200),
                self.hamburg.id,
                self.company.id,
            )
        )
        self.env.invalidate_all()

    def test_rep_opens_the_prospect(self):
        prospect = self.prospect.with_company(self.company)
        prospect.invalidate_recordset()
        self.assertEqual(prospect.tiering_service_tier_id, self.tiers["D"])
        # tiered when the rep created its lead: the rep's today
        self.assertEqual(prospect.tiering_date, fields.Date.today())
        # ratings 100 and 50, 60,000 expected is 2 stars (40), probability 40, a lead (stage 0)
        self.assertEqual(prospect.tiering_score_potential, 46)
        self.assertFalse(prospect.tiering_scored_on, "scored as a prospect")
        self.assertTrue(prospect.tiering_value_class)
        self.start_tour(
            "/odoo/action-base.action_partner_form", "trade_crm_tiering_prospect_form", login=self.rep.login
        )

    def test_supervisor_reads_the_new_figures(self):
        numbers = self.env["trade.portfolio.dashboard"].with_user(self.supervisor).get_numbers()
        sources = {row["name"]: (row["leads"], row["won"], row["rate"]) for row in numbers["sources"]}
        self.assertEqual(sources["Tour Trade Fair"], (2, 1, 50.0))
        self.start_tour(
            "/odoo/action-trade_crm_tiering.action_trade_portfolio_dashboard",
            "trade_crm_tiering_prospect_figures",
            login=self.supervisor.login,
        )
