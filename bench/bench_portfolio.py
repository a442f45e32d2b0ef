"""Benchmark of the portfolio analytics of trade_crm_tiering: the dashboard and the portfolio report.

Generates the grading benchmark's data set (customers, contacts, confirmed orders in three
currencies), grades it with the engine, gives the customers salespeople, backups, follow-up dates
and a grade history spread over the last year, then times, as a general manager and as a rep (record
rules applied): the dashboard's data call, the portfolio report's grouped reads (what the pivot and
graph views ask), the report's list page, the nightly refresh of the monthly figures, the
concentration check and the xlsx export. Prints every figure against the 2 s target; never fails
because of a time. Run it through ``tools/bench --portfolio``.
"""

# A benchmark commits on purpose and prints its figures.
# pylint: disable=invalid-commit,print-used

import argparse
import statistics
import time

import common  # next to this file; it puts Odoo on the path, so it comes first
import datagen
from common import RUNS, as_user, timed

from odoo import Command
from odoo.tools import SQL

TARGET_S = 2.0
REPS = 40  # salespeople the customers are spread over
NO_SALESPERSON_SHARE = 0.05
BACKUP_SHARE = 0.5
# The manager's numbers (#14.5): leads, response clocks, countries and margins.
LEADS_PER_CUSTOMER = 0.5
CLOCKS_PER_CUSTOMER = 0.5
WON_SHARE, LOST_SHARE = 0.3, 0.3
SOURCES = ("Bench Trade Show", "Bench B2B Platform", "Bench Website Inquiry", "Bench Social Media")
COUNTRIES = ("de", "fr", "us", "uk", "jp", "cn", "ae", "br", "in", "au", "ca", "it", "es", "nl", "pl", "mx")


def parse_args(argv=None):
    parser = common.make_parser(__doc__)
    common.add_size_arguments(parser)
    parser.add_argument("--reps", type=int, default=REPS, help="salespeople to spread the customers over")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the report's grouped reads")
    common.add_database_arguments(parser)
    args = parser.parse_args(argv)
    if args.customers < 10 or args.orders < args.customers or args.reps < 1:
        parser.error("need at least 10 customers, as many orders as customers and one rep")
    return args


