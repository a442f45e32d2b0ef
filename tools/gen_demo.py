"""Write the demo data of an export business: demo/res_partner_demo_N.xml, demo/sale_order_demo_N.xml and
demo/tiering_demo.xml (the first nightly run and a grade request).

Forty customers in 10+ countries buy wood products in USD, EUR and CNY over the last two years;
their last-12-months purchases are chosen well inside each grade band so every grade from 0 to 5
occurs on the day the demo is installed. Deterministic: run it again after editing CUSTOMERS.

    python3 tools/gen_demo.py
"""

import random
import sys
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from trade_crm_tiering import grading  # noqa: E402 (the add-on's own banding)

RATE_TO_USD = {"USD": 1.0, "EUR": 0.92, "CNY": 7.2}

PRODUCTS = [
    # xml id, name, list price in USD
    ("demo_product_plywood", "Birch Plywood 18mm (sheet)", 28.0),
    ("demo_product_veneer", "Oak Veneer Panel", 45.0),
    ("demo_product_table", "Solid Wood Dining Table", 320.0),
    ("demo_product_chair", "Upholstered Lounge Chair", 180.0),
    ("demo_product_kitchen", "Kitchen Cabinet Set", 1450.0),
    ("demo_product_bamboo", "Bamboo Flooring (m2)", 22.0),
]

# name, country, currency, last 12 months in USD, the 12 months before in USD, orders a year, buyer
CUSTOMERS = [
    ("Gulf Star Building Materials LLC", "ae", "USD", 2_600_000, 2_100_000, 10, "Omar Khalid"),
    ("Rheinland Moebelhandel GmbH", "de", "EUR", 2_300_000, 2_400_000, 12, "Jonas Weber"),
    ("Pacific Coast Home Supply Inc.", "us", "USD", 3_100_000, 2_200_000, 12, "Emily Carter"),
    ("Maple Leaf Interiors Ltd.", "ca", "USD", 1_400_000, 1_250_000, 8, "Olivia Tremblay"),
    ("Lyon Decor Distribution SAS", "fr", "EUR", 1_200_000, 1_500_000, 8, "Camille Martin"),
    ("Sydney Timber Traders Pty Ltd", "au", "USD", 1_700_000, 900_000, 9, "Jack Wilson"),
    ("Al Noor Trading Est.", "sa", "USD", 1_100_000, 1_050_000, 6, "Faisal Al-Harbi"),
    ("Lagos Homeworks Nigeria Ltd", "ng", "USD", 420_000, 380_000, 5, "Chinedu Okafor"),
    ("Sao Paulo Casa e Construcao Ltda", "br", "USD", 650_000, 700_000, 6, "Lucas Souza"),
    ("Tokyo Living Goods KK", "jp", "USD", 380_000, 310_000, 4, "Haruto Sato"),
    ("Hanoi Furniture Import JSC", "vn", "CNY", 510_000, 260_000, 6, "Nguyen Van An"),
    ("Polska Meble Sp. z o.o.", "pl", "EUR", 760_000, 820_000, 7, "Piotr Nowak"),
    ("Cape Interiors (Pty) Ltd", "za", "USD", 330_000, 350_000, 4, "Thabo Nkosi"),
    ("Madrid Hogar SL", "es", "EUR", 180_000, 170_000, 4, "Lucia Garcia"),
    ("Milano Arredo Srl", "it", "EUR", 95_000, 120_000, 3, "Marco Rossi"),
    ("Rotterdam Panels BV", "nl", "EUR", 240_000, 210_000, 5, "Daan de Vries"),
    ("Mumbai Home Centre Pvt Ltd", "in", "USD", 120_000, 80_000, 4, "Priya Sharma"),
    ("Monterrey Muebles SA de CV", "mx", "USD", 75_000, 90_000, 3, "Diego Hernandez"),
    ("Seoul Design Mart Co.", "kr", "USD", 150_000, 140_000, 4, "Min-jun Kim"),
    ("Kuala Lumpur Living Sdn Bhd", "my", "CNY", 210_000, 190_000, 4, "Aisyah Rahman"),
    ("Singapore Home Hub Pte Ltd", "sg", "CNY", 68_000, 40_000, 2, "Wei Ling Tan"),
    ("Nairobi Furnishings Ltd", "ke", "USD", 55_000, 15_000, 3, "Wanjiru Kamau"),
    ("Cairo Home Style", "eg", "USD", 32_000, 45_000, 2, "Ahmed Hassan"),
    ("Istanbul Ev Dekor AS", "tr", "EUR", 28_000, 30_000, 2, "Elif Yilmaz"),
    ("Lima Casa SAC", "pe", "USD", 41_000, 38_000, 3, "Mateo Quispe"),
    ("Bangkok Decor Co., Ltd.", "th", "CNY", 24_000, 20_000, 2, "Somchai Srisai"),
    ("Manchester Interiors Ltd", "uk", "USD", 36_000, 52_000, 2, "Oliver Brown"),
    ("Chicago Cabinet Supply LLC", "us", "USD", 45_000, 44_000, 3, "Michael Johnson"),
    ("Riyadh Modern Homes", "sa", "USD", 22_000, 0, 1, "Abdullah Saleh"),
    ("Bogota Muebles SAS", "co", "USD", 30_000, 26_000, 2, "Valentina Lopez"),
    ("Accra Trading Ventures", "gh", "USD", 12_000, 14_000, 1, "Kwame Mensah"),
    ("Casablanca Maison SARL", "ma", "EUR", 8_000, 9_000, 1, "Youssef Benali"),
    ("Dhaka Home Imports", "bd", "USD", 15_000, 0, 1, "Rahim Uddin"),
    ("Auckland Timber Co", "nz", "USD", 0, 180_000, 0, "Sophie Taylor"),
    ("Vienna Wohnen GmbH", "at", "EUR", 0, 60_000, 0, "Lukas Gruber"),
    ("Lisbon Casa Lda", "pt", "EUR", 5_000, 6_000, 1, "Joao Silva"),
    ("Karachi Furnishers", "pk", "USD", 0, 0, 0, "Ali Raza"),
    ("Jakarta Living PT", "id", "CNY", 0, 0, 0, "Putri Wulandari"),
    ("Santiago Hogar SpA", "cl", "USD", 18_000, 12_000, 1, "Camila Munoz"),
    ("Doha Interiors WLL", "qa", "USD", 9_000, 0, 1, "Hamad Al-Thani"),
    # its orders are in SPIKE_ORDERS: purchases jump in the last 6 months (a growth spike warning)
    ("Kigali Build Supplies Ltd", "rw", "USD", 0, 0, 0, "Eric Mugisha"),
]

