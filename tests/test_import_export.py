import base64
from datetime import date

import openpyxl

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from . import common
from .common import ApprovalCase, read_xlsx

HEADER = (
    "Customer Code",
    "Customer Name",
    "Country",
    "Tax ID",
    "Email",
    "Salesperson",
    "Star Grade",
    "Service Tier",
    "Customer Source",
    "Declared Annual Volume",
    "Founded On",
    "Tags",
    "Notes",
)


def xlsx(*rows, header=HEADER):
    """A customer file of ``rows`` under the template's header."""
    return common.xlsx(header, *rows)


GOOD_ROWS = (
    (
        "C001",
        "Gulf Pearl Trading LLC",
        "AE",
        "AE100200300",
        "buy@gulfstar.example.com",
        "tier_rep",
        4,
        "B",
        "Trade Show",
        "1,500,000",
        date(1998, 6, 15),
        "Middle East, Plywood",
        "Pays by L/C",
    ),
    ("C002", "Rheinhessen Holz GmbH", "Germany", "", "", "Olga Rep", 0, "", "Referral", "", "", "", ""),
    ("", "Sevilla Casa SL", "ES", "", "", "", "", "", "", "", "", "Sample", ""),
)


class ImportCase(ApprovalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A sales administrator who is also the general manager: grades in a sheet apply at once
        # only for the general manager (test_attack_import covers everyone else).
        cls.manager = cls._user(
            "tier_sales_admin", "sales_team.group_sale_manager,trade_crm_tiering.group_tiering_gm", "Mia Manager"
        )
        cls.partners = cls.env["res.partner"].with_context(active_test=False)

    def _wizard(self, data, filename="customers.xlsx", user=None):
        wizard = (
            self.env["trade.customer.import.wizard"]
            .with_user(user or self.manager)
            .create({"file": base64.b64encode(data), "filename": filename})
        )
        wizard.action_preview()
        return wizard

    def _import(self, data, filename="customers.xlsx"):
        wizard = self._wizard(data, filename)
        self.assertEqual(wizard.error_count, 0, wizard.line_ids.mapped("problems"))
        wizard.action_import()
        return wizard

    def _named(self, name):
        return self.partners.search([("name", "=", name)])

    def _import_history(self, partner):
        return self.env["trade.grade.history"].search([("partner_id", "=", partner.id), ("source", "=", "import")])


@tagged("post_install", "-at_install")
class TestCustomerImport(ImportCase):
    def test_a_clean_file_creates_customers_all_at_once(self):
        wizard = self._wizard(xlsx(*GOOD_ROWS))
        self.assertEqual((wizard.create_count, wizard.update_count, wizard.error_count), (3, 0, 0))
        self.assertEqual(wizard.line_ids.mapped("action"), ["create"] * 3, "a small file lists every row")
        self.assertFalse(self._named("Gulf Pearl Trading LLC"), "the preview writes nothing")
        wizard.action_import()
        self.assertEqual(wizard.state, "done")
        gulf = self._named("Gulf Pearl Trading LLC")
        self.assertEqual(
            (gulf.ref, gulf.country_id.code, gulf.vat, gulf.email, gulf.user_id),
            ("C001", "AE", "AE100200300", "buy@gulfstar.example.com", self.rep),
        )
        self.assertEqual(
            (gulf.trade_source, gulf.trade_declared_volume, gulf.trade_founded_on),
            ("trade_show", 1_500_000, date(1998, 6, 15)),
        )
        self.assertEqual(
            set(gulf.category_id.ids),
            {
                self.env.ref("trade_crm_tiering.partner_tag_region_middle_east").id,
                self.env.ref("trade_crm_tiering.partner_tag_product_plywood").id,
            },
        )
        self.assertIn("Pays by L/C", gulf.comment)
        self.assertTrue(gulf.is_company and gulf.customer_rank)
        self.assertEqual(
            (gulf.tiering_star_grade, gulf.tiering_star_grade_potential, gulf.tiering_service_tier_id.code),
            ("4", "4", "B"),
        )
        history = self._import_history(gulf)
        self.assertEqual((history.old_star, history.new_star, history.user_id), ("0", "4", self.manager))
        self.assertIn("customers.xlsx", history.reason)
        rhein = self._named("Rheinhessen Holz GmbH")
        self.assertEqual((rhein.country_id.code, rhein.user_id, rhein.tiering_star_grade), ("DE", self.other_rep, "0"))
        self.assertFalse(self._import_history(rhein), "0 stars is no move")

    def test_customers_created_in_bulk_are_those_create_makes(self):
        """The set-based insert leaves customers as res.partner.create does (#11.6)."""
        self._import(xlsx(*GOOD_ROWS))
        gulf = self._named("Gulf Pearl Trading LLC")
        twin = (
            self.env["res.partner"]
            .with_user(self.manager)
            .with_context(tracking_disable=True, mail_create_nolog=True)
            .create(
                {
                    "name": "Gulf Pearl Twin LLC",
                    "is_company": True,
                    "customer_rank": 1,
                    "email": "buy@gulfstar.example.com",
                    "user_id": self.rep.id,
                    "country_id": self.env.ref("base.ae").id,
                }
            )
        )
        self.assertEqual((gulf.commercial_partner_id, gulf.complete_name), (gulf, "Gulf Pearl Trading LLC"))
        self.assertEqual((gulf.create_uid, gulf.write_uid), (self.manager, self.manager))
        for name in (
            "email_normalized",
            "partner_share",
            "lang",
            "active",
            "type",
            "team_id",
            "autopost_bills",
            "property_account_receivable_id",
            "property_product_pricelist",
            "commercial_company_name",
        ):
            expected = twin[name] if name != "commercial_company_name" else "Gulf Pearl Trading LLC"
            self.assertEqual(gulf[name], expected, name)
        sevilla = self._named("Sevilla Casa SL")  # no grade: nothing to log
        self.assertFalse(sevilla.message_ids, "no created message nor tracking per imported customer")
        self.assertFalse(sevilla.message_follower_ids)
        self.assertEqual(sevilla.category_id, self.env.ref("trade_crm_tiering.partner_tag_stage_sample"))

    def test_each_kind_of_bad_row_is_named_and_nothing_is_written(self):
        before = self.partners.search_count([])
        bad = (
            ("C010", "", "AE", "", "", "", "", "", "", "", "", "", ""),
            ("C011", "Unknown Rep Co", "AE", "", "", "nobody", "", "", "", "", "", "", ""),
            ("C012", "Atlantis Traders", "Atlantis", "", "", "", "", "", "", "", "", "", ""),
            ("C013", "Numberless Ltd", "AE", "", "", "", "", "", "", "lots", "", "", ""),
            ("C014", "Six Stars Inc", "AE", "", "", "", 6, "", "", "", "", "", ""),
            ("C001", "Copy of row 2", "AE", "", "", "", "", "", "", "", "", "", ""),
            ("C016", "Bad Date Co", "AE", "", "not-an-email", "", "", "", "", "", "31/02/1999", "", ""),
            ("C017", "Wrong Tier Co", "AE", "", "", "", 1, "A", "Carrier pigeon", "", "", "Unicorns", ""),
        )
        wizard = self._wizard(xlsx(GOOD_ROWS[0], *bad))
        self.assertEqual((wizard.create_count, wizard.error_count), (1, 8))
        problems = {line.row: line.problems for line in wizard.line_ids if line.action == "error"}
        self.assertEqual(
            problems,
            {
                3: "Customer name missing.",
                4: "Salesperson: no user is called “nobody”.",
                5: "Unknown country “Atlantis”.",
                6: "Declared Annual Volume: “lots” is not a number.",
                7: "Star grade “6” is out of range: 0 to 5.",
                8: "Duplicate row: the same customer as row 2.",
                9: "“not-an-email” is not an email address.\n"
                "Founded On: “31/02/1999” is not a date; write it as YYYY-MM-DD.",
                10: "Customer Source: “Carrier pigeon” is not one of the choices.\nUnknown tag “Unicorns”.\n"
                "Service tier “A” does not serve this star grade.",
            },
        )
        with self.assertRaisesRegex(UserError, "8 rows have problems"):
            wizard.action_import()
        self.assertEqual(self.partners.search_count([]), before)

    def test_reimporting_the_same_file_changes_nothing(self):
        data = xlsx(*GOOD_ROWS)
        self._import(data)
        gulf = self._named("Gulf Pearl Trading LLC")
        count, history, written = self.partners.search_count([]), len(self._import_history(gulf)), gulf.write_date
        wizard = self._wizard(data)
        self.assertEqual((wizard.create_count, wizard.update_count, wizard.unchanged_count), (0, 0, 3))
        wizard.action_import()
        self.assertEqual(self.partners.search_count([]), count)
        self.assertEqual(len(self._import_history(gulf)), history)
        self.assertEqual(gulf.write_date, written)

    def test_matching_updates_rather_than_duplicates(self):
        by_ref = self._customer("Old Name Ltd", ref="C001")
        by_vat = self._customer("Rhein Holz", vat="DE 811 222 333", country_id=self.env.ref("base.de").id)
        by_name = self._customer("Sevilla Casa SL", country_id=self.env.ref("base.es").id)
        rows = (
            GOOD_ROWS[0],
            ("", "Rheinhessen Holz GmbH", "DE", "DE811222333", "", "", "", "", "", "", "", "", ""),
            GOOD_ROWS[2],
        )
        wizard = self._wizard(xlsx(*rows))
        self.assertEqual((wizard.create_count, wizard.update_count), (0, 3))
        changes = {line.partner_id: line.changes for line in wizard.line_ids}
        self.assertEqual(changes[by_vat], "Customer Name")
        self.assertEqual(changes[by_name], "Tags")
        wizard.action_import()
        self.assertEqual((by_ref.name, by_ref.tiering_star_grade), ("Gulf Pearl Trading LLC", "4"))
        self.assertEqual(by_vat.name, "Rheinhessen Holz GmbH")
        self.assertEqual(by_name.category_id, self.env.ref("trade_crm_tiering.partner_tag_stage_sample"))

    def test_a_changed_cell_updates_that_value_only(self):
        self._import(xlsx(*GOOD_ROWS))
        gulf = self._named("Gulf Pearl Trading LLC")
        changed = list(GOOD_ROWS[0])
        changed[4], changed[6], changed[7] = "new@gulfstar.example.com", 5, "A"
        wizard = self._wizard(xlsx(changed, *GOOD_ROWS[1:]))
        self.assertEqual((wizard.update_count, wizard.unchanged_count), (1, 2))
        self.assertEqual(wizard.line_ids.filtered(lambda line: line.action == "update").changes, "Email, Star Grade")
        wizard.action_import()
        self.assertEqual(
            (gulf.email, gulf.tiering_star_grade, gulf.trade_source), ("new@gulfstar.example.com", "5", "trade_show")
        )
        self.assertEqual(self._import_history(gulf).mapped("new_star"), ["5", "4"])

    def test_rows_changed_alike_are_updated_together_each_with_its_values(self):
        self._import(xlsx(*GOOD_ROWS))
        gulf, rhein, sevilla = (self._named(row[1]) for row in GOOD_ROWS)
        rows = [list(row) for row in GOOD_ROWS]
        # Gulf and Rheinhessen change alike (source and a tag added); Sevilla gets a source of its own.
        rows[0][8], rows[0][11] = "Outbound", "Middle East, Plywood, Sample"
        rows[1][8], rows[1][11] = "Outbound", "Sample"
        rows[2][8] = "Referral"
        wizard = self._wizard(xlsx(*rows))
        self.assertEqual((wizard.update_count, wizard.unchanged_count), (3, 0))
        wizard.action_import()
        sample = self.env.ref("trade_crm_tiering.partner_tag_stage_sample")
        self.assertEqual(
            [(partner.trade_source, sample in partner.category_id) for partner in (gulf, rhein, sevilla)],
            [("outbound", True), ("outbound", True), ("referral", True)],
        )
        self.assertEqual(len(gulf.category_id), 3)
        self.assertEqual(rhein.category_id, sample)

    def test_unreadable_files_are_refused_by_name(self):
        wizard = (
            self.env["trade.customer.import.wizard"]
            .with_user(self.manager)
            .create({"file": base64.b64encode(b"name;country\nGulf;AE"), "filename": "customers.csv"})
        )
        with self.assertRaisesRegex(UserError, "cannot be read as an Excel workbook"):
            wizard.action_preview()
        wizard.file = base64.b64encode(xlsx(("AE",), header=("Country",)))
        with self.assertRaisesRegex(UserError, "no “Customer Name” column"):
            wizard.action_preview()

    def test_only_sales_administrators_import(self):
        with self.assertRaises(AccessError):
            self._wizard(xlsx(*GOOD_ROWS), user=self.supervisor)


@tagged("post_install", "-at_install")
class TestImportTemplate(ImportCase):
    def _template(self, lang="en_US"):
        wizard = self.env["trade.customer.import.wizard"].with_user(self.manager).with_context(lang=lang).create({})
        action = wizard.action_download_template()
        self.assertIn("field=template_file", action["url"])
        return read_xlsx(base64.b64decode(wizard.template_file))

    def test_template_columns_drop_downs_and_instructions(self):
        book = self._template()
        self.assertEqual(book.sheetnames, ["Customers", "Instructions", "Lists"])
        header = [cell.value for cell in book["Customers"][1]]
        self.assertEqual(header[:3], ["Customer Code", "Customer Name", "Country"])
        for label in ("Star Grade", "Service Tier", "Customer Source", "Credit Rating", "Salesperson", "Tags"):
            self.assertIn(label, header)
        lists = book["Lists"]
        validated = {
            header[
                openpyxl.utils.cell.column_index_from_string(str(rule.sqref).split(":")[0].rstrip("0123456789")) - 1
            ]: rule.formula1
            for rule in book["Customers"].data_validations.dataValidation
        }
        for label in ("Star Grade", "Service Tier", "Customer Source", "Credit Rating"):
            self.assertIn(label, validated)

        def values(label):
            column = validated[label].split("!")[1].split(":")[0].replace("$", "").rstrip("0123456789")
            return [
                row[0]
                for row in lists.iter_rows(
                    min_col=openpyxl.utils.cell.column_index_from_string(column),
                    max_col=openpyxl.utils.cell.column_index_from_string(column),
                    values_only=True,
                )
                if row[0] is not None
            ]

        self.assertEqual(values("Star Grade"), ["0", "1", "2", "3", "4", "5"])
        self.assertEqual(values("Service Tier"), ["A", "B", "C", "D"])
        self.assertEqual(values("Credit Rating"), ["AAA", "AA", "A", "BBB", "BB", "B", "C"])
        self.assertIn("Trade Show", values("Customer Source"))
        instructions = [row[0] for row in book["Instructions"].iter_rows(values_only=True)]
        self.assertIn("Customer Name", instructions)

    def test_template_in_the_users_language_imports(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["trade_crm_tiering"], ["zh_CN"], overwrite=True)
        book = self._template("zh_CN")
        self.assertEqual(book.sheetnames[:2], ["客户", "填写说明"])
        header = [cell.value for cell in book["客户"][1]]
        self.assertEqual(header[:3], ["客户编码", "客户名称", "国家"])
        row = {"客户名称": "Gulf Star", "国家": "AE", "客户来源": "展会", "客户星级": "3"}
        data = xlsx([row.get(label) for label in header], header=header)
        wizard = (
            self.env["trade.customer.import.wizard"]
            .with_user(self.manager)
            .with_context(lang="zh_CN")
            .create({"file": base64.b64encode(data), "filename": "客户.xlsx"})
        )
        wizard.action_preview()
        self.assertEqual((wizard.create_count, wizard.error_count), (1, 0))
        wizard.action_import()
        gulf = self._named("Gulf Star")
        self.assertEqual((gulf.trade_source, gulf.tiering_star_grade), ("trade_show", "3"))


@tagged("post_install", "-at_install")
class TestClassificationExport(ImportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.tiering_auto_upgrade = "apply"
        middle_east = cls.env.ref("trade_crm_tiering.partner_tag_region_middle_east")
        cls.vip = cls._customer(
            "Gulf Star LLC",
            ref="C001",
            user_id=cls.rep.id,
            country_id=cls.env.ref("base.ae").id,
            email="buy@gulfstar.example.com",
            trade_credit_rating="AA",
            comment="<p>Pays by L/C</p>",
            category_id=[(6, 0, middle_east.ids)],
        )
        cls.env["res.partner"].create({"name": "Omar Khalid", "parent_id": cls.vip.id})
        cls._order(cls.vip, 2_500_000, days_ago=400)
        cls._order(cls.vip, 2_100_000)
        cls.key = cls._customer("Valencia Cocinas SL", user_id=cls.other_rep.id, country_id=cls.env.ref("base.es").id)
        cls._order(cls.key, 400_000)
        cls.env["res.partner"].action_tiering_regrade()
        cls.scope = cls.vip | cls.key | cls.customer

    def _export(self, user=None):
        # A supervisor exports every customer; a rep only those they serve (see test_attack_access).
        action = self.scope.with_user(user or self.supervisor).action_trade_export_classification()
        wizard = self.env["trade.customer.export.wizard"].search([], order="id desc", limit=1)
        self.assertIn(f"id={wizard.id}&field=file", action["url"])
        return base64.b64decode(wizard.file)

    def test_columns_rows_and_totals_match_the_data(self):
        book = read_xlsx(self._export())
        self.assertEqual(book.sheetnames, ["Classification", "Summary"])
        sheet = book["Classification"]
        rows = list(sheet.iter_rows(values_only=True))
        scores = ["Customer Score", "Current Value", "Potential Value", "Customer Health"]
        self.assertEqual(
            list(rows[0]),
            [
                "Customer Code",
                "Customer Name",
                "Main Contact",
                "Country",
                "Market Region",
                "Industry",
                "Email",
                "Phone",
                "Website",
                "Years of Cooperation",
                "Annual Purchase Amount",
                "Star Grade",
                "Service Tier",
                *scores,
                "Credit Rating",
                "Salesperson",
                "Notes",
            ],
        )
        self.assertEqual(sheet.freeze_panes, "A2")
        self.assertEqual(sheet.auto_filter.ref, f"A1:{openpyxl.utils.get_column_letter(len(rows[0]))}4")
        by_name = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
        self.assertEqual([row[1] for row in rows[1:]], ["Gulf Star LLC", "Valencia Cocinas SL", "Hamburg Holz AG"])
        gulf = by_name["Gulf Star LLC"]
        self.assertEqual(
            (gulf["Customer Code"], gulf["Main Contact"], gulf["Country"], gulf["Market Region"]),
            ("C001", "Omar Khalid", "United Arab Emirates", "Middle East"),
        )
        self.assertEqual(
            (gulf["Star Grade"], gulf["Service Tier"], gulf["Annual Purchase Amount"]), (5, "A Core", 2_100_000)
        )
        self.assertEqual((gulf["Credit Rating"], gulf["Salesperson"], gulf["Notes"]), ("AA", "Ravi Rep", "Pays by L/C"))
        self.assertEqual(gulf["Years of Cooperation"], 1.1)
        tints = {rule.formula[0] for ranges in sheet.conditional_formatting for rule in ranges.rules}
        self.assertIn('$M2="A Core"', tints)
        summary = list(book["Summary"].iter_rows(values_only=True))
        grades = {row[0]: row[1:4] for row in summary[3:9]}
        self.assertEqual(grades["5 stars"], (1, 1 / 3, 2_100_000))
        self.assertEqual(grades["3 stars"], (1, 1 / 3, 400_000))
        self.assertEqual(grades["2 stars"], (1, 1 / 3, 60_000))
        self.assertEqual(summary[9][:4], ("Total", 3, 1, 2_560_000))

    def test_an_exported_file_imports_back_unchanged(self):
        wizard = self._wizard(self._export(), "classification.xlsx")
        self.assertEqual(wizard.error_count, 0, wizard.line_ids.mapped("problems"))
        self.assertEqual((wizard.create_count, wizard.update_count, wizard.unchanged_count), (0, 0, 3))
        self.assertFalse(wizard.ignored_columns)

    def test_export_from_the_reporting_menu_with_a_filter(self):
        wizard = Form(self.env["trade.customer.export.wizard"].with_user(self.rep))
        wizard.domain = f"[('id', 'in', {self.scope.ids}), ('user_id', '=', {self.rep.id})]"
        record = wizard.save()
        record.action_export()
        book = read_xlsx(base64.b64decode(record.file))
        names = [row[1] for row in book["Classification"].iter_rows(min_row=2, values_only=True)]
        self.assertEqual(names, ["Gulf Star LLC", "Hamburg Holz AG"])

    def test_portal_users_cannot_export(self):
        outsider = new_test_user(self.env, login="portal_exporter", groups="base.group_portal")
        with self.assertRaises(AccessError):
            self.env["trade.customer.export.wizard"].with_user(outsider).create({})
