"""Response clocks and lead reclaim (#13.3), as the rep, the supervisor and the GM."""

from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, tagged

from .common import GM_GROUPS, REP_GROUPS, SUPERVISOR_GROUPS, TieringCase, company_user
from .test_attack_guards import RpcMixin


def _set_up(cls):
    """Two reps in a team led by a supervisor, a GM, a tier-A customer (4 hours to answer)."""
    cls.rep = company_user(cls.env, cls.company, "resp_rep", REP_GROUPS, "Ravi Rep")
    cls.other_rep = company_user(cls.env, cls.company, "resp_rep2", REP_GROUPS, "Olga Rep")
    cls.supervisor = company_user(cls.env, cls.company, "resp_sup", SUPERVISOR_GROUPS, "Sam Supervisor")
    cls.gm = company_user(cls.env, cls.company, "resp_gm", GM_GROUPS, "Grace Manager")
    cls.company.write({"tiering_gm_id": cls.gm.id})
    cls.team = cls.env["crm.team"].create(
        {
            "name": "Response Team",
            "company_id": cls.company.id,
            "user_id": cls.supervisor.id,
            "member_ids": [Command.set((cls.rep | cls.other_rep).ids)],
        }
    )
    cls.tiers = {tier.code: tier for tier in cls.company.tiering_tier_ids}
    cls.customer = cls.env["res.partner"].create(
        {
            "name": "Lisbon Timber Lda",
            "is_company": True,
            "email": "buyer@lisbon-timber.example.com",
            "user_id": cls.rep.id,
            "team_id": cls.team.id,
        }
    )
    cls.customer.with_company(cls.company).write({"tiering_service_tier_id": cls.tiers["A"].id})


