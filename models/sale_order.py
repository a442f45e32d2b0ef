from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..trade_crm_tiering import quote
from .tiering_constants import CATEGORY_SELECTION, STAR_SELECTION, SUPERVISOR_GROUP

# Changes to a confirmed order that can move its customer's annual amount.
REGRADE_TRIGGERS = frozenset({"state", "partner_id", "date_order", "currency_id", "pricelist_id", "company_id"})
# Changes that can move the customer's lifecycle stage (quotation, order, its date).
LIFECYCLE_TRIGGERS = frozenset({"state", "partner_id", "date_order", "company_id"})
# Discount approval fields: set by the approval workflow only.
DISCOUNT_WORKFLOW_FIELDS = frozenset(
    {
        "tiering_discount_approval_state",
        "tiering_discount_approved",
        "tiering_discount_requester_id",
        "tiering_discount_approval_signature",
        "tiering_approval_user_id",
        "tiering_approval_step_ids",
    }
)
# Fields only the system sets: the approval workflow, and the snapshot taken at confirmation.
SYSTEM_FIELDS = DISCOUNT_WORKFLOW_FIELDS | {"tiering_order_star_grade", "tiering_order_tier_id"}
# Order changes that make a discount approval cover something the approver did not see.
APPROVAL_TRIGGERS = frozenset(
    {"order_line", "partner_id", "pricelist_id", "currency_id", "company_id", "payment_term_id"}
)