# Orders of the growth-spike customer (index in CUSTOMERS, amount in USD, days ago): 14,000 in the
# 6 months before, 53,000 in the last 6 months.
SPIKE_ORDERS = [(40, 8_000, 300), (40, 6_000, 250), (40, 20_000, 120), (40, 15_000, 60), (40, 18_000, 15)]

# Rep ratings of some customers (index in CUSTOMERS): industry outlook, company size, share of
# wallet (5: we have almost none of it), decision chain (5: many layers).
RATINGS = {
    0: (4, 5, 2, 4),
    2: (5, 5, 3, 3),
    4: (2, 4, 2, 4),
    5: (5, 4, 4, 2),
    10: (5, 3, 4, 2),
    14: (2, 2, 3, 5),
    21: (5, 2, 5, 1),
    40: (5, 3, 5, 2),
}
RATING_FIELDS = ("tiering_rating_industry", "tiering_rating_size", "tiering_rating_wallet", "tiering_rating_chain")
# Trade profile: market region by country, the product each customer mostly buys, and how it buys.
REGIONS = {
    "middle_east": ("ae", "sa", "qa", "tr"),
    "europe": ("de", "fr", "pl", "es", "it", "nl", "at", "pt", "uk"),
    "north_america": ("us", "ca"),
    "latin_america": ("br", "mx", "pe", "co", "cl"),
    "africa": ("ng", "za", "ke", "eg", "gh", "ma", "rw"),
    "east_asia": ("jp", "kr"),
    "southeast_asia": ("vn", "my", "sg", "th", "id"),
    "south_asia": ("in", "bd", "pk"),
    "oceania": ("au", "nz"),
}
PRODUCT_TAGS = {
    "demo_product_plywood": "plywood",
    "demo_product_veneer": "veneer",
    "demo_product_table": "furniture",
    "demo_product_chair": "upholstery",
    "demo_product_kitchen": "kitchen",
    "demo_product_bamboo": "flooring",
}
HABITS = ("price_sensitive", "quality_first", "custom_orders", "small_frequent", "seasonal", "fast_delivery")
SOURCES = ("trade_show", "b2b_platform", "website_inquiry", "referral", "outbound", "other")
CHANNELS = ("email", "whatsapp", "wechat", "phone", "linkedin", "video", "visit")
CREDIT_RATINGS = ("AAA", "AA", "A", "BBB", "BB", "B", "C")
# Customers whose founding anniversary falls within the week the demo is installed (key customers:
# the nightly job plans a greeting), and customers with an open opportunity.
ANNIVERSARY_SOON = (1, 6)
OPPORTUNITIES = {37: "Jakarta showroom fit-out", 21: "Nairobi flooring tender"}

