"""Service tiers from rules (#14.4, seed 004 rule-based dynamic grading).

A company may place its customers with ordered rules instead of star ranges alone
(``res.company.tiering_tier_mode``). Each rule names a tier and conditions on the score, the
lifecycle stage, the months since the last inquiry and the last confirmed order, the annual amount
and the tags; the first rule that matches places the customer, the star range places the rest.
The maths is ``trade_crm_tiering/tier_rules.py``; here are the records, their checks, the nightly
evaluation (one aggregation per company, bulk writes through the grading engine), the explanation
on the customer form and the approval of moves up into the tiers that need it.
"""

import logging
import time

import numpy as np
import pandas as pd
from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.misc import get_lang

from ..trade_crm_tiering import tier_rules, tiering_day
from .tiering_constants import LIFECYCLE_STAGES
from .trade_lifecycle import DEFAULT_STAGE

_logger = logging.getLogger(__name__)

INTERNAL = "base.group_user"
TIER_MODES = [("stars", "Star ranges only"), ("rules", "Rules, then star ranges")]
# The tiers a rule may only move a customer up into with approval, by default (seed 004: A and B).
APPROVAL_CODES = ("A", "B")
# Fields of a grade request that only the rules pass sets.
RULE_REQUEST_FIELDS = ("requested_tier_id", "tier_rule_id")
OPEN_STATES = ("draft", "to_approve")
# Move-up requests are opened in chunks until this many seconds of a nightly unit are spent: each
# asks its approver through an activity (ORM), so a first night that moves thousands of customers
# up spreads them over units that fit the time budget (the next unit evaluates again, goes on).
REQUEST_SECONDS = 10
REQUEST_CHUNK = 50
# No creation note, follower, tracking or assignment e-mail per request: the nightly job would
# mail the supervisor once per customer (as for the early warnings).
QUIET = {
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "tracking_disable": True,
    "mail_activity_quick_update": True,
}


