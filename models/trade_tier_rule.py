"""Service tiers from rules (#14.4, seed 004 rule-based dynamic grading).

A company may place its customers with ordered rules instead of star ranges alone
(``res.company.tiering_tier_mode``). Each rule names a tier and conditions on the score, the
lifecycle stage, the months since the last inquiry and the last confirmed order, the annual amount
and the tags; the first rule that matches places the customer, the star range places the rest.
The maths is ``trade_crm_tiering/tier_rules.py``; here are the records, their checks, the
explanation on the customer form and the nightly unit. The nightly evaluation (one aggregation per
company, bulk writes through the grading engine) is in ``trade_tier_rule_evaluation.py``; the
approval of moves up into the tiers that need it in ``trade_tier_rule_requests.py``.
"""

import logging
import time

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL
from odoo.tools.misc import get_lang

from ..trade_crm_tiering import tier_rules
from .tiering_constants import LIFECYCLE_STAGES

_logger = logging.getLogger(__name__)

INTERNAL = "base.group_user"
TIER_MODES = [("stars", "Star ranges only"), ("rules", "Rules, then star ranges")]
# The tiers a rule may only move a customer up into with approval, by default (seed 004: A and B).
APPROVAL_CODES = ("A", "B")


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
        self.env["res.partner"].flush_model(["tiering_rule_id"])
        for company in self.sudo().company_id:
            rules = self.filtered(lambda rule, company=company: rule.company_id == company)
            cid = str(company.id)
            rows = self.env.execute_query(
                SQL(
                    """UPDATE res_partner SET tiering_rule_id = tiering_rule_id - %(cid)s
                        WHERE (tiering_rule_id ->> %(cid)s)::int4 = ANY(%(ids)s) RETURNING id""",
                    cid=cid,
                    ids=rules.ids,
                )
            )
            if rows:
                self.env["res.partner"].invalidate_model(["tiering_rule_id"])
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

    tiering_rule_id = fields.Many2one(
        "trade.tier.rule",
        string="Placed by Rule",
        company_dependent=True,
        index=False,
        readonly=True,
        copy=False,
        groups=INTERNAL,
        help="The tier rule that placed the customer in its tier; empty when its star grade did.",
    )
    tiering_tier_explanation = fields.Char(
        string="Why This Tier", compute="_compute_tier_explanation", groups=INTERNAL, compute_sudo=False
    )

    @api.depends_context("lang", "company")
    @api.depends("commercial_partner_id", "tiering_service_tier_id")
    def _compute_tier_explanation(self):
        company = self.env.company
        rules_mode = company.tiering_tier_mode == "rules"
        for partner in self:
            # sudo: the rule that placed a customer is read wherever its tier is.
            customer = partner.commercial_partner_id.sudo()
            rule = customer.tiering_rule_id.exists().with_env(self.env)
            tier = partner.tiering_service_tier_id
            if rule:
                partner.tiering_tier_explanation = self.env._(
                    "Tier %(tier)s: rule %(number)s, %(conditions)s",
                    tier=rule.tier_id.code,
                    number=rule.number,
                    conditions=rule.conditions,
                )
            elif rules_mode and tier:
                partner.tiering_tier_explanation = self.env._(
                    "Tier %(tier)s: from the star grade (no rule matches).", tier=tier.code
                )
            else:
                partner.tiering_tier_explanation = False

    @api.model_create_multi
    def create(self, vals_list):
        # No default sets the rule: only the nightly pass does.
        context = {key: value for key, value in self.env.context.items() if key != "default_tiering_rule_id"}
        # pylint: disable-next=context-overridden
        return super(ResPartner, self.with_context(context)).create(vals_list)

    def _tiering_check_grade_write(self, vals):
        res = super()._tiering_check_grade_write(vals)
        if "tiering_rule_id" in vals and not self.env.su:
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
        if rows and "tiering_service_tier_id" in rows[0][1] and company.tiering_tier_mode == "rules":
            kept = self.env["trade.tier.rule"]._rule_tiers(company, [partner_id for partner_id, _values in rows])
            if kept:
                rows = [
                    (pid, dict(values, tiering_service_tier_id=kept[pid]) if pid in kept else values)
                    for pid, values in rows
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
