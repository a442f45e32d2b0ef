from collections import defaultdict
from dataclasses import replace

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from ..trade_crm_tiering import currency as tiering_currency
from ..trade_crm_tiering import grading, policy

# Company-dependent grade fields kept on each customer and copied onto its contacts.
GRADE_FIELDS = (
    "tiering_annual_amount",
    "star_grade_actual",
    "star_grade",
    "star_grade_potential",
    "grade_category",
    "tiering_date",
    "tiering_downgrade_due",
    "potential_reason",
    "potential_review_date",
)


class TradeTieringEngine(models.AbstractModel):
    """Grades customers from confirmed sales, set-based: one aggregation per company, batched writes.

    Everything here runs as superuser: grade fields are maintained by the system and refuse
    direct writes from users (see res.partner). Callers check what the user may do.
    """

    _name = "trade.tiering.engine"
    _description = "Customer Tiering Engine"

    # ------------------------------------------------------------------
    # Regrade
    # ------------------------------------------------------------------

    @api.model
    def _regrade(self, company, partner_ids=None):
        """Grade customers of ``company``; write only what changed.

        ``partner_ids``: commercial partners to grade; None grades every customer of the company
        and also applies downgrades whose grace period is over.
        Returns ``{partner id: policy.Decision}`` of the customers whose grading changed.
        """
        # sudo: see the class docstring.
        engine = self.sudo().with_company(company)
        company = engine.env["res.company"].browse(company.id)
        today = fields.Date.context_today(self)
        window = company._tiering_window(today)
        amounts = engine._aggregate_amounts(company, window, partner_ids)
        stored = engine._read_states(company, partner_ids, today)
        computed = grading.grade_amounts(amounts, company._tiering_thresholds())
        current = {pid: (state.amount, state.grade.actual) for pid, state in stored.items()}
        changed = grading.changed_gradings(current, computed)
        candidates = changed.keys() | {pid for pid, state in stored.items() if state.due_now}
        # Until the company's first full regrade, grades are a first classification, not upgrades.
        initial = not company.tiering_last_regrade
        updates = {}
        for partner_id in candidates:
            new = computed.get(partner_id, grading.Grading(0.0, 0))
            state = stored.get(partner_id, StoredState())
            grade = replace(state.grade, actual=new.star)
            if initial:
                decision = policy.Decision(effective=policy.supported_grade(new.star, grade.potential))
            else:
                decision = policy.decide(
                    grade, today, company.tiering_auto_upgrade, company.tiering_downgrade_grace_days
                )
            updates[partner_id] = Update(new.amount, grade, decision, state)
        engine._store(company, updates, source="auto")
        engine._follow_up_decisions(company, updates)
        if partner_ids is None:
            company.tiering_last_regrade = fields.Datetime.now()
        return {pid: update.decision for pid, update in updates.items()}

    @api.model
    def _apply_request(self, request):
        """Serve the customer of an approved ``request`` at its grade, at once."""
        company = request.company_id
        engine = self.sudo().with_company(company)
        requested = int(request.requested_star)
        engine._store_approved(
            company,
            request.partner_id,
            lambda state: policy.approved(state, requested),
            "request",
            request.reason,
            request.review_date,
        )
        engine._cancel_open_auto_requests(company, request.partner_id.ids, keep=request)

    @api.model
    def _withdraw_potential(self, company, partner):
        """Drop ``partner``'s potential grade: it falls back to its actual grade, at once."""
        engine = self.sudo().with_company(company)
        engine._store_approved(company, partner, policy.withdrawn, "manual", self.env._("Potential grade withdrawn."))
        partner.sudo().activity_unlink(["trade_crm_tiering.mail_activity_type_potential_review"])

    def _store_approved(self, company, partner, outcome, source, reason, review_date=False):
        """Store ``outcome(state)`` (``(effective, potential)``) for ``partner``."""
        today = fields.Date.context_today(self)
        state = self._read_states(company, partner.ids, today).get(partner.id, StoredState())
        effective, potential = outcome(state.grade)
        update = Update(
            state.amount,
            replace(state.grade, potential=potential),
            policy.Decision(effective=effective),
            state,
            potential_reason=reason if potential else False,
            potential_review_date=review_date if potential else False,
        )
        self._store(company, {partner.id: update}, source=source, reason=reason)

    # ------------------------------------------------------------------
    # Aggregation
    # ------------------------------------------------------------------

    def _order_conditions(self, company, window, partner_ids):
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

    def _aggregate_amounts(self, company, window, partner_ids=None):
        """``{commercial partner id: annual amount}`` in the grading currency, in one aggregation."""
        self.env["sale.order"].flush_model(
            ["amount_untaxed", "currency_id", "date_order", "state", "company_id", "partner_id"]
        )
        self.env["res.currency.rate"].flush_model(["rate", "name", "currency_id", "company_id"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        where = self._order_conditions(company, window, partner_ids)
        factors = self._conversion_factors(company, where)
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

    def _conversion_factors(self, company, where):
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

    def _read_states(self, company, partner_ids, today):
        """``{commercial partner id: StoredState}`` for ``company``.

        Without ``partner_ids``: every customer with something stored for the company.
        """
        self.env["res.partner"].flush_model([*GRADE_FIELDS, "commercial_partner_id"])
        cid = str(company.id)
        if partner_ids is not None:
            scope = SQL("id = ANY(%s)", list(partner_ids))
        else:
            scope = SQL(
                """(tiering_annual_amount -> %(cid)s IS NOT NULL OR star_grade_actual -> %(cid)s IS NOT NULL
                    OR star_grade -> %(cid)s IS NOT NULL OR tiering_downgrade_due -> %(cid)s IS NOT NULL)""",
                cid=cid,
            )
        rows = self.env.execute_query(
            SQL(
                """SELECT id,
                          COALESCE((tiering_annual_amount ->> %(cid)s)::float8, 0),
                          COALESCE(star_grade_actual ->> %(cid)s, '0'),
                          COALESCE(star_grade ->> %(cid)s, '0'),
                          COALESCE(star_grade_potential ->> %(cid)s, '0'),
                          (tiering_downgrade_due ->> %(cid)s)::date
                     FROM res_partner
                    WHERE id = commercial_partner_id AND %(scope)s""",
                cid=cid,
                scope=scope,
            )
        )
        return {
            partner_id: StoredState(
                amount=amount,
                grade=policy.GradeState(int(actual), int(effective), int(potential), due),
                due_now=bool(due and due <= today),
            )
            for partner_id, amount, actual, effective, potential, due in rows
        }

    # ------------------------------------------------------------------
    # Storing
    # ------------------------------------------------------------------

    def _store(self, company, updates, source, reason=None):
        """Write ``updates`` (``{partner id: Update}``) for ``company`` and log the grade moves."""
        updates = {pid: update for pid, update in updates.items() if update.changes_something}
        if not updates:
            return
        partners = self.env["res.partner"].with_company(company)
        contacts = self._contacts_of(list(updates))
        amounts = {pid: u.amount for pid, u in updates.items() if u.amount != u.before.amount}
        if amounts:
            self._write_amounts(company, amounts, contacts)
        today = fields.Date.context_today(self)
        groups = defaultdict(list)
        for partner_id, update in updates.items():
            groups[update.values(today)].append(partner_id)
            groups[update.values(today)].extend(contacts.get(partner_id, ()))
        for values, ids in groups.items():
            partners.browse(ids).write(dict(values))
        self._log_moves(company, updates, source, reason)

    def _contacts_of(self, entity_ids):
        """``{commercial partner id: [contact ids]}``, archived contacts included."""
        groups = (
            self.env["res.partner"]
            .with_context(active_test=False)
            ._read_group(
                [("commercial_partner_id", "in", entity_ids), ("is_company", "=", False), ("parent_id", "!=", False)],
                ["commercial_partner_id"],
                ["id:array_agg"],
            )
        )
        return {entity.id: ids for entity, ids in groups}

    def _write_amounts(self, company, amounts, contacts):
        """One UPDATE for every amount: each customer's differs, so grouped ORM writes would not batch."""
        ids, values = [], []
        for partner_id, amount in amounts.items():
            for target in (partner_id, *contacts.get(partner_id, ())):
                ids.append(target)
                values.append(amount)
        partners = self.env["res.partner"]
        partners.flush_model(["tiering_annual_amount"])
        self.env.execute_query(
            SQL(
                """UPDATE res_partner p
                      SET tiering_annual_amount = COALESCE(p.tiering_annual_amount, '{}'::jsonb)
                                                  || jsonb_build_object(%(cid)s, v.amount)
                     FROM unnest(%(ids)s::int[], %(amounts)s::float8[]) AS v(id, amount)
                    WHERE p.id = v.id""",
                cid=str(company.id),
                ids=ids,
                amounts=values,
            )
        )
        records = partners.browse(ids)
        records.invalidate_recordset(["tiering_annual_amount"])
        records.modified(["tiering_annual_amount"])

    def _log_moves(self, company, updates, source, reason=None):
        """Grade history and a chatter tracking message for each customer whose grade moved."""
        moves = {pid: u for pid, u in updates.items() if u.moved}
        if not moves:
            return
        self.env["trade.grade.history"].create(
            [
                {
                    "partner_id": partner_id,
                    "company_id": company.id,
                    "old_star": str(update.before.grade.effective),
                    "new_star": str(update.decision.effective),
                    "actual_star": str(update.grade.actual),
                    "annual_amount": update.amount,
                    "currency_id": company.tiering_currency_id.id,
                    "source": source,
                    "reason": reason,
                    "user_id": self.env.uid,
                }
                for partner_id, update in moves.items()
                if update.before.grade.effective != update.decision.effective
            ]
        )
        self._post_tracking(company, moves)

    def _post_tracking(self, company, moves):
        """The chatter message Odoo's field tracking would post, for many customers at once."""
        partners = self.env["res.partner"]
        field_info = partners.fields_get(["star_grade", "star_grade_actual"])
        author = self.env.user.partner_id
        note = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")
        tracking_model = self.env["mail.tracking.value"]
        currency = company.tiering_currency_id
        messages = []
        for partner_id, update in moves.items():
            partner = partners.browse(partner_id)
            tracked = [
                ("star_grade", update.before.grade.effective, update.decision.effective),
                ("star_grade_actual", update.before.grade.actual, update.grade.actual),
            ]
            amount = formatLang(self.env, update.amount, currency_obj=currency)
            messages.append(
                {
                    "model": "res.partner",
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
                                str(old), str(new), fname, field_info[fname], partner
                            )
                        )
                        for fname, old, new in tracked
                        if old != new
                    ],
                }
            )
        # sudo (already): like mail.thread's _message_log_batch, a system log needing no posting rights.
        self.env["mail.message"].create(messages)

    # ------------------------------------------------------------------
    # Follow-ups: approval requests and retention
    # ------------------------------------------------------------------

    def _follow_up_decisions(self, company, updates):
        requested = {pid: u.decision.request_star for pid, u in updates.items() if u.decision.request_star}
        self._cancel_open_auto_requests(company, [pid for pid in updates if pid not in requested], keep=None)
        if requested:
            self.env["trade.grade.request"]._open_auto_requests(company, requested)
        grace = [pid for pid, u in updates.items() if u.decision.grace_started]
        if grace:
            self.env["res.partner"].browse(grace).with_company(company)._tiering_schedule_retention()

    def _cancel_open_auto_requests(self, company, partner_ids, keep=None):
        if not partner_ids:
            return
        requests = self.env["trade.grade.request"].search(
            [
                ("partner_id", "in", partner_ids),
                ("company_id", "=", company.id),
                ("source", "=", "auto"),
                ("state", "in", ("draft", "to_approve")),
            ]
        )
        (requests - keep if keep else requests)._cancel_unsupported()


