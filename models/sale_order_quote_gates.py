from odoo import models

# Odoo's quotation reports: printing one is a quotation leaving the house.
QUOTE_REPORTS = frozenset({"sale.report_saleorder", "sale.report_saleorder_pro_forma", "sale.report_saleorder_raw"})


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _render_qweb_pdf(self, report_ref, res_ids=None, data=None):
        self._tiering_check_quote(report_ref, res_ids)
        return super()._render_qweb_pdf(report_ref, res_ids=res_ids, data=data)

    def _render_qweb_html(self, report_ref, docids, data=None):
        self._tiering_check_quote(report_ref, docids)
        return super()._render_qweb_html(report_ref, docids, data=data)

    def _tiering_check_quote(self, report_ref, res_ids):
        if not res_ids:
            return
        report = self._get_report(report_ref)
        if report.report_name in QUOTE_REPORTS:
            ids = [res_ids] if isinstance(res_ids, int) else res_ids
            self.env["sale.order"].browse(ids).exists()._tiering_quote_print_check()