class TradeTierRule(models.Model):
    """One rule of a company: the tier it places customers in, and its conditions (all must hold)."""

    _name = "trade.tier.rule"
    _description = "Tier Rule"
    _order = "company_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(string="Label", help="An optional name for the rule, shown after its number.")
    sequence = fields.Integer(default=10, help="Rules are tried in this order; the first that matches wins.")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company, ondelete="cascade"
    )
    tier_id = fields.Many2one(
        "trade.service.tier",
        required=True,
        ondelete="cascade",
        check_company=True,
        domain="[('company_id', '=', company_id)]",
    )
    min_score = fields.Integer(string="Score From", help="The customer score (0-100) at least this; 0: no condition.")
    max_score = fields.Integer(string="Score To", help="The customer score (0-100) at most this; 0: no condition.")
    stage_potential = fields.Boolean(string="Potential")
    stage_intent = fields.Boolean(string="Intent")
    stage_deal = fields.Boolean(string="Deal")
    stage_lost = fields.Boolean(string="Lost")
    inquiry_months = fields.Integer(
        string="Inquiry Within (Months)",
        help="A lead or opportunity from the customer within this many months; 0: no condition.",
    )
    order_months = fields.Integer(
        string="Order Within (Months)", help="A confirmed order within this many months; 0: no condition."
    )
    currency_id = fields.Many2one(related="company_id.tiering_currency_id", string="Grading Currency")
    min_amount = fields.Monetary(
        string="Amount From",
        currency_field="currency_id",
        help="The annual purchase amount, in the grading currency, at least this; 0: no condition.",
    )
    tag_any_ids = fields.Many2many(
        "res.partner.category",
        "trade_tier_rule_tag_any_rel",
        "rule_id",
        "category_id",
        string="Any of the Tags",
    )
    tag_all_ids = fields.Many2many(
        "res.partner.category",
        "trade_tier_rule_tag_all_rel",
        "rule_id",
        "category_id",
        string="All of the Tags",
    )
    number = fields.Integer(
        compute="_compute_number", string="Rule No.", help="The rule's number within its tier, in order."
    )
    conditions = fields.Char(compute="_compute_conditions")

    # ------------------------------------------------------------------
    # The rule as tier_rules sees it
    # ------------------------------------------------------------------

    def _stages(self):
        return tuple(stage for stage, _label in LIFECYCLE_STAGES if self[f"stage_{stage}"])

    def _rule(self):
        """This record as a ``tier_rules.Rule`` (0 is "no condition"); the tier is the tier's id."""
        self.ensure_one()
        return tier_rules.Rule(
            tier=self.tier_id.id,
            min_score=self.min_score or None,
            max_score=self.max_score or None,
            stages=self._stages(),
            inquiry_months=self.inquiry_months or None,
            order_months=self.order_months or None,
            min_amount=self.min_amount or None,
            tags_any=tuple(self.tag_any_ids.ids),
            tags_all=tuple(self.tag_all_ids.ids),
            name=self.name or "",
        )

    @api.depends("sequence", "tier_id", "company_id", "active")
    def _compute_number(self):
        numbers = {}
        for company in self.company_id:
            rules = self.with_context(active_test=True).search([("company_id", "=", company.id)])
            numbered = tier_rules.rule_numbers([tier_rules.Rule(tier=rule.tier_id.id) for rule in rules])
            numbers.update(zip(rules.ids, numbered, strict=True))
        for rule in self:
            rule.number = numbers.get(rule._origin.id or rule.id, 0)

    @api.depends("min_score", "max_score", "inquiry_months", "order_months", "min_amount", "tag_any_ids", "tag_all_ids")
    @api.depends("stage_potential", "stage_intent", "stage_deal", "stage_lost")
    @api.depends_context("lang")
    def _compute_conditions(self):
        for rule in self:
            rule.conditions = rule._explain() if rule.tier_id else False

    @api.depends("tier_id", "number", "name")
    @api.depends_context("lang")
    def _compute_display_name(self):
        for rule in self:
            text = self.env._("Tier %(tier)s: rule %(number)s", tier=rule.tier_id.code or "", number=rule.number)
            rule.display_name = f"{text} ({rule.name})" if rule.name else text

    def _explain(self):
        """The rule's conditions in the reader's language (see tier_rules.explain)."""
        self.ensure_one()
        env = self.env
        lang = env["res.lang"].browse(get_lang(env).id)
        stages = dict(env["res.partner"]._fields["trade_lifecycle"]._description_selection(env))
        tags = self.tag_any_ids | self.tag_all_ids
        # sudo: a tag's name is shown wherever the rule is.
        tag_names = {tag.id: tag.name for tag in tags.sudo()}
        return tier_rules.explain(
            self._rule(),
            self._labels(),
            stage_names=stages,
            tag_names=tag_names,
            amount_text=lambda amount: lang.format("%.0f", amount, grouping=True),
        )

    def _labels(self):
        return {
            "score_min": self.env._("score at least %(min)s"),
            "score_max": self.env._("score at most %(max)s"),
            "score_between": self.env._("score %(min)s to %(max)s"),
            "stages": self.env._("stage %(stages)s"),
            "inquiry": self.env._("inquiry within %(months)s months"),
            "order": self.env._("order within %(months)s months"),
            "amount": self.env._("amount at least %(amount)s"),
            "tags_any": self.env._("tagged %(tags)s"),
            "tags_all": self.env._("tagged all of %(tags)s"),
            "and": self.env._(" and "),
            "separator": self.env._(", "),
        }

    # ------------------------------------------------------------------
    # Checks: tier_rules' own, in words
    # ------------------------------------------------------------------

    @api.constrains(
        "tier_id",
        "company_id",
        "min_score",
        "max_score",
        "stage_potential",
        "stage_intent",
        "stage_deal",
        "stage_lost",
        "inquiry_months",
        "order_months",
        "min_amount",
        "tag_any_ids",
        "tag_all_ids",
    )
    def _check_rule(self):
        for rule in self:
            tiers = self.env["trade.service.tier"].sudo().search([("company_id", "=", rule.company_id.id)]).ids
            try:
                rule._rule().check(tiers=tiers)
            except tier_rules.TierRuleError as error:
                raise ValidationError(rule._error_message(error)) from None

    def _error_message(self, error):
        """``error`` (a tier_rules.TierRuleError) as a translated message naming the rule."""
        params = error.params
        rule = self.display_name
        messages = {
            "no_condition": lambda: self.env._(
                "%(rule)s has no condition: it would place every customer in tier %(tier)s. Give it at least one "
                "condition (score, stage, months since the last inquiry or order, amount or tags).",
                rule=rule,
                tier=self.tier_id.display_name,
            ),
            "unknown_tier": lambda: self.env._(
                "%(rule)s places customers in tier %(tier)s, which is not a tier of %(company)s.",
                rule=rule,
                tier=self.tier_id.display_name,
                company=self.company_id.name,
            ),
            "score_range": lambda: self.env._(
                "%(rule)s: a score goes from %(low)s to %(high)s, not %(value)s.",
                rule=rule,
                low=params.get("low"),
                high=params.get("high"),
                value=params.get("value"),
            ),
            "score_order": lambda: self.env._(
                "%(rule)s: the lowest score (%(min)s) is above the highest (%(max)s).",
                rule=rule,
                min=params.get("min"),
                max=params.get("max"),
            ),
            "months": lambda: self.env._(
                "%(rule)s: the months since the last %(what)s must be at least 1, not %(value)s.",
                rule=rule,
                what=self.env._("inquiry") if params.get("field") == "inquiry_months" else self.env._("order"),
                value=params.get("value"),
            ),
            "amount": lambda: self.env._(
                "%(rule)s: the amount cannot be negative (%(value)s).", rule=rule, value=params.get("value")
            ),
            "unknown_stage": lambda: self.env._(
                "%(rule)s: %(stage)s is not a lifecycle stage.", rule=rule, stage=params.get("stage")
            ),
        }
        message = messages.get(error.code)
        return message() if message else self.env._("%(rule)s is not valid.", rule=rule)

    # ------------------------------------------------------------------
    # A deleted or archived rule lets its customers go back to their star range
    # ------------------------------------------------------------------

    def write(self, vals):
        res = super().write(vals)
        if "active" in vals and not vals["active"]:
            self._release_customers()
        return res

    def unlink(self):
        self._release_customers()
        return super().unlink()

    def _release_customers(self):
        """Forget these rules on the customers they placed, who take the tier of their star range."""
        self.env["res.partner"].flush_model(["tier_rule_id"])
        for company in self.sudo().company_id:
            rules = self.filtered(lambda rule, company=company: rule.company_id == company)
            cid = str(company.id)
            rows = self.env.execute_query(
                SQL(
                    """UPDATE res_partner SET tier_rule_id = tier_rule_id - %(cid)s
                        WHERE (tier_rule_id ->> %(cid)s)::int4 = ANY(%(ids)s) RETURNING id""",
                    cid=cid,
                    ids=rules.ids,
                )
            )
            if rows:
                self.env["res.partner"].invalidate_model(["tier_rule_id"])
                company.sudo()._tiering_assign_tiers()


