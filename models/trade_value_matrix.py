"""What a value class proposes, per company (#14.6, seed 002): a tier change or a release to the pool.

Off by default: a company lists, in Settings, the classes that propose something. The nightly
scoring pass applies the list once the company's customers are scored (``_apply``): a tier change
goes through a grade request and its approvals, one waiting request per customer; a release to the
pool goes through the pool's own release. Both are logged in the customer's chatter.
"""

from dataclasses import replace
from datetime import timedelta

import pandas as pd
from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..trade_crm_tiering import matrix, tiering_day
from .res_partner_value_matrix import ADVICE_SELECTION
from .tiering_constants import VALUE_CLASSES
from .trade_grade_request import OPEN_STATES

CONSEQUENCE_ACTIONS = [
    ("none", "Nothing"),
    ("tier_change", "Propose a tier change"),
    ("release_to_pool", "Release to the team pool"),
]
# A proposal a supervisor rejected, or a customer someone claimed back from the pool, is left
# alone this many days.
QUIET_DAYS = 90
# Tier changes proposed per company and night at most: each request is submitted for approval on
# its own (activities, notifications); the rest follow on the next nights.
MAX_REQUESTS = 500
# Grade requests submitted per unit of the nightly pass (see trade.tiering.nightly).
REQUEST_BATCH = 100


class TradeMatrixConsequence(models.Model):
    """One line of a company's consequences: what customers of a value class propose."""

    _name = "trade.matrix.consequence"
    _description = "Value Matrix Consequence"
    _order = "company_id, id"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, index=True, ondelete="cascade", default=lambda self: self.env.company
    )
    tiering_value_class = fields.Selection(VALUE_CLASSES, required=True)
    advice = fields.Selection(ADVICE_SELECTION, compute="_compute_advice")
    action = fields.Selection(CONSEQUENCE_ACTIONS, required=True, default="none")
    tiering_service_tier_id = fields.Many2one(
        "trade.service.tier",
        string="To Tier",
        check_company=True,
        ondelete="restrict",
        help="The tier a grade request proposes: the lowest grade of the tier when the customer is below it, the "
        "highest when above.",
    )

    @api.depends("tiering_value_class")
    def _compute_advice(self):
        for line in self:
            line.advice = matrix.ADVICE.get(line.tiering_value_class, False)

    @api.onchange("action")
    def _onchange_action(self):
        if self.action != "tier_change":
            self.tiering_service_tier_id = False

    @api.constrains("company_id", "tiering_value_class", "action", "tiering_service_tier_id")
    def _check_consequences(self):
        for company in self.company_id:
            company._tiering_consequences()


