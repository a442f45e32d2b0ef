from collections import defaultdict

from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_date

from ..trade_crm_tiering import cadence, tiering_day
from .res_partner import OWNERSHIP_TRANSFER
from .tiering_constants import REP_GROUP, SUPERVISOR_GROUP
from .tiering_tools import activity_values, with_open_activity
from .trade_tiering_cadence import POOL_WARNING_TYPE, TIER_ACTIVITY_TYPES


class ResPartner(models.Model):
    """The team pool, customer side: the warning before a release, the release, and the claim.

    The nightly pass that finds who is due is trade.tiering.cadence._apply_pool.
    """

    _inherit = "res.partner"

    def _tiering_warn_pool_release(self, release_days):
        """One warning activity per customer for its salesperson, a week before the release, and a
        copy for its backup salesperson, who serves the customer too (as for the early warnings).

        ``release_days``: ``{customer id: days without interaction before its tier releases it}``.
        """
        warning = self.env.ref(POOL_WARNING_TYPE)
        warned = with_open_activity(self, warning)
        today = tiering_day.today()
        company = self.env.company
        # The note is in each reader's language (see trade.tiering.engine), not the cron user's.
        langs = self.env["trade.tiering.engine"]._user_langs((self.user_id | self.tiering_backup_user_id).ids, company)
        values = []
        for partner in self.filtered(lambda p: p.id not in warned):
            idle_since = partner.tiering_last_interaction_date or partner.create_date.date()
            release_on = fields.Date.add(idle_since, days=release_days[partner.id])
            for user in partner._tiering_pool_warning_readers(company):
                env = self.with_context(lang=langs[user.id]).env
                note = env._(
                    "Without an interaction by %(date)s, %(customer)s goes back to the team pool.",
                    date=format_date(env, release_on),
                    customer=partner.name,
                )
                deadline = max(today, fields.Date.add(release_on, days=-1))
                values.append(activity_values(partner, warning, user.id, deadline, note=Markup("<p>%s</p>") % note))
        self.env["mail.activity"].create(values)

    def _tiering_pool_warning_readers(self, company):
        """The salesperson, and the backup when it may act for the customer: an active internal user
        of ``company``, on the terms of the early warnings' copies (trade_customer_warning_backup.py)."""
        self.ensure_one()
        backup = self.tiering_backup_user_id
        if backup.active and not backup.share and company in backup.company_ids:
            return self.user_id | backup
        return self.user_id

    def _tiering_release_to_pool(self, note=None):
        """Customers lose their salesperson and backup, keep their team, and say why in the chatter.

        The salesperson is the same in every company: a customer another company still serves at a
        tier above this one's keeps it. ``note(env, partner)``: the chatter note, when the release
        is not for want of interactions. Returns the customers released.
        """
        released = self - self._tiering_served_above_elsewhere()
        if released:
            released._tiering_release_served_here(note)
        return released

    def _tiering_release_served_here(self, note=None):
        today = tiering_day.today()
        previous = {partner.id: partner.user_id for partner in self}
        # A chatter note, in the language of the customer's salesperson, else the company's (the
        # rule of trade.tiering.engine); the salesperson is the one who just lost the customer.
        langs = self.env["trade.tiering.engine"]._user_langs(self.user_id.ids, self.env.company)
        bodies = {}
        for partner in self:
            env = self.with_context(lang=langs[partner.user_id.id]).env
            if note:
                bodies[partner.id] = note(env, partner)
                continue
            bodies[partner.id] = env._(
                "Back to the team pool: no interaction for %(days)s days (tier %(tier)s). "
                "%(user)s was its salesperson.",
                days=partner.tiering_service_tier_id.pool_release_days,
                tier=partner.tiering_service_tier_id.with_env(env).display_name,
                user=partner.user_id.name,
            )
        self.env["trade.pool.log"].create(
            [
                {
                    "partner_id": pid,
                    "user_id": user.id,
                    "action": "release",
                    "date": today,
                    "company_id": self.env.company.id,
                }
                for pid, user in previous.items()
            ]
        )
        self.activity_unlink(list(TIER_ACTIVITY_TYPES))
        by_user = defaultdict(list)
        for partner_id, user in previous.items():
            by_user[user].append(partner_id)
        for user, ids in by_user.items():
            self.browse(ids).with_context(**{OWNERSHIP_TRANSFER: True}).write(
                {
                    "user_id": False,
                    "tiering_backup_user_id": False,
                    "tiering_pool_released_date": today,
                    "tiering_pool_previous_user_id": user.id,
                }
            )
        self._message_log_batch(bodies=bodies)

    def _tiering_served_above_elsewhere(self):
        """Those of these customers that another company serves at a tier which does not release to
        the pool, or above their tier in the current company."""
        company = self.env.company
        kept = self.browse()
        others = self.env["res.company"].sudo().search([("id", "!=", company.id)])
        for other in others:  # few companies
            elsewhere = self.sudo().with_company(other)
            for partner, there in zip(self, elsewhere, strict=True):
                tier, here = there.tiering_service_tier_id, partner.tiering_service_tier_id
                if tier and (not tier.pool_release_days or tier.min_star > here.max_star):
                    kept |= partner
        return kept

    def _tiering_claim_from_pool(self):
        """The current user becomes the salesperson of these pool customers (commercial entities),
        within the daily cap: the logic of the button ``action_pool_claim``."""
        today = tiering_day.today()
        company = self.env.company
        user = self.env.user
        if not user.has_group(REP_GROUP):
            raise AccessError(self.env._("Only salespeople can claim customers from the team pool."))
        # One claimer at a time per salesperson and company, so that two claims at once cannot both
        # pass the cap (released at the end of the transaction).
        self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(%s, %s)", user.id, company.id))
        for partner in self:
            partner._tiering_check_claim(user, company, today)
            # sudo: claiming is how a rep takes a pool customer; the pool fields are the system's.
            partner.sudo().with_context(**{OWNERSHIP_TRANSFER: True}).write(
                {"user_id": user.id, "tiering_pool_released_date": False, "tiering_pool_previous_user_id": False}
            )
            self.env["trade.pool.log"].sudo().create(
                {
                    "partner_id": partner.id,
                    "user_id": user.id,
                    "action": "claim",
                    "date": today,
                    "company_id": company.id,
                }
            )
            partner.sudo()._message_log(body=self.env._("Claimed from the team pool by %(user)s.", user=user.name))

    def _tiering_check_claim(self, user, company, today):
        self.ensure_one()
        if self.user_id:
            raise UserError(
                self.env._(
                    "%(customer)s is not in the team pool: %(user)s serves it.",
                    customer=self.name,
                    user=self.user_id.name,
                )
            )
        if not self.tiering_pool_released_date:
            raise UserError(
                self.env._("%(customer)s is not in the team pool: ask a supervisor to assign it.", customer=self.name)
            )
        team = self.team_id
        is_supervisor = user.has_group(SUPERVISOR_GROUP)
        if team and user not in team.member_ids | team.user_id and not is_supervisor:
            raise UserError(
                self.env._(
                    "%(customer)s is in the pool of %(team)s, which you are not part of.",
                    customer=self.name,
                    team=team.name,
                )
            )
        claims_today = (
            self.env["trade.pool.log"]
            .sudo()
            .search_count(
                [
                    ("user_id", "=", user.id),
                    ("action", "=", "claim"),
                    ("date", "=", today),
                    ("company_id", "=", company.id),
                ]
            )
        )
        refusal = cadence.claim_refusal(
            claims_today,
            company.tiering_claim_cap,
            self.tiering_pool_previous_user_id == user,
            self.tiering_pool_released_date,
            company.tiering_claim_cooldown_days,
            today,
        )
        if refusal == "cap":
            raise UserError(
                self.env._("You already claimed %(count)s customers today, the most allowed.", count=claims_today)
            )
        if refusal == "cooldown":
            raise UserError(
                self.env._(
                    "%(customer)s left you for the pool on %(date)s: you can claim it back after %(days)s days.",
                    customer=self.name,
                    date=self.tiering_pool_released_date,
                    days=company.tiering_claim_cooldown_days,
                )
            )
