from odoo.tools import SQL


def post_init_hook(env):
    """Existing companies get the default grading currency (USD), made active, and service tiers.

    Sales' Discounts setting is left as the administrator has it: turning it on changes how Odoo
    prices every order line (a pricelist's discount replaces a manual one when the quantity
    changes). The tiers' settings say where it is when it is off.
    """
    companies = env["res.company"].search([])
    companies._tiering_activate_currency()
    companies._tiering_create_default_tiers()
    companies._tiering_assign_tiers()


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
