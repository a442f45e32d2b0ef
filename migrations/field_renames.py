"""The add-on's fields on Odoo's models once had no prefix (``star_grade``, ``value_class``…) and could clash
with another add-on's. Renamed to ``tiering_*`` in 18.0.1.1.0; the same name is used on our own models too, so one
concept has one name everywhere.

``rename_fields`` renames in place, so the data, the tracking history and the xmlids stay: the column, its index
and foreign key, the ``ir.model.fields`` row with its field and selection xmlids, and the field names in our
record rules and views, in the views users made, and in the users' saved filters and export lists.
"""

from odoo.tools import SQL
from odoo.tools.sql import TableKind, column_exists, constraint_definition, rename_column, table_kind

MODULE = "trade_crm_tiering"

FIELD_RENAMES = {
    "star_grade_actual": "tiering_star_grade_actual",
    "star_grade_potential": "tiering_star_grade_potential",
    "star_grade": "tiering_star_grade",
    "grade_category": "tiering_grade_category",
    "potential_reason": "tiering_potential_reason",
    "potential_review_date": "tiering_potential_review_date",
    "service_tier_id": "tiering_service_tier_id",
    "tier_follow_up_days": "tiering_follow_up_days",
    "tier_review_months": "tiering_review_months",
    "tier_response_hours": "tiering_response_hours",
    "tier_require_backup": "tiering_require_backup",
    "tier_max_discount": "tiering_max_discount",
    "tier_pool_release_days": "tiering_pool_release_days",
    "tier_payment_term_id": "tiering_payment_term_id",
    "backup_user_id": "tiering_backup_user_id",
    "backup_missing": "tiering_backup_missing",
    "backup_missing_since": "tiering_backup_missing_since",
    "last_interaction_date": "tiering_last_interaction_date",
    "next_follow_up_date": "tiering_next_follow_up_date",
    "next_review_date": "tiering_next_review_date",
    "follow_up_overdue": "tiering_follow_up_overdue",
    "pool_released_date": "tiering_pool_released_date",
    "pool_previous_user_id": "tiering_pool_previous_user_id",
    "grade_history_count": "tiering_grade_history_count",
    "grade_request_count": "tiering_grade_request_count",
    "score_current": "tiering_score_current",
    "score_potential": "tiering_score_potential",
    "score_difficulty": "tiering_score_difficulty",
    "score_stickiness": "tiering_score_stickiness",
    "rfm_score": "tiering_rfm_score",
    "rfm_segment": "tiering_rfm_segment",
    "value_class": "tiering_value_class",
    "value_class_action": "tiering_value_class_action",
    "value_class_advice": "tiering_value_class_advice",
    "health_score": "tiering_health_score",
    "health_band": "tiering_health_band",
    "health_trend": "tiering_health_trend",
    "health_previous": "tiering_health_previous",
    "health_quarter": "tiering_health_quarter",
    "executive_sponsor_id": "tiering_executive_sponsor_id",
    "sponsor_missing": "tiering_sponsor_missing",
    "tier_rule_id": "tiering_rule_id",
    "tier_explanation": "tiering_tier_explanation",
    "lead_reclaim_hours": "tiering_lead_reclaim_hours",
    "lead_reclaim_mode": "tiering_lead_reclaim_mode",
    "approval_step_ids": "tiering_approval_step_ids",
    "approval_user_id": "tiering_approval_user_id",
    "can_approve": "tiering_can_approve",
    "partner_star_grade": "tiering_partner_star_grade",
    "partner_grade_category": "tiering_partner_grade_category",
    "partner_service_tier_id": "tiering_partner_service_tier_id",
    "tier_star_grade": "tiering_order_star_grade",
    "tier_priority": "tiering_priority",
    "max_line_discount": "tiering_max_line_discount",
    "discount_needs_approval": "tiering_discount_needs_approval",
    "discount_banner": "tiering_discount_banner",
    "quote_approval_reasons": "tiering_quote_approval_reasons",
    "quote_needs_approval": "tiering_quote_needs_approval",
    "quote_approval_level": "tiering_quote_approval_level",
    "discount_approval_state": "tiering_discount_approval_state",
    "discount_approved": "tiering_discount_approved",
    "discount_requester_id": "tiering_discount_requester_id",
    "discount_approval_signature": "tiering_discount_approval_signature",
}

# A field whose name is too common to rename on every model: the order's stamped tier, not the rules' tier_id.
MODEL_FIELD_RENAMES = {"sale.order": {"tier_id": "tiering_order_tier_id"}}

# Saved filters and export lists may reach our fields through a relation from these models too.
FILTER_MODELS = ("res.partner", "sale.order", "sale.order.line", "sale.report", "crm.lead", "account.move")


def rename_all(cr):
    """The upgrade to 18.0.1.1.0."""
    rename_fields(cr, FIELD_RENAMES)
    for model, renames in MODEL_FIELD_RENAMES.items():
        rename_fields(cr, renames, only_model=model)


