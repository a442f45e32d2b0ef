"""Lead reclaim (seed 004): a lead left untouched by its salesperson goes to someone who works it.

Idle time counts from the later of the assignment to the current owner and the owner's last
reply, call, done activity or message on the lead (trade.response.clock._stop). Both dates are
the system's: nobody writes them over RPC, and handing a lead to oneself again, or writing any
other field, does not restart the count.
"""

from datetime import timedelta

import pandas as pd
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..trade_crm_tiering import response, tiering_day

RECLAIM_FIELDS = frozenset({"trade_assigned_at", "trade_assigned_user_id", "trade_touched_at"})
# Leads reclaimed per unit of the response pass: one query, one write per new owner.
RECLAIM_BATCH = 5_000


class CrmLead(models.Model):
    _inherit = "crm.lead"

    trade_assigned_at = fields.Datetime(string="Assigned On", readonly=True, copy=False)
    trade_assigned_user_id = fields.Many2one("res.users", string="Assigned To (Reclaim)", readonly=True, copy=False)
    trade_touched_at = fields.Datetime(string="Last Handled On", readonly=True, copy=False)

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(RECLAIM_FIELDS.intersection(vals) for vals in vals_list):
            raise self._reclaim_fields_error()
        leads = super().create(vals_list)
        assigned = leads.filtered("user_id")
        now = fields.Datetime.now()
        for lead in assigned.sudo():
            lead.write({"trade_assigned_at": now, "trade_assigned_user_id": lead.user_id.id})
        return leads

    def write(self, vals):
        if not self.env.su and RECLAIM_FIELDS.intersection(vals):
            raise self._reclaim_fields_error()
        if "user_id" not in vals:
            return super().write(vals)
        new_owner = vals["user_id"] or False
        # Only a new owner starts a new count: a rep handing a lead back to themselves does not.
        fresh = self.filtered(lambda lead: new_owner and lead.trade_assigned_user_id.id != new_owner)
        res = super().write(vals)
        if fresh:
            fresh.sudo().write({"trade_assigned_at": fields.Datetime.now(), "trade_assigned_user_id": new_owner})
        return res

    def _reclaim_fields_error(self):
        return AccessError(
            self.env._("When a lead was assigned and last handled is recorded by the system; it cannot be written.")
        )

    # ------------------------------------------------------------------
    # The reclaim (response pass, set-based)
    # ------------------------------------------------------------------

    @api.model
    def _tiering_reclaim(self, company, after=0, now=None, limit=RECLAIM_BATCH):
        """Reclaim ``company``'s next batch of idle leads after id ``after``.

        Returns the last lead id looked at, or None when the company is through.
        """
        config = company._reclaim_config()
        now = now or fields.Datetime.now()
        self.flush_model()
        rows = self.env.execute_query(
            SQL(
                """SELECT l.id, l.user_id, l.team_id,
                          GREATEST(COALESCE(l.trade_assigned_at, l.create_date), l.trade_touched_at)
                     FROM crm_lead l
                     LEFT JOIN crm_stage s ON s.id = l.stage_id
                    WHERE l.company_id = %(company)s AND l.active AND l.user_id IS NOT NULL AND l.id > %(after)s
                      AND NOT COALESCE(s.is_won, FALSE)
                      AND GREATEST(COALESCE(l.trade_assigned_at, l.create_date), l.trade_touched_at) <= %(cutoff)s
                    ORDER BY l.id LIMIT %(limit)s""",
                company=company.id,
                after=after or 0,
                cutoff=now - timedelta(hours=config.hours),
                limit=limit,
            )
        )
        if not rows:
            return None
        leads = pd.DataFrame(rows, columns=["id", "user", "team", "idle_since"]).set_index("id")
        due = leads.loc[response.due_for_reclaim(leads, now, config)]
        if len(due):
            self._tiering_apply_reclaim(company, due, config, now)
        return int(leads.index[-1]) if len(rows) == limit else None

    def _tiering_apply_reclaim(self, company, due, config, now):
        teams = self.env["crm.team"].browse([int(team) for team in due["team"].dropna().unique()])
        members = self._tiering_team_members(teams)
        last = {team.id: team.trade_reclaim_last_user_id.id for team in teams if team.trade_reclaim_last_user_id}
        due = due.assign(team=due["team"].map(lambda team: int(team) if pd.notna(team) else None))
        assignments, last = response.reassign(due, members, config, last)
        self._tiering_reassign_rows(assignments, now)
        for team in teams:
            if last.get(team.id) and last[team.id] != team.trade_reclaim_last_user_id.id:
                team.sudo().trade_reclaim_last_user_id = last[team.id]
        self._tiering_log_reclaim(company, due, assignments, now)

    def _tiering_reassign_rows(self, assignments, now):
        """Write the new owners in one UPDATE. Through the ORM, each owner change recomputes the
        lead's team (a search per lead) and its probability; here the team stays (round-robin picks
        within it), as does the probability, and tracking is the chatter note of _tiering_log_reclaim."""
        new_users = [_user_id(user) for user in assignments["user"]]
        self.env.execute_query(
            SQL(
                """UPDATE crm_lead l
                      SET user_id = v.user_id, trade_assigned_user_id = v.user_id,
                          trade_assigned_at = CASE WHEN v.user_id IS NULL THEN NULL ELSE %(now)s END,
                          date_open = CASE WHEN v.user_id IS NULL THEN l.date_open ELSE %(now)s END,
                          write_uid = %(uid)s, write_date = %(now)s
                     FROM (SELECT unnest(%(ids)s::int4[]) AS id, unnest(%(users)s::int4[]) AS user_id) v
                    WHERE l.id = v.id""",
                now=now,
                uid=self.env.uid,
                ids=[int(i) for i in assignments.index],
                users=new_users,
            )
        )
        self.invalidate_model(["user_id", "trade_assigned_user_id", "trade_assigned_at", "date_open"])

    def _tiering_team_members(self, teams):
        """``{team id: [user id, ...]}``: active members of each team, in the order they joined."""
        if not teams:
            return {}
        rows = self.env.execute_query(
            SQL(
                """SELECT m.crm_team_id, m.user_id FROM crm_team_member m JOIN res_users u ON u.id = m.user_id
                    WHERE m.crm_team_id = ANY(%s) AND m.active AND u.active ORDER BY m.id""",
                teams.ids,
            )
        )
        members = {}
        for team_id, user_id in rows:
            members.setdefault(team_id, []).append(user_id)
        return members

    def _tiering_insert_notes(self, bodies, now):
        """The chatter notes ``{lead id: body}``, inserted in bulk as _message_log_batch would create them."""
        self.env["trade.tiering.bulk"]._insert_notes("crm.lead", bodies, now, reply_to=False)

    def _tiering_log_reclaim(self, company, due, assignments, now):
        """A note in each lead's chatter and a row in the pool log, in bulk."""
        users = (
            self.env["res.users"]
            .sudo()
            .browse({int(u) for u in due["user"]} | {int(u) for u in assignments["user"].dropna()})
        )
        names = {user.id: user.name for user in users}
        hours = company.tiering_lead_reclaim_hours
        to_user = self.env._("Reclaimed from %(old)s after %(hours)s hours untouched: assigned to %(new)s.")
        to_pool = self.env._("Reclaimed from %(old)s after %(hours)s hours untouched: returned to the team pool.")
        bodies = {}
        new_users = [_user_id(user) for user in assignments["user"]]
        for lead_id, new_user in zip(assignments.index, new_users, strict=True):
            old = names.get(int(due.at[lead_id, "user"]), "")
            new = names.get(new_user) if new_user else None
            text = to_user % {"old": old, "hours": hours, "new": new} if new else to_pool % {"old": old, "hours": hours}
            bodies[int(lead_id)] = Markup("<p>%s</p>") % text
        self._tiering_insert_notes(bodies, now)
        bulk = self.env["trade.tiering.bulk"]
        lead_ids = [int(i) for i in assignments.index]
        partners = dict(
            self.env.execute_query(
                SQL(
                    """SELECT l.id, p.commercial_partner_id FROM crm_lead l JOIN res_partner p ON p.id = l.partner_id
                        WHERE l.id = ANY(%s)""",
                    lead_ids,
                )
            )
        )
        columns = {
            "lead_id": ("int4", lead_ids),
            "partner_id": ("int4", [partners.get(i) for i in lead_ids]),
            "user_id": ("int4", new_users),
            "previous_user_id": ("int4", [int(due.at[i, "user"]) for i in assignments.index]),
        }
        constants = {
            "action": "reclaim",
            "date": tiering_day.today(),
            "company_id": company.id,
            **bulk._log_access_values(now),
        }
        bulk._insert("trade_pool_log", columns, constants)
        self.env["trade.pool.log"].invalidate_model()


def _user_id(value):
    """A user id of response.reassign's output, or None for the pool (None or NaN)."""
    return int(value) if pd.notna(value) and value else None


class CrmTeam(models.Model):
    _inherit = "crm.team"

    trade_reclaim_last_user_id = fields.Many2one(
        "res.users", string="Last Given a Reclaimed Lead", readonly=True, copy=False
    )
