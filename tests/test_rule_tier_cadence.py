"""Customers a tier rule placed are served at their rule tier's cadence and pool release (#14.4)."""

from datetime import datetime, time, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import Form, tagged

from .common import ADMIN_GROUPS
from .test_service_tiers import TierCase

POOL_WARNING = "mail_activity_type_pool_warning"


@tagged("post_install", "-at_install")
class TestRuleTierCadence(TierCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls._user("tier_rules_admin", ADMIN_GROUPS, "Ada Admin")

    def _on(self, day):
        """Frozen at noon of ``day``: the same date in every time zone of the users."""
        return freeze_time(datetime.combine(day, time(12)))

    def _as_rep(self, partner):
        partner = partner.with_user(self.rep).with_company(self.company)
        partner.invalidate_recordset()
        return partner

    def _rep_activities(self, partner, xmlid):
        return (
            self.env["mail.activity"]
            .with_user(self.rep)
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "=", partner.id),
                    ("activity_type_id", "=", self.env.ref(f"trade_crm_tiering.{xmlid}").id),
                ]
            )
        )

    def test_cadence_and_pool_follow_the_rule_tier(self):
        # By their stars: Valencia in B (follow-up every 14 days, never to the pool), Idle Trading in D
        # (every 60 days, no review, to the pool after 30 idle days). A rule puts both in C: every 30
        # days, a yearly review, to the pool after 90 idle days.
        key = self._key_account()
        small = self._customer("Idle Trading", user_id=self.rep.id, team_id=self.team.id)
        self._order(small, 1_000)
        small.action_tiering_regrade()
        ordered = self.today - timedelta(days=10)
        self.assertEqual(
            (self._as_rep(key).tiering_service_tier_id.code, self._as_rep(small).tiering_service_tier_id.code),
            ("B", "D"),
        )
        self.company.with_user(self.admin).tiering_tier_mode = "rules"
        with Form(self.env["trade.tier.rule"].with_user(self.admin).with_company(self.company)) as rule:
            rule.tier_id = self.tiers["C"]
            rule.order_months = 6
        self.env["trade.tier.rule"]._apply_company(self.company)
        for customer in (key, small):
            self.assertEqual(self._as_rep(customer).tiering_service_tier_id, self.tiers["C"], customer.name)

        self._run_cadence()
        today = fields.Date.today()
        for customer in (key, small):
            self.assertEqual(
                self._as_rep(customer).tiering_next_follow_up_date, ordered + timedelta(days=30), customer.name
            )
            follow_up = self._rep_activities(customer, "mail_activity_type_tier_follow_up")
            self.assertEqual(follow_up.date_deadline, ordered + timedelta(days=30), customer.name)
        self.assertEqual(self._rep_activities(small, "mail_activity_type_business_review").date_deadline, today)
        # The rep calls Valencia: its next follow-up is 30 days on, not its stars' 14.
        called = self.today + timedelta(days=5)
        with self._on(called):
            self._as_rep(key).message_post(body="Called about the spring order", message_type="comment")
            self._run_commit_hooks()
        self.assertEqual(
            self._rep_activities(key, "mail_activity_type_tier_follow_up").date_deadline, called + timedelta(days=30)
        )

        # Idle Trading: kept past its stars' 30 days, warned a week before C's 90, then released.
        with self._on(ordered + timedelta(days=30)):
            self._run_cadence()
        self.assertEqual(self._as_rep(small).user_id, self.rep)
        self.assertFalse(self._tier_activities(small, POOL_WARNING))
        with self._on(ordered + timedelta(days=83)):
            self._run_cadence()
        warning = self._rep_activities(small, POOL_WARNING)
        self.assertEqual((len(warning), warning.date_deadline), (1, ordered + timedelta(days=89)))
        self.assertFalse(self._tier_activities(key, POOL_WARNING), "Valencia was called since")
        with self._on(ordered + timedelta(days=90)):
            self._run_cadence()
        self.assertFalse(small.user_id)
        self.assertIn("no interaction for 90 days (tier C General)", small.message_ids[0].body)
        self.assertEqual(key.user_id, self.rep)
        # Valencia, which its stars would never release, goes 90 days after the call.
        with self._on(called + timedelta(days=90)):
            self._run_cadence()
        self.assertFalse(key.user_id)
        self.assertEqual(key.tiering_pool_previous_user_id, self.rep)
