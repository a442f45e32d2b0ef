from odoo import api, fields, models

from ..trade_crm_tiering import scoring as maths
from .tiering_constants import (
    HEALTH_BANDS,
    HEALTH_TRENDS,
    RATING_CHAIN,
    RATING_INDUSTRY,
    RATING_SIZE,
    RATING_WALLET,
    RFM_SEGMENTS,
    VALUE_CLASSES,
)


class ResPartner(models.Model):
    """A customer's scores, their figures and the ratings reps give (trade.tiering.scoring)."""

    _inherit = "res.partner"

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
    tiering_score_current = fields.Integer(
        string="Current Value",
        company_dependent=True,
        index=False,
        readonly=True,
        help="0-100: the last 12 months' sales, number of orders and margin, each ranked among the "
        "company's customers.",
        copy=False,
    )
    tiering_score_potential = fields.Integer(
        string="Potential Value",
        company_dependent=True,
        index=False,
        readonly=True,
        help="0-100: growth over the year before and the ratings of industry outlook, company size and "
        "share of wallet. 50 when none is known.",
        copy=False,
    )
    tiering_score_difficulty = fields.Integer(
        string="Cooperation Difficulty",
        company_dependent=True,
        index=False,
        readonly=True,
        help="0-100, higher is easier: cost to serve, payment behaviour, decision cycle and the rating of "
        "the decision chain.",
        copy=False,
    )
    tiering_score_stickiness = fields.Integer(
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
    tiering_rfm_score = fields.Char(
        string="RFM Score",
        company_dependent=True,
        index=False,
        readonly=True,
        help="Recency, frequency and monetary quintiles among the company's customers, 1-5 each (5 is "
        "best): 545 bought very recently, often, and a lot.",
        copy=False,
    )
    tiering_rfm_segment = fields.Selection(
        RFM_SEGMENTS, string="RFM Segment", company_dependent=True, index=False, readonly=True, copy=False
    )
    tiering_value_class = fields.Selection(
        VALUE_CLASSES,
        company_dependent=True,
        index=False,
        readonly=True,
        help="The customer value matrix: order size, margin and effort of the last 12 months, each split "
        "at the company's cut-off.",
        copy=False,
    )
    tiering_value_class_action = fields.Char(string="Recommended Action", compute="_compute_value_class_action")
    tiering_health_score = fields.Integer(
        string="Customer Health",
        company_dependent=True,
        index=False,
        readonly=True,
        help="0-100: ordering on time against the usual rhythm, sales momentum, payment and inquiries.",
        copy=False,
    )
    tiering_health_band = fields.Selection(HEALTH_BANDS, company_dependent=True, index=False, readonly=True, copy=False)
    tiering_health_trend = fields.Selection(
        HEALTH_TRENDS,
        company_dependent=True,
        index=False,
        readonly=True,
        help="Against the health at the end of the previous quarter: 5 points or more up or down.",
        copy=False,
    )
    tiering_health_previous = fields.Integer(
        string="Health Last Quarter", company_dependent=True, index=False, readonly=True, copy=False
    )
    tiering_health_quarter = fields.Date(company_dependent=True, index=False, readonly=True, copy=False)
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

    @api.depends("tiering_value_class")
    @api.depends_context("company")
    def _compute_value_class_action(self):
        actions = self._tiering_value_class_actions()
        for partner in self:
            partner.tiering_value_class_action = actions.get(partner.tiering_value_class, False)

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
