import hashlib

from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import formatLang

from ..trade_crm_tiering import quote
from .sale_order import format_percent
from .sale_order_quote_gates import QUOTE_REPORTS
from .tiering_constants import GM_GROUP, SUPERVISOR_GROUP


def _term_days(term, date):
    """The longest due days of payment terms ``term`` for an invoice of ``date``; None without terms."""
    if not term or not term.line_ids:
        return None
    return max((line._get_due_date(date) - date).days for line in term.line_ids)


class SaleOrder(models.Model):
    """Quotations above their customer's tier limits wait for a supervisor (and the general manager
    above the tier's second level) before they are sent, printed, shared or confirmed."""

    _inherit = "sale.order"

    # ------------------------------------------------------------------
    # Quotation approval: what is above the tier's limits, and who approves it
    # ------------------------------------------------------------------

    def _tiering_quote_figures(self):
        self.ensure_one()
        company = self.company_id or self.env.company
        date = self.date_order or fields.Datetime.now()
        amount = self.amount_untaxed
        if self.currency_id and self.currency_id != company.currency_id:
            amount = self.currency_id._convert(amount, company.currency_id, company, date.date())
        return quote.QuoteFigures(
            discount=max(self.order_line.mapped("discount"), default=0.0),
            payment_days=_term_days(self.payment_term_id, date.date()),
            margin_rate=self.margin / self.amount_untaxed * 100 if self.amount_untaxed > 0 else None,
            amount=amount,
            over_credit=bool(self.partner_credit_warning),
        )

    def _tiering_quote_limits(self):
        self.ensure_one()
        tier = self.tiering_partner_service_tier_id
        date = (self.date_order or fields.Datetime.now()).date()
        return quote.QuoteLimits(
            max_discount=tier.max_discount,
            second_discount=tier.second_max_discount,
            payment_days=_term_days(tier.payment_term_id, date),
            max_amount=tier.max_amount,
            second_amount=tier.second_max_amount,
            margin_floor=(self.company_id or self.env.company).tiering_margin_floor,
        )

    def _tiering_quote_applies(self):
        # A customer outside every tier (a company without tiers) has no policy; orders no longer
        # quotations are checked line by line (_tiering_check_confirmed_discounts).
        return bool(self.tiering_partner_service_tier_id) and self.state in ("draft", "sent")

    def _tiering_quote_reasons(self, action="confirm"):
        """{reason code: what is above which limit} for ``action``; the credit limit binds confirmation only."""
        self.ensure_one()
        if not self._tiering_quote_applies():
            return {}
        figures, limits = self._tiering_quote_figures(), self._tiering_quote_limits()
        codes = quote.reasons(figures, limits)
        if action != "confirm":
            codes = tuple(code for code in codes if code != "credit")
        return {code: self._tiering_reason_text(code, figures, limits) for code in codes}

    def _tiering_quote_level(self):
        self.ensure_one()
        if not self._tiering_quote_applies():
            return 0
        return quote.level(self._tiering_quote_figures(), self._tiering_quote_limits())

    def _tiering_reason_text(self, code, figures, limits):
        tier = self.tiering_partner_service_tier_id.display_name
        company = self.company_id or self.env.company
        if code == "discount":
            return self.env._(
                "a %(discount)s%% discount, more than the %(allowed)s%% a salesperson may give %(tier)s customers",
                discount=format_percent(figures.discount),
                allowed=format_percent(limits.max_discount),
                tier=tier,
            )
        if code == "payment_term":
            return self.env._(
                "payment terms of %(days)s days (%(terms)s), longer than the %(allowed)s days of %(tier)s customers",
                days=figures.payment_days,
                terms=self.payment_term_id.display_name,
                allowed=limits.payment_days,
                tier=tier,
            )
        if code == "margin":
            return self.env._(
                "a margin rate of %(margin)s%%, under the company's floor of %(floor)s%%",
                margin=format_percent(round(figures.margin_rate, 2)),
                floor=format_percent(limits.margin_floor),
            )
        if code == "amount":
            return self.env._(
                "an untaxed amount of %(amount)s, above the %(limit)s a salesperson may quote %(tier)s customers",
                amount=formatLang(self.env, figures.amount, currency_obj=company.currency_id),
                limit=formatLang(self.env, limits.max_amount, currency_obj=company.currency_id),
                tier=tier,
            )
        return self.env._("confirming it takes the customer over its credit limit")

    def _tiering_quote_self_approved(self):
        """Supervisors give what a supervisor approves alone; the general manager gives anything."""
        user = self.env.user
        if user.has_group(GM_GROUP):
            return True
        return self._tiering_quote_level() == quote.SUPERVISOR and user.has_group(SUPERVISOR_GROUP)

    def _tiering_action_label(self, action):
        return {
            "send": self.env._("sent"),
            "print": self.env._("printed"),
            "share": self.env._("shared"),
            "confirm": self.env._("confirmed"),
        }[action]

    def _tiering_quote_blocked(self, action):
        return self.filtered(
            lambda o: (
                o._tiering_quote_reasons(action)
                and o.tiering_discount_approval_state != "approved"
                and not o._tiering_quote_self_approved()
            )
        )

    def _tiering_quote_gate(self, action):
        """None when the orders may be ``action``-ed; else ask approval of those never asked and
        return a notification saying who approves and why (the request is kept: nothing is raised).
        Orders already waiting, or rejected, raise a UserError saying so."""
        blocked = self._tiering_quote_blocked(action)
        if not blocked:
            return None
        label = self._tiering_action_label(action)
        for order in blocked.filtered("tiering_discount_approval_state"):
            order._tiering_raise_waiting(action, label)
        blocked._tiering_request_quote_approval()
        lines = [
            self.env._(
                "%(order)s is sent for approval to %(user)s: %(reasons)s. It can be %(action)s once approved.",
                order=order.name,
                user=order.tiering_approval_user_id.name,
                reasons="; ".join(order._tiering_quote_reasons().values()),
                action=label,
            )
            for order in blocked
        ]
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Quotation approval asked"),
                "message": "\n".join(lines),
                "type": "warning",
                "sticky": True,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _tiering_raise_waiting(self, action, label):
        reasons = "; ".join(self._tiering_quote_reasons(action).values())
        if self.tiering_discount_approval_state == "pending":
            raise UserError(
                self.env._(
                    "%(order)s cannot be %(action)s yet: it waits for the approval of %(user)s (%(reasons)s).",
                    order=self.name,
                    action=label,
                    user=self.tiering_approval_user_id.name,
                    reasons=reasons,
                )
            )
        step = self.tiering_approval_step_ids.filtered(lambda s: s.state == "rejected")[-1:]
        raise UserError(
            self.env._(
                "%(order)s cannot be %(action)s: %(user)s rejected its approval (%(reasons)s). Change the "
                "quotation, or ask for approval again.",
                order=self.name,
                action=label,
                user=step.signed_by_id.name or "",
                reasons=reasons,
            )
        )

    def action_tiering_check_print(self, report_name):
        """Called by the web client before it prints ``report_name``: a quotation report of orders
        that need approval asks for it and returns the notification saying so (the print is
        skipped); otherwise False and the report prints."""
        if report_name not in QUOTE_REPORTS:
            return False
        return self._tiering_quote_gate("print") or False

    def _tiering_quote_print_check(self):
        """Printing raises (the PDF is rendered outside any button): it says why and who approves."""
        for order in self._tiering_quote_blocked("print"):
            label = self._tiering_action_label("print")
            if order.tiering_discount_approval_state:
                order._tiering_raise_waiting("print", label)
            approvers = order._tiering_quote_chain(check=False)
            raise UserError(
                self.env._(
                    "%(order)s cannot be printed before %(users)s approve it: %(reasons)s. Send or confirm it to "
                    "ask for the approval.",
                    order=order.name,
                    users=", ".join(user.name for _role, user in approvers if user) or "?",
                    reasons="; ".join(order._tiering_quote_reasons("print").values()),
                )
            )

    def _tiering_quote_chain(self, check=True):
        """[(role, user)] who approve the quotation: its supervisor, then the general manager above
        the tier's second level."""
        self.ensure_one()
        gm = self.company_id.tiering_gm_id if self._tiering_quote_level() == quote.GENERAL_MANAGER else None
        exclude = self.env.user | (gm or self.env["res.users"])
        supervisor = self._tiering_customer()._tiering_supervisor(exclude=exclude)
        if check and not supervisor:
            raise UserError(
                self.env._(
                    "Nobody can approve %(order)s: make the customer's sales team leader a supervisor, "
                    "or set a default approver in Settings > Sales > Star Grades > Grade Approvals.",
                    order=self.name,
                )
            )
        if gm is None:
            return [("supervisor", supervisor)]
        if check and (not gm or gm == self.env.user):
            raise UserError(
                self.env._(
                    "%(order)s needs the general manager's approval: set a general manager (other than you) in "
                    "Settings > Sales > Star Grades > Grade Approvals.",
                    order=self.name,
                )
            )
        return [("supervisor", supervisor), ("gm", gm)]

    def _tiering_request_quote_approval(self):
        for order in self:
            chain = order._tiering_quote_chain()
            order.tiering_approval_step_ids.sudo().unlink()
            # sudo: the workflow fields are written by the approval workflow only.
            order.sudo().write(
                {
                    "tiering_discount_approval_state": "pending",
                    "tiering_discount_approved": 0.0,
                    "tiering_discount_requester_id": self.env.uid,
                    "tiering_discount_approval_signature": order._tiering_discount_signature(),
                }
            )
            order._approval_start(chain)

    def action_request_discount_approval(self):
        for order in self:
            if not order.tiering_quote_needs_approval:
                raise UserError(self.env._("%(order)s needs no approval.", order=order.name))
            if order.tiering_discount_approval_state == "pending":
                raise UserError(self.env._("%(order)s already waits for approval.", order=order.name))
        self._tiering_request_quote_approval()
        return True

    def action_approve_discount(self):
        """The quotation's Approve button."""
        return self.action_approve()

    def action_reject_discount(self, reason):
        return self.action_reject(reason)

    def action_approve(self, feedback=None):
        # An approval covers the order the approver saw: not one changed since it was asked for.
        for order in self:
            order._approval_check_waiting()
            if order.sudo().tiering_discount_approval_signature != order._tiering_discount_signature():
                raise UserError(
                    self.env._(
                        "%(order)s changed since its approval was asked for: it must be asked again.",
                        order=order.name,
                    )
                )
        return super().action_approve(feedback)

    # ------------------------------------------------------------------
    # An approval covers the order the approver saw
    # ------------------------------------------------------------------

    def _tiering_discount_signature(self):
        """A digest of what an approval covers: customer, currency, payment terms, lines, prices, costs
        and discounts."""
        self.ensure_one()
        lines = self.order_line.filtered(lambda line: not line.display_type and not line.is_downpayment)
        content = [
            self.partner_id.commercial_partner_id.id,
            self.currency_id.id,
            self.company_id.id,
            self.payment_term_id.id,
            *(
                (
                    line.id,
                    line.product_id.id,
                    line.product_uom.id,
                    line.product_uom_qty,
                    line.price_unit,
                    line.discount,
                    line.purchase_price,
                    tuple(sorted(line.tax_id.ids)),
                )
                for line in lines.sorted("id")
            ),
        ]
        return hashlib.sha256(repr(content).encode()).hexdigest()

    def _tiering_void_changed_approvals(self):
        """Void the discount approvals (asked or given) of the orders changed since they were asked."""
        for order in self.sudo().filtered(lambda o: o.tiering_discount_approval_state in ("pending", "approved")):
            if order.tiering_discount_approval_signature == order._tiering_discount_signature():
                continue
            order._approval_cancel()
            # sudo (above): the workflow fields are the approval workflow's.
            order.write(
                {
                    "tiering_discount_approval_state": False,
                    "tiering_discount_approved": 0.0,
                    "tiering_discount_approval_signature": False,
                }
            )
            order.message_post(
                body=Markup("<p>%s</p>")
                % self.env._(
                    "The quotation approval is void: the lines, prices, discounts or payment terms changed after "
                    "it was asked for."
                ),
                subtype_xmlid="mail.mt_note",
            )

    # approval mixin

    def _approval_requester(self):
        return self.tiering_discount_requester_id

    def _approval_is_waiting(self):
        return self.tiering_discount_approval_state == "pending"

    def _approval_on_approved(self):
        self.sudo().write(
            {"tiering_discount_approval_state": "approved", "tiering_discount_approved": self.tiering_max_line_discount}
        )
        self._approval_notify(
            self.env._(
                "Quotation approved by %(user)s: it can be sent, printed, shared and confirmed.",
                user=self.env.user.name,
            )
        )

    def _approval_on_rejected(self, reason):
        self.sudo().tiering_discount_approval_state = "rejected"
        self._approval_notify(
            self.env._("Quotation rejected by %(user)s: %(reason)s", user=self.env.user.name, reason=reason)
        )

    def _approval_activity_note(self, step):
        """What the approver weighs: the customer's grade and tier, and each figure against its limit.

        In the approver's language (see trade.tiering.engine), whoever asked for the approval.
        """
        env = self.with_context(lang=self.env["trade.tiering.engine"]._user_lang(step.user_id, self.company_id)).env
        order = self.with_env(env)
        tier = order.tiering_partner_service_tier_id
        company = order.company_id or env.company
        figures, limits = order._tiering_quote_figures(), order._tiering_quote_limits()
        stars = dict(order._fields["tiering_partner_star_grade"]._description_selection(env))
        money = lambda amount: formatLang(env, amount, currency_obj=company.currency_id)  # noqa: E731
        none = env._("none")
        rows = [
            (env._("Customer"), order.partner_id.commercial_partner_id.name, ""),
            (env._("Grade and tier"), f"{stars.get(order.tiering_partner_star_grade, '')} / {tier.display_name}", ""),
            (
                env._("Highest discount"),
                f"{format_percent(figures.discount)}%",
                env._("up to %(allowed)s%%", allowed=format_percent(limits.max_discount)),
            ),
            (
                env._("Margin rate"),
                f"{format_percent(round(figures.margin_rate, 2))}%" if figures.margin_rate is not None else none,
                env._("floor %(floor)s%%", floor=format_percent(limits.margin_floor)) if limits.margin_floor else none,
            ),
            (
                env._("Payment terms"),
                order.payment_term_id.display_name or none,
                tier.payment_term_id.display_name or none,
            ),
            (
                env._("Untaxed amount"),
                money(figures.amount),
                env._("up to %(limit)s", limit=money(limits.max_amount)) if limits.max_amount else none,
            ),
        ]
        if figures.over_credit:
            rows.append((env._("Credit limit"), order.partner_credit_warning, ""))
        reasons = "; ".join(order._tiering_quote_reasons().values())
        body = Markup("").join(Markup("<tr><td>%s</td><td>%s</td><td>%s</td></tr>") % row for row in rows)
        head = Markup("<tr><th></th><th>%s</th><th>%s</th></tr>") % (env._("Quotation"), env._("Tier limit"))
        return Markup("<p>%s</p><table class='table table-sm'>%s%s</table>") % (
            env._("%(order)s needs your approval: %(reasons)s.", order=order.name, reasons=reasons),
            head,
            body,
        )
