from collections import defaultdict

from odoo import api, models
from odoo.tools import SQL

from ..trade_crm_tiering import cadence, tiering_day
from .tiering_tools import activity_values

FOLLOW_UP_TYPE = "trade_crm_tiering.mail_activity_type_tier_follow_up"
REVIEW_TYPE = "trade_crm_tiering.mail_activity_type_business_review"
POOL_WARNING_TYPE = "trade_crm_tiering.mail_activity_type_pool_warning"
# Activities a customer loses with its salesperson when it goes back to the team pool.
TIER_ACTIVITY_TYPES = (FOLLOW_UP_TYPE, REVIEW_TYPE, POOL_WARNING_TYPE)


class TradeTieringCadence(models.AbstractModel):
    """Holds reps to their customers' tiers: follow-up and review activities, and the team pool.

    Set-based like the grading engine, and run as superuser for the same reason: the dates it
    writes are maintained by the system. Activities go through the ORM (followers, notifications).
    """

    _name = "trade.tiering.cadence"
    _description = "Customer Tiering Cadence"

    @api.model
    def _run(self, companies):
        """The nightly pass: interactions, then for each company its dates, pool and activities."""
        cadence_env = self.sudo()
        cadence_env._refresh_last_interactions()
        for company in companies:
            engine = cadence_env.with_company(company)
            engine._plan_company(company)
            engine._apply_pool(company)
        cadence_env._sync_activities()

    # ------------------------------------------------------------------
    # Interactions
    # ------------------------------------------------------------------

    def _interaction_sources(self, partner_ids=None):
        """Latest interaction day per customer: chatter notes and emails, done activities, quotations."""
        scope = SQL("AND p.commercial_partner_id = ANY(%s)", list(partner_ids)) if partner_ids is not None else SQL()
        return SQL(
            """SELECT pid, MAX(day) AS day FROM (
                   SELECT p.commercial_partner_id AS pid, MAX(m.date)::date AS day
                     FROM mail_message m JOIN res_partner p ON p.id = m.res_id
                    WHERE m.model = 'res.partner'
                      AND (m.message_type IN ('comment', 'email') OR m.mail_activity_type_id IS NOT NULL) %(scope)s
                    GROUP BY 1
                   UNION ALL
                   SELECT p.commercial_partner_id, MAX(so.date_order)::date
                     FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
                    WHERE so.state != 'cancel' %(scope)s
                    GROUP BY 1
               ) touches GROUP BY pid""",
            scope=scope,
        )

    @api.model
    def _refresh_last_interactions(self, partner_ids=None):
        """Store each customer's latest interaction day; returns the customers whose day moved."""
        self.env["mail.message"].flush_model(["model", "res_id", "message_type", "mail_activity_type_id", "date"])
        self.env["sale.order"].flush_model(["partner_id", "date_order", "state"])
        partners = self.env["res.partner"]
        partners.flush_model(["tiering_last_interaction_date", "commercial_partner_id"])
        moved = self.env.execute_query(
            SQL(
                """UPDATE res_partner p SET tiering_last_interaction_date = t.day
                     FROM (%s) t
                    WHERE p.id = t.pid AND p.tiering_last_interaction_date IS DISTINCT FROM t.day
                RETURNING p.id""",
                self._interaction_sources(partner_ids),
            )
        )
        ids = [row[0] for row in moved]
        partners.browse(ids).invalidate_recordset(["tiering_last_interaction_date"])
        return ids

    # ------------------------------------------------------------------
    # Follow-up and review dates of one company
    # ------------------------------------------------------------------

    @api.model
    def _plan_company(self, company, partner_ids=None):
        """Next follow-up and review dates of the company's graded customers that have a salesperson."""
        today = tiering_day.today()
        tier_of = company._tiering_tier_finder()
        rows = self._planning_rows(company, partner_ids)
        last_reviews = self._last_reviews([row[0] for row in rows])
        updates = []
        for partner_id, has_owner, last_interaction, star, rule_tier, old_follow_up, old_review in rows:
            tier = tier_of(star, rule_tier)
            follow_up = review = None
            if has_owner and tier:
                follow_up = cadence.next_follow_up(last_interaction, tier.follow_up_days, today)
                review = cadence.next_review(last_reviews.get(partner_id), tier.review_months, today)
            if (follow_up, review) != (old_follow_up, old_review):
                updates.append((partner_id, follow_up, review))
        self._write_plan(company, updates)

    def _planning_rows(self, company, partner_ids):
        self.env["res.partner"].flush_model(
            [
                "user_id",
                "tiering_last_interaction_date",
                "tiering_star_grade",
                "tiering_date",
                "tiering_next_follow_up_date",
                "tiering_next_review_date",
                "tiering_service_tier_id",
                "tiering_rule_id",
            ]
        )
        cid = str(company.id)
        scope = SQL("AND id = ANY(%s)", list(partner_ids)) if partner_ids is not None else SQL()
        return self.env.execute_query(
            SQL(
                """SELECT id, user_id IS NOT NULL, tiering_last_interaction_date,
                          COALESCE(tiering_star_grade ->> %(cid)s, '0'),
                          %(rule_tier)s,
                          (tiering_next_follow_up_date ->> %(cid)s)::date, (tiering_next_review_date ->> %(cid)s)::date
                     FROM res_partner
                    WHERE id = commercial_partner_id AND active
                      AND (tiering_date -> %(cid)s IS NOT NULL OR tiering_next_follow_up_date -> %(cid)s IS NOT NULL
                           OR tiering_rule_id ? %(cid)s)
                      %(scope)s""",
                cid=cid,
                rule_tier=company._tiering_rule_tier_sql(),
                scope=scope,
            )
        )

    def _last_reviews(self, partner_ids):
        """Day of each customer's last business review (a done review activity)."""
        if not partner_ids:
            return {}
        review = self.env.ref(REVIEW_TYPE)
        rows = self.env.execute_query(
            SQL(
                """SELECT p.commercial_partner_id, MAX(m.date)::date
                     FROM mail_message m JOIN res_partner p ON p.id = m.res_id
                    WHERE m.model = 'res.partner' AND m.mail_activity_type_id = %s
                      AND p.commercial_partner_id = ANY(%s)
                    GROUP BY 1""",
                review.id,
                partner_ids,
            )
        )
        return dict(rows)

    def _write_plan(self, company, updates):
        if not updates:
            return
        self.env["trade.tiering.bulk"]._write_company_fields(
            company,
            [row[0] for row in updates],
            {
                "tiering_next_follow_up_date": [row[1] for row in updates],
                "tiering_next_review_date": [row[2] for row in updates],
            },
        )

    # ------------------------------------------------------------------
    # Activities: exactly one open follow-up and one open review per customer
    # ------------------------------------------------------------------

    @api.model
    def _sync_activities(self, partner_ids=None):
        """Create, move or remove follow-up and review activities to match the planned dates.

        A customer shared by several companies follows the earliest date any of them plans.
        """
        self.env["res.partner"].flush_model(["user_id", "tiering_next_follow_up_date", "tiering_next_review_date"])
        scope = SQL("AND id = ANY(%s)", list(partner_ids)) if partner_ids is not None else SQL()
        rows = self.env.execute_query(
            SQL(
                """SELECT id, user_id,
                          (SELECT MIN(value::date) FROM jsonb_each_text(tiering_next_follow_up_date)),
                          (SELECT MIN(value::date) FROM jsonb_each_text(tiering_next_review_date))
                     FROM res_partner
                    WHERE id = commercial_partner_id
                      AND (tiering_next_follow_up_date IS NOT NULL OR tiering_next_review_date IS NOT NULL
                           OR id IN (SELECT res_id FROM mail_activity
                                      WHERE res_model = 'res.partner' AND activity_type_id = ANY(%(types)s)))
                      %(scope)s""",
                types=[self.env.ref(FOLLOW_UP_TYPE).id, self.env.ref(REVIEW_TYPE).id],
                scope=scope,
            )
        )
        ids = [row[0] for row in rows]
        if partner_ids is not None:
            ids = list(set(ids) | set(partner_ids))
        follow_ups = {pid: (user, day) for pid, user, day, _review in rows if user and day}
        reviews = {pid: (user, day) for pid, user, _day, day in rows if user and day}
        self._sync_activity_type(FOLLOW_UP_TYPE, ids, follow_ups)
        self._sync_activity_type(REVIEW_TYPE, ids, reviews)

    def _sync_activity_type(self, xmlid, partner_ids, wanted):
        """Make the open activities of type ``xmlid`` on ``partner_ids`` match ``wanted``.

        ``wanted``: ``{partner id: (user id, deadline)}``; customers missing from it get none.
        """
        activity_type = self.env.ref(xmlid)
        activities = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", partner_ids),
                ("activity_type_id", "=", activity_type.id),
            ]
        )
        kept, to_remove, moves = set(), self.env["mail.activity"], defaultdict(list)
        for activity in activities:
            target = wanted.get(activity.res_id)
            if not target or activity.res_id in kept:
                to_remove |= activity
                continue
            kept.add(activity.res_id)
            user_id, deadline = target
            if (activity.user_id.id, activity.date_deadline) != (user_id, deadline):
                moves[user_id, deadline].append(activity.id)
        to_remove.unlink()
        for (user_id, deadline), ids in moves.items():
            self.env["mail.activity"].browse(ids).write({"user_id": user_id, "date_deadline": deadline})
        partners = self.env["res.partner"]
        self.env["mail.activity"].create(
            [
                activity_values(partners.browse(partner_id), activity_type, user_id, deadline)
                for partner_id, (user_id, deadline) in wanted.items()
                if partner_id not in kept
            ]
        )

    # ------------------------------------------------------------------
    # Team pool
    # ------------------------------------------------------------------

    @api.model
    def _apply_pool(self, company):
        """Warn salespeople a week before their idle customers go back to the pool; release those due.

        A customer goes by the tier it is served in: the one a rule placed it in, else its star grade's.
        """
        today = tiering_day.today()
        tiers = company._tiering_tiers()
        releasing = tiers.filtered("pool_release_days")
        if not releasing:
            return
        tier_of = company._tiering_tier_finder(tiers)
        cid = str(company.id)
        self.env["res.partner"].flush_model(
            [
                "user_id",
                "tiering_last_interaction_date",
                "tiering_star_grade",
                "tiering_date",
                "tiering_service_tier_id",
                "tiering_rule_id",
            ]
        )
        # Those whose star tier or rule tier releases: a few more than due (a rule may keep a star
        # grade's customer in a tier that never releases), the tiers decide below.
        rows = self.env.execute_query(
            SQL(
                """SELECT id, COALESCE(tiering_last_interaction_date, create_date::date), star, rule_tier FROM (
                       SELECT id, tiering_last_interaction_date, create_date,
                              COALESCE(tiering_star_grade ->> %(cid)s, '0') AS star,
                              %(rule_tier)s AS rule_tier
                         FROM res_partner
                        WHERE id = commercial_partner_id AND active AND user_id IS NOT NULL
                          AND (tiering_date -> %(cid)s IS NOT NULL OR tiering_rule_id ? %(cid)s)
                   ) customers
                  WHERE star = ANY(%(stars)s) OR rule_tier = ANY(%(tier_ids)s)""",
                cid=cid,
                rule_tier=company._tiering_rule_tier_sql(),
                stars=[str(star) for tier in releasing for star in range(tier.min_star, tier.max_star + 1)],
                tier_ids=releasing.ids,
            )
        )
        release_days = {
            partner_id: tier_of(star, rule_tier).pool_release_days for partner_id, _idle, star, rule_tier in rows
        }
        status = {
            partner_id: cadence.pool_status(idle_since, release_days[partner_id], today)
            for partner_id, idle_since, _star, _rule_tier in rows
        }
        warned = [pid for pid, state in status.items() if state == "warn"]
        partners = self.env["res.partner"].with_company(company)
        partners.browse(warned)._tiering_warn_pool_release({pid: release_days[pid] for pid in warned})
        partners.browse([pid for pid, state in status.items() if state == "release"])._tiering_release_to_pool()
