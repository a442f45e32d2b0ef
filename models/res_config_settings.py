from odoo import api, fields, models

from .res_company import WEIGHT_FIELDS


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
    # Not related fields: they must reach the company in one write, the four adding up to 100.
    tiering_weight_current = fields.Integer(
        string="Current Value Weight", compute="_compute_tiering_weights", store=True, readonly=False
    )
    tiering_weight_potential = fields.Integer(
        string="Potential Value Weight", compute="_compute_tiering_weights", store=True, readonly=False
    )
    tiering_weight_difficulty = fields.Integer(
        string="Cooperation Difficulty Weight", compute="_compute_tiering_weights", store=True, readonly=False
    )
    tiering_weight_stickiness = fields.Integer(
        string="Relationship Stickiness Weight", compute="_compute_tiering_weights", store=True, readonly=False
    )
    tiering_matrix_cutoff = fields.Selection(related="company_id.tiering_matrix_cutoff", readonly=False)
    tiering_matrix_amount = fields.Monetary(
        related="company_id.tiering_matrix_amount", readonly=False, currency_field="tiering_currency_id"
    )
    tiering_matrix_margin = fields.Float(related="company_id.tiering_matrix_margin", readonly=False)
    tiering_matrix_effort = fields.Float(related="company_id.tiering_matrix_effort", readonly=False)
    tiering_warn_growth_spike = fields.Boolean(related="company_id.tiering_warn_growth_spike", readonly=False)
    tiering_spike_factor = fields.Float(related="company_id.tiering_spike_factor", readonly=False)
    tiering_spike_min_amount = fields.Monetary(
        related="company_id.tiering_spike_min_amount", readonly=False, currency_field="tiering_currency_id"
    )
    tiering_warn_frequency_drop = fields.Boolean(related="company_id.tiering_warn_frequency_drop", readonly=False)
    tiering_frequency_factor = fields.Float(related="company_id.tiering_frequency_factor", readonly=False)
    tiering_warn_dormant = fields.Boolean(related="company_id.tiering_warn_dormant", readonly=False)
    tiering_dormant_months = fields.Integer(related="company_id.tiering_dormant_months", readonly=False)
    tiering_warn_inquiries_falling = fields.Boolean(related="company_id.tiering_warn_inquiries_falling", readonly=False)
    tiering_inquiry_ratio = fields.Float(related="company_id.tiering_inquiry_ratio", readonly=False)
    tiering_inquiry_min = fields.Integer(related="company_id.tiering_inquiry_min", readonly=False)
    tiering_last_scoring = fields.Datetime(related="company_id.tiering_last_scoring")

    @api.depends("company_id")
    def _compute_tiering_weights(self):
        for settings in self:
            for fname in WEIGHT_FIELDS:
                settings[fname] = settings.company_id[fname]

    def set_values(self):
        res = super().set_values()
        weights = {fname: self[fname] for fname in WEIGHT_FIELDS}
        if any(self.company_id[fname] != value for fname, value in weights.items()):
            self.company_id.write(weights)
        return res

    tiering_top1_moderate = fields.Float(related="company_id.tiering_top1_moderate", readonly=False)
    tiering_top1_high = fields.Float(related="company_id.tiering_top1_high", readonly=False)
    tiering_top1_critical = fields.Float(related="company_id.tiering_top1_critical", readonly=False)
    tiering_top3_moderate = fields.Float(related="company_id.tiering_top3_moderate", readonly=False)
    tiering_top3_high = fields.Float(related="company_id.tiering_top3_high", readonly=False)
    tiering_top10_moderate = fields.Float(related="company_id.tiering_top10_moderate", readonly=False)
    tiering_top10_high = fields.Float(related="company_id.tiering_top10_high", readonly=False)
    tiering_rep_capacity = fields.Integer(related="company_id.tiering_rep_capacity", readonly=False)

    def action_tiering_regrade_now(self):
        """Regrade, then rescore, every customer of the company."""
        self.ensure_one()
        changes = self.env["res.partner"]._tiering_regrade(self.company_id)
        scored = self.env["trade.tiering.scoring"]._score(self.company_id)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("Customers regraded and scored"),
                "message": self.env._(
                    "%(count)s customers of %(company)s changed amount or grade; %(scored)s customers scored, "
                    "%(raised)s warnings raised, %(closed)s closed.",
                    count=len(changes),
                    company=self.company_id.name,
                    scored=scored["customers"],
                    raised=scored["raised"],
                    closed=scored["closed"],
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