class TradeServiceTier(models.Model):
    _inherit = "trade.service.tier"

    rule_approval = fields.Boolean(
        string="Rule Move-up Needs Approval",
        compute="_compute_rule_approval",
        store=True,
        readonly=False,
        help="A tier rule that would move a customer up into this tier asks a supervisor first.",
    )

    @api.depends("code")
    def _compute_rule_approval(self):
        for tier in self:
            tier.rule_approval = (tier.code or "").strip().upper() in APPROVAL_CODES

    @api.model
    def _tiering_top_tier(self, company):
        """The company's highest tier (A by default): the first in the tiers' order, as ranked by the
        nightly rules pass (``ranks`` in _apply_company)."""
        return self.sudo().search([("company_id", "=", company.id)], limit=1)


class ResCompany(models.Model):
    _inherit = "res.company"

    tiering_tier_mode = fields.Selection(
        TIER_MODES,
        string="Tiers By",
        required=True,
        default="stars",
        help="Star ranges only: each customer is in the tier of its star grade. Rules, then star ranges: the "
        "company's tier rules are tried in order each night, the first that matches places the customer, the "
        "star range places the others.",
    )

    def _tiering_assign_tiers(self):
        """Star ranges for everyone, then the customers a rule placed keep the rule's tier."""
        res = super()._tiering_assign_tiers()
        for company in self.filtered(lambda c: c.tiering_tier_mode == "rules"):
            self.env["trade.tier.rule"]._reapply_rule_tiers(company)
        return res


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    tiering_tier_mode = fields.Selection(related="company_id.tiering_tier_mode", readonly=False)


class ResPartner(models.Model):
    _inherit = "res.partner"

    tier_rule_id = fields.Many2one(
        "trade.tier.rule",
        string="Placed by Rule",
        company_dependent=True,
        index=False,
        readonly=True,
        copy=False,
        groups=INTERNAL,
        help="The tier rule that placed the customer in its tier; empty when its star grade did.",
    )
    tier_explanation = fields.Char(
        string="Why This Tier", compute="_compute_tier_explanation", groups=INTERNAL, compute_sudo=False
    )

    @api.depends_context("lang", "company")
    @api.depends("commercial_partner_id", "service_tier_id")
    def _compute_tier_explanation(self):
        company = self.env.company
        rules_mode = company.tiering_tier_mode == "rules"
        for partner in self:
            # sudo: the rule that placed a customer is read wherever its tier is.
            customer = partner.commercial_partner_id.sudo()
            rule = customer.tier_rule_id.exists().with_env(self.env)
            tier = partner.service_tier_id
            if rule:
                partner.tier_explanation = self.env._(
                    "Tier %(tier)s: rule %(number)s, %(conditions)s",
                    tier=rule.tier_id.code,
                    number=rule.number,
                    conditions=rule.conditions,
                )
            elif rules_mode and tier:
                partner.tier_explanation = self.env._(
                    "Tier %(tier)s: from the star grade (no rule matches).", tier=tier.code
                )
            else:
                partner.tier_explanation = False

    @api.model_create_multi
    def create(self, vals_list):
        # No default sets the rule: only the nightly pass does.
        context = {key: value for key, value in self.env.context.items() if key != "default_tier_rule_id"}
        # pylint: disable-next=context-overridden
        return super(ResPartner, self.with_context(context)).create(vals_list)

    def _tiering_check_grade_write(self, vals):
        res = super()._tiering_check_grade_write(vals)
        if "tier_rule_id" in vals and not self.env.su:
            raise AccessError(
                self.env._(
                    "The tier rule of a customer is set by the nightly pass (and approved moves up); "
                    "it cannot be edited."
                )
            )
        return res


