"""Benchmark of the duplicate check (查重) of trade_crm_tiering at 100,000 customers.

Generates N company customers with SQL (names with legal forms in several languages, VATs, company
and free-mail addresses, phones, countries, a salesperson each), with about 2% planted duplicates
sharing a VAT, a name, a domain or a phone with another customer. Keys them set-based
(``res.partner._tiering_dup_rekey``), then times, as a tiering administrator: the "possible
duplicates" list (the list view's ``web_search_read``: one page and the count), the same list
filtered by reason, and the form's match search for one new customer. Prints every figure against
the 2 s target; never fails because of a time. Run it through ``tools/bench --only duplicates``.
"""

# A benchmark commits on purpose and prints its figures.
# pylint: disable=invalid-commit,print-used

import time

import common  # next to this file; it puts Odoo on the path, so it comes first
from common import as_user, timed

from odoo import Command
from odoo.tools import SQL

TARGET_S = 2.0
LIST_SPEC = {
    "reason": {},
    "key": {},
    "size": {},
    "partner_names": {},
    "salespeople": {},
}


def parse_args(argv=None):
    parser = common.make_parser(__doc__)
    common.add_size_arguments(parser, orders=False, customers_help="customers (company partners) to generate")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the list's page, count and read")
    common.add_database_arguments(parser)
    args = parser.parse_args(argv)
    if args.customers < 100:
        parser.error("need at least 100 customers")
    return args


