from odoo import fields, models, tools
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
    (see res_partner_duplicates): one aggregation, no customer keyed in Python. A row's id is its
    first customer's id times 8 plus the kind of key, so it stays put while the list is open.
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
        tools.drop_view_if_exists(self.env.cr, self._table)
        candidates = CANDIDATES.replace("ANY(%s)", "ANY(ARRAY(SELECT id FROM res_company))")
        self.env.cr.execute(
            SQL(
                """CREATE OR REPLACE VIEW trade_duplicate_group AS (
                WITH keyed AS (
                    SELECT p.id, 0 AS kind, 'vat' AS reason, p.trade_dup_vat_key AS key
                      FROM res_partner p WHERE %(candidates)s AND p.trade_dup_vat_key IS NOT NULL
                    UNION ALL
                    SELECT p.id, 1, 'name_country', p.trade_dup_name_key || '|' || COALESCE(p.country_id::text, '')
                      FROM res_partner p WHERE %(candidates)s AND p.trade_dup_name_key IS NOT NULL
                    UNION ALL
                    SELECT p.id, 2, 'email_domain', p.trade_dup_domain_key
                      FROM res_partner p WHERE %(candidates)s AND p.trade_dup_domain_key IS NOT NULL
                    UNION ALL
                    SELECT p.id, 3, 'phone', p.trade_dup_phone_key
                      FROM res_partner p WHERE %(candidates)s AND p.trade_dup_phone_key IS NOT NULL
                    UNION ALL
                    SELECT p.id, 4, 'phone', p.trade_dup_mobile_key
                      FROM res_partner p WHERE %(candidates)s AND p.trade_dup_mobile_key IS NOT NULL
                       AND p.trade_dup_mobile_key IS DISTINCT FROM p.trade_dup_phone_key
                ), shared AS (
                    SELECT reason, key, MIN(id) AS partner_id, COUNT(DISTINCT id) AS size,
                           (ARRAY_AGG(kind ORDER BY id, kind))[1] AS kind, ARRAY_AGG(DISTINCT id) AS member_ids
                      FROM keyed GROUP BY reason, key
                    HAVING COUNT(DISTINCT id) BETWEEN 2 AND %(limit)s
                )
                SELECT s.partner_id * 8 + s.kind AS id, s.reason, split_part(s.key, '|', 1) AS key,
                       s.partner_id, s.size, s.member_ids,
                       (SELECT string_agg(m.name, ', ' ORDER BY m.id) FROM res_partner m
                         WHERE m.id = ANY(s.member_ids)) AS partner_names,
                       (SELECT string_agg(DISTINCT COALESCE(mp.name, ''), ', ') FROM res_partner m
                          JOIN res_users u ON u.id = m.user_id JOIN res_partner mp ON mp.id = u.partner_id
                         WHERE m.id = ANY(s.member_ids)) AS salespeople
                  FROM shared s
            )""",
                candidates=SQL(candidates),
                limit=MAX_KEY_RECORDS,
            )
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
