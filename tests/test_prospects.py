from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, tagged
from odoo.tools import SQL

from ..trade_crm_tiering import grading
from .test_service_tiers import TierCase

CRONS = (
    "trade_crm_tiering.ir_cron_tiering_regrade",
    "trade_crm_tiering.ir_cron_tiering_scoring",
    "trade_crm_tiering.ir_cron_tiering_cadence",
)


class ProspectCase(TierCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stages = cls.env["crm.stage"].search([("is_won", "=", False)], order="sequence, id")
        cls.thresholds = cls.company._tiering_thresholds()

    def _run_nightly(self):
        """The nightly passes as their scheduled actions run them, as the cron's user."""
        for xmlid in CRONS:
            self.env.ref(xmlid).method_direct_trigger()

    def _prospect(self, name, user=None):
        """A new company contact, created by ``user`` (the rep) from the contact form."""
        user = user or self.rep
        form = Form(self.env["res.partner"].with_user(user))
        form.company_type = "company"
        form.name = name
        partner = form.save()
        # The rep's own customer (the supervisor assigns it, as reps cannot).
        partner.with_user(self.supervisor).write({"user_id": user.id, "team_id": self.team.id})
        return partner.with_user(user)

    def _lead(self, partner, user=None, **vals):
        user = user or self.rep
        values = {"name": f"Inquiry from {partner.name}", "partner_id": partner.id, "type": "lead", **vals}
        lead = self.env["crm.lead"].with_user(user).with_context(allowed_company_ids=self.company.ids).create(values)
        self._run_commit_hooks()
        return lead

    def _quotation(self, partner, amount, user=None):
        user = user or self.rep
        order = (
            self.env["sale.order"]
            .with_user(user)
            .with_company(self.company)
            .create(
                {
                    "partner_id": partner.id,
                    "pricelist_id": self._pricelist(self.usd, self.company).id,
                    "order_line": [
                        Command.create(
                            {"product_id": self.product.id, "product_uom_qty": 1, "price_unit": amount, "tax_id": []}
                        )
                    ],
                }
            )
        )
        self._run_commit_hooks()
        return order

    def _forget_tiering(self, *partners):
        """As before this version: prospects that were never tiered (nothing stored in the company)."""
        self.env.flush_all()
        cid = str(self.company.id)
        columns = ("tiering_date", "tiering_service_tier_id", "tiering_next_follow_up_date", "tiering_next_review_date")
        self.env.execute_query(
            SQL(
                "UPDATE res_partner SET %s WHERE commercial_partner_id = ANY(%s)",
                SQL(", ").join(SQL("%s = %s - %s", SQL.identifier(c), SQL.identifier(c), cid) for c in columns),
                [partner.id for partner in partners],
            )
        )
        self.env.invalidate_all()

    def _tiering(self, partner):
        partner = partner.sudo().with_company(self.company)
        partner.invalidate_recordset()
        return partner.tiering_service_tier_id, partner.tiering_date, partner.tiering_next_follow_up_date


@tagged("post_install", "-at_install")
class TestProspectTiering(ProspectCase):
    def test_first_lead_tiers_the_prospect_at_once(self):
        prospect = self._prospect("Lagos Timber Importers")
        self.assertEqual(self._tiering(prospect), (self.tiers["D"], False, False), "not tiered before its lead")
        lead = self._lead(prospect)
        # D: follow-up every 60 days; the lead is the last interaction
        self.assertEqual(self._tiering(prospect), (self.tiers["D"], self.today, self.today + timedelta(days=60)))
        self.assertEqual(prospect.sudo().tiering_last_interaction_date, self.today)
        self.assertEqual(self._tier_activities(prospect, "mail_activity_type_tier_follow_up").user_id, self.rep)
        # its contact shows the company's tiering, as grades are shown
        buyer = self.env["res.partner"].with_user(self.rep).create({"name": "Ade Buyer", "parent_id": prospect.id})
        self.assertEqual(buyer.with_company(self.company).tiering_date, self.today)
        self.assertEqual(lead.partner_id, prospect)

    def test_lead_of_a_contact_tiers_its_company(self):
        prospect = self._prospect("Accra Build Supplies")
        person = self.env["res.partner"].with_user(self.rep).create({"name": "Kofi Mensah", "parent_id": prospect.id})
        self._lead(person)
        self.assertEqual(self._tiering(prospect)[:2], (self.tiers["D"], self.today))
        self.assertEqual(self._tiering(person)[:2], (self.tiers["D"], self.today))

    def test_first_quotation_tiers_the_prospect(self):
        prospect = self._prospect("Nairobi Doors Ltd")
        self._quotation(prospect, 12_000)
        self.assertEqual(self._tiering(prospect), (self.tiers["D"], self.today, self.today + timedelta(days=60)))

    def test_nightly_pass_tiers_every_prospect_of_the_company(self):
        with_lead, with_opportunity = self._prospect("Dakar Panels"), self._prospect("Abidjan Wood")
        with_quotation, with_nothing = self._prospect("Tunis Floors"), self._prospect("Cairo Idle")
        self._lead(with_lead)
        self._lead(with_opportunity, type="opportunity")
        self._quotation(with_quotation, 8_000)
        self._forget_tiering(with_lead, with_opportunity, with_quotation)
        other = self._make_company("Second Export Co")
        self.assertEqual(self._tiering(with_lead)[1], False)
        self._run_nightly()
        for prospect in (with_lead, with_opportunity, with_quotation):
            self.assertEqual(
                self._tiering(prospect), (self.tiers["D"], self.today, self.today + timedelta(days=60)), prospect.name
            )
            self.assertFalse(prospect.sudo().with_company(other).tiering_date, "tiered in the lead's company only")
            self.assertEqual(prospect.sudo().tiering_star_grade, "0")
        self.assertFalse(self._tiering(with_nothing)[1], "a contact without lead or quotation is no prospect")
        self.assertFalse(self._history(with_lead), "no grade moved")
        # a second night changes nothing
        tiered_on = self._tiering(with_lead)[1]
        with freeze_time(self.today + timedelta(days=1)):
            self._run_nightly()
        self.assertEqual(self._tiering(with_lead)[1], tiered_on)

    def test_a_graded_customer_keeps_its_grade(self):
        key = self._key_account("Valencia Cocinas SL")
        tier_before, date_before = key.tiering_service_tier_id, key.tiering_date
        self._lead(key)
        self._run_nightly()
        self.assertEqual((key.tiering_service_tier_id, key.tiering_date), (tier_before, date_before))
        self.assertNotEqual(key.tiering_service_tier_id, self.tiers["D"])

    def test_lost_leads_make_no_prospect(self):
        prospect = self._prospect("Lome Traders")
        lead = self._lead(prospect)
        lead.with_user(self.rep).action_set_lost()
        self._forget_tiering(prospect)
        self._run_nightly()
        self.assertFalse(self._tiering(prospect)[1])

    def test_prospect_goes_back_to_the_pool_after_its_tier_cadence(self):
        self.team.member_ids |= self.other_rep
        prospect = self._prospect("Kampala Joinery")
        self._lead(prospect)
        self._forget_tiering(prospect)
        self._run_nightly()
        # D releases after 30 days without interaction, with a warning a week before
        with freeze_time(self.today + timedelta(days=22)):
            self._run_nightly()
        self.assertFalse(self._tier_activities(prospect, "mail_activity_type_pool_warning"))
        with freeze_time(self.today + timedelta(days=23)):
            self._run_nightly()
        self.assertEqual(self._tier_activities(prospect, "mail_activity_type_pool_warning").user_id, self.rep)
        with freeze_time(self.today + timedelta(days=30)):
            self._run_nightly()
        prospect = prospect.sudo()
        self.assertFalse(prospect.user_id)
        self.assertEqual(prospect.tiering_pool_previous_user_id, self.rep)
        self.assertEqual(prospect.team_id, self.team)
        # a teammate claims it from the pool
        prospect.with_user(self.other_rep).action_pool_claim()
        self.assertEqual(prospect.user_id, self.other_rep)

    def test_work_on_its_lead_keeps_the_prospect(self):
        prospect = self._prospect("Kigali Frames")
        lead = self._lead(prospect)
        with freeze_time(self.today + timedelta(days=25)):
            lead.with_user(self.rep).message_post(body="Called about the sample order", message_type="comment")
            self._run_commit_hooks()
        with freeze_time(self.today + timedelta(days=30)):
            self._run_nightly()
        self.assertEqual(prospect.sudo().user_id, self.rep)
        self.assertEqual(self._tiering(prospect)[2], self.today + timedelta(days=85))


@tagged("post_install", "-at_install")
class TestProspectScores(ProspectCase):
    def test_prospect_potential_from_ratings_and_lead_data(self):
        prospect = self._prospect("Durban Decking")
        prospect.write({"tiering_rating_industry": "5", "tiering_rating_size": "3"})
        self._lead(
            prospect,
            type="opportunity",
            stage_id=self.stages[0].id,
            expected_revenue=60_000,
            probability=40,
        )
        self._run_nightly()
        partner = prospect.with_company(self.company)
        partner.invalidate_recordset()
        # ratings 100 and 50; 60,000 is 2 stars -> 40; probability 40; first open stage of n: 100 / (n + 2)
        self.assertEqual(grading.band(60_000, self.thresholds), 2)
        stage = 100 / (len(self.stages) + 2)
        potential = int((100 + 50 + 40 + 40 + stage) / 5 + 0.5)
        self.assertEqual(partner.tiering_score_potential, potential)
        self.assertEqual(
            (partner.tiering_score_current, partner.tiering_score_difficulty, partner.tiering_score_stickiness),
            (0, 50, 0),
        )
        # default weights 40/25/15/20
        self.assertEqual(partner.tiering_score, int((0 * 40 + potential * 25 + 50 * 15 + 0 * 20) / 100 + 0.5))
        # weighted revenue 24,000 below the customers' median of 60,000; no effort: small, maintain
        self.assertEqual(partner.tiering_value_class, "maintain")
        self.assertFalse(partner.tiering_scored_on, "not scored from orders")
        # in the score lists and the value matrix, as the rep sees them
        partners = self.env["res.partner"].with_user(self.rep).with_company(self.company)
        self.assertIn(prospect, partners.search([("tiering_score", ">", 0)]))
        groups = partners._read_group([("id", "=", prospect.id)], ["tiering_value_class"], ["__count"])
        self.assertEqual(groups, [("maintain", 1)])
        with Form(prospect) as form:
            self.assertEqual(form.tiering_score_potential, potential)

    def test_value_matrix_consequences_leave_prospects_alone(self):
        # A prospect counts as low margin, so its estimated class is one the article would drop.
        self.env["trade.matrix.consequence"].create(
            [
                {"company_id": self.company.id, "tiering_value_class": tiering_value_class, "action": "release_to_pool"}
                for tiering_value_class in ("maintain", "let_go")
            ]
        )
        prospect = self._prospect("Natal Veneers")
        self._lead(prospect, type="opportunity", stage_id=self.stages[0].id, expected_revenue=20_000, probability=30)
        self._run_nightly()
        partner = prospect.with_company(self.company)
        partner.invalidate_recordset()
        self.assertIn(partner.tiering_value_class, ("maintain", "let_go"))
        self.assertEqual(partner.user_id, self.rep, "still the rep's: no consequence on an estimate")

    def test_quotation_further_along_the_pipeline_scores_higher(self):
        early, late = self._prospect("Early Prospect"), self._prospect("Late Prospect")
        self._lead(early)
        order = self._quotation(late, 500_000)
        order.sudo().write({"state": "sent"})
        self._run_nightly()
        early, late = early.with_company(self.company), late.with_company(self.company)
        # early: a lead (stage 0) and its probability; late: a sent quotation (stage 100), 3 stars
        self.assertEqual(late.tiering_score_potential, 80)
        self.assertLess(early.tiering_score_potential, late.tiering_score_potential)
        self.assertEqual(late.tiering_value_class, "volume_base", "500,000 quoted is a big order, its margin unknown")

    def test_first_order_replaces_the_prospect_scores_and_lost_prospects_are_cleared(self):
        buyer, lost = self._prospect("Converted Co"), self._prospect("Lost Co")
        self._lead(buyer, expected_revenue=30_000, probability=50)
        lost_lead = self._lead(lost, expected_revenue=30_000, probability=50)
        self._run_nightly()
        self.assertTrue(lost.with_company(self.company).tiering_value_class)
        self._order(buyer.sudo(), 30_000, days_ago=0)
        lost_lead.with_user(self.rep).action_set_lost()
        self._run_nightly()
        buyer, lost = buyer.with_company(self.company), lost.with_company(self.company)
        buyer.invalidate_recordset()
        lost.invalidate_recordset()
        self.assertTrue(buyer.tiering_scored_on, "a customer now, scored from its orders")
        self.assertEqual(buyer.tiering_orders_12m, 1)
        self.assertEqual(buyer.tiering_star_grade, "1")
        self.assertEqual(
            (lost.tiering_score, lost.tiering_score_potential, lost.tiering_value_class),
            (0, 0, False),
            "no prospect any more",
        )
        self.assertEqual(lost.tiering_date, self.today, "once tiered, it stays a customer of the company")

    def test_second_night_writes_nothing(self):
        prospect = self._prospect("Steady Prospect")
        self._lead(prospect, expected_revenue=30_000, probability=50)
        self._run_nightly()
        self.assertTrue(prospect.with_company(self.company).tiering_score_potential)
        scoring = self.env["trade.tiering.scoring"]
        self.assertEqual(scoring._score_prospects(self.company), {"prospects": 1, "changed": 0})


@tagged("post_install", "-at_install")
class TestProspectAttacks(ProspectCase):
    """What a rep could try over RPC to tier a prospect by hand: refused."""

    def test_rep_cannot_write_tier_or_dates(self):
        prospect = self._prospect("Forged Co")
        for name, value in (
            ("tiering_date", "2020-01-01"),
            ("tiering_service_tier_id", self.tiers["A"].id),
            ("tiering_next_follow_up_date", "2030-01-01"),
            ("tiering_score_potential", 99),
            ("tiering_value_class", "treasure"),
        ):
            with self.assertRaisesRegex(AccessError, "cannot be edited"):
                prospect.write({name: value})

    def test_rep_cannot_create_a_tiered_partner(self):
        partners = self.env["res.partner"].with_user(self.rep)
        for name, value in (("tiering_date", "2020-01-01"), ("tiering_service_tier_id", self.tiers["A"].id)):
            with self.assertRaisesRegex(AccessError, "cannot be edited"):
                partners.create({"name": "Forged Create", "is_company": True, name: value})

    def test_default_context_keys_give_no_tier(self):
        context = {
            "default_tiering_date": "2020-01-01",
            "default_tiering_service_tier_id": self.tiers["A"].id,
            "default_tiering_next_follow_up_date": "2030-01-01",
            "default_tiering_score_potential": 99,
        }
        partner = (
            self.env["res.partner"]
            .with_user(self.rep)
            .with_context(**context)
            .create({"name": "Forged Defaults", "is_company": True})
        )
        self.assertEqual(self._tiering(partner), (self.tiers["D"], False, False))
        # nor through a lead or a quotation created with them
        self.env["crm.lead"].with_user(self.rep).with_context(**context).create(
            {"name": "Forged inquiry", "partner_id": partner.id}
        )
        self._run_commit_hooks()
        self.assertEqual(self._tiering(partner)[:2], (self.tiers["D"], self.today))
        self.assertEqual(partner.sudo().with_company(self.company).tiering_score_potential, 0)

    def test_copy_of_a_prospect_is_not_tiered(self):
        prospect = self._prospect("Original Prospect")
        self._lead(prospect)
        copy = prospect.copy({"name": "Copied Prospect", "tiering_date": "2020-01-01"})
        self.assertEqual(self._tiering(copy), (self.tiers["D"], False, False))