class TradeTieringEngine(models.AbstractModel):
    _inherit = "trade.tiering.engine"

    def _write_grade_fields(self, company, rows):
        """A regrade writes the tier of the new star grade; a customer a rule placed keeps the rule's."""
        if rows and "service_tier_id" in rows[0][1] and company.tiering_tier_mode == "rules":
            kept = self.env["trade.tier.rule"]._rule_tiers(company, [partner_id for partner_id, _values in rows])
            if kept:
                rows = [
                    (pid, dict(values, service_tier_id=kept[pid]) if pid in kept else values) for pid, values in rows
                ]
        return super()._write_grade_fields(company, rows)


RULES_UNIT = "tier_rules"


class TradeTieringNightly(models.AbstractModel):
    _inherit = "trade.tiering.nightly"

    def _unit_scoring(self, company, after):
        """Once the customers are scored, the company's tier rules (a unit of their own, cursor
        ``tier_rules>what follows``), before the value matrix and the credit limits, which both go
        by the tier a customer is served in."""
        if isinstance(after, str) and after.startswith(RULES_UNIT):
            start = time.monotonic()
            summary = self.env["trade.tier.rule"]._apply_company(company)
            _logger.info(
                "Tier rules of %s: %s customers, %s placed anew, %s move-up requests, in %.1f s",
                company.name,
                summary["customers"],
                summary["changed"],
                summary["requests"],
                time.monotonic() - start,
            )
            # More requests to open than one unit does: another unit evaluates again and goes on.
            return after if summary.get("more") else after.partition(">")[2] or None
        result = super()._unit_scoring(company, after)
        scoring = not isinstance(after, str)
        if scoring and result in ("matrix", "credit"):
            return f"{RULES_UNIT}>{result}"
        return result


