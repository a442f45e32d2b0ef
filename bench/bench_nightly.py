"""Benchmark of the nightly scheduled actions of trade_crm_tiering under Odoo's own cron runner.

Generates the grading benchmark's data (customers, contacts, rates, confirmed orders, notes,
activities and leads) with SQL, upgrades the add-on so the database runs the code on disk, then
starts ``odoo-bin --workers=2`` with Odoo's default limits (``limit_time_real`` and
``limit_time_real_cron`` 120 s) and lets its cron workers run each nightly action in turn. Each
action's calls are read from the server log ("Job ... done in N s"): the longest single call must
stay under 60 s. Prints every call, any timeout or failure, and a summary; never fails on a time.
Run it through ``tools/bench --only nightly``.
"""

# A benchmark commits on purpose and prints its figures.
# pylint: disable=invalid-commit,print-used

import os
import re
import socket
import subprocess
import sys
import time

import common  # next to this file; it puts Odoo on the path, so it comes first
import datagen
from common import MODULE, ODOO_SRC, out

import odoo
from odoo.tools import SQL

TARGET_CALL_S = 60.0
ACTIONS = (
    ("grading", "ir_cron_tiering_regrade"),
    ("scoring", "ir_cron_tiering_scoring"),
    ("cadence and pool", "ir_cron_tiering_cadence"),
    ("portfolio", "ir_cron_tiering_portfolio"),
    ("profile", "ir_cron_trade_profile"),
    ("response", "ir_cron_trade_response"),
)
# The response pass's data: reps sharing the leads, response clocks of the last week.
RESPONSE_REPS = 20
CLOCKS_PER_CUSTOMER = 0.5
RUNNING_CLOCK_SHARE = 0.3
PASS_TIMEOUT_S = 1800
DONE_RE = re.compile(r"Job '(?P<name>[^']*)' \((?P<id>\d+)\) done in (?P<seconds>[\d.]+)s")
TROUBLE_RE = re.compile(r"timed out|timeout|failed|Traceback|ERROR|CRITICAL", re.IGNORECASE)


def parse_args(argv=None):
    parser = common.make_parser(__doc__)
    common.add_size_arguments(parser)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--actions",
        default=",".join(label.split()[0] for label, _xmlid in ACTIONS),
        help="comma-separated actions to run, in their order (default: all): "
        "grading,scoring,cadence,portfolio,profile,response",
    )
    parser.add_argument(
        "--wait-for", help="after generating the data, wait until this file exists (to start the data early)"
    )
    common.add_database_arguments(parser)
    return parser.parse_args(argv)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command(args, *extra):
    return [
        sys.executable,
        os.path.join(ODOO_SRC, "odoo-bin"),
        *common.odoo_options(args),
        f"--http-port={free_port()}",
        f"--gevent-port={free_port()}",
        *extra,
    ]


def generate(args):
    with common.superuser_env(common.open_registry(args)) as env:
        cr = env.cr
        company = common.grading_company(env)
        now = common.utc_now()
        start = time.monotonic()
        sizes = datagen.generate(env, company, args, now, out)
        datagen.generate_scoring_data(env, company, args, now)
        sizes = f"{sizes}, {generate_response_data(env, company, args, now)}"
        generate_credit_matrix(env, company)
        generate_matrix_consequences(env, company)
        generate_invoices(env, company, args)
        generate_tier_rules(env, company)
        cr.commit()
        cr.execute("ANALYZE")
        out(f"    generation: {time.monotonic() - start:.1f} s ({sizes})")


def generate_tier_rules(env, company):
    """Tiers by rules (#14.4): seed 004's rule for A, and one rule for each other tier, so the scoring
    pass's last unit evaluates every customer and the first night opens the move-up requests."""
    if "trade.tier.rule" not in env:
        return
    tiers = {tier.code: tier for tier in company.tiering_tier_ids}
    company.tiering_tier_mode = "rules"
    env["trade.tier.rule"].create(
        [
            {
                "company_id": company.id,
                "tier_id": tiers["A"].id,
                "inquiry_months": 3,
                "order_months": 6,
                "min_amount": 50_000,
            },
            {"company_id": company.id, "tier_id": tiers["B"].id, "min_score": 60, "order_months": 12},
            {"company_id": company.id, "tier_id": tiers["C"].id, "inquiry_months": 6},
            {"company_id": company.id, "tier_id": tiers["D"].id, "stage_lost": True},
        ]
    )


