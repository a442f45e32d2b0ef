"""Response clocks: how long a customer or a lead waits for an answer (seed 000).

A message from the customer starts a clock with the allowed hours of its tier; an outgoing reply,
a logged call or a done activity stops it (trade_crm_tiering/response.py has the rules). Clocks
are written by the system only: reps read their own, nobody writes them over RPC.
"""

import pandas as pd
from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL

from ..trade_crm_tiering import response, tiering_day
from .tiering_constants import SUPERVISOR_GROUP

# Cursor cache key set by mail.thread._message_create: a message posted through the chatter, the
# mail gateway or a done activity. A mail.message created directly over RPC neither starts nor stops.
THREAD_POST = "trade_response_thread_post"


class TradeResponseClock(models.Model):
    _name = "trade.response.clock"
    _description = "Response Clock"
    _order = "date_started desc, id desc"

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True, index=True, ondelete="cascade")
    lead_id = fields.Many2one("crm.lead", readonly=True, index=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True, index=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    tier_id = fields.Many2one("trade.service.tier", string="Service Tier", readonly=True)
    allowed_hours = fields.Integer(string="Response Time (Hours)", readonly=True)
    date_started = fields.Datetime(string="Started", required=True, readonly=True)
    date_stopped = fields.Datetime(string="Answered", readonly=True)
    hours = fields.Float(string="Hours to Answer", readonly=True, digits=(16, 2))
    state = fields.Selection(
        [("running", "Waiting"), ("answered", "Answered")], required=True, readonly=True, default="running"
    )
    warning_state = fields.Selection(
        [("none", "None"), ("open", "Overdue"), ("closed", "Closed")],
        string="Overdue Warning",
        required=True,
        readonly=True,
        default="none",
        help="Raised once per clock when it runs past its response time; closed when it is answered.",
    )
    rep_activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null")
    supervisor_activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null")

    def init(self):
        # One running clock per thread: a customer writing three times waits from the first message.
        self.env.cr.execute(
            SQL(
                """CREATE UNIQUE INDEX IF NOT EXISTS trade_response_clock_running_uniq
                   ON trade_response_clock (COALESCE(lead_id, 0), COALESCE(partner_id, 0))
                   WHERE state = 'running'"""
            )
        )

    @api.depends("partner_id", "lead_id", "date_started")
    def _compute_display_name(self):
        for clock in self:
            thread = clock.lead_id or clock.partner_id
            clock.display_name = f"{thread.display_name or ''} ({clock.date_started})"

    # ------------------------------------------------------------------
    # Messages: start and stop
    # ------------------------------------------------------------------

    @api.model
    def _track_messages(self, messages):
        """Start or stop the clocks of the customers and leads these messages were posted on.

        Incoming (author without an internal user) emails and comments start a clock; outgoing
        comments and emails that are not internal notes, and done activities or logged calls,
        stop it. Events come in message order, so a reply in the same batch answers.
        """
        for message in messages.sorted("id"):
            direction = self._direction(message)
            thread = self._thread(message)
            if direction and thread:
                if direction == "in":
                    self._start(thread, message)
                else:
                    self._stop(thread, message)

    def _direction(self, message):
        """'in', 'out' or None (notes, notifications, system messages) for ``message``."""
        author_users = message.author_id.user_ids
        internal = author_users.filtered(lambda user: not user.share)
        kind_is_message = message.message_type in ("email", "comment")
        if not internal:
            return "in" if kind_is_message and message.author_id else None
        if message.mail_activity_type_id:
            # Marking the overdue warning's own to-do done is no answer to the customer.
            overdue = self.env.ref("trade_crm_tiering.mail_activity_type_response_overdue", raise_if_not_found=False)
            return None if message.mail_activity_type_id == overdue else "out"
        if kind_is_message and not message.is_internal and not message.subtype_id.internal:
            return "out"
        return None

    def _thread(self, message):
        """``(lead, customer)`` the message belongs to, or None."""
        if message.model == "crm.lead":
            lead = self.env["crm.lead"].browse(message.res_id).exists()
            return (lead, lead.partner_id.commercial_partner_id) if lead else None
        if message.model == "res.partner":
            partner = self.env["res.partner"].browse(message.res_id).exists()
            return (self.env["crm.lead"], partner.commercial_partner_id) if partner else None
        return None

    def _running(self, lead, partner):
        domain = [("state", "=", "running"), ("lead_id", "=", lead.id or False)]
        if not lead:
            domain.append(("partner_id", "=", partner.id))
        return self.search(domain, limit=1)

    def _start(self, thread, message):
        lead, partner = thread
        if self._running(lead, partner):
            return
        company = lead.company_id or self.env.company
        customer = partner.with_company(company)
        tier = customer.tiering_service_tier_id
        owner = lead.user_id if lead else customer.user_id
        self.create(
            {
                "lead_id": lead.id,
                "partner_id": partner.id,
                "company_id": company.id,
                "user_id": owner.id,
                "team_id": (lead.team_id if lead else customer.team_id).id,
                "tier_id": tier.id,
                "allowed_hours": tier.response_hours,
                "date_started": message.date or fields.Datetime.now(),
            }
        )

    def _stop(self, thread, message):
        lead, partner = thread
        if lead:
            owner = message.author_id.user_ids.filtered(lambda user: not user.share)
            if lead.user_id and lead.user_id in owner:
                # The owner acted on the lead: the reclaim counts idle hours from now.
                lead.write({"trade_touched_at": message.date or fields.Datetime.now()})
        clock = self._running(lead, partner)
        if not clock:
            return
        stopped = max(message.date or fields.Datetime.now(), clock.date_started)
        activities = clock.rep_activity_id | clock.supervisor_activity_id
        clock.write(
            {
                "date_stopped": stopped,
                "hours": (stopped - clock.date_started).total_seconds() / 3600,
                "state": "answered",
                "warning_state": "closed" if clock.warning_state == "open" else clock.warning_state,
            }
        )
        # The to-do "answer this customer" is moot once answered.
        activities.unlink()

    # ------------------------------------------------------------------
    # Overdue: once per episode, set-based (the response pass)
    # ------------------------------------------------------------------

    @api.model
    def _check_overdue(self, company, now=None):
        """Raise a warning (an activity for the rep and one for the supervisor) on each clock of
        ``company`` running past its response time, once per clock; close warnings of clocks answered."""
        now = now or fields.Datetime.now()
        self.flush_model()
        rows = self.env.execute_query(
            SQL(
                """SELECT id, date_started, date_stopped, allowed_hours, warning_state
                     FROM trade_response_clock
                    WHERE company_id = %s AND (state = 'running' OR warning_state = 'open')""",
                company.id,
            )
        )
        if not rows:
            return {"raised": 0, "closed": 0}
        frame = pd.DataFrame(rows, columns=["thread", "started", "stopped", "allowed", "warning"])
        frame["started"] = pd.to_datetime(frame["started"])
        frame["stopped"] = pd.to_datetime(frame["stopped"])
        frame["hours"] = (frame["stopped"] - frame["started"]) / response.HOUR
        late = response.overdue(frame, frame.set_index("thread")["allowed"], now)
        warned = frame[frame["warning"] != "none"]
        to_raise, to_close = response.overdue_episodes(late, zip(warned["thread"], warned["started"], strict=True))
        # A closed warning stays closed: once per episode.
        open_ids = set(frame.loc[frame["warning"] == "open", "thread"].tolist())
        close_ids = [int(thread) for thread, _started in to_close if thread in open_ids]
        self._close_warnings(close_ids)
        self._raise_warnings(company, [int(thread) for thread in to_raise["thread"]])
        return {"raised": len(to_raise), "closed": len(close_ids)}

    def _close_warnings(self, clock_ids):
        if not clock_ids:
            return
        clocks = self.browse(clock_ids)
        activities = clocks.rep_activity_id | clocks.supervisor_activity_id
        clocks.write({"warning_state": "closed"})
        activities.unlink()

    def _raise_warnings(self, company, clock_ids):
        """Mark the clocks warned and insert their activities in bulk, without assignment e-mails."""
        if not clock_ids:
            return
        rows = self.env.execute_query(
            SQL(
                """SELECT c.id, c.lead_id, c.partner_id, c.user_id, t.user_id,
                          COALESCE(l.name, p.complete_name), c.allowed_hours
                     FROM trade_response_clock c
                     LEFT JOIN crm_team t ON t.id = c.team_id
                     LEFT JOIN crm_lead l ON l.id = c.lead_id
                     LEFT JOIN res_partner p ON p.id = c.partner_id
                    WHERE c.id = ANY(%s) ORDER BY c.id""",
                clock_ids,
            )
        )
        supervisors = self._supervisors(company, {row[4] for row in rows if row[4]})
        activities = []
        for clock_id, lead_id, partner_id, rep_id, leader_id, name, allowed in rows:
            supervisor = supervisors.get(leader_id) or supervisors.get(None)
            record = ("crm.lead", lead_id) if lead_id else ("res.partner", partner_id)
            for role, user_id in (("rep", rep_id), ("supervisor", supervisor)):
                if user_id and (role == "rep" or user_id != rep_id):
                    activities.append((clock_id, role, record, user_id, name, allowed))
        ids = self._insert_activities(activities)
        self.env.execute_query(
            SQL(
                """UPDATE trade_response_clock c
                      SET warning_state = 'open', rep_activity_id = v.rep, supervisor_activity_id = v.sup,
                          write_uid = %s, write_date = %s
                     FROM (SELECT unnest(%s::int4[]) AS id, unnest(%s::int4[]) AS rep,
                                  unnest(%s::int4[]) AS sup) v
                    WHERE c.id = v.id""",
                self.env.uid,
                fields.Datetime.now(),
                [row[0] for row in rows],
                [ids.get((row[0], "rep")) for row in rows],
                [ids.get((row[0], "supervisor")) for row in rows],
            )
        )
        self.invalidate_model()

    def _supervisors(self, company, leader_ids):
        """``{team leader: supervisor}``: the leader when a supervisor, else (key None) the
        company's default approver, else its general manager (as res.partner._tiering_supervisor)."""
        users = self.env["res.users"].browse(leader_ids).filtered("active")
        result = {user.id: user.id for user in users if user.has_group(SUPERVISOR_GROUP)}
        fallback = next(
            (user.id for user in (company.tiering_approver_id, company.tiering_gm_id) if user and user.active), None
        )
        result[None] = fallback
        return result

    def _insert_activities(self, activities):
        """``{(clock id, role): activity id}`` for ``(clock, role, (model, id), user, name, hours)``."""
        if not activities:
            return {}
        activity_type = self.env.ref("trade_crm_tiering.mail_activity_type_response_overdue")
        summary = self.env._("Answer the customer: the response time is over")
        note = self.env._("Waiting for an answer for more than %(hours)s hours (the tier's response time).")
        users = self.env["res.users"].browse({row[3] for row in activities})
        timezones = {user.id: user.tz for user in users}
        models_ids = {model: self.env["ir.model"]._get_id(model) for model in ("res.partner", "crm.lead")}
        bulk = self.env["trade.tiering.bulk"]
        columns = {
            "res_model": ("varchar", [row[2][0] for row in activities]),
            "res_model_id": ("int4", [models_ids[row[2][0]] for row in activities]),
            "res_id": ("int4", [row[2][1] for row in activities]),
            "res_name": ("varchar", [row[4] for row in activities]),
            "user_id": ("int4", [row[3] for row in activities]),
            "user_tz": ("varchar", [timezones[row[3]] for row in activities]),
            "note": ("text", [str(Markup("<p>%s</p>") % (note % {"hours": row[5]})) for row in activities]),
        }
        constants = {
            "activity_type_id": activity_type.id,
            "summary": summary,
            "date_deadline": tiering_day.today(),
            "automated": True,
            "active": True,
            **bulk._log_access_values(fields.Datetime.now()),
        }
        rows = bulk._insert("mail_activity", columns, constants, returning=("id",))
        self.env["mail.activity"].invalidate_model()
        users._bus_send("mail.activity/updated", {"activity_created": True})
        return {(row[0], row[1]): activity_id for row, (activity_id,) in zip(activities, rows, strict=True)}

    # ------------------------------------------------------------------
    # Medians (the dashboard)
    # ------------------------------------------------------------------

    @api.model
    def _median_rows(self, company):
        """Each rep's median response hours per tier in ``company``, over the clocks the current
        user may read (record rules: a rep sees their own). Running clocks count at the hours
        they have run so far."""
        query = self.with_company(company)._search([("company_id", "=", company.id), ("user_id", "!=", False)])
        rows = self.env.execute_query(
            query.select(
                SQL.identifier("trade_response_clock", "user_id"),
                SQL.identifier("trade_response_clock", "tier_id"),
                SQL.identifier("trade_response_clock", "date_started"),
                SQL.identifier("trade_response_clock", "date_stopped"),
            )
        )
        if not rows:
            return []
        frame = pd.DataFrame(rows, columns=["user", "tier", "started", "stopped"])
        frame["tier"] = frame["tier"].fillna(0).astype("int64")
        frame["thread"] = range(len(frame))
        frame["started"] = pd.to_datetime(frame["started"])
        frame["stopped"] = pd.to_datetime(frame["stopped"])
        frame["hours"] = (frame["stopped"] - frame["started"]) / response.HOUR
        medians = response.median_response(frame, ["user", "tier"], now=fields.Datetime.now())
        users = {user.id: user.name for user in self.env["res.users"].sudo().browse(frame["user"].unique().tolist())}
        tiers = self.env["trade.service.tier"].sudo().browse([t for t in frame["tier"].unique().tolist() if t])
        tier_names = {tier.id: tier.display_name for tier in tiers}
        return [
            {
                "user_id": int(user),
                "user": users.get(user, ""),
                "tier": tier_names.get(tier) or self.env._("No tier"),
                "clocks": int(row.clocks),
                "answered": int(row.answered),
                "median_hours": round(float(row.median_hours), 1),
            }
            for (user, tier), row in medians.iterrows()
        ]
