"""Benchmark of the star-grading engine and the nightly scoring pass of trade_crm_tiering.

Generates customers and confirmed sale orders straight into a database with SQL, then times:
the first grading, the bare aggregation query, a regrade where ~5% of grades change, a regrade
where nothing changes, a naive per-customer ORM loop on a sample, the incremental regrade
that confirming one order runs at commit, and the nightly scoring pass (first and next night).
Prints every figure and a summary against the targets; it never fails because of a time. Run it
through tools/bench, which prepares the database.
"""


# A benchmark commits on purpose (commits are part of what it measures) and prints its figures.
# pylint: disable=invalid-commit,print-used

import importlib
import random
import time

import common  # next to this file; it puts Odoo on the path, so it comes first
import datagen
from common import MODULE, Clock, explain, machine, maybe_profile, verdict
from grading_probes import GRADING_HOOK, bare_aggregation_query, incremental, naive_loop

from odoo import fields

# Targets at 100,000 customers / 1,000,000 orders.
TARGET_FIRST_S = 90.0
TARGET_REGRADE_S = 20.0
TARGET_REGRADE_RATIO = 4.0
TARGET_INCREMENTAL_QUERIES = 10
TARGET_SCORING_S = 60.0

ENGINE_STEPS = (
    ("res.partner", "_tiering_regrade"),
    ("res.partner", "_tiering_run_scheduled_regrades"),
    ("trade.tiering.engine", "_aggregate_amounts"),
    ("trade.tiering.currency", "_daily_factors"),
    ("trade.tiering.engine", "_grading_candidates"),
    ("trade.tiering.engine", "_converted"),
    ("trade.tiering.engine", "_store"),
    ("trade.tiering.bulk", "_contacts_of"),
    ("trade.tiering.engine", "_write_grade_fields"),
    ("trade.tiering.engine", "_insert_history"),
    ("trade.tiering.engine", "_insert_tracking_messages"),
    ("trade.tiering.engine", "_follow_up_decisions"),
)
CREATES = ("trade.grade.history", "mail.message")
SCORING_STEPS = (
    ("trade.tiering.scoring", "_score"),
    ("trade.tiering.scoring", "_gather"),
    ("trade.tiering.scoring", "_order_figures"),
    ("trade.tiering.scoring", "_interactions"),
    ("trade.tiering.scoring", "_payments"),
    ("trade.tiering.scoring", "_contacts"),
    ("trade.tiering.scoring", "_inquiries"),
    ("trade.tiering.scoring", "_ratings"),
    ("trade.tiering.scoring", "_read_stored"),
    ("trade.tiering.scoring", "_new_frame"),
    ("trade.tiering.scoring", "_changed_ids"),
    ("trade.tiering.scoring", "_store"),
    ("trade.tiering.bulk", "_write_company_fields"),
    ("trade.customer.warning", "_tiering_sync"),
    ("trade.customer.warning", "_close"),
    ("trade.customer.warning", "_people"),
    ("trade.customer.warning", "_details"),
    ("trade.customer.warning", "_insert_activities"),
)
# The sub-steps in the order the reports list them.
REPORT_NAMES = (
    *(step for _model, step in ENGINE_STEPS),
    *(f"{model}.create" for model in CREATES),
    *(step for _model, step in SCORING_STEPS if step not in dict(ENGINE_STEPS).values()),
)


def parse_args(argv=None):
    parser = common.make_parser(__doc__)
    common.add_size_arguments(parser, seed_help="random seed (data and samples)")
    parser.add_argument("--sample", type=int, default=1000, help="customers in the naive ORM loop sample")
    parser.add_argument("--profile", action="store_true", help="cProfile the full regrades, print the top functions")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest SELECTs of the regrades")
    parser.add_argument(
        "--scoring-only",
        action="store_true",
        help="after the data and the first grading, time only the scoring pass (skip steps c to g)",
    )
    common.add_database_arguments(parser)
    args = parser.parse_args(argv)
    if args.customers < 10 or args.orders < args.customers:
        parser.error("need at least 10 customers and at least as many orders as customers")
    return args


def grade_distribution(cr, company):
    cid = str(company.id)
    cr.execute(
        """SELECT COALESCE(p.tiering_star_grade ->> %s, '0'), count(*)
             FROM bench_customer c JOIN res_partner p ON p.id = c.id GROUP BY 1 ORDER BY 1""",
        [cid],
    )
    return dict(cr.fetchall())