class ResCompany(models.Model):
    _inherit = "res.company"

    tiering_matrix_consequence_ids = fields.One2many(
        "trade.matrix.consequence",
        "company_id",
        string="Value Matrix Consequences",
        help="What customers of a value class propose each night; a class not listed proposes nothing.",
    )
    tiering_cost_per_interaction = fields.Monetary(
        string="Cost per Interaction",
        currency_field="tiering_currency_id",
        default=matrix.DEFAULT_COST_PER_INTERACTION,
        help="What a done activity or a logged message costs, in the grading currency: the margin after service "
        "cost is the margin less the last 12 months' interactions at this cost.",
    )

    @api.constrains("tiering_cost_per_interaction")
    def _check_tiering_cost_per_interaction(self):
        for company in self:
            try:
                company._tiering_service_cost().check()
            except matrix.MatrixConfigError:
                raise ValidationError(
                    self.env._(
                        "%(company)s: the cost per interaction cannot be negative (%(value)s).",
                        company=company.name,
                        value=company.tiering_cost_per_interaction,
                    )
                ) from None

    def _tiering_service_cost(self):
        self.ensure_one()
        return matrix.ServiceCost(cost_per_interaction=self.tiering_cost_per_interaction)

    def _tiering_scoring_config(self):
        return replace(super()._tiering_scoring_config(), service_cost=self._tiering_service_cost())

    def _tiering_consequences(self):
        """The company's consequences as a checked ``matrix.Consequences``; ValidationError if unusable."""
        self.ensure_one()
        lines = self.env["trade.matrix.consequence"].sudo().search([("company_id", "=", self.id)])
        classes = dict(VALUE_CLASSES)
        by_class = {}
        for line in lines:
            if line.tiering_value_class in by_class:
                raise ValidationError(
                    self.env._(
                        "%(company)s: the value class %(value_class)s has two consequences; keep one.",
                        company=self.name,
                        value_class=classes[line.tiering_value_class],
                    )
                )
            by_class[line.tiering_value_class] = matrix.Consequence(
                action=line.action, tier=line.tiering_service_tier_id.code or None
            )
        config = matrix.Consequences(by_class)
        tiers = self._tiering_tiers()
        try:
            config.check(tiers=set(tiers.mapped("code")))
        except matrix.MatrixConfigError as error:
            raise ValidationError(self._tiering_consequence_message(error, classes)) from None
        return config

    def _tiering_consequence_message(self, error, classes):
        value_class = classes.get(error.params.get("value_class"), error.params.get("value_class"))
        messages = {
            "tier_missing": self.env._(
                "%(company)s: the value class %(value_class)s proposes a tier change: choose the tier.",
                company=self.name,
                value_class=value_class,
            ),
            "tier_unknown": self.env._(
                "%(company)s: the value class %(value_class)s proposes tier %(tier)s, which is not one of the "
                "company's service tiers.",
                company=self.name,
                value_class=value_class,
                tier=error.params.get("tier"),
            ),
            "tier_unused": self.env._(
                "%(company)s: the value class %(value_class)s names a tier but proposes no tier change; clear the "
                "tier or propose a tier change.",
                company=self.name,
                value_class=value_class,
            ),
        }
        return messages.get(
            error.code,
            self.env._(
                "%(company)s: the value class consequences are not valid (%(value_class)s).",
                company=self.name,
                value_class=value_class,
            ),
        )


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"  # pylint: disable=consider-merging-classes-inherited

    tiering_matrix_consequence_ids = fields.One2many(
        related="company_id.tiering_matrix_consequence_ids", readonly=False
    )
    tiering_cost_per_interaction = fields.Monetary(
        related="company_id.tiering_cost_per_interaction", readonly=False, currency_field="tiering_currency_id"
    )


class TradeGradeRequest(models.Model):
    _inherit = "trade.grade.request"

    source = fields.Selection(selection_add=[("matrix", "From the value matrix")], ondelete={"matrix": "set default"})


class TradeTieringNightly(models.AbstractModel):
    _inherit = "trade.tiering.nightly"

    def _unit_scoring(self, company, after):
        """Once the company's customers are scored, what their value classes propose: units of
        their own, before the credit ratings, each submitting at most REQUEST_BATCH grade requests
        (cursor ``matrix:<requests made tonight>``)."""
        if isinstance(after, str) and after.startswith("matrix"):
            made = int(after.partition(":")[2] or 0)
            limit = min(REQUEST_BATCH, MAX_REQUESTS - made)
            summary = self.env["trade.value.matrix"]._apply(company, limit, release=not made)
            made += summary["requested"]
            return f"matrix:{made}" if summary["requested"] == limit and made < MAX_REQUESTS else "credit"
        following = super()._unit_scoring(company, after)
        # After the last batch; not when the pass could not score (missing rates: after is None).
        if following == "credit" and after is not None and after != "credit":
            return "matrix"
        return following