def rename_fields(cr, renames, only_model=None):
    """Rename each of our fields called ``old`` to ``new``, on every model that has it (or on
    ``only_model``); idempotent."""
    models = {only_model} if only_model else set(FILTER_MODELS)
    for old, new in renames.items():
        cr.execute(
            SQL(
                """SELECT f.id, f.model FROM ir_model_fields f
                     JOIN ir_model_data d ON d.model = 'ir.model.fields' AND d.res_id = f.id AND d.module = %s
                    WHERE f.name = %s AND (%s IS NULL OR f.model = %s)""",
                MODULE,
                old,
                only_model,
                only_model,
            )
        )
        for field_id, model in cr.fetchall():
            models.add(model)
            _rename_column(cr, model.replace(".", "_"), old, new)
            _rename_field_row(cr, field_id, model.replace(".", "_"), old, new)
    _rename_in_texts(cr, renames, models, only_model)


def _rename_column(cr, table, old, new):
    if table_kind(cr, table) != TableKind.Regular or not column_exists(cr, table, old) or column_exists(cr, table, new):
        return
    rename_column(cr, table, old, new)
    cr.execute(
        SQL(
            "ALTER INDEX IF EXISTS %s RENAME TO %s",
            SQL.identifier(f"{table}__{old}_index"),
            SQL.identifier(f"{table}__{new}_index"),
        )
    )
    if constraint_definition(cr, table, f"{table}_{old}_fkey"):
        cr.execute(
            SQL(
                "ALTER TABLE %s RENAME CONSTRAINT %s TO %s",
                SQL.identifier(table),
                SQL.identifier(f"{table}_{old}_fkey"),
                SQL.identifier(f"{table}_{new}_fkey"),
            )
        )


def _rename_field_row(cr, field_id, table, old, new):
    cr.execute(SQL("UPDATE ir_model_fields SET name = %s WHERE id = %s", new, field_id))
    cr.execute(
        SQL(
            "UPDATE ir_model_data SET name = %s WHERE module = %s AND model = 'ir.model.fields' AND name = %s",
            f"field_{table}__{new}",
            MODULE,
            f"field_{table}__{old}",
        )
    )
    old_prefix, new_prefix = f"selection__{table}__{old}__", f"selection__{table}__{new}__"
    cr.execute(
        SQL(
            """UPDATE ir_model_data SET name = %s || substr(name, %s)
                WHERE module = %s AND model = 'ir.model.fields.selection' AND starts_with(name, %s)""",
            new_prefix,
            len(old_prefix) + 1,
            MODULE,
            old_prefix,
        )
    )


def _rename_in_texts(cr, renames, models, only_model=None):
    """Field names in stored texts: our record rules and views (Odoo checks a view with its children
    while it reloads them, before each child's new arch is read), the views users made, and the users'
    filters and export lists."""
    rule_models = (
        SQL("AND r.model_id IN (SELECT id FROM ir_model WHERE model = %s)", only_model) if only_model else SQL()
    )
    models = sorted(models)
    for old, new in renames.items():
        pattern = rf"\m{old}\M"
        cr.execute(
            SQL(
                """UPDATE ir_rule r SET domain_force = regexp_replace(domain_force, %(pattern)s, %(new)s, 'g')
                     FROM ir_model_data d
                    WHERE d.model = 'ir.rule' AND d.res_id = r.id AND d.module = %(module)s
                      AND domain_force ~ %(pattern)s %(rule_models)s""",
                pattern=pattern,
                new=new,
                module=MODULE,
                rule_models=rule_models,
            )
        )
        cr.execute(
            SQL(
                """UPDATE ir_filters f
                      SET domain = regexp_replace(domain, %(pattern)s, %(new)s, 'g'),
                          context = regexp_replace(context, %(pattern)s, %(new)s, 'g'),
                          sort = regexp_replace(sort, %(pattern)s, %(new)s, 'g')
                    WHERE f.model_id = ANY(%(models)s)
                      AND (domain ~ %(pattern)s OR context ~ %(pattern)s OR sort ~ %(pattern)s)""",
                pattern=pattern,
                new=new,
                models=models,
            )
        )
        cr.execute(
            SQL(
                """UPDATE ir_ui_view v SET arch_db = regexp_replace(arch_db::text, %(pattern)s, %(new)s, 'g')::jsonb
                    WHERE arch_db::text ~ %(pattern)s %(view_model)s
                      AND (v.id IN (SELECT res_id FROM ir_model_data WHERE model = 'ir.ui.view' AND module = %(module)s)
                           OR (v.model = ANY(%(models)s) AND v.id NOT IN (SELECT res_id FROM ir_model_data
                                                                           WHERE model = 'ir.ui.view')))""",
                pattern=pattern,
                new=new,
                module=MODULE,
                models=models,
                view_model=SQL("AND v.model = %s", only_model) if only_model else SQL(),
            )
        )
        cr.execute(
            SQL(
                """UPDATE ir_exports_line l SET name = regexp_replace(l.name, %(pattern)s, %(new)s, 'g')
                     FROM ir_exports e
                    WHERE e.id = l.export_id AND e.resource = ANY(%(models)s) AND l.name ~ %(pattern)s""",
                pattern=pattern,
                new=new,
                models=models,
            )
        )