def stored_gradings(cr, company):
    cid = str(company.id)
    cr.execute(
        """SELECT id, (tiering_annual_amount ->> %s)::float8, COALESCE(tiering_star_grade_actual ->> %s, '0')
             FROM res_partner WHERE id = commercial_partner_id AND tiering_annual_amount ? %s""",
        [cid, cid, cid],
    )
    return {pid: (amount, star) for pid, amount, star in cr.fetchall()}


def history_count(cr, company):
    cr.execute("SELECT count(*) FROM trade_grade_history WHERE company_id = %s", [company.id])
    return cr.fetchone()[0]


def message_count(cr):
    cr.execute("SELECT count(*) FROM mail_message WHERE model = 'res.partner'")
    return cr.fetchone()[0]


class Bench:
    """The steps of the benchmark, sharing one cursor on the benchmark database."""

    def __init__(self, args, env, probe):
        self.args = args
        self.env = env
        self.cr = env.cr
        self.probe = probe
        self.rng = random.Random(args.seed)
        self.grading = importlib.import_module(f"odoo.addons.{MODULE}.trade_crm_tiering.grading")
        self.company = common.grading_company(env)
        self.partners = env["res.partner"]
        self.thresholds = self.company._tiering_thresholds()
        self.window = None
        self.sizes = {}
        self.figures = {}
        self.now = common.utc_now()

    out = staticmethod(common.out)

    def run(self):
        common.print_machine(self.cr)
        args = self.args
        self.out(
            f"sizes: {args.customers:,} customers, {args.orders:,} orders, seed {args.seed}, sample {args.sample:,}"
        )
        self.step_generate()
        self.step_first()
        if not args.scoring_only:
            self.step_bare()
            self.step_regrade()
            self.step_nochange()
            self.step_naive()
            self.step_incremental()
        self.step_scoring()
        summary(self.args, self.sizes, self.figures, self.out)

    def full_regrade(self, label, profile_label=None, show_changes=False):
        """A full ``_tiering_regrade`` of the company, then commit; prints where the time went."""
        cr, company, out = self.cr, self.company, self.out
        history0, messages0 = history_count(cr, company), message_count(cr)
        before = stored_gradings(cr, company) if show_changes else {}
        self.probe.reset()
        regrade = Clock()
        with maybe_profile(self.args.profile and profile_label, profile_label, out):
            with regrade.run():
                changes = self.partners._tiering_regrade(company)
            hooks, commit = common.commit_attributed(self.env, GRADING_HOOK)
        total = regrade.seconds + commit.seconds
        history = history_count(cr, company) - history0
        messages = message_count(cr) - messages0
        out(
            f"    {label}: {total:.2f} s ({regrade.seconds:.2f} s regrade + {commit.seconds:.2f} s commit), "
            f"{len(changes):,} changed customers, {history:,} history rows, {messages:,} chatter messages, "
            f"{regrade.queries + commit.queries} queries ({commit.queries} at commit)"
        )
        out(self.probe.report(total, REPORT_NAMES))
        out(
            f"      commit: {commit.seconds:.2f} s, of which hooks {hooks.seconds():.2f} s "
            f"(the rest: flushing pending ORM writes and COMMIT)"
        )
        out(hooks.report(indent="        "))
        for partner_id, new in list(changes.items())[:10] if show_changes else ():
            old_amount, old_star = before.get(partner_id, (None, None))
            out(
                f"      changed: customer {partner_id}: stored {old_amount!r} ({old_star} stars) -> "
                f"{new.amount!r} ({new.grade.actual} stars, served at {new.decision.effective})"
            )
        if self.args.explain and profile_label:
            explain(cr, self.probe.slowest_selects(), out)
            cr.rollback()
        return {"seconds": total, "changes": len(changes), "history": history, "messages": messages}

    def step_generate(self):
        cr, company, out = self.cr, self.company, self.out
        out("\n[a] generating data with SQL")
        clock = Clock()
        with clock.run():
            self.sizes = datagen.generate(self.env, company, self.args, self.now, out)
        out(f"    generation: {clock.seconds:.1f} s")
        cr.execute("SELECT pg_size_pretty(pg_total_relation_size('sale_order'))")
        out(f"    sale_order table with indexes: {cr.fetchone()[0]}")
        self.window = window = company._tiering_window(fields.Date.context_today(self.partners))
        cr.execute(
            "SELECT count(*) FROM sale_order WHERE company_id = %s AND state = 'sale' "
            "AND date_order >= %s AND date_order < %s",
            [company.id, window.start, window.end],
        )
        out(f"    grading window {window.start} .. {window.end} (exclusive): {cr.fetchone()[0]:,} confirmed orders")

    def step_first(self):
        cr, company, window, out = self.cr, self.company, self.window, self.out
        out("\n[b] first grading: full _tiering_regrade(company) on fresh data, then commit")
        self.figures["first"] = self.full_regrade("first grading", "first grading")
        distribution = grade_distribution(cr, company)
        out(f"    grades of the customers: {', '.join(f'{s}: {c:,}' for s, c in sorted(distribution.items()))}")
        # Cross-check: the engine's total against an independent conversion with each order's own rate.
        cr.execute(
            """SELECT SUM(so.amount_untaxed / so.currency_rate)
                 FROM sale_order so WHERE so.company_id = %s AND so.state = 'sale'
                  AND so.date_order >= %s AND so.date_order < %s""",
            [company.id, window.start, window.end],
        )
        independent = float(cr.fetchone()[0] or 0)
        cr.execute(
            "SELECT SUM((tiering_annual_amount ->> %s)::float8) FROM res_partner WHERE id = commercial_partner_id",
            [str(company.id)],
        )
        engine_total = float(cr.fetchone()[0] or 0)
        out(
            f"    check: sum of graded amounts {engine_total:,.2f} USD vs independent conversion "
            f"{independent:,.2f} USD (relative difference {abs(engine_total - independent) / max(independent, 1):.1e})"
        )

    def step_bare(self):
        cr, out = self.cr, self.out
        out("\n[c] bare aggregation (sum per commercial partner, no conversion), best of 3")
        query = bare_aggregation_query(self.company, self.window)
        runs = []
        for _run in range(3):
            t0 = time.perf_counter()
            cr.execute(query)
            rows = cr.fetchall()
            runs.append(time.perf_counter() - t0)
        cr.commit()
        if self.args.explain:
            explain(cr, [(query.code, query.params)], out)
            cr.rollback()
        self.figures["bare"] = {"seconds": min(runs), "rows": len(rows)}
        out(f"    bare aggregation: {min(runs):.3f} s best ({', '.join(f'{r:.3f}' for r in runs)}), {len(rows):,} rows")

    def step_regrade(self):
        out = self.out
        out(f"\n[d] regrade with ~{datagen.CHANGE_SHARE:.0%} of grades changing")
        chosen, ups, downs = datagen.make_changes(
            self.env, self.company, self.thresholds, self.rng, self.now, self.window
        )
        self.cr.commit()
        self.env.invalidate_all()
        out(f"    modified {chosen:,} customers: {ups:,} got a big USD order (one grade up), {downs:,} 5-star lost all")
        figure = self.figures["regrade"] = self.full_regrade("5% regrade", "5% regrade")
        figure["ratio"] = figure["seconds"] / self.figures["bare"]["seconds"]
        figure["expected"] = chosen
        out(f"    ratio to the bare aggregation: {figure['ratio']:.1f}x")

    def step_nochange(self):
        self.out("\n[e] no-change regrade (the same again)")
        figure = self.figures["nochange"] = self.full_regrade("no-change regrade", show_changes=True)
        self.out(f"    changes: {figure['changes']} ({'OK' if not figure['changes'] else 'EXPECTED 0'})")

    def step_naive(self):
        cr, company, figures = self.cr, self.company, self.figures
        self.out(f"\n[f] naive ORM loop on {self.args.sample:,} customers (rolled back)")
        cr.execute("SELECT id FROM bench_customer ORDER BY idx")
        all_ids = [row[0] for row in cr.fetchall()]
        sample_ids = self.rng.sample(all_ids, min(self.args.sample, len(all_ids)))
        self.env.invalidate_all()
        seconds, stars = naive_loop(self.env, company, sample_ids, self.window, self.thresholds, self.grading)
        cr.execute(
            "SELECT id, COALESCE(tiering_star_grade_actual ->> %s, '0')::int FROM res_partner WHERE id = ANY(%s)",
            [str(company.id), sample_ids],
        )
        engine_stars = dict(cr.fetchall())
        mismatches = sum(1 for pid, star in stars.items() if engine_stars.get(pid) != star)
        extrapolated = seconds / len(sample_ids) * len(all_ids)
        figures["naive"] = {"seconds": seconds, "extrapolated": extrapolated}
        self.out(
            f"    naive loop: {seconds:.2f} s for {len(sample_ids):,} customers "
            f"({seconds / len(sample_ids) * 1000:.1f} ms each), "
            f"extrapolated to {len(all_ids):,}: {extrapolated:.0f} s\n"
            f"    vs set-based: {extrapolated / figures['first']['seconds']:.1f}x the first grading, "
            f"{extrapolated / figures['regrade']['seconds']:.1f}x the 5% regrade, "
            f"{extrapolated / figures['nochange']['seconds']:.1f}x the no-change regrade\n"
            f"    naive grades that differ from the engine's: {mismatches}"
        )
        cr.rollback()

    def step_incremental(self):
        cr, cid, thresholds = self.cr, str(self.company.id), self.thresholds
        self.out("\n[g] incremental regrade: confirm one order through the ORM, commit")
        cr.execute(
            """SELECT c.id, c.contact_id, COALESCE((p.tiering_annual_amount ->> %s)::float8, 0),
                      COALESCE(p.tiering_star_grade_actual ->> %s, '0')::int
                 FROM bench_customer c JOIN res_partner p ON p.id = c.id
                WHERE c.contact_id IS NOT NULL ORDER BY c.idx""",
            [cid, cid],
        )
        candidates = cr.fetchall()
        # A contact's order that leaves the grade as it is, and a customer's order that moves it up.
        small = self.rng.choice(
            [row for row in candidates if row[3] < 5 and thresholds[row[3]] - row[2] > 1000] or candidates
        )
        big = self.rng.choice([row for row in candidates if row[3] < 5 and row[0] != small[0]])
        shared = (self.env, self.company, self.probe)
        self.figures["incremental"] = incremental(
            *shared, small[1], 100.0, "order without grade change", self.out, self.grading
        )
        self.figures["incremental_move"] = incremental(
            *shared,
            big[0],
            round(thresholds[big[3]] * 1.05 - big[2], 2),
            "order moving the grade",
            self.out,
            self.grading,
        )

    def step_scoring(self):
        cr, company, out = self.cr, self.company, self.out
        out("\n[h] nightly scoring: full _score(company) after the grading, then commit")
        clock = Clock()
        with clock.run():
            counts = datagen.generate_scoring_data(self.env, company, self.args, self.now)
        out(
            f"    generated {counts['notes']:,} logged notes and done activities, {counts['leads']:,} leads "
            f"({clock.seconds:.1f} s, not timed)"
        )
        # Supervisor warnings need a supervisor: the administrator (a general manager) by default.
        company.tiering_approver_id = self.env.ref("base.user_admin")
        cr.commit()
        self.figures["scoring"] = self.full_scoring("first scoring (every customer written)", "first scoring")
        self.figures["scoring_again"] = self.full_scoring("next night (nothing changed)")

    def full_scoring(self, label, profile_label=None):
        cr, company, out = self.cr, self.company, self.out
        self.probe.reset()
        activities0 = activity_count(cr)
        scoring = Clock()
        with maybe_profile(self.args.profile and profile_label, profile_label, out):
            with scoring.run():
                result = self.env["trade.tiering.scoring"]._score(company)
            _hooks, commit = common.commit_attributed(self.env, GRADING_HOOK)
        total = scoring.seconds + commit.seconds
        activities = activity_count(cr) - activities0
        out(
            f"    {label}: {total:.2f} s ({scoring.seconds:.2f} s scoring + {commit.seconds:.2f} s commit), "
            f"{result['customers']:,} customers, {result['changed']:,} written, {result['raised']:,} warnings "
            f"raised ({activities:,} activities), {result['closed']:,} closed, "
            f"{scoring.queries + commit.queries} queries"
        )
        out(self.probe.report(total, REPORT_NAMES))
        cr.execute(
            "SELECT warning_type, count(*) FROM trade_customer_warning WHERE company_id = %s AND state = 'open' "
            "GROUP BY 1 ORDER BY 1",
            [company.id],
        )
        out(f"    open warnings: {', '.join(f'{kind} {count:,}' for kind, count in cr.fetchall()) or 'none'}")
        if self.args.explain and profile_label:
            explain(cr, self.probe.slowest_selects(), out)
            cr.rollback()
        return {"seconds": total, **result}


