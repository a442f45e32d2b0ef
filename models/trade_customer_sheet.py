from psycopg2.extras import Json as PsycopgJson

from odoo import Command, api, models
from odoo.tools import SQL, clean_context, html2plaintext, plaintext2html

from ..trade_crm_tiering import importing, policy, tiering_day
from ..trade_crm_tiering.importing import add_name

# Spreadsheet column -> res.partner field, for the columns an import writes.
PARTNER_FIELDS = {
    "ref": "ref",
    "name": "name",
    "country": "country_id",
    "vat": "vat",
    "industry": "industry_id",
    "email": "email",
    "phone": "phone",
    "website": "website",
    "street": "street",
    "city": "city",
    "salesperson": "user_id",
    "backup": "tiering_backup_user_id",
    "source": "trade_source",
    "size_band": "trade_size_band",
    "main_products": "trade_main_products",
    "declared_volume": "trade_declared_volume",
    "target_price": "trade_target_price",
    "credit_rating": "trade_credit_rating",
    "credit_rated_on": "trade_credit_rated_on",
    "founded_on": "trade_founded_on",
    "preferred_channel": "trade_preferred_channel",
    "tags": "category_id",
    "notes": "comment",
}
# Columns read as one of a selection field's values.
CHOICE_FIELDS = {
    "source": "trade_source",
    "size_band": "trade_size_band",
    "credit_rating": "trade_credit_rating",
    "preferred_channel": "trade_preferred_channel",
}
# Rows of one INSERT of new customers (a statement of a few megabytes).
INSERT_BATCH = 5000
# Scores the customer scoring adds to customers; exported where present.
SCORE_FIELDS = ("tiering_score", "tiering_score_current", "tiering_score_potential", "tiering_health_score")


