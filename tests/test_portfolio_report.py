"""The portfolio report, the concentration alert, the portfolio settings and the dashboard export."""

from datetime import datetime, time, timedelta

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import read_xlsx
from .test_portfolio import PortfolioCase


@tagged("post_install", "-at_install")
class TestPortfolioReport(PortfolioCase):
    def _rows(self, month):
        return {
            row.partner_id.name: row
            for row in self.env["trade.portfolio.report"].search(
                [("company_id", "=", self.company.id), ("date", "=", month)]
            )
        }

    def test_one_row_per_customer_and_month(self):
        rows = self._rows(self.month)
        self.assertEqual(
            {name: (row.amount, row.order_count, row.rank) for name, row in rows.items()},
            {
                "Shanghai Timber Trading": (400_000.0, 1, 1),
                "Lyon Bois SARL": (150_000.0, 1, 2),
                "Osaka Mokuzai KK": (100_000.0, 1, 3),
                "Dubai Timber LLC": (100_000.0, 2, 4),
                "Hamburg Holz AG": (60_000.0, 1, 5),
                "Lima Maderas SAC": (40_000.0, 1, 6),
            },
            "Porto's order was cancelled",
        )
        # The month's total is 850,000.
        self.assertAlmostEqual(rows["Shanghai Timber Trading"].share, 400 / 8.5)
        self.assertAlmostEqual(rows["Dubai Timber LLC"].cumulative_share, 750 / 8.5)
        self.assertEqual(
            {name: row.pareto_class for name, row in rows.items()},
            {
                "Shanghai Timber Trading": "a",
                "Lyon Bois SARL": "a",
                "Osaka Mokuzai KK": "a",
                "Dubai Timber LLC": "a",
                "Hamburg Holz AG": "b",
                "Lima Maderas SAC": "c",
            },
        )
        shanghai = rows["Shanghai Timber Trading"]
        self.assertEqual(
            (shanghai.tiering_star_grade, shanghai.tiering_service_tier_id, shanghai.user_id, shanghai.currency_id),
            ("3", self.tiers["B"], self.other_rep, self.usd),
        )
        self.assertEqual(shanghai.margin, 400_000.0, "the product costs nothing")

    def test_orders_are_converted_at_their_rate(self):
        (lyon,) = self._rows(self.previous_month).values()
        # 45,000 EUR at 0.9 EUR to the dollar.
        self.assertEqual((lyon.amount, lyon.margin, lyon.share, lyon.rank), (50_000.0, 50_000.0, 100.0, 1))

    def test_pivot_groups(self):
        report = self.env["trade.portfolio.report"].with_user(self.supervisor)
        by_tier = dict(report._read_group([("date", "=", self.month)], ["tiering_service_tier_id"], ["amount:sum"]))
        self.assertEqual(by_tier, {self.tiers["B"]: 400_000.0, self.tiers["C"]: 450_000.0})
        by_month = report._read_group([], ["date:month"], ["amount:sum", "share:sum"])
        self.assertEqual(
            [(amount, round(share, 6)) for _month, amount, share in by_month], [(50_000.0, 100.0), (850_000.0, 100.0)]
        )
        self.assertAlmostEqual(report._read_group([("date", "=", self.month)], [], ["share:sum"])[0][0], 100.0)
        by_grade = dict(report._read_group([("date", "=", self.month)], ["tiering_star_grade"], ["__count"]))
        self.assertEqual(by_grade, {"1": 1, "2": 4, "3": 1})

    def test_refresh_follows_new_orders(self):
        self._order(self.lima, 10_000, date=datetime.combine(self.month.replace(day=20), time(12)))
        self.env["trade.portfolio.month"]._refresh(self.company)
        lima = self._rows(self.month)["Lima Maderas SAC"]
        self.assertEqual((lima.amount, lima.order_count), (50_000.0, 2))

    def test_a_currency_without_rates_stops_the_refresh(self):
        nok = self.env.ref("base.NOK")
        nok.active = True
        self.env["res.currency.rate"].create(
            {
                "currency_id": nok.id,
                "company_id": self.company.id,
                "name": self.today - timedelta(days=900),
                "rate": 9.5,
            }
        )
        self._order(self.lima, 10_000, currency=nok, date=datetime.combine(self.month.replace(day=20), time(12)))
        self._run_commit_hooks()  # graded while NOK has a rate
        nok.rate_ids.unlink()
        with self.assertRaisesRegex(UserError, "NOK has no exchange rate"):
            self.env["trade.portfolio.month"]._refresh(self.company)
        # The nightly pass keeps the previous figures instead of failing, and says why in the log.
        with self.assertLogs("odoo.addons.trade_crm_tiering.models.trade_portfolio_month", "WARNING") as logs:
            self.env["trade.portfolio.month"]._refresh_all(self.company)
        self.assertIn("NOK has no exchange rate", logs.output[0])
        self.assertEqual(self._rows(self.month)["Lima Maderas SAC"].amount, 40_000.0)

    def test_only_supervisors_refresh_on_demand(self):
        with self.assertRaises(AccessError):
            self.dashboard.with_user(self.rep).action_refresh()
        self.assertTrue(self.dashboard.with_user(self.supervisor).action_refresh())


