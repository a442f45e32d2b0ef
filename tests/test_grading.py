from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import TieringCase


@tagged("post_install", "-at_install")
class TestGrading(TieringCase):
    def test_amount_on_each_threshold_gets_the_higher_grade(self):
        expected = {}
        for star, threshold in enumerate((20_000, 50_000, 300_000, 1_000_000, 2_000_000), start=1):
            on = self._customer(f"On {star}")
            below = self._customer(f"Below {star}")
            self._order(on, threshold)
            self._order(below, threshold - 0.01)
            expected[on] = (str(star), threshold)
            expected[below] = (str(star - 1), threshold - 0.01)
        self.env["res.partner"].action_tiering_regrade()
        for partner, (star, amount) in expected.items():
            self.assertEqual(self._grade(partner), (star, amount), partner.name)

    def test_grade_category_follows_stars(self):
        ordinary, key, vip = self._customer("Ordinary"), self._customer("Key"), self._customer("VIP")
        self._order(ordinary, 60_000)
        self._order(key, 400_000)
        self._order(vip, 2_500_000)
        self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(ordinary.tiering_grade_category, "ordinary")
        self.assertEqual(key.tiering_grade_category, "key")
        self.assertEqual(vip.tiering_grade_category, "vip")

    def test_never_graded_customer_reads_zero_stars(self):
        partner = self._customer("Newcomer")
        self.assertEqual(partner.tiering_star_grade, "0")
        self.assertEqual(partner.tiering_grade_category, "ordinary")
        self.assertFalse(partner.tiering_date)
        self.assertIn(
            partner, self.env["res.partner"].search([("tiering_star_grade", "=", "0"), ("id", "=", partner.id)])
        )

    def test_currency_converted_at_each_order_date(self):
        eur_customer = self._customer("Munich Timber GmbH")
        rate_day = self.today - timedelta(days=100)
        self.env["res.currency.rate"].create(
            {"currency_id": self.eur.id, "company_id": self.company.id, "name": rate_day, "rate": 0.5}
        )
        # Before the new rate: 1 USD = 0.9 EUR; from it on: 1 USD = 0.5 EUR.
        self._order(eur_customer, 9_000, days_ago=150, currency=self.eur)  # 10,000 USD
        self._order(eur_customer, 10_000, days_ago=50, currency=self.eur)  # 20,000 USD
        cny_customer = self._customer("Shenzhen Import Ltd")
        self._order(cny_customer, 360_000, days_ago=5, currency=self.cny)  # 50,000 USD
        self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(self._grade(eur_customer), ("1", 30_000.0))
        self.assertEqual(self._grade(cny_customer), ("2", 50_000.0))

    def test_grading_currency_other_than_company_currency(self):
        partner = self._customer("Lyon Furniture SA")
        self._order(partner, 100_000)  # USD, company currency
        self.company.tiering_currency_id = self.eur
        self.company.tiering_threshold_2 = 45_000  # 1 star from 20,000 EUR, 2 stars from 45,000 EUR
        self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(self._grade(partner), ("2", 90_000.0))
        self.assertEqual(partner.tiering_currency_id, self.eur)

    def test_choosing_an_inactive_grading_currency_activates_it(self):
        currency = self.env.ref("base.SEK")
        currency.active = False
        self.company.tiering_currency_id = currency
        self.assertTrue(currency.active)

    def test_currency_without_rate_keeps_the_grade(self):
        krw = self.env.ref("base.KRW")
        krw.active = True
        self.env["res.currency.rate"].create(
            {"currency_id": krw.id, "company_id": self.company.id, "name": "2000-01-01", "rate": 1400}
        )
        partner = self._customer("Busan Trading")
        self._order(partner, 28_000_000, currency=krw)
        self._run_commit_hooks()
        self.assertEqual(self._grade(partner), ("1", 20_000.0))
        self.env["res.currency.rate"].search([("currency_id", "=", krw.id)]).unlink()
        # Odoo would convert at a made-up rate of 1: the customer keeps its grade (#11.4).
        self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(self._grade(partner), ("1", 20_000.0))
        activity = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.company.partner_id.id)]
        )
        self.assertIn("KRW", activity.summary)

    def test_confirming_an_order_without_rate_goes_through(self):
        krw = self.env.ref("base.KRW")
        krw.active = True
        self.env["res.currency.rate"].search([("currency_id", "=", krw.id)]).unlink()
        partner = self._customer("Incheon Supply")
        order = self._order(partner, 1_000_000, currency=krw, confirm=False)
        order.action_confirm()
        self._run_commit_hooks()
        order.invalidate_recordset()
        self.assertEqual(order.state, "sale", "a missing rate never blocks a sale (#11.4)")
        self.assertFalse(partner.with_company(self.company).tiering_annual_amount)

    def test_cancelled_and_draft_orders_are_ignored(self):
        partner = self._customer("Rotterdam Panels BV")
        self._order(partner, 30_000)
        self._order(partner, 500_000, confirm=False)
        cancelled = self._order(partner, 800_000)
        cancelled._action_cancel()
        self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(self._grade(partner), ("1", 30_000.0))

    def test_orders_outside_the_last_365_days_are_ignored(self):
        partner = self._customer("Dubai Build LLC")
        self._order(partner, 20_000, days_ago=364)
        self._order(partner, 900_000, days_ago=365)
        self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(self._grade(partner), ("1", 20_000.0))

    def test_contacts_roll_up_to_the_company(self):
        company = self._customer("Lagos Imports Ltd")
        buyer = self.env["res.partner"].create({"name": "Ade Buyer", "parent_id": company.id})
        shipping = self.env["res.partner"].create({"name": "Lagos Port", "parent_id": company.id, "type": "delivery"})
        self._order(company, 30_000)
        self._order(buyer, 15_000)
        self._order(shipping, 10_000)
        self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(self._grade(company), ("2", 55_000.0))
        self.assertEqual(self._grade(buyer), ("2", 55_000.0), "a contact reads its company's grade")
        late = self.env["res.partner"].create({"name": "New Buyer", "parent_id": company.id})
        self.assertEqual(self._grade(late), ("2", 55_000.0), "a new contact gets its company's grade")
        self.assertFalse(self._history(buyer), "history is kept on the customer, not its contacts")
        self.assertEqual(len(self._history(company)), 1)

    def test_contact_moving_to_another_company_takes_its_grade(self):
        big = self._customer("Big Buyer Inc")
        self._order(big, 400_000)
        self.env["res.partner"].action_tiering_regrade()
        person = self.env["res.partner"].create({"name": "Freelance Agent"})
        self.assertEqual(person.tiering_star_grade, "0")
        person.parent_id = big
        self.assertEqual(self._grade(person), ("3", 400_000.0))

    def test_two_companies_grade_a_shared_customer_each_with_its_own_settings(self):
        other = self._make_company("Tiering Trading HK", tiering_threshold_1=5_000, tiering_threshold_2=10_000)
        shared = self._customer("Shared Buyer Pty")
        self._order(shared, 12_000)
        self._order(shared, 30_000, company=other)
        self.env["res.partner"].action_tiering_regrade()
        self.env["res.partner"].with_company(other).action_tiering_regrade()
        self.assertEqual(self._grade(shared), ("0", 12_000.0))
        self.assertEqual(self._grade(shared, other), ("2", 30_000.0))

    def test_customer_of_one_company_is_graded_there_only(self):
        other = self._make_company("Tiering Trading HK")
        local = self._customer("Local Buyer", company_id=self.company.id)
        self._order(local, 70_000)
        self.env["res.partner"].action_tiering_regrade()
        self.env["res.partner"].with_company(other).action_tiering_regrade()
        self.assertEqual(self._grade(local), ("2", 70_000.0))
        self.assertFalse(local.with_company(other).sudo().tiering_date)
        self.assertFalse(self._history(local, other))

    def test_full_years_basis_averages_and_skips_excluded_years(self):
        partner = self._customer("Osaka Interiors KK")
        year = self.today.year
        for offset, amount in ((1, 100_000), (2, 40_000), (3, 60_000)):
            self._order(partner, amount, date=datetime(year - offset, 6, 15, 12))
        self._order(partner, 5_000_000, date=datetime(year, 1, 2, 12))  # this year: not a full year
        self.company.write({"tiering_basis": "full_years", "tiering_years": 2})
        self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(self._grade(partner), ("2", 70_000.0))
        self.company.tiering_excluded_years = str(year - 2)
        self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(self._grade(partner), ("2", 80_000.0))
        self.company.write({"tiering_years": 1, "tiering_excluded_years": False})
        self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(self._grade(partner), ("2", 100_000.0))

    def test_history_written_only_on_change(self):
        partner = self._customer("Sydney Decking")
        self._order(partner, 60_000)
        changes = self.env["res.partner"]._tiering_regrade(self.company)
        self.assertEqual(list(changes), [partner.id])
        history = self._history(partner)
        self.assertEqual(
            (history.old_star, history.new_star, history.source, history.direction), ("0", "2", "auto", "up")
        )
        self.assertEqual(history.annual_amount, 60_000.0)
        graded_on = partner.tiering_date
        write_date = partner.write_date

        self.assertEqual(self.env["res.partner"]._tiering_regrade(self.company), {})
        self.assertEqual(self._history(partner), history)
        self.assertEqual(partner.write_date, write_date, "a regrade that changes nothing writes nothing")

        self._order(partner, 5_000)  # amount moves, grade stays
        self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(self._grade(partner), ("2", 65_000.0))
        self.assertEqual(self._history(partner), history)
        self.assertEqual(partner.tiering_date, graded_on)

        self._order(partner, 300_000)
        self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(len(self._history(partner)), 2)
        self.assertEqual(self._history(partner)[-1].new_star, "3")

    def test_new_thresholds_regrade_unchanged_amounts(self):
        partner = self._customer("Threshold Co")
        self._order(partner, 45_000)
        self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(self._grade(partner), ("1", 45_000.0))
        self.company.tiering_threshold_2 = 45_000
        self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(self._grade(partner), ("2", 45_000.0), "an amount on the new threshold gets the grade")
        self.company.tiering_threshold_2 = 45_000.01
        self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(self._grade(partner), ("1", 45_000.0))

    def test_grade_change_is_tracked_in_the_chatter(self):
        partner = self._customer("Cape Town Doors")
        self._order(partner, 320_000)
        self.env["res.partner"].action_tiering_regrade()
        message = partner.message_ids.filtered(lambda m: m.tracking_value_ids)[:1]
        self.assertTrue(message)
        tracked = {
            value.field_id.name: (value.old_value_char, value.new_value_char) for value in message.tracking_value_ids
        }
        self.assertEqual(
            tracked, {"tiering_star_grade": ("0 stars", "3 stars"), "tiering_star_grade_actual": ("0 stars", "3 stars")}
        )
        self.assertIn("Tiering Export Co", message.body)
        self.assertIn("320,000.00", message.body)

    def test_regrading_a_recordset_grades_only_those_customers(self):
        first, second = self._customer("First"), self._customer("Second")
        self._order(first, 25_000)
        self._order(second, 25_000)
        first.action_tiering_regrade()
        self.assertEqual(self._grade(first), ("1", 25_000.0))
        self.assertEqual(self._grade(second), ("0", 0.0))

    def test_regrading_a_contact_grades_its_company(self):
        company = self._customer("Manila Hardware")
        contact = self.env["res.partner"].create({"name": "Maria", "parent_id": company.id})
        self._order(company, 25_000)
        contact.action_tiering_regrade()
        self.assertEqual(self._grade(company), ("1", 25_000.0))

    def test_customer_losing_all_orders_falls_to_zero(self):
        partner = self._customer("Fading Buyer")
        order = self._order(partner, 350_000)
        self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(self._grade(partner), ("3", 350_000.0))
        order.date_order = datetime.combine(self.today - timedelta(days=400), datetime.min.time())
        self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(self._grade(partner), ("3", 0.0), "a key account keeps its grade for the grace period")
        self.assertEqual(partner.tiering_star_grade_actual, "0")
        with freeze_time(self.today + timedelta(days=30)):
            self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(self._grade(partner), ("0", 0.0))
        self.assertEqual(self._history(partner)[-1].direction, "down")


