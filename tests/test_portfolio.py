from datetime import datetime, time, timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..trade_crm_tiering import portfolio
from .common import ApprovalCase

MONTH_DAYS = 365.25 / 12


class PortfolioCase(ApprovalCase):
    """Seven customers with known amounts (USD, grading basis: last 12 months).

    ========  =========  ==================================  =======  =====  =====
    customer  rep        orders                              annual   stars  tier
    ========  =========  ==================================  =======  =====  =====
    Hamburg   rep        60,000 in M                          60,000  2      C
    Shanghai  other_rep  400,000 in M                        400,000  3      B
    Lyon      rep        150,000 in M, 45,000 EUR in P       200,000  2      C
    Osaka     other_rep  100,000 in M                        100,000  2      C
    Dubai     rep        50,000 + 50,000 in M                100,000  2      C
    Lima      (none)     40,000 in M                          40,000  1      C
    Porto     rep        20,000 in M, cancelled                    0  0      D
    ========  =========  ==================================  =======  =====  =====

    M is last month, P the month before. Tier B requires a backup here and Shanghai has none.
    Overdue follow-ups: Hamburg, Osaka, Lima.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.tiering_auto_upgrade = "apply"
        cls.dashboard = cls.env["trade.portfolio.dashboard"]
        cls.tiers = cls._tiers_by_code()
        cls.tiers["B"].require_backup = True
        last_month = cls.today.replace(day=1) - timedelta(days=1)
        cls.month = last_month.replace(day=1)
        cls.previous_month = (cls.month - timedelta(days=1)).replace(day=1)
        in_month = datetime.combine(cls.month.replace(day=15), time(12))
        in_previous = datetime.combine(cls.previous_month.replace(day=15), time(12))

        cls.hamburg = cls.customer
        cls.hamburg.sale_order_ids.date_order = in_month
        cls.shanghai = cls._customer("Shanghai Timber Trading", user_id=cls.other_rep.id)
        cls.lyon = cls._customer("Lyon Bois SARL", user_id=cls.rep.id, team_id=cls.team.id)
        cls.osaka = cls._customer("Osaka Mokuzai KK", user_id=cls.other_rep.id)
        cls.dubai = cls._customer("Dubai Timber LLC", user_id=cls.rep.id, team_id=cls.team.id)
        cls.lima = cls._customer("Lima Maderas SAC")
        cls.porto = cls._customer("Porto Cortica Lda", user_id=cls.rep.id, team_id=cls.team.id)
        cls._order(cls.shanghai, 400_000, date=in_month)
        cls._order(cls.lyon, 150_000, date=in_month)
        cls._order(cls.lyon, 45_000, currency=cls.eur, date=in_previous)
        cls._order(cls.osaka, 100_000, date=in_month)
        cls._order(cls.dubai, 50_000, date=in_month)
        cls._order(cls.dubai, 50_000, date=in_month)
        cls._order(cls.lima, 40_000, date=in_month)
        porto_order = cls._order(cls.porto, 20_000, date=in_month)
        cls.env["res.partner"].action_tiering_regrade()
        porto_order._action_cancel()
        cls.env["res.partner"].action_tiering_regrade()
        cls.env.cr.flush()  # the commit hooks: cadence planning of the new orders
        for partner, days in (
            (cls.hamburg, -5),
            (cls.shanghai, 10),
            (cls.lyon, 10),
            (cls.osaka, -1),
            (cls.dubai, 10),
            (cls.lima, -3),
            (cls.porto, 10),
        ):
            partner.sudo().tiering_next_follow_up_date = cls.today + timedelta(days=days)
        cls.env["trade.portfolio.month"]._refresh(cls.company)

    def _data(self, user=None, period=None, company=None):
        dashboard = self.dashboard.with_user(user) if user else self.dashboard
        if company:
            dashboard = dashboard.with_context(allowed_company_ids=[company.id])
        return dashboard.get_data(period)

    def _measures(self, data):
        return {m["key"]: (m["share"], m["band"]) for m in data["concentration"]["measures"]}


@tagged("post_install", "-at_install")
class TestPortfolioFigures(PortfolioCase):
    def test_the_data_is_what_the_docstring_says(self):
        grades = {
            partner.name: (
                partner.tiering_star_grade,
                partner.tiering_annual_amount,
                partner.tiering_service_tier_id.code,
            )
            for partner in (self.hamburg, self.shanghai, self.lyon, self.osaka, self.dubai, self.lima, self.porto)
        }
        self.assertEqual(
            grades,
            {
                "Hamburg Holz AG": ("2", 60_000.0, "C"),
                "Shanghai Timber Trading": ("3", 400_000.0, "B"),
                "Lyon Bois SARL": ("2", 200_000.0, "C"),
                "Osaka Mokuzai KK": ("2", 100_000.0, "C"),
                "Dubai Timber LLC": ("2", 100_000.0, "C"),
                "Lima Maderas SAC": ("1", 40_000.0, "C"),
                "Porto Cortica Lda": ("0", 0.0, "D"),
            },
        )

    def test_concentration_of_the_company(self):
        data = self._data(self.gm)
        concentration = data["concentration"]
        self.assertEqual(data["scope"], "company")
        self.assertEqual((concentration["customers"], concentration["total"]), (6, 900_000.0))
        measures = self._measures(data)
        self.assertAlmostEqual(measures["top1"][0], 400 / 9)
        self.assertAlmostEqual(measures["top3"][0], 700 / 9)
        self.assertAlmostEqual(measures["top10"][0], 100.0)
        self.assertEqual(
            {key: band for key, (_share, band) in measures.items()},
            {"top1": "critical", "top3": "high", "top10": "high"},
        )
        # 80% of 900,000 is 720,000: 400 + 200 + 100 + 100 thousand, 4 of the 6 customers.
        pareto = concentration["pareto"]
        self.assertEqual(pareto["customers"], 4)
        self.assertAlmostEqual(pareto["customer_share"], 400 / 6)
        # The top 20% of 6 customers: 2 (rounded up), 600,000 of 900,000.
        self.assertEqual(pareto["slice_customers"], 2)
        self.assertAlmostEqual(pareto["slice_share"], 600 / 9)

    def test_top_customers_with_a_tie(self):
        top = self._data(self.gm)["top_customers"]
        self.assertEqual(
            [(c["name"], c["rank"], c["amount"]) for c in top],
            [
                ("Shanghai Timber Trading", 1, 400_000.0),
                ("Lyon Bois SARL", 2, 200_000.0),
                # Osaka and Dubai tie: the older customer comes first.
                ("Osaka Mokuzai KK", 3, 100_000.0),
                ("Dubai Timber LLC", 4, 100_000.0),
                ("Hamburg Holz AG", 5, 60_000.0),
                ("Lima Maderas SAC", 6, 40_000.0),
            ],
        )
        self.assertEqual((top[0]["star"], top[0]["tier"], top[0]["user"]), (3, "B Key", "Olga Rep"))
        self.assertFalse(top[5]["user"])
        self.assertAlmostEqual(top[3]["cumulative_share"], 800 / 9)
        self.assertAlmostEqual(top[2]["share"], 100 / 9)
        self.assertEqual(top[0]["score"], 0, "not scored yet")
        self.env["trade.tiering.scoring"]._score(self.company)
        scored = self._data(self.gm)["top_customers"][0]
        shanghai = self.env["res.partner"].with_company(self.company).browse(scored["id"])
        self.assertEqual(scored["score"], shanghai.tiering_score)
        self.assertGreater(scored["score"], 0)

    def test_grade_distribution(self):
        grades = {g["star"]: (g["customers"], g["amount"]) for g in self._data(self.supervisor)["grades"]}
        self.assertEqual(
            grades,
            {0: (1, 0.0), 1: (1, 40_000.0), 2: (4, 460_000.0), 3: (1, 400_000.0), 4: (0, 0.0), 5: (0, 0.0)},
        )

    def test_workload_per_rep(self):
        reps = {rep["user_id"]: rep for rep in self._data(self.gm)["workload"]["reps"]}
        tiers = [tier["code"] for tier in self._data(self.gm)["workload"]["tiers"]]
        ravi, olga, nobody = reps[self.rep.id], reps[self.other_rep.id], reps[False]
        counts = dict(zip(tiers, ravi["tier_counts"], strict=True))
        self.assertEqual(counts, {"A": 0, "B": 0, "C": 3, "D": 1})
        # C: a follow-up every 30 days and a review every 12 months; D: every 60 days, no review.
        self.assertAlmostEqual(ravi["follow_ups"], 3 * MONTH_DAYS / 30 + MONTH_DAYS / 60)
        self.assertAlmostEqual(ravi["reviews"], 3 / 12)
        self.assertAlmostEqual(ravi["load"], ravi["follow_ups"] + ravi["reviews"])
        self.assertEqual(
            (ravi["capacity"], ravi["status"], ravi["overdue"], ravi["missing_backups"]), (80, "room", 1, 0)
        )
        self.assertAlmostEqual(ravi["utilisation"], 100 * ravi["load"] / 80)
        # B: every 14 days and a review every 3 months, plus one C customer.
        self.assertAlmostEqual(olga["load"], MONTH_DAYS / 14 + 1 / 3 + MONTH_DAYS / 30 + 1 / 12)
        self.assertEqual((olga["customers"], olga["overdue"], olga["missing_backups"]), (2, 1, 1))
        self.assertEqual(
            (nobody["customers"], nobody["overdue"], nobody["status"], nobody["capacity"]), (1, 1, None, None)
        )
        # The team leader serves nobody: listed with all the room.
        self.assertEqual((reps[self.supervisor.id]["customers"], reps[self.supervisor.id]["status"]), (0, "room"))

    def test_workload_against_a_small_capacity(self):
        self.company.tiering_rep_capacity = 3
        data = self._data(self.gm)
        statuses = {rep["user_id"]: rep["status"] for rep in data["workload"]["reps"]}
        self.assertEqual((statuses[self.rep.id], statuses[self.other_rep.id]), ("overloaded", "overloaded"))
        self.company.tiering_rep_capacity = 4
        data = self._data(self.gm)
        statuses = {rep["user_id"]: rep for rep in data["workload"]["reps"]}
        self.assertEqual(statuses[self.rep.id]["status"], "full")
        self.assertAlmostEqual(statuses[self.rep.id]["room"], 4 - statuses[self.rep.id]["load"])
        self.assertEqual(data["warnings"]["overloaded"], 0)

    def test_warnings(self):
        warnings = self._data(self.gm)["warnings"]
        self.assertEqual(
            {key: warnings[key] for key in ("overdue", "missing_backups", "overloaded", "alerts", "early_warnings")},
            {"overdue": 3, "missing_backups": 1, "overloaded": 0, "alerts": 0, "early_warnings": 0},
        )
        self.assertEqual(warnings["total"], 4)

    def test_early_warnings_counted_as_each_user_may_see_them(self):
        warnings = self.env["trade.customer.warning"]
        for partner in (self.shanghai, self.lyon):
            warnings.create(
                {
                    "partner_id": partner.id,
                    "company_id": self.company.id,
                    "warning_type": "dormant",
                    "date_raised": self.today,
                }
            )
        self.assertEqual(self._data(self.gm)["warnings"]["early_warnings"], 2)
        # Ravi serves Lyon, not Shanghai.
        self.assertEqual(self._data(self.rep)["warnings"]["early_warnings"], 1)

    def test_bands_follow_the_settings(self):
        self.company.write({"tiering_top1_critical": 50.0, "tiering_top3_high": 80.0, "tiering_top10_high": 100.0})
        bands = {key: band for key, (_share, band) in self._measures(self._data(self.gm)).items()}
        self.assertEqual(bands, {"top1": "high", "top3": "moderate", "top10": "moderate"})

    def test_unknown_period_is_refused(self):
        with self.assertRaisesRegex(UserError, "Unknown period"):
            self._data(self.gm, period="next_decade")


@tagged("post_install", "-at_install")
class TestPortfolioScope(PortfolioCase):
    def test_a_rep_sees_the_figures_of_their_customers(self):
        data = self._data(self.rep)
        self.assertEqual(data["scope"], "own")
        concentration = data["concentration"]
        # Hamburg 60,000, Lyon 200,000, Dubai 100,000; Porto bought nothing.
        self.assertEqual((concentration["customers"], concentration["total"]), (3, 360_000.0))
        measures = self._measures(data)
        self.assertAlmostEqual(measures["top1"][0], 200 / 3.6)
        self.assertEqual(
            [c["name"] for c in data["top_customers"]], ["Lyon Bois SARL", "Dubai Timber LLC", "Hamburg Holz AG"]
        )
        self.assertEqual(sum(g["customers"] for g in data["grades"]), 4)
        self.assertEqual([rep["user_id"] for rep in data["workload"]["reps"]], [self.rep.id])
        self.assertEqual((data["warnings"]["overdue"], data["warnings"]["missing_backups"]), (1, 0))
        self.assertEqual(data["alerts"], [], "reps do not see concentration alerts")
        other = self._data(self.other_rep)
        self.assertEqual([c["name"] for c in other["top_customers"]], ["Shanghai Timber Trading", "Osaka Mokuzai KK"])

    def test_report_rows_follow_the_record_rules(self):
        report = self.env["trade.portfolio.report"]
        partners = report.with_user(self.rep).search([]).partner_id
        self.assertEqual(partners, self.hamburg | self.lyon | self.dubai)
        self.assertEqual(report.with_user(self.other_rep).search([]).partner_id, self.shanghai | self.osaka)
        everyone = self.hamburg | self.shanghai | self.lyon | self.osaka | self.dubai | self.lima
        self.assertEqual(report.with_user(self.supervisor).search([]).partner_id, everyone)
        groups = report.with_user(self.rep)._read_group([], ["user_id"], ["amount:sum"])
        self.assertEqual(groups, [(self.rep, 360_000.0)])

    def test_other_companies_stay_out(self):
        other = self._make_company("Tiering Trading HK")
        self.env.user.company_ids |= other
        self.supervisor.company_ids |= other
        buyer = self._customer("Kowloon Furniture Ltd")
        self._order(buyer, 70_000, company=other)
        self.env["res.partner"].with_company(other).action_tiering_regrade()
        self.env["trade.portfolio.month"]._refresh(other)
        report = self.env["trade.portfolio.report"].with_user(self.supervisor)
        self.assertNotIn(buyer, report.search([]).partner_id, "the supervisor works in the export company")
        self.assertIn(buyer, report.with_context(allowed_company_ids=[other.id]).search([]).partner_id)
        self.assertEqual(self._data(self.supervisor)["concentration"]["customers"], 6)
        hk = self._data(self.supervisor, company=other)
        self.assertEqual((hk["concentration"]["customers"], hk["concentration"]["total"]), (1, 70_000.0))
        with self.assertRaises(AccessError):
            self._data(self.rep, company=other)

    def test_links_keep_the_scope(self):
        dashboard = self.dashboard.with_user(self.rep)
        action = dashboard.action_open("grade", {"star": 2})
        self.assertEqual(action["res_model"], "res.partner")
        found = self.env["res.partner"].with_user(self.rep).search(action["domain"])
        self.assertEqual(found, self.hamburg | self.lyon | self.dubai)
        action = self.dashboard.with_user(self.gm).action_open("grade", {"star": 2})
        found = self.env["res.partner"].search(action["domain"])
        self.assertEqual(found, self.hamburg | self.lyon | self.dubai | self.osaka)
        action = self.dashboard.with_user(self.gm).action_open("overdue")
        self.assertEqual(self.env["res.partner"].search(action["domain"]), self.hamburg | self.osaka | self.lima)
        action = self.dashboard.with_user(self.gm).action_open(
            "rep", {"user_id": self.other_rep.id, "filter": "missing_backups"}
        )
        self.assertEqual(self.env["res.partner"].search(action["domain"]), self.shanghai)
        action = self.dashboard.with_user(self.gm).action_open("rep", {"user_id": False})
        self.assertEqual(self.env["res.partner"].search(action["domain"]), self.lima)
        action = self.dashboard.with_user(self.gm).action_open("customer", {"partner_id": self.lyon.id})
        self.assertEqual((action["res_id"], action["views"]), (self.lyon.id, [(False, "form")]))
        self.assertEqual(self.dashboard.action_open("report")["res_model"], "trade.portfolio.report")
        with self.assertRaisesRegex(UserError, "Unknown dashboard link"):
            self.dashboard.action_open("nowhere")

    def test_rep_links_are_titled_with_the_rep(self):
        dashboard = self.dashboard.with_user(self.gm)
        self.assertEqual(dashboard.action_open("rep", {"user_id": self.other_rep.id})["name"], "Customers of Olga Rep")
        action = dashboard.action_open("rep", {"user_id": self.rep.id, "filter": "overdue"})
        self.assertEqual(action["name"], "Overdue Follow-ups of Ravi Rep")
        action = dashboard.action_open("rep", {"user_id": self.other_rep.id, "filter": "missing_backups"})
        self.assertEqual(action["name"], "Missing Backups of Olga Rep")
        self.assertEqual(dashboard.action_open("rep", {"user_id": False})["name"], "Customers without a Salesperson")
        # A rep's own drill-down, from the rep's dashboard.
        action = self.dashboard.with_user(self.rep).action_open("rep", {"user_id": self.rep.id})
        self.assertEqual(action["name"], "Customers of Ravi Rep")

    def test_early_warnings_link_to_the_warnings_counted(self):
        warnings = self.env["trade.customer.warning"]
        for partner in (self.shanghai, self.lyon):  # Ravi serves Lyon, not Shanghai.
            warnings.create(
                {
                    "partner_id": partner.id,
                    "company_id": self.company.id,
                    "warning_type": "dormant",
                    "date_raised": self.today,
                }
            )
        for user, count in ((self.gm, 2), (self.rep, 1)):
            dashboard = self.dashboard.with_user(user)
            action = dashboard.action_open("early_warnings")
            self.assertEqual(
                (action["res_model"], action["name"], action["display_name"]),
                ("trade.customer.warning", "Early Warnings", "Early Warnings"),
            )
            found = warnings.with_user(user).search(action["domain"])
            self.assertEqual(len(found), count)
            self.assertEqual(len(found), dashboard.get_data()["warnings"]["early_warnings"])

    def test_monthly_figures_time_is_utc_for_the_browser(self):
        """The web client shows it in the user's time zone, as the chatter: the server sends UTC."""
        months = self.env["trade.portfolio.month"]
        last = months.search([("company_id", "=", self.company.id)], limit=1, order="id desc")
        self.gm.tz = "Asia/Shanghai"
        refreshed = self._data(self.gm)["refreshed"]
        self.assertEqual(refreshed, fields.Datetime.to_string(last.refreshed_on))