SALESPEOPLE = ("base.user_admin", "base.user_demo")
# Backup salespeople of two of the three VIPs (the third shows the missing-backup flag).
BACKUPS = {0: "base.user_demo", 1: "base.user_admin"}
PRICELIST_REF = {"USD": "demo_pricelist_usd", "EUR": "demo_pricelist_eur", "CNY": "demo_pricelist_cny"}
# Payment terms of the default service tiers (data/trade_service_tier_data.xml) by lowest star: A
# (5 stars) 45 days, B 30, C 15, D immediate. The orders are created before the customers are
# graded, so without them every order would get the terms of the developing tier.
TIER_PAYMENT_TERMS = (
    (5, "account.account_payment_term_45days"),
    (3, "account.account_payment_term_30days"),
    (1, "account.account_payment_term_15days"),
    (0, "account.account_payment_term_immediate"),
)


def payment_term(index):
    """The payment terms of the tier customer ``index`` is graded into when the demo is installed."""
    recent = CUSTOMERS[index][3] + sum(amount for i, amount, days in SPIKE_ORDERS if i == index and days < 365)
    star = grading.band(recent, grading.DEFAULT_THRESHOLDS)
    return next(term for lowest, term in TIER_PAYMENT_TERMS if star >= lowest)


def slug(name):
    return "".join(ch if ch.isalnum() else "_" for ch in name.lower()).strip("_")[:40].rstrip("_")


def region_of(country):
    return next(region for region, countries in REGIONS.items() if country in countries)


def size_band(recent):
    for limit, band in ((2_000_000, "enterprise"), (1_000_000, "large"), (300_000, "medium"), (50_000, "small")):
        if recent >= limit:
            return band
    return "micro"


def stage_tag(recent, older):
    if recent and older:
        return "long_term" if recent >= 300_000 else "repeat"
    if recent or older:
        return "trial"
    return "sample"


def profile_fields(index, country, recent, older, rng):
    """Trade profile and tags of customer ``index`` (0-based)."""
    product_ref, product_name, _price = rng.choice(PRODUCTS)
    habits = rng.sample(HABITS, 2 if index % 3 else 1)
    tags = [f"partner_tag_region_{region_of(country)}", f"partner_tag_product_{PRODUCT_TAGS[product_ref]}"]
    tags += [f"partner_tag_habit_{habit}" for habit in habits]
    tags.append(f"partner_tag_stage_{stage_tag(recent, older)}")
    founded = (
        "(DateTime.today() + relativedelta(days=4, years=-25)).strftime('%Y-%m-%d')"
        if index in ANNIVERSARY_SOON
        else f"'{1975 + (index * 7) % 45}-{1 + (index * 5) % 12:02d}-{1 + (index * 11) % 28:02d}'"
    )
    declared = round(max(recent, older, 20_000) * rng.uniform(1.5, 3.0), -4)
    refs = ", ".join(f"ref('{tag}')" for tag in tags)
    rated = f"(DateTime.today() - relativedelta(months={1 + index % 10})).strftime('%Y-%m-%d')"
    return [
        f'        <field name="trade_source">{SOURCES[index % len(SOURCES)]}</field>',
        f'        <field name="trade_size_band">{size_band(recent)}</field>',
        f'        <field name="trade_main_products">{escape(product_name)}</field>',
        f'        <field name="trade_declared_volume">{declared:.0f}</field>',
        f'        <field name="trade_credit_rating">{CREDIT_RATINGS[min(index // 6, len(CREDIT_RATINGS) - 1)]}</field>',
        f'        <field name="trade_credit_rated_on" eval="{rated}"/>',
        f'        <field name="trade_founded_on" eval="{founded}"/>',
        f'        <field name="category_id" eval="[Command.set([{refs}])]"/>',
    ]


