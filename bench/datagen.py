"""The data the grading benchmark generates with SQL, which the other benchmarks reuse.

``generate`` writes customers, contacts, currency rates and confirmed sale orders (and the helper
table ``bench_customer`` the later steps read); ``generate_scoring_data`` adds logged notes, done
activities and leads. See bench/README.md, "What is generated".
"""

# The generator commits what it wrote, then analyzes the tables.
# pylint: disable=invalid-commit

from datetime import timedelta

import common  # noqa: F401  (first: it puts Odoo on the path)

from odoo.tools import SQL

HISTORY_DAYS = 730  # orders spread over the last two years
CURRENCY_MIX = (("USD", 0.60), ("EUR", 0.25), ("CNY", 0.15))
# Annual amount of a customer in USD: lognormal, median 40,000, so every grade 0-5 occurs
# (about 31% 0 stars, 17% 1, 34% 2, 12% 3, 3% 4, 3% 5).
SIZE_MEDIAN = 40_000.0
SIZE_SIGMA = 1.5
CONTACT_EVERY = 4  # one contact person per 4 customers
CONTACT_ORDER_SHARE = 0.5  # share of those customers' orders placed by the contact
CHANGE_SHARE = 0.05  # share of customers whose grade the grading benchmark's step d moves
# Scoring data generated before the scoring step: per customer on average, logged notes and done
# activities of the last 400 days, and leads of the last 200 days.
NOTES_PER_CUSTOMER = 1.5
DONE_ACTIVITY_SHARE = 0.3
LEADS_PER_CUSTOMER = 0.5


def not_null_columns(cr, table):
    cr.execute(
        """SELECT column_name FROM information_schema.columns
            WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL""",
        [table],
    )
    return {row[0] for row in cr.fetchall()}


def check_filled(cr, filled):
    """Stop if a table has a NOT NULL column without a default that the generator does not fill.

    ``filled``: ``{table: columns the generator fills}``.
    """
    for table, columns in filled.items():
        missing = not_null_columns(cr, table) - columns
        if missing:
            raise SystemExit(f"{table} has NOT NULL columns the generator does not fill: {sorted(missing)}")


