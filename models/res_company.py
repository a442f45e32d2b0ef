from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from ..trade_crm_tiering import early_warnings, grading, matrix, scoring
from .tiering_constants import GM_GROUP, SUPERVISOR_GROUP

THRESHOLD_FIELDS = tuple(f"tiering_threshold_{star}" for star in range(1, 6))
WEIGHT_FIELDS = tuple(f"tiering_weight_{dimension}" for dimension in scoring.DIMENSIONS)
MATRIX_FIELDS = ("tiering_matrix_cutoff", "tiering_matrix_amount", "tiering_matrix_margin", "tiering_matrix_effort")
WARNING_FIELDS = {
    "growth_spike": "tiering_warn_growth_spike",
    "spike_factor": "tiering_spike_factor",
    "spike_min_amount": "tiering_spike_min_amount",
    "frequency_drop": "tiering_warn_frequency_drop",
    "frequency_factor": "tiering_frequency_factor",
    "dormant": "tiering_warn_dormant",
    "dormant_months": "tiering_dormant_months",
    "inquiries_falling": "tiering_warn_inquiries_falling",
    "inquiry_ratio": "tiering_inquiry_ratio",
    "inquiry_min": "tiering_inquiry_min",
}

# The default service tiers when there is no main-company template to copy.
DEFAULT_TIERS = [
    {
        "code": "A",
        "name": "Core",
        "sequence": 1,
        "color": 10,
        "min_star": 5,
        "max_star": 5,
        "follow_up_days": 7,
        "review_months": 3,
        "response_hours": 4,
        "require_backup": True,
        "max_discount": 10.0,
        "pool_release_days": 0,
        "order_priority": True,
        "handover_weight": 8,
        "handover_approval": True,
        "key_relationship": True,
    },
    {
        "code": "B",
        "name": "Key",
        "sequence": 2,
        "color": 4,
        "min_star": 3,
        "max_star": 4,
        "follow_up_days": 14,
        "review_months": 3,
        "response_hours": 8,
        "require_backup": False,
        "max_discount": 5.0,
        "pool_release_days": 0,
        "order_priority": True,
        "handover_weight": 4,
        "handover_approval": False,
        "key_relationship": True,
    },
    {
        "code": "C",
        "name": "General",
        "sequence": 3,
        "color": 2,
        "min_star": 1,
        "max_star": 2,
        "follow_up_days": 30,
        "review_months": 12,
        "response_hours": 24,
        "require_backup": False,
        "max_discount": 3.0,
        "pool_release_days": 90,
        "order_priority": False,
        "handover_weight": 2,
        "handover_approval": False,
        "key_relationship": False,
    },
    {
        "code": "D",
        "name": "Developing",
        "sequence": 4,
        "color": 0,
        "min_star": 0,
        "max_star": 0,
        "follow_up_days": 60,
        "review_months": 0,
        "response_hours": 48,
        "require_backup": False,
        "max_discount": 0.0,
        "pool_release_days": 30,
        "order_priority": False,
        "handover_weight": 1,
        "handover_approval": False,
        "key_relationship": False,
    },
]


