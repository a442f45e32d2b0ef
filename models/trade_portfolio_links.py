from odoo import api, models
from odoo.exceptions import UserError

from ..trade_crm_tiering import portfolio


class TradePortfolioDashboard(models.AbstractModel):
    """The dashboard's links: the window action behind each figure, filtered as the figure counts."""

    _inherit = "trade.portfolio.dashboard"

    # ------------------------------------------------------------------
    # Links from the dashboard into filtered lists
    # ------------------------------------------------------------------

    @api.model
    def action_open(self, kind, params=None):
        """The window action behind a dashboard figure: ``kind`` names it, ``params`` narrow it."""
        params = params or {}
        if not isinstance(params, dict):
            raise UserError(self.env._("The dashboard link's parameters must be a dictionary."))
        company = self.env.company
        if kind == "alerts":
            return self.env["ir.actions.act_window"]._for_xml_id("trade_crm_tiering.action_trade_concentration_alert")
        if kind == "report":
            return self.env["ir.actions.act_window"]._for_xml_id("trade_crm_tiering.action_trade_portfolio_report")
        if kind == "early_warnings":
            return self._early_warnings_action(company)
        if kind == "customer":
            return self._partner_action(
                self.env._("Customer"), [("id", "=", self._int_param(params, "partner_id"))], form=True
            )
        domain, name = self._link_domain(company, kind, params)
        return self._partner_action(name, domain)

    def _early_warnings_action(self, company):
        """The open early warnings the dashboard counts: record rules keep a rep's to their customers."""
        action = self.env["ir.actions.act_window"]._for_xml_id("trade_crm_tiering.action_trade_customer_warning")
        name = self.env._("Early Warnings")
        action.update(
            name=name,
            display_name=name,  # what the web client titles the breadcrumb with
            domain=[("company_id", "=", company.id), ("state", "=", "open")],
            context={"create": False, "search_default_group_type": 1},
        )
        return action

    def _link_domain(self, company, kind, params):
        base = [
            ("parent_id", "=", False),
            "|",
            ("tiering_date", "!=", False),
            ("tiering_next_follow_up_date", "!=", False),
        ]
        if not self._sees_company():
            base.append(("user_id", "=", self.env.uid))
        if kind == "grade":
            star = str(self._int_param(params, "star"))
            labels = dict(self.env["res.partner"]._fields["tiering_star_grade"]._description_selection(self.env))
            if star not in labels:
                raise UserError(self.env._("Unknown grade: %(star)s.", star=star))
            label = labels[star]
            return [*base, ("tiering_star_grade", "=", star)], label
        if kind == "customers":
            ids = self._int_list_param(params, "partner_ids")
            return [*base, ("id", "in", ids)], self.env._("Largest Customers")
        if kind == "overdue":
            return [*base, ("tiering_follow_up_overdue", "=", True)], self.env._("Overdue Follow-ups")
        if kind == "missing_backups":
            return [*base, ("tiering_backup_missing", "=", True)], self.env._("Missing Backups")
        if kind == "rep":
            user_id = self._int_param(params, "user_id", required=False)
            domain = [*base, ("user_id", "=", user_id)]
            if params.get("filter") == "overdue":
                domain.append(("tiering_follow_up_overdue", "=", True))
            elif params.get("filter") == "missing_backups":
                domain.append(("tiering_backup_missing", "=", True))
            return domain, self._rep_title(user_id, params.get("filter"))
        if kind == "migration":
            start, end = self._period_bounds(params.get("period") or portfolio.DEFAULT_PERIOD)
            first, last = self._int_param(params, "start_star"), self._int_param(params, "end_star")
            moves = self._migration_moves(company, start, end)
            ids = [pid for pid, old, new in moves if (old, new) == (first, last)]
            return [("id", "in", ids)], self.env._("Grade Migration")
        raise UserError(self.env._("Unknown dashboard link: %(kind)s.", kind=kind))

    def _rep_title(self, user_id, kind=None):
        """The rep drill-down's title: whose customers, and which of them."""
        # sudo: the name of a salesperson the dashboard already lists, whatever the user may read.
        name = self.env["res.users"].sudo().browse(user_id).name if user_id else False
        if not name:
            return self.env._("Customers without a Salesperson")
        if kind == "overdue":
            return self.env._("Overdue Follow-ups of %(user)s", user=name)
        if kind == "missing_backups":
            return self.env._("Missing Backups of %(user)s", user=name)
        return self.env._("Customers of %(user)s", user=name)

    def _int_param(self, params, key, required=True):
        """``params[key]`` as an integer; a clear error when it is missing or not a number."""
        value = params.get(key)
        if value in (None, False, "") and not required:
            return False
        if isinstance(value, bool) or value is None:
            raise UserError(self.env._("The dashboard link lacks its %(param)s.", param=key))
        try:
            return int(value)
        except (TypeError, ValueError):
            raise UserError(
                self.env._("The dashboard link's %(param)s is not a number: %(value)s.", param=key, value=value)
            ) from None

    def _int_list_param(self, params, key):
        values = params.get(key) or []
        if not isinstance(values, list | tuple):
            raise UserError(self.env._("The dashboard link's %(param)s must be a list.", param=key))
        return [self._int_param({key: value}, key) for value in values]

    def _partner_action(self, name, domain, form=False):
        action = {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "res.partner",
            "domain": domain,
            "context": {"create": False},
            "views": [(False, "list"), (False, "form")],
            "target": "current",
        }
        if form:
            action.update(res_id=domain[0][2], views=[(False, "form")])
        return action
