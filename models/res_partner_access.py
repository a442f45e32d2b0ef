"""Who reads the grading figures of a customer (#12.11).

Two layers:

* Field level: every tiering field on res.partner is for internal users only (``groups``), so a
  portal user reads none of them through their own partner, whatever the API.
* Record level: reps read the purchase amounts, margins and scores (``REP_MASKED_FIELDS``) only of
  the customers they serve: as salesperson or backup salesperson, or through a sales team they
  are a member or the leader of (of the customer or of its company). Supervisors and the general
  manager read all. Odoo has no per-record field security, so it is done centrally here:

  - read, search_read, web_read (``_read_format``): the values of customers not served are blanked;
  - export (``_export_rows``): the same cells are left empty;
  - search (``_condition_to_sql``): a condition on such a field only ever matches served
    customers, so a rep cannot find a value by bisection;
  - sort (``_order_field_to_sql``): customers not served sort as if the value were empty;
  - group by and aggregates (``_read_group_groupby``/``_read_group_select``): their values count
    as empty, so sums and groups only hold the served customers' figures.

  All of it is set-based: one SQL condition inside the query, or one query per read call.

Attribute access in Python (``partner.tiering_annual_amount``) is not masked: business code reads
the true figures, and only what goes back to the user is masked.
"""

from odoo import api, fields, models
from odoo.tools import SQL

from .tiering_constants import SUPERVISOR_GROUP

INTERNAL = "base.group_user"

# Figures a rep reads only for the customers they serve (#12.11).
REP_MASKED_FIELDS = frozenset(
    {
        # purchase amounts
        "tiering_annual_amount",
        "tiering_amount_12m",
        "tiering_amount_prev_12m",
        "tiering_amount_6m",
        "tiering_amount_prev_6m",
        "tiering_orders_12m",
        "tiering_growth_rate",
        # margins
        "tiering_margin_12m",
        "tiering_margin_rate",
        "tiering_cost_to_serve",
        # scores and what they are made of
        "tiering_score_current",
        "tiering_score_potential",
        "tiering_score_difficulty",
        "tiering_score_stickiness",
        "tiering_score",
        "tiering_rfm_score",
        "tiering_rfm_segment",
        "tiering_value_class",
        "tiering_value_class_action",
        "tiering_health_score",
        "tiering_health_band",
        "tiering_health_trend",
        "tiering_health_previous",
        "tiering_interactions_12m",
        "tiering_days_late",
        "tiering_invoices_due",
        "tiering_decision_days",
        "tiering_repurchase_rate",
        "tiering_usual_gap",
        "tiering_potential_reason",
        # the value matrix's advice and the margin after service cost (#14.6)
        "tiering_value_class_advice",
        "tiering_service_cost_12m",
        "tiering_net_margin_12m",
        "tiering_net_margin_rate",
    }
)


