from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..models.tiering_constants import REP_GROUP, STAR_SELECTION
from ..trade_crm_tiering import handover as spreading


class TradeHandoverWizard(models.TransientModel):
    """Hand a leaving salesperson's customers over: to one receiver, or spread over a team.

    Opened from selected customers or from a user. "Plan" lists who gets which customer (the
    lines can be changed); "Hand Over" makes the handover, carried out at once or sent for
    approval when a customer's tier needs it.
    """

    _name = "trade.handover.wizard"
    _description = "Hand Over Customers"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    from_user_id = fields.Many2one(
        "res.users", string="Leaving Salesperson", required=True, domain="[('share', '=', False)]"
    )
    scope = fields.Selection(
        [
            ("selected", "Selected customers"),
            ("all", "All their customers"),
            ("tiers", "Customers of some tiers"),
            ("grades", "Customers of some grades"),
        ],
        string="Customers",
        required=True,
        default="all",
    )
    partner_ids = fields.Many2many("res.partner", string="Selected Customers")
    tier_ids = fields.Many2many("trade.service.tier", string="Tiers", domain="[('company_id', '=', company_id)]")
    star_min = fields.Selection(STAR_SELECTION, string="From Grade", default="0")
    star_max = fields.Selection(STAR_SELECTION, string="To Grade", default="5")
    receiver_mode = fields.Selection(
        [("one", "One salesperson"), ("team", "Spread over several")],
        string="Hand Over To",
        required=True,
        default="one",
        help="Customers the leaver serves as salesperson go to their backup salesperson by default (when the "
        "backup can receive customers); the others to the receivers chosen here. The plan's lines can be changed.",
    )
    receiver_id = fields.Many2one("res.users", domain="[('share', '=', False)]")
    team_id = fields.Many2one("crm.team", string="Sales Team", help="Fills the receivers with the team's members.")
    receiver_ids = fields.Many2many("res.users", string="Receivers", domain="[('share', '=', False)]")
    cap = fields.Integer(
        string="At Most per Receiver", help="The most customers one receiver takes in this handover; 0 for no limit."
    )
    move_leads = fields.Boolean(string="Move Open Opportunities", default=True)
    move_quotations = fields.Boolean(default=True)
    move_activities = fields.Boolean(string="Move Open Activities", default=True)
    move_followers = fields.Boolean(default=True)
    note = fields.Text()
    line_ids = fields.One2many("trade.handover.wizard.line", "wizard_id", string="Plan")
    needs_approval = fields.Boolean(compute="_compute_needs_approval")
    role_conflicts = fields.Char(
        string="Left Without a Backup",
        compute="_compute_role_conflicts",
        help="Customers the leaver backs up whose receiver is already their salesperson: they would be left "
        "without a backup.",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") == "res.partner" and context.get("active_ids"):
            customers = self.env["res.partner"].browse(context["active_ids"]).commercial_partner_id
            values["scope"] = "selected"
            values["partner_ids"] = [Command.set(customers.ids)]
            if len(customers.user_id) == 1:
                values["from_user_id"] = customers.user_id.id
        elif context.get("active_model") == "res.users" and context.get("active_id"):
            values["from_user_id"] = context["active_id"]
        return values

    @api.depends("line_ids.needs_approval")
    def _compute_needs_approval(self):
        for wizard in self:
            wizard.needs_approval = any(wizard.line_ids.mapped("needs_approval"))

    @api.depends("line_ids.role_conflict")
    def _compute_role_conflicts(self):
        for wizard in self:
            conflicts = wizard.line_ids.filtered("role_conflict")
            wizard.role_conflicts = ", ".join(conflicts.partner_id.mapped("display_name")) or False

    @api.onchange("team_id")
    def _onchange_team_id(self):
        if self.team_id:
            members = self.team_id.member_ids | self.team_id.user_id
            self.receiver_ids = members.filtered(lambda u: u != self.from_user_id and u.active)

    # ------------------------------------------------------------------
    # Which customers
    # ------------------------------------------------------------------

    def _customers(self):
        """The leaver's customers (as salesperson or backup) the chosen scope covers, in the wizard's company."""
        self.ensure_one()
        partners = self.env["res.partner"].with_company(self.company_id)
        domain = [
            ("parent_id", "=", False),
            ("company_id", "in", (False, self.company_id.id)),
            "|",
            ("user_id", "=", self.from_user_id.id),
            ("tiering_backup_user_id", "=", self.from_user_id.id),
        ]
        if self.scope == "selected":
            selected = self.partner_ids.commercial_partner_id
            found = partners.search([*domain, ("id", "in", selected.ids)])
            others = selected - found
            if others:
                raise UserError(
                    self.env._(
                        "%(user)s is neither salesperson nor backup of %(customers)s.",
                        user=self.from_user_id.name,
                        customers=", ".join(others.mapped("name")),
                    )
                )
            return found
        if self.scope == "tiers":
            if not self.tier_ids:
                raise UserError(self.env._("Choose the tiers whose customers are handed over."))
            domain.append(("tiering_service_tier_id", "in", self.tier_ids.ids))
        elif self.scope == "grades":
            low, high = sorted((int(self.star_min or 0), int(self.star_max or 5)))
            domain.append(("tiering_star_grade", "in", [str(star) for star in range(low, high + 1)]))
        return partners.search(domain, order="id")

    def _receivers(self):
        self.ensure_one()
        receivers = self.receiver_id if self.receiver_mode == "one" else self.receiver_ids
        self._check_receivers(receivers)
        return receivers

    def _check_receivers(self, receivers):
        if not receivers:
            raise UserError(self.env._("Choose who receives the customers."))
        for receiver in receivers:
            problem = None
            if receiver == self.from_user_id:
                problem = self.env._("%(user)s is the salesperson leaving.", user=receiver.name)
            elif not receiver.active or receiver.share or not receiver.has_group(REP_GROUP):
                problem = self.env._("%(user)s is not an active salesperson.", user=receiver.name)
            elif self.company_id not in receiver.company_ids:
                problem = self.env._(
                    "%(user)s has no access to %(company)s.", user=receiver.name, company=self.company_id.name
                )
            if problem:
                raise UserError(problem)

    # ------------------------------------------------------------------
    # Planning
    # ------------------------------------------------------------------

    def action_plan(self):
        """List who gets which customer; the list can then be changed before handing over."""
        self.ensure_one()
        self.line_ids = [Command.clear(), *(Command.create(values) for values in self._plan())]
        return self._reopen()

    def _plan(self):
        customers = self._customers()
        if not customers:
            raise UserError(
                self.env._("%(user)s has no customer to hand over in this selection.", user=self.from_user_id.name)
            )
        receivers = self._receivers()
        tier_of = {customer.id: customer.tiering_service_tier_id for customer in customers}
        batch = [spreading.Customer(customer.id, tier_of[customer.id].handover_weight or 1) for customer in customers]
        try:
            assignment = spreading.spread(
                batch,
                receivers.ids,
                self._existing_loads(receivers),
                self.cap,
                avoid=self._other_roles(customers),
                preferred=self._backup_receivers(customers),
            )
        except spreading.SpreadError as error:
            raise UserError(self._spread_message(error)) from None
        leaver = self.from_user_id
        return [
            {
                "partner_id": customer.id,
                "receiver_id": assignment[customer.id],
                "role": (
                    "both"
                    if customer.user_id == leaver and customer.tiering_backup_user_id == leaver
                    else "salesperson"
                    if customer.user_id == leaver
                    else "backup"
                ),
                "tiering_star_grade": customer.tiering_star_grade or "0",
                "tier_id": tier_of[customer.id].id,
                "weight": tier_of[customer.id].handover_weight or 1,
            }
            for customer in customers.sorted(lambda c: (-(tier_of[c.id].handover_weight or 1), c.id))
        ]

    def _other_roles(self, customers):
        """``{customer id: user id}`` of who holds the role the leaver does not, where someone does.

        That user should not receive the customer: as both salesperson and backup, the customer
        would have no backup at all. The backup taking over from the leaving salesperson is the
        exception: it is proposed first (_backup_receivers), and the missing-backup warning follows.
        """
        leaver = self.from_user_id
        others = {}
        for customer in customers:
            salesperson, backup = customer.user_id, customer.tiering_backup_user_id
            if salesperson == leaver and backup and backup != leaver:
                others[customer.id] = backup.id
            elif backup == leaver and salesperson and salesperson != leaver:
                others[customer.id] = salesperson.id
        return others

    def _backup_receivers(self, customers):
        """``{customer id: user id}`` of the backup salesperson of each customer the leaver serves as
        salesperson: the backup knows the customer and takes it over by default (the line can be
        changed). Only a backup who may receive customers (see _check_receivers) is proposed."""
        leaver = self.from_user_id
        backed = customers.filtered(lambda c: c.user_id == leaver and c.tiering_backup_user_id not in (leaver, False))
        backups = backed.tiering_backup_user_id.filtered(
            lambda user: (
                user.active and not user.share and user.has_group(REP_GROUP) and self.company_id in user.company_ids
            )
        )
        return {
            customer.id: customer.tiering_backup_user_id.id
            for customer in backed
            if customer.tiering_backup_user_id in backups
        }

    def _existing_loads(self, receivers):
        """Each receiver's load: the handover weights of the customers it serves today."""
        groups = (
            self.env["res.partner"]
            .with_company(self.company_id)
            ._read_group(
                [("user_id", "in", receivers.ids), ("parent_id", "=", False)],
                ["user_id", "tiering_service_tier_id"],
                ["__count"],
            )
        )
        loads = dict.fromkeys(receivers.ids, 0)
        for user, tier, count in groups:
            loads[user.id] += count * (tier.handover_weight or 1)
        return loads

    def _spread_message(self, error):
        if error.code == "cap":
            return self.env._(
                "%(customers)s customers cannot go to %(receivers)s receivers at most %(cap)s each: raise the "
                "limit or add receivers.",
                **error.params,
            )
        if error.code == "over_cap":
            return self.env._(
                "%(user)s would receive %(count)s customers, more than the %(cap)s allowed.",
                user=self.env["res.users"].browse(error.params["receiver"]).name,
                count=error.params["count"],
                cap=error.params["cap"],
            )
        return self.env._("Choose who receives the customers.")

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Hand Over Customers"),
        }

    # ------------------------------------------------------------------
    # Handing over
    # ------------------------------------------------------------------

    def action_confirm(self):
        """Make the handover from the plan (planned now when it was not) and submit it."""
        self.ensure_one()
        lines = [
            {
                "partner_id": line.partner_id.id,
                "receiver_id": line.receiver_id.id,
                "role": line.role,
                "tiering_star_grade": line.tiering_star_grade,
                "tier_id": line.tier_id.id,
                "weight": line.weight,
            }
            for line in self.line_ids
        ] or self._plan()
        self._check_plan(lines)
        handover = self.env["trade.handover"].create(
            {
                "company_id": self.company_id.id,
                "from_user_id": self.from_user_id.id,
                "move_leads": self.move_leads,
                "move_quotations": self.move_quotations,
                "move_activities": self.move_activities,
                "move_followers": self.move_followers,
                "note": self.note,
                "line_ids": [Command.create(values) for values in lines],
            }
        )
        handover.action_submit()
        return {
            "type": "ir.actions.act_window",
            "res_model": "trade.handover",
            "res_id": handover.id,
            "view_mode": "form",
            "target": "current",
        }

    def _check_plan(self, lines):
        """A changed plan still gives each customer once, to valid receivers, within the cap."""
        self._check_receivers(self.env["res.users"].browse({values["receiver_id"] for values in lines}))
        partner_ids = [values["partner_id"] for values in lines]
        if len(partner_ids) != len(set(partner_ids)):
            raise UserError(self.env._("The plan lists a customer twice."))
        try:
            spreading.check_cap({values["partner_id"]: values["receiver_id"] for values in lines}, self.cap)
        except spreading.SpreadError as error:
            raise UserError(self._spread_message(error)) from None
