"""The backup salesperson is a real role (#14.2, seed 000 AB角): access, followers, warnings,
handover default and missing backups, as the reps, supervisors and approvers who use it."""

import json
from datetime import datetime, time, timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import REP_GROUPS, SUPERVISOR_GROUPS
from .test_handover import TODO, HandoverCase

MISSING_BACKUP_TYPE = "trade_crm_tiering.mail_activity_type_missing_backup"


class BackupCase(HandoverCase):
    """Ravi serves Valencia (B), Lyon (C), Lisbon (D) and Gulf Star (A, which requires a backup);
    Olga and Tina are reps of the same company, Sam leads the team as supervisor."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vip = cls._graded("Gulf Star LLC", 2_500_000)
        cls.buyer = cls.env["res.partner"].create({"name": "Ana Buyer", "parent_id": cls.key.id})

    def _set_backup(self, customers, user):
        customers.with_user(self.supervisor).write({"tiering_backup_user_id": user.id if user else False})

    def _warnings(self, partner, warning_type):
        return self.env["trade.customer.warning"].search(
            [("partner_id", "=", partner.id), ("warning_type", "=", warning_type)]
        )


@tagged("post_install", "-at_install")
class TestBackupSalesperson(BackupCase):
    # ------------------------------------------------------------------
    # Followers
    # ------------------------------------------------------------------

    def test_backup_follows_its_customers(self):
        self._set_backup(self.key | self.general, self.other_rep)
        for customer in (self.key, self.general):
            self.assertIn(self.other_rep.partner_id, customer.message_partner_ids, customer.name)
        self.assertNotIn(self.other_rep.partner_id, self.small.message_partner_ids)
        # Another backup: the former one stops following, the new one follows.
        self._set_backup(self.key, self.third_rep)
        self.assertIn(self.third_rep.partner_id, self.key.message_partner_ids)
        self.assertNotIn(self.other_rep.partner_id, self.key.message_partner_ids)
        self.assertIn(self.other_rep.partner_id, self.general.message_partner_ids, "still Lyon's backup")
        self._set_backup(self.general, False)
        self.assertNotIn(self.other_rep.partner_id, self.general.message_partner_ids)

    # ------------------------------------------------------------------
    # Quotations, orders, leads and activities
    # ------------------------------------------------------------------

    def test_backup_reads_and_works_the_customers_documents(self):
        quotation = self._order(self.key, 5_000, confirm=False)
        quotation.user_id = self.rep
        order = self._order(self.buyer, 7_000)
        order.user_id = self.rep
        lead = self.env["crm.lead"].create(
            {"name": "Kitchen tender", "partner_id": self.buyer.id, "user_id": self.rep.id, "type": "opportunity"}
        )
        activity = quotation.activity_schedule(TODO, summary="Send samples", user_id=self.rep.id)
        documents = [quotation, order, lead, activity]
        for record in documents:
            with self.assertRaises(AccessError, msg=f"{record} before Olga backs the customer up"):
                record.with_user(self.other_rep).read(["display_name"])

        self._set_backup(self.key, self.other_rep)
        self.assertEqual((quotation.trade_backup_user_id, lead.trade_backup_user_id), (self.other_rep, self.other_rep))
        olga = self.env(user=self.other_rep)
        # Every order of the customer and its contacts, whoever their salesperson (here Ravi and OdooBot).
        everything = self.env["sale.order"].search([("partner_id", "child_of", self.key.id)])
        self.assertGreaterEqual(everything, quotation | order)
        self.assertEqual(olga["sale.order"].search([("partner_id", "child_of", self.key.id)]), everything)
        self.assertEqual(olga["crm.lead"].search([("partner_id", "=", self.buyer.id)]), lead)
        # She works the quotation: a line more, a reference, and sends it.
        olga_quotation = quotation.with_user(self.other_rep)
        olga_quotation.write(
            {
                "client_order_ref": "PO-778",
                "order_line": [Command.create({"product_id": self.product.id, "product_uom_qty": 2, "price_unit": 50})],
            }
        )
        self.assertEqual((quotation.client_order_ref, quotation.amount_untaxed), ("PO-778", 5_100))
        olga_quotation.action_quotation_sent()
        self.assertEqual(quotation.state, "sent")
        lead.with_user(self.other_rep).write({"expected_revenue": 80_000, "probability": 60})
        self.assertEqual(lead.expected_revenue, 80_000)
        # The rep's activity on the quotation: she reads it, moves it, and plans her own.
        olga_activity = activity.with_user(self.other_rep)
        self.assertEqual(olga_activity.summary, "Send samples")
        olga_activity.date_deadline = self.today + timedelta(days=2)
        mine = lead.with_user(self.other_rep).activity_schedule(TODO, summary="Call Ana", user_id=self.other_rep.id)
        olga_activity.action_feedback(feedback="Samples sent by courier")
        self.assertFalse(activity.exists())
        self.assertEqual(mine.res_id, lead.id)

        # Tina serves none of it: refused.
        for record in (quotation, order, lead, mine):
            with self.assertRaises(AccessError, msg=f"{record} for an unrelated rep"):
                record.with_user(self.third_rep).read(["display_name"])
        with self.assertRaises(AccessError):
            quotation.with_user(self.third_rep).write({"client_order_ref": "hijack"})
        tina = self.env(user=self.third_rep)
        self.assertFalse(tina["sale.order"].search([("partner_id", "child_of", self.key.id)]))

        # Another backup: Olga's access goes with the role.
        self._set_backup(self.key, self.third_rep)
        with self.assertRaises(AccessError):
            quotation.with_user(self.other_rep).read(["name"])
        self.assertEqual(tina["sale.order"].search([("partner_id", "child_of", self.key.id)]), everything)

    def test_backup_rule_widens_odoos_own_rules(self):
        """The rule is of the salespeople's group and OR-ed with Odoo's: reps still see their own
        and the unassigned documents, and a salesperson of all documents sees all."""
        self._set_backup(self.key, self.other_rep)
        own = self._order(self.small, 1_000, confirm=False)
        own.user_id = self.other_rep
        nobody = self._order(self.small, 2_000, confirm=False)
        nobody.user_id = False
        backed = self._order(self.key, 3_000, confirm=False)
        backed.user_id = self.rep
        foreign = self._order(self.general, 4_000, confirm=False)
        foreign.user_id = self.rep
        scope = [("id", "in", (own | nobody | backed | foreign).ids)]
        self.assertEqual(self.env["sale.order"].with_user(self.other_rep).search(scope), own | nobody | backed)
        self.assertEqual(
            self.env["sale.order"].with_user(self.supervisor).search(scope), own | nobody | backed | foreign
        )
        lines = self.env["sale.order.line"].with_user(self.other_rep).search([("order_id", "in", scope[0][2])])
        self.assertEqual(lines.order_id, own | nobody | backed)

    # ------------------------------------------------------------------
    # Who gives a backup
    # ------------------------------------------------------------------

    def test_only_supervisors_give_backups(self):
        for customer in (self.key, self.customer):
            with self.assertRaisesRegex(AccessError, "Only sales supervisors and administrators can change the backup"):
                customer.with_user(self.other_rep).write({"tiering_backup_user_id": self.other_rep.id})
        # Not even the customer's own salesperson: the supervisor organises the pairs.
        with self.assertRaises(AccessError):
            self.key.with_user(self.rep).tiering_backup_user_id = self.third_rep
        self.assertFalse(self.key.tiering_backup_user_id)
        # A write that changes nothing passes (Odoo's own forms send the whole record).
        self.key.with_user(self.rep).write({"tiering_backup_user_id": False, "comment": "Prefers email"})
        self._set_backup(self.key, self.other_rep)
        self.assertEqual(self.key.tiering_backup_user_id, self.other_rep)
        # The date the system keeps is nobody's to write, nor to pass as a default or copy.
        with self.assertRaises(AccessError):
            self.vip.with_user(self.supervisor).write({"tiering_backup_missing_since": "2020-01-01"})
        new = (
            self.env["res.partner"]
            .with_user(self.rep)
            .with_context(default_tiering_backup_missing_since="2020-01-01")
            .create({"name": "Fresh Prospect", "is_company": True})
        )
        self.assertFalse(new.sudo().tiering_backup_missing_since)

    # ------------------------------------------------------------------
    # Warnings: a copy for the backup
    # ------------------------------------------------------------------

    def test_backup_gets_a_copy_of_the_early_warnings(self):
        sleeping = self._customer("Sleeping Co", user_id=self.rep.id, team_id=self.team.id)
        self._order(sleeping, 8_000, days_ago=400)
        self._set_backup(sleeping, self.other_rep)
        self.env["trade.tiering.scoring"]._score(self.company)
        warning = self._warnings(sleeping, "dormant")
        self.assertEqual((warning.state, warning.user_id), ("open", self.rep))
        copy = warning.backup_activity_id
        self.assertEqual(copy.user_id, self.other_rep)
        self.assertEqual((copy.res_model, copy.res_id), ("res.partner", sleeping.id))
        self.assertEqual(copy.activity_type_id, warning.activity_id.activity_type_id)
        self.assertEqual(copy.note, warning.activity_id.note)
        # The backup reads the warning; an unrelated rep does not.
        olga_warnings = self.env["trade.customer.warning"].with_user(self.other_rep)
        self.assertEqual(olga_warnings.search([("partner_id", "=", sleeping.id)]), warning)
        self.assertFalse(
            self.env["trade.customer.warning"].with_user(self.third_rep).search([("partner_id", "=", sleeping.id)])
        )
        # Once per episode: no second copy the next night; dismissed, both to-dos go.
        self.env["trade.tiering.scoring"]._score(self.company)
        self.assertEqual(len(self._warnings(sleeping, "dormant")), 1)
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [("res_model", "=", "res.partner"), ("res_id", "=", sleeping.id), ("user_id", "=", self.other_rep.id)]
            ),
            1,
        )
        warning.with_user(self.supervisor).action_dismiss()
        self.assertFalse(copy.exists())
        self.assertFalse(warning.activity_id)

    def test_no_copy_for_a_backup_who_owns_the_warning_or_left(self):
        sleeping = self._customer("Sleeping Co", user_id=self.rep.id, team_id=self.team.id)
        self._order(sleeping, 8_000, days_ago=400)
        self._set_backup(sleeping, self.other_rep)
        self.other_rep.active = False
        self.env["trade.tiering.scoring"]._score(self.company)
        warning = self._warnings(sleeping, "dormant")
        self.assertTrue(warning.activity_id)
        self.assertFalse(warning.backup_activity_id)

    def test_backup_gets_a_copy_of_the_pool_warning(self):
        # Lisbon (D) goes back to the pool 30 days after its order; a week before, its rep is warned.
        left = self._graded("Faro Casa Lda", 1_000)
        self._set_backup(self.small, self.other_rep)
        self._set_backup(left, self.third_rep)
        self.third_rep.active = False
        ordered = self.today - timedelta(days=10)
        cadence = self.env["trade.tiering.cadence"]
        with self._on(ordered + timedelta(days=23)):
            cadence._run(self.company)
        warning_type = self.env.ref("trade_crm_tiering.mail_activity_type_pool_warning")
        domain = [("res_model", "=", "res.partner"), ("activity_type_id", "=", warning_type.id)]
        mine = self.env["mail.activity"].with_user(self.rep).search([*domain, ("user_id", "=", self.rep.id)])
        self.assertEqual(sorted(mine.mapped("res_id")), sorted([self.small.id, left.id]), "no copy for who left")
        copy = (
            self.env["mail.activity"].with_user(self.other_rep).search([*domain, ("user_id", "=", self.other_rep.id)])
        )
        self.assertEqual((copy.res_id, copy.date_deadline), (self.small.id, ordered + timedelta(days=29)))
        self.assertEqual(copy.note, mine.filtered(lambda a: a.res_id == self.small.id).note)
        self.assertIn("goes back to the team pool", copy.note)
        # Once per episode, and both go with the release.
        with self._on(ordered + timedelta(days=24)):
            cadence._run(self.company)
        self.assertEqual(self.env["mail.activity"].search_count([*domain, ("res_id", "=", self.small.id)]), 2)
        with self._on(ordered + timedelta(days=30)):
            cadence._run(self.company)
        self.assertFalse(self.small.user_id)
        self.assertFalse(self.env["mail.activity"].search([*domain, ("res_id", "in", (self.small | left).ids)]))

    # ------------------------------------------------------------------
    # Handover: the backup takes over
    # ------------------------------------------------------------------

    def test_backup_is_the_default_receiver(self):
        self._set_backup(self.vip, self.third_rep)
        self._set_backup(self.key, self.other_rep)
        wizard = self._wizard(from_user_id=self.rep, receiver_id=self.other_rep)
        wizard.action_plan()
        receivers = {line.partner_id: line.receiver_id for line in wizard.line_ids}
        self.assertEqual(receivers[self.vip], self.third_rep, "Gulf Star goes to its backup, not to Olga")
        self.assertEqual(receivers[self.key], self.other_rep)
        self.assertEqual(receivers[self.general], self.other_rep, "no backup: the chosen receiver")
        self.assertFalse(wizard.line_ids.filtered("role_conflict"), "a backup taking over is the plan, not a conflict")
        # The supervisor may still change the line; here the plan stands.
        handover = self.env["trade.handover"].browse(wizard.action_confirm()["res_id"])
        self.assertEqual(handover.state, "to_approve", "Gulf Star is an A customer")
        handover.with_user(self.approver).action_approve()
        self.assertEqual((self.vip.user_id, self.vip.tiering_backup_user_id.id), (self.third_rep, False))
        self.assertEqual(self.general.user_id, self.other_rep)
        # Gulf Star needs a new backup from today: the clock of the missing-backup warning runs.
        self.assertEqual(self.vip.with_company(self.company).tiering_backup_missing_since, self.today)
        self.assertIn(self.third_rep.partner_id, self.vip.message_partner_ids)

    def test_a_backup_who_cannot_receive_is_not_proposed(self):
        self._set_backup(self.key, self.other_rep)
        self.other_rep.active = False
        wizard = self._wizard(from_user_id=self.rep, receiver_id=self.third_rep)
        wizard.action_plan()
        self.assertEqual(wizard.line_ids.receiver_id, self.third_rep)

    def test_team_spread_gives_backups_their_customers(self):
        self._set_backup(self.key | self.general, self.third_rep)
        wizard = self._wizard(from_user_id=self.rep, receiver_mode="team", receiver_ids=self.other_rep | self.third_rep)
        wizard.action_plan()
        receivers = {line.partner_id: line.receiver_id for line in wizard.line_ids}
        self.assertEqual((receivers[self.key], receivers[self.general]), (self.third_rep, self.third_rep))
        # The rest evens the load out: Tina already took two, Olga gets the others.
        self.assertEqual(receivers[self.vip], self.other_rep)

    # ------------------------------------------------------------------
    # Missing backups
    # ------------------------------------------------------------------

    def _night(self):
        self.env["trade.tiering.nightly"]._cron_cadence()

    def _on(self, day):
        """Frozen at noon of ``day``: the same date in every time zone of the users."""
        return freeze_time(datetime.combine(day, time(12)))

    def test_missing_backup_warns_the_supervisor_after_seven_days(self):
        self.assertTrue(self.vip.tiering_backup_missing)
        start = fields.Date.today()
        with self._on(start):
            self._night()
        self.assertEqual(self.vip.with_company(self.company).tiering_backup_missing_since, start)
        self.assertFalse(self.key.with_company(self.company).tiering_backup_missing_since, "tier B needs no backup")
        with self._on(start + timedelta(days=7)):
            self._night()
        self.assertFalse(self._warnings(self.vip, "missing_backup"), "7 days is not more than 7 days")
        with self._on(start + timedelta(days=8)):
            self._night()
        warning = self._warnings(self.vip, "missing_backup")
        self.assertEqual(
            (warning.state, warning.user_id, warning.date_raised), ("open", self.supervisor, start + timedelta(days=8))
        )
        self.assertIn("(8 days)", warning.details)
        activity = warning.activity_id
        self.assertEqual(
            (activity.user_id, activity.activity_type_id), (self.supervisor, self.env.ref(MISSING_BACKUP_TYPE))
        )
        self.assertEqual(activity.summary, "Missing backup: give the customer one")
        # The supervisor and the customer's salesperson read it; once per episode.
        self.assertEqual(
            self.env["trade.customer.warning"]
            .with_user(self.supervisor)
            .search([("warning_type", "=", "missing_backup")]),
            warning,
        )
        self.assertEqual(
            self.env["trade.customer.warning"].with_user(self.rep).search([("warning_type", "=", "missing_backup")]),
            warning,
        )
        with self._on(start + timedelta(days=9)):
            self._night()
        self.assertEqual(self._warnings(self.vip, "missing_backup"), warning)
        # The scoring pass does not close what it does not evaluate.
        self.env["trade.tiering.scoring"]._score(self.company)
        self.assertEqual(warning.state, "open")
        # The supervisor gives a backup: the warning closes at once, its to-do goes, the date clears.
        with self._on(start + timedelta(days=9)):
            self._set_backup(self.vip, self.other_rep)
        self.assertEqual((warning.state, warning.date_closed), ("closed", start + timedelta(days=9)))
        self.assertFalse(activity.exists())
        self.assertFalse(self.vip.with_company(self.company).tiering_backup_missing_since)
        # Removed again: a new episode, whose clock starts on the day of the removal.
        with self._on(start + timedelta(days=10)):
            self._set_backup(self.vip, False)
        self.assertEqual(self.vip.with_company(self.company).tiering_backup_missing_since, start + timedelta(days=10))
        with self._on(start + timedelta(days=18)):
            self._night()
        self.assertEqual(len(self._warnings(self.vip, "missing_backup")), 2)

    def test_missing_backup_goes_to_the_default_approver_without_a_supervisor_leader(self):
        self.vip.team_id = False
        start = fields.Date.today()
        with self._on(start - timedelta(days=8)):
            self._night()
        self._night()
        self.assertEqual(self._warnings(self.vip, "missing_backup").user_id, self.approver)


@tagged("post_install", "-at_install")
class TestBackupSalespersonRpc(HttpCase):
    """Over JSON-RPC, as the web client calls: a rep cannot make themselves anyone's backup."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company

        def user(login, groups):
            return new_test_user(
                cls.env,
                login=login,
                password=f"{login}_pwd",
                groups=groups,
                company_id=company.id,
                company_ids=company.ids,
            )

        cls.rep = user("bk_rep", REP_GROUPS)
        cls.other = user("bk_other", REP_GROUPS)
        cls.supervisor = user("bk_sup", SUPERVISOR_GROUPS)
        cls.customer = cls.env["res.partner"].create(
            {"name": "Backup Target GmbH", "is_company": True, "customer_rank": 1, "user_id": cls.other.id}
        )
        cls.quotation = cls.env["sale.order"].create({"partner_id": cls.customer.id, "user_id": cls.other.id})

    def _call(self, model, method, *args, **kwargs):
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": 1,
                    "params": {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        return response.json()

    def _refused(self, model, method, *args, **kwargs):
        error = self._call(model, method, *args, **kwargs).get("error", {}).get("data")
        self.assertTrue(error, f"{model}.{method}{args} was not refused")
        self.assertEqual(error["name"], "odoo.exceptions.AccessError")
        return error

    def test_rep_cannot_make_himself_backup_over_rpc(self):
        self.authenticate("bk_rep", "bk_rep_pwd")
        self._refused("sale.order", "read", [self.quotation.id], ["name"])
        error = self._refused("res.partner", "write", [self.customer.id], {"tiering_backup_user_id": self.rep.id})
        self.assertIn("Backup Target GmbH", error["message"])
        self._refused(
            "res.partner",
            "web_save",
            [self.customer.id],
            {"tiering_backup_user_id": self.rep.id},
            specification={"name": {}},
        )
        self._refused("res.partner", "write", [self.customer.id], {"tiering_backup_missing_since": "2020-01-01"})
        self.customer.invalidate_recordset()
        self.assertFalse(self.customer.tiering_backup_user_id)
        self._refused("sale.order", "read", [self.quotation.id], ["name"])

    def test_through_the_supervisor(self):
        self.authenticate("bk_sup", "bk_sup_pwd")
        result = self._call("res.partner", "write", [self.customer.id], {"tiering_backup_user_id": self.rep.id})
        self.assertTrue(result.get("result"), result)
        self.authenticate("bk_rep", "bk_rep_pwd")
        self.customer.invalidate_recordset()
        rows = self._call("sale.order", "read", [self.quotation.id], ["name", "trade_backup_user_id"])["result"]
        self.assertEqual(rows[0]["trade_backup_user_id"][0], self.rep.id)
        self.assertIn(self.rep.partner_id, self.customer.message_partner_ids)