class TradeValueMatrix(models.AbstractModel):
    _name = "trade.value.matrix"
    _description = "Value Matrix Consequences"

    @api.model
    def _apply(self, company, limit=MAX_REQUESTS, release=True):
        """Apply ``company``'s consequences to its scored customers, set-based: at most ``limit``
        new grade requests, and the releases to the pool when ``release``. Returns counts."""
        # sudo: the nightly pass acts for the company, as the grading engine does.
        matrix_env = self.sudo().with_company(company)
        company = matrix_env.env["res.company"].browse(company.id)
        summary = {"requested": 0, "released": 0, "kept": 0}
        config = company._tiering_consequences()
        active = {key: entry for key, entry in config.by_class.items() if entry.action != "none"}
        if not active:
            return summary
        frame = matrix_env._customers(company, list(active))
        if frame.empty:
            return summary
        tier_of = company._tiering_tier_finder()
        tiers = [tier_of(star, rule_tier) for star, rule_tier in zip(frame["star"], frame["rule_tier"], strict=True)]
        frame["tier"] = [tier.code if tier else None for tier in tiers]
        proposed = matrix.consequences(frame["tiering_value_class"], config, frame["tier"])
        frame = frame.join(proposed.rename(columns={"tier": "target_tier"}))
        # A rule places its customers whatever their grade: a grade request would not move them.
        changes = frame[(frame["action"] == "tier_change") & frame["rule_tier"].isna()]
        releases = frame[(frame["action"] == "release_to_pool") & frame["user_id"].notna()]
        if not changes.empty and limit > 0:
            summary["requested"], summary["kept"] = matrix_env._propose_tier_changes(company, changes, limit)
        if not releases.empty and release:
            summary["released"] = matrix_env._release(company, releases)
        return summary

    def _customers(self, company, classes):
        """The company's customers of ``classes``: value class, grades and salesperson (one query)."""
        partners = self.env["res.partner"]
        partners.flush_model(
            ["tiering_value_class", "tiering_star_grade", "tiering_star_grade_actual", "user_id", "active"]
        )
        cid = str(company.id)
        partners.flush_model(["tiering_service_tier_id", "tiering_rule_id"])
        rows = self.env.execute_query(
            SQL(
                """SELECT id, tiering_value_class ->> %(cid)s, COALESCE((tiering_star_grade ->> %(cid)s)::int, 0),
                          COALESCE((tiering_star_grade_actual ->> %(cid)s)::int, 0), user_id, %(rule_tier)s
                     FROM res_partner
                    WHERE tiering_value_class ->> %(cid)s = ANY(%(classes)s) AND id = commercial_partner_id AND active
                      -- Scored on their orders: a prospect's class is only an estimate from its leads.
                      AND tiering_scored_on ? %(cid)s
                    ORDER BY id""",
                cid=cid,
                classes=classes,
                rule_tier=company._tiering_rule_tier_sql(),
            )
        )
        frame = pd.DataFrame.from_records(
            rows,
            columns=["id", "tiering_value_class", "star", "actual", "user_id", "rule_tier"],
            index="id",
            coerce_float=False,
        )
        frame["user_id"] = frame["user_id"].astype("object").where(frame["user_id"].notna(), None)
        return frame

    def _propose_tier_changes(self, company, changes, limit):
        """One grade request per customer to a grade of its target tier, submitted for approval.

        Left out: customers with a request already open; those whose target grade is below what
        their purchases give (a request cannot go there); those whose same proposal was rejected
        in the last QUIET_DAYS days. Returns ``(requested, left out)``.
        """
        tiers = {tier.code: tier for tier in self.env["trade.service.tier"].search([("company_id", "=", company.id)])}
        targets = {}
        for partner_id, star, actual, code in zip(
            changes.index.tolist(),
            changes["star"].tolist(),
            changes["actual"].tolist(),
            changes["target_tier"].tolist(),
            strict=True,
        ):
            tier = tiers.get(code)
            if not tier:
                continue
            target = tier.min_star if star < tier.min_star else min(tier.max_star, star)
            if target >= actual and target != star:
                targets[partner_id] = target
        requests = self.env["trade.grade.request"]
        since = tiering_day.today() - timedelta(days=QUIET_DAYS)
        blocked = requests.search(
            [
                ("partner_id", "in", list(targets)),
                ("company_id", "=", company.id),
                "|",
                ("state", "in", OPEN_STATES),
                "&",
                "&",
                ("source", "=", "matrix"),
                ("state", "in", ("rejected", "cancelled")),
                ("write_date", ">=", since),
            ]
        )
        rejected = {
            (request.partner_id.id, int(request.requested_star))
            for request in blocked
            if request.state not in OPEN_STATES
        }
        waiting = set(blocked.filtered(lambda request: request.state in OPEN_STATES).partner_id.ids)
        todo = {
            partner_id: star
            for partner_id, star in targets.items()
            if partner_id not in waiting and (partner_id, star) not in rejected
        }
        todo = dict(list(todo.items())[:limit])
        if not todo:
            return 0, len(changes)
        engine = self.env["trade.tiering.engine"]
        langs = engine._customer_note_langs(company, list(todo))
        classes = changes["tiering_value_class"].to_dict()
        codes = changes["target_tier"].to_dict()
        new = requests.create(
            [
                {
                    "partner_id": partner_id,
                    "company_id": company.id,
                    "requester_id": SUPERUSER_ID,
                    "source": "matrix",
                    "requested_star": str(star),
                    "reason": self.with_context(lang=langs[partner_id])._reason(
                        classes[partner_id], tiers[codes[partner_id]]
                    ),
                }
                for partner_id, star in todo.items()
            ]
        )
        bodies = {}
        for request in new:
            lang = langs[request.partner_id.id]
            try:
                with self.env.cr.savepoint():
                    request.with_context(lang=lang).action_submit()
            except UserError as error:
                # Nobody to approve it: the request waits as a draft, saying why.
                request.message_post(body=Markup("<p>%s</p>") % error.args[0])
            env = self.with_context(lang=lang).env
            bodies[request.partner_id.id] = env._(
                "The value matrix proposes tier %(tier)s: %(reason)s Grade request %(request)s.",
                tier=tiers[codes[request.partner_id.id]].with_env(env).display_name,
                reason=request.reason,
                request=request.name,
            )
        self.env["res.partner"].browse(list(bodies))._message_log_batch(bodies=bodies)
        return len(new), len(changes) - len(new)

    def _reason(self, tiering_value_class, tier):
        """Why the value matrix proposes ``tier``, in the language of the context."""
        classes = dict(self.env["res.partner"]._fields["tiering_value_class"]._description_selection(self.env))
        advice = dict(self.env["res.partner"]._fields["tiering_value_class_advice"]._description_selection(self.env))
        return self.env._(
            "Value class %(value_class)s (%(advice)s) proposes tier %(tier)s, as set in Settings.",
            value_class=classes[tiering_value_class],
            advice=advice[matrix.ADVICE[tiering_value_class]],
            tier=tier.with_env(self.env).display_name,
        )

    def _release(self, company, releases):
        """Release these customers to the team pool, but those claimed back in the last QUIET_DAYS days."""
        since = tiering_day.today() - timedelta(days=QUIET_DAYS)
        claimed = self.env["trade.pool.log"].search(
            [
                ("partner_id", "in", releases.index.tolist()),
                ("company_id", "=", company.id),
                ("action", "=", "claim"),
                ("date", ">=", since),
            ]
        )
        ids = [pid for pid in releases.index.tolist() if pid not in set(claimed.partner_id.ids)]
        classes = releases["tiering_value_class"].to_dict()

        def note(env, partner):
            labels = dict(partner._fields["tiering_value_class"]._description_selection(env))
            advice = dict(partner._fields["tiering_value_class_advice"]._description_selection(env))
            return env._(
                "Back to the team pool: its value class %(value_class)s (%(advice)s) releases it, as set in "
                "Settings. %(user)s was its salesperson.",
                value_class=labels[classes[partner.id]],
                advice=advice[matrix.ADVICE[classes[partner.id]]],
                user=partner.user_id.name,
            )

        partners = self.env["res.partner"].browse(ids).with_company(company)
        return len(partners._tiering_release_to_pool(note=note))
