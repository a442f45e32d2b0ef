from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .res_partner import CREDIT_SYSTEM_FIELDS
from .tiering_constants import CREDIT_RATINGS, SUPERVISOR_GROUP

# Odoo's own credit limit fields, which the nightly pass keeps on graded customers.
LIMIT_FIELDS = ("credit_limit", "use_partner_credit_limit")
# Who may set a graded customer's credit limit by hand.
LIMIT_OVERRIDE_FIELDS = ("trade_credit_limit_manual", "trade_credit_limit_reason")


class ResPartner(models.Model):
    """The credit rating, per company: suggested each night from the payment record, set by hand
    with a reason (as the lifecycle stage), and the credit limit the company's matrix gives."""

    _inherit = "res.partner"

    trade_credit_rating_auto = fields.Selection(
        CREDIT_RATINGS,
        string="Suggested Credit Rating",
        company_dependent=True,
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="Suggested each night from the last 12 months of invoices: average days paid late and overdue "
        "share, against the bands in Settings. Empty: too few invoices.",
    )
    trade_credit_rated_auto_on = fields.Date(
        string="Rating Suggested On", company_dependent=True, readonly=True, copy=False, groups="base.group_user"
    )
    trade_credit_rating_override = fields.Selection(
        CREDIT_RATINGS,
        string="Credit Rating Set by Hand",
        company_dependent=True,
        copy=False,
        tracking=True,
        groups="base.group_user",
    )
    trade_credit_rating_reason = fields.Char(
        string="Why Rating Set by Hand", company_dependent=True, copy=False, groups="base.group_user"
    )
    trade_credit_rating_used = fields.Selection(
        CREDIT_RATINGS,
        string="Credit Rating in Force",
        company_dependent=True,
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="The rating set by hand when there is one, else the suggested one: the credit limit follows it.",
    )
    trade_credit_limit_manual = fields.Boolean(
        string="Credit Limit Set by Hand",
        company_dependent=True,
        copy=False,
        tracking=True,
        groups="base.group_user",
        help="A supervisor set this customer's credit limit: the nightly pass leaves it as it is.",
    )
    trade_credit_limit_reason = fields.Char(
        string="Why Limit Set by Hand", company_dependent=True, copy=False, groups="base.group_user"
    )
    trade_credit_matrix_used = fields.Boolean(compute="_compute_trade_credit_matrix_used", groups="base.group_user")

    @api.depends_context("company")
    def _compute_trade_credit_matrix_used(self):
        used = bool(self.env["trade.credit.limit"].sudo().search_count([("company_id", "=", self.env.company.id)]))
        self.trade_credit_matrix_used = used

    @api.constrains("trade_credit_rating_override", "trade_credit_rating_reason")
    def _check_trade_credit_rating_reason(self):
        for partner in self:
            if partner.trade_credit_rating_override and not (partner.trade_credit_rating_reason or "").strip():
                raise ValidationError(
                    self.env._("%(customer)s: say why its credit rating is set by hand.", customer=partner.display_name)
                )

    @api.constrains("trade_credit_limit_manual", "trade_credit_limit_reason")
    def _check_trade_credit_limit_reason(self):
        for partner in self:
            if partner.trade_credit_limit_manual and not (partner.trade_credit_limit_reason or "").strip():
                raise ValidationError(
                    self.env._("%(customer)s: say why its credit limit is set by hand.", customer=partner.display_name)
                )

    @api.model_create_multi
    def create(self, vals_list):
        # default_credit_limit & co. from the context count as values of the new customer.
        for vals in vals_list:
            asked = {**self._tiering_credit_context_defaults(), **vals}
            # Empty system values are what forms and res.users fill in: nothing asked.
            asked = {name: value for name, value in asked.items() if value or name not in CREDIT_SYSTEM_FIELDS}
            self._tiering_check_credit_write(self.browse(), asked)
        return super().create(vals_list)

    def write(self, vals):
        if self.env.context.get("tiering_merge"):
            # Odoo's merge copies every field; system values and limits are the nightly pass's to set.
            vals = {name: value for name, value in vals.items() if name not in (*CREDIT_SYSTEM_FIELDS, *LIMIT_FIELDS)}
        self._tiering_check_credit_write(self, vals)
        res = super().write(vals)
        if {"trade_credit_rating_override", "trade_credit_limit_manual"}.intersection(vals):
            # The rating in force and the limit follow at once, not the next night.
            self.env["trade.credit"]._refresh(self.env.company, self.commercial_partner_id.ids)
        return res

    def _tiering_credit_context_defaults(self):
        prefix = "default_"
        names = (*CREDIT_SYSTEM_FIELDS, *LIMIT_FIELDS, *LIMIT_OVERRIDE_FIELDS)
        return {
            key[len(prefix) :]: value
            for key, value in self.env.context.items()
            if key.startswith(prefix) and key[len(prefix) :] in names
        }

    @api.model
    def _tiering_check_credit_write(self, partners, vals):
        """Refuse what only the system or a supervisor sets: the suggested rating and rating in force
        (system), the limit override (supervisors), and the credit limit of graded customers of a
        company with a credit matrix (the matrix's, unless a supervisor set it by hand)."""
        if self.env.su:
            return
        if set(CREDIT_SYSTEM_FIELDS).intersection(vals):
            raise AccessError(
                self.env._(
                    "The suggested credit rating comes from the payment record; set the rating by hand, with a "
                    "reason, to correct it."
                )
            )
        is_supervisor = self.env.user.has_group(SUPERVISOR_GROUP)
        if set(LIMIT_OVERRIDE_FIELDS).intersection(vals) and not is_supervisor:
            raise AccessError(self.env._("Only sales supervisors can set a customer's credit limit by hand."))
        if not set(LIMIT_FIELDS).intersection(vals) or not self.env.company._tiering_credit_matrix():
            return
        manual = bool(vals.get("trade_credit_limit_manual"))
        if partners:
            # Odoo's own sync of commercial fields onto contacts writes the entity's values: no change.
            changed = partners.filtered(lambda p: p.sudo()._tiering_credit_limit_changes(vals))
            graded = changed.filtered(lambda p: p.commercial_partner_id.sudo().tiering_service_tier_id)
            locked = graded.filtered(lambda p: not (manual or p.commercial_partner_id.sudo().trade_credit_limit_manual))
            refused = locked or (graded and not is_supervisor)
        else:
            # A new customer takes the company default; its own limit only as a supervisor's, set by hand.
            asked = vals.get("credit_limit") or vals.get("use_partner_credit_limit")
            refused = asked and not (is_supervisor and manual)
        if refused:
            raise UserError(
                self.env._(
                    "The credit limit of graded customers comes from the credit matrix (tier x rating) in "
                    "Settings. A supervisor may set it by hand, with a reason, with 'Credit Limit Set by Hand'."
                )
            )

    def _tiering_credit_limit_changes(self, vals):
        """Whether ``vals`` gives this partner another credit limit than its commercial entity's."""
        entity = self.commercial_partner_id
        if "credit_limit" in vals and float(vals["credit_limit"] or 0.0) != entity.credit_limit:
            return True
        return "use_partner_credit_limit" in vals and bool(vals["use_partner_credit_limit"]) != (
            entity.use_partner_credit_limit
        )