class PortfolioBench(common.Recorder):
    def __init__(self, args, env):
        super().__init__(TARGET_S)
        self.args = args
        self.env = env
        self.cr = env.cr
        self.company = common.grading_company(env)
        self.now = common.utc_now()

    out = staticmethod(common.out)

    def run(self):
        common.print_machine(self.cr)
        self.out(f"sizes: {self.args.customers:,} customers, {self.args.orders:,} orders, {self.args.reps} reps")
        self.prepare()
        gm, rep = self.users
        self.step_refresh()
        self.step_dashboard(gm, rep)
        self.step_numbers(gm, rep)
        self.step_report(gm, rep)
        self.step_nightly()
        self.summary()

    # ------------------------------------------------------------------
    # Data
    # ------------------------------------------------------------------

    def prepare(self):
        out, cr, company = self.out, self.cr, self.company
        out("\n[a] generating data with SQL (the grading benchmark's generator)")
        start = time.perf_counter()
        grading_args = argparse.Namespace(customers=self.args.customers, orders=self.args.orders, seed=self.args.seed)
        sizes = datagen.generate(self.env, company, grading_args, self.now, out)
        out(f"    generation: {time.perf_counter() - start:.1f} s")

        out("\n[b] grading every customer with the engine, then commit")
        start = time.perf_counter()
        changes = self.env["res.partner"]._tiering_regrade(company)
        cr.commit()
        out(f"    first grading: {time.perf_counter() - start:.1f} s, {len(changes):,} customers graded")

        out("\n[c] salespeople, backups, follow-up dates and a grade history over the last year")
        start = time.perf_counter()
        self.users = self.make_users()
        self.spread(sizes)
        cr.commit()
        out(f"    {time.perf_counter() - start:.1f} s")

        out("\n[c2] the manager's numbers: countries, order margins, leads and response clocks (SQL)")
        start = time.perf_counter()
        self.numbers_data()
        cr.commit()
        out(f"    {time.perf_counter() - start:.1f} s")
        self.env.invalidate_all()

    def make_users(self):
        users = self.env["res.users"].with_context(no_reset_password=True)
        common = {"company_id": self.company.id, "company_ids": [Command.set(self.company.ids)], "lang": "en_US"}
        reps = users.create(
            [
                {
                    "name": f"Bench Rep {index:03d}",
                    "login": f"bench_rep_{index:03d}",
                    "groups_id": [Command.set([self.env.ref("sales_team.group_sale_salesman").id])],
                    **common,
                }
                for index in range(1, self.args.reps + 1)
            ]
        )
        gm = users.create(
            {
                "name": "Bench General Manager",
                "login": "bench_gm",
                "groups_id": [
                    Command.set(
                        [
                            self.env.ref("sales_team.group_sale_salesman_all_leads").id,
                            self.env.ref("trade_crm_tiering.group_tiering_gm").id,
                        ]
                    )
                ],
                **common,
            }
        )
        team = self.env.ref("sales_team.team_sales_department", raise_if_not_found=False)
        if team:
            team.member_ids |= reps
        self.company.tiering_gm_id = gm
        self.rep_ids = reps.ids
        return gm, reps[0]

    def spread(self, sizes):
        """Customers get a salesperson (5% none), half of them a backup, a follow-up date around
        today (a tenth overdue); the grade history is spread over the last year and the customers
        were created two years ago, when their orders start."""
        cr, cid = self.cr, str(self.company.id)
        cr.execute(SQL("SELECT setseed(%s)", (self.args.seed % 1000) / 1000.0 + 0.0001))
        cr.execute(
            SQL(
                """UPDATE res_partner p
                      SET user_id = CASE WHEN r.x < %(none)s THEN NULL
                                         ELSE (%(reps)s::int[])[1 + floor(r.y * %(count)s)::int] END,
                          tiering_backup_user_id = CASE WHEN r.z < %(backup)s
                                                THEN (%(reps)s::int[])[1 + floor(r.z / %(backup)s * %(count)s)::int]
                                           END,
                          tiering_next_follow_up_date = COALESCE(p.tiering_next_follow_up_date, '{}'::jsonb)
                              || jsonb_build_object(%(cid)s, (current_date + floor(r.w * 60)::int - 6)::text),
                          create_date = %(created)s
                     FROM (SELECT id, random() AS x, random() AS y, random() AS z, random() AS w
                             FROM bench_customer) r
                    WHERE p.id = r.id""",
                none=NO_SALESPERSON_SHARE,
                reps=self.rep_ids,
                count=len(self.rep_ids),
                backup=BACKUP_SHARE,
                cid=cid,
                created=self.now.replace(year=self.now.year - 2),
            )
        )
        cr.execute(
            SQL(
                """UPDATE trade_grade_history SET date = %(now)s - random() * interval '365 days'
                    WHERE company_id = %(company)s""",
                now=self.now,
                company=self.company.id,
            )
        )
        cr.execute("ANALYZE res_partner")
        cr.execute("ANALYZE trade_grade_history")
        cr.execute("SELECT count(*) FROM trade_grade_history WHERE company_id = %s", [self.company.id])
        self.out(
            f"    {sizes['customers']:,} customers over {len(self.rep_ids)} reps; "
            f"{cr.fetchone()[0]:,} grade history rows spread over the last year"
        )

    def numbers_data(self):
        """What the manager's numbers read: each customer a country, each order a margin of 5-35%
        of its amount, 0.5 leads per customer over the last year (30% won, 30% lost, from one of
        four sources, owned by the customer's salesperson, closed up to 90 days after creation),
        and 0.5 answered response clocks per customer over the last year."""
        cr, company = self.cr, self.company
        datagen.check_filled(cr, {"crm_lead": {"name", "type"}})
        sources = self.env["utm.source"].create([{"name": name} for name in SOURCES])
        countries = [self.env.ref(f"base.{code}").id for code in COUNTRIES]
        won_stage = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        open_stage = self.env["crm.stage"].search([("is_won", "=", False)], order="sequence", limit=1)
        self.env.flush_all()
        cr.execute(SQL("SELECT setseed(%s)", (self.args.seed % 1000) / 1000.0 / 3))
        cr.execute(
            SQL(
                """UPDATE res_partner p SET country_id = (%(countries)s::int[])[1 + floor(random() * %(n)s)::int]
                     FROM bench_customer c WHERE p.id = c.id""",
                countries=countries,
                n=len(countries),
            )
        )
        cr.execute(
            SQL(
                """UPDATE sale_order SET margin = round((amount_untaxed * (0.05 + random() * 0.3))::numeric, 2)
                    WHERE company_id = %s""",
                company.id,
            )
        )
        cr.execute(
            SQL(
                """INSERT INTO crm_lead (name, type, partner_id, company_id, user_id, source_id, stage_id, active,
                                         probability, create_date, date_closed, create_uid, write_uid, write_date)
                   SELECT 'Bench lead ' || x.g, 'opportunity', p.id, %(company)s, p.user_id,
                          (%(sources)s::int[])[1 + floor(x.r_source * %(n_sources)s)::int],
                          CASE WHEN x.r_state < %(won)s THEN %(won_stage)s ELSE %(open_stage)s END,
                          x.r_state >= %(won)s + %(lost)s OR x.r_state < %(won)s,
                          CASE WHEN x.r_state < %(won)s THEN 100 WHEN x.r_state < %(won)s + %(lost)s THEN 0 ELSE 30 END,
                          x.day,
                          CASE WHEN x.r_state < %(won)s + %(lost)s
                               THEN LEAST(%(now)s::timestamp, x.day + x.r_cycle * interval '90 days') END,
                          1, 1, x.day
                     FROM (SELECT g, 1 + floor(random() * %(customers)s)::int AS idx, random() AS r_source,
                                  random() AS r_state, random() AS r_cycle,
                                  date_trunc('second', %(now)s::timestamp - random() * interval '365 days') AS day
                             FROM generate_series(1, %(count)s) g) x
                     JOIN bench_customer c ON c.idx = x.idx
                     JOIN res_partner p ON p.id = c.id""",
                company=company.id,
                sources=sources.ids,
                n_sources=len(sources),
                won=WON_SHARE,
                lost=LOST_SHARE,
                won_stage=won_stage.id,
                open_stage=open_stage.id,
                now=self.now,
                customers=self.args.customers,
                count=round(self.args.customers * LEADS_PER_CUSTOMER),
            )
        )
        leads = cr.rowcount
        cr.execute(
            SQL(
                """INSERT INTO trade_response_clock (partner_id, company_id, user_id, date_started, date_stopped,
                                                     hours, state, warning_state, create_uid, write_uid,
                                                     create_date, write_date)
                   SELECT p.id, %(company)s, p.user_id, x.started, x.started + x.took,
                          extract(epoch FROM x.took) / 3600, 'answered', 'none', 1, 1, %(now)s, %(now)s
                     FROM (SELECT 1 + floor(random() * %(customers)s)::int AS idx,
                                  random() * interval '30 hours' AS took,
                                  date_trunc('second', %(now)s::timestamp - random() * interval '365 days') AS started
                             FROM generate_series(1, %(count)s)) x
                     JOIN bench_customer c ON c.idx = x.idx
                     JOIN res_partner p ON p.id = c.id AND p.user_id IS NOT NULL""",
                company=company.id,
                now=self.now,
                customers=self.args.customers,
                count=round(self.args.customers * CLOCKS_PER_CUSTOMER),
            )
        )
        clocks = cr.rowcount
        for table in ("res_partner", "sale_order", "crm_lead", "trade_response_clock"):
            cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))
        self.out(f"    {leads:,} leads, {clocks:,} response clocks, margins on the company's orders")

    # ------------------------------------------------------------------
    # Steps
    # ------------------------------------------------------------------

    def as_user(self, user):
        return as_user(self.env, user, self.company)

    def step_refresh(self):
        self.out("\n[d] nightly refresh of the monthly figures (not a target)")
        facts = self.env["trade.portfolio.month"]
        first, best, _result = timed(lambda: facts._refresh(self.company), runs=1)
        self.cr.commit()
        self.cr.execute("SELECT count(*) FROM trade_portfolio_month WHERE company_id = %s", [self.company.id])
        rows = self.cr.fetchone()[0]
        self.cr.execute("ANALYZE trade_portfolio_month")
        self.record("refresh of the monthly figures", first, best, f"({rows:,} customer-months)", target=False)

    def step_dashboard(self, gm, rep):
        self.out("\n[e] the dashboard's data call (get_data, one RPC), record rules applied")
        for user, label in ((gm, "general manager"), (rep, "rep")):
            env = self.as_user(user)
            env.invalidate_all()
            dashboard = env["trade.portfolio.dashboard"]
            first, best, data = timed(lambda dashboard=dashboard: dashboard.get_data("last_quarter"))
            concentration = data["concentration"]
            note = (
                f"({concentration['customers']:,} customers with revenue, top 1 "
                f"{concentration['measures'][0]['share'] or 0:.2f}%, migration of "
                f"{data['migration']['customers']:,} customers, {len(data['workload']['reps'])} reps)"
            )
            self.record(f"dashboard, {label}", first, best, note)
            self.cr.rollback()

    def step_numbers(self, gm, rep):
        """The manager's numbers (get_numbers, the call the dashboard makes beside get_data), the
        other two calls on the default period (the last 12 months, the most orders), and the
        heaviest links."""
        self.out("\n[e2] the manager's numbers (#14.5), record rules applied")
        for user, label in ((gm, "general manager"), (rep, "rep")):
            env = self.as_user(user)
            env.invalidate_all()
            dashboard = env["trade.portfolio.dashboard"]
            for period in ("last_quarter", "last_12_months"):
                first, best, numbers = timed(lambda dashboard=dashboard, period=period: dashboard.get_numbers(period))
                note = (
                    f"({sum(row['buyers'] for row in numbers['repurchase']):,} buyers, "
                    f"{sum(row['leads'] for row in numbers['sources']):,} leads, "
                    f"{len(numbers['margin_countries']['countries'])} countries, {len(numbers['reps'])} reps, "
                    f"margin Pareto {numbers['margin_pareto']['customer_share'] or 0:.1f}%)"
                )
                self.record(f"manager's numbers {period}, {label}", first, best, note)
            self.out(f"    where the time goes (last_12_months, {label}): {self.numbers_parts(dashboard)}")
            first, best, _data = timed(lambda dashboard=dashboard: dashboard.get_data("last_12_months"))
            self.record(f"dashboard last_12_months, {label}", first, best)
            first, best, _medians = timed(lambda dashboard=dashboard: dashboard.get_response_medians())
            self.record(f"response medians, {label}", first, best)
            for kind, params in (
                ("repurchase", {"star": 2, "period": "last_12_months"}),
                ("grade_trend", {"star": 2, "quarter": 4}),
                ("deal_cycle", {"star": 2, "period": "last_12_months"}),
            ):
                first, best, action = timed(
                    lambda dashboard=dashboard, kind=kind, params=params: dashboard.action_open(kind, params)
                )
                ids = action["domain"][0][2] if action["domain"][0][0] == "id" else []
                self.record(f"link {kind}, {label}", first, best, f"({len(ids):,} records)")
            self.cr.rollback()

    PARTS = ("_visible_customers", "_order_rows", "_lead_rows", "_rep_medians", "_trend_rows", "_trend")

    def numbers_parts(self, dashboard):
        """One run of the manager's numbers with its sub-steps timed (wrapped on the model's class)."""
        cls = type(dashboard)
        spent, originals = {}, {name: getattr(cls, name) for name in self.PARTS}

        def wrap(name, method):
            def timed_method(*args, **kwargs):
                start = time.perf_counter()
                try:
                    return method(*args, **kwargs)
                finally:
                    spent[name] = spent.get(name, 0.0) + time.perf_counter() - start

            return timed_method

        for name, method in originals.items():
            setattr(cls, name, wrap(name, method))
        try:
            start = time.perf_counter()
            dashboard._manager_numbers(dashboard.env.company, "last_12_months")
            total = time.perf_counter() - start
        finally:
            for name, method in originals.items():
                setattr(cls, name, method)
        return f"total {total:.3f} s; " + ", ".join(f"{name} {spent.get(name, 0):.3f} s" for name in self.PARTS)

    def report_reads(self):
        """What the pivot, graph and list views of the report ask, by name."""
        return [
            ("pivot: tier x quarter", ["tiering_service_tier_id", "date:quarter"], ["amount:sum", "margin:sum"]),
            ("graph: month x grade", ["date:month", "tiering_star_grade"], ["amount:sum"]),
            ("by month", ["date:month"], ["amount:sum", "order_count:sum", "share:sum"]),
            ("by tier", ["tiering_service_tier_id"], ["amount:sum", "__count"]),
            ("by salesperson", ["user_id"], ["amount:sum", "margin:sum", "__count"]),
            ("by country x pareto class", ["country_id", "pareto_class"], ["amount:sum"]),
        ]

    def step_report(self, gm, rep):
        self.out("\n[f] the portfolio report: grouped reads of the pivot and graph views, the list's first page")
        for user, label in ((gm, "general manager"), (rep, "rep")):
            report = self.as_user(user)["trade.portfolio.report"]
            for name, groupby, aggregates in self.report_reads():
                report.env.invalidate_all()
                first, best, groups = timed(
                    lambda report=report, groupby=groupby, aggregates=aggregates: report._read_group(
                        [], groupby, aggregates
                    )
                )
                self.record(f"report {name}, {label}", first, best, f"({len(groups):,} groups)")
            first, best, page = timed(
                lambda report=report: report.web_search_read(
                    [], {"partner_id": {"fields": {"display_name": {}}}, "amount": {}, "date": {}}, limit=80
                )
            )
            self.record(f"report list page, {label}", first, best, f"({page['length']:,} rows)")
            self.cr.rollback()
        if self.args.explain:
            report = self.as_user(gm)["trade.portfolio.report"]
            query = report._search([])
            sql = SQL(
                "EXPLAIN (ANALYZE, BUFFERS) SELECT date_trunc('month', %s), SUM(%s) FROM %s WHERE %s GROUP BY 1",
                SQL.identifier(query.table, "date"),
                SQL.identifier(query.table, "amount"),
                query.from_clause,
                query.where_clause or SQL("TRUE"),
            )
            self.cr.execute(sql)
            self.out("\n".join(f"      {row[0]}" for row in self.cr.fetchall()))
            self.cr.rollback()

    def step_nightly(self):
        self.out("\n[g] nightly concentration check and the xlsx export (not targets)")
        dashboard = self.env["trade.portfolio.dashboard"].with_company(self.company)
        first, best, alerts = timed(lambda: dashboard._raise_concentration_alerts(self.company), runs=1)
        self.record("concentration check", first, best, f"({len(alerts)} alerts raised)", target=False)
        gm = self.users[0]
        export = self.as_user(gm)["trade.portfolio.dashboard"]
        first, best, result = timed(lambda: export._export_xlsx("last_quarter"), runs=1)
        self.record("xlsx export, general manager", first, best, f"({len(result[0]):,} bytes)", target=False)
        self.cr.rollback()

    def summary(self):
        self.out(
            f"\nSUMMARY ({self.args.customers:,} customers, {self.args.orders:,} orders, {self.args.reps} reps; "
            f"target {TARGET_S:.0f} s for each screen)"
        )
        self.out(f"  machine: {common.machine()}")
        if self.args.customers < 100_000 or self.args.orders < 1_000_000:
            self.out("  (the target is set for 100,000 customers / 1,000,000 orders)")
        width = max(len(row[0]) for row in self.rows)
        self.out(f"  {'figure':<{width}}  {'first':>8}  {'best':>8}  verdict")
        for figure, first, best, _note, target in self.rows:
            self.out(f"  {figure:<{width}}  {first:>7.3f}s  {best:>7.3f}s  {self.mark(best, target)}")
        timed_rows = [best for _figure, _first, best, _note, target in self.rows if target]
        self.out(
            f"  slowest screen (best of {RUNS}): {max(timed_rows):.3f} s; median {statistics.median(timed_rows):.3f} s"
        )


def main(argv=None):
    common.run_bench(PortfolioBench, parse_args(argv))


if __name__ == "__main__":
    main()