@tagged("post_install", "-at_install")
class TestIncrementalRegrade(TieringCase):
    def test_confirming_an_order_regrades_its_customer_at_commit(self):
        partner = self._customer("Incremental Imports")
        contact = self.env["res.partner"].create({"name": "Buyer", "parent_id": partner.id})
        order = self._order(contact, 55_000, confirm=False)
        order.action_confirm()
        self.assertEqual(self._grade(partner), ("0", 0.0), "regrades run when the transaction commits")
        self._run_commit_hooks()
        self.assertEqual(self._grade(partner), ("2", 55_000.0))

    def test_cancelling_an_order_regrades_its_customer(self):
        partner = self._customer("Cancelling Co")
        order = self._order(partner, 55_000)
        self._run_commit_hooks()
        self.assertEqual(self._grade(partner), ("2", 55_000.0))
        order._action_cancel()
        self._run_commit_hooks()
        self.assertEqual(self._grade(partner), ("0", 0.0))

    def test_amount_change_after_confirmation_regrades(self):
        partner = self._customer("Growing Co")
        order = self._order(partner, 45_000)
        self._run_commit_hooks()
        self.assertEqual(self._grade(partner), ("1", 45_000.0))
        order.order_line.write({"product_uom_qty": 2, "price_unit": 45_000})
        self._run_commit_hooks()
        self.assertEqual(self._grade(partner), ("2", 90_000.0))

    def test_full_and_incremental_regrade_agree(self):
        partners = [self._customer(f"Agreeing {index}") for index in range(6)]
        for index, partner in enumerate(partners):
            self._order(partner, 15_000 * (index + 1) ** 3, currency=(self.usd, self.eur, self.cny)[index % 3])
        self._run_commit_hooks()
        incremental = {partner: self._grade(partner) for partner in partners}
        self.assertEqual({grade for grade, _amount in incremental.values()}, {"0", "2", "3", "5"})
        self.assertEqual(self.env["res.partner"]._tiering_regrade(self.company), {})
        self.assertEqual({partner: self._grade(partner) for partner in partners}, incremental)

    def test_incremental_regrade_query_count(self):
        partner = self._customer("Counted Co")
        self.env["res.partner"].create({"name": "Buyer", "parent_id": partner.id})
        self._order(partner, 25_000)
        self._run_commit_hooks()
        order = self._order(partner, 400_000, confirm=False)
        order.action_confirm()
        self.env.flush_all()
        with self.assertQueryCount(10):
            self._run_commit_hooks()
        self.assertEqual(self._grade(partner), ("3", 425_000.0))