class StoredState:
    """What is stored for one customer in one company."""

    __slots__ = ("amount", "due_now", "grade")

    def __init__(self, amount=0.0, grade=None, due_now=False):
        self.amount = amount
        self.grade = grade or policy.GradeState()
        self.due_now = due_now


class Update:
    """The new grading of one customer, against what was stored."""

    __slots__ = ("amount", "before", "decision", "grade", "potential_reason", "potential_review_date")

    def __init__(self, amount, grade, decision, before, potential_reason=None, potential_review_date=None):
        self.amount = amount
        self.grade = grade
        self.decision = decision
        self.before = before
        self.potential_reason = potential_reason
        self.potential_review_date = potential_review_date

    @property
    def moved(self):
        before = self.before.grade
        return before.effective != self.decision.effective or before.actual != self.grade.actual

    @property
    def changes_something(self):
        before = self.before.grade
        return (
            self.moved
            or self.amount != self.before.amount
            or before.potential != self.grade.potential
            or before.downgrade_due != self.decision.downgrade_due
            or self.potential_reason is not None
        )

    def values(self, today):
        """The grade field values to write, hashable so equal ones are written together."""
        values = {
            "star_grade_actual": str(self.grade.actual),
            "star_grade": str(self.decision.effective),
            "grade_category": grading.category(self.decision.effective),
            "star_grade_potential": str(self.grade.potential) if self.grade.potential else False,
            "tiering_downgrade_due": self.decision.downgrade_due or False,
            "tiering_date": today,
        }
        if self.potential_reason is not None:
            values["potential_reason"] = self.potential_reason or False
            values["potential_review_date"] = self.potential_review_date or False
        return tuple(sorted(values.items()))
