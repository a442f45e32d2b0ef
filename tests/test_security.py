from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .common import REP_GROUPS, ApprovalCase

GRADE_FIELDS = {
    "tiering_star_grade": "5",
    "tiering_star_grade_actual": "5",
    "tiering_star_grade_potential": "5",
    "tiering_annual_amount": 9_999_999.0,
}


@tagged("post_install", "-at_install")
class TestGradeAccess(ApprovalCase):
    def test_nobody_writes_grades_directly(self):
        for user in (self.rep, self.supervisor, self.gm):
            for name, value in GRADE_FIELDS.items():
                with self.assertRaises(AccessError, msg=f"{user.login} wrote {name}"):
                    self.customer.with_user(user).write({name: value})
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.rep).create({"name": "Sneaky", "tiering_star_grade": "5"})
        self.assertEqual(self.customer.tiering_star_grade, "2")

    def test_reps_read_grades(self):
        customer = self.customer.with_user(self.rep)
        self.assertEqual((customer.tiering_star_grade, customer.tiering_annual_amount), ("2", 60_000.0))
        self.assertTrue(self.env["trade.grade.history"].with_user(self.rep).search([("partner_id", "=", customer.id)]))

    def test_reps_see_only_their_own_requests(self):
        mine = self._request(self.rep, 3)
        self.customer.tiering_backup_user_id = self.other_rep  # reps ask for the customers they serve
        theirs = self._request(self.other_rep, 4)
        requests = self.env["trade.grade.request"]
        self.assertEqual(requests.with_user(self.rep).search([]), mine)
        self.assertEqual(requests.with_user(self.other_rep).search([]), theirs)
        with self.assertRaises(AccessError):
            theirs.with_user(self.rep).read(["reason"])
        self.assertEqual(requests.with_user(self.supervisor).search([]), mine | theirs)

    def test_requests_stay_in_their_company(self):
        other = self._make_company("Tiering Trading HK")
        foreign = self.env["trade.grade.request"].create(
            {"partner_id": self.customer.id, "requested_star": "3", "reason": "x", "company_id": other.id}
        )
        self.assertNotIn(foreign, self.env["trade.grade.request"].with_user(self.supervisor).search([]))

    def test_reps_cannot_regrade_through_history(self):
        with self.assertRaises(AccessError):
            self.env["trade.grade.history"].with_user(self.rep).create(
                {"partner_id": self.customer.id, "old_star": "2", "new_star": "5", "company_id": self.company.id}
            )
        with self.assertRaises(AccessError):
            self._history(self.customer).with_user(self.supervisor).write({"new_star": "5"})

    def test_sales_users_are_tiering_reps(self):
        user = new_test_user(self.env, login="plain_sales", groups=REP_GROUPS)
        self.assertTrue(user.has_group("trade_crm_tiering.group_tiering_user"))
        self.assertFalse(user.has_group("trade_crm_tiering.group_tiering_supervisor"))
        self.assertTrue(self.gm.has_group("trade_crm_tiering.group_tiering_supervisor"))


@tagged("post_install", "-at_install")
class TestGradeAccessOverRpc(HttpCase):
    """A rep's direct write of grade fields is refused over JSON-RPC and XML-RPC as well."""

    def setUp(self):
        super().setUp()
        self.rep = new_test_user(self.env, login="rpc_rep", password="rpc_rep_pwd", groups=REP_GROUPS)
        self.customer = self.env["res.partner"].create({"name": "RPC Customer", "is_company": True})

    def test_json_rpc_write_is_refused(self):
        self.authenticate("rpc_rep", "rpc_rep_pwd")
        for name, value in GRADE_FIELDS.items():
            with self.assertRaises(JsonRpcException) as caught:
                self.make_jsonrpc_request(
                    "/web/dataset/call_kw/res.partner/write",
                    {
                        "model": "res.partner",
                        "method": "write",
                        "args": [[self.customer.id], {name: value}],
                        "kwargs": {},
                    },
                )
            self.assertIn("AccessError", str(caught.exception))
        self.assertEqual(self.customer.tiering_star_grade, "0")
        # The rep may still write what is theirs to write.
        self.make_jsonrpc_request(
            "/web/dataset/call_kw/res.partner/write",
            {
                "model": "res.partner",
                "method": "write",
                "args": [[self.customer.id], {"phone": "+49 40 1234"}],
                "kwargs": {},
            },
        )
        self.assertEqual(self.customer.phone, "+49 40 1234")

    def test_xml_rpc_write_is_refused(self):
        uid = self.xmlrpc_common.authenticate(self.env.cr.dbname, "rpc_rep", "rpc_rep_pwd", {})
        with self.assertRaisesRegex(Exception, "cannot be edited"):
            self.xmlrpc_object.execute_kw(
                self.env.cr.dbname,
                uid,
                "rpc_rep_pwd",
                "res.partner",
                "write",
                [[self.customer.id], {"tiering_star_grade": "5"}],
            )
        self.assertEqual(self.customer.tiering_star_grade, "0")
