from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..trade_crm_tiering import tiering_day
from .tiering_constants import SUPERVISOR_GROUP

INTERNAL = "base.group_user"


class ResPartner(models.Model):
    """Tier playbooks (#14.3): the executive sponsor of a customer, and the activity plan and order
    priority a customer gets when it enters a tier."""

    _inherit = "res.partner"

    tiering_executive_sponsor_id = fields.Many2one(
        "res.users",
        company_dependent=True,
        copy=False,
        groups=INTERNAL,
        domain="[('share', '=', False)]",
        help="A manager who owns the relationship at the top, for customers whose tier expects one. "
        "A user of the group named in the settings; set by a sales supervisor.",
    )
    tiering_sponsor_missing = fields.Boolean(
        string="No Executive Sponsor",
        compute="_compute_sponsor_missing",
        search="_search_sponsor_missing",
        groups=INTERNAL,
    )

    @api.depends_context("company")
    @api.depends("tiering_service_tier_id", "tiering_executive_sponsor_id", "parent_id")
    def _compute_sponsor_missing(self):
        for partner in self:
            partner.tiering_sponsor_missing = bool(
                not partner.parent_id
                and partner.tiering_service_tier_id.sponsor_expected
                and not partner.tiering_executive_sponsor_id
            )

    def _search_sponsor_missing(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on missing executive sponsors."))
        tiers = self.env["trade.service.tier"].search([("sponsor_expected", "=", True)])
        missing = [
            ("parent_id", "=", False),
            ("tiering_service_tier_id", "in", tiers.ids),
            ("tiering_executive_sponsor_id", "=", False),
        ]
        return missing if (operator == "=") == value else ["!", "&", "&", *missing]

    # ------------------------------------------------------------------
    # Executive sponsor: a user of the company's sponsor group, set by a supervisor
    # ------------------------------------------------------------------

    @api.constrains("tiering_executive_sponsor_id")
    def _check_executive_sponsor(self):
        company = self.env.company
        group = company.sudo()._tiering_sponsor_group()
        for partner in self:
            # sudo: the group membership of the sponsor, whoever checks it.
            sponsor = partner.tiering_executive_sponsor_id.sudo()
            if sponsor and group not in sponsor.groups_id:
                raise ValidationError(
                    self.env._(
                        "%(user)s cannot be the executive sponsor of %(customer)s: executive sponsors of "
                        "%(company)s are users of the group %(group)s.",
                        user=sponsor.name,
                        customer=partner.display_name,
                        company=company.name,
                        group=group.sudo().full_name,
                    )
                )

    def _tiering_check_sponsor_right(self):
        if self.env.su or self.env.user.has_group(SUPERVISOR_GROUP):
            return
        raise AccessError(self.env._("Only sales supervisors can set the executive sponsor of a customer."))

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        # After create, so that a default_ context key is caught like a value.
        if any(partner.tiering_executive_sponsor_id for partner in partners):
            partners._tiering_check_sponsor_right()
        return partners

    def write(self, vals):
        if "tiering_executive_sponsor_id" in vals and any(
            partner.tiering_executive_sponsor_id.id != (vals["tiering_executive_sponsor_id"] or False)
            for partner in self
        ):
            self._tiering_check_sponsor_right()
        return super().write(vals)

    # ------------------------------------------------------------------
    # Entering a tier: the tier's activity plan and order priority
    # ------------------------------------------------------------------

    @api.model
    def _tiering_enter_tiers(self, company, moves):
        """``moves``: ``{customer id: (old tier id, new tier id)}`` of customers whose tier in
        ``company`` changed. Their open orders follow the new tier's priority and the new tier's
        activity plan is launched on them, set-based."""
        if not moves:
            return
        self.env["sale.order"]._tiering_sync_priority(company, list(moves))
        entering = defaultdict(list)
        for partner_id, (_old, new) in moves.items():
            if new:
                entering[new].append(partner_id)
        tiers = self.env["trade.service.tier"].sudo().browse(list(entering)).exists()
        for tier in tiers.filtered("activity_plan_id"):
            self._tiering_launch_plan(company, tier.activity_plan_id, entering[tier.id], tier=tier)

    @api.model
    def _tiering_launch_plan(self, company, plan, partner_ids, tier=None):
        """Schedule the activities of ``plan`` on the customers ``partner_ids``, as the plan wizard
        (mail.activity.schedule) does: each template's deadline from today, its responsible from
        mail.activity.plan.template._determine_responsible, the customer's salesperson standing in
        for the user the wizard asks for. A template with nobody responsible (no salesperson) is
        left out. The activities are inserted in one statement (the nightly pass may move thousands
        of customers): without an assignment e-mail, like the other activities of the nightly
        passes. With ``tier``, the customers who got activities are told so in their chatter.
        Returns the number of activities."""
        plan = plan.sudo()
        templates = plan.template_ids
        if not plan.active or not templates or not partner_ids:
            return 0
        partners = self.sudo().with_company(company).browse(partner_ids)
        today = tiering_day.today()
        deadlines = {template: template._get_date_deadline(today) for template in templates}
        rows = []
        for partner in partners:
            for template in templates:
                responsible = template._determine_responsible(partner.user_id, partner)["responsible"]
                if responsible and responsible.active:
                    rows.append((partner, template, responsible))
        if not rows:
            return 0
        bulk = self.env["trade.tiering.bulk"].sudo()
        columns = {
            "res_id": ("int4", [partner.id for partner, _template, _user in rows]),
            "res_name": ("varchar", [partner.display_name for partner, _template, _user in rows]),
            "activity_type_id": ("int4", [template.activity_type_id.id for _partner, template, _user in rows]),
            "summary": ("varchar", [template.summary or False for _partner, template, _user in rows]),
            "note": ("text", [template.note or False for _partner, template, _user in rows]),
            "user_id": ("int4", [user.id for _partner, _template, user in rows]),
            "user_tz": ("varchar", [user.tz or False for _partner, _template, user in rows]),
            "date_deadline": ("date", [deadlines[template] for _partner, template, _user in rows]),
        }
        constants = {
            "res_model_id": self.env["ir.model"]._get_id("res.partner"),
            "res_model": "res.partner",
            "automated": False,
            "active": True,
            **bulk._log_access_values(fields.Datetime.now()),
        }
        bulk._insert("mail_activity", columns, constants)
        self.env["mail.activity"].invalidate_model()
        self.env["res.partner"].invalidate_model(["activity_ids"])
        users = self.env["res.users"].browse({user.id for _partner, _template, user in rows})
        users._bus_send("mail.activity/updated", {"activity_created": True})
        if tier:
            launched = list(dict.fromkeys(partner.id for partner, _template, _user in rows))
            self._tiering_note_plan_launch(company, plan, tier, launched)
        return len(rows)

    @api.model
    def _tiering_note_plan_launch(self, company, plan, tier, partner_ids):
        """One chatter note per customer saying which plan its new tier launched, in the language of
        the customer's notes (trade.tiering.engine._customer_note_langs), translated once per
        language; inserted in bulk like the regrade notes of the nightly pass."""
        engine = self.env["trade.tiering.engine"].sudo()
        langs = engine._customer_note_langs(company, partner_ids)
        bodies = {}
        for lang in set(langs.values()):
            env = self.with_context(lang=lang).env
            # The tier's display name, its name translated: read in ``lang`` itself.
            label = f"{tier.code} {tier.sudo().with_context(lang=lang).name}"
            bodies[lang] = Markup("<p>%s</p>") % env._(
                "Playbook “%(plan)s” launched: the customer entered tier %(tier)s.", plan=plan.name, tier=label
            )
        notes = {pid: bodies[langs[pid]] for pid in partner_ids}
        self.env["trade.tiering.bulk"].sudo()._insert_notes("res.partner", notes, fields.Datetime.now())