class ResPartner(models.Model):
    _inherit = "res.partner"

    # The grading fields for internal users only: a portal user reads none through their partner.
    tiering_currency_id = fields.Many2one(groups=INTERNAL)
    tiering_annual_amount = fields.Float(groups=INTERNAL)
    tiering_star_grade_actual = fields.Selection(groups=INTERNAL)
    tiering_star_grade_potential = fields.Selection(groups=INTERNAL)
    tiering_star_grade = fields.Selection(groups=INTERNAL)
    tiering_grade_category = fields.Selection(groups=INTERNAL)
    tiering_date = fields.Date(groups=INTERNAL)
    tiering_potential_reason = fields.Text(groups=INTERNAL)
    tiering_potential_review_date = fields.Date(groups=INTERNAL)
    tiering_downgrade_due = fields.Date(groups=INTERNAL)
    tiering_service_tier_id = fields.Many2one(groups=INTERNAL)
    tiering_follow_up_days = fields.Integer(groups=INTERNAL)
    tiering_review_months = fields.Integer(groups=INTERNAL)
    tiering_response_hours = fields.Integer(groups=INTERNAL)
    tiering_require_backup = fields.Boolean(groups=INTERNAL)
    tiering_max_discount = fields.Float(groups=INTERNAL)
    tiering_pool_release_days = fields.Integer(groups=INTERNAL)
    tiering_payment_term_id = fields.Many2one(groups=INTERNAL)
    tiering_last_interaction_date = fields.Date(groups=INTERNAL)
    tiering_next_follow_up_date = fields.Date(groups=INTERNAL)
    tiering_next_review_date = fields.Date(groups=INTERNAL)
    tiering_follow_up_overdue = fields.Boolean(groups=INTERNAL)
    tiering_backup_missing = fields.Boolean(groups=INTERNAL)
    tiering_pool_released_date = fields.Date(groups=INTERNAL)
    tiering_pool_previous_user_id = fields.Many2one(groups=INTERNAL)
    tiering_grade_history_count = fields.Integer(groups=INTERNAL)
    tiering_grade_request_count = fields.Integer(groups=INTERNAL)
    tiering_first_order_date = fields.Date(groups=INTERNAL)
    tiering_last_order_date = fields.Date(groups=INTERNAL)
    tiering_orders_12m = fields.Integer(groups=INTERNAL)
    tiering_amount_12m = fields.Float(groups=INTERNAL)
    tiering_amount_prev_12m = fields.Float(groups=INTERNAL)
    tiering_amount_6m = fields.Float(groups=INTERNAL)
    tiering_amount_prev_6m = fields.Float(groups=INTERNAL)
    tiering_margin_12m = fields.Float(groups=INTERNAL)
    tiering_interactions_12m = fields.Integer(groups=INTERNAL)
    tiering_cost_to_serve = fields.Float(groups=INTERNAL)
    tiering_days_late = fields.Float(groups=INTERNAL)
    tiering_invoices_due = fields.Integer(groups=INTERNAL)
    tiering_decision_days = fields.Float(groups=INTERNAL)
    tiering_contact_count = fields.Integer(groups=INTERNAL)
    tiering_repurchase_rate = fields.Float(groups=INTERNAL)
    tiering_usual_gap = fields.Float(groups=INTERNAL)
    tiering_inquiries_3m = fields.Integer(groups=INTERNAL)
    tiering_inquiries_prev_3m = fields.Integer(groups=INTERNAL)
    tiering_score_current = fields.Integer(groups=INTERNAL)
    tiering_score_potential = fields.Integer(groups=INTERNAL)
    tiering_score_difficulty = fields.Integer(groups=INTERNAL)
    tiering_score_stickiness = fields.Integer(groups=INTERNAL)
    tiering_score = fields.Integer(groups=INTERNAL)
    tiering_rfm_score = fields.Char(groups=INTERNAL)
    tiering_rfm_segment = fields.Selection(groups=INTERNAL)
    tiering_value_class = fields.Selection(groups=INTERNAL)
    tiering_value_class_action = fields.Char(groups=INTERNAL)
    tiering_health_score = fields.Integer(groups=INTERNAL)
    tiering_health_band = fields.Selection(groups=INTERNAL)
    tiering_health_trend = fields.Selection(groups=INTERNAL)
    tiering_health_previous = fields.Integer(groups=INTERNAL)
    tiering_health_quarter = fields.Date(groups=INTERNAL)
    tiering_dormant = fields.Boolean(groups=INTERNAL)
    tiering_scored_on = fields.Date(groups=INTERNAL)
    tiering_margin_rate = fields.Float(groups=INTERNAL)
    tiering_growth_rate = fields.Float(groups=INTERNAL)
    tiering_warning_count = fields.Integer(groups=INTERNAL)
    tiering_rating_industry = fields.Selection(groups=INTERNAL)
    tiering_rating_size = fields.Selection(groups=INTERNAL)
    tiering_rating_wallet = fields.Selection(groups=INTERNAL)
    tiering_rating_chain = fields.Selection(groups=INTERNAL)
    trade_source = fields.Selection(groups=INTERNAL)
    trade_size_band = fields.Selection(groups=INTERNAL)
    trade_main_products = fields.Char(groups=INTERNAL)
    trade_declared_volume = fields.Monetary(groups=INTERNAL)
    trade_target_price = fields.Monetary(groups=INTERNAL)
    trade_credit_rating = fields.Selection(groups=INTERNAL)
    trade_credit_rated_on = fields.Date(groups=INTERNAL)
    trade_founded_on = fields.Date(groups=INTERNAL)
    trade_preferred_channel = fields.Selection(groups=INTERNAL)
    trade_lifecycle = fields.Selection(groups=INTERNAL)
    trade_lifecycle_auto = fields.Selection(groups=INTERNAL)
    trade_lifecycle_override = fields.Selection(groups=INTERNAL)
    trade_lifecycle_reason = fields.Char(groups=INTERNAL)

    tiering_served = fields.Boolean(
        string="Served by Me",
        compute="_compute_tiering_served",
        search="_search_tiering_served",
        groups=INTERNAL,
        help="You or a sales team of yours serve this customer (or its company): you read its amounts, "
        "margins and scores.",
    )

    # ------------------------------------------------------------------
    # Who serves whom
    # ------------------------------------------------------------------

    def _tiering_sees_all(self):
        """Supervisors and the general manager read every customer's figures."""
        return self.env.su or self.env.user.has_group(SUPERVISOR_GROUP)

    @api.model
    def _tiering_served_sql(self, alias):
        """SQL condition: the current user serves the partner of table ``alias``.

        Salesperson or backup of the partner or of its company, or the partner's team is one the
        user is an active member or the leader of. Evaluated inside the query: no per-record work.
        """
        partner_fields = self._fields
        member_fields = self.env["crm.team.member"]._fields

        def column(table, name, fields_):
            return SQL.identifier(table, name, to_flush=fields_[name])

        uid = self.env.uid
        teams = SQL(
            "(SELECT %(member_team)s FROM crm_team_member AS tiering_mbr"
            " WHERE %(member_user)s = %(uid)s AND %(member_active)s"
            " UNION ALL SELECT tiering_team.id FROM crm_team AS tiering_team"
            " WHERE %(leader)s = %(uid)s)",
            member_team=column("tiering_mbr", "crm_team_id", member_fields),
            member_user=column("tiering_mbr", "user_id", member_fields),
            member_active=column("tiering_mbr", "active", member_fields),
            leader=column("tiering_team", "user_id", self.env["crm.team"]._fields),
            uid=uid,
        )
        return SQL(
            "EXISTS (SELECT 1 FROM res_partner AS tiering_srv"
            " WHERE tiering_srv.id IN (%(id)s, %(commercial)s)"
            " AND (%(user)s = %(uid)s OR %(backup)s = %(uid)s OR %(team)s IN %(teams)s))",
            id=SQL.identifier(alias, "id"),
            commercial=column(alias, "commercial_partner_id", partner_fields),
            user=column("tiering_srv", "user_id", partner_fields),
            backup=column("tiering_srv", "tiering_backup_user_id", partner_fields),
            team=column("tiering_srv", "team_id", partner_fields),
            uid=uid,
            teams=teams,
        )

    def _tiering_served_ids(self):
        """The ids of ``self`` the current user serves, in one query."""
        ids = [pid for pid in self._ids if isinstance(pid, int)]
        if not ids:
            return set()
        rows = self.env.execute_query(
            SQL(
                "SELECT res_partner.id FROM res_partner WHERE res_partner.id = ANY(%s) AND %s",
                ids,
                self._tiering_served_sql("res_partner"),
            )
        )
        return {pid for (pid,) in rows}

    @api.depends_context("uid")
    def _compute_tiering_served(self):
        served = self._tiering_served_ids()
        for partner in self:
            partner.tiering_served = partner.id in served

    def _search_tiering_served(self, operator, value):
        subquery = SQL(
            "(SELECT tiering_p.id FROM res_partner AS tiering_p WHERE %s)", self._tiering_served_sql("tiering_p")
        )
        served = (operator == "=") == bool(value)
        return [("id", "in" if served else "not in", subquery)]

    def _tiering_masks(self):
        return not self._tiering_sees_all()

    # ------------------------------------------------------------------
    # Reading, exporting, searching, sorting and grouping the masked figures
    # ------------------------------------------------------------------

    def _read_format(self, fnames, load="_classic_read"):
        result = super()._read_format(fnames, load=load)
        masked = [name for name in fnames if name in REP_MASKED_FIELDS]
        if not masked or not result or not self._tiering_masks():
            return result
        served = self.browse([vals["id"] for vals in result])._tiering_served_ids()
        for vals in result:
            if vals["id"] not in served:
                vals.update(dict.fromkeys(masked, False))
        return result

    def _export_rows(self, fields, *, _is_toplevel_call=True):
        masked = [i for i, path in enumerate(fields) if path and path[0] in REP_MASKED_FIELDS]
        if not masked or not self or not self._tiering_masks():
            return super()._export_rows(fields, _is_toplevel_call=_is_toplevel_call)
        # An extra ".id" column tells each record's own line from the lines of its one2many values.
        lines = super()._export_rows([*fields, [".id"]], _is_toplevel_call=_is_toplevel_call)
        served = self._tiering_served_ids()
        for line in lines:
            record_id = line.pop()
            if record_id and int(record_id) not in served:
                for i in masked:
                    line[i] = ""
        return lines

    def _condition_to_sql(self, alias, fname, operator, value, query):
        condition = super()._condition_to_sql(alias, fname, operator, value, query)
        if fname in REP_MASKED_FIELDS and self._tiering_masks():
            # Only served customers ever match a condition on their figures, whatever the
            # operator: the result tells nothing about the others.
            return SQL("(%s AND %s)", self._tiering_served_sql(alias), condition)
        return condition

    def _order_field_to_sql(self, alias, field_name, direction, nulls, query):
        if field_name not in REP_MASKED_FIELDS or not self._tiering_masks():
            return super()._order_field_to_sql(alias, field_name, direction, nulls, query)
        sql_field = self._tiering_masked_sql(alias, field_name, query)
        if query.groupby:
            query.groupby = SQL("%s, %s", query.groupby, sql_field)
        return SQL("%s %s %s", sql_field, direction, nulls)

    def _read_group_groupby(self, groupby_spec, query):
        sql = super()._read_group_groupby(groupby_spec, query)
        if groupby_spec in REP_MASKED_FIELDS and self._tiering_masks():
            return SQL("(CASE WHEN %s THEN %s END)", self._tiering_served_sql(self._table), sql)
        return sql

    def _read_group_select(self, aggregate_spec, query):
        sql = super()._read_group_select(aggregate_spec, query)
        fname, __, func = aggregate_spec.partition(":")
        if fname in REP_MASKED_FIELDS and self._tiering_masks():
            masked = self._tiering_masked_sql(self._table, fname, query)
            return models.READ_GROUP_AGGREGATE[func](self._table, masked)
        return sql

    def _tiering_masked_sql(self, alias, fname, query):
        """The field's value where the user serves the customer, NULL elsewhere."""
        return SQL(
            "(CASE WHEN %s THEN %s END)", self._tiering_served_sql(alias), self._field_to_sql(alias, fname, query)
        )