def generate_response_data(env, company, args, now):
    """Reps in a team sharing the leads, assigned up to 48 hours ago (about half idle for more than
    the 24 hours of the reclaim), and response clocks of the last week, 30 % still running."""
    cr = env.cr
    reps = env["res.users"].create(
        [
            {
                "name": f"Bench Rep {i}",
                "login": f"bench_rep_{i}",
                "company_id": company.id,
                "company_ids": [(6, 0, company.ids)],
                "groups_id": [(6, 0, [env.ref("sales_team.group_sale_salesman").id])],
            }
            for i in range(RESPONSE_REPS)
        ]
    )
    team = env["crm.team"].create(
        {"name": "Bench Response Team", "company_id": company.id, "member_ids": [(6, 0, reps.ids)]}
    )
    env.flush_all()
    cr.execute(
        """UPDATE crm_lead l
              SET user_id = r.ids[1 + mod(l.id, %(n)s)], trade_assigned_user_id = r.ids[1 + mod(l.id, %(n)s)],
                  team_id = %(team)s, trade_assigned_at = %(now)s::timestamp - random() * interval '48 hours'
             FROM (SELECT %(reps)s::int4[] AS ids) r
            WHERE l.company_id = %(company)s""",
        {"n": len(reps), "reps": reps.ids, "team": team.id, "now": now, "company": company.id},
    )
    leads = cr.rowcount
    cr.execute(
        """INSERT INTO trade_response_clock (partner_id, company_id, user_id, team_id, allowed_hours, date_started,
                                             date_stopped, hours, state, warning_state, create_uid, write_uid,
                                             create_date, write_date)
           SELECT c.id, %(company)s, r.ids[1 + mod(c.idx, %(n)s)], %(team)s, (ARRAY[4, 8, 24, 48])[1 + mod(c.idx, 4)],
                  x.started, CASE WHEN x.running THEN NULL ELSE x.started + x.took END,
                  CASE WHEN x.running THEN NULL ELSE extract(epoch FROM x.took) / 3600 END,
                  CASE WHEN x.running THEN 'running' ELSE 'answered' END, 'none', 1, 1, %(now)s, %(now)s
             FROM (SELECT 1 + floor(random() * %(customers)s)::int AS idx,
                          date_trunc('second', %(now)s::timestamp - random() * interval '7 days') AS started,
                          random() < %(running)s AS running, random() * interval '30 hours' AS took
                     FROM generate_series(1, %(count)s)) x
             JOIN bench_customer c ON c.idx = x.idx
             JOIN (SELECT %(reps)s::int4[] AS ids) r ON TRUE
               ON CONFLICT DO NOTHING""",
        {
            "company": company.id,
            "n": len(reps),
            "reps": reps.ids,
            "team": team.id,
            "now": now,
            "customers": args.customers,
            "running": RUNNING_CLOCK_SHARE,
            "count": round(args.customers * CLOCKS_PER_CUSTOMER),
        },
    )
    clocks = cr.rowcount
    cr.commit()
    cr.execute("ANALYZE crm_lead")
    cr.execute("ANALYZE trade_response_clock")
    env.invalidate_all()
    return {"assigned leads": leads, "response clocks": clocks}


def generate_credit_matrix(env, company):
    """A credit limit per service tier and rating, and B terms for customers without a rating: the
    scoring pass's credit unit writes every customer's Odoo credit limit on the first night."""
    limits = {"limit_aaa": 500_000, "limit_aa": 300_000, "limit_a": 200_000, "limit_bbb": 100_000}
    limits.update({"limit_bb": 50_000, "limit_b": 20_000})
    for index, tier in enumerate(company.tiering_tier_ids):
        env["trade.credit.limit"].create(
            {
                "company_id": company.id,
                "tiering_service_tier_id": tier.id,
                **{name: amount / (index + 1) for name, amount in limits.items()},
            }
        )
    company.trade_credit_unrated = "B"


