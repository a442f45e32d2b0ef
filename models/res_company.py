from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from ..trade_crm_tiering import grading

THRESHOLD_FIELDS = tuple(f"tiering_threshold_{star}" for star in range(1, 6))

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
        default=lambda self: self.env.ref("base.USD", raise_if_not_found=False),
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
        domain=lambda self: [("groups_id", "in", self.env.ref("trade_crm_tiering.group_tiering_supervisor").id)],
        help="Approves key-account grades when the customer's sales team leader is not a supervisor.",
    )
    tiering_gm_id = fields.Many2one(
        "res.users",
        string="General Manager",
        domain=lambda self: [("groups_id", "in", self.env.ref("trade_crm_tiering.group_tiering_gm").id)],
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

    @api.model_create_multi
    def create(self, vals_list):
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

    def _tiering_tier_map(self):
        """``{star: tier}`` of the company's active tiers."""
        self.ensure_one()
        tiers = self.env["trade.service.tier"].sudo().search([("company_id", "=", self.id)])
        return {star: tier for tier in tiers for star in range(tier.min_star, tier.max_star + 1)}

    def _tiering_check_tier_coverage(self):
        tiers_model = self.env["trade.service.tier"].sudo()
        for company in self:
            tiers = tiers_model.search([("company_id", "=", company.id)])
            message = tiers_model._ranges_error(company, tiers)
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
                "res.partner", "service_tier_id", fallback.id if fallback else False, company_id=company.id
            )
            stars = [str(star) for star in range(6)]
            tiers = [by_star[star].id if star in by_star and by_star[star] != fallback else None for star in range(6)]
            partners.flush_model(["star_grade", "service_tier_id"])
            self.env.execute_query(
                SQL(
                    """UPDATE res_partner p
                          SET service_tier_id = CASE
                              WHEN m.tier IS NULL THEN COALESCE(p.service_tier_id, '{}'::jsonb) - %(cid)s
                              ELSE COALESCE(p.service_tier_id, '{}'::jsonb) || jsonb_build_object(%(cid)s, m.tier)
                          END
                         FROM unnest(%(stars)s::varchar[], %(tiers)s::int4[]) AS m(star, tier)
                        WHERE COALESCE(p.star_grade ->> %(cid)s, '0') = m.star
                          AND (p.service_tier_id ->> %(cid)s)::int4 IS DISTINCT FROM m.tier""",
                    cid=str(company.id),
                    stars=stars,
                    tiers=tiers,
                )
            )
        partners.invalidate_model(["service_tier_id"])
