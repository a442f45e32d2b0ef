from odoo.addons.trade_crm_tiering.migrations.field_renames import rename_all


def migrate(cr, version):
    """Before the registry loads the renamed fields, so their data is kept instead of new empty columns made."""
    rename_all(cr)