def generate_matrix_consequences(env, company):
    """Value matrix consequences (#14.6; off by default): hidden gems propose tier B (grade requests
    submitted for approval, at most 500 a night) and let-go customers go back to the team pool, so
    the scoring pass's matrix units do their most on the first night."""
    tiers = {tier.code: tier for tier in company.tiering_tier_ids}
    env["trade.matrix.consequence"].create(
        [
            {
                "company_id": company.id,
                "tiering_value_class": "hidden_gem",
                "action": "tier_change",
                "tiering_service_tier_id": tiers["B"].id,
            },
            {"company_id": company.id, "tiering_value_class": "let_go", "action": "release_to_pool"},
        ]
    )


INVOICES_PER_CUSTOMER = 4
OPEN_SHARE = 0.15


def generate_invoices(env, company, args):
    """Posted customer invoices due in the last 400 days, with SQL, for the credit ratings: about
    INVOICES_PER_CUSTOMER a customer, OPEN_SHARE of them still open (late by the days since they
    fell due), the others paid (on time: no reconciliation rows are generated)."""
    cr = env.cr
    cr.execute(
        SQL("SELECT id FROM account_journal WHERE company_id = %s AND type = 'sale' ORDER BY id LIMIT 1", company.id)
    )
    journal = cr.fetchone()
    filled = {"journal_id", "currency_id", "company_id", "date", "state", "move_type", "auto_post"}
    missing = datagen.not_null_columns(cr, "account_move") - filled - {"id"}
    if not journal or missing:
        out(f"    invoices: none generated (sale journal: {bool(journal)}, unfilled columns: {sorted(missing)})")
        return
    cr.execute(SQL("SELECT setseed(%s)", (args.seed % 1000) / 1000.0 / 3))
    cr.execute(
        SQL(
            """INSERT INTO account_move (journal_id, currency_id, company_id, date, invoice_date, invoice_date_due,
                                         state, move_type, auto_post, partner_id, commercial_partner_id, name,
                                         amount_total, amount_total_signed, amount_residual, payment_state,
                                         create_uid, write_uid, create_date, write_date)
               SELECT %(journal)s, %(currency)s, %(company)s, x.due - 30, x.due - 30, x.due, 'posted', 'out_invoice',
                      'no', c.id, c.id, 'BENCH/' || x.n, x.amount, x.amount,
                      CASE WHEN x.open THEN x.amount ELSE 0 END,
                      CASE WHEN x.open THEN 'not_paid' ELSE 'paid' END, 1, 1, now(), now()
                 FROM (SELECT n, 1 + floor(random() * %(customers)s)::int AS idx,
                              CURRENT_DATE - floor(random() * 400)::int AS due,
                              round((100 + random() * 20000)::numeric, 2) AS amount,
                              random() < %(open)s AS open
                         FROM generate_series(1, %(count)s) n) x
                 JOIN bench_customer c ON c.idx = x.idx""",
            journal=journal[0],
            currency=company.currency_id.id,
            company=company.id,
            customers=args.customers,
            open=OPEN_SHARE,
            count=args.customers * INVOICES_PER_CUSTOMER,
        )
    )
    out(f"    invoices: {cr.rowcount} posted customer invoices")


