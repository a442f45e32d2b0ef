{
    "name": "Trade CRM Tiering",
    "summary": "Star grades, service tiers and approvals for export customers",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/trade-crm/trade_crm_tiering",
    "author": "Trade CRM Tiering developers",
    "license": "LGPL-3",
    "depends": ["sale_management", "sale_margin", "crm", "mail"],
    "external_dependencies": {"python": ["pandas"]},
    "data": [
        "security/trade_crm_tiering_security.xml",
        "security/ir.model.access.csv",
        "data/ir_default_data.xml",
        "data/ir_cron_data.xml",
        "views/trade_grade_history_views.xml",
        "views/res_partner_views.xml",
        "views/sale_order_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
    ],
    "demo": [
        "demo/res_currency_demo.xml",
        "demo/res_partner_demo.xml",
        "demo/sale_order_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "trade_crm_tiering/static/tests/tours/*.js",
        ],
    },
    "post_init_hook": "post_init_hook",
}
