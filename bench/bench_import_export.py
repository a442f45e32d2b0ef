"""Benchmark of the customer spreadsheet import and the classification export of trade_crm_tiering.

Import: writes a spreadsheet of --rows customers (50,000 by default) as a company moving onto
Odoo would have it (code, name, country, tax ID, email, phone, city, salesperson, star grade,
source, declared volume, founding date, tags, notes), then times what a sales administrator
does: upload and preview, import, commit. Then previews the same file again (nothing to change).
Export: brings the customers to --export-customers (100,000 by default) with SQL-generated ones
(with contacts, confirmed orders and grades), then times the classification table of all of them.
Prints every figure and a summary against the targets; never fails because of a time. Run it
through `tools/bench --only import_export`, which prepares the database.
"""

# A benchmark commits on purpose (commits are part of what it measures) and prints its figures.
# pylint: disable=invalid-commit,print-used

import argparse
import base64
import io
import random
from datetime import date, datetime, timedelta

import common  # next to this file; it puts Odoo on the path, so it comes first
import datagen
import openpyxl
import xlsxwriter
from common import Clock, maybe_profile, out, verdict

from odoo.tools import SQL

TARGET_IMPORT_S = 60.0
TARGET_EXPORT_S = 30.0

HEADER = (
    "Customer Code",
    "Customer Name",
    "Country",
    "Tax ID",
    "Email",
    "Phone",
    "City",
    "Salesperson",
    "Star Grade",
    "Customer Source",
    "Declared Annual Volume",
    "Founded On",
    "Tags",
    "Notes",
)
COUNTRIES = ("AE", "SA", "DE", "FR", "US", "GB", "BR", "NG", "JP", "VN", "AU", "IN", "PL", "ES", "MX", "KE")
SOURCES = ("Trade Show", "B2B Platform", "Website Inquiry", "Referral", "Outbound")
TAGS = ("Middle East", "Europe", "Plywood", "Flooring", "Price-Sensitive", "Quality-First", "Sample", "Long-Term")
# Share of customers at each star grade, as in a typical export business.
GRADE_SHARES = ((0, 0.35), (1, 0.2), (2, 0.25), (3, 0.12), (4, 0.05), (5, 0.03))


def parse_args(argv=None):
    parser = common.make_parser(__doc__)
    parser.add_argument("--rows", type=int, default=50_000, help="rows of the imported spreadsheet")
    parser.add_argument(
        "--export-customers", type=int, default=100_000, help="customers in the exported classification table"
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed")
    parser.add_argument("--profile", action="store_true", help="cProfile the import and the export (slows them)")
    common.add_database_arguments(parser, "database (the add-on installed)")
    args = parser.parse_args(argv)
    if args.rows < 10:
        parser.error("import at least 10 rows")
    return args


# ----------------------------------------------------------------------
# The spreadsheet
# ----------------------------------------------------------------------


def spreadsheet(rows, logins, seed):
    """An xlsx of ``rows`` customers, every cell filled as a migration file would be."""
    rng = random.Random(seed)
    grades = [grade for grade, _share in GRADE_SHARES]
    weights = [share for _grade, share in GRADE_SHARES]
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("Customers")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, HEADER)
    for index in range(1, rows + 1):
        country = rng.choice(COUNTRIES)
        founded = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 60 * 365))
        sheet.write_row(
            index,
            0,
            (
                f"IMP{index:07d}",
                f"Imported Customer {index:07d} {country}",
                country,
                f"{country}{rng.randrange(10**8, 10**9)}",
                f"buyer{index}@customer{index}.example.com",
                f"+{rng.randrange(1, 99)} {rng.randrange(10**7, 10**8)}",
                rng.choice(("Dubai", "Hamburg", "Lagos", "Osaka", "Hanoi", "Perth", "Madrid", "Monterrey")),
                rng.choice(logins),
                rng.choices(grades, weights)[0],
                rng.choice(SOURCES),
                round(rng.lognormvariate(11, 1.2), 2),
            ),
        )
        sheet.write_datetime(index, 11, datetime.combine(founded, datetime.min.time()), date_format)
        sheet.write_string(index, 12, ", ".join(rng.sample(TAGS, rng.randrange(0, 4))))
        if rng.random() < 0.3:
            sheet.write_string(index, 13, "Prefers sea freight; samples before each new product.")
    workbook.close()
    return buffer.getvalue()


