"""Moves up by a tier rule into a tier that needs approval: grade requests of source ``rule``,
opened and submitted in batches by the nightly evaluation (``trade_tier_rule_evaluation.py``)."""

from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..trade_crm_tiering import tiering_day

# Fields of a grade request that only the rules pass sets.
RULE_REQUEST_FIELDS = ("requested_tier_id", "tiering_rule_id")
# No creation note, follower, tracking or assignment e-mail per request: the nightly job would
# mail the supervisor once per customer (as for the early warnings).
QUIET = {
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "tracking_disable": True,
    "mail_activity_quick_update": True,
}


class TradeGradeRequest(models.Model):
    """Moves up by a tier rule wait for approval as grade requests (source ``rule``)."""

    _inherit = "trade.grade.request"

    source = fields.Selection(selection_add=[("rule", "From a tier rule")], ondelete={"rule": "cascade"})
    requested_tier_id = fields.Many2one("trade.service.tier", readonly=True, copy=False)
    tiering_rule_id = fields.Many2one("trade.tier.rule", readonly=True, copy=False)
    current_tier_id = fields.Many2one("trade.service.tier", readonly=True, copy=False)

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                for name in (*RULE_REQUEST_FIELDS, "current_tier_id"):
                    vals.pop(name, None)
        context = {
            key: value
            for key, value in self.env.context.items()
            if key.removeprefix("default_") not in (*RULE_REQUEST_FIELDS, "current_tier_id") or self.env.su
        }
        # pylint: disable-next=context-overridden
        return super(TradeGradeRequest, self.with_context(context)).create(vals_list)

    def write(self, vals):
        if not self.env.su and {*RULE_REQUEST_FIELDS, "current_tier_id"}.intersection(vals):
            raise AccessError(self.env._("The tier and rule of a tier request are set by the nightly rules pass."))
        return super().write(vals)

    @api.depends("partner_id", "requested_star", "requested_tier_id", "current_tier_id")
    @api.depends_context("lang")
    def _compute_display_name(self):
        rule_requests = self.filtered(lambda r: r.source == "rule")
        res = super(TradeGradeRequest, self - rule_requests)._compute_display_name()
        for request in rule_requests:
            request.display_name = self.env._(
                "%(customer)s: tier %(old)s → %(new)s",
                customer=request.partner_id.name or "",
                old=request.current_tier_id.code or "",
                new=request.requested_tier_id.code or "",
            )
        return res

    def _check_submittable(self):
        if self.source != "rule":
            return super()._check_submittable()
        self.ensure_one()
        if self.state != "draft":
            raise UserError(self.env._("%(request)s was already submitted.", request=self.display_name))
        if not self.env.su:
            raise AccessError(self.env._("Tier requests are submitted by the nightly rules pass."))
        return None

    def _grade_approval_chain(self):
        if self.source != "rule":
            return super()._grade_approval_chain()
        self.ensure_one()
        return self._rule_approval_chain(self.env["trade.service.tier"]._tiering_top_tier(self.company_id))

    def _rule_approval_chain(self, top_tier):
        """``[(role, user)]`` of a move up by a rule: a supervisor; into ``top_tier`` (the company's
        highest tier) a supervisor then the general manager, as for a VIP (5-star) grade."""
        self.ensure_one()
        if self.requested_tier_id != top_tier:
            return [("supervisor", self._rule_supervisor())]
        manager = self.company_id.tiering_gm_id.filtered("active")
        if not manager:
            raise UserError(
                self.env._(
                    "Moving %(customer)s up to tier %(tier)s needs a supervisor, then an active general manager: "
                    "set one in Settings > Sales > Star Grades > Grade Approvals.",
                    customer=self.partner_id.name,
                    tier=self.requested_tier_id.display_name,
                )
            )
        # Two different people sign the move into the top tier: the supervisor step never goes to the GM.
        return [("supervisor", self._rule_supervisor(manager)), ("gm", manager)]

    def _rule_supervisor(self, manager=None):
        customer = self.partner_id.with_company(self.company_id)
        supervisor = customer._tiering_supervisor(exclude=self.requester_id | (manager or self.env["res.users"]))
        if supervisor:
            return supervisor
        if manager:
            raise UserError(
                self.env._(
                    "Moving %(customer)s up to tier %(tier)s is signed by two different people: a supervisor, then "
                    "the general manager %(manager)s. Nobody else can sign the supervisor step: make its sales team "
                    "leader a supervisor, or set a default approver in "
                    "Settings > Sales > Star Grades > Grade Approvals.",
                    customer=self.partner_id.name,
                    tier=self.requested_tier_id.display_name,
                    manager=manager.name,
                )
            )
        raise UserError(
            self.env._(
                "Nobody can approve moving %(customer)s up to tier %(tier)s: make its sales team leader a "
                "supervisor, or set a default approver in Settings > Sales > Star Grades > Grade Approvals.",
                customer=self.partner_id.name,
                tier=self.requested_tier_id.display_name,
            )
        )

    def _finish_approved(self):
        if self.source != "rule":
            return super()._finish_approved()
        self.sudo().state = "approved"
        self.env["trade.tier.rule"]._apply_approved(self)
        self._approval_notify(
            self.env._(
                "Approved: %(customer)s is now in tier %(tier)s.",
                customer=self.partner_id.name,
                tier=self.requested_tier_id.display_name,
            )
        )
        return None

    @api.model
    def _create_rule_requests(self, company, chunk, current_tier, langs, texts):
        """Create and submit the requests of ``chunk`` (``[(customer, (tier, rule))]``) at once;
        ``current_tier``: ``{customer: its tier id or False}``."""
        stars = dict(
            self.env.execute_query(
                SQL(
                    "SELECT id, COALESCE(tiering_star_grade ->> %s, '0') FROM res_partner WHERE id = ANY(%s)",
                    str(company.id),
                    [pid for pid, _values in chunk],
                )
            )
        )
        new = self.create(
            [
                {
                    "partner_id": pid,
                    "company_id": company.id,
                    "requester_id": SUPERUSER_ID,
                    "source": "rule",
                    "requested_star": stars.get(pid, "0"),
                    "requested_tier_id": tier,
                    "tiering_rule_id": rule,
                    "current_tier_id": current_tier[pid],
                    "reason": texts[rule, langs[pid]],
                }
                for pid, (tier, rule) in chunk
            ]
        )
        # Submitted at once, as action_submit and _approval_start do one by one: the approvers of
        # each (the customer's supervisor, then the GM into the top tier), their approval steps and
        # the first step's activity, created in batches.
        top_tier = self.env["trade.service.tier"]._tiering_top_tier(company)
        chains, drafts = {}, []
        for request in new:
            try:
                # Why it cannot be submitted, if so, is a note in the language of the reason.
                chain = request.with_context(lang=langs[request.partner_id.id])._rule_approval_chain(top_tier)
                chains[request.id] = chain
            except UserError as error:
                drafts.append((request, error.args[0]))
        asked = self.browse(list(chains))
        sequence = self.env["ir.sequence"]
        for request in asked:
            request.write({"state": "to_approve", "name": sequence.next_by_code("trade.grade.request") or request.name})
        all_steps = (
            self.env["trade.approval.step"]
            .sudo()
            .create(
                [
                    {
                        "res_model": self._name,
                        "res_id": request.id,
                        "sequence": index,
                        "role": role,
                        "user_id": user.id,
                    }
                    for request in asked
                    for index, (role, user) in enumerate(chains[request.id])
                ]
            )
        )
        # The first step of each request, in the order of ``asked``: it is asked now, the GM's waits.
        steps = all_steps.filtered(lambda step: step.sequence == 0)
        activity_type = self.env.ref(self._approval_activity_type)
        model_id = self.env["ir.model"]._get_id(self._name)
        today = tiering_day.today()
        activities = (
            self.env["mail.activity"]
            .sudo()
            .with_context(**QUIET)
            .create(
                [
                    {
                        "activity_type_id": activity_type.id,
                        "summary": activity_type.summary,
                        "automated": True,
                        "note": request._approval_activity_note(step),
                        "date_deadline": today,
                        "res_model_id": model_id,
                        "res_id": request.id,
                        "user_id": step.user_id.id,
                    }
                    for request, step in zip(asked, steps, strict=True)
                ]
            )
        )
        for request, step, activity in zip(asked, steps, activities, strict=True):
            step.write({"state": "pending", "activity_id": activity.id})
            request.tiering_approval_user_id = step.user_id
        for request, message in drafts:
            # No approver configured: the request waits as a draft, saying why.
            request.message_post(body=Markup("<p>%s</p>") % message)
        return new

    def _cancel_rule_requests(self):
        for request in self:
            request._approval_cancel()
            request.sudo().state = "cancelled"
            request.sudo().message_post(
                body=Markup("<p>%s</p>") % self.env._("Cancelled: the tier rule no longer moves this customer up.")
            )

    def _approval_activity_note(self, step):
        if self.source != "rule":
            return super()._approval_activity_note(step)
        env = self.with_context(lang=self.env["trade.tiering.engine"]._user_lang(step.user_id, self.company_id)).env
        request = self.with_env(env)
        return Markup("<p>%s</p><p>%s</p>") % (
            env._(
                "%(customer)s: tier %(current)s → %(requested)s, by a tier rule.",
                customer=request.partner_id.name,
                current=request.current_tier_id.display_name or "",
                requested=request.requested_tier_id.display_name,
            ),
            env._("Reason: %(reason)s", reason=request.reason),
        )