@tagged("post_install", "-at_install")
class TestConcentrationAlert(PortfolioCase):
    def _activities(self):
        alerts = self.env["trade.concentration.alert"].search([("company_id", "=", self.company.id)])
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "trade.concentration.alert"),
                ("res_id", "in", alerts.ids),
                ("activity_type_id", "=", self.env.ref("trade_crm_tiering.mail_activity_type_concentration").id),
            ]
        )

    def _run_night(self):
        self.dashboard._cron_portfolio(self.company)

    def _open_alerts(self):
        return self.env["trade.concentration.alert"].search(
            [("company_id", "=", self.company.id), ("state", "=", "open")]
        )

    def test_the_general_manager_is_told_once(self):
        self._run_night()
        self._run_night()
        alerts = self._open_alerts()
        self.assertEqual(
            sorted((a.measure, a.band) for a in alerts), [("top1", "critical"), ("top10", "high"), ("top3", "high")]
        )
        activities = self._activities()
        self.assertEqual(len(activities), 3, "one activity per measure, not one a night")
        self.assertEqual(activities.user_id, self.gm)
        top1 = alerts.filtered(lambda a: a.measure == "top1")
        self.assertAlmostEqual(top1.share, 400 / 9)
        note = top1.activity_ids.note
        self.assertIn("Shanghai Timber Trading", note)
        self.assertIn("900,000.00", note)
        self.assertIn("44.4%", top1.activity_ids.summary)
        self.assertEqual(self._data(self.gm)["warnings"]["alerts"], 3)

    def test_alert_again_only_after_the_risk_went_down(self):
        self.company.write({"tiering_top1_critical": 50.0, "tiering_top3_high": 80.0, "tiering_top10_high": 100.0})
        self._run_night()
        self.assertEqual([(a.measure, a.band) for a in self._open_alerts()], [("top1", "high")])
        self.assertEqual(len(self._activities()), 1)
        # Worse: critical is a new alert within the same episode.
        self.company.tiering_top1_critical = 40.0
        self._run_night()
        self.assertEqual([(a.measure, a.band) for a in self._open_alerts()], [("top1", "critical")])
        self.assertEqual(len(self._activities()), 2)
        # Back to high: nothing new.
        self.company.tiering_top1_critical = 50.0
        self._run_night()
        self.assertEqual(len(self._activities()), 2)
        # Below high: the episode ends.
        self.company.tiering_top1_high = 45.0
        self._run_night()
        self.assertFalse(self._open_alerts())
        closed = self.env["trade.concentration.alert"].search([("company_id", "=", self.company.id)])
        self.assertEqual((closed.state, closed.date_closed), ("closed", self.today))
        # High again: a new episode, a new alert.
        self.company.tiering_top1_high = 20.0
        self._run_night()
        self.assertEqual(len(self._open_alerts()), 1)
        self.assertEqual(len(self._activities()), 3)

    def test_the_nightly_job_runs_the_portfolio_pass(self):
        self.env["trade.portfolio.month"].search([("company_id", "=", self.company.id)]).unlink()
        self.env["res.partner"]._cron_tiering_regrade()
        self.assertEqual(len(self._open_alerts()), 3)
        self.assertEqual(self.env["trade.portfolio.month"].search_count([("company_id", "=", self.company.id)]), 7)

    def test_without_general_manager_the_alert_is_kept_quietly(self):
        self.company.tiering_gm_id = False
        self._run_night()
        self.assertEqual(len(self._open_alerts()), 3)
        self.assertFalse(self._activities())

    def test_reps_cannot_read_alerts(self):
        self._run_night()
        with self.assertRaises(AccessError):
            self.env["trade.concentration.alert"].with_user(self.rep).search([])
        self.assertEqual(len(self.env["trade.concentration.alert"].with_user(self.supervisor).search([])), 3)


@tagged("post_install", "-at_install")
class TestPortfolioSettings(PortfolioCase):
    def test_settings_edit_bands_and_capacity(self):
        settings = Form(self.env["res.config.settings"])
        settings.tiering_top1_high = 25.0
        settings.tiering_rep_capacity = 60
        settings.save().execute()
        self.assertEqual((self.company.tiering_top1_high, self.company.tiering_rep_capacity), (25.0, 60))

    def test_bad_bands_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "top customer bands must rise"):
            self.company.tiering_top1_high = 35.0  # above the critical 30%
        with self.assertRaisesRegex(ValidationError, "top 3 customers bands"):
            self.company.tiering_top3_moderate = 0.0
        with self.assertRaisesRegex(ValidationError, "top 10 customers bands"):
            self.company.tiering_top10_high = 120.0
        with self.assertRaisesRegex(ValidationError, "capacity per rep must be above zero"):
            self.company.tiering_rep_capacity = 0


@tagged("post_install", "-at_install")
class TestPortfolioExport(PortfolioCase):
    def test_xlsx_has_the_figures(self):
        content, filename = self.dashboard.with_user(self.gm)._export_xlsx("last_quarter")
        self.assertTrue(filename.endswith(".xlsx"))
        book = read_xlsx(content)
        self.assertEqual(book.sheetnames, ["Summary", "Concentration", "Grades", "Grade Migration", "Rep Workload"])
        top = book["Concentration"]
        self.assertEqual((top["B4"].value, top["F4"].value), ("Shanghai Timber Trading", 400_000.0))
        self.assertEqual(top.max_row, 9, "a header, a title and the 6 customers with revenue")
        rep_content, _name = self.dashboard.with_user(self.rep)._export_xlsx()
        rep_top = read_xlsx(rep_content)["Concentration"]
        self.assertEqual(rep_top["B4"].value, "Lyon Bois SARL")
