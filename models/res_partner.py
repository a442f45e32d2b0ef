from collections import defaultdict

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from ..trade_crm_tiering import currency as tiering_currency
from ..trade_crm_tiering import grading

STAR_SELECTION = [
    ("0", "0 stars"),
    ("1", "1 star"),
    ("2", "2 stars"),
    ("3", "3 stars"),
    ("4", "4 stars"),
    ("5", "5 stars"),
]
CATEGORY_SELECTION = [("ordinary", "Ordinary"), ("key", "Key Account"), ("vip", "VIP")]

# Grade fields are stored per company (company-dependent) on each customer and copied onto its
# contacts, so a contact reads its company's grade.
GRADE_FIELDS = ("tiering_annual_amount", "star_grade_actual", "star_grade", "grade_category", "tiering_date")


class ResPartner(models.Model):
    _inherit = "res.partner"

    tiering_currency_id = fields.Many2one(
        "res.currency", string="Grading Currency", compute="_compute_tiering_currency_id"
    )
    tiering_annual_amount = fields.Float(
        string="Annual Purchase Amount",
        company_dependent=True,
        readonly=True,
        digits=(16, 2),
        help="Confirmed sales of the grading period, untaxed, in the grading currency.",
    )
    star_grade_actual = fields.Selection(
        STAR_SELECTION,
        string="Actual Grade",
        company_dependent=True,
        readonly=True,
        help="The grade the annual purchase amount gives.",
    )
    star_grade = fields.Selection(
        STAR_SELECTION,
        company_dependent=True,
        readonly=True,
        help="The grade the customer is served at.",
    )
    grade_category = fields.Selection(
        CATEGORY_SELECTION,
        string="Customer Category",
        company_dependent=True,
        readonly=True,
        help="Ordinary: 0-2 stars. Key account: 3-4 stars. VIP: 5 stars.",
    )
    tiering_date = fields.Date(
        string="Graded On",
        company_dependent=True,
        readonly=True,
        help="When the annual amount or the grade last changed.",
    )
    grade_history_count = fields.Integer(compute="_compute_grade_history_count")

    @api.depends_context("company")
    def _compute_tiering_currency_id(self):
        self.tiering_currency_id = self.env.company.tiering_currency_id

    @api.depends_context("company")
    def _compute_grade_history_count(self):
        groups = self.env["trade.grade.history"]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids), ("company_id", "=", self.env.company.id)],
            ["partner_id"],
            ["__count"],
        )
        counts = {partner.id: count for partner, count in groups}
        for partner in self:
            partner.grade_history_count = counts.get(partner.commercial_partner_id.id, 0)

    def action_view_grade_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("trade_crm_tiering.action_trade_grade_history")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    # ------------------------------------------------------------------
    # Contacts read their company's grade
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        partners.filtered("parent_id")._tiering_copy_from_commercial()
        return partners

    def write(self, vals):
        res = super().write(vals)
        if "parent_id" in vals or "is_company" in vals:
            self._tiering_copy_from_commercial()
        return res

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
        """Regrade these customers in the current company (every customer when empty)."""
        company = self.env.company
        partner_ids = self.commercial_partner_id.ids if self else None
        self._tiering_regrade(company, partner_ids)
        return True

    @api.model
    def _cron_tiering_regrade(self):
        # Every company is graded each night; there are few companies.
        for company in self.env["res.company"].search([]):  # pylint: disable=no-search-all
            self._tiering_regrade(company)

    @api.model
    def _tiering_schedule_regrade(self, keys):
        """Regrade ``keys`` ((company id, customer id) pairs) once, when the transaction commits.

        Order confirmations, cancellations and amount changes call this: however many happen in
        one transaction, each customer is regraded once, after the orders are written.
        """
        if not keys:
            return
        pending = self.env.cr.precommit.data.setdefault("trade_crm_tiering.regrade", set())
        if not pending:
            self.env.cr.precommit.add(self._tiering_run_scheduled_regrades)
        pending.update(keys)

    def _tiering_run_scheduled_regrades(self):
        pending = self.env.cr.precommit.data.pop("trade_crm_tiering.regrade", set())
        by_company = defaultdict(list)
        for company_id, partner_id in pending:
            by_company[company_id].append(partner_id)
        for company_id, partner_ids in by_company.items():
            self._tiering_regrade(self.env["res.company"].browse(company_id), partner_ids)

    @api.model
    def _tiering_regrade(self, company, partner_ids=None):
        """Grade customers of ``company`` from its confirmed sales; write only what changed.

        ``partner_ids``: commercial partners to grade; None grades every customer of the company.
        Returns ``{partner id: grading.Grading}`` of the customers whose grading changed.
        """
        # sudo: grades are maintained by the system from sales data; users cannot write them.
        company = company.sudo()
        engine = self.sudo().with_company(company)
        window = company._tiering_window(fields.Date.context_today(self))
        amounts = engine._tiering_aggregate_amounts(company, window, partner_ids)
        current = engine._tiering_read_current(company, partner_ids)
        computed = grading.grade_amounts(amounts, company._tiering_thresholds())
        changes = grading.changed_gradings(current, computed)
        engine._tiering_apply(company, changes, current, source="auto")
        return changes

    def _tiering_order_conditions(self, company, window, partner_ids):
        conditions = [
            SQL("so.company_id = %s", company.id),
            SQL("so.state = 'sale'"),
            SQL("so.date_order >= %s", window.start),
            SQL("so.date_order < %s", window.end),
        ]
        if window.years:
            conditions.append(SQL("EXTRACT(YEAR FROM so.date_order)::int = ANY(%s)", list(window.years)))
        if partner_ids is not None:
            conditions.append(SQL("p.commercial_partner_id = ANY(%s)", list(partner_ids)))
        return SQL(" AND ").join(conditions)

    def _tiering_aggregate_amounts(self, company, window, partner_ids=None):
        """``{commercial partner id: annual amount}`` in the grading currency, in one aggregation."""
        self.env["sale.order"].flush_model(
            ["amount_untaxed", "currency_id", "date_order", "state", "company_id", "partner_id"]
        )
        self.env["res.currency.rate"].flush_model(["rate", "name", "currency_id", "company_id"])
        self.flush_model(["commercial_partner_id"])
        where = self._tiering_order_conditions(company, window, partner_ids)
        factors = self._tiering_conversion_factors(company, where)
        if not factors:
            return {}
        keys = list(factors)
        rows = self.env.execute_query(
            SQL(
                """SELECT p.commercial_partner_id, SUM(so.amount_untaxed::float8 * f.factor)
                     FROM sale_order so
                     JOIN res_partner p ON p.id = so.partner_id
                     JOIN unnest(%(currencies)s::int[], %(days)s::date[], %(factors)s::float8[])
                          AS f(currency_id, day, factor)
                       ON f.currency_id = so.currency_id AND f.day = so.date_order::date
                    WHERE %(where)s
                    GROUP BY p.commercial_partner_id""",
                currencies=[currency for currency, _day in keys],
                days=[day for _currency, day in keys],
                factors=[factors[key] for key in keys],
                where=where,
            )
        )
        return {partner_id: window.annualise(total) for partner_id, total in rows}

    def _tiering_conversion_factors(self, company, where):
        """Factors into the grading currency for each (currency, day) the selected orders use."""
        rows = self.env.execute_query(
            SQL(
                """WITH days AS (
                        SELECT DISTINCT so.currency_id, so.date_order::date AS day
                          FROM sale_order so
                          JOIN res_partner p ON p.id = so.partner_id
                         WHERE %(where)s
                   ), pairs AS (
                        SELECT currency_id, day FROM days
                         UNION
                        SELECT %(grading)s, day FROM days
                   )
                   SELECT pairs.currency_id, pairs.day, COALESCE(
                          (SELECT r.rate FROM res_currency_rate r
                            WHERE r.currency_id = pairs.currency_id AND r.name <= pairs.day
                              AND (r.company_id IS NULL OR r.company_id = %(root)s)
                            ORDER BY r.company_id, r.name DESC LIMIT 1),
                          (SELECT r.rate FROM res_currency_rate r
                            WHERE r.currency_id = pairs.currency_id
                              AND (r.company_id IS NULL OR r.company_id = %(root)s)
                            ORDER BY r.company_id, r.name LIMIT 1))
                     FROM pairs""",
                where=where,
                grading=company.tiering_currency_id.id,
                root=company.root_id.id,
            )
        )
        rates = {(currency, day): rate for currency, day, rate in rows}
        try:
            return tiering_currency.conversion_factors(rates, company.tiering_currency_id.id, company.currency_id.id)
        except tiering_currency.MissingRateError as error:
            names = ", ".join(self.env["res.currency"].browse(cid).name for cid, _day in error.missing)
            raise UserError(
                self.env._(
                    "Customer grades of %(company)s cannot be computed: %(currencies)s has no exchange "
                    "rate. Add a rate under Accounting or Sales > Configuration > Currencies, then "
                    "regrade.",
                    company=company.name,
                    currencies=names,
                )
            ) from None

    def _tiering_read_current(self, company, partner_ids=None):
        """``{commercial partner id: (amount, actual star)}`` as stored for ``company``."""
        self.flush_model(["tiering_annual_amount", "star_grade_actual", "commercial_partner_id"])
        cid = str(company.id)
        if partner_ids is not None:
            scope = SQL("id = ANY(%s)", list(partner_ids))
        else:
            scope = SQL(
                "(tiering_annual_amount -> %(cid)s IS NOT NULL OR star_grade_actual -> %(cid)s IS NOT NULL)",
                cid=cid,
            )
        rows = self.env.execute_query(
            SQL(
                """SELECT id, COALESCE((tiering_annual_amount ->> %(cid)s)::float8, 0),
                          COALESCE(star_grade_actual ->> %(cid)s, '0')
                     FROM res_partner
                    WHERE id = commercial_partner_id AND %(scope)s""",
                cid=cid,
                scope=scope,
            )
        )
        return {partner_id: (amount, int(star)) for partner_id, amount, star in rows}

    def _tiering_apply(self, company, changes, current, source, reason=None):
        """Store ``changes`` (``{partner id: Grading}``) for ``company``, log what moved."""
        if not changes:
            return
        contacts = self._tiering_contacts_of(list(changes))
        self._tiering_write_amounts(company, changes, contacts)
        by_star = defaultdict(list)
        for partner_id, new in changes.items():
            by_star[new.star].append(partner_id)
            by_star[new.star].extend(contacts.get(partner_id, ()))
        today = fields.Date.context_today(self)
        for star, ids in by_star.items():
            self.browse(ids).write(
                {
                    "star_grade_actual": str(star),
                    "star_grade": str(star),
                    "grade_category": grading.category(star),
                    "tiering_date": today,
                }
            )
        moves = {
            partner_id: (current.get(partner_id, (0.0, 0))[1], new.star)
            for partner_id, new in changes.items()
            if current.get(partner_id, (0.0, 0))[1] != new.star
        }
        self._tiering_log_moves(company, moves, changes, source, reason)

    def _tiering_contacts_of(self, entity_ids):
        """``{commercial partner id: [contact ids]}``, archived contacts included."""
        groups = self.with_context(active_test=False)._read_group(
            [("commercial_partner_id", "in", entity_ids), ("is_company", "=", False), ("parent_id", "!=", False)],
            ["commercial_partner_id"],
            ["id:array_agg"],
        )
        return {entity.id: ids for entity, ids in groups}

    def _tiering_write_amounts(self, company, changes, contacts):
        """One UPDATE for every amount: each customer's differs, so grouped ORM writes would not batch."""
        ids, amounts = [], []
        for partner_id, new in changes.items():
            for target in (partner_id, *contacts.get(partner_id, ())):
                ids.append(target)
                amounts.append(new.amount)
        self.flush_model(["tiering_annual_amount"])
        self.env.execute_query(
            SQL(
                """UPDATE res_partner p
                      SET tiering_annual_amount = COALESCE(p.tiering_annual_amount, '{}'::jsonb)
                                                  || jsonb_build_object(%(cid)s, v.amount)
                     FROM unnest(%(ids)s::int[], %(amounts)s::float8[]) AS v(id, amount)
                    WHERE p.id = v.id""",
                cid=str(company.id),
                ids=ids,
                amounts=amounts,
            )
        )
        records = self.browse(ids)
        records.invalidate_recordset(["tiering_annual_amount"])
        records.modified(["tiering_annual_amount"])

    def _tiering_log_moves(self, company, moves, changes, source, reason=None):
        """Grade history and a chatter tracking message for each grade that moved."""
        if not moves:
            return
        self.env["trade.grade.history"].create(
            [
                {
                    "partner_id": partner_id,
                    "company_id": company.id,
                    "old_star": str(old),
                    "new_star": str(new),
                    "annual_amount": changes[partner_id].amount,
                    "currency_id": company.tiering_currency_id.id,
                    "source": source,
                    "reason": reason,
                    "user_id": self.env.uid,
                }
                for partner_id, (old, new) in moves.items()
            ]
        )
        self._tiering_post_tracking(company, moves, changes)

    def _tiering_post_tracking(self, company, moves, changes):
        """The chatter message Odoo's field tracking would post, for many customers at once."""
        field_info = self.fields_get(["star_grade"])["star_grade"]
        author = self.env.user.partner_id
        note = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")
        tracking_model = self.env["mail.tracking.value"]
        currency = company.tiering_currency_id
        messages = []
        for partner_id, (old, new) in moves.items():
            partner = self.browse(partner_id)
            amount = formatLang(self.env, changes[partner_id].amount, currency_obj=currency)
            messages.append(
                {
                    "model": self._name,
                    "res_id": partner_id,
                    "author_id": author.id,
                    "email_from": author.email_formatted,
                    "message_type": "notification",
                    "subtype_id": note,
                    "is_internal": True,
                    "body": Markup("<p>%s</p>")
                    % self.env._(
                        "Regraded in %(company)s: annual purchase amount %(amount)s.",
                        company=company.name,
                        amount=amount,
                    ),
                    "tracking_value_ids": [
                        Command.create(
                            tracking_model._create_tracking_values(
                                str(old), str(new), "star_grade", field_info, partner
                            )
                        )
                    ],
                }
            )
        # sudo: like mail.thread's _message_log_batch, a system log that needs no posting rights.
        self.env["mail.message"].sudo().create(messages)
