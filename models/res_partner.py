import json
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_date

from ..trade_crm_tiering import cadence, profile, tiering_day
from ..trade_crm_tiering import scoring as maths
from .trade_lifecycle import LIFECYCLE_STAGES
from .trade_tiering_cadence import TIER_ACTIVITY_TYPES
from .trade_tiering_engine import GRADE_FIELDS
from .trade_tiering_engine import SYSTEM_FIELDS as ENGINE_FIELDS
from .trade_tiering_scoring import SCORE_FIELDS

# Fields only the system writes: grades and cadence (the engine) and scores (kept on the customer).
SYSTEM_FIELDS = (*ENGINE_FIELDS, *SCORE_FIELDS)

STAR_SELECTION = [
    ("0", "0 stars"),
    ("1", "1 star"),
    ("2", "2 stars"),
    ("3", "3 stars"),
    ("4", "4 stars"),
    ("5", "5 stars"),
]
CATEGORY_SELECTION = [("ordinary", "Ordinary"), ("key", "Key Account"), ("vip", "VIP")]
# Grade fields whose groups list the highest grade first (see ResPartner._read_group_orderby).
STAR_GROUPBYS = frozenset({"star_grade", "star_grade_actual", "star_grade_potential"})
RFM_SEGMENTS = [
    ("champions", "Champions"),
    ("loyal", "Loyal"),
    ("promising", "Promising"),
    ("need_attention", "Needs Attention"),
    ("at_risk", "At Risk"),
    ("hibernating", "Hibernating"),
    ("lost", "Lost"),
]
VALUE_CLASSES = [
    ("treasure", "Treasure"),
    ("demanding_star", "Demanding Star"),
    ("volume_base", "Volume Base"),
    ("costly_giant", "Costly Giant"),
    ("hidden_gem", "Hidden Gem"),
    ("costly_niche", "Costly Niche"),
    ("maintain", "Low Value"),
    ("let_go", "Let Go"),
]
HEALTH_BANDS = [("good", "Good"), ("fair", "Fair"), ("poor", "Poor")]
HEALTH_TRENDS = [("rising", "Rising"), ("steady", "Steady"), ("falling", "Falling")]
RATING_INDUSTRY = [
    ("1", "1 - Shrinking"),
    ("2", "2 - Weak"),
    ("3", "3 - Stable"),
    ("4", "4 - Growing"),
    ("5", "5 - Booming"),
]
RATING_SIZE = [
    ("1", "1 - Very small"),
    ("2", "2 - Small"),
    ("3", "3 - Medium"),
    ("4", "4 - Large"),
    ("5", "5 - Very large"),
]
RATING_WALLET = [
    ("1", "1 - We have nearly all of it"),
    ("2", "2 - We have most of it"),
    ("3", "3 - We have about half"),
    ("4", "4 - We have a small part"),
    ("5", "5 - We have almost none"),
]
RATING_CHAIN = [
    ("1", "1 - One decision maker"),
    ("2", "2 - Simple"),
    ("3", "3 - A few people involved"),
    ("4", "4 - Complex"),
    ("5", "5 - Many layers and approvals"),
]

SUPERVISOR_GROUP = "trade_crm_tiering.group_tiering_supervisor"

# Trade profile
TRADE_SOURCES = [
    ("trade_show", "Trade Show"),
    ("b2b_platform", "B2B Platform"),
    ("website_inquiry", "Website Inquiry"),
    ("referral", "Referral"),
    ("outbound", "Outbound"),
    ("other", "Other"),
]
SIZE_BANDS = [
    ("micro", "1-9 employees"),
    ("small", "10-49 employees"),
    ("medium", "50-249 employees"),
    ("large", "250-999 employees"),
    ("enterprise", "1,000+ employees"),
]
CREDIT_RATINGS = [(rating, rating) for rating in ("AAA", "AA", "A", "BBB", "BB", "B", "C")]
CHANNELS = [
    ("email", "Email"),
    ("phone", "Phone"),
    ("whatsapp", "WhatsApp"),
    ("wechat", "WeChat"),
    ("linkedin", "LinkedIn"),
    ("video", "Video Call"),
    ("visit", "Visit"),
]
# Lifecycle fields the system keeps; users set the override and its reason only.
LIFECYCLE_SYSTEM_FIELDS = ("trade_lifecycle", "trade_lifecycle_auto")
# Credit fields the system keeps (res_partner_credit.py); users set the rating by hand, with a reason.
CREDIT_SYSTEM_FIELDS = ("trade_credit_rating_auto", "trade_credit_rating_used", "trade_credit_rated_auto_on")
# Since when a customer lacks the backup its tier requires (res_partner_backup.py): the system's.
BACKUP_SYSTEM_FIELDS = ("backup_missing_since",)
# Everything the system keeps on a customer: no user sets it, and no default, copy or import carries it.
PROTECTED_FIELDS = (*SYSTEM_FIELDS, *LIFECYCLE_SYSTEM_FIELDS, *CREDIT_SYSTEM_FIELDS, *BACKUP_SYSTEM_FIELDS)
# Who may give a customer another salesperson directly; reps go through a pool claim or a handover.
REASSIGN_GROUPS = (SUPERVISOR_GROUP, "trade_crm_tiering.group_tiering_admin", "sales_team.group_sale_manager")
# Set, under sudo, by the paths that move customers and log it themselves (pool claim, handover).
OWNERSHIP_TRANSFER = "trade_ownership_transfer"


