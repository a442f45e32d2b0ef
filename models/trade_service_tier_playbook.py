from odoo import api, fields, models

# The tiers that expect an executive sponsor, and those warned when single-threaded, by default.
SPONSOR_CODES = ("A",)
MULTI_THREAD_CODES = ("A", "B")


class TradeServiceTier(models.Model):
    """What each tier gets (#14.3): an activity plan launched when a customer enters the tier, a
    pricelist for new quotations, an executive sponsor and several contact persons."""

    _inherit = "trade.service.tier"

    activity_plan_id = fields.Many2one(
        "mail.activity.plan",
        copy=False,
        domain="[('res_model', '=', 'res.partner'), ('company_id', 'in', (company_id, False))]",
        help="Launched on a customer when it enters this tier: its activities are scheduled for the "
        "customer's salesperson (or the user the plan names).",
    )
    pricelist_id = fields.Many2one(
        "product.pricelist",
        copy=False,
        check_company=True,
        help="Given to new quotations of customers that have no pricelist of their own.",
    )
    sponsor_expected = fields.Boolean(
        string="Executive Sponsor Expected",
        compute="_compute_playbook_flags",
        store=True,
        readonly=False,
        help="Customers of this tier have an executive sponsor; those without one are listed by the "
        "filter 'No Executive Sponsor'.",
    )
    single_thread_warning = fields.Boolean(
        string="Warn When Single-Threaded",
        compute="_compute_playbook_flags",
        store=True,
        readonly=False,
        help="The nightly pass raises an early warning for a customer of this tier with at most one "
        "active contact person.",
    )

    @api.depends("code")
    def _compute_playbook_flags(self):
        for tier in self:
            tier.sponsor_expected = tier.code in SPONSOR_CODES
            tier.single_thread_warning = tier.code in MULTI_THREAD_CODES

    def write(self, vals):
        res = super().write(vals)
        if "order_priority" in vals:
            # The open orders of the tier's customers follow the flag.
            for company in self.company_id:
                self.env["sale.order"]._tiering_sync_priority(company)
        return res
