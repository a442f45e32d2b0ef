import json
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .tiering_constants import ADMIN_GROUP, CATEGORY_SELECTION, REASSIGN_GROUPS, STAR_SELECTION, SUPERVISOR_GROUP
from .trade_tiering_engine import ENGINE_FIELDS, GRADE_FIELDS
from .trade_tiering_scoring import SCORE_FIELDS

# Fields only the system writes: grades and cadence (the engine) and scores (kept on the customer).
GRADE_AND_SCORE_FIELDS = (*ENGINE_FIELDS, *SCORE_FIELDS)
# Grade fields whose groups list the highest grade first (see ResPartner._read_group_orderby).
STAR_GROUPBYS = frozenset({"tiering_star_grade", "tiering_star_grade_actual", "tiering_star_grade_potential"})
# Lifecycle fields the system keeps; users set the override and its reason only.
LIFECYCLE_SYSTEM_FIELDS = ("trade_lifecycle", "trade_lifecycle_auto")
# Credit fields the system keeps (res_partner_credit.py); users set the rating by hand, with a reason.
CREDIT_SYSTEM_FIELDS = ("trade_credit_rating_auto", "trade_credit_rating_used", "trade_credit_rated_auto_on")
# Since when a customer lacks the backup its tier requires (res_partner_backup.py): the system's.
BACKUP_SYSTEM_FIELDS = ("tiering_backup_missing_since",)
# Everything the system keeps on a customer: no user sets it, and no default, copy or import carries it.
PROTECTED_FIELDS = (*GRADE_AND_SCORE_FIELDS, *LIFECYCLE_SYSTEM_FIELDS, *CREDIT_SYSTEM_FIELDS, *BACKUP_SYSTEM_FIELDS)
# Set, under sudo, by the paths that move customers and log it themselves (pool claim, handover).
OWNERSHIP_TRANSFER = "trade_ownership_transfer"


