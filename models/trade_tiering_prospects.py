"""Prospects are customers too (issue 14.1; seed 000 D 开发客户, seed 001 contact frequency by stage).

A commercial partner with a lead, an opportunity or a quotation in a company, never graded there,
is tiered like any customer: it gets the tier of 0 stars (the developing tier, D by default) and
its ``tiering_date``, so that the follow-up cadence plans it and the team pool releases it after
its tier's delay. The nightly grading pass does it set-based for the whole company after its last
batch; a new lead or quotation does it for its customer when the transaction commits (through the
cadence refresh that quotations already schedule). A lead, like a quotation, is an interaction.

Prospects then get scores from the rep's ratings and the lead data (trade_crm_tiering.scoring,
``evaluate_prospects``) in the nightly scoring pass, after the customers with orders.
"""

import pandas as pd

from odoo import api, models
from odoo.tools import SQL

from ..trade_crm_tiering import matrix, tiering_day
from ..trade_crm_tiering import scoring as maths
from .trade_tiering_bulk import array_literal

# What the prospect scoring stores, each field with its column in the maths' result: the fields the
# score lists and the value matrix read.
PROSPECT_SCORE_FIELDS = {
    "tiering_score_current": "score_current",
    "tiering_score_potential": "score_potential",
    "tiering_score_difficulty": "score_difficulty",
    "tiering_score_stickiness": "score_stickiness",
    "tiering_score": "tiering_score",
    "tiering_value_class": "value_class",
}
# Lead changes that can make its customer a prospect, or move its last interaction.
PROSPECT_TRIGGERS = frozenset({"partner_id", "active", "company_id", "stage_id", "type"})


def _open_sources(company, scope):
    """SQL: the commercial partners with an active lead or opportunity (one without a company
    counts for every company, as for the lifecycle stage) or an open quotation in ``company``."""
    return SQL(
        """SELECT lp.commercial_partner_id AS pid
             FROM crm_lead l JOIN res_partner lp ON lp.id = l.partner_id
            WHERE l.active AND (l.company_id = %(company)s OR l.company_id IS NULL) %(lead_scope)s
           UNION
           SELECT sp.commercial_partner_id
             FROM sale_order so JOIN res_partner sp ON sp.id = so.partner_id
            WHERE so.state IN ('draft', 'sent') AND so.company_id = %(company)s %(order_scope)s""",
        company=company.id,
        lead_scope=SQL("AND lp.commercial_partner_id = ANY(%s)", scope) if scope is not None else SQL(),
        order_scope=SQL("AND sp.commercial_partner_id = ANY(%s)", scope) if scope is not None else SQL(),
    )


class TradeTieringEngine(models.AbstractModel):
    _inherit = "trade.tiering.engine"

    @api.model
    def _tier_prospects(self, company, partner_ids=None):
        """Tier ``company``'s prospects never graded there (``partner_ids``: among these commercial
        partners; None: all), in one query and one bulk write. Returns their ids.

        They get the tier of 0 stars and today as ``tiering_date``, their contacts too, as grades
        are copied; their stars stay 0 and nothing moves in the grade history.
        """
        engine = self.sudo().with_company(company)
        company = engine.env["res.company"].browse(company.id)
        if partner_ids is not None and not partner_ids:
            return []
        engine.env["crm.lead"].flush_model(["partner_id", "active", "company_id"])
        engine.env["sale.order"].flush_model(["partner_id", "state", "company_id"])
        engine.env["res.partner"].flush_model(["commercial_partner_id", "active", "tiering_date"])
        rows = engine.env.execute_query(
            SQL(
                """SELECT p.id FROM (%(sources)s) open JOIN res_partner p ON p.id = open.pid
                    WHERE p.active AND p.id = p.commercial_partner_id AND (p.tiering_date -> %(cid)s) IS NULL
                    ORDER BY p.id""",
                sources=_open_sources(company, list(partner_ids) if partner_ids is not None else None),
                cid=str(company.id),
            )
        )
        prospect_ids = [row[0] for row in rows]
        if not prospect_ids:
            return []
        developing = company._tiering_tier_map().get(0)
        values = {
            "tiering_date": tiering_day.today(),
            "tiering_service_tier_id": developing.id if developing else False,
        }
        contacts = engine.env["trade.tiering.bulk"]._contacts_of(prospect_ids)
        targets = [target for pid in prospect_ids for target in (pid, *contacts.get(pid, ()))]
        engine._write_grade_fields(company, [(target, values) for target in targets])
        return prospect_ids


class TradeTieringNightly(models.AbstractModel):
    _inherit = "trade.tiering.nightly"

    def _unit_grading(self, company, after):
        """After the company's last batch of customers, its new prospects are tiered."""
        cursor = super()._unit_grading(company, after)
        if cursor is None:
            self.env["trade.tiering.engine"]._tier_prospects(company)
        return cursor


