from odoo import http
from odoo.exceptions import UserError
from odoo.http import content_disposition, request

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PortfolioController(http.Controller):
    @http.route("/trade_crm_tiering/portfolio/xlsx", type="http", auth="user", methods=["POST"])
    def portfolio_xlsx(self, company_id=None, period=None, **_kwargs):
        """The portfolio report of ``company_id`` (one of the user's companies) as an xlsx file."""
        env = request.env
        if company_id:
            # env.company refuses a company the user is not allowed in.
            env = env(context=dict(env.context, allowed_company_ids=[self._company_id(env, company_id)]))
        content, filename = env["trade.portfolio.dashboard"]._export_xlsx(period or None)
        return request.make_response(
            content,
            headers=[
                ("Content-Type", XLSX_MIMETYPE),
                ("Content-Disposition", content_disposition(filename)),
                ("Content-Length", len(content)),
            ],
        )

    @staticmethod
    def _company_id(env, company_id):
        """The company id of the request; a clear error when it is not one (HTTP 400)."""
        try:
            return int(company_id)
        except (TypeError, ValueError):
            raise UserError(env._("Unknown company: %(company)s.", company=company_id)) from None