class TradeCustomerSheet(models.AbstractModel):
    """The columns of customer spreadsheets (import template, classification export) and what
    an import needs from the database: names a sheet may use, stored customers, stored values."""

    _name = "trade.customer.sheet"
    _description = "Customer Spreadsheet"

    @api.model
    def _labels(self):
        """``{column key: label}`` in the environment's language."""
        return {
            "ref": self.env._("Customer Code"),
            "name": self.env._("Customer Name"),
            "main_contact": self.env._("Main Contact"),
            "country": self.env._("Country"),
            "region_tags": self.env._("Market Region"),
            "vat": self.env._("Tax ID"),
            "industry": self.env._("Industry"),
            "email": self.env._("Email"),
            "phone": self.env._("Phone"),
            "website": self.env._("Website"),
            "street": self.env._("Street"),
            "city": self.env._("City"),
            "years": self.env._("Years of Cooperation"),
            "annual_amount": self.env._("Annual Purchase Amount"),
            "grade": self.env._("Star Grade"),
            "tier": self.env._("Service Tier"),
            "score": self.env._("Score"),
            "credit_rating": self.env._("Credit Rating"),
            "credit_rated_on": self.env._("Credit Rated On"),
            "salesperson": self.env._("Salesperson"),
            "backup": self.env._("Backup Salesperson"),
            "source": self.env._("Customer Source"),
            "size_band": self.env._("Company Size Band"),
            "main_products": self.env._("Main Products Bought"),
            "declared_volume": self.env._("Declared Annual Volume"),
            "target_price": self.env._("Target Price"),
            "founded_on": self.env._("Founded On"),
            "preferred_channel": self.env._("Preferred Channel"),
            "tags": self.env._("Tags"),
            "notes": self.env._("Notes"),
        }

    @api.model
    def _languages(self):
        return sorted(
            {"en_US", self.env.lang or "en_US", *(code for code, _name in self.env["res.lang"].get_installed())}
        )

    @api.model
    def _header_map(self):
        """``{normalised label: column key}``: a sheet's headers may be in any installed language."""
        headers = {}
        for lang in self._languages():
            sheet = self.with_context(lang=lang)
            for key, label in sheet._labels().items():
                headers.setdefault(importing.norm(label), key)
            partners = self.env["res.partner"].with_context(lang=lang)
            for name in self._score_fields():
                headers.setdefault(importing.norm(partners._fields[name]._description_string(partners.env)), "score")
        return headers

    @api.model
    def _score_fields(self):
        return list(SCORE_FIELDS)

    @api.model
    def _choices(self, key, lang=None):
        """``[(value, label)]`` of a choice column, labels in ``lang``."""
        partners = self.env["res.partner"].with_context(lang=lang or self.env.lang)
        return partners._fields[CHOICE_FIELDS[key]]._description_selection(partners.env)

    # ------------------------------------------------------------------
    # What an import looks up
    # ------------------------------------------------------------------

    @api.model
    def _lookups(self, company):
        """The names each column may use, in every installed language (see importing.Lookups)."""
        lookups = importing.Lookups()
        for user in self.env["res.users"].search([("share", "=", False)]):
            for name in (user.login, user.name, user.email):
                add_name(lookups.users, name, user.id)
        tiers = self.env["trade.service.tier"].search([("company_id", "=", company.id)])
        for lang in self._languages():
            sheet = self.with_context(lang=lang, active_test=False)
            sheet._index_names(
                lookups.countries, sheet.env["res.country"].search_fetch([], ["code", "name"]), ("code", "name")
            )
            industries = sheet.env["res.partner.industry"].search_fetch([], ["name", "full_name"])
            sheet._index_names(lookups.industries, industries, ("name", "full_name"))
            tags = (
                sheet.env["res.partner.category"].with_context(active_test=True).search_fetch([], ["name", "parent_id"])
            )
            sheet._index_names(lookups.tags, tags, ("name", "display_name"))
            for tier in tiers.with_env(sheet.env):
                for name in (tier.code, tier.name, tier.display_name):
                    lookups.tiers.setdefault(
                        importing.norm(name), importing.Tier(tier.id, tier.min_star, tier.max_star)
                    )
            for key in CHOICE_FIELDS:
                index = lookups.choices.setdefault(key, {})
                for value, label in sheet._choices(key, lang):
                    index.setdefault(importing.norm(value), value)
                    index.setdefault(importing.norm(label), value)
        return lookups

    def _index_names(self, index, records, names):
        for record in records:
            for name in names:
                add_name(index, record[name], record.id)

    @api.model
    def _existing(self, company):
        """Stored customers by reference, tax id, and name and country, archived ones included.

        One query over the company's commercial partners: reading them through the ORM would
        cost seconds per ten thousand. Imports are run by sales administrators, who see them all.
        """
        self.env["res.partner"].flush_model(["ref", "vat", "name", "country_id", "company_id", "commercial_partner_id"])
        rows = self.env.execute_query(
            SQL(
                """SELECT id, ref, vat, name, country_id FROM res_partner
                    WHERE id = commercial_partner_id AND (company_id IS NULL OR company_id = %s)""",
                company.id,
            )
        )
        existing = importing.Existing()
        for partner_id, ref, vat, name, country_id in rows:
            if ref:
                add_name(existing.refs, ref, partner_id)
            if vat:
                key = importing.norm_vat(vat)
                existing.vats[key] = (
                    partner_id if existing.vats.get(key, partner_id) == partner_id else importing.AMBIGUOUS
                )
            if name:
                key = (importing.norm(name), country_id)
                existing.names[key] = (
                    partner_id if existing.names.get(key, partner_id) == partner_id else importing.AMBIGUOUS
                )
        return existing

    @api.model
    def _current(self, company, partner_ids):
        """``{partner id: {column key: stored value}}``, comparable with the resolved cells."""
        if not partner_ids:
            return {}
        partners = self.env["res.partner"].with_company(company).with_context(active_test=False).browse(partner_ids)
        records = partners.read(list(PARTNER_FIELDS.values()), load=None)
        today = tiering_day.today()
        states = self.env["trade.tiering.engine"]._read_states(company, partner_ids, today)
        current = {}
        for record in records:
            values = {key: record[fname] for key, fname in PARTNER_FIELDS.items()}
            values["tags"] = set(record["category_id"])
            values["notes"] = self._plain_notes(record["comment"])
            values["grade"] = states[record["id"]].grade if record["id"] in states else policy.GradeState()
            current[record["id"]] = values
        return current

    # ------------------------------------------------------------------
    # Cells as Odoo stores them
    # ------------------------------------------------------------------

    @api.model
    def _plain_notes(self, html):
        return " ".join(html2plaintext(html).split()) if html else False

    @api.model
    def _normalise(self, plans):
        """Read website and notes cells as they will be stored, so a re-import compares equal."""
        partners = self.env["res.partner"]
        for plan in plans:
            values = plan.values
            if values.get("website"):
                values["website"] = partners._clean_website(values["website"])
            if values.get("notes"):
                values["notes"] = self._plain_notes(plaintext2html(values["notes"]))

    @api.model
    def _partner_values(self, plan):
        """res.partner values writing ``plan.changes`` (grades left out: the engine stores them)."""
        values = {}
        for key, value in plan.changes.items():
            if key == "grade":
                continue
            if key == "tags":
                values["category_id"] = [Command.link(tag_id) for tag_id in value]
            elif key == "notes":
                # The cell as typed, line breaks kept; compared without them (see _normalise).
                values["comment"] = plaintext2html(plan.raw["notes"])
            else:
                values[PARTNER_FIELDS[key]] = value
        return values

    # ------------------------------------------------------------------
    # Creating customers in bulk
    # ------------------------------------------------------------------

    @api.model
    def _create_customers(self, vals_list):
        """Create company customers from ``vals_list``, as ``res.partner.create`` would, set-based.

        ``create`` costs 2 to 3 ms per partner in Python (defaults, a pass over every field to
        fill the cache, conversions), too much for 50,000 rows in a web request. Here the
        defaults are read once, the rows go in with one INSERT per batch, tags with one INSERT,
        and the ORM then computes the stored computed fields for all of them at once and checks
        constraints and access, as after its own insert. This is only for what imports create:
        companies without parent, contacts or images, with no chatter message or follower
        (``res.partner.create`` has nothing else to do for them).
        """
        partners = self.env["res.partner"].with_context(clean_context(self.env.context))
        partners.check_access("create")
        for vals in vals_list:
            if not vals.get("is_company") or vals.get("parent_id"):
                raise ValueError("_create_customers creates companies without parent only")
            # The same guard as create: a sheet never writes the grading or lifecycle fields.
            partners._tiering_check_grade_write(vals)
        # Defaults once: they are the same for every row (context defaults left out above).
        defaults = partners.default_get([name for name, field in partners._fields.items() if field.store])
        columns = self._insert_columns(partners, defaults, vals_list)
        ids = []
        for start in range(0, len(vals_list), INSERT_BATCH):
            ids.extend(self._insert_customer_rows(partners, columns, vals_list[start : start + INSERT_BATCH]))
        records = partners.browse(ids)
        # A company without parent is its own commercial partner: set here, as one UPDATE, since
        # the ORM computes this recursive field one record at a time.
        self.env.execute_query(SQL("UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)", records.ids))
        self._link_tags(records, vals_list)
        # What the ORM does after its INSERT: compute the stored computed fields not given
        # (complete name, normalised email and phone...), and whatever depends on the new
        # records, keeping the computed fields a row gives.
        given = [
            *self._given_computed(partners, records, vals_list),
            ([partners._fields["commercial_partner_id"]], records),
        ]
        # No image: known empty, as create leaves them in cache, and not computed (each would
        # look up its attachment, one query per customer).
        images = [
            field
            for field in partners._fields.values()
            if field.type == "binary" and field.store and not any(field.name in vals for vals in vals_list)
        ]
        for field in images:
            self.env.cache.update(records, field, [field.convert_to_cache(None, records)] * len(records))
        given.append(([field for field in images if field.compute], records))
        with self.env.protecting(given):
            records.modified(list(partners._fields), create=True)
        # Computed now, in this context: computed later, at a flush from another environment,
        # mail.thread would track the computed fields and post a message per customer.
        records.with_context(tracking_disable=True)._recompute_recordset()
        records._validate_fields(set(defaults).union(*vals_list))
        records.check_access("create")
        return records

    @api.model
    def _insert_columns(self, partners, defaults, vals_list):
        """``{column: (field, default as an SQL parameter)}`` of the INSERT.

        The defaults are converted once: a company-dependent field's conversion looks up its
        fallback (ir.default) each time, the better part of a millisecond.
        """
        names = {name for vals in vals_list for name in vals} | set(defaults)
        fallbacks = self.env["ir.default"]._get_model_defaults("res.partner")
        columns = {}
        for name in sorted(names):
            field = partners._fields[name]
            if not (field.store and field.column_type):
                continue
            default = field.convert_to_column_insert(defaults[name], partners, defaults) if name in defaults else None
            fallback = field.convert_to_column(fallbacks.get(name), partners) if field.company_dependent else None
            columns[name] = (field, default, fallback)
        return columns

    @api.model
    def _insert_customer_rows(self, partners, columns, vals_list):
        cid = self.env.company.id
        arrays = []
        for name, (field, default, fallback) in columns.items():
            values = []
            for vals in vals_list:
                if name not in vals:
                    values.append(default)
                    continue
                value = field.convert_to_column(vals[name], partners, vals)
                if field.company_dependent:
                    # As convert_to_column_insert: nothing stored where the value is the fallback.
                    value = None if value == fallback else PsycopgJson({cid: value})
                elif field.type == "monetary" or field.translate:
                    value = field.convert_to_column_insert(vals[name], partners, vals)
                values.append(value)
            arrays.append(SQL("%s::%s[]", values, SQL(field.column_type[1])))
        now, uid = self.env.cr.now(), self.env.uid
        names = list(columns)
        for name, value, kind in (
            ("create_uid", uid, "int4"),
            ("write_uid", uid, "int4"),
            ("create_date", now, "timestamp"),
            ("write_date", now, "timestamp"),
        ):
            names.append(name)
            arrays.append(SQL("%s::%s[]", [value] * len(vals_list), SQL(kind)))
        return [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    "INSERT INTO res_partner (%s) SELECT * FROM unnest(%s) RETURNING id",
                    SQL(", ").join(SQL.identifier(name) for name in names),
                    SQL(", ").join(arrays),
                )
            )
        ]

    @api.model
    def _link_tags(self, records, rows):
        pairs = [
            (record_id, command[1])
            for record_id, vals in zip(records.ids, rows, strict=True)
            for command in vals.get("category_id") or ()
            if command[0] == Command.LINK
        ]
        if pairs:
            self.env.execute_query(
                SQL(
                    """INSERT INTO res_partner_res_partner_category_rel (partner_id, category_id)
                       SELECT * FROM unnest(%s::int4[], %s::int4[]) ON CONFLICT DO NOTHING""",
                    [pair[0] for pair in pairs],
                    [pair[1] for pair in pairs],
                )
            )
            records.invalidate_recordset(["category_id"])
            self.env["res.partner.category"].invalidate_model(["partner_ids"])

    @api.model
    def _given_computed(self, partners, records, rows):
        """``[(fields, records)]``: the computed fields each row gives, kept from recomputation."""
        groups = {}
        for record_id, vals in zip(records.ids, rows, strict=True):
            key = frozenset(
                protected
                for name in vals
                if (field := partners._fields[name]).compute
                and field.store
                and (not field.readonly or field.precompute)
                for protected in partners.pool.field_computed.get(field, [field])
            )
            if key:
                groups.setdefault(key, []).append(record_id)
        return [(fields_, partners.browse(ids)) for fields_, ids in groups.items()]
