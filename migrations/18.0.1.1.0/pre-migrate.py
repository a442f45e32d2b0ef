from odoo.addons.trade_crm_tiering.migrations.field_renames import FIELD_RENAMES, rename_fields


def migrate(cr, version):
    """Before the registry loads the renamed fields, so their data is kept instead of new empty columns made."""
    rename_fields(cr, FIELD_RENAMES)
