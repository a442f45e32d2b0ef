import json
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import SQL

from ..trade_crm_tiering import manager_numbers
from .common import company_user
from .test_portfolio import PortfolioCase

# Cost as a share of each customer's order prices: the margins of the docstring below.
COSTS = {"Hamburg": 0.75, "Shanghai": 0.9, "Lyon": 0.8, "Osaka": 0.8, "Dubai": 0.8, "Lima": 0.75}


class NumbersCase(PortfolioCase):
    """PortfolioCase's customers (default period: the last 12 months) with costs, countries, leads
    and response clocks.

    ========  =====  =====  =======  ======================  =======  =======
    customer  rep    stars  country  orders in the period    amount   margin
    ========  =====  =====  =======  ======================  =======  =======
    Hamburg   Ravi   2      DE       1                        60,000   15,000
    Shanghai  Olga   3      CN       1                       400,000   40,000
    Lyon      Ravi   2      FR       2 (one in EUR)          200,000   40,000
    Osaka     Olga   2      JP       1                       100,000   20,000
    Dubai     Ravi   2      AE       2                       100,000   20,000
    Lima      -      1      -        1                        40,000   10,000
    Porto     Ravi   0      PT       0 (cancelled)                 0        0
    ========  =====  =====  =======  ======================  =======  =======

    Leads (days ago): created -> closed, won or lost.

    ===  =====  ===========  ========  =============================
    lead rep    source       customer  history
    ===  =====  ===========  ========  =============================
    L1   Ravi   Canton Fair  Lyon      30 -> 10 won (20 days)
    L2   Ravi   Canton Fair  Hamburg   50 -> 20 lost
    L3   Ravi   Alibaba      -         15 -> 5 lost
    L4   Olga   Canton Fair  Shanghai  40 -> 4 won (36 days)
    L5   Olga   Alibaba      -         20, open
    L6   Olga   -            -         400 -> 10 lost
    L7   Ravi   Alibaba      Dubai     500 -> 450 won (outside)
    L8   Ravi   Canton Fair  Dubai     45 -> 5 won (40 days)
    ===  =====  ===========  ========  =============================

    Response clocks: Ravi answered in 2 and 6 hours (and in 100 hours, 500 days ago), Olga in 10.
    The customers were created three years ago; their grade history (today's first grading) is
    moved 200 days back, Shanghai's 400 days back.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        customers = {
            "Hamburg": cls.hamburg,
            "Shanghai": cls.shanghai,
            "Lyon": cls.lyon,
            "Osaka": cls.osaka,
            "Dubai": cls.dubai,
            "Lima": cls.lima,
            "Porto": cls.porto,
        }
        countries = {"Hamburg": "base.de", "Shanghai": "base.cn", "Lyon": "base.fr", "Osaka": "base.jp"}
        countries.update(Dubai="base.ae", Porto="base.pt")
        for key, xmlid in countries.items():
            customers[key].country_id = cls.env.ref(xmlid)
        for key, cost in COSTS.items():
            for line in customers[key].sale_order_ids.order_line:
                line.purchase_price = line.price_unit * cost
        # The monthly figures hold the whole months of a period: refreshed with the costs.
        cls.env["trade.portfolio.month"]._refresh(cls.company)
        now = fields.Datetime.now()
        cls.fair = cls.env["utm.source"].create({"name": "Canton Fair"})
        cls.alibaba = cls.env["utm.source"].create({"name": "Alibaba"})
        cls.leads = {}
        for name, user, source, partner, created, closed, outcome in (
            ("L1", cls.rep, cls.fair, cls.lyon, 30, 10, "won"),
            ("L2", cls.rep, cls.fair, cls.hamburg, 50, 20, "lost"),
            ("L3", cls.rep, cls.alibaba, None, 15, 5, "lost"),
            ("L4", cls.other_rep, cls.fair, cls.shanghai, 40, 4, "won"),
            ("L5", cls.other_rep, cls.alibaba, None, 20, None, None),
            ("L6", cls.other_rep, None, None, 400, 10, "lost"),
            ("L7", cls.rep, cls.alibaba, cls.dubai, 500, 450, "won"),
            ("L8", cls.rep, cls.fair, cls.dubai, 45, 5, "won"),
        ):
            lead = cls.env["crm.lead"].create(
                {
                    "name": f"Lead {name}",
                    "type": "opportunity",
                    "company_id": cls.company.id,
                    "team_id": cls.team.id,
                    "user_id": user.id,
                    "source_id": source.id if source else False,
                    "partner_id": partner.id if partner else False,
                }
            )
            if outcome == "won":
                lead.action_set_won()
            elif outcome == "lost":
                lead.action_set_lost()
            cls._backdate(
                lead,
                create_date=now - timedelta(days=created),
                date_closed=now - timedelta(days=closed) if closed else None,
            )
            cls.leads[name] = lead
        cls.env["crm.lead"].invalidate_model(["create_date", "date_closed"])
        clocks = cls.env["trade.response.clock"]
        for user, started, hours in ((cls.rep, 3, 2), (cls.rep, 2, 6), (cls.rep, 500, 100), (cls.other_rep, 1, 10)):
            begin = now - timedelta(days=started)
            clocks.create(
                {
                    "partner_id": cls.hamburg.id,
                    "company_id": cls.company.id,
                    "user_id": user.id,
                    "date_started": begin,
                    "date_stopped": begin + timedelta(hours=hours),
                    "hours": hours,
                    "state": "answered",
                }
            )
        ids = [partner.id for partner in customers.values()]
        cls._backdate(cls.env["res.partner"].browse(ids), create_date=now - timedelta(days=3 * 365))
        cls.env.cr.execute(
            SQL(
                "UPDATE trade_grade_history SET date = %s WHERE partner_id = ANY(%s) AND company_id = %s",
                now - timedelta(days=200),
                ids,
                cls.company.id,
            )
        )
        cls.env.cr.execute(
            SQL(
                "UPDATE trade_grade_history SET date = %s WHERE partner_id = %s",
                now - timedelta(days=400),
                cls.shanghai.id,
            )
        )
        cls.env.invalidate_all()

    def _numbers(self, user, period=None):
        return self.dashboard.with_user(user).get_numbers(period)

    def _open(self, user, kind, **params):
        action = self.dashboard.with_user(user).action_open(kind, params)
        records = self.env[action["res_model"]].with_user(user).with_context(**action["context"])
        return action, records.search(action["domain"])


@tagged("post_install", "-at_install")
class TestDashboardNumbers(NumbersCase):
    """Each figure as the general manager (the company), a supervisor, and a rep (own customers)."""

    def test_repurchase_rate_by_grade(self):
        rows = {
            row["star"]: (row["buyers"], row["repeat"], row["rate"]) for row in self._numbers(self.gm)["repurchase"]
        }
        self.assertEqual(rows[2], (4, 2, 50.0), "Lyon and Dubai bought twice, Hamburg and Osaka once")
        self.assertEqual((rows[3], rows[1]), ((1, 0, 0.0), (1, 0, 0.0)))
        self.assertEqual(rows[0], (0, 0, None), "Porto's order was cancelled")
        rows = {row["star"]: (row["buyers"], row["repeat"]) for row in self._numbers(self.rep)["repurchase"]}
        self.assertEqual((rows[2], rows[3], rows[1]), ((3, 2), (0, 0), (0, 0)))
        only_last_month = {row["star"]: row["repeat"] for row in self._numbers(self.gm, "last_month")["repurchase"]}
        self.assertEqual(only_last_month[2], 1, "Lyon's EUR order was the month before: only Dubai")

    def test_margin_rate_by_country(self):
        margin = self._numbers(self.gm)["margin_countries"]
        self.assertEqual(margin["total"]["amount"], 900_000.0)
        self.assertAlmostEqual(margin["total"]["margin"], 145_000.0)
        self.assertAlmostEqual(margin["total"]["rate"], 14500 / 900)
        countries = {row["name"]: (row["customers"], row["amount"], row["margin"]) for row in margin["countries"]}
        self.assertEqual(countries["China"], (1, 400_000.0, 40_000.0))
        self.assertEqual(countries["France"][1:], (200_000.0, 40_000.0), "the EUR order at its rate: 45,000 / 0.9")
        self.assertEqual(countries["No country"], (1, 40_000.0, 10_000.0))
        self.assertEqual(margin["countries"][0]["name"], "China", "largest amount first")
        rates = {row["name"]: row["rate"] for row in margin["countries"]}
        self.assertEqual((rates["China"], rates["Germany"], rates["France"]), (10.0, 25.0, 20.0))
        self.assertNotIn("Portugal", countries, "no confirmed order")
        mine = self._numbers(self.rep)["margin_countries"]
        self.assertEqual({row["name"] for row in mine["countries"]}, {"Germany", "France", "United Arab Emirates"})
        self.assertAlmostEqual(mine["total"]["rate"], 7500 / 360)

    def test_pareto_on_margin(self):
        pareto = self._numbers(self.gm)["margin_pareto"]
        # 145,000: Shanghai 40 + Lyon 40 + Osaka 20 + Dubai 20 = 120 >= 116 (80%).
        self.assertEqual((pareto["customers"], pareto["pareto_customers"], pareto["slice_customers"]), (6, 4, 2))
        self.assertAlmostEqual(pareto["customer_share"], 400 / 6)
        self.assertAlmostEqual(pareto["slice_share"], 8000 / 145)
        pareto = self._numbers(self.rep)["margin_pareto"]
        # 75,000: Lyon 40 + Dubai 20 = 60 = 80%.
        self.assertEqual((pareto["customers"], pareto["pareto_customers"]), (3, 2))
        self.assertAlmostEqual(pareto["slice_share"], 40 / 0.75)

    def test_lead_source_conversion(self):
        sources = {row["name"]: (row["leads"], row["won"], row["rate"]) for row in self._numbers(self.gm)["sources"]}
        self.assertEqual(sources, {"Canton Fair": (4, 3, 75.0), "Alibaba": (2, 0, 0.0)}, "L6 and L7 are older")
        sources = {row["name"]: (row["leads"], row["won"]) for row in self._numbers(self.rep)["sources"]}
        self.assertEqual(sources, {"Canton Fair": (3, 2), "Alibaba": (1, 0)})
        sources = {row["name"]: row["leads"] for row in self._numbers(self.supervisor, "last_year")["sources"]}
        # L6 (no source, 400 days ago) and L7 (Alibaba, 500 days ago), when they fell last year.
        expected = {name: 1 for name, days in (("No source", 400), ("Alibaba", 500)) if self._last_year(days)}
        self.assertEqual(sources, expected)

    def _last_year(self, days):
        start, end = manager_numbers.portfolio.period_bounds("last_year", self.today)
        return start <= self.today - timedelta(days=days) <= end

    def test_deal_cycle_by_grade(self):
        cycle = {row["star"]: (row["deals"], row["days"]) for row in self._numbers(self.gm)["cycle"]}
        self.assertEqual(cycle[2][0], 2)
        self.assertAlmostEqual(cycle[2][1], 30.0, places=3)  # Lyon 20, Dubai 40
        self.assertEqual(cycle[3][0], 1)
        self.assertAlmostEqual(cycle[3][1], 36.0, places=3)
        self.assertEqual((cycle[0], cycle[1]), ((0, None), (0, None)))
        cycle = {row["star"]: row["deals"] for row in self._numbers(self.rep)["cycle"]}
        self.assertEqual((cycle[2], cycle[3]), (2, 0))

    def test_win_rate_and_median_response_per_rep(self):
        reps = {row["user_id"]: row for row in self._numbers(self.gm)["reps"]}
        self.assertEqual(set(reps), {self.rep.id, self.other_rep.id})
        ravi, olga = reps[self.rep.id], reps[self.other_rep.id]
        self.assertEqual((ravi["won"], ravi["lost"], ravi["win_rate"]), (2, 2, 50.0))
        self.assertEqual((olga["won"], olga["lost"], olga["win_rate"]), (1, 1, 50.0))
        self.assertEqual((ravi["clocks"], ravi["median_hours"]), (2, 4.0), "the 100 hours are 500 days old")
        self.assertEqual((olga["clocks"], olga["median_hours"], olga["name"]), (1, 10.0, "Olga Rep"))
        mine = self._numbers(self.rep)["reps"]
        self.assertEqual([row["user_id"] for row in mine], [self.rep.id])

    def test_grade_distribution_per_quarter(self):
        quarters = manager_numbers.quarters(self.today)
        now = fields.Datetime.now()
        trend = self._numbers(self.gm)["trend"]
        self.assertEqual([q["label"] for q in trend["quarters"]], [q.label for q in quarters])
        for quarter, row in zip(quarters, trend["quarters"], strict=True):
            if quarter.after <= now - timedelta(days=400):
                expected = [7, 0, 0, 0, 0, 0]  # before every first grading
            elif quarter.after <= now - timedelta(days=200):
                expected = [6, 0, 0, 1, 0, 0]  # Shanghai graded
            else:
                expected = [1, 1, 4, 1, 0, 0]
            self.assertEqual(row["counts"], expected, quarter.label)
        self.assertEqual(trend["quarters"][-1]["customers"], 7)
        mine = self._numbers(self.rep)["trend"]["quarters"]
        self.assertEqual((mine[0]["counts"], mine[-1]["counts"]), ([4, 0, 0, 0, 0, 0], [1, 0, 3, 0, 0, 0]))

    def test_whole_months_from_the_monthly_figures_the_rest_from_the_orders(self):
        before = self._numbers(self.gm)
        # Stale monthly figures (never refreshed since last month): everything from the orders.
        self.env.cr.execute(
            SQL("UPDATE trade_portfolio_month SET refreshed_on = '2000-01-01' WHERE company_id = %s", self.company.id)
        )
        stale = self._numbers(self.gm)
        for key in ("repurchase", "margin_pareto", "margin_countries"):
            self.assertEqual(stale[key], before[key], key)
        # An order confirmed today counts at once, before the nightly refresh.
        self.env.cr.execute(
            SQL("UPDATE trade_portfolio_month SET refreshed_on = now() WHERE company_id = %s", self.company.id)
        )
        order = self._order(self.osaka, 10_000, days_ago=0)
        order.date_order = fields.Datetime.now()
        rows = {row["star"]: (row["buyers"], row["repeat"]) for row in self._numbers(self.gm)["repurchase"]}
        self.assertEqual(rows[2], (4, 3), "Osaka bought twice now")
        countries = {row["name"]: row["amount"] for row in self._numbers(self.gm)["margin_countries"]["countries"]}
        self.assertEqual(countries["Japan"], 110_000.0)

    def test_portal_users_get_no_numbers(self):
        portal = company_user(self.env, self.company, "numbers_portal", "base.group_portal")
        with self.assertRaises(AccessError):
            self.dashboard.with_user(portal).get_numbers()

    def test_a_company_without_data(self):
        empty = self._make_company("Quiet Export Ltd")
        numbers = self.dashboard.with_context(allowed_company_ids=[empty.id]).get_numbers()
        self.assertEqual(numbers["sources"], [])
        self.assertEqual(numbers["reps"], [])
        self.assertEqual(
            numbers["margin_countries"], {"total": {"amount": 0.0, "margin": 0.0, "rate": None}, "countries": []}
        )
        self.assertIsNone(numbers["margin_pareto"]["customer_share"])
        self.assertEqual({row["rate"] for row in numbers["repurchase"]}, {None})
        self.assertEqual(sum(sum(q["counts"]) for q in numbers["trend"]["quarters"]), 0)


@tagged("post_install", "-at_install")
class TestDashboardNumberLinks(NumbersCase):
    """The drill-downs return the records counted, as the user who clicks."""

    def test_repurchase_links(self):
        _action, found = self._open(self.gm, "repurchase", star=2, repeat=True)
        self.assertEqual(found, self.lyon | self.dubai)
        _action, found = self._open(self.gm, "repurchase", star=2)
        self.assertEqual(found, self.hamburg | self.lyon | self.osaka | self.dubai)
        _action, found = self._open(self.rep, "repurchase", star=2)
        self.assertEqual(found, self.hamburg | self.lyon | self.dubai)

    def test_margin_links(self):
        action, found = self._open(self.gm, "margin_country", country_id=self.env.ref("base.fr").id)
        self.assertEqual(action["res_model"], "sale.order")
        self.assertEqual(found, self.lyon.sale_order_ids.filtered(lambda order: order.state == "sale"))
        self.assertEqual(len(found), 2)
        _action, found = self._open(self.gm, "margin_country", country_id=False)
        self.assertEqual(found.partner_id, self.lima)
        _action, found = self._open(self.rep, "margin_country", country_id=self.env.ref("base.cn").id)
        self.assertFalse(found, "Shanghai is Olga's")
        _action, found = self._open(self.gm, "margin_pareto")
        self.assertEqual(found, self.shanghai | self.lyon | self.osaka | self.dubai)
        _action, found = self._open(self.rep, "margin_pareto")
        self.assertEqual(found, self.lyon | self.dubai)

    def test_lead_links(self):
        leads = self.leads
        action, found = self._open(self.gm, "lead_source", source_id=self.fair.id)
        self.assertEqual(action["res_model"], "crm.lead")
        self.assertIn('"create_date", ">=", "', json.dumps(action["domain"]), "the dates as the browser sends them")
        self.assertEqual(found, leads["L1"] | leads["L2"] | leads["L4"] | leads["L8"], "the lost one too")
        _action, found = self._open(self.gm, "lead_source", source_id=self.fair.id, won=True)
        self.assertEqual(found, leads["L1"] | leads["L4"] | leads["L8"])
        _action, found = self._open(self.rep, "lead_source", source_id=self.alibaba.id)
        self.assertEqual(found, leads["L3"])
        _action, found = self._open(self.gm, "deal_cycle", star=2)
        self.assertEqual(found, leads["L1"] | leads["L8"])
        _action, found = self._open(self.rep, "deal_cycle", star=3)
        self.assertFalse(found, "L4 is Olga's")
        _action, found = self._open(self.gm, "rep_leads", user_id=self.rep.id)
        self.assertEqual(found, leads["L1"] | leads["L2"] | leads["L3"] | leads["L8"])
        _action, found = self._open(self.gm, "rep_leads", user_id=self.other_rep.id, won=True)
        self.assertEqual(found, leads["L4"])

    def test_a_rep_cannot_open_another_reps_leads_or_clocks(self):
        _action, found = self._open(self.rep, "rep_leads", user_id=self.other_rep.id)
        self.assertFalse(found, "the rep's own leads only, whatever user_id the link names")
        _action, found = self._open(self.rep, "rep_response", user_id=self.other_rep.id)
        self.assertFalse(found)
        _action, found = self._open(self.rep, "rep_response", user_id=self.rep.id)
        self.assertEqual(len(found), 2)
        _action, found = self._open(self.gm, "rep_response", user_id=self.other_rep.id)
        self.assertEqual(found.mapped("hours"), [10.0])

    def test_grade_trend_links(self):
        last = len(manager_numbers.quarters(self.today)) - 1
        action, found = self._open(self.gm, "grade_trend", quarter=last, star=2)
        self.assertEqual(found, self.hamburg | self.lyon | self.osaka | self.dubai)
        self.assertIn(manager_numbers.quarters(self.today)[-1].label, action["name"])
        _action, found = self._open(self.rep, "grade_trend", quarter=last, star=2)
        self.assertEqual(found, self.hamburg | self.lyon | self.dubai)
        _action, found = self._open(self.gm, "grade_trend", quarter=0, star=0)
        self.assertEqual(len(found), 7)

    def test_bad_links_are_refused(self):
        dashboard = self.dashboard.with_user(self.rep)
        with self.assertRaisesRegex(UserError, "Unknown grade"):
            dashboard.action_open("repurchase", {"star": 9})
        with self.assertRaisesRegex(UserError, "Unknown quarter"):
            dashboard.action_open("grade_trend", {"quarter": 99, "star": 1})
        with self.assertRaisesRegex(UserError, "not a number"):
            dashboard.action_open("rep_leads", {"user_id": "1 OR 1=1"})
        with self.assertRaisesRegex(UserError, "Unknown period"):
            dashboard.action_open("lead_source", {"period": "forever", "source_id": self.fair.id})
        with self.assertRaisesRegex(UserError, "must be a dictionary"):
            dashboard.action_open("margin_pareto", [1, 2])
        with self.assertRaisesRegex(UserError, "Unknown period"):
            dashboard.get_numbers("forever")
