"""The backup salesperson reads its customers' rows in the sales and CRM activity analyses, as it
reads their orders and leads (#14.2): Odoo restricts reps there to their own (user_id = user)."""

from odoo.tests import tagged

from .test_backup_salesperson import BackupCase


@tagged("post_install", "-at_install")
class TestBackupReports(BackupCase):
    def _sales_by_customer(self, user, customers):
        self.env.flush_all()
        groups = (
            self.env["sale.report"]
            .with_user(user)
            .read_group(
                [("commercial_partner_id", "in", customers.ids)],
                ["price_subtotal:sum"],
                ["commercial_partner_id"],
            )
        )
        return {group["commercial_partner_id"][0]: group["price_subtotal"] for group in groups}

    def test_backup_reads_its_customers_sales_analysis(self):
        contact_order = self._order(self.buyer, 7_000)
        self.assertEqual(contact_order.user_id, self.rep)
        customers = self.key | self.general
        everything = self._sales_by_customer(self.supervisor, customers)
        self.assertEqual(everything[self.key.id], 407_000)
        self.assertFalse(self._sales_by_customer(self.other_rep, customers), "Ravi's customers, not Olga's")
        self._olga_backs_up_valencia()
        # Olga reads Valencia's rows, its contact's order included; not Lyon's, which she does not back up.
        self.assertEqual(self._sales_by_customer(self.other_rep, customers), {self.key.id: 407_000})
        rows = self.env["sale.report"].with_user(self.other_rep).search([("partner_id", "=", self.buyer.id)])
        self.assertEqual(rows.order_reference, contact_order)
        self.assertFalse(self._sales_by_customer(self.third_rep, customers))

    def test_backup_reads_its_customers_activity_analysis(self):
        lead = self.env["crm.lead"].create(
            {"name": "Kitchen tender", "partner_id": self.buyer.id, "user_id": self.rep.id, "type": "opportunity"}
        )
        activity = lead.with_user(self.rep).activity_schedule(
            "mail.mail_activity_data_call", summary="Call Ana", user_id=self.rep.id
        )
        activity.with_user(self.rep).action_feedback(feedback="Tender documents promised")
        self.env.flush_all()
        report = self.env["crm.activity.report"]
        self.assertEqual(report.with_user(self.rep).search([("lead_id", "=", lead.id)]).lead_id, lead)
        self.assertFalse(report.with_user(self.other_rep).search([("lead_id", "=", lead.id)]))
        self._olga_backs_up_valencia()
        self.env.flush_all()
        rows = report.with_user(self.other_rep).search([("lead_id", "=", lead.id)])
        self.assertEqual(len(rows), 1)
        self.assertIn("Tender documents promised", str(rows.body))
        self.assertFalse(report.with_user(self.third_rep).search([("lead_id", "=", lead.id)]))

    def _olga_backs_up_valencia(self):
        self._set_backup(self.key, self.other_rep)
