from dataclasses import replace

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.tools import SQL
from odoo.tools.misc import get_lang

from ..trade_crm_tiering import grading, policy, tiering_day

# Company-dependent grade fields kept on each customer and copied onto its contacts.
GRADE_FIELDS = (
    "tiering_annual_amount",
    "tiering_star_grade_actual",
    "tiering_star_grade",
    "tiering_star_grade_potential",
    "tiering_grade_category",
    "tiering_date",
    "tiering_downgrade_due",
    "tiering_potential_reason",
    "tiering_potential_review_date",
    "tiering_service_tier_id",
)
# Fields the system maintains on customers; users never write them directly.
ENGINE_FIELDS = (
    *GRADE_FIELDS,
    "tiering_last_interaction_date",
    "tiering_next_follow_up_date",
    "tiering_next_review_date",
    "tiering_pool_released_date",
    "tiering_pool_previous_user_id",
)

# Up to this many customers moved at once, grade moves are logged through the ORM (a single
# order's regrade); above, the nightly bulk path inserts the chatter rows with SQL.
ORM_MESSAGE_LIMIT = 50


def _money_formatter(env, currency):
    """``amount -> text`` as formatLang writes it, with the language looked up once."""
    lang = env["res.lang"].browse(get_lang(env).id)
    pattern = f"%.{currency.decimal_places}f"
    symbol, before = currency.symbol, currency.position == "before"

    def money(amount):
        text = lang.format(pattern, amount, grouping=True)
        return f"{symbol}\N{NO-BREAK SPACE}{text}" if before else f"{text}\N{NO-BREAK SPACE}{symbol}"

    return money