def activity_count(cr):
    cr.execute("SELECT count(*) FROM mail_activity WHERE res_model = 'res.partner'")
    return cr.fetchone()[0]


def main(argv=None):
    args = parse_args(argv)
    registry = common.open_registry(args)
    probe = common.Probe((*ENGINE_STEPS, *SCORING_STEPS), CREATES, keep="_tiering_regrade")
    probe.install(registry)
    with common.superuser_env(registry) as env:
        Bench(args, env, probe).run()


def summary(args, sizes, figures, out):
    first = figures["first"]
    rows = [
        seconds_row("first grading (full, all change)", first["seconds"], TARGET_FIRST_S),
        ("  changed customers / history rows", f"{first['changes']:,} / {first['history']:,}", "", ""),
    ]
    if "regrade" in figures:
        rows += grading_rows(args, figures)
    rows += scoring_rows(figures)
    out(f"\nSUMMARY ({sizes['customers']:,} customers, {sizes['contacts']:,} contacts, {sizes['orders']:,} orders)")
    out(f"  machine: {machine()}")
    if sizes["customers"] < 100_000 or sizes["orders"] < 1_000_000:
        out("  (time targets are set for 100,000 customers / 1,000,000 orders)")
    if args.profile:
        out("  (--profile: the profiled regrades run slower under cProfile; time them without it)")
    common.print_table(rows, 16, 20)


