"""Duplicate check (查重) on customers: stored match keys, the warning in the form, the rep's refusal.

The maths is ``trade_crm_tiering.duplicates``; the model stores its keys in indexed columns so a
new record is matched with a handful of index lookups, never by keying 100k customers in Python.
"""

import pandas as pd

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..trade_crm_tiering import duplicates
from .tiering_constants import REASSIGN_GROUPS, SALESMAN_GROUP, SUPERVISOR_GROUP

# Stored key column of each key of duplicates.match_keys.
KEY_COLUMNS = {
    "name": "trade_dup_name_key",
    "vat": "trade_dup_vat_key",
    "email_domain": "trade_dup_domain_key",
    "phone": "trade_dup_phone_key",
    "mobile": "trade_dup_mobile_key",
}
# Partner fields the keys are made of: writing one of them may make a duplicate.
KEYED_FIELDS = ("name", "vat", "email", "phone", "mobile", "country_id", "is_company", "parent_id")
CONFIRMED_FIELD = "trade_not_duplicate_ids"
# The customers a match is looked for among: commercial entities that are companies or have a
# salesperson (users' own partners are neither).
CANDIDATES = (
    "p.active AND p.parent_id IS NULL AND (p.is_company OR p.user_id IS NOT NULL)"
    " AND (p.company_id IS NULL OR p.company_id = ANY(%s))"
)


def reason_labels(env):
    return {
        "vat": env._("same VAT"),
        "name_country": env._("same name and country"),
        "email_domain": env._("same email domain"),
        "phone": env._("same phone"),
    }


def _empties(command):
    """Whether a x2many ``command`` links nothing (a clear, or a set to no record)."""
    if not isinstance(command, (list, tuple)) or not command:
        return False
    return command[0] == Command.CLEAR or (command[0] == Command.SET and not (command[2:3] and command[2]))