class TradeTieringCadence(models.AbstractModel):
    _inherit = "trade.tiering.cadence"

    def _interaction_sources(self, partner_ids=None):
        """A lead or opportunity created or moved to another stage is an interaction too, and so
        are the notes, emails and done activities on it."""
        scope = SQL("AND p.commercial_partner_id = ANY(%s)", list(partner_ids)) if partner_ids is not None else SQL()
        return SQL(
            """SELECT pid, MAX(day) AS day FROM (
                   %(sources)s
                   UNION ALL
                   SELECT p.commercial_partner_id, MAX(GREATEST(l.create_date, l.date_last_stage_update))::date
                     FROM crm_lead l JOIN res_partner p ON p.id = l.partner_id
                    WHERE l.active %(scope)s
                    GROUP BY 1
                   UNION ALL
                   SELECT p.commercial_partner_id, MAX(m.date)::date
                     FROM mail_message m
                     JOIN crm_lead l ON l.id = m.res_id
                     JOIN res_partner p ON p.id = l.partner_id
                    WHERE m.model = 'crm.lead'
                      AND (m.message_type IN ('comment', 'email') OR m.mail_activity_type_id IS NOT NULL) %(scope)s
                    GROUP BY 1
               ) with_leads GROUP BY pid""",
            sources=super()._interaction_sources(partner_ids),
            scope=scope,
        )

    @api.model
    def _refresh_last_interactions(self, partner_ids=None):
        self.env["crm.lead"].flush_model(["partner_id", "active", "create_date", "date_last_stage_update"])
        return super()._refresh_last_interactions(partner_ids)


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _tiering_run_scheduled_cadence(self):
        """The customers of new leads and quotations that are prospects are tiered first, so that
        the cadence plans them at once."""
        partner_ids = list(self.env.cr.precommit.data.get("trade_crm_tiering.cadence", set()))
        engine = self.env["trade.tiering.engine"].sudo()
        for company in self.env["res.company"].sudo().search([]):  # pylint: disable=no-search-all
            engine._tier_prospects(company, partner_ids)
        return super()._tiering_run_scheduled_cadence()


class CrmLead(models.Model):
    _inherit = "crm.lead"

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        # sudo: a lead is an interaction with the customer, whoever can see the customer.
        leads.sudo().partner_id.commercial_partner_id._tiering_schedule_cadence()
        return leads

    def write(self, vals):
        if not PROSPECT_TRIGGERS.intersection(vals):
            return super().write(vals)
        before = self.sudo().partner_id
        res = super().write(vals)
        (before | self.sudo().partner_id).commercial_partner_id._tiering_schedule_cadence()
        return res


