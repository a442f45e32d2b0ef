"""The backup salesperson is a real role (#14.2, seed 000 AB角).

* The backup follows the customer: it is made a follower when it becomes the backup and stops
  following when it no longer is (unless it is the salesperson), one subscription call per user
  however many customers change.
* Only supervisors and administrators give a customer another backup, as they give it another
  salesperson; the pool release and the handover do it under sudo.
* ``tiering_backup_missing_since``: since when the customer lacks the backup its tier requires, per company.
  The system keeps it: stamped when a user removes the backup, and each night for what the night
  sees (a tier that came to require a backup); cleared when a backup is given. The missing-backup
  warning (trade_customer_warning_backup.py) is raised after 7 days of it.
"""

from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError

from .res_partner import BACKUP_SYSTEM_FIELDS
from .tiering_constants import REASSIGN_GROUPS


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Indexed where set (few customers have a backup): the record rules of warnings and the
    # "served" condition of res_partner_access.py look customers up by their backup.
    tiering_backup_user_id = fields.Many2one(index="btree_not_null")
    tiering_backup_missing_since = fields.Date(
        company_dependent=True,
        index=False,
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="Since when the customer has had no backup salesperson although its tier requires one. "
        "A warning goes to the supervisor after 7 days.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                self._tiering_check_backup_system_write(vals)
        partners = super().create(vals_list)
        partners.filtered("tiering_backup_user_id")._tiering_backup_follow()
        return partners

    def write(self, vals):
        if self.env.context.get("tiering_merge"):
            # Odoo's merge copies every field; the date is the system's to set.
            vals = {name: value for name, value in vals.items() if name not in BACKUP_SYSTEM_FIELDS}
        self._tiering_check_backup_system_write(vals)
        if "tiering_backup_user_id" not in vals:
            return super().write(vals)
        changed = self._tiering_check_backup_change(vals)
        previous = {partner.id: partner.tiering_backup_user_id for partner in changed}
        res = super().write(vals)
        if changed:
            changed._tiering_backup_unfollow(previous)
            changed._tiering_backup_follow()
            changed._tiering_backup_refresh_missing()
        return res

    def _tiering_check_backup_system_write(self, vals):
        if not self.env.su and set(BACKUP_SYSTEM_FIELDS).intersection(vals):
            raise AccessError(
                self.env._(
                    "Since when a customer has had no backup salesperson is kept by the system; give the "
                    "customer a backup salesperson instead."
                )
            )

    def _tiering_check_backup_change(self, vals):
        """The partners whose backup ``vals`` changes, once the change is allowed.

        As for the salesperson (res_partner._tiering_check_ownership): supervisors, sales managers
        and tiering administrators set backups; a rep cannot make themselves (or anyone) the backup
        of a customer and so read its orders and leads. A write that changes nothing passes.
        """
        backup_id = vals["tiering_backup_user_id"] or False
        changed = self.filtered(lambda p: p.tiering_backup_user_id.id != backup_id)
        if changed and not self.env.su and not any(self.env.user.has_group(g) for g in REASSIGN_GROUPS):
            raise AccessError(
                self.env._(
                    "Only sales supervisors and administrators can change the backup salesperson of "
                    "%(customers)s: ask your supervisor.",
                    customers=", ".join(changed[:5].sudo().mapped("display_name")),
                )
            )
        return changed

    # ------------------------------------------------------------------
    # Followers
    # ------------------------------------------------------------------

    def _tiering_backup_follow(self):
        """Each backup follows its customers: one subscription per backup."""
        by_backup = defaultdict(list)
        for partner in self:
            if partner.tiering_backup_user_id.partner_id:
                by_backup[partner.tiering_backup_user_id.partner_id.id].append(partner.id)
        # sudo: following is the consequence of the role, whoever gave it.
        for follower_id, partner_ids in by_backup.items():
            self.browse(partner_ids).sudo().message_subscribe(partner_ids=[follower_id])

    def _tiering_backup_unfollow(self, previous):
        """The former backups stop following, unless they serve the customer otherwise (salesperson)."""
        by_backup = defaultdict(list)
        for partner in self:
            old = previous.get(partner.id)
            if old and old not in (partner.tiering_backup_user_id, partner.user_id) and old.partner_id:
                by_backup[old.partner_id.id].append(partner.id)
        for follower_id, partner_ids in by_backup.items():
            self.browse(partner_ids).sudo().message_unsubscribe(partner_ids=[follower_id])

    # ------------------------------------------------------------------
    # Missing backups
    # ------------------------------------------------------------------

    def _tiering_backup_refresh_missing(self):
        """Stamp or clear ``tiering_backup_missing_since`` of these customers in every company, and close
        the missing-backup warnings of those that have one again (one pass per company)."""
        customers = self.filtered(lambda p: not p.parent_id)
        if not customers:
            return
        warnings = self.env["trade.customer.warning"].sudo()
        for company in self.env["res.company"].sudo().search([]):  # pylint: disable=no-search-all
            warnings.with_company(company)._tiering_sync_missing_backups(company, customers.ids)
