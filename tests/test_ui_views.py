"""What a rep and a manager meet in the browser (#16): settings, lists, kanban cards, forms.

The views are read as the user reads them (``get_view`` with the user's groups applied), and the
behaviour behind them (group order, discounts) is run as that user.
"""

from datetime import timedelta

from freezegun import freeze_time
from lxml import etree

from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .test_service_tiers import TierCase

ADMIN_GROUPS = "base.group_system,sales_team.group_sale_manager"


def _arch(model, view_type, view_id=None):
    return etree.fromstring(model.get_view(view_id, view_type)["arch"])


@tagged("post_install", "-at_install")
class TestUiViews(TierCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls._user("tier_ui_admin", ADMIN_GROUPS, "Ada Admin")

    def _partners(self, user):
        return self.env["res.partner"].with_user(user)

    # ------------------------------------------------------------------
    # Discount authority needs Sales' Discounts setting (item 4)
    # ------------------------------------------------------------------

    def test_installing_leaves_the_discounts_setting_to_the_administrator(self):
        discounts = self.env.ref("sale.group_discount_per_so_line")
        self.assertNotIn(discounts, self.env.ref("base.group_user").implied_ids, "Odoo's default is kept")
        form = _arch(self.env["sale.order"].with_user(self.rep), "form", self.env.ref("sale.view_order_form").id)
        column = "//field[@name='order_line']//list//field[@name='discount']"
        self.assertFalse(form.xpath(column))
        settings = self.env["res.config.settings"].with_user(self.admin).create({"group_discount_per_so_line": True})
        settings.execute()
        self.assertTrue(self.rep.has_group("sale.group_discount_per_so_line"))
        form = _arch(self.env["sale.order"].with_user(self.rep), "form", self.env.ref("sale.view_order_form").id)
        self.assertTrue(form.xpath(column), "once the administrator turns it on, reps see the Discount column")

    def test_settings_point_to_the_discounts_setting(self):
        settings = self.env["res.config.settings"].with_user(self.admin)
        arch = _arch(settings, "form", self.env.ref("base.res_config_settings_view_form").id)
        [hint] = arch.xpath("//setting[@id='tiering_service_tiers']//div[hasclass('o_tct_discount_hint')]")
        self.assertEqual(hint.get("invisible"), "group_discount_per_so_line")
        self.assertIn("Discounts", etree.tostring(hint, encoding="unicode"))
        # The setting it names is on the same page.
        self.assertTrue(arch.xpath("//field[@name='group_discount_per_so_line']"))

    # ------------------------------------------------------------------
    # Lists and kanban cards (item 5)
    # ------------------------------------------------------------------

    def test_partner_list_has_room_for_five_stars_and_the_tier(self):
        arch = _arch(self._partners(self.rep), "list", self.env.ref("base.view_partner_tree").id)
        [star] = arch.xpath("//field[@name='tiering_star_grade']")
        self.assertEqual((star.get("widget"), star.get("width")), ("priority", "110px"))
        [tier] = arch.xpath("//field[@name='tiering_service_tier_id']")
        self.assertEqual(tier.get("width"), "130px")

    def test_order_lists_have_one_labelled_priority_star(self):
        orders = self.env["sale.order"].with_user(self.rep)
        for xmlid in ("sale.view_quotation_tree", "sale.view_order_tree", "sale.view_quotation_tree_with_onboarding"):
            arch = _arch(orders, "list", self.env.ref(xmlid).id)
            stars = arch.xpath("//field[@widget='boolean_favorite']")
            self.assertEqual([star.get("name") for star in stars], ["tiering_priority"], xmlid)
            self.assertEqual(stars[0].get("string"), "Priority Order", xmlid)
            self.assertFalse(stars[0].get("nolabel"), xmlid)

    def test_kanban_card_labels_the_grade_and_shows_the_tier(self):
        arch = _arch(self._partners(self.rep), "kanban", self.env.ref("base.res_partner_kanban_view").id)
        [box] = arch.xpath("//div[hasclass('o_tct_kanban_grade')]")
        self.assertEqual(box.xpath("./span/text()"), ["Star Grade"])
        self.assertEqual(box.xpath("./field/@name"), ["tiering_star_grade", "tiering_service_tier_id"])
        self.assertEqual(box.xpath("./field[@name='tiering_service_tier_id']/@widget"), ["badge"])
        self.assertTrue(arch.xpath("//field[@name='opportunity_count']"), "CRM's counter stays")

    def test_group_by_grade_lists_five_stars_first(self):
        vip = self._key_account("Dubai Palace Interiors", 2_500_000)
        key = self._key_account("Valencia Cocinas SL", 400_000)
        small = self._customer("Porto Cortica Lda", user_id=self.rep.id)
        self._order(small, 1_000)
        small.action_tiering_regrade()
        customers = vip | key | small | self.customer
        domain = [("id", "in", customers.ids)]
        partners = self._partners(self.supervisor)
        groups = partners.read_group(domain, ["tiering_star_grade"], ["tiering_star_grade"])
        self.assertEqual([group["tiering_star_grade"] for group in groups], ["5", "3", "2", "0"])
        # As the web client asks: no order at all.
        groups = partners.web_read_group(domain, ["tiering_star_grade"], ["tiering_star_grade"], orderby="")["groups"]
        self.assertEqual([group["tiering_star_grade"] for group in groups], ["5", "3", "2", "0"])
        self.assertEqual(
            [star for star, _count in partners._read_group(domain, ["tiering_star_grade"], ["__count"])],
            ["5", "3", "2", "0"],
        )
        # A click on the column header still sorts as asked.
        groups = partners.read_group(
            domain, ["tiering_star_grade"], ["tiering_star_grade"], orderby="tiering_star_grade asc"
        )
        self.assertEqual([group["tiering_star_grade"] for group in groups], ["0", "2", "3", "5"])
        # Other group-bys keep Odoo's order.
        groups = partners.read_group(domain, ["tiering_grade_category"], ["tiering_grade_category"])
        self.assertEqual([group["tiering_grade_category"] for group in groups], ["key", "ordinary", "vip"])

    # ------------------------------------------------------------------
    # Settings (item 7)
    # ------------------------------------------------------------------

    def test_concentration_limits_sit_under_their_headers(self):
        settings = self.env["res.config.settings"].with_user(self.admin)
        arch = _arch(settings, "form", self.env.ref("base.res_config_settings_view_form").id)
        [grid] = arch.xpath("//setting[@id='tiering_concentration']//table")
        headers = [th.xpath("string()").strip() for th in grid.xpath("./thead/tr/th")]
        self.assertEqual(headers, ["", "Moderate from", "High above", "Critical above"])
        expected = {"moderate": 1, "high": 2, "critical": 3}
        for row in grid.xpath("./tbody/tr"):
            cells = row.xpath("./td")
            self.assertEqual(len(cells), len(headers))
            for column, cell in enumerate(cells):
                for name in cell.xpath("./field/@name"):
                    self.assertEqual(expected[name.rsplit("_", 1)[1]], column, name)
        self.assertEqual(len(grid.xpath(".//field")), 7)

    def test_claim_cap_unit_stays_on_its_line(self):
        settings = self.env["res.config.settings"].with_user(self.admin)
        arch = _arch(settings, "form", self.env.ref("base.res_config_settings_view_form").id)
        for name in ("tiering_claim_cap", "tiering_claim_cooldown_days"):
            [value] = arch.xpath(f"//field[@name='{name}']/..")
            self.assertIn("text-nowrap", value.get("class"), name)

    # ------------------------------------------------------------------
    # Forms and lists (item 10)
    # ------------------------------------------------------------------

    def test_customer_form_says_which_amount_is_nightly(self):
        arch = _arch(self._partners(self.rep), "form", self.env.ref("base.view_partner_form").id)
        [annual] = arch.xpath("//field[@name='tiering_annual_amount']")
        self.assertIn("as soon as an order is confirmed", annual.get("help"))
        [twelve] = arch.xpath("//field[@name='tiering_amount_12m']")
        self.assertEqual(twelve.get("string"), "Sales, Last 12 Months (Nightly)")
        self.assertIn("nightly scoring", twelve.get("help"))
        self.assertTrue(arch.xpath("//div[hasclass('o_tct_scores_nightly')]"))

    def test_team_pool_lists_release_dates_and_claims(self):
        action = self.env.ref("trade_crm_tiering.action_trade_team_pool")
        self.assertIs(safe_eval(action.context)["create"], False)
        views = {view.view_mode: view.view_id for view in action.view_ids}
        self.assertEqual(views["list"], self.env.ref("trade_crm_tiering.view_partner_tree_team_pool"))
        arch = _arch(self._partners(self.other_rep), "list", views["list"].id)
        self.assertEqual(arch.get("create"), "0")
        self.assertTrue(arch.xpath("//field[@name='tiering_pool_released_date']"))
        self.assertEqual(len(arch.xpath("//button[@name='action_pool_claim']")), 2, "on the row and the selection")
        # What the row's button does, as the teammate who clicks it.
        self.team.member_ids |= self.other_rep
        customer = self._customer("Pool Claimed From The List", user_id=self.rep.id, team_id=self.team.id)
        self._order(customer, 1_000, days_ago=0)
        customer.action_tiering_regrade()
        released_on = self.today + timedelta(days=30)  # the developing tier's release delay
        with freeze_time(released_on):
            self.cadence._run(self.company)
            self.assertEqual(customer.tiering_pool_released_date, released_on)
            pool = self._partners(self.other_rep).search(safe_eval(action.domain, {"uid": self.other_rep.id}))
            self.assertIn(customer, pool)
            pool.filtered(lambda partner: partner == customer).action_pool_claim()
        self.assertEqual(customer.user_id, self.other_rep)

    def test_missing_backups_has_no_new_button(self):
        action = self.env.ref("trade_crm_tiering.action_trade_missing_backups")
        self.assertIs(safe_eval(action.context)["create"], False)
