from odoo.tools import SQL


def post_init_hook(env):
    """Existing companies get the default grading currency (USD), made active, and service tiers;
    Sales' Discounts setting is turned on."""
    companies = env["res.company"].search([])
    companies._tiering_activate_currency()
    companies._tiering_create_default_tiers()
    companies._tiering_assign_tiers()
    _enable_line_discounts(env)


def _enable_line_discounts(env):
    """Turn on Sales' "Discounts" setting, as Settings does, for every internal user.

    The tiers' discount authority is about line discounts, and Odoo hides the Discount column of
    order lines until the setting is on. Only at installation: an administrator who turns it off
    afterwards is not overruled by an upgrade.
    """
    env.ref("base.group_user")._apply_group(env.ref("sale.group_discount_per_so_line"))


def uninstall_hook(env):
    """Remove what Odoo's uninstall would leave behind.

    Odoo's foreign key from an activity to its type refuses the deletion of a type in use, which
    would leave the add-on's activity types behind; the nightly passes' work tables are created in
    ``init()``, outside any model, so Odoo does not drop them.
    """
    type_ids = (
        env["ir.model.data"]
        .sudo()
        .search([("module", "=", "trade_crm_tiering"), ("model", "=", "mail.activity.type")])
        .mapped("res_id")
    )
    env["mail.activity"].sudo().search([("activity_type_id", "in", type_ids)]).unlink()
    env.cr.execute(SQL("DROP TABLE IF EXISTS trade_tiering_scoring_basis, trade_portfolio_month_basis"))