class DuplicatesBench(common.Recorder):
    def __init__(self, args, env):
        super().__init__(TARGET_S)
        self.args, self.env, self.cr = args, env, env.cr
        self.company = env.ref("base.main_company")
        self.now = common.utc_now()

    out = staticmethod(common.out)

    def run(self):
        common.print_machine(self.cr)
        self.out(f"size: {self.args.customers:,} customers")
        admin = self.prepare()
        self.step_list(admin)
        self.step_probe(admin)
        self.summary()

    def prepare(self):
        out, cr = self.out, self.cr
        salesman = self.env.ref("sales_team.group_sale_salesman")
        reps = self.env["res.users"].create(
            [
                {"name": f"Dup Rep {i}", "login": f"dup_rep_{i}", "groups_id": [Command.link(salesman.id)]}
                for i in range(20)
            ]
        )
        admin = self.env["res.users"].create(
            {
                "name": "Dup Admin",
                "login": "dup_admin",
                "groups_id": [Command.link(self.env.ref("base.group_system").id)],
                "company_id": self.company.id,
                "company_ids": [Command.set(self.company.ids)],
            }
        )
        countries = self.env["res.country"].search([("code", "in", ["DE", "CN", "US", "FR", "IT", "BR"])]).ids
        out("\n[a] generating customers with SQL")
        start = time.perf_counter()
        cr.execute(SQL("SELECT setseed(%s)", (self.args.seed % 1000) / 1000.0))
        # Customer i plants a duplicate of customer i - 1 every 50th (VAT), 53rd (phone), 47th
        # (domain) and 43rd (name) row; a fifth write from free mail, which never matches.
        cr.execute(
            SQL(
                """
                WITH g AS (
                    SELECT i,
                           CASE WHEN mod(i, 50) = 0 THEN i - 1 ELSE i END AS vat_i,
                           CASE WHEN mod(i, 53) = 0 THEN i - 1 ELSE i END AS phone_i,
                           CASE WHEN mod(i, 47) = 0 THEN i - 1 ELSE i END AS domain_i,
                           CASE WHEN mod(i, 43) = 0 THEN i - 1 ELSE i END AS name_i
                      FROM generate_series(1, %(n)s) i
                )
                INSERT INTO res_partner (name, complete_name, vat, email, phone, country_id, user_id, active,
                                         is_company, type, lang, autopost_bills, create_uid, write_uid,
                                         create_date, write_date)
                SELECT n.name, n.name,
                       CASE WHEN mod(g.i, 5) < 4 THEN 'DE' || lpad((100000000 + g.vat_i * 7)::text, 9, '0') END,
                       CASE WHEN mod(g.i, 5) = 4 THEN 'buyer' || g.i || '@gmail.com'
                            ELSE 'sales@firm' || g.domain_i || '.com' END,
                       CASE WHEN mod(g.i, 10) < 7 THEN '+49 30 ' || (1000000 + g.phone_i * 3) END,
                       (%(countries)s::int[])[1 + mod(g.name_i, %(ncountries)s)],
                       (%(reps)s::int[])[1 + mod(g.i, %(nreps)s)], true, true, 'contact', 'en_US', 'ask',
                       %(uid)s, %(uid)s, %(now)s, %(now)s
                  FROM g,
                       LATERAL (SELECT 'Firm ' || to_hex(g.name_i * 7919) || ' ' ||
                                       (ARRAY['Ltd', 'GmbH', '有限公司', 'S.A.', 'Inc.', 'Co., Ltd.'])[1 + mod(g.i, 6)]
                                       AS name) n
                """,
                n=self.args.customers,
                countries=countries,
                ncountries=len(countries),
                reps=reps.ids,
                nreps=len(reps),
                uid=self.env.uid,
                now=self.now,
            )
        )
        cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE commercial_partner_id IS NULL")
        out(f"    generation: {time.perf_counter() - start:.1f} s")
        out("\n[b] keying every partner set-based (not a target)")
        first, best, count = timed(self.env["res.partner"]._tiering_dup_rekey, runs=1)
        cr.execute("ANALYZE res_partner")
        cr.commit()
        self.record("keying every partner", first, best, f"({count:,} partners)", target=False)
        self.env.invalidate_all()
        return admin

    def as_user(self, user):
        return as_user(self.env, user, self.company)

    def step_list(self, admin):
        self.out('\n[c] the "possible duplicates" list as a tiering administrator (page of 80 and count)')
        groups = self.as_user(admin)["trade.duplicate.group"]
        for label, domain in (("all", []), ("same VAT", [("reason", "=", "vat")])):
            first, best, page = timed(
                lambda domain=domain: groups.web_search_read(domain, LIST_SPEC, limit=80, count_limit=None)
            )
            self.record(f"possible duplicates list, {label}", first, best, f"({page['length']:,} groups)")
        self.cr.rollback()
        if self.args.explain:
            self.explain(groups)

    def explain(self, groups):
        """EXPLAIN ANALYZE what the list asks: the page, the count and the read of the page."""
        page = groups.search([], limit=80)
        for sql in (
            SQL(
                "SELECT id, reason, key, size, partner_names, salespeople FROM trade_duplicate_group"
                " ORDER BY size DESC, partner_id LIMIT 80"
            ),
            SQL("SELECT COUNT(*) FROM trade_duplicate_group"),
            SQL("SELECT * FROM trade_duplicate_group WHERE id IN %s", tuple(page.ids) or (0,)),
        ):
            self.cr.execute(SQL("EXPLAIN (ANALYZE, BUFFERS) %s", sql))
            self.out("\n".join(f"      {row[0]}" for row in self.cr.fetchall()))
        self.cr.rollback()

    def step_probe(self, admin):
        self.out("\n[d] the form's match search for one new customer")
        partners = self.as_user(admin)["res.partner"]
        probe = {"name": "FIRM 1f GmbH", "vat": "DE100000007", "email": "x@firm1.com", "phone": "030 1000003"}
        first, best, found = timed(lambda: partners._tiering_find_duplicates(probe))
        self.record("match search of a new customer", first, best, f"({len(found)} matches)")

    def summary(self):
        self.out(f"\nSUMMARY ({self.args.customers:,} customers; target {TARGET_S:.0f} s)")
        self.out(f"  machine: {common.machine()}")
        for figure, first, best, _note, target in self.rows:
            self.out(f"  {figure:<40}  {first:>7.3f}s  {best:>7.3f}s  {self.mark(best, target)}")


def main(argv=None):
    common.run_bench(DuplicatesBench, parse_args(argv))


if __name__ == "__main__":
    main()