def partner_records():
    rng = random.Random(7)
    lines = []
    for ref, name, price in PRODUCTS:
        lines += [
            f'    <record id="{ref}" model="product.product">',
            f'        <field name="name">{escape(name)}</field>',
            '        <field name="type">consu</field>',
            f'        <field name="list_price">{price}</field>',
            '        <field name="standard_price" eval="' + f"{price * 0.72:.2f}" + '"/>',
            '        <field name="taxes_id" eval="[Command.clear()]"/>',
            "    </record>",
        ]
    for index, (name, country, currency, recent, older, _per_year, buyer) in enumerate(CUSTOMERS):
        ref = f"demo_customer_{index + 1:02d}"
        lines += [
            f'    <record id="{ref}" model="res.partner">',
            f'        <field name="name">{escape(name)}</field>',
            '        <field name="is_company" eval="True"/>',
            '        <field name="customer_rank">1</field>',
            f'        <field name="country_id" ref="base.{country}"/>',
            f'        <field name="email">purchasing@{slug(name).replace("_", "")[:20]}.example.com</field>',
            f'        <field name="user_id" ref="{SALESPEOPLE[index % 2]}"/>',
            '        <field name="team_id" ref="demo_team_export"/>',
            *([f'        <field name="tiering_backup_user_id" ref="{BACKUPS[index]}"/>'] if index in BACKUPS else []),
            f'        <field name="property_product_pricelist" ref="{PRICELIST_REF[currency]}"/>',
            *rating_fields(index),
            *profile_fields(index, country, recent, older, rng),
            "    </record>",
            f'    <record id="{ref}_buyer" model="res.partner">',
            f'        <field name="name">{escape(buyer)}</field>',
            f'        <field name="parent_id" ref="{ref}"/>',
            '        <field name="function">Purchasing Manager</field>',
            f'        <field name="trade_preferred_channel">{CHANNELS[index % len(CHANNELS)]}</field>',
            "    </record>",
        ]
    for index, title in OPPORTUNITIES.items():
        lines += [
            f'    <record id="demo_opportunity_{index + 1:02d}" model="crm.lead">',
            f'        <field name="name">{escape(title)}</field>',
            '        <field name="type">opportunity</field>',
            f'        <field name="partner_id" ref="demo_customer_{index + 1:02d}"/>',
            f'        <field name="user_id" ref="{SALESPEOPLE[index % 2]}"/>',
            '        <field name="team_id" ref="demo_team_export"/>',
            '        <field name="expected_revenue">60000</field>',
            "    </record>",
        ]
    return lines


def rating_fields(index):
    ratings = RATINGS.get(index)
    if not ratings:
        return []
    return [
        f'        <field name="{field}">{rating}</field>' for field, rating in zip(RATING_FIELDS, ratings, strict=True)
    ]


def split(total, parts, rng):
    weights = [rng.uniform(0.6, 1.4) for _ in range(parts)]
    scale = total / sum(weights)
    return [weight * scale for weight in weights]


def order_records():
    rng = random.Random(18)
    lines, refs = [], []
    for index, (_name, _country, currency, recent, older, per_year, _buyer) in enumerate(CUSTOMERS):
        customer = f"demo_customer_{index + 1:02d}"
        periods = [(recent, per_year, 10, 350), (older, max(per_year, 1), 380, 715)]
        for total, count, first_day, last_day in periods:
            if not total:
                continue
            days = sorted(rng.sample(range(first_day, last_day), count), reverse=True)
            for amount_usd, days_ago in zip(split(total, count, rng), days, strict=True):
                ref = f"demo_order_{len(refs) + 1:03d}"
                refs.append(ref)
                partner = customer if rng.random() < 0.6 else f"{customer}_buyer"
                lines += order_xml(ref, partner, currency, amount_usd, days_ago, index, rng)
    for index, amount_usd, days_ago in SPIKE_ORDERS:
        ref = f"demo_order_{len(refs) + 1:03d}"
        refs.append(ref)
        lines += order_xml(ref, f"demo_customer_{index + 1:02d}", CUSTOMERS[index][2], amount_usd, days_ago, index, rng)
    return lines, refs