class TradeGradeRequest(models.Model):
    """Moves up by a tier rule wait for approval as grade requests (source ``rule``)."""

    _inherit = "trade.grade.request"

    source = fields.Selection(selection_add=[("rule", "From a tier rule")], ondelete={"rule": "cascade"})
    requested_tier_id = fields.Many2one("trade.service.tier", readonly=True, copy=False)
    tier_rule_id = fields.Many2one("trade.tier.rule", readonly=True, copy=False)
    current_tier_id = fields.Many2one("trade.service.tier", readonly=True, copy=False)

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                for name in (*RULE_REQUEST_FIELDS, "current_tier_id"):
                    vals.pop(name, None)
        context = {
            key: value
            for key, value in self.env.context.items()
            if key.removeprefix("default_") not in (*RULE_REQUEST_FIELDS, "current_tier_id") or self.env.su
        }
        # pylint: disable-next=context-overridden
        return super(TradeGradeRequest, self.with_context(context)).create(vals_list)

    def write(self, vals):
        if not self.env.su and {*RULE_REQUEST_FIELDS, "current_tier_id"}.intersection(vals):
            raise AccessError(self.env._("The tier and rule of a tier request are set by the nightly rules pass."))
        return super().write(vals)

    @api.depends("partner_id", "requested_star", "requested_tier_id", "current_tier_id")
    @api.depends_context("lang")
    def _compute_display_name(self):
        rule_requests = self.filtered(lambda r: r.source == "rule")
        res = super(TradeGradeRequest, self - rule_requests)._compute_display_name()
        for request in rule_requests:
            request.display_name = self.env._(
                "%(customer)s: tier %(old)s → %(new)s",
                customer=request.partner_id.name or "",
                old=request.current_tier_id.code or "",
                new=request.requested_tier_id.code or "",
            )
        return res

    def _check_submittable(self):
        if self.source != "rule":
            return super()._check_submittable()
        self.ensure_one()
        if self.state != "draft":
            raise UserError(self.env._("%(request)s was already submitted.", request=self.display_name))
        if not self.env.su:
            raise AccessError(self.env._("Tier requests are submitted by the nightly rules pass."))
        return None

    def _grade_approval_chain(self):
        if self.source != "rule":
            return super()._grade_approval_chain()
        self.ensure_one()
        return self._rule_approval_chain(self.env["trade.service.tier"]._tiering_top_tier(self.company_id))

    def _rule_approval_chain(self, top_tier):
        """``[(role, user)]`` of a move up by a rule: a supervisor; into ``top_tier`` (the company's
        highest tier) a supervisor then the general manager, as for a VIP (5-star) grade."""
        self.ensure_one()
        if self.requested_tier_id != top_tier:
            return [("supervisor", self._rule_supervisor())]
        manager = self.company_id.tiering_gm_id.filtered("active")
        if not manager:
            raise UserError(
                self.env._(
                    "Moving %(customer)s up to tier %(tier)s needs a supervisor, then an active general manager: "
                    "set one in Settings > Sales > Customer Tiering.",
                    customer=self.partner_id.name,
                    tier=self.requested_tier_id.display_name,
                )
            )
        # Two different people sign the move into the top tier: the supervisor step never goes to the GM.
        return [("supervisor", self._rule_supervisor(manager)), ("gm", manager)]

    def _rule_supervisor(self, manager=None):
        customer = self.partner_id.with_company(self.company_id)
        supervisor = customer._tiering_supervisor(exclude=self.requester_id | (manager or self.env["res.users"]))
        if supervisor:
            return supervisor
        if manager:
            raise UserError(
                self.env._(
                    "Moving %(customer)s up to tier %(tier)s is signed by two different people: a supervisor, then "
                    "the general manager %(manager)s. Nobody else can sign the supervisor step: make its sales team "
                    "leader a supervisor, or set a default approver in Settings > Sales > Customer Tiering.",
                    customer=self.partner_id.name,
                    tier=self.requested_tier_id.display_name,
                    manager=manager.name,
                )
            )
        raise UserError(
            self.env._(
                "Nobody can approve moving %(customer)s up to tier %(tier)s: make its sales team leader a "
                "supervisor, or set a default approver in Settings > Sales > Customer Tiering.",
                customer=self.partner_id.name,
                tier=self.requested_tier_id.display_name,
            )
        )

    def _finish_approved(self):
        if self.source != "rule":
            return super()._finish_approved()
        self.sudo().state = "approved"
        self.env["trade.tier.rule"]._apply_approved(self)
        self._notify_requester(
            self.env._(
                "Approved: %(customer)s is now in tier %(tier)s.",
                customer=self.partner_id.name,
                tier=self.requested_tier_id.display_name,
            )
        )
        return None

    @api.model
    def _create_rule_requests(self, company, chunk, current_tier, langs, texts):
        """Create and submit the requests of ``chunk`` (``[(customer, (tier, rule))]``) at once."""
        stars = dict(
            self.env.execute_query(
                SQL(
                    "SELECT id, COALESCE(star_grade ->> %s, '0') FROM res_partner WHERE id = ANY(%s)",
                    str(company.id),
                    [pid for pid, _values in chunk],
                )
            )
        )
        new = self.create(
            [
                {
                    "partner_id": pid,
                    "company_id": company.id,
                    "requester_id": SUPERUSER_ID,
                    "source": "rule",
                    "requested_star": stars.get(pid, "0"),
                    "requested_tier_id": tier,
                    "tier_rule_id": rule,
                    "current_tier_id": _int_or_false(current_tier.get(pid)),
                    "reason": texts[rule, langs[pid]],
                }
                for pid, (tier, rule) in chunk
            ]
        )
        # Submitted at once, as action_submit and _approval_start do one by one: the approvers of
        # each (the customer's supervisor, then the GM into the top tier), their approval steps and
        # the first step's activity, created in batches.
        top_tier = self.env["trade.service.tier"]._tiering_top_tier(company)
        chains, drafts = {}, []
        for request in new:
            try:
                # Why it cannot be submitted, if so, is a note in the language of the reason.
                chain = request.with_context(lang=langs[request.partner_id.id])._rule_approval_chain(top_tier)
                chains[request.id] = chain
            except UserError as error:
                drafts.append((request, error.args[0]))
        asked = self.browse(list(chains))
        sequence = self.env["ir.sequence"]
        for request in asked:
            request.write({"state": "to_approve", "name": sequence.next_by_code("trade.grade.request") or request.name})
        all_steps = (
            self.env["trade.approval.step"]
            .sudo()
            .create(
                [
                    {
                        "res_model": self._name,
                        "res_id": request.id,
                        "sequence": index,
                        "role": role,
                        "user_id": user.id,
                    }
                    for request in asked
                    for index, (role, user) in enumerate(chains[request.id])
                ]
            )
        )
        # The first step of each request, in the order of ``asked``: it is asked now, the GM's waits.
        steps = all_steps.filtered(lambda step: step.sequence == 0)
        activity_type = self.env.ref(self._approval_activity_type)
        model_id = self.env["ir.model"]._get_id(self._name)
        today = tiering_day.today()
        activities = (
            self.env["mail.activity"]
            .sudo()
            .with_context(**QUIET)
            .create(
                [
                    {
                        "activity_type_id": activity_type.id,
                        "summary": activity_type.summary,
                        "automated": True,
                        "note": request._approval_activity_note(step),
                        "date_deadline": today,
                        "res_model_id": model_id,
                        "res_id": request.id,
                        "user_id": step.user_id.id,
                    }
                    for request, step in zip(asked, steps, strict=True)
                ]
            )
        )
        for request, step, activity in zip(asked, steps, activities, strict=True):
            step.write({"state": "pending", "activity_id": activity.id})
            request.approval_user_id = step.user_id
        for request, message in drafts:
            # No approver configured: the request waits as a draft, saying why.
            request.message_post(body=Markup("<p>%s</p>") % message)
        return new

    def _cancel_rule_requests(self):
        for request in self:
            request._approval_cancel()
            request.sudo().state = "cancelled"
            request.sudo().message_post(
                body=Markup("<p>%s</p>") % self.env._("Cancelled: the tier rule no longer moves this customer up.")
            )

    def _approval_activity_note(self, step):
        if self.source != "rule":
            return super()._approval_activity_note(step)
        env = self.with_context(lang=self.env["trade.tiering.engine"]._user_lang(step.user_id, self.company_id)).env
        request = self.with_env(env)
        return Markup("<p>%s</p><p>%s</p>") % (
            env._(
                "%(customer)s: tier %(current)s → %(requested)s, by a tier rule.",
                customer=request.partner_id.name,
                current=request.current_tier_id.display_name or "",
                requested=request.requested_tier_id.display_name,
            ),
            env._("Reason: %(reason)s", reason=request.reason),
        )