# ----------------------------------------------------------------------
# Steps
# ----------------------------------------------------------------------


class Bench:
    def __init__(self, args, env):
        self.args = args
        self.env = env
        self.cr = env.cr
        self.company = env.ref("base.main_company")
        self.figures = {}
        self.data = None

    def run(self):
        common.print_machine(self.cr)
        out(f"sizes: import {self.args.rows:,} rows, export {self.args.export_customers:,} customers")
        self.step_file()
        self.step_import()
        self.step_reimport()
        self.step_export()
        summary(self.args, self.figures)

    def _count_customers(self):
        self.cr.execute("SELECT count(*) FROM res_partner WHERE parent_id IS NULL AND customer_rank > 0")
        return self.cr.fetchone()[0]

    def step_file(self):
        out("\n[a] writing the spreadsheet (not timed against a target)")
        logins = self.env["res.users"].search([("share", "=", False)]).mapped("login")
        with Clock().run() as clock:
            self.data = spreadsheet(self.args.rows, logins, self.args.seed)
        out(f"    {self.args.rows:,} rows, {len(self.data) / 1e6:.1f} MB, written in {clock.seconds:.1f} s")

    def _wizard(self, data):
        return self.env["trade.customer.import.wizard"].create(
            {"file": base64.b64encode(data), "filename": "bench_customers.xlsx", "company_id": self.company.id}
        )

    def step_import(self):
        out("\n[b] import: upload and preview, import, commit")
        before = self._count_customers()
        wizard = self._wizard(self.data)
        with Clock().run() as preview, maybe_profile(self.args.profile, "the preview", out):
            wizard.action_preview()
        out(
            f"    preview: {preview.seconds:.2f} s, {preview.queries} queries: {wizard.create_count:,} to create, "
            f"{wizard.update_count:,} to update, {wizard.error_count:,} with problems"
        )
        if wizard.error_count:
            for line in wizard.line_ids.filtered(lambda line: line.action == "error")[:5]:
                out(f"      row {line.row}: {line.problems}")
            raise SystemExit("the generated file has problems")
        with Clock().run() as imported, maybe_profile(self.args.profile, "the import", out):
            wizard.action_import()
        with Clock().run() as commit, maybe_profile(self.args.profile, "the commit", out):
            self.cr.commit()
        total = preview.seconds + imported.seconds + commit.seconds
        created = self._count_customers() - before
        self.cr.execute("SELECT count(*) FROM trade_grade_history WHERE source = 'import'")
        history = self.cr.fetchone()[0]
        out(
            f"    import: {imported.seconds:.2f} s, {imported.queries} queries; commit {commit.seconds:.2f} s\n"
            f"    total {total:.2f} s for {self.args.rows:,} rows ({total / self.args.rows * 1000:.2f} ms a row): "
            f"{created:,} customers created, {history:,} grade history rows (source import)"
        )
        self.figures["import"] = {
            "preview": preview.seconds,
            "import": imported.seconds + commit.seconds,
            "seconds": total,
            "created": created,
        }

    def step_reimport(self):
        out("\n[c] the same file again: preview and import change nothing")
        wizard = self._wizard(self.data)
        with Clock().run() as clock:
            wizard.action_preview()
            counts = (wizard.create_count, wizard.update_count, wizard.unchanged_count)
            wizard.action_import()
            self.cr.commit()
        out(f"    {clock.seconds:.2f} s: {counts[0]:,} to create, {counts[1]:,} to update, {counts[2]:,} unchanged")
        self.figures["reimport"] = {"seconds": clock.seconds, "changes": counts[0] + counts[1]}

    def step_export(self):
        out("\n[d] classification table of every customer")
        missing = self.args.export_customers - self._count_customers()
        if missing > 0:
            with Clock().run() as clock:
                self._generate(missing)
            out(f"    generated {missing:,} more customers with contacts, orders and grades in {clock.seconds:.1f} s")
        customers = self._count_customers()
        self.env.invalidate_all()
        domain = [("parent_id", "=", False), ("customer_rank", ">", 0)]
        with Clock().run() as clock, maybe_profile(self.args.profile, "the export", out):
            data = self.env["trade.customer.classification"]._build(domain)
        out(
            f"    export: {clock.seconds:.2f} s, {clock.queries} queries, {customers:,} customers, "
            f"{len(data) / 1e6:.1f} MB"
        )
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        rows = book["Classification"].max_row - 1
        out(f"    check: the table has {rows:,} customer rows, sheets {book.sheetnames}")
        self.figures["export"] = {"seconds": clock.seconds, "customers": customers, "rows": rows}

    def _generate(self, count):
        """``count`` customers (a contact each 4), 4 orders each, and stored grades, all with SQL."""
        now = common.utc_now()
        args = argparse.Namespace(customers=count, orders=count * 4, seed=self.args.seed)
        datagen.generate(self.env, self.company, args, now, lambda text: out(f"  {text}"))
        tiers = self.company._tiering_tier_map()
        cid = str(self.company.id)
        stars = [star for star, _share in GRADE_SHARES]
        thresholds = (0, *self.company._tiering_thresholds())
        # Grades as a regrade would store them, from each customer's size (its yearly purchases).
        self.cr.execute(
            SQL(
                """UPDATE res_partner p
                      SET tiering_annual_amount = jsonb_build_object(%(cid)s, round(c.size::numeric, 2)),
                          tiering_star_grade = jsonb_build_object(%(cid)s, g.star::text),
                          tiering_star_grade_actual = jsonb_build_object(%(cid)s, g.star::text),
                          tiering_service_tier_id = jsonb_build_object(%(cid)s, (%(tiers)s::int4[])[g.star + 1])
                     FROM bench_customer c,
                          LATERAL (SELECT max(s) AS star
                                     FROM unnest(%(stars)s::int4[], %(thresholds)s::float8[]) AS t(s, v)
                                    WHERE c.size >= v) g
                    WHERE p.id = c.id""",
                cid=cid,
                tiers=[tiers[star].id for star in stars],
                stars=stars,
                thresholds=list(thresholds),
            )
        )
        self.cr.commit()
        self.env.invalidate_all()


