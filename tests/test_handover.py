import base64
from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import REP_GROUPS, ApprovalCase, read_xlsx

TODO = "mail.mail_activity_data_todo"


class HandoverCase(ApprovalCase):
    """The rep leaves: customers of every tier, with leads, quotations and activities, and
    colleagues to receive them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.tiering_auto_upgrade = "apply"
        cls.tiers = cls._tiers_by_code()
        cls.third_rep = cls._user("tier_rep3", REP_GROUPS, "Tina Rep")
        cls.team.member_ids |= cls.other_rep | cls.third_rep
        cls.key = cls._graded("Valencia Cocinas SL", 400_000)  # B
        cls.general = cls._graded("Lyon Decor SAS", 60_000)  # C
        cls.small = cls._graded("Lisbon Casa Lda", 1_000)  # D

    @classmethod
    def _graded(cls, name, amount, **vals):
        customer = cls._customer(name, user_id=cls.rep.id, team_id=cls.team.id, **vals)
        cls._order(customer, amount)
        customer.action_tiering_regrade()
        return customer

    def _wizard(self, user=None, **values):
        context = values.pop("context", {})
        wizard = Form(self.env["trade.handover.wizard"].with_user(user or self.supervisor).with_context(**context))
        for name, value in values.items():
            setattr(wizard, name, value)
        return wizard.save()

    def _hand_over(self, **values):
        wizard = self._wizard(**{"from_user_id": self.rep, "receiver_id": self.other_rep, **values})
        action = wizard.action_confirm()
        return self.env["trade.handover"].browse(action["res_id"])

    def _activities(self, record, user=None, xmlid=None):
        domain = [("res_model", "=", record._name), ("res_id", "=", record.id)]
        if user:
            domain.append(("user_id", "=", user.id))
        if xmlid:
            domain.append(("activity_type_id", "=", self.env.ref(xmlid).id))
        return self.env["mail.activity"].search(domain)


@tagged("post_install", "-at_install")
class TestHandover(HandoverCase):
    def test_one_receiver_moves_exactly_what_it_should(self):
        buyer = self.env["res.partner"].create({"name": "Ana Buyer", "parent_id": self.key.id, "user_id": self.rep.id})
        other_customer = self._customer("Not Ravi's", user_id=self.third_rep.id, tiering_backup_user_id=self.rep.id)
        foreign = self._customer("Someone Else's", user_id=self.third_rep.id)
        leads = self.env["crm.lead"]
        open_lead = leads.create(
            {"name": "Spring order", "partner_id": buyer.id, "user_id": self.rep.id, "type": "opportunity"}
        )
        won_lead = leads.create(
            {"name": "Won deal", "partner_id": self.key.id, "user_id": self.rep.id, "type": "opportunity"}
        )
        won_lead.action_set_won()
        lost_lead = leads.create({"name": "Lost deal", "partner_id": self.key.id, "user_id": self.rep.id})
        lost_lead.action_set_lost()
        colleague_lead = leads.create({"name": "Tina's lead", "partner_id": self.key.id, "user_id": self.third_rep.id})
        foreign_lead = leads.create({"name": "Foreign lead", "partner_id": foreign.id, "user_id": self.rep.id})
        quotation = self._order(self.key, 5_000, confirm=False)
        quotation.user_id = self.rep
        confirmed = self._order(self.key, 7_000)
        confirmed.user_id = self.rep
        overdue = self.key.activity_schedule(TODO, date_deadline=self.today - timedelta(days=5), user_id=self.rep.id)
        later = open_lead.activity_schedule(TODO, date_deadline=self.today + timedelta(days=9), user_id=self.rep.id)
        kept = foreign.activity_schedule(TODO, user_id=self.rep.id)
        colleague_activity = self.key.activity_schedule(TODO, user_id=self.third_rep.id)
        self.key.message_subscribe(partner_ids=self.rep.partner_id.ids)

        handover = self._hand_over(scope="selected", partner_ids=self.key | other_customer)

        self.assertEqual(handover.state, "done")
        self.assertEqual((self.key.user_id, buyer.user_id), (self.other_rep, self.other_rep))
        self.assertEqual(
            other_customer.user_id, self.third_rep, "a customer the rep only backs up keeps its salesperson"
        )
        self.assertEqual(other_customer.tiering_backup_user_id, self.other_rep)
        self.assertEqual((self.general.user_id, self.small.user_id), (self.rep, self.rep), "not selected")
        self.assertEqual(open_lead.user_id, self.other_rep)
        self.assertEqual(won_lead.user_id | lost_lead.user_id | foreign_lead.user_id, self.rep)
        self.assertEqual(colleague_lead.user_id, self.third_rep)
        self.assertEqual((quotation.user_id, confirmed.user_id), (self.other_rep, self.rep))
        self.assertEqual((overdue.user_id, overdue.date_deadline), (self.other_rep, self.today))
        self.assertEqual((later.user_id, later.date_deadline), (self.other_rep, self.today + timedelta(days=9)))
        self.assertEqual((kept.user_id, colleague_activity.user_id), (self.rep, self.third_rep))
        self.assertIn(self.other_rep.partner_id, self.key.message_partner_ids)
        self.assertNotIn(self.rep.partner_id, self.key.message_partner_ids)
        self.assertNotIn(self.rep.partner_id, quotation.message_partner_ids)
        line = handover.line_ids.filtered(lambda line: line.partner_id == self.key)
        self.assertEqual((line.moved_leads, line.moved_quotations, line.moved_activities), (1, 1, 2))
        note = self.key.message_ids.filtered(lambda m: "Handed over" in (m.body or ""))
        self.assertIn("1 opportunities, 1 quotations and 2 activities moved", note.body)
        self.assertEqual(note.message_type, "notification", "a handover is no interaction with the customer")

    def test_key_customers_get_a_review_with_its_checklist(self):
        self._hand_over(scope="all")
        review = "trade_crm_tiering.mail_activity_type_handover_review"
        activity = self._activities(self.key, self.other_rep, review)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.date_deadline, self.today + timedelta(days=3))
        for item in ("key contacts", "open quotations", "payment status", "next step"):
            self.assertIn(item, activity.note)
        self.assertFalse(self._activities(self.general, xmlid=review) | self._activities(self.small, xmlid=review))

    def test_tier_follow_ups_follow_without_duplicates(self):
        self.env["trade.tiering.cadence"]._run(self.company)
        follow_up = "trade_crm_tiering.mail_activity_type_tier_follow_up"
        self.assertEqual(self._activities(self.key, xmlid=follow_up).user_id, self.rep)
        self._hand_over(scope="all")
        self._run_commit_hooks()
        for customer in (self.key, self.general, self.small):
            activity = self._activities(customer, xmlid=follow_up)
            self.assertEqual((len(activity), activity.user_id), (1, self.other_rep), customer.name)

    def test_backup_becoming_salesperson_is_not_its_own_backup(self):
        self.key.tiering_backup_user_id = self.other_rep
        self.general.write({"user_id": self.other_rep.id, "tiering_backup_user_id": self.rep.id})
        self._hand_over(scope="all")
        self.assertEqual((self.key.user_id, self.key.tiering_backup_user_id.id), (self.other_rep, False))
        self.assertEqual((self.general.user_id, self.general.tiering_backup_user_id.id), (self.other_rep, False))

    def test_what_moves_is_a_choice(self):
        lead = self.env["crm.lead"].create({"name": "Stay", "partner_id": self.key.id, "user_id": self.rep.id})
        quotation = self._order(self.key, 5_000, confirm=False)
        quotation.user_id = self.rep
        activity = self.key.activity_schedule(TODO, user_id=self.rep.id)
        self._hand_over(scope="all", move_leads=False, move_quotations=False, move_activities=False)
        self.assertEqual(self.key.user_id, self.other_rep)
        self.assertEqual(lead.user_id | quotation.user_id | activity.user_id, self.rep)

    def test_scope_by_tier_and_by_grade(self):
        handover = self._hand_over(scope="tiers", tier_ids=self.tiers["B"] | self.tiers["C"])
        self.assertEqual(handover.line_ids.partner_id, self.key | self.general | self.customer)
        self.assertEqual(self.small.user_id, self.rep)
        handover = self._hand_over(scope="grades", star_min="0", star_max="0")
        self.assertEqual(handover.line_ids.partner_id, self.small)

    def test_selected_customers_must_be_the_leavers(self):
        foreign = self._customer("Someone Else's", user_id=self.third_rep.id)
        with self.assertRaisesRegex(UserError, "neither salesperson nor backup of Someone Else's"):
            self._hand_over(scope="selected", partner_ids=self.key | foreign)
        self.assertEqual(self.key.user_id, self.rep)

    def test_receivers_must_be_active_salespeople(self):
        with self.assertRaisesRegex(UserError, "is the salesperson leaving"):
            self._hand_over(receiver_id=self.rep)
        portal = self.env["res.users"].create(
            {
                "name": "Portal Pat",
                "login": "portal_pat",
                "groups_id": [Command.set(self.env.ref("base.group_portal").ids)],
            }
        )
        with self.assertRaisesRegex(UserError, "not an active salesperson"):
            self._hand_over(receiver_id=portal)

    def test_opened_from_customers_or_from_a_user(self):
        customers = self.key | self.general
        wizard = self._wizard(
            receiver_id=self.other_rep, context={"active_model": "res.partner", "active_ids": customers.ids}
        )
        self.assertEqual(
            (wizard.scope, wizard.from_user_id, wizard.partner_ids), ("selected", self.rep, self.key | self.general)
        )
        wizard = self._wizard(
            receiver_id=self.other_rep, context={"active_model": "res.users", "active_id": self.rep.id}
        )
        self.assertEqual((wizard.scope, wizard.from_user_id), ("all", self.rep))
        action = (self.key | self.general).with_user(self.supervisor).action_trade_handover()
        self.assertEqual(action["res_model"], "trade.handover.wizard")

    def test_reps_cannot_hand_customers_over(self):
        with self.assertRaises(AccessError):
            self.env["trade.handover.wizard"].with_user(self.rep).create({"from_user_id": self.other_rep.id})
        with self.assertRaises(AccessError):
            self.env["trade.handover"].with_user(self.rep).create({"from_user_id": self.other_rep.id})

    def test_workflow_fields_cannot_be_written(self):
        handover = self._hand_over(scope="all")
        with self.assertRaises(AccessError):
            handover.with_user(self.supervisor).write({"state": "draft"})


@tagged("post_install", "-at_install")
class TestHandoverSpread(HandoverCase):
    def _many(self, count, amount):
        return [self._graded(f"Spread {amount} {index}", amount) for index in range(count)]

    def test_team_spread_evens_the_tier_load(self):
        self._many(2, 400_000)  # B, weight 4
        self._many(3, 1_000)  # D, weight 1
        # Olga already serves a key account: she starts heavier.
        olga_key = self._graded("Olga's own key", 400_000)
        olga_key.user_id = self.other_rep
        handover = self._hand_over(scope="all", receiver_mode="team", receiver_ids=self.other_rep | self.third_rep)
        loads = {}
        for receiver in self.other_rep | self.third_rep:
            customers = self.env["res.partner"].search([("user_id", "=", receiver.id), ("parent_id", "=", False)])
            loads[receiver] = sum(customer.tiering_service_tier_id.handover_weight for customer in customers)
        self.assertLessEqual(abs(loads[self.other_rep] - loads[self.third_rep]), 4)
        self.assertEqual(len(handover.line_ids), 9, "Hamburg, key, general, small, 2 B and 3 D")
        self.assertEqual(handover.receiver_ids, self.other_rep | self.third_rep)
        heaviest = handover.line_ids[0]
        self.assertEqual((heaviest.tier_id, heaviest.receiver_id), (self.tiers["B"], self.third_rep))

    def test_cap_per_receiver(self):
        self._many(3, 1_000)
        receivers = self.other_rep | self.third_rep
        with self.assertRaisesRegex(UserError, "7 customers cannot go to 2 receivers at most 3 each"):
            self._hand_over(scope="all", receiver_mode="team", receiver_ids=receivers, cap=3)
        self.assertEqual(self.key.user_id, self.rep, "nothing moved")
        handover = self._hand_over(scope="all", receiver_mode="team", receiver_ids=receivers, cap=4)
        counts = [len(handover.line_ids.filtered(lambda line, r=r: line.receiver_id == r)) for r in receivers]
        self.assertEqual(counts, [3, 4], "the loads would even out at 4 and 3 customers; the cap allows it")

    def test_team_fills_the_receivers(self):
        wizard = self._wizard(from_user_id=self.rep, receiver_mode="team", team_id=self.team)
        self.assertEqual(wizard.receiver_ids, self.supervisor | self.other_rep | self.third_rep)

    def test_planned_lines_can_be_changed_within_the_cap(self):
        wizard = self._wizard(from_user_id=self.rep, receiver_mode="team", receiver_ids=self.other_rep | self.third_rep)
        wizard.action_plan()
        self.assertEqual(len(wizard.line_ids), 4)
        wizard.line_ids.receiver_id = self.third_rep
        wizard.cap = 2
        with self.assertRaisesRegex(UserError, "Tina Rep would receive 4 customers, more than the 2 allowed"):
            wizard.action_confirm()
        wizard.cap = 0
        handover = self.env["trade.handover"].browse(wizard.action_confirm()["res_id"])
        self.assertEqual(handover.receiver_ids, self.third_rep)
        self.assertEqual((self.key | self.general | self.small).user_id, self.third_rep)

    def test_plan_warns_when_a_receiver_would_back_up_their_own_customer(self):
        # Olga serves Lyon, Ravi (leaving) is its backup: given to Olga, Lyon would have no backup.
        self.general.write({"user_id": self.other_rep.id, "tiering_backup_user_id": self.rep.id})
        wizard = self._wizard(from_user_id=self.rep, receiver_id=self.other_rep)
        wizard.action_plan()
        line = wizard.line_ids.filtered(lambda line: line.partner_id == self.general)
        self.assertEqual((line.role, line.receiver_id, line.role_conflict), ("backup", self.other_rep, True))
        self.assertEqual(wizard.role_conflicts, "Lyon Decor SAS")
        self.assertFalse((wizard.line_ids - line).filtered("role_conflict"))
        arch = wizard.with_user(self.supervisor).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("o_tct_role_conflicts", arch)
        self.assertIn('decoration-danger="role_conflict"', arch)
        # Another receiver on that line keeps a backup.
        line.with_user(self.supervisor).receiver_id = self.third_rep
        self.assertFalse(line.role_conflict)
        self.assertFalse(wizard.role_conflicts)
        wizard.with_user(self.supervisor).action_confirm()
        self.assertEqual((self.general.user_id, self.general.tiering_backup_user_id), (self.other_rep, self.third_rep))

    def test_spreading_keeps_a_customer_from_its_other_salesperson(self):
        self.general.write({"user_id": self.other_rep.id, "tiering_backup_user_id": self.rep.id})
        # Tina starts far heavier: the load alone would send every customer to Olga.
        for index in range(3):
            self._graded(f"Tina's own {index}", 400_000).user_id = self.third_rep
        wizard = self._wizard(from_user_id=self.rep, receiver_mode="team", receiver_ids=self.other_rep | self.third_rep)
        wizard.action_plan()
        lines = {line.partner_id: line for line in wizard.line_ids}
        self.assertEqual(lines[self.general].receiver_id, self.third_rep)
        self.assertEqual(lines[self.key].receiver_id, self.other_rep)
        self.assertFalse(wizard.role_conflicts)


@tagged("post_install", "-at_install")
class TestHandoverApproval(HandoverCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vip = cls._graded("Gulf Star LLC", 2_500_000)  # A: its handover needs approval

    def _approval_activity(self, handover):
        return self._activities(handover, xmlid="trade_crm_tiering.mail_activity_type_handover_approval")

    def test_core_customers_need_a_supervisors_approval(self):
        handover = self._hand_over(scope="all")
        self.assertEqual(handover.state, "to_approve")
        self.assertTrue(handover.line_ids.filtered(lambda line: line.partner_id == self.vip).needs_approval)
        # The team leader asked: the company's default approver signs.
        self.assertEqual(handover.tiering_approval_user_id, self.approver)
        activity = self._approval_activity(handover)
        self.assertEqual(activity.user_id, self.approver)
        self.assertIn("Gulf Star LLC", activity.note)
        self.assertEqual((self.vip | self.key).user_id, self.rep, "nothing moves before the approval")
        with self.assertRaises(AccessError):
            handover.with_user(self.supervisor).action_approve()
        with self.assertRaises(AccessError):
            handover.with_user(self.other_rep).action_approve()
        handover.with_user(self.approver).action_approve()
        self.assertEqual(handover.state, "done")
        self.assertEqual((self.vip | self.key | self.general | self.small).user_id, self.other_rep)
        self.assertFalse(self._approval_activity(handover))

    def test_rejected_handover_moves_nothing(self):
        handover = self._hand_over(scope="all")
        handover.with_user(self.approver).action_reject("Olga has no time for a VIP this quarter")
        self.assertEqual(
            (handover.state, handover.rejection_reason), ("rejected", "Olga has no time for a VIP this quarter")
        )
        self.assertEqual((self.vip | self.key).user_id, self.rep)
        with self.assertRaises(UserError):
            handover.with_user(self.approver).action_approve()

    def test_handovers_without_core_customers_need_no_approval(self):
        handover = self._hand_over(scope="tiers", tier_ids=self.tiers["B"])
        self.assertEqual(handover.state, "done")
        self.assertFalse(handover.tiering_approval_step_ids)

    def test_a_failed_move_undoes_every_move(self):
        lead = self.env["crm.lead"].create({"name": "Big tender", "partner_id": self.vip.id, "user_id": self.rep.id})
        activity = self.vip.activity_schedule(TODO, user_id=self.rep.id)
        handover = self._hand_over(scope="all", receiver_mode="team", receiver_ids=self.other_rep | self.third_rep)
        first, last = handover.line_ids.receiver_id[0], handover.line_ids.receiver_id[-1]
        self.assertNotEqual(first, last)
        self.assertEqual(handover.line_ids.filtered(lambda line: line.partner_id == self.vip).receiver_id, first)
        # The last receiver leaves before the approval: the first one's customers move, then it fails.
        last.active = False
        with self.assertRaisesRegex(UserError, f"cannot give customers to {last.name}: {last.name} is archived"):
            handover.with_user(self.approver).action_approve()
        self.assertEqual((self.vip | self.key | self.general | self.small).user_id, self.rep)
        self.assertEqual((lead.user_id, activity.user_id), (self.rep, self.rep))
        self.assertEqual(handover.state, "to_approve")
        self.assertEqual(handover.tiering_approval_step_ids.state, "pending")
        self.assertFalse(self.vip.message_ids.filtered(lambda m: "Handed over" in (m.body or "")))

    def test_cancelled_handover(self):
        handover = self._hand_over(scope="all")
        handover.with_user(self.supervisor).action_cancel()
        self.assertEqual(handover.state, "cancelled")
        self.assertFalse(self._approval_activity(handover))
        self.assertEqual(self.vip.user_id, self.rep)


@tagged("post_install", "-at_install")
class TestHandoverReport(HandoverCase):
    def test_report_per_customer_in_one_workbook(self):
        buyer = self.env["res.partner"].create(
            {"name": "Ana Buyer", "parent_id": self.key.id, "function": "Purchasing Manager", "email": "ana@vc.example"}
        )
        quotation = self._order(self.key, 5_000, confirm=False)
        self.env["crm.lead"].create(
            {"name": "Kitchen tender", "partner_id": self.key.id, "user_id": self.rep.id, "expected_revenue": 80_000}
        )
        self.key.message_post(body="Called about the showroom", message_type="comment")
        self.key.activity_schedule(TODO, summary="Send samples", user_id=self.rep.id)
        handover = self._hand_over(scope="all")
        action = handover.with_user(self.supervisor).action_download_report()
        self.assertIn(f"/web/content?model=trade.handover&id={handover.id}&field=report_file", action["url"])
        book = read_xlsx(base64.b64decode(handover.report_file))
        self.assertEqual(
            book.sheetnames,
            [
                "Handover",
                "Contacts",
                "Sales by Month",
                "Open Quotations",
                "Open Opportunities",
                "Overdue Invoices",
                "Last Interactions",
                "Open Activities",
            ],
        )

        def rows(sheet):
            return list(book[sheet].iter_rows(min_row=2, values_only=True))

        summary = {row[0]: row for row in rows("Handover")}
        self.assertEqual(set(summary), {"Hamburg Holz AG", "Valencia Cocinas SL", "Lyon Decor SAS", "Lisbon Casa Lda"})
        key_row = summary["Valencia Cocinas SL"]
        self.assertEqual(key_row[3:6], (3, "B Key", 14), "grade, tier and its follow-up cadence")
        self.assertEqual(key_row[-2:], ("Ravi Rep", "Olga Rep"))
        self.assertIn(
            ("Valencia Cocinas SL", "Ana Buyer", "Purchasing Manager", buyer.email, None, None, None), rows("Contacts")
        )
        sales = [row for row in rows("Sales by Month") if row[0] == "Valencia Cocinas SL"]
        self.assertEqual(sum(row[4] for row in sales), 400_000)
        self.assertEqual([row[1] for row in rows("Open Quotations")], [quotation.name])
        self.assertEqual([row[1] for row in rows("Open Opportunities")], ["Kitchen tender"])
        self.assertEqual(rows("Overdue Invoices"), [])
        self.assertTrue(any("Called about the showroom" in row[4] for row in rows("Last Interactions")))
        self.assertIn("Send samples", [row[3] for row in rows("Open Activities")])

    def test_the_leaver_and_receivers_read_their_handover(self):
        handover = self._hand_over(scope="all")
        for user in (self.rep, self.other_rep):
            self.assertEqual(self.env["trade.handover"].with_user(user).search([]), handover)
        self.assertFalse(self.env["trade.handover"].with_user(self.third_rep).search([]))