@tagged("post_install", "-at_install")
class TestGradingSettings(TieringCase):
    def test_defaults(self):
        company = self.company
        self.assertEqual(company.tiering_currency_id, self.usd)
        self.assertEqual(company._tiering_thresholds(), (20_000.0, 50_000.0, 300_000.0, 1_000_000.0, 2_000_000.0))
        self.assertEqual((company.tiering_basis, company.tiering_years), ("rolling_12m", 2))

    def _set_thresholds(self, *thresholds):
        self.company.write({f"tiering_threshold_{star}": value for star, value in enumerate(thresholds, start=1)})

    def test_thresholds_must_be_positive_and_ascending(self):
        with self.assertRaisesRegex(
            ValidationError,
            r"3-star threshold \(\$\xa040,000.00\) must be higher than the 2-star threshold \(\$\xa050,000.00\)",
        ):
            self._set_thresholds(20_000, 50_000, 40_000, 1_000_000, 2_000_000)
        with self.assertRaisesRegex(ValidationError, "5-star threshold"):
            self._set_thresholds(20_000, 50_000, 300_000, 1_000_000, 1_000_000)
        with self.assertRaisesRegex(ValidationError, "1-star threshold must be greater than zero"):
            self._set_thresholds(0, 50_000, 300_000, 1_000_000, 2_000_000)
        with self.assertRaisesRegex(ValidationError, "2-star threshold must be greater than zero"):
            self._set_thresholds(20_000, -10, 300_000, 1_000_000, 2_000_000)
        self._set_thresholds(10, 20, 30, 40, 50)
        self.assertEqual(self.company._tiering_thresholds(), (10, 20, 30, 40, 50))

    def test_years_must_be_between_one_and_five(self):
        for years in (0, 6):
            with self.assertRaisesRegex(ValidationError, "between 1 and 5"):
                self.company.tiering_years = years

    def test_excluded_years_must_be_well_formed(self):
        with self.assertRaisesRegex(ValidationError, '"20x0" is not a year'):
            self.company.tiering_excluded_years = "2020, 20x0"
        self.company.tiering_excluded_years = "2020, 2021"

    def test_settings_form_rejects_descending_thresholds(self):
        form = Form(self.env["res.config.settings"])
        form.tiering_threshold_4 = 100_000
        with self.assertRaisesRegex(ValidationError, "4-star threshold"):
            form.save()
        self.assertEqual(self.company.tiering_threshold_4, 1_000_000.0)

    def test_settings_form_saves_grading_settings(self):
        form = Form(self.env["res.config.settings"])
        form.tiering_basis = "full_years"
        form.tiering_years = 3
        form.tiering_excluded_years = "2020"
        form.tiering_threshold_1 = 10_000
        form.save().execute()
        self.assertEqual(
            (self.company.tiering_basis, self.company.tiering_years, self.company.tiering_excluded_years),
            ("full_years", 3, "2020"),
        )
        self.assertEqual(self.company.tiering_threshold_1, 10_000.0)

    def test_regrade_now_button(self):
        partner = self._customer("Button Co")
        self._order(partner, 75_000)
        settings = self.env["res.config.settings"].create({})
        action = settings.action_tiering_regrade_now()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("1 customers", action["params"]["message"])
        self.assertEqual(self._grade(partner), ("2", 75_000.0))

    def test_sale_order_shows_the_customer_grade(self):
        partner = self._customer("Order View Co")
        self._order(partner, 1_200_000)
        self.env["res.partner"].action_tiering_regrade()
        order = self._order(partner, 10, confirm=False)
        self.assertEqual((order.tiering_partner_star_grade, order.tiering_partner_grade_category), ("4", "key"))

    def test_cron_regrades_every_company(self):
        partner = self._customer("Cron Co")
        self._order(partner, 25_000)
        self.env.ref("trade_crm_tiering.ir_cron_tiering_regrade").method_direct_trigger()
        self.assertEqual(self._grade(partner), ("1", 25_000.0))

    def test_history_smart_button(self):
        partner = self._customer("Smart Button Co")
        self._order(partner, 25_000)
        self.env["res.partner"].action_tiering_regrade()
        self.assertEqual(partner.tiering_grade_history_count, 1)
        action = partner.action_view_grade_history()
        self.assertEqual(self.env["trade.grade.history"].search(action["domain"]), self._history(partner))

    def test_group_by_star_grade(self):
        for index, amount in enumerate((25_000, 26_000, 60_000)):
            self._order(self._customer(f"Grouped {index}"), amount)
        self.env["res.partner"].action_tiering_regrade()
        groups = self.env["res.partner"]._read_group(
            [("name", "like", "Grouped %")], ["tiering_star_grade", "tiering_grade_category"], ["__count"]
        )
        self.assertEqual(sorted(groups), [("1", "ordinary", 2), ("2", "ordinary", 1)])

    def test_rolling_window_moves_with_the_date(self):
        partner = self._customer("Time Travel Co")
        self._order(partner, 20_000, date=datetime(2024, 3, 1, 12))
        with freeze_time(date(2025, 2, 28)):
            self.env["res.partner"].action_tiering_regrade()
            self.assertEqual(self._grade(partner), ("1", 20_000.0))
        with freeze_time(date(2025, 3, 1)):
            self.env["res.partner"].action_tiering_regrade()
            self.assertEqual(self._grade(partner), ("0", 0.0))
