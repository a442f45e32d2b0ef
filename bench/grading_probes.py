"""The grading benchmark's probes: the bare aggregation query, the naive per-customer ORM loop
and the incremental regrade that confirming one order runs at commit (see bench_grading.py)."""

import contextlib
import time

import common  # next to this file; it puts Odoo on the path, so it comes first

from odoo import Command, fields
from odoo.tools import SQL

# The commit hook that regrades the customers of a confirmed order.
GRADING_HOOK = "._tiering_run_scheduled_regrades"


def bare_aggregation_query(company, window):
    return SQL(
        """SELECT p.commercial_partner_id, SUM(so.amount_untaxed)
             FROM sale_order so
             JOIN res_partner p ON p.id = so.partner_id
            WHERE so.company_id = %s AND so.state = 'sale' AND so.date_order >= %s AND so.date_order < %s
            GROUP BY 1""",
        company.id,
        window.start,
        window.end,
    )


class _RollbackError(Exception):
    pass


def naive_loop(env, company, sample_ids, window, thresholds, grading):
    """The per-customer ORM way: search, convert each order, band, write. Returns (seconds, stars)."""
    stars = {}
    seconds = 0.0
    orders_model = env["sale.order"].with_company(company)
    partners = env["res.partner"].with_company(company).sudo()
    grading_currency = company.tiering_currency_id
    today = fields.Date.context_today(partners)
    with contextlib.suppress(_RollbackError), env.cr.savepoint():
        t0 = time.perf_counter()
        for partner_id in sample_ids:
            orders = orders_model.search(
                [
                    ("partner_id.commercial_partner_id", "=", partner_id),
                    ("company_id", "=", company.id),
                    ("state", "=", "sale"),
                    ("date_order", ">=", window.start),
                    ("date_order", "<", window.end),
                ]
            )
            total = 0.0
            for order in orders:
                total += order.currency_id._convert(
                    order.amount_untaxed, grading_currency, company, fields.Date.to_date(order.date_order), round=False
                )
            amount = round(total, 2)
            star = grading.band(amount, thresholds)
            stars[partner_id] = star
            partners.browse(partner_id).write(
                {
                    "tiering_annual_amount": amount,
                    "tiering_star_grade_actual": str(star),
                    "tiering_star_grade": str(star),
                    "tiering_grade_category": grading.category(star),
                    "tiering_date": today,
                }
            )
        env.flush_all()
        seconds = time.perf_counter() - t0
        raise _RollbackError
    env.invalidate_all()
    return seconds, stars


def stored_as(value, fallback):
    """How a company-dependent value is stored: Odoo 18 drops the company key when it equals the fallback."""
    return None if value == fallback else value


def incremental(env, company, probe, partner_id, amount, label, out, grading):
    """Confirm one ORM order of ``amount`` for ``partner_id``, then commit: time and count the hooks."""
    cr = env.cr
    cid = str(company.id)
    products = env["product.product"]
    product = products.search([("sale_ok", "=", True), ("type", "=", "consu")], limit=1) or products.search(
        [("sale_ok", "=", True)], limit=1
    )
    line = {"product_id": product.id, "product_uom_qty": 1, "price_unit": amount, "tax_id": []}
    order = (
        env["sale.order"]
        .with_company(company)
        .create(
            {
                "partner_id": partner_id,
                "company_id": company.id,
                "currency_id": company.currency_id.id,
                "order_line": [Command.create(line)],
            }
        )
    )
    order.action_confirm()
    env.flush_all()
    customer = order.partner_id.commercial_partner_id.id
    name, created = order.name, order.create_date
    probe.reset()
    hooks, clock = common.commit_attributed(env, GRADING_HOOK)
    statements = probe.statements(indent="        ")
    owner = "res.partner._tiering_run_scheduled_regrades"
    changes = probe.results[-1] if probe.results else {}
    new = changes.get(customer)
    # What the COMMIT stored, read back in the next transaction.
    cr.execute(
        """SELECT p.id, p.tiering_annual_amount ->> %s, p.tiering_star_grade_actual ->> %s, p.tiering_star_grade ->> %s,
                  p.tiering_grade_category ->> %s
             FROM res_partner p WHERE p.commercial_partner_id = %s ORDER BY p.id != p.commercial_partner_id, p.id""",
        [cid, cid, cid, cid, customer],
    )
    stored = cr.fetchall()
    cr.execute(
        "SELECT count(*) FROM trade_grade_history WHERE partner_id = %s AND company_id = %s AND create_date >= %s",
        [customer, company.id, created],
    )
    history_rows = cr.fetchone()[0]
    persisted = None
    if new is not None:
        actual, served = new.grade.actual, new.decision.effective
        expected = (
            stored_as(str(actual), "0"),
            stored_as(str(served), "0"),
            stored_as(grading.category(served), "ordinary"),
        )
        persisted = all(
            row[1] is not None and abs(float(row[1]) - new.amount) < 0.005 and tuple(row[2:]) == expected
            for row in stored
        )
    result = f"{new.amount:,.2f} USD, {new.decision.effective} stars" if new else "no change"
    verdict = {True: "persisted correctly", False: "NOT PERSISTED CORRECTLY", None: ""}[persisted]
    out(
        f"    {label}: order {name} of {amount:,.2f} USD for customer {customer} (+{len(stored) - 1} contact(s))\n"
        f"      grading result: {result}; history rows: {history_rows}\n"
        f"      commit: {clock.queries} queries, {clock.seconds * 1000:.1f} ms; grading's share "
        f"(its hook and the hooks it queued): {hooks.queries(owner)} queries, {hooks.seconds(owner) * 1000:.1f} ms\n"
        f"{hooks.report(indent='        ')}\n"
        f"      queries of the commit:\n{statements}\n"
        f"      stored after COMMIT (id, amount, actual, star, category; null = fallback): {stored}; {verdict}"
    )
    return {
        "queries_total": clock.queries,
        "queries": hooks.queries(owner),
        "seconds": hooks.seconds(owner),
        "seconds_total": clock.seconds,
        "persisted": persisted,
        "left_dirty": hooks.left_dirty,
        "star": new.decision.effective if new else None,
    }


# ----------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------
