from odoo import api, fields, models
from odoo.exceptions import UserError


class MailActivity(models.Model):
    """Approval activities (see trade.approval.mixin) are decided, not marked done.

    Like Odoo's own approval activities, they offer Approve and Reject instead of Mark Done: the
    buttons call ``action_trade_approve`` and ``action_trade_reject``, which go through the
    document's workflow, so only whoever may sign the step decides.
    """

    _inherit = "mail.activity"

    trade_approval = fields.Boolean(
        string="Approval Activity",
        compute="_compute_trade_approval",
        help="An activity asking to approve a document of the approval workflow.",
    )
    trade_can_approve = fields.Boolean(
        string="Can Approve",
        compute="_compute_trade_approval",
        help="The current user may approve or reject from this activity.",
    )

    @api.depends_context("uid")
    @api.depends("activity_type_id")
    def _compute_trade_approval(self):
        steps = self._tiering_pending_steps()
        for activity in self:
            step = steps.filtered(lambda s, activity=activity: s.activity_id == activity)[:1]
            activity.trade_approval = bool(step)
            if step:
                # sudo: a display flag; the actions check the signer as the user.
                document = self.env[step.res_model].sudo().browse(step.res_id)
                activity.trade_can_approve = document._approval_may_sign(step, self.env.user)
            else:
                activity.trade_can_approve = False

    def _tiering_pending_steps(self):
        """The pending approval steps these activities ask for (sudo: steps are the workflow's)."""
        ids = [activity_id for activity_id in self.ids if isinstance(activity_id, int)]
        if not ids:
            return self.env["trade.approval.step"].sudo()
        return self.env["trade.approval.step"].sudo().search([("activity_id", "in", ids), ("state", "=", "pending")])

    def _tiering_approval_document(self):
        """The document and the pending step this activity asks to sign; a clear error otherwise."""
        self.ensure_one()
        self.check_access("read")
        step = self._tiering_pending_steps()[:1]
        if not step:
            raise UserError(
                self.env._("%(activity)s does not ask for an approval that is still waiting.", activity=self.res_name)
            )
        # Not sudo: the document's workflow checks that the current user may sign.
        return self.env[step.res_model].browse(step.res_id), step

    def action_trade_approve(self):
        """Approve the document this activity asks to sign, as the current user."""
        document, step = self._tiering_approval_document()
        document._approval_check_signer(step)
        document.action_approve()
        # sudo: who signs next is shown to the signer, whatever they may read of that user.
        following = document.sudo().tiering_approval_user_id
        if following:
            message = self.env._(
                "You approved %(document)s; it now waits for %(user)s.",
                document=document.display_name,
                user=following.name,
            )
        else:
            message = self.env._("%(document)s is approved.", document=document.display_name)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": "success", "message": message},
        }

    def action_trade_reject(self):
        """The reject wizard of the document this activity asks to sign, for who may sign it only."""
        document, step = self._tiering_approval_document()
        document._approval_check_signer(step)
        return document.action_open_reject_wizard()

    def _action_done(self, feedback=False, attachment_ids=None):
        # Marking an approval done would close the reminder and leave the document waiting for
        # nobody: the workflow marks it done itself (as superuser) once the step is signed.
        self._tiering_check_undecided("read")
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)

    def unlink(self):
        # Cancelling the reminder silences the document the same way. Administrators archiving a
        # user drop that user's activities (res.users.action_archive): they still may.
        if not self.env.user.has_group("base.group_erp_manager"):
            self._tiering_check_undecided("unlink")
        return super().unlink()

    def _tiering_check_undecided(self, operation):
        if self.env.su:
            return
        step = self._tiering_pending_steps()[:1]
        if step:
            # Refused for lack of access first: the message names the document.
            self.check_access(operation)
            document = self.env[step.res_model].sudo().browse(step.res_id)
            raise UserError(
                self.env._(
                    "Approve or reject %(document)s: closing its approval activity would leave it waiting with no "
                    "reminder. To withdraw it, cancel the document itself.",
                    document=document.display_name,
                )
            )
