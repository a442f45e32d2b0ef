import base64
import json

from markupsafe import Markup

from odoo import Command, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.tiering_constants import GM_GROUP, REP_GROUP
from ..trade_crm_tiering import exporting, importing, policy

# Up to this many rows, the preview lists every row; beyond, the rows with a problem and those
# that update a customer (the others are counted).
PREVIEW_ALL_ROWS = 2000
MAX_CELL = 32767  # characters in an Excel cell
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TradeCustomerImportWizard(models.TransientModel):
    """Import customers from a spreadsheet: preview every row's problems, then import all or nothing.

    Customers are matched by internal reference, then tax ID, then name and country: a matched
    row updates what differs (empty cells leave values alone, tags are added), the others create
    customers. Grades go through the grading engine and land in the grade history as imports.
    """

    _name = "trade.customer.import.wizard"
    _description = "Import Customers"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    file = fields.Binary(string="Spreadsheet", attachment=False)
    filename = fields.Char()
    state = fields.Selection(
        [("upload", "Upload"), ("preview", "Preview"), ("done", "Done")], default="upload", required=True
    )
    rows_json = fields.Text(help="The cells read at the preview, imported without reading the file again.")
    line_ids = fields.One2many("trade.customer.import.line", "wizard_id", string="Rows")
    create_count = fields.Integer(string="To Create")
    update_count = fields.Integer(string="To Update")
    unchanged_count = fields.Integer(string="Unchanged")
    error_count = fields.Integer(string="With Problems")
    ignored_columns = fields.Char(help="Columns of the file that are not customer columns.")
    preview_note = fields.Char()
    template_file = fields.Binary(string="Template", attachment=False, readonly=True)
    template_filename = fields.Char()

    # ------------------------------------------------------------------
    # Template
    # ------------------------------------------------------------------

    def action_download_template(self):
        self.ensure_one()
        self.write(
            {
                "template_file": base64.b64encode(self._template()),
                "template_filename": self.env._("Customer Import Template.xlsx"),
            }
        )
        return self._download("template_file", "template_filename")

    def _template(self):
        """The import template in the user's language: columns, drop-downs and instructions."""
        sheet = self.env["trade.customer.sheet"]
        labels = sheet._labels()
        tiers = self.env["trade.service.tier"].search([("company_id", "=", self.company_id.id)])
        users = self.env["res.users"].search([("share", "=", False), ("groups_id", "in", self.env.ref(REP_GROUP).id)])
        helps, examples = self._template_help(), self._template_examples()
        choices = {
            "grade": tuple(str(star) for star in range(6)),
            "tier": tuple(tiers.mapped("code")),
            "salesperson": tuple(users.mapped("login")),
            "backup": tuple(users.mapped("login")),
            **{key: tuple(label for _value, label in sheet._choices(key)) for key in ("source", "size_band")},
            "credit_rating": tuple(value for value, _label in sheet._choices("credit_rating")),
            "preferred_channel": tuple(label for _value, label in sheet._choices("preferred_channel")),
        }
        columns = [
            exporting.TemplateColumn(
                labels[column.key],
                required=column.required,
                choices=choices.get(column.key, ()),
                width=max(14, len(labels[column.key]) + 4),
                help=helps.get(column.key, ""),
                example=examples.get(column.key, ""),
            )
            for column in importing.TEMPLATE_COLUMNS
        ]
        return exporting.write_template(
            self.env._("Customers"),
            columns,
            self.env._("Instructions"),
            (self.env._("Column"), self.env._("Required"), self.env._("What to enter"), self.env._("Example")),
            notes=(
                self.env._("How to fill in the customer sheet"),
                self.env._(
                    "One customer per row, on the first sheet. Customers are matched by customer code, then tax "
                    "ID, then name and country: a match is updated, other rows create customers."
                ),
                self.env._(
                    "Empty cells leave what is stored alone; tags are added to the customer's tags. Rows with a "
                    "problem are listed in the preview, and nothing is imported until there are none."
                ),
            ),
        )

    def _template_help(self):
        return {
            "ref": self.env._("Your code for the customer; matches existing customers first."),
            "name": self.env._("The customer's company name."),
            "country": self.env._("Country name or two-letter code (DE, AE...)."),
            "vat": self.env._("Tax or VAT number; matches existing customers when there is no code."),
            "industry": self.env._("An industry of Odoo's list."),
            "salesperson": self.env._("Login, name or email of a user."),
            "backup": self.env._("Login, name or email of a user: the backup salesperson."),
            "grade": self.env._(
                "Star grade, 0 to 5. Above what the customer buys, it waits for approval as a grade request, "
                "unless you are the general manager."
            ),
            "tier": self.env._("Optional check: the service tier the grade gives."),
            "source": self.env._("Where the customer came from."),
            "declared_volume": self.env._("What the customer says it buys a year, a number."),
            "target_price": self.env._("A number."),
            "credit_rated_on": self.env._("A date, YYYY-MM-DD."),
            "founded_on": self.env._("A date, YYYY-MM-DD."),
            "tags": self.env._("Tag names separated by commas, e.g. Middle East, Plywood."),
            "notes": self.env._("Free text."),
        }

    def _template_examples(self):
        return {
            "ref": "C00042",
            "name": "Gulf Star Building Materials LLC",
            "country": "AE",
            "email": "purchasing@gulfstar.example.com",
            "grade": "4",
            "declared_volume": "1500000",
            "founded_on": "1998-06-15",
        }

    # ------------------------------------------------------------------
    # Preview
    # ------------------------------------------------------------------

    def action_preview(self):
        self.ensure_one()
        self._check_import_company()
        if not self.file:
            raise UserError(self.env._("Choose the spreadsheet to import."))
        try:
            rows, ignored = importing.read_rows(base64.b64decode(self.file), self._sheet()._header_map())
        except importing.ImportFileError as error:
            raise UserError(self._file_message(error)) from None
        plans = self._plan(rows)
        self._show(plans, ignored)
        self.rows_json = json.dumps(rows)
        return self._reopen()

    def _sheet(self):
        return self.env["trade.customer.sheet"].with_company(self.company_id)

    def _check_import_company(self):
        if self.company_id not in self.env.user.company_ids and not self.env.su:
            raise AccessError(
                self.env._("You cannot import customers into %(company)s.", company=self.company_id.display_name)
            )

    def _stored_rows(self):
        """The rows read at the preview, checked to be what the preview stores: ``[(row, {column: text})]``.

        ``rows_json`` is a field of the user's own wizard, so it may hold anything: a shape other
        than the preview's is refused, whatever it says.
        """
        try:
            rows = json.loads(self.rows_json)
        except ValueError:
            rows = None
        columns = {column.key for column in importing.COLUMNS if not column.export_only}
        valid = (
            isinstance(rows, list)
            and 0 < len(rows) <= importing.MAX_ROWS
            and all(
                isinstance(row, list)
                and len(row) == 2
                and type(row[0]) is int
                and 1 < row[0] <= importing.MAX_ROWS + 1
                and isinstance(row[1], dict)
                and set(row[1]) <= columns
                and all(isinstance(text, str) and len(text) <= MAX_CELL for text in row[1].values())
                for row in rows
            )
        )
        if not valid:
            raise UserError(
                self.env._(
                    "The previewed rows are not valid: upload the file and preview it again. Nothing was imported."
                )
            )
        return [(number, raw) for number, raw in rows]

    def _plan(self, rows):
        sheet = self._sheet()
        plans = importing.check_rows(rows, sheet._lookups(self.company_id))
        sheet._normalise(plans)
        importing.match_rows(plans, sheet._existing(self.company_id))
        matched = [plan.partner_id for plan in plans if plan.partner_id]
        return importing.plan_changes(plans, sheet._current(self.company_id, matched))

    def _show(self, plans, ignored):
        counts = importing.counts(plans)
        listed = [plan for plan in plans if len(plans) <= PREVIEW_ALL_ROWS or plan.action in ("error", "update")]
        labels = self._sheet()._labels()
        messages = self._problem_messages()
        self.line_ids = [Command.clear()] + [
            Command.create(
                {
                    "row": plan.row,
                    "name": plan.name,
                    "action": plan.action,
                    "partner_id": plan.partner_id,
                    "problems": "\n".join(self._problem_text(problem, labels, messages) for problem in plan.problems),
                    "changes": ", ".join(labels[key] for key in plan.changes) if plan.action == "update" else False,
                }
            )
            for plan in listed
        ]
        self.write(
            {
                "state": "preview",
                "create_count": counts["create"],
                "update_count": counts["update"],
                "unchanged_count": counts["unchanged"],
                "error_count": counts["error"],
                "ignored_columns": ", ".join(ignored) or False,
                "preview_note": (
                    self.env._("%(count)s rows: the rows with a problem and the updates are listed.", count=len(plans))
                    if len(listed) < len(plans)
                    else False
                ),
            }
        )

    # ------------------------------------------------------------------
    # Import
    # ------------------------------------------------------------------

    def action_import(self):
        """Import every row, or nothing: all in this transaction."""
        self.ensure_one()
        if self.state != "preview" or not self.rows_json:
            raise UserError(self.env._("Preview the file before importing it."))
        self._check_import_company()
        rows = self._stored_rows()
        # The rows are checked again: the database may have changed since the preview, and the
        # stored cells are only text to read again, never trusted values.
        plans = self._plan(rows)
        errors = importing.counts(plans)["error"]
        if errors:
            raise UserError(
                self.env._(
                    "%(count)s rows have problems: correct them in the file and preview it again. Nothing was "
                    "imported.",
                    count=errors,
                )
            )
        created, updated, graded, requested = self._apply(plans)
        self.write({"state": "done", "create_count": created, "update_count": updated, "line_ids": [Command.clear()]})
        self.preview_note = self.env._(
            "%(created)s customers created, %(updated)s updated, %(graded)s grades set.",
            created=created,
            updated=updated,
            graded=graded,
        )
        if requested:
            self.preview_note += " " + self.env._(
                "%(count)s grades above what the customers' purchases give wait for approval as grade requests.",
                count=requested,
            )
        return self._reopen()

    def _apply(self, plans):
        sheet = self._sheet()
        partners = (
            self.env["res.partner"]
            .with_company(self.company_id)
            # No "created" message nor tracking per imported customer: the grade history and the
            # import itself say where they came from.
            .with_context(tracking_disable=True, mail_create_nolog=True, mail_create_nosubscribe=True)
        )
        creates = [plan for plan in plans if plan.action == "create"]
        updates = [plan for plan in plans if plan.action == "update"]
        teams = self._teams({plan.changes.get("salesperson") for plan in creates} - {None})
        grades = {}
        vals_list = []
        for plan in creates:
            values = {**sheet._partner_values(plan), "is_company": True, "customer_rank": 1}
            if plan.changes.get("salesperson"):
                # Given, the team is not computed one customer at a time.
                values["team_id"] = teams.get(plan.changes["salesperson"], False)
            vals_list.append(values)
        if creates:
            created = sheet.with_context(
                tracking_disable=True, mail_create_nolog=True, mail_create_nosubscribe=True
            )._create_customers(vals_list)
            for plan, partner in zip(creates, created, strict=True):
                if "grade" in plan.changes:
                    grades[partner.id] = plan.values["grade"]
        # Customers given the same values are written together, one write per distinct set of
        # values rather than one per customer: a re-import often changes one column the same way
        # on many rows (a new salesperson, a tag added).
        writes = {}
        for plan in updates:
            values = sheet._partner_values(plan)
            if values:
                key = tuple(
                    sorted((name, tuple(value) if isinstance(value, list) else value) for name, value in values.items())
                )
                writes.setdefault(key, (values, []))[1].append(plan.partner_id)
            if "grade" in plan.changes:
                grades[plan.partner_id] = plan.values["grade"]
        for values, partner_ids in writes.values():
            partners.browse(partner_ids).write(values)
        # What the writes make to compute (sales team, normalised email...) is computed here,
        # untracked: at a later flush, mail.thread would track it customer by customer.
        partners.flush_model()
        reason = self.env._("Imported from %(file)s", file=self.filename or self.env._("a spreadsheet"))
        requests = self.env["trade.grade.request"]
        if not self._may_grade():
            grades, requested = self._split_grades(grades)
            requests = self._open_grade_requests(requested, reason)
        self.env["trade.tiering.engine"]._store_imported(self.company_id, grades, reason)
        return len(creates), len(updates), len(grades), len(requests)

    def _open_grade_requests(self, requested, reason):
        """One grade request per grade of ``requested`` (``{partner id: stars}``), submitted in the
        importing user's name through the normal approval chain."""
        # sudo: the source and the requester are workflow fields that users do not write.
        requests = (
            self.env["trade.grade.request"]
            .sudo()
            .with_company(self.company_id)
            .create(
                [
                    {
                        "partner_id": partner_id,
                        "company_id": self.company_id.id,
                        "requester_id": self.env.uid,
                        "source": "import",
                        "requested_star": str(stars),
                        "reason": reason,
                    }
                    for partner_id, stars in requested.items()
                ]
            )
        )
        for request in requests:
            try:
                with self.env.cr.savepoint():
                    request.action_submit()
            except UserError as error:
                # Nobody to approve it (or already waiting): the request stays a draft, saying why.
                request.message_post(body=Markup("<p>%s</p>") % error.args[0])
        return requests

    def _may_grade(self):
        """Whether the grades of the sheet apply as they are: only the general manager's do."""
        return self.env.su or self.env.user.has_group(GM_GROUP)

    def _split_grades(self, grades):
        """``(applied, requested)`` of ``{partner id: stars}`` for a user who may not grade.

        A grade above what the customer's purchases give goes through a grade request. One at or
        below it is left to the engine (which grades from the purchases), except where it changes
        nothing: a sheet may neither lower a customer served above its purchases (only a
        supervisor withdraws a potential grade) nor set a grade the purchases do not give.
        """
        today = fields.Date.context_today(self)
        states = self.env["trade.tiering.engine"].sudo()._read_states(self.company_id, list(grades), today)
        requested = {}
        for partner_id, stars in grades.items():
            state = states[partner_id].grade if partner_id in states else policy.GradeState()
            if stars > state.actual and policy.imported(state, stars) is not None:
                requested[partner_id] = stars
        return {}, requested

    def _teams(self, user_ids):
        teams = self.env["crm.team"]
        domain = teams._check_company_domain(self.company_id)
        return {user_id: teams._get_default_team_id(user_id=user_id, domain=domain).id for user_id in user_ids}

    # ------------------------------------------------------------------
    # Messages
    # ------------------------------------------------------------------

    def _file_message(self, error):
        labels = self._sheet()._labels()
        if error.code == "unreadable":
            return self.env._(
                "The file cannot be read as an Excel workbook (.xlsx): %(error)s", error=error.params["error"]
            )
        if error.code == "no_name_column":
            return self.env._(
                "The first sheet has no “%(column)s” column: download the template to see the columns.",
                column=labels["name"],
            )
        if error.code in ("file_too_big", "unpacked_too_big", "too_many_rows", "too_many_columns"):
            return self._file_limit_message(error)
        if error.code == "duplicate_column":
            return self.env._("Two columns are “%(column)s”.", column=labels[error.params["column"]])
        return self.env._("The file has no customer rows.")

    def _file_limit_message(self, error):
        params = error.params
        if error.code == "file_too_big":
            return self.env._(
                "The file is too big: %(size)s MB, at most %(limit)s MB. Split it into smaller files.",
                size=round(params["size"] / 1024 / 1024, 1),
                limit=round(params["limit"] / 1024 / 1024),
            )
        if error.code == "unpacked_too_big":
            return self.env._(
                "The file unpacks to %(size)s MB, at most %(limit)s MB. Split it into smaller files.",
                size=round(params["size"] / 1024 / 1024, 1),
                limit=round(params["limit"] / 1024 / 1024),
            )
        if error.code == "too_many_rows":
            return self.env._(
                "The first sheet has %(rows)s rows: at most %(limit)s customers per file. Split it, or delete "
                "the empty rows below the customers.",
                rows=params["rows"],
                limit=params["limit"],
            )
        return self.env._(
            "The first sheet has %(columns)s columns: at most %(limit)s. Delete the columns to the right of "
            "the customer columns.",
            columns=params["columns"],
            limit=params["limit"],
        )

    def _problem_messages(self):
        """Problem code -> translated message, its %(column)s, %(value)s and %(row)s filled later."""
        return {
            "missing_name": self.env._("Customer name missing."),
            "unknown_user": self.env._("%(column)s: no user is called “%(value)s”."),
            "ambiguous_user": self.env._("%(column)s: several users are called “%(value)s”; use the login."),
            "unknown_country": self.env._("Unknown country “%(value)s”."),
            "unknown_industry": self.env._("Unknown industry “%(value)s”."),
            "unknown_tier": self.env._("Unknown service tier “%(value)s”."),
            "tier_grade_mismatch": self.env._("Service tier “%(value)s” does not serve this star grade."),
            "tier_without_grade": self.env._(
                "Service tier “%(value)s” without a star grade: give the grade, the tier follows from it."
            ),
            "unknown_choice": self.env._("%(column)s: “%(value)s” is not one of the choices."),
            "unknown_tag": self.env._("Unknown tag “%(value)s”."),
            "ambiguous_tag": self.env._("Several tags are called “%(value)s”: write it as Family / Tag."),
            "not_a_number": self.env._("%(column)s: “%(value)s” is not a number."),
            "negative_amount": self.env._("%(column)s: “%(value)s” cannot be negative."),
            "not_a_date": self.env._("%(column)s: “%(value)s” is not a date; write it as YYYY-MM-DD."),
            "grade_range": self.env._("Star grade “%(value)s” is out of range: 0 to 5."),
            "bad_email": self.env._("“%(value)s” is not an email address."),
            "duplicate_row": self.env._("Duplicate row: the same customer as row %(row)s."),
            "ambiguous_match": self.env._(
                "Several stored customers have this code, tax ID, or name and country: it is unclear which to update."
            ),
        }

    def _problem_text(self, problem, labels, messages):
        return messages[problem.code] % {
            "column": labels.get(problem.column, ""),
            "value": problem.value or "",
            "row": problem.row or "",
        }

    # ------------------------------------------------------------------

    def action_back(self):
        self.ensure_one()
        self.write({"state": "upload", "line_ids": [Command.clear()], "rows_json": False})
        return self._reopen()

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Import Customers"),
        }

    def _download(self, field, filename_field):
        # The type is given: guessing it from the file's first kilobyte fails for xlsx (a zip
        # whose directory is at its end) and logs a warning on every download.
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content?model={self._name}&id={self.id}&field={field}"
            f"&filename_field={filename_field}&download=true&mimetype={XLSX_MIMETYPE}",
            "target": "self",
        }
