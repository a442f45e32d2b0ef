from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from ..trade_crm_tiering import portfolio, tiering_day

MEASURES = [("top1", "Top customer"), ("top3", "Top 3 customers"), ("top10", "Top 10 customers")]
ALERT_BANDS = [("high", "High"), ("critical", "Critical")]
ACTIVITY_TYPE = "trade_crm_tiering.mail_activity_type_concentration"


class TradeConcentrationAlert(models.Model):
    """An episode of high revenue concentration in a company, for one measure (top 1, 3 or 10).

    Opened by the nightly pass when the measure's band turns high (the general manager gets an
    activity with the figures), raised again only if it turns critical, and closed when the band
    falls back below high: the open alert is the memory that keeps the activity to once an episode.
    """

    _name = "trade.concentration.alert"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Concentration Risk Alert"
    _order = "date_raised desc, id desc"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    measure = fields.Selection(MEASURES, required=True, readonly=True)
    band = fields.Selection(ALERT_BANDS, required=True, readonly=True, help="The highest band of the episode.")
    share = fields.Float(string="Share (%)", readonly=True, help="The share of revenue when last alerted.")
    state = fields.Selection([("open", "Open"), ("closed", "Closed")], required=True, readonly=True, default="open")
    date_raised = fields.Date(string="Raised On", required=True, readonly=True)
    date_closed = fields.Date(string="Closed On", readonly=True)
    details = fields.Html(readonly=True, sanitize=True)

    def init(self):
        # One open episode per company and measure, guaranteed by the database too.
        self.env.cr.execute(
            SQL(
                """CREATE UNIQUE INDEX IF NOT EXISTS trade_concentration_alert_open_uniq
                   ON trade_concentration_alert (company_id, measure) WHERE state = 'open'"""
            )
        )

    @api.depends("measure", "band", "company_id")
    @api.depends_context("lang")
    def _compute_display_name(self):
        measures = dict(self._fields["measure"]._description_selection(self.env))
        bands = dict(self._fields["band"]._description_selection(self.env))
        for alert in self:
            alert.display_name = self.env._(
                "%(measure)s: %(band)s concentration",
                measure=measures.get(alert.measure, ""),
                band=bands.get(alert.band, ""),
            )

    @api.model
    def _raise_alerts(self, company, figures):
        """Open, raise, keep or close the company's alerts from today's ``figures``.

        ``figures``: the dashboard's concentration dict (measures with share and band, top customers).
        """
        today = tiering_day.today()
        open_alerts = {
            alert.measure: alert for alert in self.search([("company_id", "=", company.id), ("state", "=", "open")])
        }
        raised = self.browse()
        for measure in figures["measures"]:
            alert = open_alerts.get(measure["key"])
            fire, remembered = portfolio.alert_step(measure["band"], alert.band if alert else None)
            if remembered is None:
                if alert:
                    alert.write({"state": "closed", "date_closed": today})
                continue
            if not fire:
                continue
            values = {"band": remembered, "share": measure["share"], "details": self._details(company, figures)}
            if alert:
                alert.write(values)
            else:
                alert = self.with_context(mail_create_nolog=True, mail_create_nosubscribe=True).create(
                    dict(values, company_id=company.id, measure=measure["key"], date_raised=today, state="open")
                )
            raised |= alert
        raised._notify_general_manager(company)
        return raised

    def _details(self, company, figures):
        """The figures as an HTML table: each measure's share and band, then the top customers."""
        currency = company.tiering_currency_id
        rows = Markup("").join(
            Markup("<tr><td>%s</td><td>%s</td><td>%s</td></tr>")
            % (m["label"], self._percent(m["share"]), m["band_label"] or "")
            for m in figures["measures"]
        )
        customers = Markup("").join(
            Markup("<li>%s: %s (%s)</li>")
            % (c["name"], formatLang(self.env, c["amount"], currency_obj=currency), self._percent(c["share"]))
            for c in figures["top_customers"][:10]
        )
        return Markup("<table class='table table-sm'><tbody>%s</tbody></table><p>%s</p><ol>%s</ol>") % (
            rows,
            self.env._(
                "Revenue over the grading basis: %(total)s from %(count)s customers. Largest customers:",
                total=formatLang(self.env, figures["total"], currency_obj=currency),
                count=figures["customers"],
            ),
            customers,
        )

    def _percent(self, share):
        return "-" if share is None else f"{formatLang(self.env, share, digits=1)}%"

    def _notify_general_manager(self, company):
        """One activity per raised alert for the company's general manager, with the figures."""
        manager = company.tiering_gm_id
        if not self or not manager.active:
            return
        measures = dict(self._fields["measure"]._description_selection(self.env))
        bands = dict(self._fields["band"]._description_selection(self.env))
        for alert in self:
            alert.activity_schedule(
                ACTIVITY_TYPE,
                user_id=manager.id,
                summary=self.env._(
                    "%(company)s: %(measure)s at %(share)s of revenue (%(band)s)",
                    company=company.name,
                    measure=measures[alert.measure],
                    share=self._percent(alert.share),
                    band=bands[alert.band],
                ),
                note=alert.details,
            )