@tagged("post_install", "-at_install")
class TestPortfolioEdgeCases(PortfolioCase):
    def test_a_company_with_one_customer(self):
        solo = self._make_company("Solo Export Ltd")
        only = self._customer("Only Buyer GmbH")
        self._order(only, 55_000, company=solo)
        self.env["res.partner"].with_company(solo).action_tiering_regrade()
        data = self._data(company=solo)
        self.assertEqual(
            self._measures(data),
            {"top1": (100.0, "critical"), "top3": (100.0, "high"), "top10": (100.0, "high")},
        )
        pareto = data["concentration"]["pareto"]
        self.assertEqual((pareto["customers"], pareto["customer_share"]), (1, 100.0))
        self.assertEqual((pareto["slice_customers"], pareto["slice_share"]), (1, 100.0))
        self.assertEqual([c["name"] for c in data["top_customers"]], ["Only Buyer GmbH"])

    def test_a_company_without_customers(self):
        empty = self._make_company("Empty Export Ltd")
        data = self._data(company=empty)
        self.assertEqual((data["concentration"]["customers"], data["concentration"]["total"]), (0, 0.0))
        self.assertEqual(set(self._measures(data).values()), {(None, None)})
        self.assertEqual(data["concentration"]["pareto"]["customer_share"], None)
        self.assertEqual(data["top_customers"], [])
        self.assertEqual(sum(g["customers"] for g in data["grades"]), 0)
        self.assertEqual(data["migration"]["customers"], 0)
        self.assertIsNone(data["migration"]["changed_share"])
        self.assertEqual([rep for rep in data["workload"]["reps"] if rep["customers"]], [])
        self.assertEqual(data["warnings"]["total"], 0)
        self.env["trade.portfolio.month"]._refresh(empty)
        self.assertFalse(self.env["trade.portfolio.month"].search([("company_id", "=", empty.id)]))
        self.assertFalse(self.env["trade.concentration.alert"]._raise_alerts(empty, data["concentration"]))