def generate(env, company, args, now, out):
    """Customers, contacts, rates and confirmed orders, with SQL. Returns the sizes."""
    cr = env.cr
    n, m = args.customers, args.orders
    uid = env.ref("base.user_admin").id
    team = env.ref("sales_team.team_sales_department", raise_if_not_found=False)
    currencies = {}
    for code, _share in CURRENCY_MIX:
        currency = env.ref(f"base.{code}")
        currencies[code] = currency.id
    # The columns filled below must cover every NOT NULL column without a default.
    filled = {
        "res_partner": {"autopost_bills"},
        "sale_order": {"company_id", "partner_id", "partner_invoice_id", "partner_shipping_id", "name", "date_order"},
    }
    check_filled(cr, filled)

    # EUR and CNY: active, sold through pricelists of their own, with a company rate on the first of
    # every month of the period.
    cr.execute(SQL("UPDATE res_currency SET active = true WHERE id = ANY(%s)", list(currencies.values())))
    env["product.pricelist"].create(
        [
            {"name": f"Bench {code}", "currency_id": currencies[code], "company_id": company.id}
            for code in ("EUR", "CNY")
        ]
    )
    first_month = (now.date() - timedelta(days=HISTORY_DAYS + 31)).replace(day=1)
    cr.execute(
        SQL(
            """INSERT INTO res_currency_rate (currency_id, company_id, name, rate, create_uid, write_uid,
                                              create_date, write_date)
               SELECT cur.id, %(company)s, s.month::date,
                      round((CASE cur.name WHEN 'EUR' THEN 0.92 + 0.04 * sin(s.k)
                                           ELSE 7.15 + 0.15 * sin(s.k / 2.0) END)::numeric, 6),
                      %(uid)s, %(uid)s, %(now)s, %(now)s
                 FROM res_currency cur,
                      generate_series(%(first)s::date, %(today)s::date, interval '1 month') WITH ORDINALITY s(month, k)
                WHERE cur.id = ANY(%(ids)s)
                   ON CONFLICT ON CONSTRAINT res_currency_rate_unique_name_per_day DO NOTHING""",
            company=company.id,
            uid=uid,
            now=now,
            first=first_month,
            today=now.date(),
            ids=[currencies["EUR"], currencies["CNY"]],
        )
    )

    cr.execute(SQL("SELECT setseed(%s)", (args.seed % 1000) / 1000.0))
    cr.execute("DROP TABLE IF EXISTS bench_customer")
    cr.execute(
        """CREATE TABLE bench_customer (
               idx int PRIMARY KEY, id int NOT NULL UNIQUE, contact_id int, size float8 NOT NULL)"""
    )
    # size: the customer's annual purchases in USD, lognormal (Box-Muller).
    cr.execute(
        SQL(
            """INSERT INTO bench_customer (idx, id, size)
               SELECT g, nextval('res_partner_id_seq'),
                      exp(ln(%(median)s) + %(sigma)s * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))
                 FROM generate_series(1, %(n)s) g""",
            median=SIZE_MEDIAN,
            sigma=SIZE_SIGMA,
            n=n,
        )
    )
    cr.execute(
        SQL(
            """UPDATE bench_customer SET contact_id = nextval('res_partner_id_seq') WHERE mod(idx, %(every)s) = 0""",
            every=CONTACT_EVERY,
        )
    )
    partner_columns = SQL(
        """name, complete_name, commercial_company_name, ref, email, active, is_company, type, lang,
           customer_rank, supplier_rank, partner_share, employee, color, autopost_bills,
           create_uid, write_uid, create_date, write_date"""
    )
    cr.execute(
        SQL(
            """INSERT INTO res_partner (id, commercial_partner_id, %(columns)s)
               SELECT c.id, c.id, 'Bench Customer ' || lpad(c.idx::text, 7, '0'),
                      'Bench Customer ' || lpad(c.idx::text, 7, '0'), 'Bench Customer ' || lpad(c.idx::text, 7, '0'),
                      'BENCH-' || c.idx, 'customer' || c.idx || '@bench.example.com', true, true, 'contact',
                      'en_US', 1, 0, true, false, 0, 'ask', %(uid)s, %(uid)s, %(now)s, %(now)s
                 FROM bench_customer c ORDER BY c.idx""",
            columns=partner_columns,
            uid=uid,
            now=now,
        )
    )
    cr.execute(
        SQL(
            """INSERT INTO res_partner (id, parent_id, commercial_partner_id, %(columns)s)
               SELECT c.contact_id, c.id, c.id, 'Buyer ' || c.idx,
                      'Bench Customer ' || lpad(c.idx::text, 7, '0') || ', Buyer ' || c.idx,
                      'Bench Customer ' || lpad(c.idx::text, 7, '0'), NULL,
                      'buyer' || c.idx || '@bench.example.com', true, false, 'contact',
                      'en_US', 1, 0, true, false, 0, 'ask', %(uid)s, %(uid)s, %(now)s, %(now)s
                 FROM bench_customer c WHERE c.contact_id IS NOT NULL ORDER BY c.idx""",
            columns=partner_columns,
            uid=uid,
            now=now,
        )
    )

    # Orders: a random customer each (or its contact), a random moment of the last 730 days, a
    # currency of the mix, an amount around the customer's size over its expected number of
    # orders per year, in the order's currency at the month's rate.
    per_year = m / n * 365.0 / HISTORY_DAYS
    usd_share, eur_share = CURRENCY_MIX[0][1], CURRENCY_MIX[1][1]
    cr.execute(
        SQL(
            """INSERT INTO sale_order (company_id, partner_id, partner_invoice_id, partner_shipping_id, name, state,
                                       date_order, validity_date, currency_id, currency_rate, amount_untaxed,
                                       amount_tax, amount_total, margin, margin_percent, user_id, team_id,
                                       invoice_status, locked, require_signature, require_payment,
                                       prepayment_percent, create_uid, write_uid, create_date, write_date)
               SELECT %(company)s, o.partner_id, o.partner_id, o.partner_id, 'BENCH/' || lpad(o.g::text, 8, '0'),
                      'sale', o.date_order, o.date_order::date + 30, o.currency_id, COALESCE(r.rate, 1.0),
                      round((o.usd * COALESCE(r.rate, 1.0))::numeric, 2),
                      round((o.usd * COALESCE(r.rate, 1.0) * 0.15)::numeric, 2),
                      round((o.usd * COALESCE(r.rate, 1.0) * 1.15)::numeric, 2),
                      round((o.usd * COALESCE(r.rate, 1.0) * 0.3)::numeric, 2), 0.3,
                      %(uid)s, %(team)s, 'no', false, false, false, 1.0, %(uid)s, %(uid)s, o.date_order, o.date_order
                 FROM (SELECT x.g,
                              CASE WHEN c.contact_id IS NOT NULL AND x.r_contact < %(contact_share)s
                                   THEN c.contact_id ELSE c.id END AS partner_id,
                              date_trunc('second', %(now)s::timestamp - x.r_day * %(days)s * interval '1 day')
                                  AS date_order,
                              CASE WHEN x.r_cur < %(usd_share)s THEN %(usd)s
                                   WHEN x.r_cur < %(eur_limit)s THEN %(eur)s ELSE %(cny)s END AS currency_id,
                              c.size / %(per_year)s
                                  * exp(0.3 * sqrt(-2 * ln(1 - x.r_n1)) * cos(2 * pi() * x.r_n2) - 0.045) AS usd
                         FROM (SELECT g, 1 + floor(random() * %(n)s)::int AS idx, random() AS r_contact,
                                      random() AS r_day, random() AS r_cur, random() AS r_n1, random() AS r_n2
                                 FROM generate_series(1, %(m)s) g) x
                         JOIN bench_customer c ON c.idx = x.idx) o
                 LEFT JOIN res_currency_rate r
                        ON r.currency_id = o.currency_id AND r.company_id = %(company)s
                       AND r.name = date_trunc('month', o.date_order)::date
                       AND o.currency_id != %(usd)s""",
            company=company.id,
            uid=uid,
            team=team.id if team else None,
            contact_share=CONTACT_ORDER_SHARE,
            now=now,
            days=HISTORY_DAYS,
            usd_share=usd_share,
            eur_limit=usd_share + eur_share,
            usd=currencies["USD"],
            eur=currencies["EUR"],
            cny=currencies["CNY"],
            per_year=per_year,
            n=n,
            m=m,
        )
    )
    env.cr.commit()
    cr.execute("ANALYZE res_partner")
    cr.execute("ANALYZE sale_order")
    cr.execute("ANALYZE res_currency_rate")
    cr.execute("ANALYZE bench_customer")
    env.cr.commit()
    env.invalidate_all()
    env.registry.clear_all_caches()
    cr.execute("SELECT count(*) FROM bench_customer WHERE contact_id IS NOT NULL")
    contacts = cr.fetchone()[0]
    cr.execute(
        """SELECT count(*), count(*) FILTER (WHERE p.parent_id IS NOT NULL), count(DISTINCT so.currency_id)
             FROM sale_order so JOIN res_partner p ON p.id = so.partner_id WHERE so.name LIKE 'BENCH/%'"""
    )
    orders, contact_orders, currency_count = cr.fetchone()
    out(
        f"    {n:,} customers, {contacts:,} contacts, {orders:,} confirmed orders "
        f"({contact_orders:,} placed by contacts, {currency_count} currencies)"
    )
    return {"customers": n, "contacts": contacts, "orders": orders}