def seconds_row(label, seconds, target_s):
    """A summary row of a time that must stay within ``target_s``."""
    return (label, f"{seconds:.2f} s", f"<= {target_s:.0f} s", verdict(seconds <= target_s))


def scoring_rows(figures):
    rows = []
    for key, label in (("scoring", "scoring pass, first (all written)"), ("scoring_again", "scoring pass, next night")):
        figure = figures[key]
        rows += [
            seconds_row(label, figure["seconds"], TARGET_SCORING_S),
            (
                "  customers / written / raised",
                f"{figure['customers']:,} / {figure['changed']:,} / {figure['raised']:,}",
                "",
                "",
            ),
        ]
    return rows


def grading_rows(args, figures):
    bare, regrade = figures["bare"], figures["regrade"]
    nochange, naive = figures["nochange"], figures["naive"]
    rows = [
        ("bare aggregation (best of 3)", f"{bare['seconds']:.3f} s", "", ""),
        seconds_row("5% regrade", regrade["seconds"], TARGET_REGRADE_S),
        (
            "  ratio to bare aggregation",
            f"{regrade['ratio']:.1f}x",
            f"<= {TARGET_REGRADE_RATIO:.0f}x",
            verdict(regrade["ratio"] <= TARGET_REGRADE_RATIO),
        ),
        ("  changed customers (expected)", f"{regrade['changes']:,} ({regrade['expected']:,})", "", ""),
        (
            "no-change regrade",
            f"{nochange['seconds']:.2f} s",
            "0 changes",
            verdict(nochange["changes"] == 0) + f" ({nochange['changes']})",
        ),
        (f"naive ORM loop, {args.sample:,} customers", f"{naive['seconds']:.2f} s", "", ""),
        (
            "  extrapolated to all customers",
            f"{naive['extrapolated']:.0f} s",
            f"{naive['extrapolated'] / regrade['seconds']:.0f}x 5% regrade",
            "",
        ),
    ]
    for key, label in (
        ("incremental", "incremental: grading queries"),
        ("incremental_move", "incremental, grade moves: queries"),
    ):
        inc = figures[key]
        rows += [
            (
                label,
                f"{inc['queries']}",
                f"<= {TARGET_INCREMENTAL_QUERIES}",
                verdict(inc["queries"] <= TARGET_INCREMENTAL_QUERIES),
            ),
            ("  time / all commit-hook queries", f"{inc['seconds'] * 1000:.1f} ms / {inc['queries_total']}", "", ""),
            ("  grades persisted at COMMIT", str(inc["persisted"]), "True", verdict(inc["persisted"] is not False)),
        ]
    return rows


if __name__ == "__main__":
    main()