@tagged("post_install", "-at_install")
class TestGradeMigration(PortfolioCase):
    """Customers with a dated grade history, already customers a year ago.

    The customers of PortfolioCase were created today, after the last quarter: they are left out.
    """

    def setUp(self):
        super().setUp()
        self.start, self.end = portfolio.period_bounds("last_quarter", self.today)
        self.movers = {}
        for name, current, user in (
            ("Up Two Three", "3", self.rep),
            ("Down Three Two", "1", self.other_rep),
            ("Still Four", "4", self.rep),
            ("Round Trip", "2", self.rep),
        ):
            partner = self._customer(name, user_id=user.id)
            partner.sudo().write({"tiering_star_grade": current, "tiering_date": self.today})
            self.movers[name] = partner
        movers = self.env["res.partner"].browse([partner.id for partner in self.movers.values()])
        self._backdate(movers, create_date=fields.Datetime.now() - timedelta(days=400))
        self.env["res.partner"].invalidate_model(["create_date"])
        start = datetime.combine(self.start, time(9))
        after_end = datetime.combine(self.end + timedelta(days=1), time(0, 30))
        self._history("Up Two Three", start - timedelta(days=30), "1", "2")
        self._history("Up Two Three", start + timedelta(days=10), "2", "3")
        self._history("Down Three Two", start + timedelta(days=5), "3", "2")
        self._history("Down Three Two", after_end, "2", "1")
        self._history("Round Trip", start + timedelta(days=3), "2", "3")
        self._history("Round Trip", start + timedelta(days=20), "3", "2")

    def _history(self, name, when, old, new):
        self.env["trade.grade.history"].create(
            {
                "partner_id": self.movers[name].id,
                "company_id": self.company.id,
                "date": when,
                "old_star": old,
                "new_star": new,
            }
        )

    def test_migration_matrix_of_the_last_quarter(self):
        migration = self._data(self.gm, period="last_quarter")["migration"]
        expected = [[0] * 6 for _star in range(6)]
        expected[2][3] = 1  # Up Two Three
        expected[3][2] = 1  # Down Three Two: its fall to 1 came after the quarter
        expected[4][4] = 1  # Still Four: no history, today's grade
        expected[2][2] = 1  # Round Trip: up and back down within the quarter
        self.assertEqual(migration["matrix"], expected)
        self.assertEqual((migration["customers"], migration["upgrades"], migration["downgrades"]), (4, 1, 1))
        self.assertEqual(migration["changed_share"], 50.0)

    def test_migration_of_a_rep(self):
        migration = self._data(self.rep, period="last_quarter")["migration"]
        self.assertEqual((migration["customers"], migration["upgrades"], migration["downgrades"]), (3, 1, 0))

    def test_migration_cells_link_to_their_customers(self):
        action = self.dashboard.with_user(self.gm).action_open(
            "migration", {"period": "last_quarter", "start_star": 3, "end_star": 2}
        )
        self.assertEqual(self.env["res.partner"].search(action["domain"]), self.movers["Down Three Two"])

    def test_a_period_up_to_today_counts_todays_customers(self):
        data = self._data(self.gm, period="last_12_months")
        # Everyone created today has been a customer within the period; their first grading is history.
        self.assertEqual(data["migration"]["customers"], 11)

    def test_the_default_period_reaches_today(self):
        """A quarter already over is empty in a young database: the panel opens on the last 12 months."""
        data = self._data(self.gm)
        self.assertEqual(data["period"]["key"], "last_12_months")
        self.assertEqual(data["migration"]["customers"], 11)
