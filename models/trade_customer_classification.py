from collections import defaultdict

from odoo import api, models
from odoo.tools import SQL, html2plaintext

from ..trade_crm_tiering import exporting, profile, tiering_day
from ..trade_crm_tiering.exporting import Summary, Table, TableColumn
from .tiering_constants import STAR_SELECTION


class TradeCustomerClassification(models.AbstractModel):
    """The customer classification table as an xlsx: one row per customer, and a summary sheet.

    Read in one query for all customers (100,000 in a few seconds), in the current company and
    the user's language, the customers being those the user may see.
    """

    _name = "trade.customer.classification"
    _description = "Customer Classification Table"

    @api.model
    def _build(self, domain):
        """The xlsx of the customers of ``domain`` (record rules apply)."""
        company = self.env.company
        partner_ids = list(self.env["res.partner"]._search(domain).get_result_ids())
        tiers = self.env["trade.service.tier"].search([("company_id", "=", company.id)])
        rows = self._fetch(company, partner_ids, tiers)
        table, summary = self._tables(company, rows, tiers)
        return exporting.write_classification(table, summary)

    def _score_fields(self):
        return self.env["trade.customer.sheet"]._score_fields()

    def _value_sql(self, name):
        """A res.partner field as SQL: company-dependent fields read for the current company."""
        field = self.env["res.partner"]._fields[name]
        if field.company_dependent:
            pg_type = {"integer": "int4", "float": "float8", "monetary": "float8"}.get(field.type, "text")
            return SQL("(p.%s ->> %s)::%s", SQL.identifier(name), str(self.env.company.id), SQL(pg_type))
        return SQL("p.%s", SQL.identifier(name))

    def _fetch(self, company, partner_ids, tiers):
        self.env.flush_all()
        lang = self.env.lang or "en_US"
        cid = str(company.id)
        fallback = self.env["ir.default"]._get_model_defaults("res.partner").get("tiering_service_tier_id")
        scores = [self._value_sql(name) for name in self._score_fields()]
        return self.env.execute_query(
            SQL(
                """WITH scope AS (SELECT unnest(%(scope)s::int4[]) AS id),
                   first_orders AS (
                       SELECT c.commercial_partner_id AS pid, MIN(so.date_order)::date AS first_order
                         FROM sale_order so JOIN res_partner c ON c.id = so.partner_id
                        WHERE so.state = 'sale' AND so.company_id = %(company)s
                          AND c.commercial_partner_id IN (SELECT id FROM scope)
                        GROUP BY 1
                   ), regions AS (
                       SELECT rel.partner_id AS pid,
                              string_agg(COALESCE(t.name ->> %(lang)s, t.name ->> 'en_US'), ', '
                                         ORDER BY t.name ->> 'en_US') AS tags
                         FROM res_partner_res_partner_category_rel rel
                         JOIN res_partner_category t ON t.id = rel.category_id
                        WHERE t.trade_family = 'region' AND t.active AND rel.partner_id IN (SELECT id FROM scope)
                        GROUP BY 1
                   ), contacts AS (
                       SELECT DISTINCT ON (c.parent_id) c.parent_id AS pid, c.name
                         FROM res_partner c
                        WHERE c.parent_id IN (SELECT id FROM scope) AND c.active AND c.type = 'contact'
                        ORDER BY c.parent_id, c.id
                   )
                   SELECT p.ref, p.name, ct.name, COALESCE(co.name ->> %(lang)s, co.name ->> 'en_US'), r.tags,
                          COALESCE(ind.name ->> %(lang)s, ind.name ->> 'en_US'), p.email, p.phone, p.website,
                          fo.first_order, COALESCE((p.tiering_annual_amount ->> %(cid)s)::float8, 0),
                          COALESCE(p.tiering_star_grade ->> %(cid)s, '0'),
                          COALESCE((p.tiering_service_tier_id ->> %(cid)s)::int4, %(fallback)s),
                          p.trade_credit_rating, up.name, p.comment %(scores)s
                     FROM res_partner p
                     LEFT JOIN first_orders fo ON fo.pid = p.id
                     LEFT JOIN regions r ON r.pid = p.id
                     LEFT JOIN contacts ct ON ct.pid = p.id
                     LEFT JOIN res_country co ON co.id = p.country_id
                     LEFT JOIN res_partner_industry ind ON ind.id = p.industry_id
                     LEFT JOIN res_users u ON u.id = p.user_id
                     LEFT JOIN res_partner up ON up.id = u.partner_id
                    WHERE p.id IN (SELECT id FROM scope) AND p.parent_id IS NULL
                    ORDER BY COALESCE(p.tiering_star_grade ->> %(cid)s, '0') DESC, p.name, p.id""",
                scope=partner_ids,
                company=company.id,
                lang=lang,
                cid=cid,
                fallback=fallback or None,
                scores=SQL("").join(SQL(", %s", score) for score in scores),
            )
        )

    def _tables(self, company, rows, tiers):
        sheet = self.env["trade.customer.sheet"]
        labels = sheet._labels()
        partners = self.env["res.partner"]
        score_labels = [partners._fields[name]._description_string(self.env) for name in self._score_fields()]
        tier_names = {tier.id: tier.display_name for tier in tiers}
        keys = [
            ("ref", "text", 14),
            ("name", "text", 34),
            ("main_contact", "text", 22),
            ("country", "text", 16),
            ("region_tags", "text", 18),
            ("industry", "text", 18),
            ("email", "text", 28),
            ("phone", "text", 18),
            ("website", "text", 24),
            ("years", "float", 12),
            ("annual_amount", "money", 18),
            ("grade", "int", 10),
            ("tier", "text", 14),
        ]
        columns = [TableColumn(labels[key], kind, width) for key, kind, width in keys]
        columns += [TableColumn(label, "int", 10) for label in score_labels]
        columns += [
            TableColumn(labels["credit_rating"], "text", 10),
            TableColumn(labels["salesperson"], "text", 20),
            TableColumn(labels["notes"], "text", 40),
        ]
        today = tiering_day.today()
        currency = company.tiering_currency_id
        digits = currency.decimal_places
        by_grade = defaultdict(lambda: [0, 0.0])
        by_tier = defaultdict(lambda: [0, 0.0])
        table_rows = []
        for row in rows:
            ref, name, contact, country, regions, industry, email, phone, website = row[:9]
            first_order, amount, grade, tier_id, rating, salesperson, comment = row[9:16]
            amount = round(amount, digits)
            by_grade[grade][0] += 1
            by_grade[grade][1] += amount
            by_tier[tier_id][0] += 1
            by_tier[tier_id][1] += amount
            table_rows.append(
                [
                    ref,
                    name,
                    contact,
                    country,
                    regions,
                    industry,
                    email,
                    phone,
                    website,
                    profile.years_between(first_order, today) if first_order else None,
                    amount,
                    int(grade),
                    tier_names.get(tier_id, ""),
                    *row[16:],
                    rating,
                    salesperson,
                    html2plaintext(comment).strip() if comment else None,
                ]
            )
        tier_column = len(keys) - 1
        table = Table(
            self.env._("Classification"),
            columns,
            table_rows,
            color_by=(tier_column, {tier.display_name: tier.color for tier in tiers}),
        )
        stars = dict(STAR_SELECTION)
        summary = Summary(
            self.env._("Summary"),
            self.env._(
                "Customer classification of %(company)s on %(date)s (amounts in %(currency)s)",
                company=company.name,
                date=today,
                currency=currency.name,
            ),
            (
                labels["grade"],
                self.env._("Customers"),
                self.env._("Share"),
                labels["annual_amount"],
                labels["tier"],
                self.env._("Total"),
            ),
            [
                (self._star_label(stars, str(star)), by_grade[str(star)][0], by_grade[str(star)][1])
                for star in range(5, -1, -1)
            ],
            tiers=[(tier.display_name, by_tier[tier.id][0], by_tier[tier.id][1], tier.color) for tier in tiers],
            chart_title=self.env._("Customers by Star Grade"),
        )
        return table, summary

    def _star_label(self, stars, star):
        return dict(self.env["res.partner"]._fields["tiering_star_grade"]._description_selection(self.env)).get(
            star, stars[star]
        )