class TradeTieringScoring(models.AbstractModel):
    _inherit = "trade.tiering.scoring"

    @api.model
    def _score(self, company):
        summary = super()._score(company)
        self._score_prospects(company)
        return summary

    @api.model
    def _score_batch(self, company, after, size):
        cursor = super()._score_batch(company, after, size)
        if cursor is None:
            self._score_prospects(company)
        return cursor

    @api.model
    def _score_prospects(self, company):
        """Score ``company``'s prospects (a lead, an opportunity or an open quotation there and no
        confirmed order) and clear the scores of those that are prospects no more: one aggregation
        of their leads and quotations, one of their interactions, one bulk write."""
        scoring = self.sudo().with_company(company)
        company = scoring.env["res.company"].browse(company.id)
        today = tiering_day.today()
        scoring.env.flush_all()
        stages = scoring.env["crm.stage"].search_count([("is_won", "=", False)])
        frame = scoring._prospect_figures(company, stages, today)
        ids = frame.index.tolist()
        parts = (scoring._prospect_interactions(company, ids, today), scoring._contacts(ids), scoring._ratings(ids))
        for part in parts:
            frame = frame.join(part)
        counts = ["interactions_12m", "contacts"]
        frame[counts] = frame[counts].astype("float64").fillna(0)
        result = maths.evaluate_prospects(
            frame,
            company._tiering_scoring_config(),
            company._tiering_thresholds(),
            stages,
            scoring._customer_cutoffs(company),
        )
        return {"prospects": len(result), "changed": scoring._store_prospects(company, result)}

    def _prospect_figures(self, company, stages, today):
        """The lead and quotation figures of maths.PROSPECT_COLUMNS per prospect, in the grading
        currency (leads' amounts are in the company's currency, quotations' converted back to it
        at their own rate)."""
        rows = self.env.execute_query(
            SQL(
                """WITH ranks AS (
                       SELECT id, is_won, ROW_NUMBER() OVER (PARTITION BY is_won ORDER BY sequence, id) AS rank
                         FROM crm_stage
                   ), leads AS (
                       SELECT p.commercial_partner_id AS pid,
                              SUM(l.expected_revenue) AS revenue,
                              SUM(l.prorated_revenue) AS weighted,
                              MAX(l.probability) AS probability,
                              MAX(CASE WHEN l.type = 'lead' THEN 0 WHEN r.is_won THEN %(stages)s
                                       ELSE COALESCE(r.rank, 1) END) AS position
                         FROM crm_lead l
                         JOIN res_partner p ON p.id = l.partner_id
                         LEFT JOIN ranks r ON r.id = l.stage_id
                        WHERE l.active AND (l.company_id = %(company)s OR l.company_id IS NULL)
                        GROUP BY 1
                   ), quotes AS (
                       SELECT p.commercial_partner_id AS pid,
                              SUM(so.amount_untaxed / NULLIF(so.currency_rate, 0)) AS quoted,
                              MAX(CASE WHEN so.state = 'sent' THEN %(stages)s + 2 ELSE %(stages)s + 1 END) AS position
                         FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
                        WHERE so.company_id = %(company)s AND so.state IN ('draft', 'sent')
                        GROUP BY 1
                   )
                   SELECT rp.id, l.revenue, l.weighted, q.quoted, l.probability, GREATEST(l.position, q.position)
                     FROM leads l
                     FULL JOIN quotes q ON q.pid = l.pid
                     JOIN res_partner rp ON rp.id = COALESCE(l.pid, q.pid)
                    WHERE rp.active AND rp.id = rp.commercial_partner_id
                      AND NOT COALESCE(rp.tiering_scored_on ? %(cid)s, FALSE)
                      AND NOT EXISTS (
                          SELECT 1 FROM sale_order o JOIN res_partner op ON op.id = o.partner_id
                           WHERE op.commercial_partner_id = rp.id AND o.company_id = %(company)s
                             AND o.state = 'sale')""",
                stages=stages,
                company=company.id,
                cid=str(company.id),
            )
        )
        columns = ["partner_id", "lead_revenue", "lead_weighted", "quoted", "probability", "pipeline_position"]
        frame = pd.DataFrame.from_records(rows, columns=columns, index="partner_id").astype("float64")
        factor = company.currency_id._get_conversion_rate(
            company.currency_id, company.tiering_currency_id, company, today
        )
        money = ["lead_revenue", "lead_weighted", "quoted"]
        frame[money] = frame[money] * factor
        return frame

    def _prospect_interactions(self, company, ids, today):
        """Done activities and logged messages of the last 12 months on each prospect, its contacts,
        its leads and its quotations in the company."""
        prospects = SQL("p.commercial_partner_id = ANY(%s::int4[])", array_literal(ids, "int4"))
        return self._interaction_counts(company, today, prospects, leads=True)

    def _customer_cutoffs(self, company):
        """The value matrix's cut-offs of the company's customers, from their stored figures."""
        cid = str(company.id)
        rows = self.env.execute_query(
            SQL(
                """SELECT (tiering_amount_12m ->> %(cid)s)::float8, (tiering_margin_12m ->> %(cid)s)::float8,
                          (tiering_interactions_12m ->> %(cid)s)::float8
                     FROM res_partner WHERE tiering_scored_on ? %(cid)s""",
                cid=cid,
            )
        )
        figures = pd.DataFrame.from_records(rows, columns=["amount", "margin", "interactions"]).astype("float64")
        amount = figures["amount"].fillna(0)
        margin_rate = (figures["margin"].fillna(0) / amount * 100).where(amount > 0)
        cost = (figures["interactions"].fillna(0) / amount * maths.COST_UNIT).where(amount > 0)
        return matrix.cutoff_values(amount, margin_rate, cost, company._tiering_cutoffs())

    def _store_prospects(self, company, result):
        """Write the prospects' scores that changed, and clear those of former prospects; returns
        how many partners were written."""
        cid = str(company.id)
        partners = self.env["res.partner"]
        columns = SQL(", ").join(SQL("(%s ->> %s)", SQL.identifier(name), cid) for name in PROSPECT_SCORE_FIELDS)
        rows = self.env.execute_query(
            SQL(
                """SELECT id, %(columns)s FROM res_partner
                    WHERE id = ANY(%(ids)s::int4[])
                       OR (tiering_value_class ? %(cid)s AND NOT COALESCE(tiering_scored_on ? %(cid)s, FALSE))""",
                columns=columns,
                ids=array_literal(result.index.tolist(), "int4"),
                cid=cid,
            )
        )
        stored = {row[0]: row[1:] for row in rows}
        integers = {name for name in PROSPECT_SCORE_FIELDS if partners._fields[name].type == "integer"}

        def normal(name, value):
            if value in (None, False, ""):
                return 0 if name in integers else None
            return int(float(value)) if name in integers else value

        ids, values = [], {name: [] for name in PROSPECT_SCORE_FIELDS}
        new = (
            result.rename(columns={column: name for name, column in PROSPECT_SCORE_FIELDS.items()})
            .reindex(columns=list(PROSPECT_SCORE_FIELDS))
            .to_dict("index")
        )
        for partner_id, before in stored.items():
            after = new.get(partner_id)
            wanted = tuple(normal(name, after[name] if after else None) for name in PROSPECT_SCORE_FIELDS)
            if wanted == tuple(normal(name, value) for name, value in zip(PROSPECT_SCORE_FIELDS, before, strict=True)):
                continue
            ids.append(partner_id)
            for name, value in zip(PROSPECT_SCORE_FIELDS, wanted, strict=True):
                values[name].append(value)
        if ids:
            self.env["trade.tiering.bulk"]._write_company_fields(company, ids, values)
        return len(ids)
