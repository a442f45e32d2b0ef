"""The early warnings the scoring pass raises, closes and sends to the salesperson or the supervisor."""

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import SQL

from .test_scoring import ScoringCase


@tagged("post_install", "-at_install")
class TestEarlyWarnings(ScoringCase):
    def test_growth_spike_raised_once_for_the_supervisor(self):
        team = self.env["crm.team"].create(
            {"name": "Team Spike", "company_id": self.company.id, "user_id": self.supervisor.id}
        )
        partner = self._customer("Spiking Co", user_id=self.rep.id, team_id=team.id)
        self._order(partner, 10_000, days_ago=250)
        self._order(partner, 35_000, days_ago=20)
        self.assertEqual(self._score()["raised"], 1)
        warning = self._warnings(partner, "growth_spike")
        self.assertEqual((warning.state, warning.user_id, warning.date_raised), ("open", self.supervisor, self.today))
        self.assertIn("3.5 times", warning.details)
        activity = self._activities(partner, "trade_crm_tiering.mail_activity_type_upgrade_opportunity")
        self.assertEqual((activity.user_id, warning.activity_id), (self.supervisor, activity))
        self.assertEqual(partner.with_company(self.company).tiering_warning_count, 1)
        # the next nights: the same episode, nothing new
        self._score()
        self._score()
        self.assertEqual(len(self._warnings(partner, "growth_spike")), 1)
        self.assertEqual(len(self._activities(partner, "trade_crm_tiering.mail_activity_type_upgrade_opportunity")), 1)

    def test_growth_spike_needs_the_minimum_amount(self):
        partner = self._customer("Small Spike")
        self._order(partner, 1_000, days_ago=250)
        self._order(partner, 9_000, days_ago=20)
        self._score()
        self.assertFalse(self._warnings(partner))
        self.company.tiering_spike_min_amount = 5_000
        self._score()
        self.assertTrue(self._warnings(partner, "growth_spike"))

    def test_warning_closes_when_the_condition_clears_and_a_new_episode_raises_again(self):
        partner = self._customer("Episodes Co", user_id=self.rep.id)
        self._order(partner, 10_000, days_ago=250)
        self._order(partner, 40_000, days_ago=20)
        self._score()
        first = self._warnings(partner, "growth_spike")
        activity = first.activity_id
        # a big order six months ago catches up: no spike any more
        self._order(partner, 30_000, days_ago=300)
        self.assertEqual(self._score()["closed"], 1)
        self.assertEqual((first.state, first.date_closed), ("closed", self.today))
        self.assertFalse(activity.exists(), "the moot activity is removed")
        # the spike returns: a new episode
        self._order(partner, 300_000, days_ago=1)
        self._score()
        self.assertEqual(len(self._warnings(partner, "growth_spike")), 2)
        self.assertEqual(len(self._warnings(partner, "growth_spike", "open")), 1)

    def test_frequency_drop_gives_the_salesperson_a_retention_activity(self):
        partner = self._customer("Slowing Co", user_id=self.rep.id)
        for days_ago in (200, 170, 140, 110, 80):  # every 30 days, then nothing for 80
            self._order(partner, 2_000, days_ago=days_ago)
        self._score()
        warning = self._warnings(partner, "frequency_drop")
        self.assertEqual((warning.state, warning.user_id), ("open", self.rep))
        self.assertEqual(warning.details, "No order for 80 days; it usually orders every 30 days.")
        self.assertEqual(len(self._activities(partner, "trade_crm_tiering.mail_activity_type_retention")), 1)
        self._score()
        self.assertEqual(len(self._activities(partner, "trade_crm_tiering.mail_activity_type_retention")), 1)
        # the customer orders again: the episode ends
        self._order(partner, 2_000, days_ago=0)
        self._score()
        self.assertEqual(warning.state, "closed")

    def test_dormant_customer_is_marked_and_warned_once(self):
        partner = self._customer("Sleeping Co", user_id=self.rep.id)
        self._order(partner, 8_000, days_ago=400)
        self._score()
        self.assertTrue(self._read(partner, "tiering_dormant")[0])
        warning = self._warnings(partner, "dormant")
        self.assertEqual((warning.state, warning.user_id), ("open", self.rep))
        self.assertEqual(len(self._activities(partner, "trade_crm_tiering.mail_activity_type_dormant")), 1)
        self._score()
        self.assertEqual(len(self._warnings(partner, "dormant")), 1)
        self._order(partner, 8_000, days_ago=1)
        self._score()
        self.assertFalse(self._read(partner, "tiering_dormant")[0])
        self.assertEqual(warning.state, "closed")

    def test_inquiries_falling(self):
        partner = self._customer("Quiet Inquirer", user_id=self.rep.id)
        self._order(partner, 5_000, days_ago=10)
        for days_ago in (100, 120, 150, 170):
            self._lead(partner, days_ago)
        self._lead(partner, 20)
        self._score()
        warning = self._warnings(partner, "inquiries_falling")
        self.assertEqual(warning.details, "1 inquiries in the last 3 months, against 4 in the 3 months before.")
        self.assertEqual(self._read(partner, "tiering_inquiries_3m", "tiering_inquiries_prev_3m"), (1, 4))
        self.assertEqual(len(self._activities(partner, "trade_crm_tiering.mail_activity_type_inquiries_falling")), 1)
        self._lead(partner, 5)
        self._score()
        self.assertEqual(warning.state, "closed", "2 against 4: not fewer than half")

    def test_switching_a_warning_off_closes_it(self):
        partner = self._customer("Switch Co", user_id=self.rep.id)
        self._order(partner, 8_000, days_ago=400)
        self._score()
        self.company.tiering_warn_dormant = False
        self._score()
        self.assertEqual(self._warnings(partner, "dormant").state, "closed")
        self.assertTrue(self._read(partner, "tiering_dormant")[0], "still marked dormant")

    def test_dismissed_warning_is_not_raised_again(self):
        partner = self._customer("Dismissed Co", user_id=self.rep.id)
        self._order(partner, 8_000, days_ago=400)
        self._score()
        warning = self._warnings(partner, "dormant")
        with self.assertRaises(AccessError):
            warning.with_user(self.rep).action_dismiss()
        warning.with_user(self.supervisor).action_dismiss()
        self.assertEqual(warning.state, "dismissed")
        self.assertFalse(self._activities(partner, "trade_crm_tiering.mail_activity_type_dormant"))
        self._score()
        self.assertEqual(self._warnings(partner, "dormant"), warning)

    def test_without_salesperson_the_supervisor_acts(self):
        partner = self._customer("Orphan Co")
        self._order(partner, 8_000, days_ago=400)
        self._score()
        self.assertEqual(self._warnings(partner, "dormant").user_id, self.supervisor)

    def test_warnings_menu_and_access(self):
        partner = self._customer("Menu Co", user_id=self.rep.id)
        self._order(partner, 8_000, days_ago=400)
        self._score()
        menu = self.env.ref("trade_crm_tiering.menu_trade_customer_warning")
        self.assertIn(self.env.ref("trade_crm_tiering.group_tiering_supervisor"), menu.groups_id)
        warnings = self.env["trade.customer.warning"]
        self.assertTrue(warnings.with_user(self.supervisor).search([("partner_id", "=", partner.id)]))
        self.assertTrue(warnings.with_user(self.rep).search([("partner_id", "=", partner.id)]), "reps read them")
        with self.assertRaises(AccessError):
            self._warnings(partner).with_user(self.rep).write({"state": "closed"})
        action = partner.action_view_tiering_warnings()
        self.assertEqual(action["domain"], [("partner_id", "=", partner.id)])

    def _activity_columns(self, activities):
        rows = self.env.execute_query(
            SQL("SELECT row_to_json(a)::jsonb FROM mail_activity a WHERE id = ANY(%s) ORDER BY id", activities.ids)
        )
        return [{name for name, value in row.items() if value is not None} for [row] in rows]

    def test_bulk_activities_store_the_columns_the_orm_stores(self):
        """The warnings' activities go in with one INSERT (#11.8): a change in Odoo's mail_activity
        fails here, not in a rep's activity list."""
        partner = self._customer("Bulk Activity Co", user_id=self.rep.id)
        self._order(partner, 8_000, days_ago=400)
        self._score()
        bulk = self._activities(partner, "trade_crm_tiering.mail_activity_type_dormant")
        self.assertEqual(len(bulk), 1)
        other = self._customer("Orm Activity Co", user_id=self.rep.id)
        orm = other.activity_schedule(
            "trade_crm_tiering.mail_activity_type_dormant",
            summary=bulk.summary,
            note=bulk.note,
            user_id=self.rep.id,
            date_deadline=bulk.date_deadline,
        )
        [bulk_columns] = self._activity_columns(bulk)
        [orm_columns] = self._activity_columns(orm)
        self.assertEqual(bulk_columns, orm_columns, "mail_activity: bulk rows and ORM rows differ")
        for name in ("res_model", "user_id", "activity_type_id", "automated", "summary"):
            self.assertEqual(bulk[name], orm[name], name)
        self.assertEqual(bulk.res_name, partner.display_name)
        required = self.env.execute_query(
            SQL(
                """SELECT column_name FROM information_schema.columns
                    WHERE table_name = 'mail_activity' AND is_nullable = 'NO' AND column_default IS NULL"""
            )
        )
        self.assertLessEqual({name for [name] in required} - {"id"}, bulk_columns)
        self.assertIn(bulk, self.env["mail.activity"].with_user(self.rep).search([("user_id", "=", self.rep.id)]))
        # Contacts' activity filters compare deadlines in the assignee's time zone, in SQL
        late_or_today = (
            self.env["res.partner"].with_user(self.rep).search([("activity_state", "in", ("today", "overdue"))])
        )
        self.assertIn(partner, late_or_today)
