from odoo import models
from odoo.tools import SQL
from odoo.tools.mail import generate_tracking_message_id

# PostgreSQL array types of the field types written in bulk.
SQL_TYPES = {
    "float": "float8",
    "selection": "varchar",
    "date": "date",
    "text": "text",
    "many2one": "int4",
    "integer": "int4",
    "char": "varchar",
    "boolean": "bool",
}
UNQUOTED_TYPES = {"int4", "int8", "float8", "numeric", "bool"}


def array_literal(values, pg_type):
    """``values`` (None for NULL) as one PostgreSQL array literal, ``{1,2,NULL}``.

    Passed as one string parameter, a column of 100,000 values is parsed by PostgreSQL in a
    fraction of the time psycopg2's ``ARRAY[...]`` of 100,000 parameters takes to build and parse.
    Text, dates and times are quoted, with backslashes and double quotes escaped. ``False``, the
    ORM's empty value, is NULL too except in a boolean column: written out, it would be stored as
    the text "False" (an activity's time zone that PostgreSQL then refuses in ``AT TIME ZONE``).
    """
    false_is_null = pg_type != "bool"
    if pg_type in UNQUOTED_TYPES:
        items = ("NULL" if value is None or (value is False and false_is_null) else str(value) for value in values)
    else:
        items = (
            "NULL"
            if value is None or (value is False and false_is_null)
            else '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
            for value in values
        )
    return "{" + ",".join(items) + "}"


def _unnest(columns):
    """``unnest(...) AS v(...)`` over ``columns`` (``{name: (sql type, values)}``)."""
    arrays = SQL(", ").join(
        SQL("%s::%s[]", array_literal(values, pg_type), SQL(pg_type)) for pg_type, values in columns.values()
    )
    names = SQL(", ").join(SQL.identifier(name) for name in columns)
    return SQL("unnest(%s) AS v(%s)", arrays, names)


class TradeTieringBulk(models.AbstractModel):
    """The bulk writes of the nightly passes: one INSERT or UPDATE for thousands of rows.

    Grading, scoring, the cadence, lifecycle, warnings, playbooks, tier rules and credit write
    through these instead of the ORM, whose writes go record by record. They write as the
    environment they are called with; callers flush what they read and check access.
    """

    _name = "trade.tiering.bulk"
    _description = "Customer Tiering Bulk Writes"

    def _log_access_values(self, now):
        return {"create_uid": self.env.uid, "create_date": now, "write_uid": self.env.uid, "write_date": now}

    def _insert(self, table, columns, constants, returning=()):
        """INSERT one row per position of ``columns`` (``{name: (sql type, values)}``) plus ``constants``."""
        names = [*columns, *constants]
        query = SQL(
            "INSERT INTO %s (%s) SELECT %s FROM %s",
            SQL.identifier(table),
            SQL(", ").join(SQL.identifier(name) for name in names),
            SQL(", ").join(
                [SQL.identifier("v", name) for name in columns] + [SQL("%s", value) for value in constants.values()]
            ),
            _unnest(columns),
        )
        if returning:
            query = SQL("%s RETURNING %s", query, SQL(", ").join(SQL.identifier(name) for name in returning))
        return self.env.execute_query(query)

    def _insert_notes(self, model, bodies, now, reply_to=True):
        """Chatter notes ``{res id: body}`` on records of ``model``, authored by the current user, as
        _message_log creates them (without ``reply_to``: as _message_log_batch does), in one INSERT.

        Returns ``[(message id, res id)]``.
        """
        author = self.env.user.partner_id
        constants = {
            "model": model,
            "message_type": "notification",
            "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note"),
            "is_internal": True,
            "author_id": author.id,
            "email_from": author.email_formatted,
            "email_add_signature": False,
            "date": now,
            **self._log_access_values(now),
        }
        if reply_to:
            constants["reply_to"] = self.env["mail.thread"]._notify_get_reply_to(default=author.email_formatted)[False]
        columns = {
            "res_id": ("int4", list(bodies)),
            "body": ("text", [str(body) for body in bodies.values()]),
            "message_id": ("varchar", [generate_tracking_message_id("message-notify") for _res_id in bodies]),
        }
        rows = self._insert("mail_message", columns, constants, returning=("id", "res_id"))
        self.env["mail.message"].invalidate_model()
        self.env[model].invalidate_model(["message_ids"])
        return rows

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

    def _write_company_fields(self, company, partner_ids, values):
        """One UPDATE of company-dependent res.partner fields for ``company``.

        ``values``: ``{field: [value of each of partner_ids, by position]}``.
        """
        partners = self.env["res.partner"]
        names = sorted(values)
        partners.flush_model(names)
        cid = str(company.id)
        # Like the ORM, store nothing where the value is the field's fallback (ir.default).
        fallbacks = self.env["ir.default"]._get_model_defaults("res.partner")
        columns = {"id": ("int4", list(partner_ids))}
        for name in names:
            pg_type = SQL_TYPES[partners._fields[name].type]
            fallback = fallbacks.get(name)
            columns[name] = (pg_type, [None if value in (False, fallback) else value for value in values[name]])
        assignments = SQL(", ").join(
            SQL(
                """%(column)s = CASE WHEN %(new)s IS NULL THEN COALESCE(%(old)s, '{}'::jsonb) - %(cid)s
                                     ELSE COALESCE(%(old)s, '{}'::jsonb) || jsonb_build_object(%(cid)s, %(new)s) END""",
                column=SQL.identifier(name),
                new=SQL.identifier("v", name),
                old=SQL.identifier("p", name),
                cid=cid,
            )
            for name in names
        )
        self.env.execute_query(
            SQL(
                "UPDATE res_partner p SET %s FROM %s WHERE p.id = v.id",
                assignments,
                _unnest(columns),
            )
        )
        written = partners.browse(columns["id"][1])
        written.invalidate_recordset(names)
        written.modified(names)
