from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    tiering_currency_id = fields.Many2one(related="company_id.tiering_currency_id", readonly=False)
    tiering_threshold_1 = fields.Monetary(
        related="company_id.tiering_threshold_1", readonly=False, currency_field="tiering_currency_id"
    )
    tiering_threshold_2 = fields.Monetary(
        related="company_id.tiering_threshold_2", readonly=False, currency_field="tiering_currency_id"
    )
    tiering_threshold_3 = fields.Monetary(
        related="company_id.tiering_threshold_3", readonly=False, currency_field="tiering_currency_id"
    )
    tiering_threshold_4 = fields.Monetary(
        related="company_id.tiering_threshold_4", readonly=False, currency_field="tiering_currency_id"
    )
    tiering_threshold_5 = fields.Monetary(
        related="company_id.tiering_threshold_5", readonly=False, currency_field="tiering_currency_id"
    )
    tiering_basis = fields.Selection(related="company_id.tiering_basis", readonly=False)
    tiering_years = fields.Integer(related="company_id.tiering_years", readonly=False)
    tiering_excluded_years = fields.Char(related="company_id.tiering_excluded_years", readonly=False)
    tiering_auto_upgrade = fields.Selection(related="company_id.tiering_auto_upgrade", readonly=False)
    tiering_downgrade_grace_days = fields.Integer(related="company_id.tiering_downgrade_grace_days", readonly=False)
    tiering_approver_id = fields.Many2one(related="company_id.tiering_approver_id", readonly=False)
    tiering_gm_id = fields.Many2one(related="company_id.tiering_gm_id", readonly=False)
    tiering_last_regrade = fields.Datetime(related="company_id.tiering_last_regrade")
    tiering_claim_cap = fields.Integer(related="company_id.tiering_claim_cap", readonly=False)
    tiering_claim_cooldown_days = fields.Integer(related="company_id.tiering_claim_cooldown_days", readonly=False)
    tiering_top1_moderate = fields.Float(related="company_id.tiering_top1_moderate", readonly=False)
    tiering_top1_high = fields.Float(related="company_id.tiering_top1_high", readonly=False)
    tiering_top1_critical = fields.Float(related="company_id.tiering_top1_critical", readonly=False)
    tiering_top3_moderate = fields.Float(related="company_id.tiering_top3_moderate", readonly=False)
    tiering_top3_high = fields.Float(related="company_id.tiering_top3_high", readonly=False)
    tiering_top10_moderate = fields.Float(related="company_id.tiering_top10_moderate", readonly=False)
    tiering_top10_high = fields.Float(related="company_id.tiering_top10_high", readonly=False)
    tiering_rep_capacity = fields.Integer(related="company_id.tiering_rep_capacity", readonly=False)

    def action_tiering_regrade_now(self):
        self.ensure_one()
        changes = self.env["res.partner"]._tiering_regrade(self.company_id)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("Customers regraded"),
                "message": self.env._(
                    "%(count)s customers of %(company)s changed amount or grade.",
                    count=len(changes),
                    company=self.company_id.name,
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
