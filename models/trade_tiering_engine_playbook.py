from odoo import models


class TradeTieringEngine(models.AbstractModel):
    _inherit = "trade.tiering.engine"

    def _store(self, company, updates, source, reason=None):
        """Customers whose tier changed (nightly regrade, approved grade request, the admin's
        regrade, an import) get their new tier's playbook: its activity plan and order priority."""
        ids = [pid for pid, update in updates.items() if update.changes_something]
        before = company._tiering_tier_snapshot(ids) if ids else {}
        res = super()._store(company, updates, source, reason=reason)
        if before:
            company._tiering_enter_tiers_since(before, ids)
        return res
