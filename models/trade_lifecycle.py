from odoo import api, models
from odoo.tools import SQL

from ..trade_crm_tiering import profile, tiering_day
from .tiering_tools import defer_to_commit, take_deferred

# The stage a customer without anything stored reads (ir.default): nothing stored for most.
DEFAULT_STAGE = "potential"


class TradeLifecycle(models.AbstractModel):
    """Keeps each customer's lifecycle stage per company, set-based like the grading engine.

    The computed stage comes from the customer's leads, quotations and orders (and dormancy);
    the stage shown is the one set by hand when there is one. Both are system fields written
    as superuser; leads and orders that change schedule their customers at commit, and the
    nightly job refreshes everyone (dormancy comes with time).
    """

    _name = "trade.lifecycle"
    _description = "Customer Lifecycle"

    @api.model
    def _schedule(self, partner_ids):
        """Refresh these commercial partners' stages when the transaction commits."""
        defer_to_commit(self.env, "trade_crm_tiering.lifecycle", filter(None, partner_ids), self._run_scheduled)

    def _run_scheduled(self):
        partner_ids = list(take_deferred(self.env, "trade_crm_tiering.lifecycle"))
        for company in self.env["res.company"].sudo().search([]):  # pylint: disable=no-search-all
            self._refresh(company, partner_ids)

    @api.model
    def _refresh(self, company, partner_ids=None):
        """Recompute the stages of ``company``'s customers (``partner_ids``: commercial partners, or all)."""
        # sudo: stages are system fields, whoever's lead or order changed them.
        lifecycle = self.sudo().with_company(company)
        today = tiering_day.today()
        rows = lifecycle._activity_rows(company, partner_ids)
        changes = []
        for pid, last_order, quotation, opportunity, lead, lost, dormant, old_auto, override, old_stage in rows:
            activity = profile.Activity(
                last_order=last_order,
                open_quotation=bool(quotation),
                open_opportunity=bool(opportunity),
                open_lead=bool(lead),
                lost_lead=bool(lost),
                dormant=bool(dormant),
            )
            auto = profile.lifecycle_stage(activity, today)
            stage = override or auto
            if (auto, stage) != (old_auto or DEFAULT_STAGE, old_stage or DEFAULT_STAGE):
                changes.append((pid, {"trade_lifecycle_auto": auto, "trade_lifecycle": stage}))
        lifecycle._write_stages(company, changes)
        return len(changes)

    @api.model
    def _apply_overrides(self, company, partner_ids):
        """The stage shown follows a stage set by hand (or the computed one when it is removed)."""
        partners = self.env["res.partner"].sudo().with_company(company).browse(partner_ids)
        changes = [
            (partner.id, {"trade_lifecycle": partner.trade_lifecycle_override or partner.trade_lifecycle_auto})
            for partner in partners
            if (partner.trade_lifecycle_override or partner.trade_lifecycle_auto) != partner.trade_lifecycle
        ]
        self.sudo()._write_stages(company, changes)

    def _write_stages(self, company, changes):
        if changes:
            # The engine's bulk UPDATE of company-dependent fields (fallback values left unstored).
            self.env["trade.tiering.engine"].sudo()._write_grade_fields(company, changes)

    def _activity_rows(self, company, partner_ids):
        """Per commercial partner: last confirmed order, open quotation, opportunity and lead, lost
        lead, dormant flag, and the stored computed, hand-set and shown stages."""
        self.env.flush_all()
        cid = str(company.id)
        scope = SQL("AND p.commercial_partner_id = ANY(%s)", list(partner_ids)) if partner_ids is not None else SQL()
        own_scope = SQL("AND rp.id = ANY(%s)", list(partner_ids)) if partner_ids is not None else SQL()
        # Customer scoring may flag customers dormant; use it when it is installed.
        dormant = (
            SQL("COALESCE((rp.tiering_dormant ->> %s)::boolean, false)", cid)
            if "tiering_dormant" in self.env["res.partner"]._fields
            else SQL("false")
        )
        return self.env.execute_query(
            SQL(
                """WITH orders AS (
                       SELECT p.commercial_partner_id AS pid,
                              MAX(so.date_order) FILTER (WHERE so.state = 'sale')::date AS last_order,
                              BOOL_OR(so.state IN ('draft', 'sent')) AS quotation
                         FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
                        WHERE so.company_id = %(company)s %(scope)s
                        GROUP BY 1
                   ), leads AS (
                       SELECT p.commercial_partner_id AS pid,
                              BOOL_OR(l.active AND l.type = 'opportunity' AND NOT COALESCE(st.is_won, false))
                                  AS opportunity,
                              BOOL_OR(l.active AND l.type = 'lead') AS lead,
                              BOOL_OR(NOT l.active AND COALESCE(l.probability, 0) = 0) AS lost
                         FROM crm_lead l
                         JOIN res_partner p ON p.id = l.partner_id
                         LEFT JOIN crm_stage st ON st.id = l.stage_id
                        WHERE (l.company_id = %(company)s OR l.company_id IS NULL) %(scope)s
                        GROUP BY 1
                   ), targets AS (
                       SELECT pid FROM orders UNION SELECT pid FROM leads
                       UNION SELECT rp.id FROM res_partner rp
                        WHERE (rp.trade_lifecycle ? %(cid)s OR rp.trade_lifecycle_auto ? %(cid)s
                               OR rp.trade_lifecycle_override ? %(cid)s) %(own_scope)s
                   )
                   SELECT rp.id, o.last_order, o.quotation, l.opportunity, l.lead, l.lost, %(dormant)s,
                          rp.trade_lifecycle_auto ->> %(cid)s, rp.trade_lifecycle_override ->> %(cid)s,
                          rp.trade_lifecycle ->> %(cid)s
                     FROM targets t
                     JOIN res_partner rp ON rp.id = t.pid AND rp.id = rp.commercial_partner_id
                     LEFT JOIN orders o ON o.pid = t.pid
                     LEFT JOIN leads l ON l.pid = t.pid""",
                company=company.id,
                cid=cid,
                scope=scope,
                own_scope=own_scope,
                dormant=dormant,
            )
        )