def make_changes(env, company, thresholds, rng, now, window):
    """Move the grade of a random ~5% of customers: one big order up a grade, or cancel a 5-star's orders."""
    cr = env.cr
    cid = str(company.id)
    cr.execute("SELECT id, contact_id FROM bench_customer ORDER BY idx")
    customers = cr.fetchall()
    chosen = rng.sample(customers, max(1, round(len(customers) * CHANGE_SHARE)))
    cr.execute(
        SQL(
            """SELECT id, COALESCE((tiering_annual_amount ->> %(cid)s)::float8, 0),
                      COALESCE(tiering_star_grade_actual ->> %(cid)s, '0')::int
                 FROM res_partner WHERE id = ANY(%(ids)s)""",
            cid=cid,
            ids=[row[0] for row in chosen],
        )
    )
    current = {pid: (amount, star) for pid, amount, star in cr.fetchall()}
    up_ids, up_amounts, down_ids = [], [], []
    for partner_id, contact_id in chosen:
        amount, star = current[partner_id]
        if star < 5:
            up_ids.append(partner_id)
            up_amounts.append(round(thresholds[star] * 1.05 - amount, 2))
        else:
            down_ids.extend([partner_id, contact_id] if contact_id else [partner_id])
    usd = company.tiering_currency_id.id
    cr.execute(
        SQL(
            """INSERT INTO sale_order (company_id, partner_id, partner_invoice_id, partner_shipping_id, name, state,
                                       date_order, currency_id, currency_rate, amount_untaxed, amount_tax,
                                       amount_total, invoice_status, locked, require_signature, require_payment,
                                       prepayment_percent, create_uid, write_uid, create_date, write_date)
               SELECT %(company)s, v.id, v.id, v.id, 'BENCH/UP/' || v.id, 'sale', %(now)s, %(usd)s, 1.0, v.amount,
                      0, v.amount, 'no', false, false, false, 1.0, %(uid)s, %(uid)s, %(now)s, %(now)s
                 FROM unnest(%(ids)s::int[], %(amounts)s::numeric[]) AS v(id, amount)""",
            company=company.id,
            now=now,
            usd=usd,
            uid=env.uid,
            ids=up_ids,
            amounts=up_amounts,
        )
    )
    cr.execute(
        SQL(
            """UPDATE sale_order SET state = 'cancel'
                WHERE partner_id = ANY(%s) AND company_id = %s AND state = 'sale'
                  AND date_order >= %s AND date_order < %s""",
            down_ids,
            company.id,
            window.start,
            window.end,
        )
    )
    return len(chosen), len(up_ids), len(chosen) - len(up_ids)