class ResCompany(models.Model):
    _inherit = "res.company"

    tiering_currency_id = fields.Many2one(
        "res.currency",
        string="Grading Currency",
        required=True,
        default=lambda self: self._tiering_default_currency(),
        help="Annual purchase amounts are converted into this currency, at each order's date, "
        "before they are compared with the thresholds.",
    )
    tiering_threshold_1 = fields.Monetary(
        string="1-Star Threshold", currency_field="tiering_currency_id", default=grading.DEFAULT_THRESHOLDS[0]
    )
    tiering_threshold_2 = fields.Monetary(
        string="2-Star Threshold", currency_field="tiering_currency_id", default=grading.DEFAULT_THRESHOLDS[1]
    )
    tiering_threshold_3 = fields.Monetary(
        string="3-Star Threshold", currency_field="tiering_currency_id", default=grading.DEFAULT_THRESHOLDS[2]
    )
    tiering_threshold_4 = fields.Monetary(
        string="4-Star Threshold", currency_field="tiering_currency_id", default=grading.DEFAULT_THRESHOLDS[3]
    )
    tiering_threshold_5 = fields.Monetary(
        string="5-Star Threshold", currency_field="tiering_currency_id", default=grading.DEFAULT_THRESHOLDS[4]
    )
    tiering_basis = fields.Selection(
        [("rolling_12m", "Last 12 months"), ("full_years", "Average of full calendar years")],
        string="Grading Basis",
        required=True,
        default="rolling_12m",
        help="Last 12 months: confirmed sales of the last 365 days.\n"
        "Average of full calendar years: the yearly average over the last full years, "
        "leaving out the excluded years.",
    )
    tiering_years = fields.Integer(
        string="Years Averaged",
        default=grading.DEFAULT_YEARS,
        help="How many full calendar years the average spans (1 to 5).",
    )
    tiering_excluded_years = fields.Char(
        string="Excluded Years",
        help="Abnormal years to leave out of the average, separated by commas, e.g. 2020, 2021. "
        "The average reaches further back to keep the number of years.",
    )

    tiering_auto_upgrade = fields.Selection(
        [("request", "Ask for approval"), ("apply", "Apply at once")],
        string="Upgrades Into Key or VIP",
        required=True,
        default="request",
        help="When purchases alone raise a customer into a key-account or VIP grade: open an approval "
        "request (the customer is served at the highest ordinary grade meanwhile), or apply it at once.",
    )
    tiering_downgrade_grace_days = fields.Integer(
        string="Downgrade Grace Period",
        default=30,
        help="Days a key account or VIP keeps its grade after its purchases fall below it, so its team "
        "can try to retain it.",
    )
    tiering_approver_id = fields.Many2one(
        "res.users",
        string="Default Approver",
        domain=lambda self: [("groups_id", "in", self.env.ref(SUPERVISOR_GROUP).id)],
        help="Approves key-account grades when the customer's sales team leader is not a supervisor.",
    )
    tiering_gm_id = fields.Many2one(
        "res.users",
        string="General Manager",
        domain=lambda self: [("groups_id", "in", self.env.ref(GM_GROUP).id)],
        help="Approves VIP grades after the supervisor.",
    )
    tiering_last_regrade = fields.Datetime(
        string="Last Full Regrade",
        readonly=True,
        help="Until the first full regrade, grades are a first classification and apply without approval.",
    )

    tiering_tier_ids = fields.One2many("trade.service.tier", "company_id", string="Service Tiers")
    tiering_claim_cap = fields.Integer(
        string="Daily Claim Cap",
        default=20,
        help="How many customers a salesperson may claim from the team pool in a day.",
    )
    tiering_claim_cooldown_days = fields.Integer(
        string="Claim-back Cooldown",
        default=7,
        help="Days before a customer released to the pool may be claimed back by its previous salesperson.",
    )

    @api.constrains("tiering_claim_cap", "tiering_claim_cooldown_days")
    def _check_tiering_pool_settings(self):
        for company in self:
            if company.tiering_claim_cap < 0 or company.tiering_claim_cooldown_days < 0:
                raise ValidationError(
                    self.env._("%(company)s: the claim cap and cooldown cannot be negative.", company=company.name)
                )

    # Scoring
    tiering_weight_current = fields.Integer(string="Current Value Weight", default=scoring.DEFAULT_WEIGHTS[0])
    tiering_weight_potential = fields.Integer(string="Potential Value Weight", default=scoring.DEFAULT_WEIGHTS[1])
    tiering_weight_difficulty = fields.Integer(
        string="Cooperation Difficulty Weight", default=scoring.DEFAULT_WEIGHTS[2]
    )
    tiering_weight_stickiness = fields.Integer(
        string="Relationship Stickiness Weight", default=scoring.DEFAULT_WEIGHTS[3]
    )
    tiering_matrix_cutoff = fields.Selection(
        [("median", "Median of the customers"), ("fixed", "Fixed values")],
        string="Value Matrix Cut-offs",
        required=True,
        default="median",
        help="Where order size, margin and effort split into big/small and high/low: at the median of the "
        "customers with sales in the last 12 months, or at fixed values.",
    )
    tiering_matrix_amount = fields.Monetary(
        string="Big Order Size From",
        currency_field="tiering_currency_id",
        help="Sales of the last 12 months from which a customer is big.",
    )
    tiering_matrix_margin = fields.Float(
        string="High Margin From (%)", help="Margin rate of the last 12 months from which a customer's margin is high."
    )
    tiering_matrix_effort = fields.Float(
        string="High Effort Above",
        help="Cost to serve (interactions per 10,000 of sales) above which a customer takes much effort.",
    )
    tiering_warn_growth_spike = fields.Boolean(string="Warn of Growth Spikes", default=True)
    tiering_spike_factor = fields.Float(
        string="Growth Spike Factor",
        default=3.0,
        help="Sales of the last 6 months at least this many times those of the 6 months before.",
    )
    tiering_spike_min_amount = fields.Monetary(
        string="Growth Spike Minimum",
        currency_field="tiering_currency_id",
        default=10_000.0,
        help="...and at least this much, in the grading currency.",
    )
    tiering_warn_frequency_drop = fields.Boolean(string="Warn of Order Frequency Drops", default=True)
    tiering_frequency_factor = fields.Float(
        string="Order Gap Factor",
        default=1.5,
        help="Warn when the days since the last order exceed this many times the customer's usual gap.",
    )
    tiering_warn_dormant = fields.Boolean(string="Warn of Dormant Customers", default=True)
    tiering_dormant_months = fields.Integer(
        string="Dormant After (Months)", default=12, help="Months without an order after which a customer is dormant."
    )
    tiering_warn_inquiries_falling = fields.Boolean(string="Warn of Falling Inquiries", default=True)
    tiering_inquiry_ratio = fields.Float(
        string="Inquiry Ratio",
        default=0.5,
        help="Warn when the leads of the last 3 months are fewer than this share of the 3 months before.",
    )
    tiering_inquiry_min = fields.Integer(
        string="Minimum Earlier Inquiries",
        default=2,
        help="Only customers with at least this many leads in the 3 months before are watched.",
    )
    tiering_last_scoring = fields.Datetime(string="Last Scoring", readonly=True)

    @api.constrains("tiering_downgrade_grace_days")
    def _check_tiering_grace_days(self):
        for company in self:
            if company.tiering_downgrade_grace_days < 0:
                raise ValidationError(
                    self.env._("%(company)s: the downgrade grace period cannot be negative.", company=company.name)
                )

    @api.constrains(*THRESHOLD_FIELDS)
    def _check_tiering_thresholds(self):
        for company in self:
            try:
                grading.check_thresholds(company._tiering_thresholds())
            except grading.GradingConfigError as error:
                raise ValidationError(self._tiering_threshold_message(company, error)) from None

    @api.constrains("tiering_years", "tiering_excluded_years", "tiering_basis")
    def _check_tiering_years(self):
        for company in self:
            try:
                grading.check_years(company.tiering_years)
                grading.parse_excluded_years(company.tiering_excluded_years)
            except grading.GradingConfigError as error:
                if error.code == "years_range":
                    raise ValidationError(
                        self.env._(
                            "%(company)s: the grading average must span between %(low)s and %(high)s "
                            "full years, not %(years)s.",
                            company=company.name,
                            **error.params,
                        )
                    ) from None
                raise ValidationError(
                    self.env._(
                        '%(company)s: "%(token)s" is not a year. Write excluded years as four-digit '
                        "years separated by commas, e.g. 2020, 2021.",
                        company=company.name,
                        token=error.params["token"],
                    )
                ) from None

    @api.constrains(*WEIGHT_FIELDS)
    def _check_tiering_weights(self):
        for company in self:
            try:
                scoring.check_weights(company._tiering_weights())
            except scoring.ScoringConfigError as error:
                if error.code == "negative":
                    raise ValidationError(
                        self.env._(
                            "%(company)s: score weights cannot be negative (%(weight)s).",
                            company=company.name,
                            weight=error.params["weight"],
                        )
                    ) from None
                raise ValidationError(
                    self.env._(
                        "%(company)s: the four score weights must add up to 100, not %(total)s.",
                        company=company.name,
                        total=error.params["total"],
                    )
                ) from None

    @api.constrains(*MATRIX_FIELDS)
    def _check_tiering_matrix(self):
        for company in self:
            try:
                company._tiering_cutoffs().check()
            except matrix.MatrixConfigError as error:
                if error.code == "margin_range":
                    raise ValidationError(
                        self.env._(
                            "%(company)s: the value matrix margin cut-off must be between -100%% and 100%%, "
                            "not %(value)s%%.",
                            company=company.name,
                            value=error.params["value"],
                        )
                    ) from None
                raise ValidationError(
                    self.env._(
                        "%(company)s: the value matrix order size and effort cut-offs cannot be negative.",
                        company=company.name,
                    )
                ) from None

    @api.constrains(*WARNING_FIELDS.values())
    def _check_tiering_warnings(self):
        for company in self:
            try:
                company._tiering_warning_thresholds().check()
            except early_warnings.WarningConfigError as error:
                raise ValidationError(self._tiering_warning_message(company, error)) from None

    def _tiering_warning_message(self, company, error):
        value = error.params["value"]
        messages = {
            "spike_factor": self.env._(
                "%(company)s: the growth spike factor must be above 1, not %(value)s.",
                company=company.name,
                value=value,
            ),
            "spike_min_amount": self.env._(
                "%(company)s: the growth spike minimum cannot be negative.", company=company.name
            ),
            "frequency_factor": self.env._(
                "%(company)s: the order gap factor must be above 1, not %(value)s.", company=company.name, value=value
            ),
            "dormant_months": self.env._(
                "%(company)s: a customer is dormant after at least 1 month without orders, not %(value)s.",
                company=company.name,
                value=value,
            ),
            "inquiry_ratio": self.env._(
                "%(company)s: the inquiry ratio must be between 0 and 1 (exclusive), not %(value)s.",
                company=company.name,
                value=value,
            ),
            "inquiry_min": self.env._(
                "%(company)s: the minimum earlier inquiries must be at least 1, not %(value)s.",
                company=company.name,
                value=value,
            ),
        }
        return messages[error.code]

    def _tiering_weights(self):
        self.ensure_one()
        return tuple(self[fname] for fname in WEIGHT_FIELDS)

    def _tiering_cutoffs(self):
        self.ensure_one()
        return matrix.Cutoffs(
            mode=self.tiering_matrix_cutoff,
            amount=self.tiering_matrix_amount,
            margin=self.tiering_matrix_margin,
            effort=self.tiering_matrix_effort,
        )

    def _tiering_warning_thresholds(self):
        self.ensure_one()
        return early_warnings.Thresholds(**{key: self[fname] for key, fname in WARNING_FIELDS.items()})

    def _tiering_scoring_config(self):
        """This company's scoring settings, for trade_crm_tiering.scoring.evaluate."""
        self.ensure_one()
        return scoring.ScoringConfig(
            weights=self._tiering_weights(),
            cutoffs=self._tiering_cutoffs(),
            thresholds=self._tiering_warning_thresholds(),
        )

    def _tiering_threshold_message(self, company, error):
        if error.code == "not_positive":
            return self.env._(
                "%(company)s: the %(star)s-star threshold must be greater than zero.",
                company=company.name,
                star=error.params["star"],
            )
        currency = company.tiering_currency_id
        return self.env._(
            "%(company)s: the %(star)s-star threshold (%(value)s) must be higher than the "
            "%(previous_star)s-star threshold (%(previous)s).",
            company=company.name,
            star=error.params["star"],
            previous_star=error.params["previous_star"],
            value=formatLang(self.env, error.params["value"], currency_obj=currency),
            previous=formatLang(self.env, error.params["previous"], currency_obj=currency),
        )

    def _tiering_thresholds(self):
        self.ensure_one()
        return tuple(self[fname] for fname in THRESHOLD_FIELDS)

    def _tiering_window(self, today):
        """The grading window of this company's settings on ``today``."""
        self.ensure_one()
        return grading.grading_window(
            self.tiering_basis,
            today,
            years=self.tiering_years,
            excluded_years=grading.parse_excluded_years(self.tiering_excluded_years),
        )

    @api.model
    def _tiering_default_currency(self, currency_id=None):
        """USD when it is active, else the company's own currency: creating a company never fails
        for want of a grading currency."""
        usd = self.env.ref("base.USD", raise_if_not_found=False)
        if usd and usd.sudo().active:
            return usd
        currency = self.env["res.currency"].browse(currency_id) if currency_id else self._default_currency_id()
        return currency or usd

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("tiering_currency_id"):
                vals["tiering_currency_id"] = self._tiering_default_currency(vals.get("currency_id")).id
        companies = super().create(vals_list)
        companies._tiering_activate_currency()
        companies._tiering_create_default_tiers()
        return companies

    def write(self, vals):
        res = super().write(vals)
        if "tiering_currency_id" in vals:
            self._tiering_activate_currency()
        return res

    def _tiering_activate_currency(self):
        inactive = self.tiering_currency_id.filtered(lambda currency: not currency.active)
        # sudo: choosing a grading currency in Settings must activate it even for a sales
        # administrator without the accounting rights res.currency asks for.
        inactive.sudo().active = True

    # ------------------------------------------------------------------
    # Service tiers
    # ------------------------------------------------------------------

    def _tiering_create_default_tiers(self):
        """Give each company without tiers the default A/B/C/D tiers.

        They are copied from the main company's when it has some (translations included),
        else made from the built-in defaults.
        """
        tiers = self.env["trade.service.tier"].sudo()
        template = tiers.with_context(active_test=False).search(
            [("company_id", "=", self.env.ref("base.main_company", raise_if_not_found=False).id or 0)]
        )
        for company in self:
            if tiers.with_context(active_test=False).search_count([("company_id", "=", company.id)]):
                continue
            if template:
                for tier in template:
                    term = tier.payment_term_id
                    tier.copy({"company_id": company.id, "payment_term_id": term.id if not term.company_id else False})
            else:
                tiers.create([dict(values, company_id=company.id) for values in DEFAULT_TIERS])

    def _tiering_tiers(self):
        """The company's active service tiers, whoever asks: the passes and checks read them all."""
        self.ensure_one()
        return self.env["trade.service.tier"].sudo().search([("company_id", "=", self.id)])

    def _tiering_tier_map(self, tiers=None):
        """``{star: tier}`` of the company's active tiers (``tiers``, when already searched)."""
        self.ensure_one()
        if tiers is None:
            tiers = self._tiering_tiers()
        return {star: tier for tier in tiers for star in range(tier.min_star, tier.max_star + 1)}

    def _tiering_tier_finder(self, tiers=None):
        """``tier_of(star, rule tier id)``: the tier a rule placed a customer in, else its star grade's
        (None when no tier covers it). ``tiers``: the company's, when already searched."""
        self.ensure_one()
        if tiers is None:
            tiers = self._tiering_tiers()
        by_id = {tier.id: tier for tier in tiers}
        by_star = self._tiering_tier_map(tiers)
        return lambda star, rule_tier: by_id.get(rule_tier) or by_star.get(int(star))

    def _tiering_rule_tier_sql(self):
        """SQL of the tier a rule placed each ``res_partner`` row in (NULL: its star grade places it).

        In rule mode the stored tier of a customer a rule placed is the rule's (or the approved
        request's): the tier it is served in, whatever its stars.
        """
        self.ensure_one()
        if self.tiering_tier_mode != "rules":
            return SQL("NULL::int4")
        return SQL(
            "CASE WHEN tiering_rule_id ? %(cid)s THEN (tiering_service_tier_id ->> %(cid)s)::int4 END", cid=str(self.id)
        )

    def _tiering_check_tier_coverage(self):
        tiers_model = self.env["trade.service.tier"].sudo()
        for company in self:
            message = tiers_model._ranges_error(company, company._tiering_tiers())
            if message:
                raise ValidationError(message)

    def _tiering_assign_tiers(self):
        """Put every customer of the company in the tier of its grade, in one UPDATE.

        The 0-star tier is the company's fallback (ir.default): customers never graded, and those
        at 0 stars, read it without anything stored.
        """
        partners = self.env["res.partner"]
        for company in self:
            by_star = company._tiering_tier_map()
            fallback = by_star.get(0)
            self.env["ir.default"].sudo().set(
                "res.partner", "tiering_service_tier_id", fallback.id if fallback else False, company_id=company.id
            )
            stars = [str(star) for star in range(6)]
            tiers = [by_star[star].id if star in by_star and by_star[star] != fallback else None for star in range(6)]
            partners.flush_model(["tiering_star_grade", "tiering_service_tier_id"])
            self.env.execute_query(
                SQL(
                    """UPDATE res_partner p
                          SET tiering_service_tier_id = CASE
                              WHEN m.tier IS NULL THEN COALESCE(p.tiering_service_tier_id, '{}'::jsonb) - %(cid)s
                              ELSE COALESCE(p.tiering_service_tier_id, '{}'::jsonb)
                                   || jsonb_build_object(%(cid)s, m.tier)
                          END
                         FROM unnest(%(stars)s::varchar[], %(tiers)s::int4[]) AS m(star, tier)
                        WHERE COALESCE(p.tiering_star_grade ->> %(cid)s, '0') = m.star
                          AND (p.tiering_service_tier_id ->> %(cid)s)::int4 IS DISTINCT FROM m.tier""",
                    cid=str(company.id),
                    stars=stars,
                    tiers=tiers,
                )
            )
        partners.invalidate_model(["tiering_service_tier_id"])
