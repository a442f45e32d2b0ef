from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .tiering_constants import REP_GROUP, STAR_SELECTION
from .trade_tiering_cadence import FOLLOW_UP_TYPE, REVIEW_TYPE

# What the leaving salesperson was for a customer; shared with the wizard's planned lines.
HANDOVER_ROLES = [("salesperson", "Salesperson"), ("backup", "Backup Salesperson"), ("both", "Salesperson and Backup")]
REVIEW_ACTIVITY_TYPE = "trade_crm_tiering.mail_activity_type_handover_review"


def NEEDS_APPROVAL_COMPUTED(env):  # noqa: N802 (a message shared with the wizard's lines)
    return env._(
        "Whether handing a customer over needs approval is computed from the customer's tier; nobody writes it."
    )


class TradeHandoverCustomer(models.AbstractModel):
    """A customer handed over, as the lines of a handover and the planned lines of the handover
    wizard share it: the leaver's role, the grade and tier, and whether its tier needs approval."""

    _name = "trade.handover.customer"
    _description = "Customer Handed Over"
    # The many2one to the handover (or the wizard) in whose company the customer's tier is read.
    _handover_parent_field = None

    role = fields.Selection(
        HANDOVER_ROLES,
        string="Leaver's Role",
        required=True,
        readonly=True,
    )
    tiering_star_grade = fields.Selection(STAR_SELECTION, string="Grade", readonly=True)
    tier_id = fields.Many2one("trade.service.tier", readonly=True)

    @api.depends(lambda self: ("partner_id", f"{self._handover_parent_field}.company_id"))
    @api.depends_context("company")
    def _compute_needs_approval(self):
        for line in self:
            company = line[self._handover_parent_field].company_id or self.env.company
            # sudo: the customer's tier decides, whoever plans or looks at the handover.
            line.needs_approval = line.partner_id.sudo().with_company(company).tiering_service_tier_id.handover_approval


