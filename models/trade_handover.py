import base64
from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .tiering_constants import SUPERVISOR_GROUP

# Fields users never write directly: the workflow methods set them.
WORKFLOW_FIELDS = frozenset(
    {"state", "requester_id", "tiering_approval_user_id", "name", "company_id", "done_date", "rejection_reason"}
)
OPEN_STATES = ("draft", "to_approve")
# What a handover hands over: frozen once submitted (anything else goes through a new handover).
FROZEN_FIELDS = frozenset(
    {"line_ids", "from_user_id", "move_leads", "move_quotations", "move_activities", "move_followers"}
)


class TradeHandover(models.Model):
    """A leaving salesperson's customers handed over to one or more receivers, all in one go.

    Made by the handover wizard. Without a customer whose tier needs approval it is carried out at
    once; otherwise a sales supervisor approves it first. Carrying it out (``_execute``) moves
    everything in the current transaction: when a move fails, nothing has moved.
    """

    _name = "trade.handover"
    _description = "Customer Handover"
    _inherit = ["mail.thread", "mail.activity.mixin", "trade.approval.mixin"]
    _order = "id desc"
    _approval_activity_type = "trade_crm_tiering.mail_activity_type_handover_approval"

    name = fields.Char(readonly=True, copy=False, default=lambda self: self.env._("New"))
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True, default=lambda self: self.env.company
    )
    from_user_id = fields.Many2one(
        "res.users", string="Leaving Salesperson", required=True, index=True, readonly=True, tracking=True
    )
    requester_id = fields.Many2one(
        "res.users", string="Requested By", required=True, readonly=True, default=lambda self: self.env.user
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("to_approve", "To Approve"),
            ("done", "Done"),
            ("rejected", "Rejected"),
            ("cancelled", "Cancelled"),
        ],
        string="Status",
        required=True,
        default="draft",
        tracking=True,
        index=True,
    )
    line_ids = fields.One2many("trade.handover.line", "handover_id", string="Customers", readonly=True)
    move_leads = fields.Boolean(string="Move Open Opportunities", default=True, readonly=True)
    move_quotations = fields.Boolean(default=True, readonly=True)
    move_activities = fields.Boolean(string="Move Open Activities", default=True, readonly=True)
    move_followers = fields.Boolean(default=True, readonly=True)
    note = fields.Text(readonly=True)
    done_date = fields.Datetime(string="Handed Over On", readonly=True)
    rejection_reason = fields.Text(readonly=True)
    customer_count = fields.Integer(compute="_compute_summary", string="Customers Handed Over")
    receiver_ids = fields.Many2many("res.users", compute="_compute_summary", string="Receivers")
    needs_approval = fields.Boolean(compute="_compute_summary")
    report_file = fields.Binary(string="Handover Report", attachment=True, readonly=True, copy=False)
    report_filename = fields.Char(readonly=True, copy=False)

    @api.depends("line_ids.receiver_id", "line_ids.needs_approval")
    def _compute_summary(self):
        for handover in self:
            handover.customer_count = len(handover.line_ids)
            handover.receiver_ids = handover.line_ids.receiver_id
            handover.needs_approval = any(handover.line_ids.mapped("needs_approval"))

    @api.depends("from_user_id", "name")
    def _compute_display_name(self):
        for handover in self:
            handover.display_name = self.env._(
                "%(name)s: customers of %(user)s", name=handover.name or "", user=handover.from_user_id.name or ""
            )

    # ------------------------------------------------------------------
    # Protection
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                # A handover starts as a draft of its requester, whatever the values sent.
                for name in WORKFLOW_FIELDS - {"company_id"}:
                    vals.pop(name, None)
                vals.update(requester_id=self.env.uid, state="draft")
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            if WORKFLOW_FIELDS.intersection(vals):
                raise AccessError(self.env._("Handovers move on through Submit, Approve, Reject and Cancel only."))
            if FROZEN_FIELDS.intersection(vals):
                self._check_draft()
        return super().write(vals)

    def _check_draft(self):
        submitted = self.filtered(lambda handover: handover.state != "draft")
        if submitted:
            raise UserError(
                self.env._(
                    "%(handover)s was submitted: its customers, receivers and leaving salesperson no longer "
                    "change. Make a new handover instead.",
                    handover=submitted[0].display_name,
                )
            )

    # ------------------------------------------------------------------
    # Workflow
    # ------------------------------------------------------------------

    def action_submit(self):
        """Carry the handover out, or ask a supervisor first when a customer's tier wants it."""
        for handover in self:
            if handover.state != "draft":
                raise UserError(self.env._("%(handover)s was already submitted.", handover=handover.display_name))
            if not handover.line_ids:
                raise UserError(self.env._("%(handover)s hands over no customer.", handover=handover.display_name))
            handover._check_manager()
            handover.line_ids._refresh_snapshot()
            # sudo: the workflow sets the name and state; users cannot (see write()).
            handover.sudo().name = self.env["ir.sequence"].next_by_code("trade.handover") or handover.name
            if handover.needs_approval:
                handover.sudo().state = "to_approve"
                handover._approval_start(handover._handover_approval_chain())
            else:
                handover._execute()
        return True

    def action_cancel(self):
        for handover in self:
            if handover.state not in OPEN_STATES:
                raise UserError(self.env._("%(handover)s is already closed.", handover=handover.display_name))
            handover._check_manager()
            handover._approval_cancel()
            handover.sudo().state = "cancelled"
        return True

    def _check_manager(self):
        if not self.env.su and not self.env.user.has_group(SUPERVISOR_GROUP):
            raise AccessError(self.env._("Only sales supervisors hand customers over."))

    def _handover_approval_chain(self):
        """A supervisor other than the requester: the team leader of the first customer that needs it."""
        self.ensure_one()
        customer = self.line_ids.filtered("needs_approval")[:1].partner_id.with_company(self.company_id)
        supervisor = customer._tiering_supervisor(exclude=self.requester_id)
        if not supervisor:
            raise UserError(
                self.env._(
                    "Handing over %(customer)s needs a supervisor's approval, and nobody can give it: make its "
                    "sales team leader a supervisor, or set a default approver in Settings > Sales > "
                    "Customer Tiering.",
                    customer=customer.name,
                )
            )
        return [("supervisor", supervisor)]

    # approval mixin

    def _approval_on_approved(self):
        self._execute()

    def _approval_rejected_message(self, reason):
        return self.env._(
            "Rejected by %(user)s: %(reason)s. Nothing was handed over.", user=self.env.user.name, reason=reason
        )

    def _approval_activity_note(self, step):
        approval_lines = self.line_ids.filtered("needs_approval")
        # In the approver's language (see trade.tiering.engine), whoever asked for the handover.
        env = self.with_context(lang=self.env["trade.tiering.engine"]._user_lang(step.user_id, self.company_id)).env
        return Markup("<p>%s</p><p>%s</p>") % (
            env._(
                "Hand over %(count)s customers of %(user)s to %(receivers)s.",
                count=len(self.line_ids),
                user=self.from_user_id.name,
                receivers=", ".join(self.line_ids.receiver_id.mapped("name")),
            ),
            env._(
                "Approval needed for: %(customers)s.",
                customers=", ".join(approval_lines.mapped("partner_id.name")),
            ),
        )

    # ------------------------------------------------------------------
    # Carrying it out
    # ------------------------------------------------------------------

    def _execute(self):
        """Move everything, receiver by receiver; any failure raises and the transaction undoes it all."""
        self.ensure_one()
        if self.state not in OPEN_STATES:
            raise UserError(self.env._("%(handover)s is already closed.", handover=self.display_name))
        # Carried out without approval: which customers need it is checked again, as they are now.
        self.line_ids.invalidate_recordset(["needs_approval"])
        self.invalidate_recordset(["needs_approval"])
        if self.state == "draft" and self.needs_approval:
            raise UserError(
                self.env._(
                    "%(handover)s hands over customers whose tier needs a supervisor's approval: submit it for "
                    "approval. Nothing was handed over.",
                    handover=self.display_name,
                )
            )
        # sudo: a handover moves the leaving salesperson's records, which record rules keep from the
        # supervisor carrying it out; who may hand over was checked, and approved where needed.
        handover = self.sudo().with_company(self.company_id).with_context(mail_activity_quick_update=True)
        by_receiver = defaultdict(lambda: handover.env["trade.handover.line"])
        for line in handover.line_ids:
            by_receiver[line.receiver_id] |= line
        for receiver, lines in by_receiver.items():
            lines._check_receiver(receiver)
            lines._move_to(receiver)
        handover.line_ids._schedule_reviews()
        handover.write({"state": "done", "done_date": fields.Datetime.now()})
        handover.message_post(
            body=Markup("<p>%s</p>")
            % self.env._(
                "Handed over: %(count)s customers of %(user)s to %(receivers)s.",
                count=len(handover.line_ids),
                user=handover.from_user_id.name,
                receivers=", ".join(name for name in handover.line_ids.receiver_id.mapped("name")),
            ),
            partner_ids=(handover.line_ids.receiver_id | handover.requester_id).partner_id.ids,
            subtype_xmlid="mail.mt_comment",
        )

    # ------------------------------------------------------------------
    # Report
    # ------------------------------------------------------------------

    def action_download_report(self):
        """The handover report (xlsx) of these customers, as they are now."""
        self.ensure_one()
        self.check_access("read")
        data = self.env["trade.handover.report"]._build(self)
        filename = self.env._("Handover %(name)s.xlsx", name=self.name)
        # sudo: the report is stored on the handover by the system, for whoever may read it.
        self.sudo().write({"report_file": base64.b64encode(data), "report_filename": filename})
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content?model=trade.handover&id={self.id}&field=report_file"
            "&filename_field=report_filename&download=true",
            "target": "self",
        }
