"""The backup salesperson and the early warnings (#14.2).

* A copy for the backup: when a warning is raised, the customer's backup salesperson (active, of the
  company, not the warning's owner) gets the same activity, in its own language, inserted in bulk
  with the owner's. It goes when the warning is closed or dismissed.
* Missing backups: a customer whose tier requires a backup salesperson and that has had none for
  more than MISSING_BACKUP_DAYS days raises a warning for its supervisor, once per episode like the
  others. The nightly cadence pass syncs it for each company in one search and one write; giving the
  customer a backup closes it at once.
"""

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..trade_crm_tiering import early_warnings, tiering_day

MISSING_BACKUP = "missing_backup"
# A customer may be without its backup this many days (a handover, a leave) before the warning.
MISSING_BACKUP_DAYS = 7


class TradeCustomerWarning(models.Model):
    _inherit = "trade.customer.warning"

    backup_activity_id = fields.Many2one(
        "mail.activity",
        string="Backup's Activity",
        readonly=True,
        ondelete="set null",
        help="The copy of the warning's activity for the customer's backup salesperson.",
    )

    # ------------------------------------------------------------------
    # The scoring pass leaves missing backups alone
    # ------------------------------------------------------------------

    def _open_warnings(self, company, partner_range=None):
        # The scoring pass compares the types it evaluates: missing backups are the cadence pass's.
        found = super()._open_warnings(company, partner_range)
        return {key: warning_id for key, warning_id in found.items() if key[1] != MISSING_BACKUP}

    # ------------------------------------------------------------------
    # A copy for the backup salesperson
    # ------------------------------------------------------------------

    def _raise(self, company, to_raise, figures, today):
        res = super()._raise(company, to_raise, figures, today)
        self._tiering_copy_to_backups(
            company, to_raise, today, lambda keys, langs: self._details(company, keys, figures, today, langs)
        )
        return res

    def _tiering_copy_to_backups(self, company, raised, today, details_of):
        """Give the backup of each customer of ``raised`` (``[(customer id, type)]``, raised today)
        a copy of the warning's activity; ``details_of(keys, langs)`` gives the notes."""
        if not raised:
            return
        self.flush_model()
        self.env["res.partner"].flush_model(["tiering_backup_user_id", "complete_name"])
        rows = self.env.execute_query(
            SQL(
                """SELECT w.id, w.partner_id, w.warning_type, p.tiering_backup_user_id, p.complete_name
                     FROM trade_customer_warning w
                     JOIN res_partner p ON p.id = w.partner_id
                     JOIN res_users u ON u.id = p.tiering_backup_user_id
                    WHERE w.company_id = %(company)s AND w.state = 'open' AND w.date_raised = %(today)s
                      AND w.backup_activity_id IS NULL
                      AND (w.partner_id, w.warning_type) IN
                          (SELECT * FROM unnest(%(ids)s::int4[], %(types)s::varchar[]))
                      AND u.active AND NOT u.share AND p.tiering_backup_user_id IS DISTINCT FROM w.user_id
                      AND EXISTS (SELECT 1 FROM res_company_users_rel r WHERE r.user_id = u.id AND r.cid = %(company)s)
                    ORDER BY w.id""",
                company=company.id,
                today=today,
                ids=[partner_id for partner_id, _type in raised],
                types=[warning_type for _partner_id, warning_type in raised],
            )
        )
        if not rows:
            return
        keys = [(partner_id, warning_type) for _id, partner_id, warning_type, _backup, _name in rows]
        backups = [backup for *_key, backup, _name in rows]
        user_langs = self.env["trade.tiering.engine"]._user_langs(backups, company)
        langs = [user_langs[backup] for backup in backups]
        people = {partner_id: (name,) for _id, partner_id, _type, _backup, name in rows}
        activities = self._insert_activities(keys, backups, details_of(keys, langs), people, today, langs)
        warning_ids = [row[0] for row in rows]
        self.env.execute_query(
            SQL(
                """UPDATE trade_customer_warning w SET backup_activity_id = v.activity_id
                     FROM unnest(%s::int4[], %s::int4[]) AS v(id, activity_id) WHERE w.id = v.id""",
                warning_ids,
                [activities.get(key) for key in keys],
            )
        )
        self.browse(warning_ids).invalidate_recordset(["backup_activity_id"])

    def _close(self, warning_ids, today):
        copies = self.env["mail.activity"]
        if warning_ids:
            self.flush_model(["backup_activity_id"])
            rows = self.env.execute_query(
                SQL(
                    """SELECT backup_activity_id FROM trade_customer_warning
                        WHERE id = ANY(%s) AND backup_activity_id IS NOT NULL""",
                    list(warning_ids),
                )
            )
            copies = copies.browse([row[0] for row in rows])
        res = super()._close(warning_ids, today)
        copies.exists().unlink()
        return res

    def action_dismiss(self):
        copies = self.filtered(lambda warning: warning.state == "open").backup_activity_id
        res = super().action_dismiss()
        # sudo: the copy is assigned to the backup; dismissing removes it with the owner's.
        copies.sudo().exists().unlink()
        return res

    def _activity_summaries(self):
        return {**super()._activity_summaries(), MISSING_BACKUP: self.env._("Missing backup: give the customer one")}

    # ------------------------------------------------------------------
    # Missing backups
    # ------------------------------------------------------------------

    @api.model
    def _tiering_sync_missing_backups(self, company, partner_ids=None):
        """Keep ``tiering_backup_missing_since`` of ``company``'s customers (those of ``partner_ids``, or
        all) and raise or close their missing-backup warnings.

        One search of the customers missing a backup, one read of the stored dates, one write of
        those that changed, then the warnings: set-based at 100k customers.
        """
        today = tiering_day.today()
        partners = self.env["res.partner"].with_company(company)
        domain = [("tiering_backup_missing", "=", True), ("parent_id", "=", False)]
        if partner_ids is not None:
            domain.append(("id", "in", list(partner_ids)))
        missing = set(partners.search(domain).ids)
        since = self._tiering_backup_missing_since(company, partner_ids)
        cleared = [partner_id for partner_id in since if partner_id not in missing]
        stamped = sorted(missing - set(since))
        if cleared or stamped:
            self.env["trade.tiering.bulk"]._write_company_fields(
                company,
                cleared + stamped,
                {"tiering_backup_missing_since": [None] * len(cleared) + [today] * len(stamped)},
            )
        since.update(dict.fromkeys(stamped, today))
        limit = today - timedelta(days=MISSING_BACKUP_DAYS)
        holding = {partner_id for partner_id in missing if since[partner_id] < limit}
        to_raise, to_close = early_warnings.episodes(
            {MISSING_BACKUP: holding}, self._tiering_open_missing_backups(company, partner_ids)
        )
        self._close(to_close, today)
        self._tiering_raise_missing_backups(company, to_raise, since, today)
        return {"missing": len(missing), "raised": len(to_raise), "closed": len(to_close)}

    def _tiering_backup_missing_since(self, company, partner_ids=None):
        self.env["res.partner"].flush_model(["tiering_backup_missing_since"])
        scope = SQL("AND id = ANY(%s)", list(partner_ids)) if partner_ids is not None else SQL()
        rows = self.env.execute_query(
            SQL(
                """SELECT id, (tiering_backup_missing_since ->> %(cid)s)::date FROM res_partner
                    WHERE tiering_backup_missing_since -> %(cid)s IS NOT NULL %(scope)s""",
                cid=str(company.id),
                scope=scope,
            )
        )
        return dict(rows)

    def _tiering_open_missing_backups(self, company, partner_ids=None):
        self.flush_model()
        scope = SQL("AND partner_id = ANY(%s)", list(partner_ids)) if partner_ids is not None else SQL()
        rows = self.env.execute_query(
            SQL(
                """SELECT partner_id, id FROM trade_customer_warning
                    WHERE company_id = %s AND warning_type = %s AND state != 'closed' %s""",
                company.id,
                MISSING_BACKUP,
                scope,
            )
        )
        return {(partner_id, MISSING_BACKUP): warning_id for partner_id, warning_id in rows}

    def _tiering_raise_missing_backups(self, company, to_raise, since, today):
        """The warnings of ``to_raise`` for each customer's supervisor (else its salesperson), with
        their activities, inserted in bulk as _raise does for the scoring pass's warnings."""
        if not to_raise:
            return
        people = self._people(company, sorted({partner_id for partner_id, _type in to_raise}))
        owners = [people[partner_id][2] or people[partner_id][1] for partner_id, _type in to_raise]
        engine = self.env["trade.tiering.engine"]
        user_langs = engine._user_langs(owners, company)
        langs = [user_langs[owner] for owner in owners]
        texts = {}
        for lang in set(langs):
            warnings = self.with_context(lang=lang)
            texts[lang] = (
                warnings.env._(
                    "No backup salesperson since %(date)s (%(days)s days), although the customer's tier requires one."
                ),
                warnings._formatters(company.tiering_currency_id)[2],
            )
        details = []
        for (partner_id, _type), lang in zip(to_raise, langs, strict=True):
            template, day = texts[lang]
            details.append(template % {"date": day(since[partner_id]), "days": (today - since[partner_id]).days})
        activities = self._insert_activities(to_raise, owners, details, people, today, langs)
        self._insert_warnings(company, to_raise, owners, details, activities, today)


class TradeTieringNightly(models.AbstractModel):
    _inherit = "trade.tiering.nightly"

    def _unit_cadence(self, company, cursor):
        result = super()._unit_cadence(company, cursor)
        self.env["trade.customer.warning"].with_company(company)._tiering_sync_missing_backups(company)
        return result