def format_percent(value):
    """12.0 -> "12", 7.5 -> "7.5"."""
    return f"{value:g}"


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "trade.approval.mixin"]
    _approval_activity_type = "trade_crm_tiering.mail_activity_type_discount_approval"

    tiering_partner_star_grade = fields.Selection(
        STAR_SELECTION, string="Customer Grade", compute="_compute_partner_grade"
    )
    tiering_partner_grade_category = fields.Selection(
        CATEGORY_SELECTION, string="Customer Category", compute="_compute_partner_grade"
    )
    tiering_partner_service_tier_id = fields.Many2one(
        "trade.service.tier", string="Customer Tier", compute="_compute_partner_grade"
    )
    tiering_order_star_grade = fields.Selection(
        STAR_SELECTION,
        string="Grade at Confirmation",
        readonly=True,
        copy=False,
        help="The customer's grade when the order was confirmed.",
    )
    tiering_order_tier_id = fields.Many2one(
        "trade.service.tier", string="Tier at Confirmation", readonly=True, copy=False, index="btree_not_null"
    )
    tiering_priority = fields.Boolean(
        string="Priority Order",
        compute="_compute_tier_priority",
        store=True,
        help="The customer's tier has its orders handled first.",
    )
    tiering_max_discount = fields.Float(string="Discount Authority (%)", compute="_compute_partner_grade")
    tiering_max_line_discount = fields.Float(compute="_compute_discount_approval", string="Highest Line Discount (%)")
    tiering_discount_needs_approval = fields.Boolean(compute="_compute_discount_approval")
    tiering_discount_banner = fields.Char(compute="_compute_discount_banner")
    tiering_quote_approval_reasons = fields.Text(
        compute="_compute_quote_approval",
        string="Why Approval Is Needed",
        help="What is above the customer's tier limits (or the company's margin floor, or the credit limit).",
    )
    tiering_quote_needs_approval = fields.Boolean(compute="_compute_quote_approval")
    tiering_quote_approval_level = fields.Selection(
        [("supervisor", "Sales Supervisor"), ("gm", "Sales Supervisor, then General Manager")],
        compute="_compute_quote_approval",
        string="To Be Approved By",
    )
    tiering_discount_approval_state = fields.Selection(
        [("pending", "Waiting for Approval"), ("approved", "Approved"), ("rejected", "Rejected")],
        string="Quotation Approval",
        readonly=True,
        copy=False,
    )
    tiering_discount_approved = fields.Float(
        string="Approved Discount (%)", readonly=True, copy=False, help="The highest line discount approved."
    )
    tiering_discount_requester_id = fields.Many2one("res.users", string="Discount Asked By", readonly=True, copy=False)
    tiering_discount_approval_signature = fields.Char(
        readonly=True, copy=False, groups="base.group_system", help="The order's lines when the approval was asked."
    )

    @api.depends("partner_id", "company_id")
    def _compute_partner_grade(self):
        for order in self:
            customer = order._tiering_customer()
            order.tiering_partner_star_grade = customer.tiering_star_grade
            order.tiering_partner_grade_category = customer.tiering_grade_category
            order.tiering_partner_service_tier_id = customer.tiering_service_tier_id
            order.tiering_max_discount = customer.tiering_service_tier_id.max_discount

    @api.depends("partner_id", "company_id")
    def _compute_tier_priority(self):
        for order in self:
            order.tiering_priority = order._tiering_customer().tiering_service_tier_id.order_priority

    @api.depends(
        "order_line.discount",
        "partner_id",
        "company_id",
        "tiering_discount_approved",
        "tiering_discount_approval_state",
    )
    def _compute_discount_approval(self):
        for order in self:
            highest = max(order.order_line.mapped("discount"), default=0.0)
            allowed = order.tiering_max_discount
            approved = order.tiering_discount_approved if order.tiering_discount_approval_state == "approved" else 0.0
            order.tiering_max_line_discount = highest
            # A customer outside every tier (a company without tiers) has no discount policy to enforce.
            order.tiering_discount_needs_approval = bool(order.tiering_partner_service_tier_id) and highest > max(
                allowed, approved
            )

    @api.depends(
        "order_line.discount",
        "order_line.purchase_price",
        "amount_untaxed",
        "margin",
        "payment_term_id",
        "partner_id",
        "company_id",
        "currency_id",
        "state",
        "tiering_discount_approval_state",
    )
    def _compute_quote_approval(self):
        for order in self:
            reasons = order._tiering_quote_reasons()
            level = order._tiering_quote_level()
            order.tiering_quote_approval_reasons = "\n".join(reasons.values()) or False
            order.tiering_quote_needs_approval = bool(reasons) and order.tiering_discount_approval_state != "approved"
            order.tiering_quote_approval_level = {quote.SUPERVISOR: "supervisor", quote.GENERAL_MANAGER: "gm"}.get(
                level
            )

    @api.depends("tiering_quote_needs_approval", "tiering_discount_approval_state", "tiering_approval_user_id")
    def _compute_discount_banner(self):
        for order in self:
            if order.tiering_discount_approval_state == "pending":
                order.tiering_discount_banner = self.env._(
                    "The quotation waits for the approval of %(user)s.", user=order.tiering_approval_user_id.name
                )
            elif order.tiering_quote_needs_approval:
                order.tiering_discount_banner = self.env._(
                    "Needs approval before it is sent, printed, shared or confirmed: %(reasons)s.",
                    reasons="; ".join(order._tiering_quote_reasons().values()),
                )
            else:
                order.tiering_discount_banner = False

    def _compute_payment_term_id(self):
        res = super()._compute_payment_term_id()
        for order in self.filtered(lambda o: not o.payment_term_id and o.partner_id):
            order.payment_term_id = order._tiering_customer().tiering_service_tier_id.payment_term_id
        return res

    def _tiering_customer(self):
        self.ensure_one()
        return self.partner_id.commercial_partner_id.with_company(self.company_id or self.env.company)

    # ------------------------------------------------------------------
    # Regrading and interactions
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # Context defaults never set what only the system sets, whoever calls.
        context = {
            key: value for key, value in self.env.context.items() if key.removeprefix("default_") not in SYSTEM_FIELDS
        }
        for vals in vals_list:
            self._tiering_check_workflow_write(vals)
        # pylint: disable-next=context-overridden
        orders = super(SaleOrder, self.with_context(context)).create(vals_list)
        orders._tiering_schedule_regrade()
        # sudo: a quotation is an interaction with the customer, whoever can see the customer.
        orders.sudo().partner_id.commercial_partner_id._tiering_schedule_cadence()
        orders.partner_id._tiering_lifecycle_refresh_later()
        return orders

    def copy_data(self, default=None):
        if default and SYSTEM_FIELDS.intersection(default):
            self._tiering_check_workflow_write(default)
            # A copy is a new order: no approval or snapshot comes with it, even the system's.
            default = {key: value for key, value in default.items() if key not in SYSTEM_FIELDS}
        return super().copy_data(default=default)

    def write(self, vals):
        self._tiering_check_workflow_write(vals)
        if LIFECYCLE_TRIGGERS.intersection(vals):
            self.partner_id._tiering_lifecycle_refresh_later()
        if not REGRADE_TRIGGERS.intersection(vals):
            res = super().write(vals)
        else:
            before = self._tiering_grading_keys()
            res = super().write(vals)
            self.env["res.partner"]._tiering_schedule_regrade(before | self._tiering_grading_keys())
        if "partner_id" in vals:
            self.partner_id._tiering_lifecycle_refresh_later()
        if APPROVAL_TRIGGERS.intersection(vals):
            self._tiering_void_changed_approvals()
        return res

    def unlink(self):
        partners = self.partner_id
        res = super().unlink()
        partners._tiering_lifecycle_refresh_later()
        return res

    def _tiering_grading_keys(self):
        """(company id, customer id) of the confirmed orders among these."""
        return {
            (order.company_id.id, order.partner_id.commercial_partner_id.id) for order in self if order.state == "sale"
        }

    def _tiering_schedule_regrade(self):
        self.env["res.partner"]._tiering_schedule_regrade(self._tiering_grading_keys())

    # ------------------------------------------------------------------
    # Confirmation: the tier's discount authority, and a snapshot of the grade
    # ------------------------------------------------------------------

    def action_confirm(self):
        gate = self._tiering_quote_gate("confirm")
        if gate:
            return gate
        res = super().action_confirm()
        for order in self:
            customer = order._tiering_customer()
            # sudo: the snapshot is taken by the system, not written by the user.
            order.sudo().write(
                {
                    "tiering_order_star_grade": customer.tiering_star_grade,
                    "tiering_order_tier_id": customer.tiering_service_tier_id.id,
                }
            )
        return res

    def action_quotation_send(self):
        return self._tiering_quote_gate("send") or super().action_quotation_send()

    def action_preview_sale_order(self):
        return self._tiering_quote_gate("share") or super().action_preview_sale_order()

    def _tiering_check_workflow_write(self, vals):
        if SYSTEM_FIELDS.intersection(vals) and not self.env.su:
            raise AccessError(self.env._("Discount approvals move on through their buttons only."))

    def _tiering_check_confirmed_discounts(self, lines):
        """A discount raised on a confirmed order past the tier's authority (and any approval) is refused."""
        if self.env.su or self.env.user.has_group(SUPERVISOR_GROUP):
            return
        for order in self.filtered(lambda o: o.state == "sale" and o.tiering_partner_service_tier_id):
            approved = order.tiering_discount_approved if order.tiering_discount_approval_state == "approved" else 0.0
            limit = max(order.tiering_max_discount, approved)
            raised = (lines & order.order_line).filtered(lambda line, limit=limit: line.discount > limit)
            if raised:
                raise UserError(
                    self.env._(
                        "%(order)s is confirmed: a %(discount)s%% discount is more than the %(allowed)s%% a "
                        "salesperson may give %(tier)s customers. Ask a sales supervisor to change it.",
                        order=order.name,
                        discount=format_percent(max(raised.mapped("discount"))),
                        allowed=format_percent(limit),
                        tier=order.tiering_partner_service_tier_id.display_name,
                    )
                )