class ResPartner(models.Model):
    _inherit = "res.partner"

    trade_dup_name_key = fields.Char(
        string="Duplicate Check Name Key",
        compute="_compute_trade_dup_keys",
        store=True,
        index=True,
        copy=False,
        groups="base.group_user",
    )
    trade_dup_vat_key = fields.Char(
        string="Duplicate Check VAT Key",
        compute="_compute_trade_dup_keys",
        store=True,
        index=True,
        copy=False,
        groups="base.group_user",
    )
    trade_dup_domain_key = fields.Char(
        string="Duplicate Check Email Domain Key",
        compute="_compute_trade_dup_keys",
        store=True,
        index=True,
        copy=False,
        groups="base.group_user",
    )
    trade_dup_phone_key = fields.Char(
        string="Duplicate Check Phone Key",
        compute="_compute_trade_dup_keys",
        store=True,
        index=True,
        copy=False,
        groups="base.group_user",
    )
    trade_dup_mobile_key = fields.Char(
        string="Duplicate Check Mobile Key",
        compute="_compute_trade_dup_keys",
        store=True,
        index=True,
        copy=False,
        groups="base.group_user",
    )
    trade_duplicate_warning = fields.Text(
        string="Possible Duplicates",
        compute="_compute_trade_duplicate_warning",
        groups="base.group_user",
        help="Customers that may be this one: same VAT, name and country, email domain or phone.",
    )
    trade_not_duplicate_ids = fields.Many2many(
        "res.partner",
        "trade_partner_not_duplicate_rel",
        "partner_id",
        "other_id",
        string="Confirmed Not Duplicates",
        copy=False,
        readonly=True,
        groups=SUPERVISOR_GROUP,
        help="Customers a supervisor confirmed this one is not a duplicate of.",
    )

    # ------------------------------------------------------------------
    # Keys and matches
    # ------------------------------------------------------------------

    @api.depends("name", "vat", "email", "phone", "mobile")
    def _compute_trade_dup_keys(self):
        if not self:
            return
        frame = pd.DataFrame([{f: p[f] for f in ("name", "vat", "email", "phone", "mobile")} for p in self])
        keys = duplicates.match_keys(frame)
        for partner, row in zip(self, keys.to_dict("records"), strict=True):
            for key, column in KEY_COLUMNS.items():
                partner[column] = row[key] or False

    @api.model
    def _tiering_dup_rekey(self, batch=50_000):
        """Key every partner again, set-based: after data loaded in SQL, or a change of the rules.

        One read, ``match_keys`` over each batch, one UPDATE per batch; no ORM loop over 100k.
        """
        self.env["res.partner"].flush_model(["name", "vat", "email", "phone", "mobile"])
        rows = self.env.execute_query_dict(
            SQL("SELECT id, name, vat, email, phone, mobile FROM res_partner ORDER BY id")
        )
        columns = list(KEY_COLUMNS.values())
        for start in range(0, len(rows), batch):
            frame = pd.DataFrame(rows[start : start + batch]).set_index("id").rename_axis(None)
            keys = duplicates.match_keys(frame)
            arrays = [keys[key].where(keys[key].notna(), None).tolist() for key in KEY_COLUMNS]
            assignments = SQL(", ").join(SQL("%s = k.%s", SQL.identifier(c), SQL.identifier(c)) for c in columns)
            self.env.execute_query(
                SQL(
                    "UPDATE res_partner p SET %s FROM unnest(%s::int[], %s) AS k(id, %s) WHERE p.id = k.id",
                    assignments,
                    [int(i) for i in keys.index],
                    SQL(", ").join(SQL("%s::varchar[]", array) for array in arrays),
                    SQL(", ").join(SQL.identifier(c) for c in columns),
                )
            )
        self.env["res.partner"].invalidate_model(columns)
        return len(rows)

    @api.model
    def _tiering_find_duplicates(self, probe, exclude_ids=()):
        """``[(partner id, reasons)]`` of the customers ``probe`` may be, most reasons first.

        ``probe``: a dict of ``duplicates.FIELDS`` (country as an id). One query of indexed lookups,
        each capped just above ``max_key_records``: a key shared by more says nothing.
        """
        config = duplicates.DuplicateConfig()
        probe = {**probe, "country": str(probe.get("country") or "")}
        keys = duplicates.match_keys(pd.DataFrame([probe]), config).iloc[0]
        lookups = []
        if keys["vat"]:
            lookups.append(SQL("p.trade_dup_vat_key = %s", keys["vat"]))
        if keys["name"]:
            country = SQL(" AND p.country_id = %s", int(probe["country"])) if probe["country"] else SQL()
            lookups.append(SQL("p.trade_dup_name_key = %s%s", keys["name"], country))
        if keys["email_domain"]:
            lookups.append(SQL("p.trade_dup_domain_key = %s", keys["email_domain"]))
        phones = list({keys["phone"], keys["mobile"]} - {None})
        if phones:
            lookups.append(SQL("p.trade_dup_phone_key = ANY(%(p)s)", p=phones))
            lookups.append(SQL("p.trade_dup_mobile_key = ANY(%(p)s)", p=phones))
        if not lookups:
            return []
        base = SQL("%s AND p.id != ALL(%s)", SQL(CANDIDATES, self.env.companies.ids), list(exclude_ids))
        capped = SQL(" UNION ").join(
            SQL("(SELECT p.id FROM res_partner p WHERE %s AND %s LIMIT %s)", base, lookup, config.max_key_records + 1)
            for lookup in lookups
        )
        self.env["res.partner"].flush_model([*KEY_COLUMNS.values(), "country_id", "active", "parent_id", "user_id"])
        rows = self.env.execute_query_dict(
            SQL(
                """SELECT p.id, p.trade_dup_name_key AS name, COALESCE(p.country_id::text, '') AS country,
                          p.trade_dup_vat_key AS vat, p.trade_dup_domain_key AS email_domain,
                          p.trade_dup_phone_key AS phone, p.trade_dup_mobile_key AS mobile
                     FROM res_partner p WHERE p.id IN (%s)""",
                capped,
            )
        )
        if not rows:
            return []
        frame = pd.DataFrame(rows).set_index("id").rename_axis(None)
        frame = frame.astype(object).where(frame.notna(), None)
        found = duplicates.find_matches(None, probe, config, keys=frame)
        return [(int(partner_id), reasons) for partner_id, reasons in found["reasons"].items()]

    def _tiering_duplicate_probe(self):
        self.ensure_one()
        return {
            "name": self.name,
            "country": self.country_id.id,
            "vat": self.vat,
            "email": self.email,
            "phone": self.phone,
            "mobile": self.mobile,
        }

    def _tiering_is_checked_customer(self):
        """Company contacts are checked; individuals and contacts of a company are not."""
        self.ensure_one()
        return self.is_company and not self.parent_id

    def _tiering_duplicates(self):
        """``[(partner, reasons)]`` for this customer, the partners under sudo (any salesperson's)."""
        self.ensure_one()
        if not self._tiering_is_checked_customer():
            return []
        exclude = [self._origin.id] if self._origin.id else []
        found = self._tiering_find_duplicates(self._tiering_duplicate_probe(), exclude)
        partners = self.sudo().browse([partner_id for partner_id, _reasons in found])
        return list(zip(partners, [reasons for _id, reasons in found], strict=True))

    @api.depends(*KEYED_FIELDS)
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_trade_duplicate_warning(self):
        for partner in self:
            matches = partner._tiering_duplicates()
            partner.trade_duplicate_warning = self._tiering_describe_duplicates(matches) if matches else False

    @api.model
    def _tiering_describe_duplicates(self, matches, limit=5):
        """One line per match: the customer, its salesperson, its grade and why."""
        labels = reason_labels(self.env)
        stars = dict(self._fields["tiering_star_grade"]._description_selection(self.env))
        lines = []
        for match, reasons in matches[:limit]:
            partner = match.with_company(self.env.company)
            lines.append(
                self.env._(
                    "%(customer)s (salesperson: %(salesperson)s, grade: %(grade)s): %(reasons)s",
                    customer=partner.display_name,
                    salesperson=partner.user_id.name or self.env._("none"),
                    grade=stars.get(partner.tiering_star_grade) or self.env._("not graded"),
                    reasons=", ".join(labels[reason] for reason in reasons),
                )
            )
        if len(matches) > limit:
            lines.append(self.env._("... and %(count)s more.", count=len(matches) - limit))
        return "\n".join(lines)

    # ------------------------------------------------------------------
    # The rep's refusal
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._tiering_check_confirm_write(vals)
        partners = super().create(vals_list)
        partners._tiering_refuse_duplicates()
        return partners

    def write(self, vals):
        self._tiering_check_confirm_write(vals)
        res = super().write(vals)
        if set(KEYED_FIELDS).intersection(vals):
            self._tiering_refuse_duplicates()
        return res

    @api.model
    def _tiering_check_confirm_write(self, vals):
        """Only supervisors confirm that a customer is not a duplicate (see action_trade_confirm_not_duplicate)."""
        # A default from the context is filled into the new record after this check: look at it too.
        sent = [vals.get(CONFIRMED_FIELD), self.env.context.get(f"default_{CONFIRMED_FIELD}")]
        commands = [command for value in sent if value for command in value]
        if not commands or self.env.su or self._tiering_may_duplicate():
            return
        if all(_empties(command) for command in commands):
            return
        raise AccessError(self.env._("Only sales supervisors can confirm that a customer is not a duplicate."))

    @api.model
    def _tiering_may_duplicate(self):
        """Supervisors, sales and tiering administrators may keep a possible duplicate."""
        return any(self.env.user.has_group(group) for group in REASSIGN_GROUPS)

    def _tiering_refuse_duplicates(self):
        """A rep may not create, or edit into, a duplicate of another salesperson's customer.

        Odoo's own flows (users' and companies' partners, merge, admin imports) run as superuser or
        as administrators; accountants and other non-sales users are not reps.
        """
        user = self.env.user
        if self.env.su or not user.has_group(SALESMAN_GROUP) or self._tiering_may_duplicate():
            return
        for partner in self:
            if not partner._tiering_is_checked_customer():
                continue
            confirmed = partner.sudo().trade_not_duplicate_ids
            for match, _reasons in partner._tiering_duplicates():
                if match.user_id and match.user_id != user and match not in confirmed:
                    raise UserError(
                        self.env._(
                            "%(customer)s may be a duplicate of %(existing)s, a customer of %(salesperson)s:\n"
                            "%(details)s\nAsk %(salesperson)s to hand the customer over, or a sales supervisor "
                            "to confirm it is not a duplicate.",
                            customer=partner.display_name,
                            existing=match.display_name,
                            salesperson=match.user_id.name,
                            details=self._tiering_describe_duplicates([(match, _reasons)]),
                        )
                    )

    def action_trade_confirm_not_duplicate(self):
        """Supervisor: these customers are not duplicates of the customers they match today."""
        if not self.env.su and not self.env.user.has_group(SUPERVISOR_GROUP):
            raise AccessError(self.env._("Only sales supervisors can confirm that a customer is not a duplicate."))
        for partner in self:
            matches = self.browse([match.id for match, _reasons in partner._tiering_duplicates()])
            if not matches:
                raise UserError(self.env._("%(customer)s matches no other customer.", customer=partner.display_name))
            partner.sudo().trade_not_duplicate_ids = [Command.link(match.id) for match in matches]
            partner.sudo().message_post(
                body=self.env._(
                    "%(user)s confirmed this customer is not a duplicate of %(customers)s.",
                    user=self.env.user.name,
                    customers=", ".join(matches.sudo().mapped("display_name")),
                )
            )
        return True