def run_actions(args, logfile):
    """Trigger each action in turn and wait for the cron workers to complete it."""
    db = odoo.sql_db.db_connect(args.db)
    results = {}
    with db.cursor() as cr:
        cr.execute(
            """SELECT d.name, c.id, a.name->>'en_US' FROM ir_model_data d
                 JOIN ir_cron c ON c.id = d.res_id JOIN ir_act_server a ON a.id = c.ir_actions_server_id
                WHERE d.module = %s AND d.model = 'ir.cron'""",
            [MODULE],
        )
        crons = {xmlid: (cron_id, name) for xmlid, cron_id, name in cr.fetchall()}
        # Only the action under test is due; the others wait far in the future.
        cr.execute(
            "UPDATE ir_cron SET nextcall = now() + interval '30 days' WHERE id = ANY(%s)",
            [[c[0] for c in crons.values()]],
        )
        cr.commit()
        chosen = set(args.actions.split(","))
        for label, xmlid in ACTIONS:
            if label.split()[0] not in chosen:
                continue
            cron_id, name = crons[xmlid]
            cr.execute("SELECT now() at time zone 'UTC'")
            [started] = cr.fetchone()
            wall = time.monotonic()
            cr.execute("UPDATE ir_cron SET nextcall = %s, active = TRUE WHERE id = %s", [started, cron_id])
            cr.commit()
            # Wake the cron workers up as Odoo does when a cron is triggered.
            cr.execute("NOTIFY cron_trigger, %s", [args.db])
            cr.commit()
            while True:
                time.sleep(2)
                cr.execute("SELECT lastcall, active, failure_count FROM ir_cron WHERE id = %s", [cron_id])
                lastcall, _active, failures = cr.fetchone()
                cr.commit()
                if lastcall and lastcall >= started:
                    break
                if failures or time.monotonic() - wall > PASS_TIMEOUT_S:
                    break
            results[label] = (cron_id, name, time.monotonic() - wall, lastcall and lastcall >= started, failures)
            out(f"    {label}: completed in {results[label][2]:.1f} s of wall time (failures {failures})")
    return results


def report(args, results, logfile):
    with open(logfile, encoding="utf-8") as handle:
        log = handle.read().splitlines()
    calls = {}
    for line in log:
        match = DONE_RE.search(line)
        if match:
            calls.setdefault(int(match["id"]), []).append(float(match["seconds"]))
    trouble = [
        line for line in log if (TROUBLE_RE.search(line) and "tiering" in line.lower()) or "timeout" in line.lower()
    ]
    out(
        f"\nnightly actions under odoo-bin --workers={args.workers}, default limits "
        f"({args.customers:,} customers / {args.orders:,} orders)"
    )
    out(f"    {'action':<18} {'calls':>5} {'longest call':>13} {'all calls':>10} {'wall':>8}  verdict")
    worst = 0.0
    for label, (cron_id, _name, wall, completed, failures) in results.items():
        seconds = calls.get(cron_id, [])
        longest = max(seconds, default=0.0)
        worst = max(worst, longest)
        ok = completed and not failures and longest < TARGET_CALL_S
        out(
            f"    {label:<18} {len(seconds):>5} {longest:>11.1f} s {sum(seconds):>8.1f} s {wall:>6.1f} s  "
            f"{'met' if ok else 'MISSED'}{'' if completed else ' (not completed)'}"
        )
        out(f"        calls: {', '.join(f'{value:.1f}' for value in seconds)}")
    if trouble:
        out("    log lines about timeouts or failures:")
        for line in trouble[:20]:
            out(f"        {line[:200]}")
    out(f"    longest single call of any action: {worst:.1f} s (target < {TARGET_CALL_S:.0f} s)")


def main(argv=None):
    args = parse_args(argv)
    out(f"machine: {common.machine()}")
    out(f"[a] generating {args.customers:,} customers / {args.orders:,} orders with SQL")
    generate(args)
    if args.wait_for:
        out(f"    waiting for {args.wait_for}")
        while not os.path.exists(args.wait_for):
            time.sleep(10)
    out("[b] upgrading the add-on (the code on disk)")
    subprocess.run(
        server_command(args, "-u", MODULE, "--stop-after-init", "--log-level=warn", "--max-cron-threads=0"),
        check=True,
    )
    logfile = os.path.join(args.data_dir, "nightly-server.log")
    out(f"[c] odoo-bin --workers={args.workers} (default limits), log {logfile}")
    server = subprocess.Popen(
        server_command(args, f"--workers={args.workers}", "--log-level=info", f"--logfile={logfile}")
    )
    try:
        time.sleep(10)
        results = run_actions(args, logfile)
    finally:
        server.terminate()
        server.wait(timeout=60)
    report(args, results, logfile)


if __name__ == "__main__":
    main()