class TradeTieringEngine(models.AbstractModel):
    """Grades customers from confirmed sales, set-based: one aggregation per company, batched writes.

    Everything here runs as superuser: grade fields are maintained by the system and refuse
    direct writes from users (see res.partner). Callers check what the user may do. Orders are
    converted by trade.tiering.currency, rows written by trade.tiering.bulk; the language of the
    texts the passes write is chosen in trade_tiering_lang.py.
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
        Returns ``{partner id: Update}`` of the customers whose grading changed.
        """
        # sudo: see the class docstring.
        engine = self.sudo().with_company(company)
        company = engine.env["res.company"].browse(company.id)
        today = tiering_day.today()
        window = company._tiering_window(today)
        candidates = engine._grading_candidates(company, window, partner_ids, today)
        thresholds = company._tiering_thresholds()
        # Until the company's first full regrade, grades are a first classification, not upgrades.
        initial = not company.tiering_last_regrade
        updates = {}
        for partner_id, (amount, state) in candidates.items():
            grade = replace(state.grade, actual=grading.band(amount, thresholds))
            if initial:
                decision = policy.Decision(effective=policy.supported_grade(grade.actual, grade.potential))
            else:
                decision = policy.decide(
                    grade, today, company.tiering_auto_upgrade, company.tiering_downgrade_grace_days
                )
            updates[partner_id] = Update(amount, grade, decision, state)
        engine._store(company, updates, source="auto")
        engine._follow_up_decisions(company, updates)
        if partner_ids is None:
            company.tiering_last_regrade = fields.Datetime.now()
        return updates

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

    @api.model
    def _store_imported(self, company, grades, reason):
        """Serve customers at the grades of a spreadsheet (``{partner id: stars}``), in one batch.

        See ``policy.imported``: a customer already served at its grade is left alone; a grade
        above its purchases becomes its potential grade. The moves land in the grade history
        with the source ``import``. Returns the ids of the customers whose grading changed.
        """
        engine = self.sudo().with_company(company)
        today = tiering_day.today()
        states = engine._read_states(company, list(grades), today)
        updates = {}
        for partner_id, stars in grades.items():
            state = states.get(partner_id, StoredState())
            outcome = policy.imported(state.grade, stars)
            if outcome is None:
                continue
            effective, potential = outcome
            updates[partner_id] = Update(
                state.amount,
                replace(state.grade, potential=potential),
                policy.Decision(effective=effective),
                state,
                tiering_potential_reason=reason if potential else False,
                tiering_potential_review_date=False,
            )
        engine._store(company, updates, source="import", reason=reason)
        engine._cancel_open_auto_requests(company, list(updates), keep=None)
        return list(updates)

    def _store_approved(self, company, partner, outcome, source, reason, review_date=False):
        """Store ``outcome(state)`` (``(effective, potential)``) for ``partner``."""
        today = tiering_day.today()
        state = self._read_states(company, partner.ids, today).get(partner.id, StoredState())
        effective, potential = outcome(state.grade)
        update = Update(
            state.amount,
            replace(state.grade, potential=potential),
            policy.Decision(effective=effective),
            state,
            tiering_potential_reason=reason if potential else False,
            tiering_potential_review_date=review_date if potential else False,
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
        where = self._order_conditions(company, window, partner_ids)

        def query(currencies, factors):
            return self.env.execute_query(
                SQL(
                    "SELECT id, amount, incomplete FROM (%s) sums",
                    self._sums_sql(company, window, where, currencies, factors),
                )
            )

        return {
            partner_id: float(amount)
            for partner_id, amount, _incomplete in self._converted(company, window, where, query)
        }

    def _grading_candidates(self, company, window, partner_ids, today):
        """``{partner id: (annual amount, StoredState)}`` of the customers whose grading may change.

        One query aggregates the orders and compares the result with what is stored: a customer is
        a candidate when its amount moved, when its stored grade is not what the amount gives under
        the current thresholds (width_bucket bands like grading.band: an amount on a threshold gets
        the higher grade), or when its downgrade is due. The others, nearly all on a normal night,
        never reach Python.
        """
        where = self._order_conditions(company, window, partner_ids)
        cid = str(company.id)
        if partner_ids is not None:
            scope = SQL("id = ANY(%s)", list(partner_ids))
        else:
            scope = SQL(
                """(tiering_annual_amount -> %(cid)s IS NOT NULL OR tiering_star_grade_actual -> %(cid)s IS NOT NULL
                    OR tiering_star_grade -> %(cid)s IS NOT NULL OR tiering_downgrade_due -> %(cid)s IS NOT NULL)""",
                cid=cid,
            )

        def query(currencies, factors):
            return self.env.execute_query(
                SQL(
                    """WITH sums AS (%(sums)s),
                       stored AS (
                           SELECT id,
                                  COALESCE((tiering_annual_amount ->> %(cid)s)::numeric, 0) AS amount,
                                  COALESCE(tiering_star_grade_actual ->> %(cid)s, '0') AS actual,
                                  COALESCE(tiering_star_grade ->> %(cid)s, '0') AS effective,
                                  COALESCE(tiering_star_grade_potential ->> %(cid)s, '0') AS potential,
                                  (tiering_downgrade_due ->> %(cid)s)::date AS due
                             FROM res_partner
                            WHERE id = commercial_partner_id AND %(scope)s
                       )
                       SELECT COALESCE(sums.id, stored.id), COALESCE(sums.amount, 0),
                              COALESCE(stored.amount, 0), COALESCE(stored.actual, '0'),
                              COALESCE(stored.effective, '0'), COALESCE(stored.potential, '0'), stored.due,
                              COALESCE(sums.incomplete, FALSE)
                         FROM sums FULL JOIN stored ON stored.id = sums.id
                        WHERE sums.incomplete
                           OR COALESCE(sums.amount, 0) <> COALESCE(stored.amount, 0)
                           OR COALESCE(stored.actual, '0')
                              <> width_bucket(COALESCE(sums.amount, 0), %(thresholds)s::numeric[])::varchar
                           OR stored.due <= %(today)s""",
                    sums=self._sums_sql(company, window, where, currencies, factors),
                    cid=cid,
                    scope=scope,
                    thresholds=list(company._tiering_thresholds()),
                    today=today,
                )
            )

        return {
            partner_id: (
                float(amount),
                StoredState(
                    amount=float(old_amount),
                    grade=policy.GradeState(int(actual), int(effective), int(potential), due),
                    due_now=bool(due and due <= today),
                ),
            )
            for partner_id, amount, old_amount, actual, effective, potential, due, _incomplete in self._converted(
                company, window, where, query
            )
        }

    def _converted(self, company, window, where, query):
        """``query(currencies, factors)`` with the daily factors (trade.tiering.currency._converted):
        a customer with an order Odoo has no rate for keeps its stored grade (its row is left out)."""
        self.env["res.partner"].flush_model([*GRADE_FIELDS, "commercial_partner_id"])
        return self.env["trade.tiering.currency"]._converted(company, window, where, query)

    def _sums_sql(self, company, window, where, currencies, factors):
        """Per customer: ``id``, the annual ``amount`` and ``incomplete`` (an order not converted).

        Each order is converted at its date's rate, looked up by position in the array of daily
        factors (so the query keeps the plan of a plain SUM) and rounded to the cent; summing whole
        cents makes the result independent of the order PostgreSQL adds rows in.
        """
        index = SQL(
            "(array_position(%(currencies)s::int[], so.currency_id) - 1) * %(days)s"
            " + (so.date_order::date - %(start)s::date) + 1",
            currencies=currencies,
            days=len(window.days()),
            start=window.start,
        )
        factor = SQL("(%s::float8[])[%s]", factors, index)
        digits = company.tiering_currency_id.decimal_places
        return SQL(
            """SELECT p.commercial_partner_id AS id,
                      ROUND(SUM(ROUND(so.amount_untaxed::float8 * %(factor)s * %(scale)s))::numeric
                            / %(scale)s / %(divisor)s, %(digits)s) AS amount,
                      BOOL_OR(%(factor)s IS NULL) AS incomplete
                 FROM sale_order so
                 JOIN res_partner p ON p.id = so.partner_id
                WHERE %(where)s
                GROUP BY p.commercial_partner_id""",
            factor=factor,
            scale=10**digits,
            divisor=window.divisor,
            digits=digits,
            where=where,
        )

    def _read_states(self, company, partner_ids, today):
        """``{commercial partner id: StoredState}`` of ``partner_ids`` in ``company``."""
        self.env["res.partner"].flush_model([*GRADE_FIELDS, "commercial_partner_id"])
        rows = self.env.execute_query(
            SQL(
                """SELECT id,
                          COALESCE((tiering_annual_amount ->> %(cid)s)::float8, 0),
                          COALESCE(tiering_star_grade_actual ->> %(cid)s, '0'),
                          COALESCE(tiering_star_grade ->> %(cid)s, '0'),
                          COALESCE(tiering_star_grade_potential ->> %(cid)s, '0'),
                          (tiering_downgrade_due ->> %(cid)s)::date
                     FROM res_partner
                    WHERE id = commercial_partner_id AND id = ANY(%(ids)s)""",
                cid=str(company.id),
                ids=list(partner_ids),
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
        contacts = self.env["trade.tiering.bulk"]._contacts_of(list(updates))
        today = tiering_day.today()
        tiers = {star: tier.id for star, tier in company._tiering_tier_map().items()}
        rows = []
        for partner_id, update in updates.items():
            values = update.values(today, tiers)
            rows += [(target, values) for target in (partner_id, *contacts.get(partner_id, ()))]
        self._write_grade_fields(company, rows)
        self._log_moves(company, updates, source, reason)

    def _write_grade_fields(self, company, rows):
        """One UPDATE for ``rows`` (``[(partner id, {field: value})]``), each field company-dependent.

        Through the ORM every customer would be a write of its own: their amounts all differ, and
        res.partner.write syncs contacts and prepares mail tracking record by record.
        """
        names = sorted(rows[0][1])
        self.env["trade.tiering.bulk"]._write_company_fields(
            company,
            [partner_id for partner_id, _values in rows],
            {name: [values[name] for _partner_id, values in rows] for name in names},
        )

    def _log_moves(self, company, updates, source, reason=None):
        """Grade history and a chatter tracking message for each customer whose grade moved."""
        moves = {pid: u for pid, u in updates.items() if u.moved}
        if not moves:
            return
        served = {pid: u for pid, u in moves.items() if u.before.grade.effective != u.decision.effective}
        if served:
            self._insert_history(company, served, source, reason)
        if len(moves) > ORM_MESSAGE_LIMIT:
            self._insert_tracking_messages(company, moves)
        else:
            self._post_tracking_messages(company, moves)

    def _insert_history(self, company, moves, source, reason):
        now = fields.Datetime.now()
        columns = {
            "partner_id": ("int4", list(moves)),
            "old_star": ("varchar", [str(u.before.grade.effective) for u in moves.values()]),
            "new_star": ("varchar", [str(u.decision.effective) for u in moves.values()]),
            "actual_star": ("varchar", [str(u.grade.actual) for u in moves.values()]),
            "annual_amount": ("numeric", [u.amount for u in moves.values()]),
            "direction": (
                "varchar",
                ["up" if u.decision.effective > u.before.grade.effective else "down" for u in moves.values()],
            ),
        }
        constants = {
            "company_id": company.id,
            "currency_id": company.tiering_currency_id.id,
            "date": now,
            "source": source,
            "reason": reason,
            "user_id": self.env.uid,
            **self.env["trade.tiering.bulk"]._log_access_values(now),
        }
        self.env["trade.tiering.bulk"]._insert("trade_grade_history", columns, constants)
        self.env["res.partner"].invalidate_model(["tiering_grade_history_count"])

    def _post_tracking_messages(self, company, moves):
        """The same chatter notes through the ORM, for the few customers of a single order's regrade.

        Only the nightly bulk path writes mail rows with SQL (_insert_tracking_messages); the rows
        both paths write are compared by tests/test_nightly.py.
        """
        partners = self.env["res.partner"].browse(list(moves))
        langs = self._customer_note_langs(company, list(moves))
        texts = {lang: self._regrade_note_texts(company, lang) for lang in set(langs.values())}
        tracking = self.env["mail.tracking.value"]
        for partner in partners:
            update = moves[partner.id]
            sentence, money, labels = texts[langs[partner.id]]
            changes = (
                ("tiering_star_grade", update.before.grade.effective, update.decision.effective),
                ("tiering_star_grade_actual", update.before.grade.actual, update.grade.actual),
            )
            values = [
                tracking._create_tracking_values(str(old), str(new), fname, labels[fname], partner)
                for fname, old, new in changes
                if old != new
            ]
            partner._message_log(
                body=Markup("<p>%s</p>") % (sentence % {"company": company.name, "amount": money(update.amount)}),
                tracking_value_ids=[Command.create(value) for value in values],
            )

    def _insert_tracking_messages(self, company, moves):
        """The chatter note Odoo's field tracking would post, for many customers at once, each in
        the language of the customer's notes (_customer_note_langs)."""
        now = fields.Datetime.now()
        langs = self._customer_note_langs(company, list(moves))
        # Translated and formatted once per language: thousands of notes share a few languages.
        texts = {lang: self._regrade_note_texts(company, lang) for lang in set(langs.values())}
        bodies = {}
        for partner_id, update in moves.items():
            sentence, money, _labels = texts[langs[partner_id]]
            amount = money(update.amount)
            bodies[partner_id] = Markup("<p>%s</p>") % (sentence % {"company": company.name, "amount": amount})
        created = {
            res_id: message
            for message, res_id in self.env["trade.tiering.bulk"]._insert_notes("res.partner", bodies, now)
        }
        self._insert_tracking_values(moves, created, now, langs, texts)

    def _insert_tracking_values(self, moves, messages, now, langs, texts):
        """The tracking lines of the notes, in the language of each note (``langs``, ``texts``:
        see _insert_tracking_messages), so that they read like the sentence above them."""
        fields_model = self.env["ir.model.fields"]
        field_ids = {
            fname: fields_model._get("res.partner", fname).id
            for fname in ("tiering_star_grade", "tiering_star_grade_actual")
        }
        selections = {
            (lang, fname): dict(labels[fname]["selection"])
            for lang, (_sentence, _money, labels) in texts.items()
            for fname in field_ids
        }
        rows = []
        for partner_id, update in moves.items():
            changes = (
                ("tiering_star_grade", update.before.grade.effective, update.decision.effective),
                ("tiering_star_grade_actual", update.before.grade.actual, update.grade.actual),
            )
            for fname, old, new in changes:
                if old != new:
                    selection = selections[langs[partner_id], fname]
                    rows.append((messages[partner_id], field_ids[fname], selection[str(old)], selection[str(new)]))
        columns = {
            "mail_message_id": ("int4", [row[0] for row in rows]),
            "field_id": ("int4", [row[1] for row in rows]),
            "old_value_char": ("varchar", [row[2] for row in rows]),
            "new_value_char": ("varchar", [row[3] for row in rows]),
        }
        bulk = self.env["trade.tiering.bulk"]
        bulk._insert("mail_tracking_value", columns, bulk._log_access_values(now))

    def _regrade_note_texts(self, company, lang):
        """``(sentence, money, labels)`` of the regrade notes in ``lang``: the sentence, the
        formatter of amounts and the grade fields' fields_get (for the tracking lines)."""
        env = self.with_context(lang=lang).env
        return (
            env._("Regraded in %(company)s: annual purchase amount %(amount)s."),
            _money_formatter(env, company.tiering_currency_id),
            env["res.partner"].fields_get(["tiering_star_grade", "tiering_star_grade_actual"]),
        )

    # ------------------------------------------------------------------
    # Follow-ups: approval requests and retention
    # ------------------------------------------------------------------

    def _follow_up_decisions(self, company, updates):
        requested = {pid: u.decision.request_star for pid, u in updates.items() if u.decision.request_star}
        # Only a customer whose purchases gave more than it was served at can have an automatic
        # request open: the others need no look-up.
        maybe_open = [
            pid
            for pid, u in updates.items()
            if pid not in requested and u.before.grade.actual > u.before.grade.effective
        ]
        self._cancel_open_auto_requests(company, maybe_open, keep=None)
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

    __slots__ = ("amount", "before", "decision", "grade", "tiering_potential_reason", "tiering_potential_review_date")

    def __init__(
        self, amount, grade, decision, before, tiering_potential_reason=None, tiering_potential_review_date=None
    ):
        self.amount = amount
        self.grade = grade
        self.decision = decision
        self.before = before
        self.tiering_potential_reason = tiering_potential_reason
        self.tiering_potential_review_date = tiering_potential_review_date

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
            or self.tiering_potential_reason is not None
        )

    def values(self, today, tiers):
        """The grade field values to write; ``tiers`` maps stars to tier ids."""
        values = {
            "tiering_service_tier_id": tiers.get(self.decision.effective, False),
            "tiering_annual_amount": self.amount,
            "tiering_star_grade_actual": str(self.grade.actual),
            "tiering_star_grade": str(self.decision.effective),
            "tiering_grade_category": grading.category(self.decision.effective),
            "tiering_star_grade_potential": str(self.grade.potential) if self.grade.potential else False,
            "tiering_downgrade_due": self.decision.downgrade_due or False,
            "tiering_date": today,
        }
        if self.tiering_potential_reason is not None:
            values["tiering_potential_reason"] = self.tiering_potential_reason or False
            values["tiering_potential_review_date"] = self.tiering_potential_review_date or False
        return values