def order_xml(ref, partner, currency, amount_usd, days_ago, index, rng):
    product_ref, _product_name, price_usd = rng.choice(PRODUCTS)
    rate = RATE_TO_USD[currency]
    price = round(price_usd * rate, 2)
    quantity = max(1, round(amount_usd * rate / price))
    date = f"(DateTime.today() - relativedelta(days={days_ago})).strftime('%Y-%m-%d 09:00:00')"
    line = (
        f"[Command.create({{'product_id': ref('{product_ref}'), 'product_uom_qty': {quantity}, "
        f"'price_unit': {price}, 'tax_id': [Command.clear()]}})]"
    )
    return [
        f'    <record id="{ref}" model="sale.order">',
        f'        <field name="partner_id" ref="{partner}"/>',
        f'        <field name="pricelist_id" ref="{PRICELIST_REF[currency]}"/>',
        f'        <field name="user_id" ref="{SALESPEOPLE[index % 2]}"/>',
        '        <field name="team_id" ref="demo_team_export"/>',
        f'        <field name="payment_term_id" ref="{payment_term(index)}"/>',
        f'        <field name="date_order" eval="{date}"/>',
        f'        <field name="order_line" eval="{line}"/>',
        '        <field name="state">sale</field>',
        "    </record>",
    ]


# Keeps every generated file under the project's 600-line limit for a file.
MAX_LINES = 560


def write(path, body):
    text = '<?xml version="1.0" encoding="utf-8"?>\n<!-- Generated by tools/gen_demo.py -->\n<odoo>\n'
    text += "\n".join(body) + "\n</odoo>\n"
    path.write_text(text, encoding="utf-8")


def records(lines):
    """The lines cut into whole records, so a file never ends inside one."""
    blocks = []
    for line in lines:
        if line.startswith("    <record") or not blocks:
            blocks.append([])
        blocks[-1].append(line)
    return blocks


def write_parts(stem, lines):
    """``demo/<stem>_1.xml``, ``_2``…, each of whole records and at most MAX_LINES lines; their names."""
    parts, part = [], []
    for block in records(lines):
        if part and len(part) + len(block) > MAX_LINES - 5:
            parts.append(part)
            part = []
        part += block
    parts.append(part)
    names = []
    for number, body in enumerate(parts, start=1):
        names.append(f"demo/{stem}_{number}.xml")
        write(ROOT / names[-1], body)
    return names


def main():
    for old in (ROOT / "demo").glob("*_demo_[0-9]*.xml"):
        old.unlink()
    names = write_parts("res_partner_demo", partner_records())
    orders, _refs = order_records()
    names += write_parts("sale_order_demo", orders)
    write(
        ROOT / "demo" / "tiering_demo.xml",
        [
            "    <!-- Grade every demo customer once their orders exist, and run the nightly job once: scores",
            "         (dormant customers and a growth spike raise warnings), tier follow-ups, reviews and the",
            "         team pool. -->",
            '    <function model="res.partner" name="_cron_tiering_regrade"/>',
            "    <!-- Lifecycle stages and anniversary greetings, as the nightly job does them. -->",
            '    <function model="res.partner" name="_cron_trade_profile"/>',
            "",
            "    <!-- A rep asks for a potential grade: it waits for the team's supervisor. -->",
            '    <record id="demo_grade_request_1" model="trade.grade.request">',
            '        <field name="partner_id" ref="demo_customer_22"/>',
            '        <field name="requester_id" ref="base.user_demo"/>',
            '        <field name="requested_star">3</field>',
            '        <field name="reason">Opening three new stores in East Africa next year; '
            "serve as a key account to win the flooring tender.</field>",
            '        <field name="review_date"'
            " eval=\"(DateTime.today() + relativedelta(months=6)).strftime('%Y-%m-%d')\"/>",
            "    </record>",
            '    <function model="trade.grade.request" name="action_submit" eval="[[ref(\'demo_grade_request_1\')]]"/>',
        ],
    )
    names.append("demo/tiering_demo.xml")
    print("The manifest's demo files, after res_users_demo.xml and res_currency_demo.xml:")
    print("\n".join(f'        "{name}",' for name in names))


if __name__ == "__main__":
    main()
