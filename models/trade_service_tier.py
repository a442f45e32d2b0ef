from odoo import api, fields, models
from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG
from odoo.exceptions import ValidationError

from ..trade_crm_tiering import tiers as tier_ranges
from .tiering_tools import defer_to_commit, take_deferred

# Fields whose change re-assigns customers to tiers.
RANGE_FIELDS = ("min_star", "max_star", "active", "company_id")


class TradeServiceTier(models.Model):
    """A level of service (A core, B key, C general, D developing) for a range of star grades."""

    _name = "trade.service.tier"
    _description = "Service Tier"
    _order = "company_id, sequence, min_star desc, id"
    _check_company_auto = True

    code = fields.Char(required=True, size=8)
    name = fields.Char(required=True, translate=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    color = fields.Integer()
    min_star = fields.Integer(string="From Stars", required=True, default=0)
    max_star = fields.Integer(string="To Stars", required=True, default=5)
    follow_up_days = fields.Integer(
        string="Follow-up Every (Days)",
        default=30,
        help="The longest allowed gap, in days, between two interactions with the customer.",
    )
    review_months = fields.Integer(
        string="Business Review Every (Months)", help="How often to hold a business review; 0 for none."
    )
    response_hours = fields.Integer(
        string="Response Time (Hours)", default=24, help="Target time to answer the customer."
    )
    require_backup = fields.Boolean(
        string="Backup Salesperson Required", help="A second responsible salesperson is mandatory."
    )
    payment_term_id = fields.Many2one(
        "account.payment.term",
        string="Payment Terms",
        check_company=True,
        help="Given to new orders of customers that have no payment terms of their own.",
    )
    max_discount = fields.Float(
        string="Discount Authority (%)",
        digits=(5, 2),
        help="The largest line discount a salesperson may give without a supervisor's approval.",
    )
    pool_release_days = fields.Integer(
        string="Release to Pool After (Days)",
        help="Without any interaction for this many days, the customer goes back to the team pool; 0: never.",
    )
    order_priority = fields.Boolean(string="Priority Orders", help="Orders of these customers are flagged as priority.")
    handover_weight = fields.Integer(
        default=1,
        help="How much a customer of this tier weighs when a leaving salesperson's customers are spread "
        "over a team: each receiver's load (the weights of the customers it serves) is evened out.",
    )
    handover_approval = fields.Boolean(
        string="Handover Needs Approval",
        help="Handing these customers over to another salesperson needs a sales supervisor's approval.",
    )
    key_relationship = fields.Boolean(
        help="Customers of this tier get a handover review for their new salesperson, and a greeting "
        "before their founding anniversary.",
    )
    customer_count = fields.Integer(compute="_compute_customer_count", string="Customers")

    _sql_constraints = [
        ("code_company_uniq", "unique(code, company_id)", "A tier code is used once per company."),
    ]

    @api.constrains("min_star", "max_star")
    def _check_star_bounds(self):
        for tier in self:
            if not 0 <= tier.min_star <= tier.max_star <= 5:
                raise ValidationError(
                    self.env._(
                        "Tier %(tier)s: stars go from 0 to 5 and its range must not be reversed (%(low)s to %(high)s).",
                        tier=tier.display_name,
                        low=tier.min_star,
                        high=tier.max_star,
                    )
                )

    @api.constrains(
        "follow_up_days", "review_months", "response_hours", "max_discount", "pool_release_days", "handover_weight"
    )
    def _check_policy_values(self):
        for tier in self:
            if min(tier.follow_up_days, tier.review_months, tier.response_hours, tier.pool_release_days) < 0:
                raise ValidationError(
                    self.env._("Tier %(tier)s: cadences and delays cannot be negative.", tier=tier.display_name)
                )
            if tier.follow_up_days == 0:
                raise ValidationError(
                    self.env._("Tier %(tier)s: the follow-up cadence needs at least one day.", tier=tier.display_name)
                )
            if tier.handover_weight < 1:
                raise ValidationError(
                    self.env._("Tier %(tier)s: the handover weight is at least 1.", tier=tier.display_name)
                )
            if not 0 <= tier.max_discount <= 100:
                raise ValidationError(
                    self.env._(
                        "Tier %(tier)s: the discount authority is a percentage between 0 and 100.",
                        tier=tier.display_name,
                    )
                )

    @api.depends("code", "name")
    def _compute_display_name(self):
        for tier in self:
            tier.display_name = f"{tier.code} {tier.name}" if tier.code else tier.name

    @api.depends_context("company")
    def _compute_customer_count(self):
        groups = self.env["res.partner"]._read_group(
            [("tiering_service_tier_id", "in", self.ids), ("parent_id", "=", False)],
            ["tiering_service_tier_id"],
            ["__count"],
        )
        counts = {tier.id: count for tier, count in groups}
        for tier in self:
            tier.customer_count = counts.get(tier.id, 0)

    # ------------------------------------------------------------------
    # Ranges cover 0-5 stars: checked when the transaction commits, so several tiers can be
    # edited one after the other.
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        tiers = super().create(vals_list)
        tiers._schedule_coverage_check(tiers.company_id)
        return tiers

    def write(self, vals):
        companies = self.company_id
        res = super().write(vals)
        if set(RANGE_FIELDS).intersection(vals):
            self._schedule_coverage_check(companies | self.company_id)
        return res

    def unlink(self):
        companies = self.company_id
        res = super().unlink()
        # An uninstall deletes every tier: there is no coverage left to check.
        if not self.env.context.get(MODULE_UNINSTALL_FLAG):
            self._schedule_coverage_check(companies)
        return res

    def _schedule_coverage_check(self, companies):
        defer_to_commit(self.env, "trade_crm_tiering.tier_coverage", companies.ids, self._run_coverage_checks)

    def _run_coverage_checks(self):
        company_ids = take_deferred(self.env, "trade_crm_tiering.tier_coverage")
        companies = self.env["res.company"].browse(company_ids).exists()
        companies._tiering_check_tier_coverage()
        companies._tiering_assign_tiers()

    @api.model
    def _ranges_error(self, company, tiers):
        """A translated message saying what is wrong with ``tiers``' ranges, or None."""
        problem = tier_ranges.coverage_problem([(tier.id, tier.min_star, tier.max_star) for tier in tiers])
        if problem is None:
            return None
        names = {tier.id: tier.display_name for tier in tiers}
        if problem.kind == "gap":
            return self.env._(
                "%(company)s: no service tier covers %(stars)s stars. Tier ranges must cover 0 to 5 stars.",
                company=company.name,
                stars=", ".join(map(str, problem.stars)),
            )
        return self.env._(
            "%(company)s: tiers %(first)s and %(second)s both cover %(stars)s stars. Each grade belongs to one tier.",
            company=company.name,
            first=names[problem.tiers[0]],
            second=names[problem.tiers[1]],
            stars=", ".join(map(str, problem.stars)),
        )