class TradeTierRuleEvaluation(models.Model):
    """The nightly evaluation, on the rule model: set-based per company."""

    _inherit = "trade.tier.rule"

    @api.model
    def _apply_company(self, company):
        """Place ``company``'s customers by its rules (or back on star ranges); returns a summary."""
        rules_model = self.sudo().with_company(company)
        company = rules_model.env["res.company"].browse(company.id)
        if company.tiering_tier_mode != "rules":
            return rules_model._back_to_stars(company)
        rules = rules_model.search([("company_id", "=", company.id)])
        frame = rules_model._inputs(company)
        if frame.empty:
            return {"customers": 0, "changed": 0, "requests": 0}
        today = tiering_day.today()
        tiers = self.env["trade.service.tier"].sudo().search([("company_id", "=", company.id)])
        by_star = {star: tier.id for star, tier in company._tiering_tier_map().items()}
        fallback_tier = by_star.get(0)
        customers = pd.DataFrame(
            {
                "score": frame["score"].astype("float64"),
                "stage": frame["stage"],
                "days_since_inquiry": _days_since(frame["last_inquiry"], today),
                "days_since_order": _days_since(frame["last_order"], today),
                "amount": frame["amount"].astype("float64"),
            },
            index=frame.index,
        )
        star_tiers = frame["star"].map(lambda star: by_star.get(int(star))).astype("object")
        tags = rules_model._tags(rules, frame.index.tolist())
        result = tier_rules.evaluate(customers, [rule._rule() for rule in rules], star_tiers, tags)
        new_rule = pd.Series(
            [rules.ids[int(position)] if pd.notna(position) else None for position in result["rule"].tolist()],
            index=result.index,
            dtype="object",
        )
        current_tier = frame["tier"].fillna(fallback_tier if fallback_tier else np.nan)
        current_tier = current_tier.astype("object").where(current_tier.notna(), None)
        ranks = {tier.id: rank for rank, tier in enumerate(tiers)}
        approval = (
            tier_rules.needs_approval(current_tier, result["tier"], ranks, tiers.filtered("rule_approval").ids)
            & result["rule"].notna()
        )
        requests = rules_model._follow_up_requests(company, result[approval], new_rule[approval], current_tier)
        free = ~approval
        changed = free & (
            (result["tier"].fillna(0).astype("int64") != current_tier.fillna(0).astype("int64"))
            | (new_rule.fillna(0).astype("int64") != frame["rule"].fillna(0).astype("int64"))
        )
        changes = [
            (int(pid), _int_or_false(tier), _int_or_false(rule))
            for pid, tier, rule in zip(result.index[changed], result["tier"][changed], new_rule[changed], strict=True)
        ]
        rules_model._write_placements(company, changes)
        return {"customers": len(frame), "changed": len(changes), "requests": requests[0], "more": requests[1]}

    def _inputs(self, company):
        """One query: each customer's score, stage, last inquiry and order dates, amount, star grade,
        stored tier and rule. Customers: those with an order or a lead in the company, graded, or placed
        by a rule. An inquiry is a lead or opportunity from the customer (lost ones too), as for the
        scores' inquiry counts and the falling-inquiries warning."""
        self.env.flush_all()
        cid = str(company.id)
        rows = self.env.execute_query(
            SQL(
                """WITH orders AS (
                       SELECT p.commercial_partner_id AS pid, MAX(so.date_order)::date AS last_order
                         FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
                        WHERE so.company_id = %(company)s AND so.state = 'sale'
                        GROUP BY 1
                   ), leads AS (
                       SELECT p.commercial_partner_id AS pid, MAX(l.create_date)::date AS last_inquiry
                         FROM crm_lead l JOIN res_partner p ON p.id = l.partner_id
                        WHERE l.company_id = %(company)s OR l.company_id IS NULL
                        GROUP BY 1
                   )
                   SELECT rp.id,
                          (rp.tiering_score ->> %(cid)s)::float8,
                          COALESCE(rp.trade_lifecycle ->> %(cid)s, %(stage)s),
                          le.last_inquiry,
                          o.last_order,
                          COALESCE((rp.tiering_annual_amount ->> %(cid)s)::float8, 0),
                          COALESCE(rp.star_grade ->> %(cid)s, '0'),
                          (rp.service_tier_id ->> %(cid)s)::int4,
                          (rp.tier_rule_id ->> %(cid)s)::int4
                     FROM res_partner rp
                     LEFT JOIN orders o ON o.pid = rp.id
                     LEFT JOIN leads le ON le.pid = rp.id
                    WHERE rp.id = rp.commercial_partner_id AND rp.active
                      AND (o.pid IS NOT NULL OR le.pid IS NOT NULL OR rp.tiering_date ? %(cid)s
                           OR rp.tier_rule_id ? %(cid)s)""",
                company=company.id,
                cid=cid,
                stage=DEFAULT_STAGE,
            )
        )
        columns = ["id", "score", "stage", "last_inquiry", "last_order", "amount", "star", "tier", "rule"]
        frame = pd.DataFrame.from_records(rows, columns=columns, index="id")
        return frame.astype({"tier": "Int64", "rule": "Int64"})

    def _tags(self, rules, partner_ids):
        """``(customer, tag)`` rows of the tags the rules use, or None when none does."""
        used = (rules.tag_any_ids | rules.tag_all_ids).ids
        if not used or not partner_ids:
            return None
        rows = self.env.execute_query(
            SQL(
                """SELECT partner_id, category_id FROM res_partner_res_partner_category_rel
                    WHERE category_id = ANY(%s) AND partner_id = ANY(%s)""",
                used,
                partner_ids,
            )
        )
        return pd.DataFrame.from_records(rows, columns=["customer", "tag"])

    def _write_placements(self, company, changes):
        """``[(customer, tier id or False, rule id or False)]``: the tier on the customers and their
        contacts, the rule on the customers, in two UPDATEs; customers entering a tier get its playbook."""
        if not changes:
            return
        bulk = self.env["trade.tiering.bulk"].sudo()
        ids = [pid for pid, _tier, _rule in changes]
        before = company._tiering_tier_snapshot(ids)
        bulk._write_company_fields(
            company,
            ids,
            {"service_tier_id": [tier for _pid, tier, _rule in changes], "tier_rule_id": [r for *_x, r in changes]},
        )
        contacts = bulk._contacts_of(ids)
        tiers = {pid: tier for pid, tier, _rule in changes}
        contact_rows = [(contact, tiers[pid]) for pid in ids for contact in contacts.get(pid, ())]
        if contact_rows:
            bulk._write_company_fields(
                company,
                [contact for contact, _tier in contact_rows],
                {"service_tier_id": [tier for _contact, tier in contact_rows]},
            )
        company._tiering_enter_tiers_since(before, ids)

    def _back_to_stars(self, company):
        """A company back on star ranges: forget its rules' placements and cancel their requests."""
        cid = str(company.id)
        self.env["res.partner"].flush_model(["tier_rule_id"])
        rows = self.env.execute_query(
            SQL(
                "UPDATE res_partner SET tier_rule_id = tier_rule_id - %s WHERE tier_rule_id ? %s RETURNING id", cid, cid
            )
        )
        if rows:
            self.env["res.partner"].invalidate_model(["tier_rule_id"])
            company._tiering_assign_tiers()
        self._open_rule_requests(company)._cancel_rule_requests()
        return {"customers": len(rows), "changed": len(rows), "requests": 0}

    def _open_rule_requests(self, company, partner_ids=None):
        domain = [("company_id", "=", company.id), ("source", "=", "rule"), ("state", "in", OPEN_STATES)]
        if partner_ids is not None:
            domain.append(("partner_id", "in", partner_ids))
        return self.env["trade.grade.request"].sudo().search(domain)

    def _follow_up_requests(self, company, proposed, rules, current_tier):
        """One open request per customer a rule would move up into an approval tier; the others' go.

        ``proposed``: evaluate()'s rows of those customers; ``rules``: their rule ids.
        Opens requests for REQUEST_SECONDS at most; returns (opened, whether more are to open).
        """
        start = time.monotonic()
        wanted = {
            int(pid): (int(tier), int(rule))
            for pid, tier, rule in zip(proposed.index, proposed["tier"], rules, strict=True)
        }
        open_requests = self._open_rule_requests(company)
        keep = open_requests.filtered(
            lambda r: wanted.get(r.partner_id.id) == (r.requested_tier_id.id, r.tier_rule_id.id)
        )
        (open_requests - keep)._cancel_rule_requests()
        kept = set(keep.partner_id.ids)
        todo = {pid: values for pid, values in wanted.items() if pid not in kept}
        if not todo:
            return 0, False
        requests = self.env["trade.grade.request"].sudo().with_company(company).with_context(**QUIET)
        langs = self.env["trade.tiering.engine"]._customer_note_langs(company, list(todo))
        texts = {}
        for rule in self.browse({rule for _tier, rule in todo.values()}):
            for lang in set(langs.values()):
                rule_env = rule.with_context(lang=lang)
                texts[rule.id, lang] = rule_env.env._(
                    "%(rule)s: %(conditions)s", rule=rule_env.display_name, conditions=rule_env.conditions
                )
        pending = list(todo.items())
        opened = 0
        while pending and time.monotonic() - start < REQUEST_SECONDS:
            chunk, pending = pending[:REQUEST_CHUNK], pending[REQUEST_CHUNK:]
            opened += len(requests._create_rule_requests(company, chunk, current_tier, langs, texts))
        return opened, bool(pending)

    def _apply_approved(self, request):
        """Serve the customer of an approved rule request in its tier, placed by its rule."""
        company = request.company_id
        rule = request.tier_rule_id.exists()
        self.sudo()._write_placements(
            company, [(request.partner_id.id, request.requested_tier_id.id, rule.id if rule else False)]
        )

    def _rule_tiers(self, company, partner_ids):
        """``{partner id: tier id}`` of ``partner_ids`` (customers or contacts) whose customer a rule placed."""
        self.env["res.partner"].flush_model(["tier_rule_id", "commercial_partner_id"])
        rows = self.env.execute_query(
            SQL(
                """SELECT p.id, r.tier_id
                     FROM res_partner p
                     JOIN res_partner e ON e.id = p.commercial_partner_id
                     JOIN trade_tier_rule r ON r.id = (e.tier_rule_id ->> %(cid)s)::int4
                    WHERE p.id = ANY(%(ids)s) AND e.tier_rule_id ? %(cid)s""",
                cid=str(company.id),
                ids=list(partner_ids),
            )
        )
        return dict(rows)

    @api.model
    def _reapply_rule_tiers(self, company):
        """After the star ranges were applied to everyone: customers a rule placed (and their contacts)
        get their rule's tier back, in one UPDATE."""
        cid = str(company.id)
        self.env["res.partner"].flush_model(["service_tier_id", "tier_rule_id", "commercial_partner_id"])
        self.env.execute_query(
            SQL(
                """UPDATE res_partner p
                      SET service_tier_id = COALESCE(p.service_tier_id, '{}'::jsonb)
                                            || jsonb_build_object(%(cid)s, r.tier_id)
                     FROM res_partner e JOIN trade_tier_rule r ON r.id = (e.tier_rule_id ->> %(cid)s)::int4
                    WHERE e.id = p.commercial_partner_id AND e.tier_rule_id ? %(cid)s
                      AND (p.service_tier_id ->> %(cid)s)::int4 IS DISTINCT FROM r.tier_id""",
                cid=cid,
            )
        )
        self.env["res.partner"].invalidate_model(["service_tier_id"])


def _days_since(dates, today):
    """Whole days from each date (None: never, NaN) to ``today``."""
    stamps = pd.to_datetime(dates, errors="coerce")
    return (pd.Timestamp(today) - stamps).dt.days.astype("float64")


def _int_or_false(value):
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return False
    return int(value)
