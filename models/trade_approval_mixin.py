from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .trade_approval_step import ROLE_GROUPS


class TradeApprovalMixin(models.AbstractModel):
    """Signatures a document needs, each asked for through a mail activity.

    A model using it inherits ``mail.activity.mixin``, defines ``_approval_activity_type`` (the
    xml id of the activity type) and implements ``_approval_requester()``,
    ``_approval_activity_note(step)``, ``_approval_is_waiting()`` and what a decision does:
    ``_approval_on_approved()`` and ``_approval_on_rejected(reason)``, which tell the outcome through
    ``_approval_notify(message)``. It calls
    ``_approval_start(chain)`` with the ``[(role, user)]`` to ask in turn, and
    ``_approval_cancel()``; users decide through ``action_approve()`` and ``action_reject(reason)``
    (the reason wizard and the approval activities call them too). Steps are written as superuser:
    users act through these methods only.
    """

    _name = "trade.approval.mixin"
    _description = "Approval Workflow"
    _approval_activity_type = None

    tiering_approval_step_ids = fields.One2many(
        "trade.approval.step",
        "res_id",
        string="Approval Steps",
        domain=lambda self: [("res_model", "=", self._name)],
        readonly=True,
    )
    tiering_approval_user_id = fields.Many2one(
        "res.users",
        string="Waiting For",
        readonly=True,
        index="btree_not_null",
        copy=False,
        help="Whose approval the document is waiting for.",
    )
    tiering_can_approve = fields.Boolean(compute="_compute_can_approve")

    @api.depends_context("uid")
    @api.depends("tiering_approval_step_ids.state", "tiering_approval_step_ids.user_id")
    def _compute_can_approve(self):
        for record in self:
            step = record._approval_pending_step()
            record.tiering_can_approve = bool(step) and record._approval_may_sign(step, self.env.user)

    # The defaults fit a request document (``requester_id``, ``state``, ``rejection_reason``): grade
    # requests and handovers. A quotation overrides them.

    def _approval_requester(self):
        return self.requester_id

    def _approval_is_waiting(self):
        """Whether the document waits for an approval, by its own state."""
        return self.state == "to_approve"

    def _approval_on_approved(self):
        """Every step is signed: carry the document out and tell its requester."""
        raise NotImplementedError

    def _approval_on_rejected(self, reason):
        """The document was rejected for ``reason``: close it and tell its requester."""
        self.sudo().write({"state": "rejected", "rejection_reason": reason})
        self._approval_notify(self._approval_rejected_message(reason))

    def _approval_rejected_message(self, reason):
        return self.env._("Rejected by %(user)s: %(reason)s", user=self.env.user.name, reason=reason)

    def action_approve(self, feedback=None):
        for document in self:
            document._approval_check_waiting()
            if document._approval_approve(feedback):
                document._approval_on_approved()
        return True

    def action_reject(self, reason):
        for document in self:
            document._approval_check_waiting()
            document._approval_reject(reason)
            document._approval_on_rejected(reason)
        return True

    def _approval_notify(self, message):
        """Post how the document was decided in its chatter, to whom it concerns."""
        # sudo: the outcome is logged on the document whoever decided it.
        self.sudo().message_post(
            body=Markup("<p>%s</p>") % message,
            partner_ids=self._approval_notified_partners().ids,
            subtype_xmlid="mail.mt_comment",
        )

    def _approval_notified_partners(self):
        return self._approval_requester().partner_id

    def _approval_check_waiting(self):
        """Deciding is refused before the document's own state says it waits, whatever its steps."""
        if not self._approval_is_waiting():
            raise UserError(self.env._("%(document)s is not waiting for approval.", document=self.display_name))

    def action_open_reject_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reject"),
            "res_model": "trade.approval.reject",
            "view_mode": "form",
            "target": "new",
            "context": {"default_res_model": self._name, "default_res_id": self.id},
        }

    def _approval_activity_note(self, step):
        raise NotImplementedError

    def _approval_pending_step(self):
        self.ensure_one()
        return self.tiering_approval_step_ids.filtered(lambda step: step.state == "pending")[:1]

    def _approval_may_sign(self, step, user):
        """The assigned approver, or anyone holding the step's role; never the requester, and never
        someone who signs another step of the document (the general manager holds the supervisor
        role too: one person must not sign both steps of a VIP grade)."""
        if user == self._approval_requester() or user in self._approval_other_signers(step):
            return False
        return user == step.user_id or user.has_group(ROLE_GROUPS[step.role])

    def _approval_other_signers(self, step):
        """Who signed, or is asked to sign, the document's other steps still standing."""
        others = self.tiering_approval_step_ids.filtered(
            lambda s: s != step and s.state in ("waiting", "pending", "approved")
        )
        return others.signed_by_id | others.filtered(lambda s: s.state != "approved").user_id

    def _approval_candidates(self, step):
        """Active users who may sign ``step``: named in the error of someone who may not."""
        group = self.env.ref(ROLE_GROUPS[step.role])
        company = self["company_id"] if "company_id" in self._fields else self.env["res.company"]
        excluded = self._approval_requester() | self._approval_other_signers(step)
        # sudo: the names are shown to the refused signer; the users themselves stay unread.
        users = self.env["res.users"].sudo().search([("groups_id", "in", group.ids), ("share", "=", False)])
        users = (step.user_id.sudo() | users).filtered(
            lambda user: user.active and user not in excluded and (not company or company in user.company_ids)
        )
        return users

    def _approval_start(self, chain):
        """Ask ``chain`` (``[(role, user)]``) in turn, starting with its first step."""
        self.ensure_one()
        users = [user for _role, user in chain]
        if len({user.id for user in users}) < len(users):
            raise UserError(
                self.env._(
                    "The steps of %(document)s must be signed by two different people; %(user)s cannot sign them all.",
                    document=self.display_name,
                    user=users[0].name,
                )
            )
        archived = [user.name for user in users if not user.active]
        if archived:
            raise UserError(
                self.env._(
                    "%(users)s cannot approve %(document)s: archived users are never approvers.",
                    users=", ".join(archived),
                    document=self.display_name,
                )
            )
        # sudo: steps are only written by the workflow, never directly by users.
        steps = (
            self.env["trade.approval.step"]
            .sudo()
            .create(
                [
                    {"res_model": self._name, "res_id": self.id, "sequence": index, "role": role, "user_id": user.id}
                    for index, (role, user) in enumerate(chain)
                ]
            )
        )
        self._approval_ask(steps[:1])

    def _approval_ask(self, step):
        activity = self.sudo().activity_schedule(
            self._approval_activity_type,
            user_id=step.user_id.id,
            note=self._approval_activity_note(step),
        )
        step.sudo().write({"state": "pending", "activity_id": activity.id})
        self.sudo().tiering_approval_user_id = step.user_id

    def _approval_check_signer(self, step):
        if not step:
            raise UserError(self.env._("%(document)s is not waiting for approval.", document=self.display_name))
        if self.env.user == self._approval_requester():
            raise AccessError(
                self.env._("Nobody approves their own request (%(document)s).", document=self.display_name)
            )
        if self.env.user in self._approval_other_signers(step):
            names = ", ".join(self._approval_candidates(step).mapped("name"))
            others = (
                self.env._("This step can be signed by: %(users)s.", users=names)
                if names
                else self.env._("Nobody else can sign this step: give another user the approver's role.")
            )
            raise AccessError(
                self.env._(
                    "The steps of %(document)s are signed by two different people, and you sign another of them. "
                    "%(others)s",
                    document=self.display_name,
                    others=others,
                )
            )
        if not self._approval_may_sign(step, self.env.user):
            raise AccessError(
                self.env._(
                    "%(document)s waits for the approval of %(approver)s; you cannot sign it.",
                    document=self.display_name,
                    approver=step.user_id.name,
                )
            )

    def _approval_sign(self, step, state, feedback):
        # sudo: the signer may not be the activity's assignee (another supervisor stepping in).
        step.sudo().write(
            {"state": state, "signed_by_id": self.env.uid, "signed_on": fields.Datetime.now(), "feedback": feedback}
        )
        if step.activity_id:
            step.activity_id.sudo().action_feedback(feedback=feedback or "")

    def _approval_approve(self, feedback=None):
        """Sign the pending step; ask the next one. True when every step is signed."""
        self.ensure_one()
        step = self._approval_pending_step()
        self._approval_check_signer(step)
        self._approval_sign(step, "approved", feedback)
        following = self.tiering_approval_step_ids.filtered(lambda s: s.state == "waiting")[:1]
        if following:
            self._approval_ask(following)
            return False
        self.sudo().tiering_approval_user_id = False
        return True

    def _approval_reject(self, reason):
        self.ensure_one()
        if not (reason or "").strip():
            raise UserError(self.env._("Say why %(document)s is rejected.", document=self.display_name))
        step = self._approval_pending_step()
        self._approval_check_signer(step)
        self._approval_sign(step, "rejected", reason)
        self._approval_cancel()

    def _approval_cancel(self):
        """Drop the steps still owed and their activities."""
        open_steps = self.tiering_approval_step_ids.filtered(lambda s: s.state in ("waiting", "pending"))
        open_steps.activity_id.sudo().unlink()
        open_steps.sudo().write({"state": "cancelled"})
        self.sudo().tiering_approval_user_id = False