class TradeHandoverLine(models.Model):
    """One customer of a handover: who receives it, in which role, and what moved with it."""

    _name = "trade.handover.line"
    _inherit = ["trade.handover.customer"]
    _description = "Customer Handover Line"
    _handover_parent_field = "handover_id"
    _order = "handover_id, weight desc, id"

    handover_id = fields.Many2one("trade.handover", required=True, index=True, ondelete="cascade", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, readonly=True)
    receiver_id = fields.Many2one("res.users", required=True, index=True, readonly=True)
    weight = fields.Integer(readonly=True, help="The tier's handover weight when the customers were spread.")
    needs_approval = fields.Boolean(
        compute="_compute_needs_approval", help="The customer's tier needs approval for a handover."
    )
    moved_leads = fields.Integer(string="Opportunities Moved", readonly=True)
    moved_quotations = fields.Integer(string="Quotations Moved", readonly=True)
    moved_activities = fields.Integer(string="Activities Moved", readonly=True)

    # ------------------------------------------------------------------
    # Protection: the lines of a submitted handover are frozen
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals.pop("needs_approval", None)
        lines = super().create(vals_list)
        if not self.env.su:
            lines.handover_id._check_draft()
        return lines

    def write(self, vals):
        if not self.env.su:
            if "needs_approval" in vals:
                raise AccessError(NEEDS_APPROVAL_COMPUTED(self.env))
            self.handover_id._check_draft()
            if "handover_id" in vals:
                self.env["trade.handover"].browse(vals["handover_id"])._check_draft()
        return super().write(vals)

    def unlink(self):
        if not self.env.su:
            self.handover_id._check_draft()
        return super().unlink()

    def _refresh_snapshot(self):
        """Grade, tier and weight as the customers are now: what the approver sees."""
        for line in self:
            tier = line.partner_id.sudo().with_company(line.handover_id.company_id).tiering_service_tier_id
            # sudo: the snapshot is the system's, taken when the handover is submitted.
            line.sudo().write(
                {
                    "tiering_star_grade": line.partner_id.sudo()
                    .with_company(line.handover_id.company_id)
                    .tiering_star_grade
                    or "0",
                    "tier_id": tier.id,
                    "weight": tier.handover_weight or 1,
                }
            )

    def _check_receiver(self, receiver):
        """Refuse a receiver who cannot take customers of the handover's company (archived, portal...)."""
        handover = self.handover_id
        problem = None
        if not receiver.active:
            problem = self.env._("%(user)s is archived.", user=receiver.name)
        elif receiver.share or not receiver.has_group(REP_GROUP):
            problem = self.env._("%(user)s is not a salesperson.", user=receiver.name)
        elif handover.company_id not in receiver.company_ids:
            problem = self.env._(
                "%(user)s has no access to %(company)s.", user=receiver.name, company=handover.company_id.name
            )
        elif receiver == handover.from_user_id:
            problem = self.env._("%(user)s is the salesperson leaving.", user=receiver.name)
        if problem:
            raise UserError(
                self.env._(
                    "%(handover)s cannot give customers to %(user)s: %(problem)s Nothing was handed over.",
                    handover=handover.display_name,
                    user=receiver.name,
                    problem=problem,
                )
            )

    def _move_to(self, receiver):
        """Move these lines' customers, and what goes with them, from the leaver to ``receiver``."""
        handover = self.handover_id
        leaver = handover.from_user_id
        customers = self.partner_id
        people = (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search([("commercial_partner_id", "in", customers.ids)])
        )
        self._move_roles(people, leaver, receiver)
        leads = self._open_leads(people, leaver) if handover.move_leads else self.env["crm.lead"]
        leads.write({"user_id": receiver.id})
        quotations = self._quotations(people, leaver) if handover.move_quotations else self.env["sale.order"]
        quotations.write({"user_id": receiver.id})
        activities = self._open_activities(people, leaver) if handover.move_activities else self.env["mail.activity"]
        self._move_activities(activities, receiver)
        if handover.move_followers:
            self._move_followers(people, leads, quotations, leaver, receiver)
        self._record_moves(leads, quotations, activities, people)
        self._log_on_customers(leaver, receiver)

    def _move_roles(self, people, leaver, receiver):
        """Salesperson and backup: the leaver's roles go to the receiver; nobody backs themselves up."""
        # The handover is the ownership transfer itself (checked and approved where needed).
        people = people.with_context(trade_ownership_transfer=True)
        people.filtered(lambda p: p.user_id == leaver).write({"user_id": receiver.id})
        people.filtered(lambda p: p.tiering_backup_user_id == leaver).write({"tiering_backup_user_id": receiver.id})
        people.filtered(lambda p: p.tiering_backup_user_id and p.tiering_backup_user_id == p.user_id).write(
            {"tiering_backup_user_id": False}
        )

    def _open_leads(self, people, leaver):
        return self.env["crm.lead"].search(
            [
                ("partner_id", "in", people.ids),
                ("user_id", "=", leaver.id),
                "|",
                ("stage_id", "=", False),
                ("stage_id.is_won", "=", False),
            ]
        )

    def _quotations(self, people, leaver):
        return self.env["sale.order"].search(
            [("partner_id", "in", people.ids), ("user_id", "=", leaver.id), ("state", "in", ("draft", "sent"))]
        )

    def _open_activities(self, people, leaver):
        """The leaver's open activities on these customers, their leads and their orders.

        Tier follow-ups and business reviews are left out: they follow the salesperson by
        themselves when the transaction commits (trade.tiering.cadence), so moving them here too
        would only race that.
        """
        leads = self.env["crm.lead"].with_context(active_test=False).search([("partner_id", "in", people.ids)])
        orders = self.env["sale.order"].search([("partner_id", "in", people.ids)])
        cadence_types = [self.env.ref(FOLLOW_UP_TYPE).id, self.env.ref(REVIEW_TYPE).id]
        return self.env["mail.activity"].search(
            [
                ("user_id", "=", leaver.id),
                "|",
                "|",
                "&",
                "&",
                ("res_model", "=", "res.partner"),
                ("res_id", "in", people.ids),
                ("activity_type_id", "not in", cadence_types),
                "&",
                ("res_model", "=", "crm.lead"),
                ("res_id", "in", leads.ids),
                "&",
                ("res_model", "=", "sale.order"),
                ("res_id", "in", orders.ids),
            ]
        )

    def _move_activities(self, activities, receiver):
        """Reassign, and move overdue ones to today: the receiver starts with nothing in the past."""
        today = fields.Date.context_today(self)
        overdue = activities.filtered(lambda a: a.date_deadline < today)
        overdue.write({"user_id": receiver.id, "date_deadline": today})
        (activities - overdue).write({"user_id": receiver.id})

    def _move_followers(self, people, leads, quotations, leaver, receiver):
        customers = self.partner_id
        for records in (customers, leads, quotations):
            if records:
                records.message_subscribe(partner_ids=receiver.partner_id.ids)
        # The leaver stops following the customers and all their deals, moved or not.
        everything = (
            customers,
            self.env["crm.lead"].with_context(active_test=False).search([("partner_id", "in", people.ids)]),
            self.env["sale.order"].search([("partner_id", "in", people.ids)]),
        )
        for records in everything:
            if records:
                records.message_unsubscribe(partner_ids=leaver.partner_id.ids)

    def _record_moves(self, leads, quotations, activities, people):
        commercial = {person.id: person.commercial_partner_id.id for person in people}
        moved = defaultdict(lambda: [0, 0, 0])
        for lead in leads:
            moved[commercial.get(lead.partner_id.id)][0] += 1
        for order in quotations:
            moved[commercial.get(order.partner_id.id)][1] += 1
        lead_customer = {lead.id: commercial.get(lead.partner_id.id) for lead in leads}
        order_customer = {order.id: commercial.get(order.partner_id.id) for order in quotations}
        for activity in activities:
            owner = {
                "res.partner": commercial.get(activity.res_id),
                "crm.lead": lead_customer.get(activity.res_id),
                "sale.order": order_customer.get(activity.res_id),
            }.get(activity.res_model)
            moved[owner][2] += 1
        for line in self:
            counts = moved[line.partner_id.id]
            line.write({"moved_leads": counts[0], "moved_quotations": counts[1], "moved_activities": counts[2]})

    def _log_on_customers(self, leaver, receiver):
        roles = dict(self._fields["role"]._description_selection(self.env))
        bodies = {
            line.partner_id.id: Markup("<p>%s</p>")
            % self.env._(
                "Handed over (%(handover)s): %(role)s %(leaver)s → %(receiver)s; %(leads)s opportunities, "
                "%(quotations)s quotations and %(activities)s activities moved.",
                handover=line.handover_id.name,
                role=roles[line.role],
                leaver=leaver.name,
                receiver=receiver.name,
                leads=line.moved_leads,
                quotations=line.moved_quotations,
                activities=line.moved_activities,
            )
            for line in self
        }
        # A note, not a comment: a handover is no interaction with the customer.
        self.partner_id._message_log_batch(bodies=bodies)

    def _schedule_reviews(self):
        """A "Handover review" for the receiver of each key-relationship customer, with its checklist."""
        review = self.env.ref(REVIEW_ACTIVITY_TYPE)
        deadline = fields.Date.add(fields.Date.context_today(self), days=review.delay_count or 3)
        model_id = self.env["ir.model"]._get_id("res.partner")
        checklist = Markup("<ul>%s</ul>") % Markup().join(
            Markup("<li>%s</li>") % item
            for item in (
                self.env._("Confirm the key contacts and their roles."),
                self.env._("Go through the open quotations and opportunities."),
                self.env._("Check the payment status and overdue invoices."),
                self.env._("Agree the next step with the customer."),
            )
        )
        self.env["mail.activity"].create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": line.partner_id.id,
                    "activity_type_id": review.id,
                    "user_id": line.receiver_id.id,
                    "date_deadline": deadline,
                    "summary": self.env._("Handover review: %(customer)s", customer=line.partner_id.name),
                    "note": Markup("<p>%s</p>%s")
                    % (
                        self.env._(
                            "%(customer)s comes to you from %(leaver)s (%(handover)s).",
                            customer=line.partner_id.name,
                            leaver=line.handover_id.from_user_id.name,
                            handover=line.handover_id.name,
                        ),
                        checklist,
                    ),
                }
                for line in self
                if line.tier_id.key_relationship
            ]
        )
