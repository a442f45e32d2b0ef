from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from ..trade_crm_tiering import grading, policy
from .tiering_constants import CATEGORY_SELECTION, STAR_SELECTION, SUPERVISOR_GROUP

# Fields users never write directly: the workflow methods set them.
WORKFLOW_FIELDS = frozenset(
    {"state", "requester_id", "source", "rejection_reason", "tiering_approval_user_id", "name", "company_id"}
)
# The customer's figures when the request is made: computed, never written by anyone but the system.
SNAPSHOT_FIELDS = frozenset({"current_star", "actual_star", "annual_amount", "requested_category"})
OPEN_STATES = ("draft", "to_approve")


class TradeGradeRequest(models.Model):
    _name = "trade.grade.request"
    _description = "Grade Change Request"
    _inherit = ["mail.thread", "mail.activity.mixin", "trade.approval.mixin"]
    _order = "id desc"
    _approval_activity_type = "trade_crm_tiering.mail_activity_type_grade_approval"

    name = fields.Char(readonly=True, copy=False, default=lambda self: self.env._("New"))
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain="['|', ('is_company', '=', True), ('parent_id', '=', False)]",
    )
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    requester_id = fields.Many2one(
        "res.users", string="Requested By", required=True, index=True, default=lambda self: self.env.user
    )
    source = fields.Selection(
        [("manual", "Requested by a rep"), ("auto", "From sales data"), ("import", "From an import")],
        required=True,
        default="manual",
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("to_approve", "To Approve"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            ("cancelled", "Cancelled"),
        ],
        string="Status",
        required=True,
        default="draft",
        tracking=True,
        index=True,
    )
    current_star = fields.Selection(
        STAR_SELECTION, string="Current Grade", compute="_compute_customer_snapshot", store=True
    )
    actual_star = fields.Selection(
        STAR_SELECTION, string="Actual Grade", compute="_compute_customer_snapshot", store=True
    )
    annual_amount = fields.Monetary(
        string="Annual Purchase Amount", compute="_compute_customer_snapshot", store=True, currency_field="currency_id"
    )
    currency_id = fields.Many2one("res.currency", related="company_id.tiering_currency_id", string="Grading Currency")
    requested_star = fields.Selection(STAR_SELECTION, string="Requested Grade", required=True, tracking=True)
    requested_category = fields.Selection(CATEGORY_SELECTION, compute="_compute_requested_category", store=True)
    reason = fields.Text(required=True, tracking=True)
    review_date = fields.Date(help="For a grade above what the customer buys today: when it is looked at again.")
    rejection_reason = fields.Text()
    approval_preview = fields.Char(
        string="Approved By",
        compute="_compute_approval_preview",
        help="Who approves the requested grade, in turn.",
    )
    approval_warning = fields.Char(
        compute="_compute_approval_preview", help="Why nobody can approve the requested grade, and what to set."
    )

    @api.depends("partner_id", "company_id")
    def _compute_customer_snapshot(self):
        for request in self:
            customer = request.partner_id.commercial_partner_id.with_company(request.company_id).sudo()
            request.current_star = customer.tiering_star_grade or "0"
            request.actual_star = customer.tiering_star_grade_actual or "0"
            request.annual_amount = customer.tiering_annual_amount

    @api.depends("requested_star")
    def _compute_requested_category(self):
        for request in self:
            request.requested_category = request.requested_star and grading.category(request.requested_star)

    @api.depends_context("uid")
    @api.depends("partner_id", "requested_star", "requester_id", "company_id", "state")
    def _compute_approval_preview(self):
        for request in self:
            request.approval_preview = request.approval_warning = False
            if request.state != "draft" or not request.partner_id or not request.requested_star:
                continue
            try:
                # sudo: the requester sees who will approve, as the submit will ask them.
                chain = request.sudo()._grade_approval_chain()
            except UserError as error:
                request.approval_warning = error.args[0]
                continue
            request.approval_preview = request._approval_chain_text(chain)

    def _approval_chain_text(self, chain):
        if not chain:
            return self.env._("Nobody: an ordinary grade applies as soon as it is submitted.")
        names = [user.name for _role, user in chain]
        if len(names) == 1:
            return names[0]
        return self.env._("%(first)s, then %(second)s", first=names[0], second=names[1])

    @api.depends("partner_id", "requested_star")
    @api.depends_context("lang")
    def _compute_display_name(self):
        # The grades in the reader's language: the name is rendered when displayed.
        stars = dict(self._fields["requested_star"]._description_selection(self.env))
        for request in self:
            request.display_name = self.env._(
                "%(customer)s: %(old)s → %(new)s",
                customer=request.partner_id.name or "",
                old=stars.get(request.current_star, ""),
                new=stars.get(request.requested_star, ""),
            )

    # ------------------------------------------------------------------
    # Protection
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # Neither context defaults nor sent values set what the system computes or the workflow sets.
        system = (WORKFLOW_FIELDS - {"company_id"}) | SNAPSHOT_FIELDS
        context = {key: value for key, value in self.env.context.items() if key.removeprefix("default_") not in system}
        for vals in vals_list:
            for name in SNAPSHOT_FIELDS:
                vals.pop(name, None)
            if not self.env.su:
                # A user's request starts as a draft of their own, whatever the values sent.
                for name in WORKFLOW_FIELDS - {"company_id"}:
                    vals.pop(name, None)
                vals.update(requester_id=self.env.uid, state="draft", source="manual")
            if vals.get("partner_id"):
                vals["partner_id"] = self.env["res.partner"].browse(vals["partner_id"]).commercial_partner_id.id
        # pylint: disable-next=context-overridden
        requests = super(TradeGradeRequest, self.with_context(context)).create(vals_list)
        if not self.env.su:
            requests._check_served()
        return requests

    def write(self, vals):
        if not self.env.su:
            if WORKFLOW_FIELDS.intersection(vals):
                raise AccessError(self.env._("Grade requests move on through Submit, Approve, Reject and Cancel only."))
            if SNAPSHOT_FIELDS.intersection(vals):
                raise AccessError(
                    self.env._(
                        "The current grade, actual grade and annual purchase amount of a grade request are computed "
                        "from the customer; nobody writes them."
                    )
                )
            if any(request.state != "draft" for request in self):
                raise UserError(self.env._("Only draft grade requests can be edited."))
        if vals.get("partner_id"):
            # A request on a contact is a request on its company.
            vals = dict(vals, partner_id=self.env["res.partner"].browse(vals["partner_id"]).commercial_partner_id.id)
        res = super().write(vals)
        if "partner_id" in vals and not self.env.su:
            self._check_served()
        return res

    def _check_served(self):
        """Reps ask grades for the customers they serve (salesperson or backup); supervisors for any."""
        if self.env.user.has_group(SUPERVISOR_GROUP):
            return
        for request in self:
            customer = request.partner_id.commercial_partner_id.sudo()
            if self.env.user not in customer.user_id | customer.tiering_backup_user_id:
                raise AccessError(
                    self.env._(
                        "You cannot ask for a grade change for %(customer)s: you are neither its salesperson nor "
                        "its backup. Ask its salesperson or a sales supervisor.",
                        customer=customer.name,
                    )
                )

    # ------------------------------------------------------------------
    # Workflow
    # ------------------------------------------------------------------

    def action_submit(self):
        for request in self:
            request._check_submittable()
            chain = request._grade_approval_chain()
            # sudo: the workflow sets the state; users cannot (see write()).
            request.sudo().write(
                {
                    "state": "to_approve" if chain else "approved",
                    "name": self.env["ir.sequence"].next_by_code("trade.grade.request") or request.name,
                }
            )
            if chain:
                request._approval_start(chain)
            else:
                request._finish_approved()
        return self._submitted_notification() if len(self) == 1 else True

    def _submitted_notification(self):
        """What the requester is told once the request is sent: it closes the request dialog."""
        stars = dict(STAR_SELECTION)
        if self.state == "approved":
            message = self.env._(
                "%(customer)s is now served at %(grade)s.",
                customer=self.partner_id.name,
                grade=stars[self.requested_star],
            )
        else:
            steps = self.sudo().tiering_approval_step_ids
            message = self.env._(
                "%(request)s is sent for approval to %(approvers)s.",
                request=self.name,
                approvers=self._approval_chain_text([(step.role, step.user_id) for step in steps]),
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("Grade request submitted"),
                "message": message,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_cancel(self):
        for request in self:
            if request.state not in OPEN_STATES:
                raise UserError(self.env._("%(request)s is already closed.", request=request.display_name))
            is_supervisor = self.env.user.has_group("trade_crm_tiering.group_tiering_supervisor")
            if request.requester_id != self.env.user and not is_supervisor and not self.env.su:
                raise AccessError(self.env._("Only the requester or a supervisor can cancel a grade request."))
            request._approval_cancel()
            request.sudo().state = "cancelled"
        return True

    def _check_submittable(self):
        self.ensure_one()
        if self.state != "draft":
            raise UserError(self.env._("%(request)s was already submitted.", request=self.display_name))
        if self.requester_id != self.env.user and not self.env.su:
            raise AccessError(self.env._("Only %(user)s can submit this request.", user=self.requester_id.name))
        if not self.env.su:
            self._check_served()
        # One waiting request per customer, whoever asked: lock the customer so that two reps
        # submitting at once are told in turn.
        self.env.cr.execute(
            SQL("SELECT id FROM res_partner WHERE id = %s FOR NO KEY UPDATE", self.partner_id.commercial_partner_id.id)
        )
        self._refresh_snapshot()
        state = self._customer_grade_state()
        requested, actual = int(self.requested_star), state.actual
        if not policy.changes_anything(state, requested):
            raise UserError(
                self.env._(
                    "%(customer)s is already served at %(grade)s.",
                    customer=self.partner_id.name,
                    grade=dict(STAR_SELECTION)[self.requested_star],
                )
            )
        if requested < actual:
            raise UserError(
                self.env._(
                    "%(customer)s buys enough for %(actual)s: a grade request cannot go below that.",
                    customer=self.partner_id.name,
                    actual=dict(STAR_SELECTION)[str(actual)],
                )
            )
        self._check_lowering(state, requested)
        # sudo: the rep's record rules hide the other reps' requests, which count all the same.
        other = self.sudo().search_count(
            [
                ("id", "!=", self.id),
                ("partner_id", "=", self.partner_id.id),
                ("company_id", "=", self.company_id.id),
                ("state", "=", "to_approve"),
                ("source", "=", "manual"),
            ]
        )
        if other:
            raise UserError(
                self.env._("%(customer)s already has a grade request waiting.", customer=self.partner_id.name)
            )

    def _refresh_snapshot(self):
        """What the approver sees is the customer as it is now, not as the draft stored it."""
        customer = self.partner_id.commercial_partner_id.with_company(self.company_id).sudo()
        # sudo: the snapshot is the system's (see write()).
        self.sudo().write(
            {
                "current_star": customer.tiering_star_grade or "0",
                "actual_star": customer.tiering_star_grade_actual or "0",
                "annual_amount": customer.tiering_annual_amount,
            }
        )

    def _check_lowering(self, state, requested):
        """Lowering a grade kept above the customer's purchases (a potential grade, a grace period)
        takes away what was approved: only a supervisor may."""
        if self.env.su or self.requester_id.has_group(SUPERVISOR_GROUP):
            return
        effective, potential = policy.approved(state, requested)
        if effective < state.effective or potential < state.potential:
            stars = dict(STAR_SELECTION)
            raise UserError(
                self.env._(
                    "%(customer)s is served at %(grade)s above what its purchases give (%(actual)s), as approved: "
                    "only a sales supervisor can lower that grade or withdraw its potential grade.",
                    customer=self.partner_id.name,
                    grade=stars[str(state.effective)],
                    actual=stars[str(state.actual)],
                )
            )

    def _customer_grade_state(self):
        customer = self.partner_id.with_company(self.company_id).sudo()
        return policy.GradeState(
            actual=int(customer.tiering_star_grade_actual or 0),
            effective=int(customer.tiering_star_grade or 0),
            potential=int(customer.tiering_star_grade_potential or 0),
            downgrade_due=customer.tiering_downgrade_due or None,
        )

    def _grade_approval_chain(self):
        """``[(role, user)]``: nobody for ordinary grades, a supervisor for key, then the GM for VIP."""
        self.ensure_one()
        category = grading.category(self.requested_star)
        if category == "ordinary":
            return []
        customer = self.partner_id.with_company(self.company_id)
        manager = self.company_id.tiering_gm_id.filtered("active")
        if category == "vip":
            if not manager:
                raise UserError(
                    self.env._(
                        "VIP grades need an active general manager: set one in "
                        "Settings > Sales > Star Grades > Grade Approvals."
                    )
                )
            if manager == self.requester_id:
                return self._grade_approval_chain_for_manager(customer)
            # Two different people sign a VIP grade: the supervisor step never goes to the GM.
            supervisor = customer._tiering_supervisor(exclude=self.requester_id | manager)
            if not supervisor:
                raise UserError(
                    self.env._(
                        "VIP grades are signed by two different people: a supervisor, then the general manager "
                        "%(manager)s. Nobody else can sign the supervisor step for %(customer)s: make its sales "
                        "team leader a supervisor, or set a default approver in "
                        "Settings > Sales > Star Grades > Grade Approvals.",
                        manager=manager.name,
                        customer=self.partner_id.name,
                    )
                )
            return [("supervisor", supervisor), ("gm", manager)]
        supervisor = customer._tiering_supervisor(exclude=self.requester_id)
        if not supervisor:
            raise UserError(
                self.env._(
                    "Nobody can approve key-account grades for %(customer)s: make its sales team leader a "
                    "supervisor, or set a default approver in Settings > Sales > Star Grades > Grade Approvals.",
                    customer=self.partner_id.name,
                )
            )
        return [("supervisor", supervisor)]

    def _grade_approval_chain_for_manager(self, customer):
        """The general manager asking a VIP grade has given the general manager's consent by asking:
        the customer's supervisor (team leader, else the default approver) signs, so that two
        people still agree on it."""
        supervisor = customer._tiering_supervisor(exclude=self.requester_id)
        if not supervisor:
            raise UserError(
                self.env._(
                    "You are the general manager: a VIP grade you ask for is approved by %(customer)s's sales team "
                    "leader or by the company's default approver, and there is neither. Set a default approver in "
                    "Settings > Sales > Star Grades > Grade Approvals.",
                    customer=self.partner_id.name,
                )
            )
        return [("supervisor", supervisor)]

    def _finish_approved(self):
        self.sudo().state = "approved"
        self.env["trade.tiering.engine"]._apply_request(self)
        self._approval_notify(
            self.env._(
                "Approved: %(customer)s is now served at %(grade)s.",
                customer=self.partner_id.name,
                grade=dict(STAR_SELECTION)[self.requested_star],
            )
        )

    def _approval_notified_partners(self):
        # Nobody asked an automatic request: its outcome goes to the customer's salesperson.
        if self.source == "auto" or self.requester_id.id == SUPERUSER_ID:
            return self.partner_id.user_id.partner_id
        return super()._approval_notified_partners()

    # ------------------------------------------------------------------
    # Approval mixin
    # ------------------------------------------------------------------

    def _approval_on_approved(self):
        self._finish_approved()

    def _approval_activity_note(self, step):
        # In the approver's language (see trade.tiering.engine), whoever submitted the request.
        env = self.with_context(lang=self.env["trade.tiering.engine"]._user_lang(step.user_id, self.company_id)).env
        stars = dict(self._fields["requested_star"]._description_selection(env))
        amount = formatLang(env, self.annual_amount, currency_obj=self.currency_id)
        return Markup("<p>%s</p><p>%s</p>") % (
            env._(
                "%(customer)s: %(current)s → %(requested)s (annual purchase amount %(amount)s).",
                customer=self.partner_id.name,
                current=stars.get(self.current_star, ""),
                requested=stars[self.requested_star],
                amount=amount,
            ),
            env._("Reason: %(reason)s", reason=self.reason),
        )

    # ------------------------------------------------------------------
    # Requests opened by the grading engine
    # ------------------------------------------------------------------

    @api.model
    def _open_auto_requests(self, company, requested):
        """Ask approval for grades data supports (``{partner id: stars}``), once per grade."""
        requests = self.sudo().with_company(company)
        existing = requests.search(
            [
                ("partner_id", "in", list(requested)),
                ("company_id", "=", company.id),
                ("source", "=", "auto"),
                ("state", "in", OPEN_STATES),
            ]
        )
        stale = existing.filtered(lambda r: int(r.requested_star) != requested[r.partner_id.id])
        stale._cancel_unsupported()
        kept = {request.partner_id.id for request in existing - stale}
        customers = self.env["res.partner"].sudo().with_company(company).browse(list(requested))
        amounts = {customer.id: customer.tiering_annual_amount for customer in customers}
        # The request's texts follow the rule of the customer's chatter notes (trade.tiering.engine).
        langs = self.env["trade.tiering.engine"]._customer_note_langs(company, list(requested))
        new = requests.create(
            [
                {
                    "partner_id": partner_id,
                    "company_id": company.id,
                    "requester_id": SUPERUSER_ID,
                    "source": "auto",
                    "requested_star": str(star),
                    "reason": self.with_context(lang=langs[partner_id])._auto_reason(
                        company, amounts[partner_id], star
                    ),
                }
                for partner_id, star in requested.items()
                if partner_id not in kept
            ]
        )
        for request in new:
            try:
                with self.env.cr.savepoint():
                    # Why it cannot be submitted, if so, is a note in the same language as the reason.
                    request.with_context(lang=langs[request.partner_id.id]).action_submit()
            except UserError as error:
                # No approver configured: the request waits as a draft, saying why.
                request.message_post(body=Markup("<p>%s</p>") % error.args[0])
        return new

    def _auto_reason(self, company, amount, star):
        """The reason of an automatic request, in the language of the context."""
        return self.env._(
            "Purchases of the grading period (%(amount)s) give %(grade)s.",
            amount=formatLang(self.env, amount, currency_obj=company.tiering_currency_id),
            grade=dict(self._fields["requested_star"]._description_selection(self.env))[str(star)],
        )

    def _cancel_unsupported(self):
        langs = {}
        for company in self.company_id:
            requests = self.filtered(lambda r, company=company: r.company_id == company)
            langs |= self.env["trade.tiering.engine"]._customer_note_langs(company, requests.partner_id.ids)
        for request in self:
            request._approval_cancel()
            request.sudo().state = "cancelled"
            # In the language of the customer's chatter notes (trade.tiering.engine).
            env = self.with_context(lang=langs[request.partner_id.id]).env
            request.sudo().message_post(
                body=Markup("<p>%s</p>") % env._("Cancelled: the customer's purchases no longer give this grade.")
            )
