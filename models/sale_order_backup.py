"""The backup salesperson reads and works the customer's quotations, orders and leads (#14.2).

Odoo's "own documents" rules of salespeople match the document's ``user_id``; the backup's rules
(security/trade_backup_security.xml) match ``trade_backup_user_id``: the backup of the document's
customer (its commercial entity), stored on the document and indexed, so that the rule is one
more index condition of the query rather than a join through res.partner at every search.
"""

from odoo import fields, models
from odoo.tools import SQL
from odoo.tools.sql import column_exists, create_column


def _prefill_backup_column(model):
    """Create and fill the column in one UPDATE before the ORM sees it: at 1M orders the ORM
    would otherwise compute the new stored field record by record at install."""
    cr = model.env.cr
    table = model._table
    if column_exists(cr, table, "trade_backup_user_id"):
        return
    create_column(cr, table, "trade_backup_user_id", "int4")
    cr.execute(
        SQL(
            """UPDATE %(table)s d SET trade_backup_user_id = cp.tiering_backup_user_id
                 FROM res_partner p JOIN res_partner cp ON cp.id = p.commercial_partner_id
                WHERE p.id = d.partner_id AND cp.tiering_backup_user_id IS NOT NULL""",
            table=SQL.identifier(table),
        )
    )


def _backup_field():
    return fields.Many2one(
        "res.users",
        string="Backup Salesperson",
        related="partner_id.commercial_partner_id.tiering_backup_user_id",
        store=True,
        index="btree_not_null",
        help="The customer's backup salesperson, who reads and works this document too.",
    )


class TradeBackupDocument(models.AbstractModel):
    """A document of a customer (quotation, order, lead) that its backup salesperson works too:
    its column is filled in SQL when the add-on is installed."""

    _name = "trade.backup.document"
    _description = "Document Worked by the Backup Salesperson"

    def _auto_init(self):
        if not self._abstract:
            _prefill_backup_column(self)
        return super()._auto_init()


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "trade.backup.document"]

    trade_backup_user_id = _backup_field()


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "trade.backup.document"]

    trade_backup_user_id = _backup_field()
