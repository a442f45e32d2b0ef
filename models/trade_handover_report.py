from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL, html2plaintext

from ..trade_crm_tiering import exporting, tiering_day
from ..trade_crm_tiering.exporting import Table, TableColumn

INTERACTIONS_PER_CUSTOMER = 10
SALES_MONTHS = 24


class TradeHandoverReport(models.AbstractModel):
    """The handover report: what a receiver needs to know of each customer, as one xlsx.

    A summary sheet with one row per customer, then one sheet per subject (contacts, sales by
    month and product category, quotations, opportunities, overdue invoices, last interactions,
    open activities), each with the customer in its first column so it can be filtered.
    Everything is read set-based, one query per subject for all the customers.
    """

    _name = "trade.handover.report"
    _description = "Customer Handover Report"

    @api.model
    def _build(self, handover):
        # sudo: the report shows every customer's sales, invoices and history to the people of the
        # handover; sales supervisors may hold no invoicing rights, and the leaver's records are
        # hidden from them by record rules. Access to the handover itself was checked.
        report = self.sudo().with_company(handover.company_id)
        lines = handover.sudo().line_ids
        customers = lines.partner_id.with_company(handover.company_id)
        people = (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            .search([("commercial_partner_id", "in", customers.ids)])
        )
        tables = [
            report._summary(handover, lines),
            report._contacts(customers),
            report._sales(customers, handover.company_id),
            report._quotations(people, handover.company_id),
            report._opportunities(people),
            report._overdue_invoices(customers, handover.company_id),
            report._interactions(people),
            report._activities(people),
        ]
        return exporting.write_tables(tables)

    def _label(self, model, field):
        return self.env[model]._fields[field]._description_string(self.env)

    def _selection(self, model, field):
        return dict(self.env[model]._fields[field]._description_selection(self.env))

    def _customer_column(self):
        return TableColumn(self.env._("Customer"), width=30)

    # ------------------------------------------------------------------
    # Sheets
    # ------------------------------------------------------------------

    def _summary(self, handover, lines):
        roles = self._selection("trade.handover.line", "role")
        stages = self._selection("res.partner", "trade_lifecycle")
        columns = [
            self._customer_column(),
            TableColumn(self._label("res.partner", "ref")),
            TableColumn(self.env._("Country")),
            TableColumn(self.env._("Star Grade"), "int", 10),
            TableColumn(self.env._("Service Tier"), width=16),
            TableColumn(self.env._("Follow-up Every (Days)"), "int"),
            TableColumn(self.env._("Business Review Every (Months)"), "int"),
            TableColumn(self.env._("Response Time (Hours)"), "int"),
            TableColumn(self.env._("Discount Authority (%)"), "float"),
            TableColumn(self.env._("Backup Required")),
            TableColumn(self.env._("Lifecycle Stage")),
            TableColumn(self.env._("Credit Rating"), width=10),
            TableColumn(self.env._("Last Interaction"), "date"),
            TableColumn(self.env._("Next Follow-up"), "date"),
            TableColumn(self.env._("Leaver's Role"), width=18),
            TableColumn(self.env._("From"), width=20),
            TableColumn(self.env._("To"), width=20),
        ]
        rows = []
        for line in lines:
            customer = line.partner_id.with_company(handover.company_id)
            tier = customer.tiering_service_tier_id
            rows.append(
                [
                    customer.name,
                    customer.ref or "",
                    customer.country_id.name or "",
                    int(customer.tiering_star_grade or 0),
                    tier.display_name or "",
                    tier.follow_up_days if tier else None,
                    tier.review_months if tier else None,
                    tier.response_hours if tier else None,
                    tier.max_discount if tier else None,
                    (self.env._("Yes") if tier.require_backup else self.env._("No")) if tier else "",
                    stages.get(customer.trade_lifecycle, ""),
                    customer.trade_credit_rating or "",
                    customer.tiering_last_interaction_date or None,
                    customer.tiering_next_follow_up_date or None,
                    roles[line.role],
                    handover.from_user_id.name,
                    line.receiver_id.name,
                ]
            )
        return Table(self.env._("Handover"), columns, rows)

    def _contacts(self, customers):
        channels = self._selection("res.partner", "trade_preferred_channel")
        contacts = self.env["res.partner"].search(
            [("parent_id", "in", customers.ids), ("type", "=", "contact")], order="parent_id, id"
        )
        columns = [
            self._customer_column(),
            TableColumn(self.env._("Contact"), width=24),
            TableColumn(self.env._("Job Position"), width=22),
            TableColumn(self.env._("Email"), width=28),
            TableColumn(self.env._("Phone"), width=18),
            TableColumn(self.env._("Mobile"), width=18),
            TableColumn(self.env._("Preferred Channel")),
        ]
        rows = [
            [
                contact.parent_id.name,
                contact.name or "",
                contact.function or "",
                contact.email or "",
                contact.phone or "",
                contact.mobile or "",
                channels.get(contact.trade_preferred_channel, ""),
            ]
            for contact in contacts
        ]
        return Table(self.env._("Contacts"), columns, rows)

    def _sales(self, customers, company):
        """Confirmed sales of the last 24 months, by month and product category, in the company's currency."""
        start = tiering_day.today().replace(day=1) - relativedelta(months=SALES_MONTHS - 1)
        groups = self.env["sale.report"]._read_group(
            [
                ("commercial_partner_id", "in", customers.ids),
                ("state", "=", "sale"),
                ("company_id", "=", company.id),
                ("date", ">=", fields.Datetime.to_datetime(start)),
            ],
            ["commercial_partner_id", "date:month", "categ_id"],
            ["price_subtotal:sum", "product_uom_qty:sum"],
        )
        columns = [
            self._customer_column(),
            TableColumn(self.env._("Month"), width=10),
            TableColumn(self.env._("Product Category"), width=24),
            TableColumn(self.env._("Quantity"), "float"),
            TableColumn(self.env._("Untaxed Amount (%(currency)s)", currency=company.currency_id.name), "money", 20),
        ]
        rows = sorted(
            (
                [partner.name, month.strftime("%Y-%m"), category.complete_name or "", quantity, amount]
                for partner, month, category, amount, quantity in groups
            ),
            key=lambda row: (row[0], row[1], row[2]),
        )
        return Table(self.env._("Sales by Month"), columns, rows)

    def _quotations(self, people, company):
        states = self._selection("sale.order", "state")
        orders = self.env["sale.order"].search(
            [("partner_id", "in", people.ids), ("state", "in", ("draft", "sent")), ("company_id", "=", company.id)],
            order="date_order desc",
        )
        columns = [
            self._customer_column(),
            TableColumn(self.env._("Quotation"), width=14),
            TableColumn(self.env._("Date"), "date", 12),
            TableColumn(self.env._("Status")),
            TableColumn(self.env._("Salesperson"), width=20),
            TableColumn(self.env._("Untaxed Amount"), "money", 16),
            TableColumn(self.env._("Currency"), width=10),
        ]
        rows = [
            [
                order.partner_id.commercial_partner_id.name,
                order.name,
                order.date_order.date(),
                states.get(order.state, ""),
                order.user_id.name or "",
                order.amount_untaxed,
                order.currency_id.name,
            ]
            for order in orders
        ]
        return Table(self.env._("Open Quotations"), columns, rows)

    def _opportunities(self, people):
        leads = self.env["crm.lead"].search(
            [("partner_id", "in", people.ids), "|", ("stage_id", "=", False), ("stage_id.is_won", "=", False)],
            order="date_deadline, id",
        )
        columns = [
            self._customer_column(),
            TableColumn(self.env._("Opportunity"), width=30),
            TableColumn(self.env._("Stage"), width=16),
            TableColumn(self.env._("Salesperson"), width=20),
            TableColumn(self.env._("Expected Revenue"), "money", 16),
            TableColumn(self.env._("Probability (%)"), "float", 12),
            TableColumn(self.env._("Expected Closing"), "date", 14),
        ]
        rows = [
            [
                lead.partner_id.commercial_partner_id.name,
                lead.name,
                lead.stage_id.name or "",
                lead.user_id.name or "",
                lead.expected_revenue,
                lead.probability,
                lead.date_deadline or None,
            ]
            for lead in leads
        ]
        return Table(self.env._("Open Opportunities"), columns, rows)

    def _overdue_invoices(self, customers, company):
        today = fields.Date.context_today(self)
        invoices = self.env["account.move"].search(
            [
                ("commercial_partner_id", "in", customers.ids),
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("invoice_date_due", "<", today),
            ],
            order="invoice_date_due",
        )
        columns = [
            self._customer_column(),
            TableColumn(self.env._("Invoice"), width=16),
            TableColumn(self.env._("Due Date"), "date", 12),
            TableColumn(self.env._("Days Overdue"), "int", 12),
            TableColumn(self.env._("Amount Due"), "money", 16),
            TableColumn(self.env._("Currency"), width=10),
        ]
        rows = [
            [
                invoice.commercial_partner_id.name,
                invoice.name,
                invoice.invoice_date_due,
                (today - invoice.invoice_date_due).days,
                invoice.amount_residual,
                invoice.currency_id.name,
            ]
            for invoice in invoices
        ]
        return Table(self.env._("Overdue Invoices"), columns, rows)

    def _interactions(self, people):
        """The last ten notes, emails and done activities of each customer (its contacts' included)."""
        kinds = {"comment": self.env._("Note"), "email": self.env._("Email")}
        self.env["mail.message"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """SELECT pid, id FROM (
                       SELECT p.commercial_partner_id AS pid, m.id,
                              ROW_NUMBER() OVER (PARTITION BY p.commercial_partner_id ORDER BY m.date DESC, m.id DESC)
                                  AS position
                         FROM mail_message m JOIN res_partner p ON p.id = m.res_id
                        WHERE m.model = 'res.partner' AND p.id = ANY(%(people)s)
                          AND (m.message_type IN ('comment', 'email') OR m.mail_activity_type_id IS NOT NULL)
                   ) latest WHERE position <= %(limit)s""",
                people=people.ids,
                limit=INTERACTIONS_PER_CUSTOMER,
            )
        )
        messages = self.env["mail.message"].browse([message_id for _pid, message_id in rows])
        names = {partner.id: partner.name for partner in self.env["res.partner"].browse({pid for pid, _id in rows})}
        owner = {message_id: pid for pid, message_id in rows}
        columns = [
            self._customer_column(),
            TableColumn(self.env._("Date"), "date", 12),
            TableColumn(self.env._("Kind"), width=16),
            TableColumn(self.env._("By"), width=20),
            TableColumn(self.env._("What"), width=80),
        ]
        table_rows = []
        for message in messages.sorted(lambda m: (names[owner[m.id]], -m.date.timestamp())):
            kind = message.mail_activity_type_id.name or kinds.get(message.message_type, "")
            text = " ".join(html2plaintext(message.body or "").split())
            table_rows.append(
                [
                    names[owner[message.id]],
                    message.date.date(),
                    kind,
                    message.author_id.name or "",
                    (message.subject + ": " if message.subject else "") + text[:300],
                ]
            )
        return Table(self.env._("Last Interactions"), columns, table_rows)

    def _activities(self, people):
        leads = self.env["crm.lead"].with_context(active_test=False).search([("partner_id", "in", people.ids)])
        orders = self.env["sale.order"].search([("partner_id", "in", people.ids)])
        activities = self.env["mail.activity"].search(
            [
                "|",
                "|",
                "&",
                ("res_model", "=", "res.partner"),
                ("res_id", "in", people.ids),
                "&",
                ("res_model", "=", "crm.lead"),
                ("res_id", "in", leads.ids),
                "&",
                ("res_model", "=", "sale.order"),
                ("res_id", "in", orders.ids),
            ],
            order="date_deadline, id",
        )
        customer_of = defaultdict(str)
        for person in people:
            customer_of["res.partner", person.id] = person.commercial_partner_id.name
        for lead in leads:
            customer_of["crm.lead", lead.id] = lead.partner_id.commercial_partner_id.name
        for order in orders:
            customer_of["sale.order", order.id] = order.partner_id.commercial_partner_id.name
        columns = [
            self._customer_column(),
            TableColumn(self.env._("Document"), width=28),
            TableColumn(self.env._("Activity"), width=20),
            TableColumn(self.env._("Summary"), width=40),
            TableColumn(self.env._("Due Date"), "date", 12),
            TableColumn(self.env._("Assigned To"), width=20),
        ]
        rows = [
            [
                customer_of[activity.res_model, activity.res_id],
                activity.res_name or "",
                activity.activity_type_id.name or "",
                activity.summary or "",
                activity.date_deadline,
                activity.user_id.name or "",
            ]
            for activity in activities
        ]
        return Table(self.env._("Open Activities"), columns, rows)
