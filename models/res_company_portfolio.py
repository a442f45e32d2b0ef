from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..trade_crm_tiering import portfolio

CONCENTRATION_FIELDS = (
    "tiering_top1_moderate",
    "tiering_top1_high",
    "tiering_top1_critical",
    "tiering_top3_moderate",
    "tiering_top3_high",
    "tiering_top10_moderate",
    "tiering_top10_high",
)


class ResCompany(models.Model):
    """Portfolio analytics settings: concentration bands and rep capacity (trade.portfolio.dashboard)."""

    _inherit = "res.company"

    tiering_top1_moderate = fields.Float(string="Top Customer: Moderate From (%)", default=10.0)
    tiering_top1_high = fields.Float(string="Top Customer: High Above (%)", default=20.0)
    tiering_top1_critical = fields.Float(string="Top Customer: Critical Above (%)", default=30.0)
    tiering_top3_moderate = fields.Float(string="Top 3: Moderate From (%)", default=25.0)
    tiering_top3_high = fields.Float(string="Top 3: High Above (%)", default=40.0)
    tiering_top10_moderate = fields.Float(string="Top 10: Moderate From (%)", default=40.0)
    tiering_top10_high = fields.Float(string="Top 10: High Above (%)", default=60.0)
    tiering_rep_capacity = fields.Integer(
        string="Monthly Capacity per Rep",
        default=80,
        help="How many follow-ups and business reviews a salesperson can hold in a month; the workload "
        "of each rep is compared with it.",
    )

    @api.constrains(*CONCENTRATION_FIELDS, "tiering_rep_capacity")
    def _check_tiering_portfolio_settings(self):
        for company in self:
            if company.tiering_rep_capacity <= 0:
                raise ValidationError(
                    self.env._("%(company)s: the monthly capacity per rep must be above zero.", company=company.name)
                )
            for measure, limits in company._tiering_band_limits().items():
                try:
                    limits.check()
                except portfolio.PortfolioConfigError:
                    raise ValidationError(
                        self.env._(
                            "%(company)s: the %(measure)s bands must rise from above 0%% to at most 100%% "
                            "(moderate, then high, then critical).",
                            company=company.name,
                            measure=company._tiering_measure_labels()[measure],
                        )
                    ) from None

    def _tiering_band_limits(self):
        """``{measure: BandLimits}`` of the company's concentration settings."""
        self.ensure_one()
        return {
            "top1": portfolio.BandLimits(
                self.tiering_top1_moderate, self.tiering_top1_high, self.tiering_top1_critical
            ),
            "top3": portfolio.BandLimits(self.tiering_top3_moderate, self.tiering_top3_high),
            "top10": portfolio.BandLimits(self.tiering_top10_moderate, self.tiering_top10_high),
        }

    def _tiering_measure_labels(self):
        return {
            "top1": self.env._("top customer"),
            "top3": self.env._("top 3 customers"),
            "top10": self.env._("top 10 customers"),
        }
