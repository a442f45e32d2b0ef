from odoo import api, fields, models
from odoo.exceptions import UserError

from .tiering_tools import defer_to_commit, take_deferred

# The customers whose cadence is refreshed at commit (see _tiering_schedule_cadence).
CADENCE_KEY = "trade_crm_tiering.cadence"


class ResPartner(models.Model):
    """The follow-up cadence on the customer: its last interaction, next follow-up and review, and
    the refresh at commit when someone interacts with it."""

    _inherit = "res.partner"

    tiering_last_interaction_date = fields.Date(
        readonly=True,
        index="btree_not_null",
        help="The latest note or email in the customer's chatter, done activity, or quotation or order date.",
        copy=False,
    )
    tiering_next_follow_up_date = fields.Date(
        string="Next Follow-up",
        company_dependent=True,
        index=False,
        readonly=True,
        help="The last interaction plus the tier's follow-up cadence.",
        copy=False,
    )
    tiering_next_review_date = fields.Date(
        string="Next Business Review", company_dependent=True, index=False, readonly=True, copy=False
    )
    tiering_follow_up_overdue = fields.Boolean(
        string="Follow-up Overdue", compute="_compute_follow_up_overdue", search="_search_follow_up_overdue"
    )

    @api.depends_context("company")
    @api.depends("tiering_next_follow_up_date")
    def _compute_follow_up_overdue(self):
        today = fields.Date.context_today(self)
        for partner in self:
            partner.tiering_follow_up_overdue = bool(
                partner.tiering_next_follow_up_date and partner.tiering_next_follow_up_date < today
            )

    def _search_follow_up_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on overdue follow-ups."))
        overdue = [("tiering_next_follow_up_date", "<", fields.Date.context_today(self))]
        return overdue if (operator == "=") == value else ["!", *overdue]

    # ------------------------------------------------------------------
    # Interactions keep the follow-up cadence
    # ------------------------------------------------------------------

    def _tiering_schedule_cadence(self):
        """Refresh these customers' interaction day, dates and activities when the transaction commits."""
        defer_to_commit(self.env, CADENCE_KEY, self.ids, self._tiering_run_scheduled_cadence)

    def _tiering_run_scheduled_cadence(self):
        partner_ids = list(take_deferred(self.env, CADENCE_KEY))
        # sudo: the interaction dates and cadence activities are the system's, whoever interacted.
        planner = self.env["trade.tiering.cadence"].sudo()
        planner._refresh_last_interactions(partner_ids)
        for company in self.env["res.company"].sudo().search([]):  # pylint: disable=no-search-all
            planner.with_company(company)._plan_company(company, partner_ids)
        planner._sync_activities(partner_ids)
