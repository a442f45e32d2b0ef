import ast
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.addons.base.models.res_lang import intersperse
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, get_lang

from ..trade_crm_tiering import early_warnings
from .tiering_constants import SUPERVISOR_GROUP

WARNING_TYPES = [
    ("growth_spike", "Growth Spike"),
    ("frequency_drop", "Order Frequency Drop"),
    ("dormant", "Dormant Customer"),
    ("inquiries_falling", "Inquiries Falling"),
    ("single_threaded", "Single-threaded Account"),
    ("missing_backup", "Missing Backup Salesperson"),
]
ACTIVITY_TYPES = {
    "growth_spike": "trade_crm_tiering.mail_activity_type_upgrade_opportunity",
    "frequency_drop": "trade_crm_tiering.mail_activity_type_retention",
    "dormant": "trade_crm_tiering.mail_activity_type_dormant",
    "inquiries_falling": "trade_crm_tiering.mail_activity_type_inquiries_falling",
    "single_threaded": "trade_crm_tiering.mail_activity_type_single_threaded",
    "missing_backup": "trade_crm_tiering.mail_activity_type_missing_backup",
}
# Who acts first on each warning; the other one when that person is missing.
SUPERVISOR_FIRST = {"growth_spike"}


class TradeCustomerWarning(models.Model):
    """An early warning about a customer in a company, raised once per episode by the nightly scoring.

    One warning per customer, company and type is open (or dismissed) while its condition holds; it
    is closed when the condition clears, and a later return of the condition is a new episode.
    """

    _name = "trade.customer.warning"
    _description = "Customer Early Warning"
    _order = "date_raised desc, id desc"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    warning_type = fields.Selection(WARNING_TYPES, string="Warning", required=True, readonly=True)
    state = fields.Selection(
        [("open", "Open"), ("dismissed", "Dismissed"), ("closed", "Closed")],
        required=True,
        readonly=True,
        default="open",
        help="Open: the condition holds and someone should act. Dismissed: a supervisor saw it, nothing "
        "to do; it is not raised again while the condition holds. Closed: the condition cleared.",
    )
    date_raised = fields.Date(string="Raised On", required=True, readonly=True)
    date_closed = fields.Date(string="Closed On", readonly=True)
    user_id = fields.Many2one("res.users", string="Assigned To", readonly=True)
    activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null")
    details = fields.Text(readonly=True)
    salesperson_id = fields.Many2one(related="partner_id.user_id", string="Salesperson")

    def init(self):
        # Once per episode, guaranteed by the database too.
        self.env.cr.execute(
            SQL(
                """CREATE UNIQUE INDEX IF NOT EXISTS trade_customer_warning_episode_uniq
                   ON trade_customer_warning (partner_id, company_id, warning_type) WHERE state != 'closed'"""
            )
        )

    def write(self, vals):
        if vals.get("state") in ("open", "dismissed"):
            self._check_one_episode(vals)
        return super().write(vals)

    def _check_one_episode(self, vals):
        """One open or dismissed warning per customer, company and type: say so before the database does."""
        keys = {}
        for warning in self:
            key = (
                vals.get("partner_id", warning.partner_id.id),
                vals.get("company_id", warning.company_id.id),
                vals.get("warning_type", warning.warning_type),
            )
            if key in keys:
                self._raise_duplicate(warning)
            keys[key] = warning
        # sudo: warnings of other companies or customers hidden by record rules count as well.
        others = (
            self.sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("partner_id", "in", [key[0] for key in keys]),
                    ("state", "!=", "closed"),
                    ("id", "not in", self.ids),
                ]
            )
        )
        for other in others:
            if (other.partner_id.id, other.company_id.id, other.warning_type) in keys:
                self._raise_duplicate(other)

    def _raise_duplicate(self, warning):
        labels = dict(self._fields["warning_type"]._description_selection(self.env))
        raise UserError(
            self.env._(
                "%(customer)s already has an open or dismissed %(warning)s warning in %(company)s: there is one "
                "per episode. Nothing was changed.",
                customer=warning.partner_id.sudo().display_name,
                warning=labels.get(warning.warning_type, warning.warning_type),
                company=warning.company_id.sudo().name,
            )
        )

    @api.depends("partner_id", "warning_type")
    @api.depends_context("lang")
    def _compute_display_name(self):
        labels = dict(self._fields["warning_type"]._description_selection(self.env))
        for warning in self:
            warning.display_name = f"{labels.get(warning.warning_type, '')}: {warning.partner_id.display_name}"

    def action_dismiss(self):
        """A supervisor saw the warning and there is nothing to do: it stays quiet for this episode."""
        if not self.env.user.has_group(SUPERVISOR_GROUP):
            raise AccessError(self.env._("Only sales supervisors can dismiss warnings."))
        warnings = self.filtered(lambda warning: warning.state == "open")
        activities = warnings.activity_id
        warnings.write({"state": "dismissed"})
        # sudo: the activity may be assigned to someone else; dismissing removes the to-do with it.
        activities.sudo().unlink()
        return True

    # ------------------------------------------------------------------
    # Nightly synchronisation
    # ------------------------------------------------------------------

    @api.model
    def _tiering_sync(self, company, inputs, result, today, partner_range=None):
        """Raise the warnings whose condition appeared and close those whose condition cleared.

        ``inputs`` and ``result`` are the scoring pass's frames (index: customer id): all of the
        company's customers, or those of ``partner_range`` (``(after, last)`` ids, ``last`` None for
        no end), whose warnings alone are then compared. Warnings and their activities are
        inserted in bulk; see _insert_activities.
        """
        holding = {
            warning_type: set(result.index[result[f"warn_{warning_type}"]].tolist())
            for warning_type, _label in WARNING_TYPES
            # The types of early_warnings, and those other passes add a column for (#14).
            if warning_type in early_warnings.TYPES or f"warn_{warning_type}" in result
        }
        to_raise, to_close = early_warnings.episodes(holding, self._open_warnings(company, partner_range))
        self._close(to_close, today)
        self._raise(company, to_raise, inputs.join(result, rsuffix="_result"), today)
        return {"raised": len(to_raise), "closed": len(to_close)}

    def _open_warnings(self, company, partner_range=None):
        self.flush_model()
        after, last = partner_range or (None, None)
        rows = self.env.execute_query(
            SQL(
                """SELECT partner_id, warning_type, id FROM trade_customer_warning
                    WHERE company_id = %s AND state != 'closed'
                      AND (%s::int4 IS NULL OR partner_id > %s) AND (%s::int4 IS NULL OR partner_id <= %s)""",
                company.id,
                after,
                after,
                last,
                last,
            )
        )
        return {(partner_id, warning_type): warning_id for partner_id, warning_type, warning_id in rows}

    def _close(self, warning_ids, today):
        if not warning_ids:
            return
        rows = self.env.execute_query(
            SQL(
                """UPDATE trade_customer_warning
                      SET state = 'closed', date_closed = %(today)s, write_uid = %(uid)s, write_date = %(now)s
                    WHERE id = ANY(%(ids)s)
                RETURNING activity_id""",
                today=today,
                uid=self.env.uid,
                now=fields.Datetime.now(),
                ids=warning_ids,
            )
        )
        self.invalidate_model()
        # The to-do is moot once the condition cleared.
        self.env["mail.activity"].browse([row[0] for row in rows if row[0]]).exists().unlink()

    def _raise(self, company, to_raise, figures, today):
        if not to_raise:
            return
        people = self._people(company, sorted({partner_id for partner_id, _type in to_raise}))
        owners = [self._owner(people[partner_id], warning_type) for partner_id, warning_type in to_raise]
        engine = self.env["trade.tiering.engine"]
        # Each warning and its activity are written in their owner's language (see the engine's
        # _user_langs): not in the language of the cron's user.
        user_langs = engine._user_langs(owners, company)
        langs = [user_langs[owner] for owner in owners]
        details = self._details(company, to_raise, figures, today, langs)
        activities = self._insert_activities(to_raise, owners, details, people, today, langs)
        self._insert_warnings(company, to_raise, owners, details, activities, today)

    def _insert_warnings(self, company, to_raise, owners, details, activities, today):
        """The open warnings of ``to_raise`` (``[(customer id, type)]``), in one INSERT: each with
        its owner, text and activity (``{(customer id, type): activity id}``)."""
        bulk = self.env["trade.tiering.bulk"]
        columns = {
            "partner_id": ("int4", [partner_id for partner_id, _type in to_raise]),
            "warning_type": ("varchar", [warning_type for _partner_id, warning_type in to_raise]),
            "user_id": ("int4", owners),
            "activity_id": ("int4", [activities.get(key) for key in to_raise]),
            "details": ("text", details),
        }
        constants = {
            "company_id": company.id,
            "state": "open",
            "date_raised": today,
            **bulk._log_access_values(fields.Datetime.now()),
        }
        bulk._insert("trade_customer_warning", columns, constants)
        self.invalidate_model()

    def _people(self, company, partner_ids):
        """``{customer id: (name, salesperson, supervisor)}``, active users or None.

        The supervisor is res.partner._tiering_supervisor's, for many customers at once: the
        leader of the customer's sales team when a supervisor, else the company's default approver,
        else its general manager.
        """
        rows = self.env.execute_query(
            SQL(
                """SELECT p.id, p.complete_name, p.user_id, t.user_id
                     FROM res_partner p LEFT JOIN crm_team t ON t.id = p.team_id
                    WHERE p.id = ANY(%s)""",
                partner_ids,
            )
        )
        candidates = {user for row in rows for user in row[2:] if user}
        candidates |= set((company.tiering_approver_id | company.tiering_gm_id).ids)
        users = self.env["res.users"].browse(candidates).filtered("active")
        supervisors = set(users.filtered(lambda user: user.has_group(SUPERVISOR_GROUP)).ids)
        active = set(users.ids)
        fallback = next(
            (user.id for user in (company.tiering_approver_id, company.tiering_gm_id) if user.id in active), None
        )
        return {
            partner_id: (
                name,
                salesperson if salesperson in active else None,
                leader if leader in supervisors else fallback,
            )
            for partner_id, name, salesperson, leader in rows
        }

    def _owner(self, person, warning_type):
        _name, salesperson, supervisor = person
        if warning_type in SUPERVISOR_FIRST:
            return supervisor or salesperson
        return salesperson or supervisor

    def _details(self, company, to_raise, figures, today, langs):
        """What each warning is about, in figures, in the language of ``langs`` (one per warning):
        the templates are translated and the formatters set up once per language."""
        texts = {}
        for lang in set(langs):
            warnings = self.with_context(lang=lang)
            texts[lang] = (warnings._detail_templates(), warnings._formatters(company.tiering_currency_id))
        columns = ["amount_6m", "amount_prev_6m", "days_since_last", "usual_gap", "inquiries_3m", "inquiries_prev_3m"]
        rows = figures.loc[sorted({partner_id for partner_id, _type in to_raise}), columns]
        figures_of = dict(zip(rows.index.tolist(), rows.itertuples(index=False, name=None), strict=True))
        details = []
        for (partner_id, warning_type), lang in zip(to_raise, langs, strict=True):
            templates, formatters = texts[lang]
            values = self._detail_values(warning_type, figures_of[partner_id], formatters, today)
            details.append(templates[warning_type] % values)
        return details

    def _detail_values(self, warning_type, figures, formatters, today):
        recent, before, days, gap, inquiries, inquiries_before = figures
        money, number, day = formatters
        if warning_type == "growth_spike":
            return {"recent": money(recent), "before": money(before), "times": number(recent / before, 1)}
        if warning_type == "frequency_drop":
            return {"days": int(days), "gap": number(gap, 0)}
        if warning_type == "dormant":
            return {"date": day(today - timedelta(days=int(days))), "days": int(days)}
        return {"recent": int(inquiries), "before": int(inquiries_before)}

    def _detail_templates(self):
        return {
            "growth_spike": self.env._(
                "Sales of the last 6 months: %(recent)s, %(times)s times the 6 months before (%(before)s)."
            ),
            "frequency_drop": self.env._("No order for %(days)s days; it usually orders every %(gap)s days."),
            "dormant": self.env._("No order since %(date)s (%(days)s days)."),
            "inquiries_falling": self.env._(
                "%(recent)s inquiries in the last 3 months, against %(before)s in the 3 months before."
            ),
        }

    def _formatters(self, currency):
        """Formatters of amounts, numbers and dates in the current language, as formatLang and
        format_date give them, set up once for many warnings (those look the language up, and
        res.lang.format parses its grouping, for every figure)."""
        lang = get_lang(self.env)
        grouping = ast.literal_eval(lang.grouping)
        separator, point, date_format = lang.thousands_sep or "", lang.decimal_point, lang.date_format
        symbol, after, decimal_places = currency.symbol, currency.position == "after", currency.decimal_places

        def number(value, digits):
            whole, _dot, decimals = f"{value:.{digits}f}".partition(".")
            whole = intersperse(whole, grouping, separator)[0]
            return f"{whole}{point}{decimals}" if decimals else whole

        def money(value):
            amount = number(value, decimal_places)
            return f"{amount}\N{NO-BREAK SPACE}{symbol}" if after else f"{symbol}\N{NO-BREAK SPACE}{amount}"

        def day(value):
            return value.strftime(date_format)

        return money, number, day

    def _insert_activities(self, to_raise, owners, details, people, today, langs):
        """An activity for the owner of each warning: ``{(customer id, type): activity id}``.

        Inserted in bulk, storing what mail.activity's create would; unlike it, without an
        assignment e-mail (the nightly pass would mail a rep once per warning) and without
        subscribing the assignee to the customer's chatter. The summary is in the owner's
        language (``langs``, one per warning), like the details that make the note.
        """
        keys = [key for key, owner in zip(to_raise, owners, strict=True) if owner]
        if not keys:
            return {}
        type_ids = {warning_type: self.env.ref(xmlid).id for warning_type, xmlid in ACTIVITY_TYPES.items()}
        by_key = dict(zip(to_raise, zip(owners, details, langs, strict=True), strict=True))
        summaries = {
            lang: self.with_context(lang=lang)._activity_summaries() for lang in {by_key[key][2] for key in keys}
        }
        users = self.env["res.users"].browse({by_key[key][0] for key in keys})
        timezones = {user.id: user.tz for user in users}
        bulk = self.env["trade.tiering.bulk"]
        columns = {
            "res_id": ("int4", [partner_id for partner_id, _type in keys]),
            "res_name": ("varchar", [people[partner_id][0] for partner_id, _type in keys]),
            "activity_type_id": ("int4", [type_ids[warning_type] for _partner_id, warning_type in keys]),
            "summary": ("varchar", [summaries[by_key[key][2]][key[1]] for key in keys]),
            "note": ("text", [str(Markup("<p>%s</p>") % by_key[key][1]) for key in keys]),
            "user_id": ("int4", [by_key[key][0] for key in keys]),
            "user_tz": ("varchar", [timezones[by_key[key][0]] for key in keys]),
        }
        constants = {
            "res_model_id": self.env["ir.model"]._get_id("res.partner"),
            "res_model": "res.partner",
            "date_deadline": today,
            "automated": True,
            "active": True,
            **bulk._log_access_values(fields.Datetime.now()),
        }
        rows = bulk._insert("mail_activity", columns, constants, returning=("id", "res_id", "activity_type_id"))
        types = {type_id: warning_type for warning_type, type_id in type_ids.items()}
        self.env["mail.activity"].invalidate_model()
        self.env["res.partner"].invalidate_model(["activity_ids"])
        users._bus_send("mail.activity/updated", {"activity_created": True})
        return {(res_id, types[type_id]): activity_id for activity_id, res_id, type_id in rows}

    def _activity_summaries(self):
        return {
            "growth_spike": self.env._("Upgrade opportunity: purchases jumped"),
            "frequency_drop": self.env._("Retention: the next order is overdue"),
            "dormant": self.env._("Dormant customer: win it back"),
            "inquiries_falling": self.env._("Inquiries falling: find out why"),
        }
