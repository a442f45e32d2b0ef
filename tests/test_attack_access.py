"""Who sees what (#12.11) and bad input to the portfolio endpoints (#12.13), attacked over RPC."""

import base64

from odoo import Command, http
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from .common import GM_GROUPS, REP_GROUPS, SUPERVISOR_GROUPS, call_kw, read_xlsx

FIGURES = {
    "tiering_annual_amount": 123_456.0,
    "tiering_margin_12m": 23_456.0,
    "tiering_score_current": 77,
    "tiering_score": 81,
    "tiering_value_class": "treasure",
    "tiering_potential_reason": "Opening a second warehouse",
}
MASKED = [
    "tiering_annual_amount",
    "tiering_margin_12m",
    "tiering_score_current",
    "tiering_score",
    "tiering_value_class",
]


@tagged("post_install", "-at_install")
class TestAttackAccess(HttpCase):
    """A rep of a team, a rep of another team, a supervisor and a portal user over JSON-RPC.

    ========  ==========================================  ==================
    customer  served by                                   ``rep`` serves it
    ========  ==========================================  ==================
    own       rep (salesperson)                           yes
    team      mate (salesperson), team Europe (rep's)     yes
    backed    other (salesperson), rep (backup)           yes
    foreign   other (salesperson), team Asia              no
    ========  ==========================================  ==================
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.other_company = cls.env["res.company"].create({"name": "Access Trading HK"})

        def user(login, groups):
            return new_test_user(
                cls.env, login=login, groups=groups, company_id=cls.company.id, company_ids=cls.company.ids
            )

        # Users with the right to export (base.group_allow_export), as a company would give it.
        exporting = ",base.group_allow_export"
        cls.rep = user("acc_rep", REP_GROUPS + exporting)
        cls.mate = user("acc_mate", REP_GROUPS)
        cls.other = user("acc_other", REP_GROUPS)
        cls.supervisor = user("acc_sup", SUPERVISOR_GROUPS + exporting)
        cls.gm = user("acc_gm", GM_GROUPS)
        cls.team = cls.env["crm.team"].create(
            {
                "name": "Access Europe",
                "user_id": cls.supervisor.id,
                "member_ids": [Command.set((cls.rep | cls.mate).ids)],
            }
        )
        cls.other_team = cls.env["crm.team"].create({"name": "Access Asia", "member_ids": [Command.set(cls.other.ids)]})
        partners = cls.env["res.partner"]

        def customer(name, **vals):
            return partners.create({"name": name, "is_company": True, "customer_rank": 1, **vals})

        cls.own = customer("Access Own", user_id=cls.rep.id, team_id=cls.team.id)
        cls.team_customer = customer("Access Team", user_id=cls.mate.id, team_id=cls.team.id)
        cls.backed = customer(
            "Access Backed", user_id=cls.other.id, tiering_backup_user_id=cls.rep.id, team_id=cls.other_team.id
        )
        cls.foreign = customer("Access Foreign", user_id=cls.other.id, team_id=cls.other_team.id)
        cls.customers = cls.own | cls.team_customer | cls.backed | cls.foreign
        # As the grading engine would: superuser writes of the company's figures.
        cls.customers.sudo().with_company(cls.company).write(FIGURES)
        cls.portal = new_test_user(cls.env, login="acc_portal", groups="base.group_portal")
        cls.portal.partner_id.sudo().write({"parent_id": cls.foreign.id})
        cls.portal.partner_id.sudo().with_company(cls.company).write(FIGURES)

    def _rpc(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def _refused(self, model, method, *args, error="AccessError", **kwargs):
        """Call over JSON-RPC, assert the call is refused and ``error`` is in the error's name or message."""
        data = call_kw(self, model, method, args, kwargs).get("error", {}).get("data")
        self.assertTrue(data, f"{model}.{method}{args} was not refused")
        self.assertIn(error, f"{data['name']}: {data['message']}")
        self.assertNotIn("Traceback", data["message"])
        return data

    # ------------------------------------------------------------------
    # Portal users read no grading field, not even their own
    # ------------------------------------------------------------------

    def test_portal_user_reads_no_grading_field(self):
        self.authenticate("acc_portal", "acc_portal")
        partner_id = self.portal.partner_id.id
        for name in [*FIGURES, "tiering_star_grade", "tiering_service_tier_id", "tiering_rfm_segment"]:
            self._refused("res.partner", "read", [partner_id], [name])
            self._refused("res.partner", "web_read", [partner_id], specification={name: {}})
            self._refused("res.partner", "search_read", [(name, "!=", False)], ["name"])
        # The fields offered to a portal user leave every grading field out.
        offered = self._rpc("res.partner", "fields_get", attributes=["type"])
        self.assertIn("name", offered)
        self.assertFalse(set(offered) & {*FIGURES, "tiering_star_grade", "tiering_served", "tiering_service_tier_id"})
        values = self._rpc("res.partner", "read", [partner_id], ["name", "email"])[0]
        self.assertEqual(values["name"], self.portal.partner_id.name)
        # The portal's own account page still works.
        response = self.url_open("/my/account")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.portal.partner_id.name, response.text)

    def test_every_tiering_partner_field_is_for_internal_users(self):
        """A field the add-on adds to res.partner later must be restricted as well."""
        public = {"team_id", "tiering_backup_user_id"}
        partner_fields = self.env["res.partner"]._fields.values()
        ours = [field for field in partner_fields if field._module == "trade_crm_tiering" and field.name not in public]
        self.assertGreater(len(ours), 60)
        internal_or_fewer = {"base.group_user", "trade_crm_tiering.group_tiering_supervisor"}
        self.assertEqual([field.name for field in ours if field.groups not in internal_or_fewer], [])

    # ------------------------------------------------------------------
    # Reps: figures of the customers they or their team serve only
    # ------------------------------------------------------------------

    def test_rep_reads_figures_of_served_customers_only(self):
        self.authenticate("acc_rep", "acc_rep")
        ids = self.customers.ids
        for rows in (
            self._rpc("res.partner", "read", ids, [*MASKED, "name", "tiering_star_grade"]),
            self._rpc("res.partner", "search_read", [("id", "in", ids)], [*MASKED, "name", "tiering_star_grade"]),
            self._rpc("res.partner", "web_read", ids, specification={name: {} for name in [*MASKED, "name"]}),
            self._rpc("res.partner", "web_search_read", [("id", "in", ids)], {name: {} for name in MASKED})["records"],
        ):
            by_id = {row["id"]: row for row in rows}
            for customer in self.own | self.team_customer | self.backed:
                self.assertEqual(by_id[customer.id]["tiering_annual_amount"], 123_456.0, customer.name)
                self.assertEqual(by_id[customer.id]["tiering_value_class"], "treasure", customer.name)
            self.assertEqual({name: by_id[self.foreign.id][name] for name in MASKED}, dict.fromkeys(MASKED, False))
        # What is not a figure stays readable.
        values = self._rpc("res.partner", "read", [self.foreign.id], ["name", "tiering_star_grade", "tiering_served"])[
            0
        ]
        self.assertEqual((values["name"], values["tiering_served"]), ("Access Foreign", False))

    def test_rep_cannot_find_figures_by_searching(self):
        self.authenticate("acc_rep", "acc_rep")
        ids = self.customers.ids
        served = sorted((self.own | self.team_customer | self.backed).ids)
        for condition in (
            ("tiering_annual_amount", "=", 123_456.0),
            ("tiering_annual_amount", ">", 100_000),
            ("tiering_score_current", ">=", 77),
            ("tiering_value_class", "=", "treasure"),
        ):
            found = self._rpc("res.partner", "search", [("id", "in", ids), condition])
            self.assertEqual(sorted(found), served, condition)
        # Whatever the operator, a condition on a figure never matches a customer the rep does not
        # serve: the answer tells nothing about its value.
        for domain in (
            [("tiering_annual_amount", "!=", 123_456.0)],
            ["!", ("tiering_annual_amount", "=", 123_456.0)],
            [("tiering_annual_amount", "<", 100_000)],
            [("tiering_annual_amount", "=", False)],
            ["!", ("tiering_value_class", "in", ["let_go"])],
        ):
            self.assertEqual(self._rpc("res.partner", "search", [("id", "=", self.foreign.id), *domain]), [], domain)
        # Sorting treats the foreign figure as empty; it does not fail.
        order = self._rpc("res.partner", "search", [("id", "in", ids)], order="tiering_annual_amount desc, id")
        self.assertEqual(sorted(order), sorted(ids))

    def test_rep_groups_and_sums_only_served_figures(self):
        self.authenticate("acc_rep", "acc_rep")
        groups = self._rpc(
            "res.partner",
            "read_group",
            [("id", "in", self.customers.ids)],
            ["tiering_annual_amount:sum", "tiering_score_current:max"],
            ["tiering_value_class"],
            lazy=False,
        )
        by_class = {group["tiering_value_class"]: group for group in groups}
        self.assertEqual(by_class["treasure"]["__count"], 3)
        self.assertEqual(by_class["treasure"]["tiering_annual_amount"], 3 * 123_456.0)
        self.assertEqual(by_class[False]["__count"], 1)
        self.assertFalse(by_class[False]["tiering_annual_amount"])
        total = self._rpc(
            "res.partner", "read_group", [("id", "in", self.customers.ids)], ["tiering_annual_amount:sum"], []
        )
        self.assertEqual(total[0]["tiering_annual_amount"], 3 * 123_456.0)

    def test_rep_export_leaves_foreign_figures_empty(self):
        self.authenticate("acc_rep", "acc_rep")
        ids = (self.own | self.foreign).ids
        rows = self._rpc(
            "res.partner", "export_data", ids, ["id", "name", "tiering_annual_amount", "tiering_value_class"]
        )["datas"]
        by_name = {row[1]: row for row in rows}
        self.assertEqual(by_name["Access Own"][2:], [123_456.0, "Treasure"])
        self.assertEqual(by_name["Access Foreign"][2:], ["", ""])
        # Through a relation: the foreign company's figures from its contact.
        rows = self._rpc(
            "res.partner", "export_data", [self.portal.partner_id.id], ["name", "parent_id/tiering_annual_amount"]
        )["datas"]
        self.assertEqual(rows[0][1], "")

    def test_supervisor_reads_sums_and_exports_every_figure(self):
        self.authenticate("acc_sup", "acc_sup")
        ids = self.customers.ids
        rows = self._rpc("res.partner", "search_read", [("id", "in", ids)], MASKED)
        self.assertEqual([row["tiering_annual_amount"] for row in rows], [123_456.0] * 4)
        found = self._rpc("res.partner", "search", [("id", "in", ids), ("tiering_score_current", "=", 77)])
        self.assertEqual(sorted(found), sorted(ids))
        total = self._rpc("res.partner", "read_group", [("id", "in", ids)], ["tiering_annual_amount:sum"], [])
        self.assertEqual(total[0]["tiering_annual_amount"], 4 * 123_456.0)
        rows = self._rpc("res.partner", "export_data", ids, ["name", "tiering_annual_amount"])["datas"]
        self.assertEqual([row[1] for row in rows], [123_456.0] * 4)

    # ------------------------------------------------------------------
    # Grade history, approval steps (with their feedback) and the pool log
    # ------------------------------------------------------------------

    def _trail(self, customer, company=None):
        company = company or self.company
        history = self.env["trade.grade.history"].create(
            {"partner_id": customer.id, "old_star": "2", "new_star": "3", "company_id": company.id}
        )
        request = self.env["trade.grade.request"].create(
            {"partner_id": customer.id, "requested_star": "4", "reason": "Trade show lead", "company_id": company.id}
        )
        step = self.env["trade.approval.step"].create(
            {
                "res_model": "trade.grade.request",
                "res_id": request.id,
                "role": "supervisor",
                "user_id": self.supervisor.id,
                "state": "rejected",
                "feedback": f"Margin of {customer.name} too thin",
            }
        )
        log = self.env["trade.pool.log"].create(
            {"partner_id": customer.id, "user_id": customer.user_id.id, "action": "release", "company_id": company.id}
        )
        return history, step, log

    def test_rep_reads_the_trail_of_served_customers_only(self):
        mine = self._trail(self.team_customer)
        theirs = self._trail(self.foreign)
        self.authenticate("acc_rep", "acc_rep")
        for record, foreign in zip(mine, theirs, strict=True):
            found = self._rpc(record._name, "search", [("id", "in", [record.id, foreign.id])])
            self.assertEqual(found, [record.id], record._name)
            self._refused(record._name, "read", [foreign.id], [])
        steps = self._rpc("trade.approval.step", "search_read", [], ["feedback"])
        self.assertNotIn("Margin of Access Foreign too thin", [step["feedback"] for step in steps])
        self.assertIn("Margin of Access Team too thin", [step["feedback"] for step in steps])
        groups = self._rpc("trade.grade.history", "read_group", [], ["partner_id"], ["partner_id"])
        self.assertNotIn(self.foreign.id, [group["partner_id"][0] for group in groups if group["partner_id"]])

    def test_supervisor_reads_every_trail_of_their_companies(self):
        mine = self._trail(self.foreign)
        elsewhere = self._trail(self.foreign, company=self.other_company)
        self.authenticate("acc_sup", "acc_sup")
        for record, foreign in zip(mine, elsewhere, strict=True):
            found = self._rpc(record._name, "search", [("id", "in", [record.id, foreign.id])])
            self.assertEqual(found, [record.id], record._name)
        step = self._rpc("trade.approval.step", "read", [mine[1].id], ["feedback", "company_id"])[0]
        self.assertEqual(step["feedback"], "Margin of Access Foreign too thin")
        self.assertEqual(step["company_id"][0], self.company.id)

    # ------------------------------------------------------------------
    # The classification export
    # ------------------------------------------------------------------

    def _classification(self, login):
        self.authenticate(login, login)
        wizard_id = self._rpc(
            "trade.customer.export.wizard", "create", {"domain": str([("id", "in", self.customers.ids)])}
        )
        self._rpc("trade.customer.export.wizard", "action_export", [wizard_id])
        content = self.env["trade.customer.export.wizard"].browse(wizard_id).file
        sheet = read_xlsx(base64.b64decode(content)).worksheets[0]
        return {row[1] for row in sheet.iter_rows(values_only=True)}

    def test_classification_export_lists_served_customers_for_reps(self):
        names = self._classification("acc_rep")
        self.assertTrue({"Access Own", "Access Team", "Access Backed"} <= names)
        self.assertNotIn("Access Foreign", names)
        self.assertIn("Access Foreign", self._classification("acc_sup"))

    def test_classification_export_refuses_a_broken_filter(self):
        self.authenticate("acc_rep", "acc_rep")
        wizard_id = self._rpc("trade.customer.export.wizard", "create", {"domain": "[('id', 'in'"})
        self._refused("trade.customer.export.wizard", "action_export", [wizard_id], error="not a valid domain")

    # ------------------------------------------------------------------
    # Bad input to the portfolio endpoints (#12.13)
    # ------------------------------------------------------------------

    def test_portfolio_xlsx_with_a_company_that_is_not_a_number(self):
        self.authenticate("acc_gm", "acc_gm")
        for company_id in ("abc", "1.5", "1; DROP TABLE res_partner"):
            response = self.url_open(
                "/trade_crm_tiering/portfolio/xlsx",
                data={"company_id": company_id, "csrf_token": http.Request.csrf_token(self)},
            )
            self.assertEqual(response.status_code, 400, company_id)
            self.assertIn("Unknown company", response.text)
        # Another's company is refused, the user's own one still exports.
        response = self.url_open(
            "/trade_crm_tiering/portfolio/xlsx",
            data={"company_id": self.other_company.id, "csrf_token": http.Request.csrf_token(self)},
        )
        self.assertEqual(response.status_code, 403)
        response = self.url_open(
            "/trade_crm_tiering/portfolio/xlsx",
            data={"company_id": self.company.id, "csrf_token": http.Request.csrf_token(self)},
        )
        self.assertEqual(response.status_code, 200)

    def test_dashboard_links_with_bad_parameters(self):
        self.authenticate("acc_sup", "acc_sup")
        for kind, params, message in (
            ("customer", {"partner_id": "abc"}, "partner_id is not a number"),
            ("customer", {}, "lacks its partner_id"),
            ("grade", {"star": "five"}, "star is not a number"),
            ("grade", {"star": 9}, "Unknown grade"),
            ("customers", {"partner_ids": "1,2"}, "must be a list"),
            ("customers", {"partner_ids": [1, "x"]}, "not a number"),
            ("migration", {"start_star": None, "end_star": 2}, "lacks its start_star"),
            ("rep", {"user_id": "bob"}, "user_id is not a number"),
            ("grade", ["star"], "must be a dictionary"),
        ):
            self._refused("trade.portfolio.dashboard", "action_open", kind, params, error=message)
        action = self._rpc("trade.portfolio.dashboard", "action_open", "customer", {"partner_id": str(self.own.id)})
        self.assertEqual(action["res_id"], self.own.id)


@tagged("post_install", "-at_install")
class TestAccessMaskingCost(TransactionCase):
    """Masking is set-based: reading, searching and exporting 4 or 60 customers costs as many queries."""

    def test_masking_costs_the_same_for_few_and_many_customers(self):
        rep = new_test_user(self.env, login="acc_cost_rep", groups=REP_GROUPS + ",base.group_allow_export")
        customers = self.env["res.partner"].create(
            [{"name": f"Cost {i}", "is_company": True, "user_id": rep.id if i % 2 else False} for i in range(60)]
        )
        customers.sudo().write(FIGURES)
        self.env.flush_all()

        def queries(records, call):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            call(records.with_user(rep))
            return self.env.cr.sql_log_count - before

        for call in (
            lambda records: records.read(MASKED),
            lambda records: records.search_read([("id", "in", records.ids)], MASKED),
            lambda records: records.export_data(["name", *MASKED]),
        ):
            queries(customers[:2], call)  # warm the caches (access rights, groups, rules)
            self.assertEqual(queries(customers[:4], call), queries(customers, call))
        rows = customers.with_user(rep).read(["tiering_annual_amount"])
        self.assertEqual(sum(1 for row in rows if row["tiering_annual_amount"]), 30)
