from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL

from .res_partner_duplicates import CANDIDATES

MAX_KEY_RECORDS = 20  # duplicates.DuplicateConfig.max_key_records: a key shared by more says nothing
REASON_SELECTION = [
    ("vat", "Same VAT"),
    ("name_country", "Same name and country"),
    ("email_domain", "Same email domain"),
    ("phone", "Same phone"),
]


class TradeDuplicateGroup(models.Model):
    """Possible duplicates (查重), for administrators: one row per key 2 to 20 customers share.

    The SQL of ``duplicates.duplicate_groups``' shared keys over the stored, indexed key columns
    (see res_partner_duplicates): one hashed aggregation per kind of key, no customer keyed in
    Python. A row's id is its first customer's id times 8 plus the kind of key, so it stays put
    while the list is open.
    """

    _name = "trade.duplicate.group"
    _description = "Possible Duplicate Customers"
    _auto = False
    _order = "size desc, partner_id"
    _rec_name = "partner_id"
    # What the view reads: flushed before it is searched.
    _depends = {
        "res.partner": [
            "trade_dup_name_key", "trade_dup_vat_key", "trade_dup_domain_key", "trade_dup_phone_key",
            "trade_dup_mobile_key", "country_id", "active", "parent_id", "is_company", "user_id", "company_id", "name",
        ],
        "res.users": ["partner_id"],
    }  # fmt: skip

    reason = fields.Selection(REASON_SELECTION, readonly=True)
    key = fields.Char(string="Shared Key", readonly=True)
    partner_id = fields.Many2one("res.partner", string="First Customer", readonly=True)
    size = fields.Integer(string="Customers", readonly=True)
    partner_names = fields.Char(string="Customers Sharing It", readonly=True)
    salespeople = fields.Char(readonly=True)

    def init(self):
        """One grouped scan per kind of key, only the count and the first customer per key.

        No aggregate is DISTINCT, ordered or an array: PostgreSQL hashes the keys of each kind in
        little memory instead of sorting (or spilling) every key of every customer, and a filter on
        the reason drops the other kinds' scans. The members, their names and salespeople are
        functions of the key (index lookups, see _members_sql): PostgreSQL calls them only for the
        rows it returns (after the sort and limit of a page), never for the search or the count.
        They are PL/pgSQL so the planner does not inline them: inlined, their estimated cost on
        every possible group made a read by id JIT-compile for seconds.
        """
        tools.drop_view_if_exists(self.env.cr, self._table)
        members = self._members_sql()
        for name, returns, body in (
            ("trade_duplicate_members", "int[]", SQL("ARRAY(SELECT m.id FROM (%s) m ORDER BY m.id)", members)),
            (
                "trade_duplicate_names",
                "text",
                SQL("(SELECT string_agg(m.name, ', ' ORDER BY m.id) FROM (%s) m)", members),
            ),
            (
                "trade_duplicate_salespeople",
                "text",
                SQL(
                    """(SELECT string_agg(DISTINCT COALESCE(mp.name, ''), ', ') FROM (%s) m
                         JOIN res_users u ON u.id = m.user_id JOIN res_partner mp ON mp.id = u.partner_id)""",
                    members,
                ),
            ),
        ):
            self.env.cr.execute(
                SQL(
                    """CREATE OR REPLACE FUNCTION %s(group_reason text, group_key text) RETURNS %s
                       LANGUAGE plpgsql STABLE AS $body$ BEGIN RETURN %s; END $body$""",
                    SQL.identifier(name),
                    SQL(returns),
                    body,
                )
            )
        self.env.cr.execute(
            SQL(
                """CREATE OR REPLACE VIEW trade_duplicate_group AS (
                SELECT s.id, s.reason, split_part(s.key, '|', 1) AS key, s.id / 8 AS partner_id, s.size,
                       trade_duplicate_members(s.reason, s.key) AS member_ids,
                       trade_duplicate_names(s.reason, s.key) AS partner_names,
                       trade_duplicate_salespeople(s.reason, s.key) AS salespeople
                  FROM (%s) s
            )""",
                self._shared_keys_sql(),
            )
        )

    @api.model
    def _shared_keys_sql(self):
        """``(reason, key, id, size)`` of the keys 2 to ``MAX_KEY_RECORDS`` customers share.

        ``id`` is MIN(partner id * 8 + kind of key): the first customer and its kind in one number.
        A partner has each key once (its mobile only when it is not its phone): COUNT(*) counts
        customers.
        """
        candidates = SQL(CANDIDATES.replace("ANY(%s)", "ANY(ARRAY(SELECT id FROM res_company))"))
        having = SQL("HAVING COUNT(*) BETWEEN 2 AND %s", MAX_KEY_RECORDS)
        name_key = SQL("p.trade_dup_name_key || '|' || COALESCE(p.country_id::text, '')")
        return SQL(
            """SELECT 'vat' AS reason, p.trade_dup_vat_key AS key, MIN(p.id * 8) AS id, COUNT(*) AS size
                 FROM res_partner p WHERE %(c)s AND p.trade_dup_vat_key IS NOT NULL
                GROUP BY p.trade_dup_vat_key %(having)s
            UNION ALL
               SELECT 'name_country', %(name_key)s, MIN(p.id * 8 + 1), COUNT(*)
                 FROM res_partner p WHERE %(c)s AND p.trade_dup_name_key IS NOT NULL
                GROUP BY %(name_key)s %(having)s
            UNION ALL
               SELECT 'email_domain', p.trade_dup_domain_key, MIN(p.id * 8 + 2), COUNT(*)
                 FROM res_partner p WHERE %(c)s AND p.trade_dup_domain_key IS NOT NULL
                GROUP BY p.trade_dup_domain_key %(having)s
            UNION ALL
               SELECT 'phone', k.key, MIN(k.id8), COUNT(*) FROM (
                   SELECT p.id * 8 + 3 AS id8, p.trade_dup_phone_key AS key
                     FROM res_partner p WHERE %(c)s AND p.trade_dup_phone_key IS NOT NULL
                   UNION ALL
                   SELECT p.id * 8 + 4, p.trade_dup_mobile_key
                     FROM res_partner p WHERE %(c)s AND p.trade_dup_mobile_key IS NOT NULL
                      AND p.trade_dup_mobile_key IS DISTINCT FROM p.trade_dup_phone_key
               ) k GROUP BY k.key %(having)s""",
            c=candidates,
            having=having,
            name_key=name_key,
        )

    @api.model
    def _members_sql(self):
        """The customers (id, name, user_id) sharing ``group_key`` of ``group_reason``: index lookups.

        Each arm is gated on the reason, which PostgreSQL checks once before touching the table.
        """
        candidates = SQL(CANDIDATES.replace("ANY(%s)", "ANY(ARRAY(SELECT id FROM res_company))"))
        return SQL(
            """SELECT p.id, p.name, p.user_id FROM res_partner p
                WHERE group_reason = 'vat' AND p.trade_dup_vat_key = group_key AND %(c)s
            UNION ALL
               SELECT p.id, p.name, p.user_id FROM res_partner p
                WHERE group_reason = 'name_country' AND %(c)s
                  AND p.trade_dup_name_key = regexp_replace(group_key, '[|][^|]*$', '')
                  AND p.trade_dup_name_key || '|' || COALESCE(p.country_id::text, '') = group_key
            UNION ALL
               SELECT p.id, p.name, p.user_id FROM res_partner p
                WHERE group_reason = 'email_domain' AND p.trade_dup_domain_key = group_key AND %(c)s
            UNION ALL
               SELECT p.id, p.name, p.user_id FROM res_partner p
                WHERE group_reason = 'phone' AND %(c)s
                  AND (p.trade_dup_phone_key = group_key OR (p.trade_dup_mobile_key = group_key
                       AND p.trade_dup_mobile_key IS DISTINCT FROM p.trade_dup_phone_key))""",
            c=candidates,
        )

    def _member_ids(self):
        self.ensure_one()
        rows = self.env.execute_query(SQL("SELECT member_ids FROM trade_duplicate_group WHERE id = %s", self.id))
        return sorted(rows[0][0]) if rows else []

    def action_merge(self):
        """Open Odoo's merge wizard on the group's customers (it merges up to 3 at a time)."""
        member_ids = self._member_ids()
        if len(member_ids) < 2:
            raise UserError(self.env._("These customers are no longer possible duplicates; refresh the list."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Merge Customers"),
            "res_model": "base.partner.merge.automatic.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": "res.partner", "active_ids": member_ids[:3]},
        }