def summary(args, figures):
    imported, export, reimport = figures["import"], figures["export"], figures["reimport"]
    rows = [
        (
            f"import of {args.rows:,} rows (preview + import + commit)",
            f"{imported['seconds']:.2f} s",
            f"<= {TARGET_IMPORT_S:.0f} s",
            verdict(imported["seconds"] <= TARGET_IMPORT_S),
        ),
        ("  preview (read, check, match)", f"{imported['preview']:.2f} s", "", ""),
        ("  import and commit", f"{imported['import']:.2f} s", "", ""),
        (
            "  customers created",
            f"{imported['created']:,}",
            f"{args.rows:,}",
            verdict(imported["created"] == args.rows),
        ),
        (
            "same file again: changes",
            f"{reimport['changes']:,} ({reimport['seconds']:.2f} s)",
            "0",
            verdict(reimport["changes"] == 0),
        ),
        (
            f"export of {export['customers']:,} customers",
            f"{export['seconds']:.2f} s",
            f"<= {TARGET_EXPORT_S:.0f} s",
            verdict(export["seconds"] <= TARGET_EXPORT_S),
        ),
    ]
    out(f"\nSUMMARY (import {args.rows:,} rows, export {export['customers']:,} customers)")
    out(f"  machine: {common.machine()}")
    if args.rows < 50_000 or export["customers"] < 100_000:
        out("  (targets are set for 50,000 imported rows and 100,000 exported customers)")
    common.print_table(rows, 20, 10)


def main(argv=None):
    common.run_bench(Bench, parse_args(argv))


if __name__ == "__main__":
    main()
