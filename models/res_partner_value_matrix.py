from odoo import api, fields, models
from odoo.exceptions import UserError

from ..trade_crm_tiering import matrix

INTERNAL = "base.group_user"
# Seed 002's advice per value class (trade_crm_tiering.matrix.ADVICE), as users read it.
ADVICE_SELECTION = [
    ("keep_investing", "Keep investing, never coast"),
    ("worth_the_trouble", "Worth the trouble: serve it well"),
    ("keep_if_affordable", "Keep if the capital it ties up can be afforded"),
    ("fast_cash_flow", "Fast cash flow: keep it"),
    ("consider_dropping", "Consider dropping"),
    ("drop", "Drop: spend the time on what matters more"),
]


class ResPartner(models.Model):
    """The value matrix's advice beside each customer's class, and its margin after service cost."""

    _inherit = "res.partner"

    tiering_value_class_advice = fields.Selection(
        ADVICE_SELECTION,
        string="Advice",
        compute="_compute_value_class_advice",
        search="_search_value_class_advice",
        groups=INTERNAL,
        help="What the customer value matrix advises for this value class (order size, margin, effort).",
    )
    # Stored by the nightly scoring with the other scores (trade.tiering.scoring, STORED_VALUES).
    tiering_service_cost_12m = fields.Float(
        string="Service Cost, Last 12 Months",
        company_dependent=True,
        index=False,
        readonly=True,
        digits=(16, 2),
        groups=INTERNAL,
        help="The interactions of the last 12 months at the company's cost per interaction (activity-based "
        "costing), in the grading currency.",
        copy=False,
    )
    tiering_net_margin_12m = fields.Float(
        string="Margin after Service Cost",
        company_dependent=True,
        index=False,
        readonly=True,
        digits=(16, 2),
        groups=INTERNAL,
        help="The margin of the last 12 months less its service cost: what the customer really earns.",
        copy=False,
    )
    tiering_net_margin_rate = fields.Float(
        string="Margin Rate after Service Cost (%)",
        compute="_compute_tiering_net_margin_rate",
        digits=(16, 1),
        groups=INTERNAL,
    )

    @api.depends("tiering_value_class")
    @api.depends_context("company")
    def _compute_value_class_advice(self):
        for partner in self:
            partner.tiering_value_class_advice = matrix.ADVICE.get(partner.tiering_value_class, False)

    def _search_value_class_advice(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(self.env._("Unsupported search on the value matrix advice."))
        wanted = {value} if isinstance(value, str | bool) else set(value)
        classes = [tiering_value_class for tiering_value_class, advice in matrix.ADVICE.items() if advice in wanted]
        positive = operator in ("=", "in")
        if False in wanted:
            # No advice: no value class.
            domain = ["|", ("tiering_value_class", "=", False), ("tiering_value_class", "in", classes)]
            return domain if positive else ["!", *domain]
        return [("tiering_value_class", "in" if positive else "not in", classes)]

    @api.depends("tiering_amount_12m", "tiering_net_margin_12m")
    @api.depends_context("company")
    def _compute_tiering_net_margin_rate(self):
        for partner in self:
            amount = partner.tiering_amount_12m
            partner.tiering_net_margin_rate = partner.tiering_net_margin_12m / amount * 100 if amount else 0.0
