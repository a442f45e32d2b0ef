from odoo import models


class MergePartnerAutomatic(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _update_values(self, src_partners, dst_partner):
        # The merge writes every field of the merged partners onto the one kept, as the user; the
        # system fields are left out of that write (see ResPartner.write) rather than refused. Odoo
        # itself fills the kept partner's empty per-company values from the merged ones' in SQL,
        # and the next regrade counts the orders that moved with them.
        return super()._update_values(src_partners, dst_partner.with_context(tiering_merge=True))