def generate_scoring_data(env, company, args, now):
    """Logged notes and done activities on the customers, and leads from them, with SQL."""
    cr = env.cr
    n = args.customers
    uid = env.ref("base.user_admin").id
    author = env.ref("base.user_admin").partner_id.id
    note = env.ref("mail.mt_note").id
    call = env.ref("mail.mail_activity_data_call").id
    filled = {
        "mail_message": {"message_type"},
        "crm_lead": {"name", "type"},
    }
    check_filled(cr, filled)
    cr.execute(SQL("SELECT setseed(%s)", (args.seed % 1000) / 1000.0 / 2))
    cr.execute(
        SQL(
            """INSERT INTO mail_message (model, res_id, message_type, body, date, author_id, subtype_id,
                                         mail_activity_type_id, is_internal, create_uid, write_uid, create_date,
                                         write_date)
               SELECT 'res.partner', c.id, CASE WHEN x.r_kind < %(done)s THEN 'notification' ELSE 'comment' END,
                      '<p>Bench note</p>', x.day, %(author)s, %(note)s,
                      CASE WHEN x.r_kind < %(done)s THEN %(call)s END, true, %(uid)s, %(uid)s, x.day, x.day
                 FROM (SELECT 1 + floor(random() * %(n)s)::int AS idx, random() AS r_kind,
                              date_trunc('second', %(now)s::timestamp - random() * 400 * interval '1 day') AS day
                         FROM generate_series(1, %(count)s)) x
                 JOIN bench_customer c ON c.idx = x.idx""",
            done=DONE_ACTIVITY_SHARE,
            author=author,
            note=note,
            call=call,
            uid=uid,
            n=n,
            now=now,
            count=round(n * NOTES_PER_CUSTOMER),
        )
    )
    notes = cr.rowcount
    cr.execute(
        SQL(
            """INSERT INTO crm_lead (name, type, partner_id, company_id, active, create_uid, write_uid, create_date,
                                     write_date)
               SELECT 'Bench inquiry ' || x.g, 'lead', c.id, %(company)s, true, %(uid)s, %(uid)s, x.day, x.day
                 FROM (SELECT g, 1 + floor(random() * %(n)s)::int AS idx,
                              date_trunc('second', %(now)s::timestamp - random() * 200 * interval '1 day') AS day
                         FROM generate_series(1, %(count)s) g) x
                 JOIN bench_customer c ON c.idx = x.idx""",
            company=company.id,
            uid=uid,
            n=n,
            now=now,
            count=round(n * LEADS_PER_CUSTOMER),
        )
    )
    leads = cr.rowcount
    cr.commit()
    cr.execute("ANALYZE mail_message")
    cr.execute("ANALYZE crm_lead")
    cr.commit()
    env.invalidate_all()
    return {"notes": notes, "leads": leads}