class ResPartner(models.Model):
    """Grades, tiers and cadence dates per company (company-dependent fields).

    They carry no index: searches read them through ``column ->> company`` expressions an index on
    the jsonb column cannot serve, and every regrade would have to maintain it. This file keeps the
    fields of grading, the write guard and the buttons; scores, the trade profile, retention and
    the team pool have files of their own (res_partner_*.py).
    """

    _inherit = "res.partner"

    tiering_currency_id = fields.Many2one(
        "res.currency", string="Grading Currency", compute="_compute_tiering_currency_id"
    )
    tiering_annual_amount = fields.Float(
        string="Annual Purchase Amount",
        company_dependent=True,
        index=False,
        readonly=True,
        digits=(16, 2),
        help="Confirmed sales of the grading period, untaxed, in the grading currency.",
        copy=False,
    )
    tiering_star_grade_actual = fields.Selection(
        STAR_SELECTION,
        string="Actual Grade",
        company_dependent=True,
        index=False,
        readonly=True,
        help="The grade the annual purchase amount gives.",
        copy=False,
    )
    tiering_star_grade_potential = fields.Selection(
        STAR_SELECTION,
        string="Potential Grade",
        company_dependent=True,
        index=False,
        readonly=True,
        help="A grade above what the customer buys today, approved so it is served as it could become.",
        copy=False,
    )
    tiering_star_grade = fields.Selection(
        STAR_SELECTION,
        company_dependent=True,
        index=False,
        readonly=True,
        help="The grade the customer is served at: the higher of the actual and the approved potential grade.",
        copy=False,
    )
    tiering_grade_category = fields.Selection(
        CATEGORY_SELECTION,
        string="Customer Category",
        company_dependent=True,
        index=False,
        readonly=True,
        help="Ordinary: 0-2 stars. Key account: 3-4 stars. VIP: 5 stars.",
        copy=False,
    )
    tiering_date = fields.Date(
        string="Graded On",
        company_dependent=True,
        index=False,
        readonly=True,
        help="When the annual amount or the grade last changed.",
        copy=False,
    )
    tiering_potential_reason = fields.Text(
        string="Potential Grade Reason", company_dependent=True, index=False, readonly=True, copy=False
    )
    tiering_potential_review_date = fields.Date(
        string="Potential Grade Review",
        company_dependent=True,
        index=False,
        readonly=True,
        help="When the potential grade is looked at again.",
        copy=False,
    )
    tiering_downgrade_due = fields.Date(
        string="Downgrade Due",
        company_dependent=True,
        index=False,
        readonly=True,
        help="The customer's purchases no longer support its category: it is downgraded on this date "
        "unless they recover or a potential grade is approved.",
        copy=False,
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        compute="_compute_team_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        help="The team serving this customer; its leader approves key-account grades.",
    )
    tiering_service_tier_id = fields.Many2one(
        "trade.service.tier",
        company_dependent=True,
        index=False,
        readonly=True,
        help="The service the customer gets, from its star grade.",
        copy=False,
    )
    tiering_follow_up_days = fields.Integer(
        related="tiering_service_tier_id.follow_up_days", string="Follow-up Every (Days)"
    )
    tiering_review_months = fields.Integer(
        related="tiering_service_tier_id.review_months", string="Business Review Every (Months)"
    )
    tiering_response_hours = fields.Integer(
        related="tiering_service_tier_id.response_hours", string="Response Time (Hours)"
    )
    tiering_require_backup = fields.Boolean(related="tiering_service_tier_id.require_backup", string="Backup Required")
    tiering_max_discount = fields.Float(related="tiering_service_tier_id.max_discount", string="Discount Authority (%)")
    tiering_pool_release_days = fields.Integer(
        related="tiering_service_tier_id.pool_release_days", string="Release to Pool After (Days)"
    )
    tiering_payment_term_id = fields.Many2one(
        related="tiering_service_tier_id.payment_term_id", string="Tier Payment Terms"
    )
    tiering_backup_user_id = fields.Many2one(
        "res.users",
        string="Backup Salesperson",
        domain="[('share', '=', False)]",
        help="A second salesperson who knows the customer and stands in for the first.",
    )
    tiering_backup_missing = fields.Boolean(
        compute="_compute_backup_missing",
        search="_search_backup_missing",
        help="The customer's tier requires a backup salesperson and it has none.",
    )
    tiering_pool_released_date = fields.Date(string="Released to Pool", readonly=True, copy=False)
    tiering_pool_previous_user_id = fields.Many2one(
        "res.users", string="Previous Salesperson", readonly=True, copy=False
    )
    tiering_grade_history_count = fields.Integer(compute="_compute_grade_history_count")
    tiering_grade_request_count = fields.Integer(compute="_compute_grade_request_count")

    @api.depends_context("company")
    def _compute_tiering_currency_id(self):
        self.tiering_currency_id = self.env.company.tiering_currency_id

    @api.depends("user_id")
    def _compute_team_id(self):
        teams = self.env["crm.team"]
        for partner in self:
            user = partner.user_id
            team = partner.team_id
            if user and user not in team.member_ids | team.user_id:
                team = teams._get_default_team_id(
                    user_id=user.id, domain=teams._check_company_domain(partner.company_id)
                )
            partner.team_id = team

    @api.depends_context("company")
    @api.depends("tiering_service_tier_id", "tiering_backup_user_id")
    def _compute_backup_missing(self):
        for partner in self:
            partner.tiering_backup_missing = bool(
                partner.tiering_service_tier_id.require_backup and not partner.tiering_backup_user_id
            )

    def _search_backup_missing(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on missing backups."))
        tiers = self.env["trade.service.tier"].search([("require_backup", "=", True)])
        missing = [("tiering_service_tier_id", "in", tiers.ids), ("tiering_backup_user_id", "=", False)]
        return missing if (operator == "=") == value else ["!", "&", *missing]

    @api.depends_context("company")
    def _compute_grade_history_count(self):
        counts = self._tiering_count("trade.grade.history")
        for partner in self:
            partner.tiering_grade_history_count = counts.get(partner.commercial_partner_id.id, 0)

    @api.depends_context("company")
    def _compute_grade_request_count(self):
        counts = self._tiering_count("trade.grade.request")
        for partner in self:
            partner.tiering_grade_request_count = counts.get(partner.commercial_partner_id.id, 0)

    def _tiering_count(self, model):
        groups = self.env[model]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids), ("company_id", "=", self.env.company.id)],
            ["partner_id"],
            ["__count"],
        )
        return {partner.id: count for partner, count in groups}

    # ------------------------------------------------------------------
    # Group by grade: the highest grade first
    # ------------------------------------------------------------------

    @api.model
    def _read_group_orderby(self, order, groupby_terms, query):
        """Groups of a star grade come 5 stars first unless a direction is asked.

        The web client groups without an order (or with the bare group-by field): SQL would list
        "0" first, while managers look at their best customers first. "tiering_star_grade asc" (a click
        on the column header) is kept as asked.
        """
        if not order:
            if not any(term in STAR_GROUPBYS for term in groupby_terms):
                return super()._read_group_orderby(order, groupby_terms, query)
            # Odoo's own default: each group-by term in turn, the grades descending.
            return SQL(", ").join(
                SQL("%s %s", sql, SQL("DESC" if term in STAR_GROUPBYS else "ASC"))
                for term, sql in groupby_terms.items()
            )
        parts = [part.strip() for part in order.split(",")]
        order = ",".join(f"{part} DESC" if part in STAR_GROUPBYS and part in groupby_terms else part for part in parts)
        return super()._read_group_orderby(order, groupby_terms, query)

    # ------------------------------------------------------------------
    # Grade fields: written by the grading engine only
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        partners = self._tiering_without_system_defaults()
        vals_list = [partners._tiering_drop_filled_in(vals) for vals in vals_list]
        for vals in vals_list:
            partners._tiering_check_grade_write(vals)
        partners = super(ResPartner, partners).create(vals_list)
        partners.filtered("parent_id")._tiering_copy_from_commercial()
        return partners

    def write(self, vals):
        if self.env.context.get("tiering_merge"):
            # Odoo's merge wizard copies every field of the merged partners onto the one kept; the
            # system fields are not the user's to carry over: the next regrade sets them.
            vals = {name: value for name, value in vals.items() if name not in PROTECTED_FIELDS}
        self._tiering_check_grade_write(vals)
        reassigned = self._tiering_check_ownership(vals) if "user_id" in vals else self.browse()
        parenting = "parent_id" in vals or "is_company" in vals
        contacts = self.filtered(lambda p: p.commercial_partner_id != p) if parenting else self.browse()
        previous_users = {partner.id: partner.user_id for partner in reassigned}
        res = super().write(vals)
        if parenting:
            contacts._tiering_reset_detached()
            self._tiering_copy_from_commercial()
        if "user_id" in vals:
            reassigned._tiering_log_reassignment(previous_users)
            # The follow-up and review activities follow the salesperson.
            self.commercial_partner_id._tiering_schedule_cadence()
        if "trade_lifecycle_override" in vals:
            self.env["trade.lifecycle"]._apply_overrides(self.env.company, self.ids)
        return res

    def copy_data(self, default=None):
        # The copy is a new customer: graded from its own sales, never from the copied one's grade
        # or from values passed as defaults (the fields are copy=False).
        default = {name: value for name, value in (default or {}).items() if name not in PROTECTED_FIELDS}
        return super().copy_data(default=default)

    @api.model
    def default_get(self, fields_list):
        return super(ResPartner, self._tiering_without_system_defaults()).default_get(fields_list)

    @api.model
    def load(self, fields, data):  # pylint: disable=redefined-outer-name
        """Odoo's import never sets a system field, whoever imports: grades go through the add-on's
        grade import (trade.customer.import.wizard) and its approvals."""
        refused = {path[0] for path in (field.split("/") for field in fields)} & set(PROTECTED_FIELDS)
        if refused:
            message = self.env._(
                "These columns are computed by customer tiering and cannot be imported: %(fields)s.",
                fields=", ".join(sorted(self._fields[name].string for name in refused)),
            )
            return {
                "ids": False,
                "messages": [{"type": "error", "message": message, "record": False}],
                "nextrow": 0,
            }
        return super().load(fields, data)

    def _tiering_without_system_defaults(self):
        """This model without the ``default_<system field>`` context keys: whoever sets them, from a
        form, an action or over RPC, a new partner never takes a grade, score or stage from them."""
        context = self.env.context
        keys = {f"default_{name}" for name in PROTECTED_FIELDS}.intersection(context)
        if not keys:
            return self
        # Keys are taken out, which only a whole new context does.
        return self.with_context({k: v for k, v in context.items() if k not in keys})  # pylint: disable=context-overridden

    @api.model
    def _tiering_drop_filled_in(self, vals):
        """``vals`` without the system fields that hold what Odoo fills in by itself: empty values
        and the add-on's own defaults (ir.default), as res.users.create and forms pass them."""
        names = set(PROTECTED_FIELDS).intersection(vals)
        if not names:
            return vals
        defaults = self._tiering_system_defaults()
        filled_in = {name for name in names if not vals[name] or vals[name] in defaults.get(name, ())}
        return {name: value for name, value in vals.items() if name not in filled_in}

    @api.model
    def _tiering_system_defaults(self):
        """``{field: {default values}}`` of the system fields for everyone (ir.default without a
        user): a default a user set for themselves is no default of the system's."""
        records = (
            self.env["ir.default"]
            .sudo()
            .search(
                [
                    ("field_id.model", "=", self._name),
                    ("field_id.name", "in", list(PROTECTED_FIELDS)),
                    ("user_id", "=", False),
                ]
            )
        )
        defaults = defaultdict(set)
        for record in records:
            # Company-dependent fields have one default per company (the lowest service tier).
            defaults[record.field_id.name].add(json.loads(record.json_value))
        return defaults

    def _tiering_check_grade_write(self, vals):
        """Grades change through regrading, approved requests and imports, never by a plain write.

        Those paths run as superuser; a user's write, from a form or over RPC, never does.
        """
        if set(LIFECYCLE_SYSTEM_FIELDS).intersection(vals) and not self.env.su:
            raise AccessError(
                self.env._(
                    "The lifecycle stage is computed from leads, quotations and orders; set the stage by "
                    "hand, with a reason, to correct it."
                )
            )
        touched = set(GRADE_AND_SCORE_FIELDS).intersection(vals)
        if touched and not self.env.su:
            raise AccessError(
                self.env._(
                    "Customer grades and scores are computed from sales and changed through grade requests; "
                    "they cannot be edited (%(fields)s).",
                    fields=", ".join(sorted(self._fields[name].string for name in touched)),
                )
            )

    def _tiering_reset_detached(self):
        """Contacts that became their own commercial entity lose the grades they had copied from
        their former company, in every company: the next regrade grades them on their own sales."""
        detached = self.filtered(lambda p: p.commercial_partner_id == p)
        if not detached:
            return
        self.flush_model(list(GRADE_FIELDS))
        assignments = SQL(", ").join(SQL("%s = NULL", SQL.identifier(name)) for name in GRADE_FIELDS)
        self.env.execute_query(SQL("UPDATE res_partner SET %s WHERE id = ANY(%s)", assignments, detached.ids))
        detached.invalidate_recordset(list(GRADE_FIELDS))
        detached.modified(list(GRADE_FIELDS))
        # Their own contacts follow them.
        people = self.with_context(active_test=False).search(
            [("commercial_partner_id", "in", detached.ids), ("id", "not in", detached.ids)]
        )
        people._tiering_copy_from_commercial()

    def _tiering_check_ownership(self, vals):
        """The partners whose salesperson ``vals`` changes, once the change is allowed.

        Reps change salespeople only through a pool claim or a handover (which write as superuser);
        supervisors, sales administrators and tiering administrators (Settings administrators among
        them) reassign directly. A write that leaves the salesperson as it is passes, as Odoo's merge does.
        """
        user_id = vals["user_id"] or False
        changed = self.filtered(lambda p: p.user_id.id != user_id)
        if changed and not self.env.su and not any(self.env.user.has_group(g) for g in REASSIGN_GROUPS):
            raise AccessError(
                self.env._(
                    "Only sales supervisors and administrators can change the salesperson of %(customers)s "
                    "directly: claim the customer from the team pool or hand it over.",
                    customers=", ".join(changed[:5].mapped("display_name")),
                )
            )
        return changed

    def _tiering_log_reassignment(self, previous_users):
        """Log each direct change of salesperson in the customer's chatter.

        The pool claim and the handover log their own moves: they write under sudo with the
        ``trade_ownership_transfer`` context key, which is honoured under sudo only.
        """
        if not self or (self.env.su and self.env.context.get(OWNERSHIP_TRANSFER)):
            return
        nobody = self.env._("nobody")
        bodies = {
            partner.id: self.env._(
                "Salesperson changed from %(old)s to %(new)s by %(user)s.",
                old=previous_users[partner.id].name or nobody,
                new=partner.user_id.name or nobody,
                user=self.env.user.name,
            )
            for partner in self
        }
        # sudo: the log is the system's record of the change, whoever made it.
        self.sudo()._message_log_batch(bodies=bodies)

    def _tiering_copy_from_commercial(self, partner_ids=None):
        """Copy the grade fields of every company from the commercial entity onto contacts."""
        ids = list(partner_ids) if partner_ids is not None else self.ids
        if not ids:
            return
        self.flush_model(["commercial_partner_id", *GRADE_FIELDS])
        assignments = SQL(", ").join(SQL("%s = cp.%s", SQL.identifier(f), SQL.identifier(f)) for f in GRADE_FIELDS)
        copied = self.env.execute_query(
            SQL(
                """UPDATE res_partner p SET %(assignments)s
                     FROM res_partner cp
                    WHERE cp.id = p.commercial_partner_id AND p.id != cp.id AND p.id = ANY(%(ids)s)
                RETURNING p.id""",
                assignments=assignments,
                ids=ids,
            )
        )
        if copied:
            contacts = self.browse([row[0] for row in copied])
            contacts.invalidate_recordset(list(GRADE_FIELDS))
            contacts.modified(list(GRADE_FIELDS))

    # ------------------------------------------------------------------
    # Grading
    # ------------------------------------------------------------------

    def action_tiering_regrade(self):
        """Regrade these customers in the current company (every customer when empty).

        For tiering administrators: it runs as superuser across the company. Started by a user, it
        leaves the initial classification phase as it is; the nightly regrade ends it.
        """
        if not self.env.su and not self.env.user.has_group(ADMIN_GROUP):
            raise AccessError(self.env._("Only customer tiering administrators can regrade customers."))
        company = self.env.company
        initial = not self.env.su and not company.tiering_last_regrade
        self._tiering_regrade(company, self.commercial_partner_id.ids if self else None)
        if initial:
            # sudo: the regrade stamped the company as superuser; a user's run is not the first full one.
            company.sudo().tiering_last_regrade = False
        return True

    @api.model
    def _tiering_regrade(self, company, partner_ids=None):
        return self.env["trade.tiering.engine"]._regrade(company, partner_ids)

    # ------------------------------------------------------------------
    # Approvers
    # ------------------------------------------------------------------

    def _tiering_supervisor(self, exclude=None):
        """The supervisor who approves this customer's key grades, other than ``exclude`` (users).

        The leader of the customer's sales team when a supervisor, else the company's default
        approver, else the general manager.
        """
        self.ensure_one()
        company = self.env.company
        exclude = exclude or self.env["res.users"]
        leader = self.commercial_partner_id.team_id.user_id
        candidates = [leader] if leader and leader.has_group(SUPERVISOR_GROUP) else []
        candidates += [company.tiering_approver_id, company.tiering_gm_id]
        # Archived users are never asked: nobody would ever sign.
        return next(
            (user for user in candidates if user and user.active and user not in exclude), self.env["res.users"]
        )

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------

    def action_view_grade_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("trade_crm_tiering.action_trade_grade_history")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_view_grade_requests(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("trade_crm_tiering.action_trade_grade_request")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_view_tiering_warnings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("trade_crm_tiering.action_trade_customer_warning")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_open": 1}
        return action

    def action_request_grade_change(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Request Grade Change"),
            "res_model": "trade.grade.request",
            "view_mode": "form",
            "views": [(self.env.ref("trade_crm_tiering.trade_grade_request_view_form_quick").id, "form")],
            "target": "new",
            "context": {"default_partner_id": self.commercial_partner_id.id},
        }

    def action_withdraw_potential_grade(self):
        """Supervisors withdraw a potential grade: the customer falls back to its actual grade."""
        if not self.env.user.has_group(SUPERVISOR_GROUP):
            raise AccessError(self.env._("Only sales supervisors can withdraw a potential grade."))
        engine = self.env["trade.tiering.engine"]
        for partner in self.commercial_partner_id.filtered("tiering_star_grade_potential"):
            engine._withdraw_potential(self.env.company, partner)
        return True

    def action_pool_claim(self):
        """The current user becomes the salesperson of these pool customers, within the daily cap."""
        self.commercial_partner_id._tiering_claim_from_pool()
        return True

    # ------------------------------------------------------------------
    # Handover and the classification table
    # ------------------------------------------------------------------

    def action_trade_handover(self):
        """The handover wizard for these customers."""
        action = self.env["ir.actions.act_window"]._for_xml_id("trade_crm_tiering.action_trade_handover_wizard")
        action["context"] = {"active_model": "res.partner", "active_ids": self.ids}
        return action

    def action_trade_export_classification(self):
        """The classification table (xlsx) of these customers."""
        return self.env["trade.customer.export.wizard"]._download(self.commercial_partner_id)
