import pandas as pd

from odoo import api, models
from odoo.tools import SQL

from .trade_tiering_bulk import array_literal


class TradeCustomerWarning(models.Model):
    """The single-threaded account warning (#14.3): a customer whose tier warns when
    single-threaded (A and B by default) with at most one active contact person."""

    _inherit = "trade.customer.warning"

    @api.model
    def _tiering_sync(self, company, inputs, result, today, partner_range=None):
        result = result.copy()
        result["warn_single_threaded"] = self._tiering_single_threaded(company, inputs)
        return super()._tiering_sync(company, inputs, result, today, partner_range)

    def _tiering_single_threaded(self, company, inputs):
        """A boolean Series on ``inputs``' index: customers of a tier that warns when single-
        threaded, with at most one contact person (the scoring pass's ``contacts`` count: active
        child contacts of type contact). One query for the tiers of the customers."""
        contacts = inputs["contacts"].fillna(0)
        tiers = (
            self.env["trade.service.tier"]
            .sudo()
            .search([("company_id", "=", company.id), ("single_thread_warning", "=", True)])
        )
        if not tiers or inputs.empty:
            return pd.Series(False, index=inputs.index, dtype=bool)
        partners = self.env["res.partner"].with_company(company)
        partners.flush_model(["tiering_service_tier_id"])
        fallback = partners._fields["tiering_service_tier_id"].get_company_dependent_fallback(partners).id
        rows = self.env.execute_query(
            SQL(
                """SELECT id FROM res_partner
                    WHERE id = ANY(%(ids)s::int4[])
                      AND COALESCE((tiering_service_tier_id ->> %(cid)s)::int4, %(fallback)s) = ANY(%(tiers)s)""",
                ids=array_literal(inputs.index.tolist(), "int4"),
                cid=str(company.id),
                fallback=fallback or None,
                tiers=tiers.ids,
            )
        )
        flagged = {row[0] for row in rows}
        in_tier = pd.Series(inputs.index.isin(list(flagged)), index=inputs.index)
        return (in_tier & (contacts <= 1)).astype(bool)

    def _detail_values(self, warning_type, figures, formatters, today):
        if warning_type == "single_threaded":
            return {}
        return super()._detail_values(warning_type, figures, formatters, today)

    def _detail_templates(self):
        return {
            **super()._detail_templates(),
            "single_threaded": self.env._(
                "At most one contact person at this customer: if that person leaves, the account may go "
                "with them. Get to know more people there (buyer, owner, finance, logistics)."
            ),
        }

    def _activity_summaries(self):
        return {**super()._activity_summaries(), "single_threaded": self.env._("Single-threaded account: add contacts")}