class ResponseCase(TieringCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        _set_up(cls)

    def _customer_writes(self, record, user):
        """An incoming e-mail from the customer on ``record``, received by ``user``'s database session."""
        record.with_user(user).message_post(
            body="Can you quote 2 containers?",
            author_id=self.customer.id,
            message_type="email",
            subtype_xmlid="mail.mt_comment",
        )

    def _clocks(self, record=None):
        domain = [("lead_id", "=", record.id)] if record and record._name == "crm.lead" else []
        return self.env["trade.response.clock"].search(
            domain or [("partner_id", "=", self.customer.id), ("lead_id", "=", False)]
        )

    def _run_pass(self, user):
        return self.env["trade.tiering.nightly"].with_user(user)._run_pass("response")

    def _lead(self, owner, hours_ago):
        lead = (
            self.env["crm.lead"]
            .with_user(self.supervisor)
            .create(
                {
                    "name": "Inquiry: 3 containers of plywood",
                    "type": "opportunity",
                    "user_id": owner.id,
                    "team_id": self.team.id,
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                }
            )
        )
        # Set-up: the assignment happened ``hours_ago`` (the system's field).
        lead.sudo().write({"trade_assigned_at": fields.Datetime.now() - timedelta(hours=hours_ago)})
        return lead


@tagged("post_install", "-at_install")
class TestResponseClock(ResponseCase):
    def test_incoming_starts_a_note_does_not_stop_a_reply_stops(self):
        self._customer_writes(self.customer, self.rep)
        self._customer_writes(self.customer, self.rep)  # a second message waits from the first
        clock = self._clocks()
        self.assertEqual(len(clock), 1)
        self.assertRecordValues(
            clock,
            [{"state": "running", "user_id": self.rep.id, "tier_id": self.tiers["A"].id, "allowed_hours": 4}],
        )
        self.customer.with_user(self.rep).message_post(
            body="Checking stock", message_type="comment", subtype_xmlid="mail.mt_note"
        )
        self.assertEqual(clock.state, "running", "an internal note is no answer")
        self.customer.with_user(self.rep).message_post(
            body="Quote attached", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        self.assertEqual(clock.state, "answered")
        self.assertTrue(clock.date_stopped)
        # The rep sees the clock, the other rep does not.
        self.assertEqual(self.env["trade.response.clock"].with_user(self.rep).search([("id", "=", clock.id)]), clock)
        self.assertFalse(self.env["trade.response.clock"].with_user(self.other_rep).search([("id", "=", clock.id)]))

    def test_done_activity_stops_the_clock(self):
        self._customer_writes(self.customer, self.rep)
        activity = self.customer.with_user(self.rep).activity_schedule(
            "mail.mail_activity_data_call", user_id=self.rep.id
        )
        activity.with_user(self.rep).action_feedback(feedback="Called, quote agreed")
        self.assertEqual(self._clocks().state, "answered")

    def test_overdue_warns_rep_and_supervisor_once_per_episode(self):
        self._customer_writes(self.customer, self.rep)
        clock = self._clocks()
        clock.sudo().date_started = fields.Datetime.now() - timedelta(hours=5)  # set-up: 5 h ago
        self._run_pass(self.gm)
        self.assertEqual(clock.warning_state, "open")
        self.assertEqual(clock.rep_activity_id.user_id, self.rep)
        self.assertEqual(clock.supervisor_activity_id.user_id, self.supervisor)
        own = self.env["mail.activity"].with_user(self.supervisor).search([("user_id", "=", self.supervisor.id)])
        self.assertIn(clock.supervisor_activity_id, own)
        self._run_pass(self.gm)  # once per episode
        activity_type = self.env.ref("trade_crm_tiering.mail_activity_type_response_overdue")
        count = self.env["mail.activity"].search_count([("activity_type_id", "=", activity_type.id)])
        self.assertEqual(count, 2)
        clock.rep_activity_id.with_user(self.rep).action_feedback(feedback="Done")
        self.assertEqual(clock.state, "running", "marking the warning done is no answer to the customer")
        self.customer.with_user(self.rep).message_post(
            body="Sorry, quote attached", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        self.assertEqual(clock.warning_state, "closed")
        self.assertFalse(self.env["mail.activity"].search_count([("activity_type_id", "=", activity_type.id)]))

    def test_within_the_response_time_no_warning(self):
        self._customer_writes(self.customer, self.rep)
        self._run_pass(self.supervisor)
        self.assertEqual(self._clocks().warning_state, "none")

    def test_medians_per_rep_and_tier_respect_record_rules(self):
        self._customer_writes(self.customer, self.rep)
        self._clocks().sudo().date_started = fields.Datetime.now() - timedelta(hours=2)
        self.customer.with_user(self.rep).message_post(
            body="Answer", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        other = self.env["res.partner"].create(
            {
                "name": "Porto Pallets",
                "is_company": True,
                "email": "info@porto.example.com",
                "user_id": self.other_rep.id,
            }
        )
        other.with_user(self.other_rep).message_post(
            body="Price?", author_id=other.id, message_type="email", subtype_xmlid="mail.mt_comment"
        )
        dashboard = self.env["trade.portfolio.dashboard"]
        mine = dashboard.with_user(self.rep).get_response_medians()
        self.assertEqual([row["user_id"] for row in mine], [self.rep.id])
        self.assertAlmostEqual(mine[0]["median_hours"], 2.0, delta=0.1)
        self.assertEqual(mine[0]["tier"], self.tiers["A"].display_name)
        everyone = dashboard.with_user(self.supervisor).get_response_medians()
        self.assertEqual({row["user_id"] for row in everyone}, {self.rep.id, self.other_rep.id})
        self.assertEqual(len(dashboard.with_user(self.gm).get_response_medians()), 2)


@tagged("post_install", "-at_install")
class TestLeadReclaim(ResponseCase):
    def test_idle_lead_goes_round_robin_and_is_logged(self):
        lead = self._lead(self.rep, hours_ago=25)
        fresh = self._lead(self.rep, hours_ago=2)
        self._run_pass(self.gm)
        self.assertEqual(lead.user_id, self.other_rep)
        self.assertEqual(fresh.user_id, self.rep)
        self.assertIn("Reclaimed from Ravi Rep", lead.message_ids[0].body)
        log = self.env["trade.pool.log"].with_user(self.supervisor).search([("lead_id", "=", lead.id)])
        self.assertRecordValues(
            log, [{"action": "reclaim", "user_id": self.other_rep.id, "previous_user_id": self.rep.id}]
        )
        # The new owner has a full 24 hours.
        self._run_pass(self.gm)
        self.assertEqual(lead.user_id, self.other_rep)

    def test_pool_mode_returns_the_lead_to_the_team(self):
        self.company.tiering_lead_reclaim_mode = "pool"
        lead = self._lead(self.rep, hours_ago=30)
        self._run_pass(self.supervisor)
        self.assertFalse(lead.user_id)
        self.assertEqual(lead.team_id, self.team)
        self.assertIn("returned to the team pool", lead.message_ids[0].body)

    def test_a_reply_by_the_owner_keeps_the_lead(self):
        lead = self._lead(self.rep, hours_ago=30)
        lead.with_user(self.rep).message_post(
            body="Sent the quote", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        self.assertTrue(lead.trade_touched_at)
        self._run_pass(self.gm)
        self.assertEqual(lead.user_id, self.rep)

    def test_lead_clock_and_owner(self):
        lead = self._lead(self.rep, hours_ago=1)
        self._customer_writes(lead, self.rep)
        self.assertRecordValues(self._clocks(lead), [{"state": "running", "user_id": self.rep.id}])

    def test_handing_the_lead_back_to_oneself_does_not_restart(self):
        lead = self._lead(self.rep, hours_ago=30)
        lead.with_user(self.rep).write({"user_id": False})
        lead.with_user(self.rep).write({"user_id": self.rep.id})
        self._run_pass(self.gm)
        self.assertEqual(lead.user_id, self.other_rep)

    def test_bad_settings_are_refused(self):
        admin = company_user(self.env, self.company, "resp_admin", "base.group_system,sales_team.group_sale_manager")
        with self.assertRaisesRegex(ValidationError, "reclaimed after a number of hours above 0"):
            self.company.with_user(admin).write({"tiering_lead_reclaim_hours": 0})
        with self.assertRaisesRegex(ValidationError, "above 0"):
            self.company.with_user(admin).write({"tiering_lead_reclaim_hours": -3})
        with self.assertRaisesRegex(AccessError, "recorded by the system"):
            self._lead(self.rep, 1).with_user(self.rep).write({"trade_touched_at": fields.Datetime.now()})


@tagged("post_install", "-at_install")
class TestResponseAttack(RpcMixin, HttpCase):
    """Over JSON-RPC a rep cannot stop or forge a clock, nor dodge a reclaim."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls._rpc_company("Response Attack Co")
        _set_up(cls)

    def setUp(self):
        super().setUp()
        self.customer.with_user(self.rep).message_post(
            body="Need a quote", author_id=self.customer.id, message_type="email", subtype_xmlid="mail.mt_comment"
        )
        self.clock = self.env["trade.response.clock"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(self.clock.state, "running")
        self._login(self.rep)

    def test_rep_cannot_write_or_create_clocks(self):
        _result, error = self._rpc(
            "trade.response.clock", "write", [self.clock.ids, {"state": "answered", "date_stopped": "2020-01-01"}]
        )
        self.assertRefused(error, "AccessError", "not allowed to modify")
        _result, error = self._rpc(
            "trade.response.clock",
            "create",
            [{"partner_id": self.customer.id, "company_id": self.company.id, "date_started": "2020-01-01"}],
        )
        self.assertRefused(error, "AccessError", "not allowed to create")
        _result, error = self._rpc("trade.response.clock", "unlink", [self.clock.ids])
        self.assertRefused(error, "AccessError", "not allowed to delete")
        self.assertEqual(self.clock.state, "running")

    def test_forged_message_does_not_stop_the_clock(self):
        call = self.env.ref("mail.mail_activity_data_call")
        _result, error = self._rpc(
            "mail.message",
            "create",
            [
                {
                    "model": "res.partner",
                    "res_id": self.customer.id,
                    "message_type": "comment",
                    "body": "called (not really)",
                    "subtype_id": self.env.ref("mail.mt_comment").id,
                    "mail_activity_type_id": call.id,
                }
            ],
            context={"trade_response_thread_post": True},
        )
        self.assertFalse(error)
        self.clock.invalidate_recordset()
        self.assertEqual(self.clock.state, "running")

    def test_rep_cannot_dodge_a_reclaim_by_writing_fields(self):
        lead = self.env["crm.lead"].create(
            {
                "name": "Idle inquiry",
                "type": "opportunity",
                "user_id": self.rep.id,
                "team_id": self.team.id,
                "company_id": self.company.id,
            }
        )
        lead.write({"trade_assigned_at": fields.Datetime.now() - timedelta(hours=30)})
        now = fields.Datetime.to_string(fields.Datetime.now())
        for field in ("trade_assigned_at", "trade_touched_at", "trade_assigned_user_id"):
            value = self.rep.id if field.endswith("_id") else now
            _result, error = self._rpc("crm.lead", "write", [lead.ids, {field: value}])
            self.assertRefused(error, "AccessError", "recorded by the system")
        _result, error = self._rpc("crm.lead", "write", [lead.ids, {"description": "still on it", "date_open": now}])
        self.assertFalse(error)
        _result, error = self._rpc("crm.lead", "write", [lead.ids, {"user_id": self.rep.id}])
        self.assertFalse(error)
        self.env["trade.tiering.nightly"].with_user(self.supervisor)._run_pass("response")
        self.assertEqual(lead.user_id, self.other_rep)
