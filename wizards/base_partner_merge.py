from odoo import models
from odoo.tools import SQL


class MergePartnerAutomatic(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _update_values(self, src_partners, dst_partner):
        # The merge writes every field of the merged partners onto the one kept, as the user; the
        # system fields are left out of that write (see ResPartner.write) rather than refused. Odoo
        # itself fills the kept partner's empty per-company values from the merged ones' in SQL,
        # and the next regrade counts the orders that moved with them.
        return super()._update_values(src_partners, dst_partner.with_context(tiering_merge=True))

    def _merge(self, partner_ids, dst_partner=None, extra_checks=True):
        """Regrade the surviving customer from the union of the orders, in every company.

        Odoo re-points every many2one to the merged partners (their orders, grade histories and
        grade requests with their approval steps) onto the survivor in SQL; the grade it is served
        at must then follow the orders it now has, not the one it had alone.
        """
        partners = self.env["res.partner"].browse(partner_ids).exists()
        res = super()._merge(partner_ids, dst_partner=dst_partner, extra_checks=extra_checks)
        survivor = partners.exists().commercial_partner_id
        if len(partners) >= 2 and len(survivor) == 1:
            engine = self.env["trade.tiering.engine"]
            for company in self._tiering_companies(survivor):
                engine._regrade(company, survivor.ids)
        return res

    def _tiering_companies(self, survivor):
        """The companies the survivor has orders or grades in: the others have nothing to regrade."""
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """SELECT o.company_id FROM sale_order o JOIN res_partner p ON p.id = o.partner_id
                    WHERE p.commercial_partner_id = %(id)s
                    UNION SELECT company_id FROM trade_grade_history WHERE partner_id = %(id)s""",
                id=survivor.id,
            )
        )
        return self.env["res.company"].sudo().browse(sorted(row[0] for row in rows))