class ResPartner(models.Model):
    """Grades, tiers and cadence dates per company (company-dependent fields).

    They carry no index: searches read them through ``column ->> company`` expressions an index on
    the jsonb column cannot serve, and every regrade would have to maintain it.
    """

    _inherit = "res.partner"

    tiering_currency_id = fields.Many2one(
        "res.currency", string="Grading Currency", compute="_compute_tiering_currency_id"
    )
    tiering_annual_amount = fields.Float(
        string="Annual Purchase Amount",
        company_dependent=True,
        index=False,
        readonly=True,
        digits=(16, 2),
        help="Confirmed sales of the grading period, untaxed, in the grading currency.",
        copy=False,
    )
    star_grade_actual = fields.Selection(
        STAR_SELECTION,
        string="Actual Grade",
        company_dependent=True,
        index=False,
        readonly=True,
        help="The grade the annual purchase amount gives.",
        copy=False,
    )
    star_grade_potential = fields.Selection(
        STAR_SELECTION,
        string="Potential Grade",
        company_dependent=True,
        index=False,
        readonly=True,
        help="A grade above what the customer buys today, approved so it is served as it could become.",
        copy=False,
    )
    star_grade = fields.Selection(
        STAR_SELECTION,
        company_dependent=True,
        index=False,
        readonly=True,
        help="The grade the customer is served at: the higher of the actual and the approved potential grade.",
        copy=False,
    )
    grade_category = fields.Selection(
        CATEGORY_SELECTION,
        string="Customer Category",
        company_dependent=True,
        index=False,
        readonly=True,
        help="Ordinary: 0-2 stars. Key account: 3-4 stars. VIP: 5 stars.",
        copy=False,
    )
    tiering_date = fields.Date(
        string="Graded On",
        company_dependent=True,
        index=False,
        readonly=True,
        help="When the annual amount or the grade last changed.",
        copy=False,
    )
    potential_reason = fields.Text(
        string="Potential Grade Reason", company_dependent=True, index=False, readonly=True, copy=False
    )
    potential_review_date = fields.Date(
        string="Potential Grade Review",
        company_dependent=True,
        index=False,
        readonly=True,
        help="When the potential grade is looked at again.",
        copy=False,
    )
    tiering_downgrade_due = fields.Date(
        string="Downgrade Due",
        company_dependent=True,
        index=False,
        readonly=True,
        help="The customer's purchases no longer support its category: it is downgraded on this date "
        "unless they recover or a potential grade is approved.",
        copy=False,
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        compute="_compute_team_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        help="The team serving this customer; its leader approves key-account grades.",
    )
    service_tier_id = fields.Many2one(
        "trade.service.tier",
        company_dependent=True,
        index=False,
        readonly=True,
        help="The service the customer gets, from its star grade.",
        copy=False,
    )
    tier_follow_up_days = fields.Integer(related="service_tier_id.follow_up_days", string="Follow-up Every (Days)")
    tier_review_months = fields.Integer(
        related="service_tier_id.review_months", string="Business Review Every (Months)"
    )
    tier_response_hours = fields.Integer(related="service_tier_id.response_hours", string="Response Time (Hours)")
    tier_require_backup = fields.Boolean(related="service_tier_id.require_backup", string="Backup Required")
    tier_max_discount = fields.Float(related="service_tier_id.max_discount", string="Discount Authority (%)")
    tier_pool_release_days = fields.Integer(
        related="service_tier_id.pool_release_days", string="Release to Pool After (Days)"
    )
    tier_payment_term_id = fields.Many2one(related="service_tier_id.payment_term_id", string="Tier Payment Terms")
    backup_user_id = fields.Many2one(
        "res.users",
        string="Backup Salesperson",
        domain="[('share', '=', False)]",
        help="A second salesperson who knows the customer and stands in for the first.",
    )
    last_interaction_date = fields.Date(
        readonly=True,
        index="btree_not_null",
        help="The latest note or email in the customer's chatter, done activity, or quotation or order date.",
        copy=False,
    )
    next_follow_up_date = fields.Date(
        string="Next Follow-up",
        company_dependent=True,
        index=False,
        readonly=True,
        help="The last interaction plus the tier's follow-up cadence.",
        copy=False,
    )
    next_review_date = fields.Date(
        string="Next Business Review", company_dependent=True, index=False, readonly=True, copy=False
    )
    follow_up_overdue = fields.Boolean(
        string="Follow-up Overdue", compute="_compute_follow_up_overdue", search="_search_follow_up_overdue"
    )
    backup_missing = fields.Boolean(
        compute="_compute_backup_missing",
        search="_search_backup_missing",
        help="The customer's tier requires a backup salesperson and it has none.",
    )
    pool_released_date = fields.Date(string="Released to Pool", readonly=True, copy=False)
    pool_previous_user_id = fields.Many2one("res.users", string="Previous Salesperson", readonly=True, copy=False)
    grade_history_count = fields.Integer(compute="_compute_grade_history_count")
    grade_request_count = fields.Integer(compute="_compute_grade_request_count")

    # Scores: per company, maintained by the nightly scoring pass (trade.tiering.scoring). Not
    # indexed: the pass rewrites every changed customer, and each index of res_partner is one more
    # insert per row written (an update of res_partner cannot be HOT). Only the dormant flag, stored
    # for the few dormant customers alone, keeps the default index on what is set.
    tiering_first_order_date = fields.Date(
        string="First Order", company_dependent=True, index=False, readonly=True, copy=False
    )
    tiering_last_order_date = fields.Date(
        string="Last Order", company_dependent=True, index=False, readonly=True, copy=False
    )
    tiering_orders_12m = fields.Integer(
        string="Orders, Last 12 Months", company_dependent=True, index=False, readonly=True, copy=False
    )
    tiering_amount_12m = fields.Float(
        string="Sales, Last 12 Months",
        company_dependent=True,
        index=False,
        readonly=True,
        digits=(16, 2),
        help="Confirmed sales of the last 365 days, untaxed, in the grading currency.",
        copy=False,
    )
    tiering_amount_prev_12m = fields.Float(
        string="Sales, 12 Months Before", company_dependent=True, index=False, readonly=True, digits=(16, 2), copy=False
    )
    tiering_amount_6m = fields.Float(
        string="Sales, Last 6 Months", company_dependent=True, index=False, readonly=True, digits=(16, 2), copy=False
    )
    tiering_amount_prev_6m = fields.Float(
        string="Sales, 6 Months Before", company_dependent=True, index=False, readonly=True, digits=(16, 2), copy=False
    )
    tiering_margin_12m = fields.Float(
        string="Margin, Last 12 Months",
        company_dependent=True,
        index=False,
        readonly=True,
        digits=(16, 2),
        help="Margin of the confirmed orders of the last 365 days (their lines' margins), in the grading currency.",
        copy=False,
    )
    tiering_interactions_12m = fields.Integer(
        string="Interactions, Last 12 Months",
        company_dependent=True,
        index=False,
        readonly=True,
        help="Activities done and messages or notes logged on the customer, its contacts and its orders.",
        copy=False,
    )
    tiering_cost_to_serve = fields.Float(
        string="Cost to Serve",
        compute="_compute_tiering_rates",
        digits=(16, 2),
        help="Interactions of the last 12 months per 10,000 of sales in the grading currency.",
    )
    tiering_days_late = fields.Float(
        string="Average Days Paid Late",
        company_dependent=True,
        index=False,
        readonly=True,
        digits=(16, 1),
        help="Over the customer invoices due in the last 12 months; open ones count until today.",
        copy=False,
    )
    tiering_invoices_due = fields.Integer(
        string="Invoices Due", company_dependent=True, index=False, readonly=True, copy=False
    )
    tiering_decision_days = fields.Float(
        string="Decision Cycle (Days)",
        company_dependent=True,
        index=False,
        readonly=True,
        digits=(16, 1),
        help="Average days from quotation to confirmation of the orders of the last 12 months.",
        copy=False,
    )
    tiering_contact_count = fields.Integer(
        string="Contacts", company_dependent=True, index=False, readonly=True, copy=False
    )
    tiering_repurchase_rate = fields.Float(
        string="Repurchase Rate (%)",
        company_dependent=True,
        index=False,
        readonly=True,
        digits=(16, 1),
        help="Share of the last 8 quarters (since the first order, if later) with an order.",
        copy=False,
    )
    tiering_usual_gap = fields.Float(
        string="Usual Gap Between Orders (Days)",
        company_dependent=True,
        index=False,
        readonly=True,
        digits=(16, 1),
        help="Mean days between the order days of the last 24 months (from 3 order days).",
        copy=False,
    )
    tiering_inquiries_3m = fields.Integer(
        string="Inquiries, Last 3 Months", company_dependent=True, index=False, readonly=True, copy=False
    )
    tiering_inquiries_prev_3m = fields.Integer(
        string="Inquiries, 3 Months Before", company_dependent=True, index=False, readonly=True, copy=False
    )
    score_current = fields.Integer(
        string="Current Value",
        company_dependent=True,
        index=False,
        readonly=True,
        help="0-100: the last 12 months' sales, number of orders and margin, each ranked among the "
        "company's customers.",
        copy=False,
    )
    score_potential = fields.Integer(
        string="Potential Value",
        company_dependent=True,
        index=False,
        readonly=True,
        help="0-100: growth over the year before and the ratings of industry outlook, company size and "
        "share of wallet. 50 when none is known.",
        copy=False,
    )
    score_difficulty = fields.Integer(
        string="Cooperation Difficulty",
        company_dependent=True,
        index=False,
        readonly=True,
        help="0-100, higher is easier: cost to serve, payment behaviour, decision cycle and the rating of "
        "the decision chain.",
        copy=False,
    )
    score_stickiness = fields.Integer(
        string="Relationship Stickiness",
        company_dependent=True,
        index=False,
        readonly=True,
        help="0-100: years as a customer, contacts we deal with, repurchase rate.",
        copy=False,
    )
    tiering_score = fields.Integer(
        string="Customer Score",
        company_dependent=True,
        index=False,
        readonly=True,
        help="0-100: the four dimension scores weighted as set in Settings.",
        copy=False,
    )
    rfm_score = fields.Char(
        string="RFM Score",
        company_dependent=True,
        index=False,
        readonly=True,
        help="Recency, frequency and monetary quintiles among the company's customers, 1-5 each (5 is "
        "best): 545 bought very recently, often, and a lot.",
        copy=False,
    )
    rfm_segment = fields.Selection(
        RFM_SEGMENTS, string="RFM Segment", company_dependent=True, index=False, readonly=True, copy=False
    )
    value_class = fields.Selection(
        VALUE_CLASSES,
        company_dependent=True,
        index=False,
        readonly=True,
        help="The customer value matrix: order size, margin and effort of the last 12 months, each split "
        "at the company's cut-off.",
        copy=False,
    )
    value_class_action = fields.Char(string="Recommended Action", compute="_compute_value_class_action")
    health_score = fields.Integer(
        string="Customer Health",
        company_dependent=True,
        index=False,
        readonly=True,
        help="0-100: ordering on time against the usual rhythm, sales momentum, payment and inquiries.",
        copy=False,
    )
    health_band = fields.Selection(HEALTH_BANDS, company_dependent=True, index=False, readonly=True, copy=False)
    health_trend = fields.Selection(
        HEALTH_TRENDS,
        company_dependent=True,
        index=False,
        readonly=True,
        help="Against the health at the end of the previous quarter: 5 points or more up or down.",
        copy=False,
    )
    health_previous = fields.Integer(
        string="Health Last Quarter", company_dependent=True, index=False, readonly=True, copy=False
    )
    health_quarter = fields.Date(company_dependent=True, index=False, readonly=True, copy=False)
    tiering_dormant = fields.Boolean(
        string="Dormant",
        company_dependent=True,
        readonly=True,
        help="No order for the months set in Settings (12 by default) after having ordered.",
        copy=False,
    )
    tiering_scored_on = fields.Date(
        string="Scored On",
        company_dependent=True,
        index=False,
        readonly=True,
        help="When the scores last changed.",
        copy=False,
    )
    tiering_margin_rate = fields.Float(string="Margin Rate (%)", compute="_compute_tiering_rates", digits=(16, 1))
    tiering_growth_rate = fields.Float(string="Growth (%)", compute="_compute_tiering_rates", digits=(16, 1))
    tiering_warning_count = fields.Integer(string="Open Warnings", compute="_compute_tiering_warning_count")

    # Rep-entered ratings (1-5), the same in every company.
    tiering_rating_industry = fields.Selection(
        RATING_INDUSTRY, string="Industry Outlook", help="How the customer's industry is doing."
    )
    tiering_rating_size = fields.Selection(RATING_SIZE, string="Company Size")
    tiering_rating_wallet = fields.Selection(
        RATING_WALLET,
        string="Share of Wallet",
        help="How much of the customer's purchases of our kind of products we already have: the less, "
        "the more room to grow.",
    )
    tiering_rating_chain = fields.Selection(
        RATING_CHAIN, string="Decision Chain", help="How many people and steps a purchase decision takes."
    )

    # Trade profile: what reps know about the customer's business, the same in every company.
    trade_source = fields.Selection(TRADE_SOURCES, string="Customer Source", help="Where the customer first came from.")
    trade_size_band = fields.Selection(SIZE_BANDS, string="Company Size Band")
    trade_main_products = fields.Char(string="Main Products Bought")
    trade_declared_volume = fields.Monetary(
        string="Declared Annual Volume",
        currency_field="tiering_currency_id",
        help="What the customer says it buys a year, all suppliers together: an argument for a potential grade.",
    )
    trade_target_price = fields.Monetary(
        string="Target Price",
        currency_field="tiering_currency_id",
        help="The price the customer aims at for its main product.",
    )
    trade_credit_rating = fields.Selection(CREDIT_RATINGS, string="Credit Rating")
    trade_credit_rated_on = fields.Date(string="Credit Rated On")
    trade_founded_on = fields.Date(
        string="Founded On", help="The customer's founding date: key customers get a greeting before its anniversary."
    )
    trade_preferred_channel = fields.Selection(CHANNELS, string="Preferred Channel")
    # Lifecycle stage, per company: computed from leads, quotations, orders and dormancy (see
    # trade.lifecycle); a rep may set it by hand, with a reason.
    trade_lifecycle = fields.Selection(
        LIFECYCLE_STAGES,
        string="Lifecycle Stage",
        company_dependent=True,
        readonly=True,
        help="Potential: nothing but leads yet. Intent: an open opportunity or quotation. Deal: ordered "
        "within a year. Lost: no order for a year, or its leads were lost. Set by hand when that is wrong.",
        copy=False,
    )
    trade_lifecycle_auto = fields.Selection(
        LIFECYCLE_STAGES, string="Computed Stage", company_dependent=True, readonly=True, copy=False
    )
    trade_lifecycle_override = fields.Selection(
        LIFECYCLE_STAGES, string="Stage Set by Hand", company_dependent=True, tracking=True
    )
    trade_lifecycle_reason = fields.Char(string="Why Set by Hand", company_dependent=True)

    @api.depends_context("company")
    def _compute_tiering_currency_id(self):
        self.tiering_currency_id = self.env.company.tiering_currency_id

    @api.depends("user_id")
    def _compute_team_id(self):
        teams = self.env["crm.team"]
        for partner in self:
            user = partner.user_id
            team = partner.team_id
            if user and user not in team.member_ids | team.user_id:
                team = teams._get_default_team_id(
                    user_id=user.id, domain=teams._check_company_domain(partner.company_id)
                )
            partner.team_id = team

    @api.depends_context("company")
    @api.depends("next_follow_up_date")
    def _compute_follow_up_overdue(self):
        today = fields.Date.context_today(self)
        for partner in self:
            partner.follow_up_overdue = bool(partner.next_follow_up_date and partner.next_follow_up_date < today)

    def _search_follow_up_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on overdue follow-ups."))
        overdue = [("next_follow_up_date", "<", fields.Date.context_today(self))]
        return overdue if (operator == "=") == value else ["!", *overdue]

    @api.depends_context("company")
    @api.depends("service_tier_id", "backup_user_id")
    def _compute_backup_missing(self):
        for partner in self:
            partner.backup_missing = bool(partner.service_tier_id.require_backup and not partner.backup_user_id)

    def _search_backup_missing(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on missing backups."))
        tiers = self.env["trade.service.tier"].search([("require_backup", "=", True)])
        missing = [("service_tier_id", "in", tiers.ids), ("backup_user_id", "=", False)]
        return missing if (operator == "=") == value else ["!", "&", *missing]

    @api.depends_context("company")
    def _compute_grade_history_count(self):
        counts = self._tiering_count("trade.grade.history")
        for partner in self:
            partner.grade_history_count = counts.get(partner.commercial_partner_id.id, 0)

    @api.depends_context("company")
    def _compute_grade_request_count(self):
        counts = self._tiering_count("trade.grade.request")
        for partner in self:
            partner.grade_request_count = counts.get(partner.commercial_partner_id.id, 0)

    @api.depends("value_class")
    @api.depends_context("company")
    def _compute_value_class_action(self):
        actions = self._tiering_value_class_actions()
        for partner in self:
            partner.value_class_action = actions.get(partner.value_class, False)

    def _tiering_value_class_actions(self):
        # What seed 002 says of each class (see trade_crm_tiering.matrix.ADVICE).
        return {
            "treasure": self.env._("Treasure: keep investing, guard against complacency, or the money will not last."),
            "demanding_star": self.env._("Demanding star: worth the trouble for the money; serve it well."),
            "volume_base": self.env._(
                "Volume base: little effort but much capital tied up; keep it if the capital it ties up can be "
                "afforded."
            ),
            "costly_giant": self.env._("Costly giant: low margin and much effort; consider dropping it."),
            "hidden_gem": self.env._(
                "Hidden gem: real money and fast cash flow; new salespeople and small companies should not "
                "look down on it."
            ),
            "costly_niche": self.env._("Costly niche: a high margin on little, for much effort; consider dropping it."),
            "maintain": self.env._("Low value: drop it and spend the time on what matters more."),
            "let_go": self.env._("Let go: drop it and spend the time on what matters more."),
        }

    @api.depends("tiering_amount_12m", "tiering_amount_prev_12m", "tiering_margin_12m", "tiering_interactions_12m")
    @api.depends_context("company")
    def _compute_tiering_rates(self):
        for partner in self:
            amount, before = partner.tiering_amount_12m, partner.tiering_amount_prev_12m
            partner.tiering_margin_rate = partner.tiering_margin_12m / amount * 100 if amount else 0.0
            partner.tiering_growth_rate = (amount / before - 1) * 100 if before else 0.0
            partner.tiering_cost_to_serve = (
                partner.tiering_interactions_12m / amount * maths.COST_UNIT if amount else 0.0
            )

    @api.depends_context("company")
    def _compute_tiering_warning_count(self):
        counts = dict(
            self.env["trade.customer.warning"]._read_group(
                [
                    ("partner_id", "in", self.commercial_partner_id.ids),
                    ("company_id", "=", self.env.company.id),
                    ("state", "=", "open"),
                ],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.tiering_warning_count = counts.get(partner.commercial_partner_id, 0)

    def _tiering_count(self, model):
        groups = self.env[model]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids), ("company_id", "=", self.env.company.id)],
            ["partner_id"],
            ["__count"],
        )
        return {partner.id: count for partner, count in groups}

    # ------------------------------------------------------------------
    # Group by grade: the highest grade first
    # ------------------------------------------------------------------

    @api.model
    def _read_group_orderby(self, order, groupby_terms, query):
        """Groups of a star grade come 5 stars first unless a direction is asked.

        The web client groups without an order (or with the bare group-by field): SQL would list
        "0" first, while managers look at their best customers first. "star_grade asc" (a click
        on the column header) is kept as asked.
        """
        if not order:
            if not any(term in STAR_GROUPBYS for term in groupby_terms):
                return super()._read_group_orderby(order, groupby_terms, query)
            # Odoo's own default: each group-by term in turn, the grades descending.
            return SQL(", ").join(
                SQL("%s %s", sql, SQL("DESC" if term in STAR_GROUPBYS else "ASC"))
                for term, sql in groupby_terms.items()
            )
        parts = [part.strip() for part in order.split(",")]
        order = ",".join(f"{part} DESC" if part in STAR_GROUPBYS and part in groupby_terms else part for part in parts)
        return super()._read_group_orderby(order, groupby_terms, query)

    # ------------------------------------------------------------------
    # Grade fields: written by the grading engine only
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        partners = self._tiering_without_system_defaults()
        vals_list = [partners._tiering_drop_filled_in(vals) for vals in vals_list]
        for vals in vals_list:
            partners._tiering_check_grade_write(vals)
        partners = super(ResPartner, partners).create(vals_list)
        partners.filtered("parent_id")._tiering_copy_from_commercial()
        return partners

    def write(self, vals):
        if self.env.context.get("tiering_merge"):
            # Odoo's merge wizard copies every field of the merged partners onto the one kept; the
            # system fields are not the user's to carry over: the next regrade sets them.
            vals = {name: value for name, value in vals.items() if name not in PROTECTED_FIELDS}
        self._tiering_check_grade_write(vals)
        reassigned = self._tiering_check_ownership(vals) if "user_id" in vals else self.browse()
        parenting = "parent_id" in vals or "is_company" in vals
        contacts = self.filtered(lambda p: p.commercial_partner_id != p) if parenting else self.browse()
        previous_users = {partner.id: partner.user_id for partner in reassigned}
        res = super().write(vals)
        if parenting:
            contacts._tiering_reset_detached()
            self._tiering_copy_from_commercial()
        if "user_id" in vals:
            reassigned._tiering_log_reassignment(previous_users)
            # The follow-up and review activities follow the salesperson.
            self.commercial_partner_id._tiering_schedule_cadence()
        if "trade_lifecycle_override" in vals:
            self.env["trade.lifecycle"]._apply_overrides(self.env.company, self.ids)
        return res

    def copy_data(self, default=None):
        # The copy is a new customer: graded from its own sales, never from the copied one's grade
        # or from values passed as defaults (the fields are copy=False).
        default = {name: value for name, value in (default or {}).items() if name not in PROTECTED_FIELDS}
        return super().copy_data(default=default)

    @api.model
    def default_get(self, fields_list):
        return super(ResPartner, self._tiering_without_system_defaults()).default_get(fields_list)

    @api.model
    def load(self, fields, data):  # pylint: disable=redefined-outer-name
        """Odoo's import never sets a system field, whoever imports: grades go through the add-on's
        grade import (trade.customer.import.wizard) and its approvals."""
        refused = {path[0] for path in (field.split("/") for field in fields)} & set(PROTECTED_FIELDS)
        if refused:
            message = self.env._(
                "These columns are computed by customer tiering and cannot be imported: %(fields)s.",
                fields=", ".join(sorted(self._fields[name].string for name in refused)),
            )
            return {
                "ids": False,
                "messages": [{"type": "error", "message": message, "record": False}],
                "nextrow": 0,
            }
        return super().load(fields, data)

    def _tiering_without_system_defaults(self):
        """This model without the ``default_<system field>`` context keys: whoever sets them, from a
        form, an action or over RPC, a new partner never takes a grade, score or stage from them."""
        context = self.env.context
        keys = {f"default_{name}" for name in PROTECTED_FIELDS}.intersection(context)
        if not keys:
            return self
        # Keys are taken out, which only a whole new context does.
        return self.with_context({k: v for k, v in context.items() if k not in keys})  # pylint: disable=context-overridden

    @api.model
    def _tiering_drop_filled_in(self, vals):
        """``vals`` without the system fields that hold what Odoo fills in by itself: empty values
        and the add-on's own defaults (ir.default), as res.users.create and forms pass them."""
        names = set(PROTECTED_FIELDS).intersection(vals)
        if not names:
            return vals
        defaults = self._tiering_system_defaults()
        filled_in = {name for name in names if not vals[name] or vals[name] in defaults.get(name, ())}
        return {name: value for name, value in vals.items() if name not in filled_in}

    @api.model
    def _tiering_system_defaults(self):
        """``{field: {default values}}`` of the system fields for everyone (ir.default without a
        user): a default a user set for themselves is no default of the system's."""
        records = (
            self.env["ir.default"]
            .sudo()
            .search(
                [
                    ("field_id.model", "=", self._name),
                    ("field_id.name", "in", list(PROTECTED_FIELDS)),
                    ("user_id", "=", False),
                ]
            )
        )
        defaults = defaultdict(set)
        for record in records:
            # Company-dependent fields have one default per company (the lowest service tier).
            defaults[record.field_id.name].add(json.loads(record.json_value))
        return defaults

    def _tiering_check_grade_write(self, vals):
        """Grades change through regrading, approved requests and imports, never by a plain write.

        Those paths run as superuser; a user's write, from a form or over RPC, never does.
        """
        if set(LIFECYCLE_SYSTEM_FIELDS).intersection(vals) and not self.env.su:
            raise AccessError(
                self.env._(
                    "The lifecycle stage is computed from leads, quotations and orders; set the stage by "
                    "hand, with a reason, to correct it."
                )
            )
        touched = set(SYSTEM_FIELDS).intersection(vals)
        if touched and not self.env.su:
            raise AccessError(
                self.env._(
                    "Customer grades and scores are computed from sales and changed through grade requests; "
                    "they cannot be edited (%(fields)s).",
                    fields=", ".join(sorted(self._fields[name].string for name in touched)),
                )
            )

    def _tiering_reset_detached(self):
        """Contacts that became their own commercial entity lose the grades they had copied from
        their former company, in every company: the next regrade grades them on their own sales."""
        detached = self.filtered(lambda p: p.commercial_partner_id == p)
        if not detached:
            return
        self.flush_model(list(GRADE_FIELDS))
        assignments = SQL(", ").join(SQL("%s = NULL", SQL.identifier(name)) for name in GRADE_FIELDS)
        self.env.execute_query(SQL("UPDATE res_partner SET %s WHERE id = ANY(%s)", assignments, detached.ids))
        detached.invalidate_recordset(list(GRADE_FIELDS))
        detached.modified(list(GRADE_FIELDS))
        # Their own contacts follow them.
        people = self.with_context(active_test=False).search(
            [("commercial_partner_id", "in", detached.ids), ("id", "not in", detached.ids)]
        )
        people._tiering_copy_from_commercial()

    def _tiering_check_ownership(self, vals):
        """The partners whose salesperson ``vals`` changes, once the change is allowed.

        Reps change salespeople only through a pool claim or a handover (which write as superuser);
        supervisors, sales administrators and tiering administrators (Settings administrators among
        them) reassign directly. A write that leaves the salesperson as it is passes, as Odoo's merge does.
        """
        user_id = vals["user_id"] or False
        changed = self.filtered(lambda p: p.user_id.id != user_id)
        if changed and not self.env.su and not any(self.env.user.has_group(g) for g in REASSIGN_GROUPS):
            raise AccessError(
                self.env._(
                    "Only sales supervisors and administrators can change the salesperson of %(customers)s "
                    "directly: claim the customer from the team pool or hand it over.",
                    customers=", ".join(changed[:5].mapped("display_name")),
                )
            )
        return changed

    def _tiering_log_reassignment(self, previous_users):
        """Log each direct change of salesperson in the customer's chatter.

        The pool claim and the handover log their own moves: they write under sudo with the
        ``trade_ownership_transfer`` context key, which is honoured under sudo only.
        """
        if not self or (self.env.su and self.env.context.get(OWNERSHIP_TRANSFER)):
            return
        nobody = self.env._("nobody")
        bodies = {
            partner.id: self.env._(
                "Salesperson changed from %(old)s to %(new)s by %(user)s.",
                old=previous_users[partner.id].name or nobody,
                new=partner.user_id.name or nobody,
                user=self.env.user.name,
            )
            for partner in self
        }
        # sudo: the log is the system's record of the change, whoever made it.
        self.sudo()._message_log_batch(bodies=bodies)

    def _tiering_copy_from_commercial(self, partner_ids=None):
        """Copy the grade fields of every company from the commercial entity onto contacts."""
        ids = list(partner_ids) if partner_ids is not None else self.ids
        if not ids:
            return
        self.flush_model(["commercial_partner_id", *GRADE_FIELDS])
        assignments = SQL(", ").join(SQL("%s = cp.%s", SQL.identifier(f), SQL.identifier(f)) for f in GRADE_FIELDS)
        copied = self.env.execute_query(
            SQL(
                """UPDATE res_partner p SET %(assignments)s
                     FROM res_partner cp
                    WHERE cp.id = p.commercial_partner_id AND p.id != cp.id AND p.id = ANY(%(ids)s)
                RETURNING p.id""",
                assignments=assignments,
                ids=ids,
            )
        )
        if copied:
            contacts = self.browse([row[0] for row in copied])
            contacts.invalidate_recordset(list(GRADE_FIELDS))
            contacts.modified(list(GRADE_FIELDS))

    # ------------------------------------------------------------------
    # Grading
    # ------------------------------------------------------------------

    def action_tiering_regrade(self):
        """Regrade these customers in the current company (every customer when empty).

        For tiering administrators: it runs as superuser across the company. Started by a user, it
        leaves the initial classification phase as it is; the nightly regrade ends it.
        """
        if not self.env.su and not self.env.user.has_group("trade_crm_tiering.group_tiering_admin"):
            raise AccessError(self.env._("Only customer tiering administrators can regrade customers."))
        company = self.env.company
        initial = not self.env.su and not company.tiering_last_regrade
        self._tiering_regrade(company, self.commercial_partner_id.ids if self else None)
        if initial:
            # sudo: the regrade stamped the company as superuser; a user's run is not the first full one.
            company.sudo().tiering_last_regrade = False
        return True

    @api.model
    def _tiering_regrade(self, company, partner_ids=None):
        return self.env["trade.tiering.engine"]._regrade(company, partner_ids)

    # ------------------------------------------------------------------
    # Approvers, retention and reviews
    # ------------------------------------------------------------------

    def _tiering_supervisor(self, exclude=None):
        """The supervisor who approves this customer's key grades, other than ``exclude`` (users).

        The leader of the customer's sales team when a supervisor, else the company's default
        approver, else the general manager.
        """
        self.ensure_one()
        company = self.env.company
        exclude = exclude or self.env["res.users"]
        leader = self.commercial_partner_id.team_id.user_id
        candidates = [leader] if leader and leader.has_group(SUPERVISOR_GROUP) else []
        candidates += [company.tiering_approver_id, company.tiering_gm_id]
        # Archived users are never asked: nobody would ever sign.
        return next(
            (user for user in candidates if user and user.active and user not in exclude), self.env["res.users"]
        )

    def _tiering_schedule_retention(self):
        """A retention activity for the salesperson and the supervisor of each customer (current
        company), its note in the language of the one it is for (see trade.tiering.engine)."""
        activity_type = self.env.ref("trade_crm_tiering.mail_activity_type_retention")
        model_id = self.env["ir.model"]._get_id("res.partner")
        today = tiering_day.today()
        assignees = {partner: (partner.user_id | partner._tiering_supervisor()).filtered("active") for partner in self}
        langs = self.env["trade.tiering.engine"]._user_langs(
            [user.id for users in assignees.values() for user in users], self.env.company
        )
        values = []
        for partner, users in assignees.items():
            values += [
                {
                    "res_model_id": model_id,
                    "res_id": partner.id,
                    "activity_type_id": activity_type.id,
                    "automated": True,
                    "user_id": user.id,
                    "note": partner.with_context(lang=langs[user.id])._tiering_retention_note(),
                    "date_deadline": today,
                }
                for user in users
            ]
        self.env["mail.activity"].create(values)

    def _tiering_retention_note(self):
        """The retention note of this customer, in the language of the context."""
        categories = dict(self._fields["grade_category"]._description_selection(self.env))
        stars = dict(self._fields["star_grade_actual"]._description_selection(self.env))
        return self.env._(
            "%(customer)s no longer buys enough for its %(category)s grade (%(actual)s now). "
            "It is downgraded on %(due)s unless its purchases recover or a potential grade is approved.",
            customer=self.name,
            category=categories[self.grade_category],
            actual=stars[self.star_grade_actual],
            due=format_date(self.env, self.tiering_downgrade_due),
        )

    @api.model
    def _tiering_schedule_potential_reviews(self):
        """A review activity for each potential grade of the current company whose review date passed."""
        company = self.env.company
        today = tiering_day.today()
        due = self.search(
            [("star_grade_potential", "!=", False), ("potential_review_date", "<=", today), ("parent_id", "=", False)]
        )
        activity_type = self.env.ref("trade_crm_tiering.mail_activity_type_potential_review")
        pending = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "in", due.ids), ("activity_type_id", "=", activity_type.id)]
        )
        already = set(pending.mapped("res_id"))
        model_id = self.env["ir.model"]._get_id("res.partner")
        owners = {
            partner: partner.user_id or partner._tiering_supervisor()
            for partner in due.filtered(lambda p: p.id not in already)
        }
        # The note is in the owner's language (see trade.tiering.engine), not the cron user's.
        langs = self.env["trade.tiering.engine"]._user_langs([owner.id for owner in owners.values()], company)
        values = []
        for partner, owner in owners.items():
            if not owner:
                continue
            values.append(
                {
                    "res_model_id": model_id,
                    "res_id": partner.id,
                    "activity_type_id": activity_type.id,
                    "automated": True,
                    "user_id": owner.id,
                    "date_deadline": today,
                    "note": self.with_context(lang=langs[owner.id]).env._(
                        "Review the potential grade of %(customer)s in %(company)s: keep it with a new "
                        "review date, or withdraw it. Reason given: %(reason)s",
                        customer=partner.name,
                        company=company.name,
                        reason=partner.potential_reason or "-",
                    ),
                }
            )
        self.env["mail.activity"].create(values)

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------

    def action_view_grade_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("trade_crm_tiering.action_trade_grade_history")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_view_grade_requests(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("trade_crm_tiering.action_trade_grade_request")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_view_tiering_warnings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("trade_crm_tiering.action_trade_customer_warning")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_open": 1}
        return action

    def action_request_grade_change(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Request Grade Change"),
            "res_model": "trade.grade.request",
            "view_mode": "form",
            "views": [(self.env.ref("trade_crm_tiering.trade_grade_request_view_form_quick").id, "form")],
            "target": "new",
            "context": {"default_partner_id": self.commercial_partner_id.id},
        }

    def action_withdraw_potential_grade(self):
        """Supervisors withdraw a potential grade: the customer falls back to its actual grade."""
        if not self.env.user.has_group(SUPERVISOR_GROUP):
            raise AccessError(self.env._("Only sales supervisors can withdraw a potential grade."))
        engine = self.env["trade.tiering.engine"]
        for partner in self.commercial_partner_id.filtered("star_grade_potential"):
            engine._withdraw_potential(self.env.company, partner)
        return True

    # ------------------------------------------------------------------
    # Interactions keep the follow-up cadence
    # ------------------------------------------------------------------

    def _tiering_schedule_cadence(self):
        """Refresh these customers' interaction day, dates and activities when the transaction commits."""
        if not self:
            return
        pending = self.env.cr.precommit.data.setdefault("trade_crm_tiering.cadence", set())
        if not pending:
            self.env.cr.precommit.add(self._tiering_run_scheduled_cadence)
        pending.update(self.ids)

    def _tiering_run_scheduled_cadence(self):
        partner_ids = list(self.env.cr.precommit.data.pop("trade_crm_tiering.cadence", set()))
        # sudo: the interaction dates and cadence activities are the system's, whoever interacted.
        planner = self.env["trade.tiering.cadence"].sudo()
        planner._refresh_last_interactions(partner_ids)
        for company in self.env["res.company"].sudo().search([]):  # pylint: disable=no-search-all
            planner.with_company(company)._plan_company(company, partner_ids)
        planner._sync_activities(partner_ids)

    # ------------------------------------------------------------------
    # Team pool
    # ------------------------------------------------------------------

    def _tiering_warn_pool_release(self, release_days):
        """One warning activity per customer for its salesperson, a week before the release, and a
        copy for its backup salesperson, who serves the customer too (as for the early warnings).

        ``release_days``: ``{customer id: days without interaction before its tier releases it}``.
        """
        warning = self.env.ref("trade_crm_tiering.mail_activity_type_pool_warning")
        warned = set(
            self.env["mail.activity"]
            .search(
                [("res_model", "=", "res.partner"), ("res_id", "in", self.ids), ("activity_type_id", "=", warning.id)]
            )
            .mapped("res_id")
        )
        model_id = self.env["ir.model"]._get_id("res.partner")
        today = tiering_day.today()
        company = self.env.company
        # The note is in each reader's language (see trade.tiering.engine), not the cron user's.
        langs = self.env["trade.tiering.engine"]._user_langs((self.user_id | self.backup_user_id).ids, company)
        values = []
        for partner in self.filtered(lambda p: p.id not in warned):
            idle_since = partner.last_interaction_date or partner.create_date.date()
            release_on = fields.Date.add(idle_since, days=release_days[partner.id])
            for user in partner._tiering_pool_warning_readers(company):
                env = self.with_context(lang=langs[user.id]).env
                values.append(
                    {
                        "res_model_id": model_id,
                        "res_id": partner.id,
                        "activity_type_id": warning.id,
                        "automated": True,
                        "user_id": user.id,
                        "date_deadline": max(today, fields.Date.add(release_on, days=-1)),
                        "note": Markup("<p>%s</p>")
                        % env._(
                            "Without an interaction by %(date)s, %(customer)s goes back to the team pool.",
                            date=format_date(env, release_on),
                            customer=partner.name,
                        ),
                    }
                )
        self.env["mail.activity"].create(values)

    def _tiering_pool_warning_readers(self, company):
        """The salesperson, and the backup when it may act for the customer: an active internal user
        of ``company``, on the terms of the early warnings' copies (trade_customer_warning_backup.py)."""
        self.ensure_one()
        backup = self.backup_user_id
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
                days=partner.service_tier_id.pool_release_days,
                tier=partner.service_tier_id.with_env(env).display_name,
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
                    "backup_user_id": False,
                    "pool_released_date": today,
                    "pool_previous_user_id": user.id,
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
                tier, here = there.service_tier_id, partner.service_tier_id
                if tier and (not tier.pool_release_days or tier.min_star > here.max_star):
                    kept |= partner
        return kept

    def action_pool_claim(self):
        """The current user becomes the salesperson of these pool customers, within the daily cap."""
        today = tiering_day.today()
        company = self.env.company
        user = self.env.user
        if not user.has_group("trade_crm_tiering.group_tiering_user"):
            raise AccessError(self.env._("Only salespeople can claim customers from the team pool."))
        # One claimer at a time per salesperson and company, so that two claims at once cannot both
        # pass the cap (released at the end of the transaction).
        self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(%s, %s)", user.id, company.id))
        for partner in self.commercial_partner_id:
            partner._tiering_check_claim(user, company, today)
            # sudo: claiming is how a rep takes a pool customer; the pool fields are the system's.
            partner.sudo().with_context(**{OWNERSHIP_TRANSFER: True}).write(
                {"user_id": user.id, "pool_released_date": False, "pool_previous_user_id": False}
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
        return True

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
        if not self.pool_released_date:
            raise UserError(
                self.env._("%(customer)s is not in the team pool: ask a supervisor to assign it.", customer=self.name)
            )
        team = self.team_id
        is_supervisor = user.has_group("trade_crm_tiering.group_tiering_supervisor")
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
            self.pool_previous_user_id == user,
            self.pool_released_date,
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
                    date=self.pool_released_date,
                    days=company.tiering_claim_cooldown_days,
                )
            )

    # ------------------------------------------------------------------
    # Trade profile: lifecycle stage and anniversary greetings
    # ------------------------------------------------------------------

    @api.constrains("trade_lifecycle_override", "trade_lifecycle_reason")
    def _check_trade_lifecycle_reason(self):
        for partner in self:
            if partner.trade_lifecycle_override and not (partner.trade_lifecycle_reason or "").strip():
                raise ValidationError(
                    self.env._(
                        "%(customer)s: say why its lifecycle stage is set by hand.", customer=partner.display_name
                    )
                )

    @api.model
    def _trade_schedule_greetings(self):
        """A greeting activity for the salesperson of each key-relationship customer (current company)
        whose founding anniversary comes within a week: one per anniversary."""
        today = tiering_day.today()
        tiers = self.env["trade.service.tier"].search(
            [("company_id", "=", self.env.company.id), ("key_relationship", "=", True)]
        )
        customers = self.search(
            [
                ("parent_id", "=", False),
                ("trade_founded_on", "!=", False),
                ("user_id", "!=", False),
                ("service_tier_id", "in", tiers.ids),
            ]
        )
        due = {}
        for customer in customers:
            deadline = profile.greeting_due(customer.trade_founded_on, today)
            if deadline:
                due[customer.id] = deadline
        greeting = self.env.ref("trade_crm_tiering.mail_activity_type_anniversary_greeting")
        due = self._trade_without_recent(greeting, due, today)
        customers = self.browse(list(due))
        # The note is in the salesperson's language (see trade.tiering.engine), not the cron user's.
        langs = self.env["trade.tiering.engine"]._user_langs(customers.user_id.ids, self.env.company)
        values = []
        for customer in customers:
            anniversary = profile.next_anniversary(customer.trade_founded_on, today)
            env = self.with_context(lang=langs[customer.user_id.id]).env
            values.append(
                {
                    "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "res_id": customer.id,
                    "activity_type_id": greeting.id,
                    "automated": True,
                    "user_id": customer.user_id.id,
                    "date_deadline": due[customer.id],
                    "note": Markup("<p>%s</p>")
                    % env._(
                        "%(customer)s turns %(years)s on %(date)s: send the team's greetings.",
                        customer=customer.name,
                        years=anniversary.year - customer.trade_founded_on.year,
                        date=format_date(env, anniversary),
                    ),
                }
            )
        self.env["mail.activity"].create(values)

    def _trade_without_recent(self, activity_type, due, today):
        """``due`` without the customers that have this activity open or done in the last month."""
        if not due:
            return due
        open_ids = set(
            self.env["mail.activity"]
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", list(due)),
                    ("activity_type_id", "=", activity_type.id),
                ]
            )
            .mapped("res_id")
        )
        done_ids = {
            res_id
            for [res_id] in self.env["mail.message"]._read_group(
                [
                    ("model", "=", "res.partner"),
                    ("res_id", "in", list(due)),
                    ("mail_activity_type_id", "=", activity_type.id),
                    ("date", ">=", fields.Datetime.to_datetime(today) - timedelta(days=30)),
                ],
                ["res_id"],
            )
        }
        return {pid: day for pid, day in due.items() if pid not in open_ids | done_ids}

    # ------------------------------------------------------------------
    # Handover and the classification table
    # ------------------------------------------------------------------

    def action_trade_handover(self):
        """The handover wizard for these customers."""
        action = self.env["ir.actions.act_window"]._for_xml_id("trade_crm_tiering.action_trade_handover_wizard")
        action["context"] = {"active_model": "res.partner", "active_ids": self.ids}
        return action

    def action_trade_export_classification(self):
        """The classification table (xlsx) of these customers."""
        return self.env["trade.customer.export.wizard"]._download(self.commercial_partner_id)

    def _trade_lifecycle_refresh_later(self):
        """Refresh these partners' customers' lifecycle stages when the transaction commits."""
        # sudo: whoever changed a lead or an order, the stage is the system's to keep.
        self.env["trade.lifecycle"]._schedule(self.sudo().exists().commercial_partner_id.ids)
