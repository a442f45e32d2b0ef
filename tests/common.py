import io
import json
from contextlib import contextmanager
from datetime import datetime, timedelta

import openpyxl

from odoo import Command, fields
from odoo.tests import Form, HttpCase, TransactionCase, new_test_user
from odoo.tools import SQL


class TieringCase(TransactionCase):
    """A fresh export company with USD, EUR and CNY rates of its own, a tax-free product and one
    pricelist per currency, so tests grade known amounts untouched by demo data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.usd = cls.env.ref("base.USD")
        cls.eur = cls.env.ref("base.EUR")
        cls.cny = cls.env.ref("base.CNY")
        (cls.eur | cls.cny).active = True
        cls.pricelists = {}
        cls.company = cls._make_company("Tiering Export Co")
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[cls.company.id]))
        cls.product = cls.env["product.product"].create(
            {"name": "Plywood 18mm", "type": "consu", "list_price": 1.0, "taxes_id": [Command.clear()]}
        )
        # The passes count in UTC days (trade_crm_tiering/tiering_day.py), whoever runs them.
        cls.today = fields.Date.today()

    @classmethod
    def _make_company(cls, name, **vals):
        # Grading tests look at what data gives; approval tests switch back to "request".
        vals.setdefault("tiering_auto_upgrade", "apply")
        company = cls.env["res.company"].create({"name": name, "currency_id": cls.env.ref("base.USD").id, **vals})
        cls.env.user.company_ids |= company
        # Rates of the company's own, dated well before any test order: 1 USD = 0.9 EUR = 7.2 CNY.
        day = fields.Date.context_today(company) - timedelta(days=6 * 366)
        cls.env["res.currency.rate"].create(
            [
                {"currency_id": cls.env.ref("base.EUR").id, "company_id": company.id, "name": day, "rate": 0.9},
                {"currency_id": cls.env.ref("base.CNY").id, "company_id": company.id, "name": day, "rate": 7.2},
            ]
        )
        for currency in (cls.env.ref("base.USD"), cls.env.ref("base.EUR"), cls.env.ref("base.CNY")):
            cls._pricelist(currency, company)
        return company

    @classmethod
    def _pricelist(cls, currency, company):
        key = (currency.id, company.id)
        if key not in cls.pricelists or not cls.pricelists[key].exists():
            cls.pricelists[key] = cls.env["product.pricelist"].create(
                {"name": f"{company.name} {currency.name}", "currency_id": currency.id, "company_id": company.id}
            )
        return cls.pricelists[key]

    @classmethod
    def _customer(cls, name, **vals):
        return cls.env["res.partner"].create({"name": name, "is_company": True, **vals})

    @classmethod
    def _order(cls, partner, amount, days_ago=10, currency=None, company=None, confirm=True, date=None):
        """A sale order of ``amount`` (untaxed) for ``partner``, dated ``days_ago`` days back."""
        company = company or cls.company
        currency = currency or cls.usd
        order = (
            cls.env["sale.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "pricelist_id": cls._pricelist(currency, company).id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": cls.product.id,
                                "product_uom_qty": 1,
                                "price_unit": amount,
                                "tax_id": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        )
        if confirm:
            order.action_confirm()
        order.date_order = date or datetime.combine(
            cls.today - timedelta(days=days_ago), datetime.min.time()
        ) + timedelta(hours=12)
        return order

    @classmethod
    def _invoice(cls, partner, due_days_ago, paid_days_ago=None):
        """A posted customer invoice of 1,000 due ``due_days_ago`` days back, paid ``paid_days_ago``
        days back (or open); the company needs a chart of accounts."""
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "company_id": cls.company.id,
                "invoice_date": cls.today - timedelta(days=due_days_ago + 30),
                "invoice_date_due": cls.today - timedelta(days=due_days_ago),
                "invoice_line_ids": [
                    Command.create({"name": "Plywood", "quantity": 1, "price_unit": 1_000, "tax_ids": []})
                ],
            }
        )
        invoice.action_post()
        if paid_days_ago is not None:
            cls.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({"payment_date": cls.today - timedelta(days=paid_days_ago)})._create_payments()
        return invoice

    @classmethod
    def _tiers_by_code(cls):
        """``{code: tier}`` of the company's service tiers."""
        return {tier.code: tier for tier in cls.env["trade.service.tier"].search([("company_id", "=", cls.company.id)])}

    @classmethod
    def _load_accounting(cls):
        """A chart of accounts for the company, whose invoices keep the due dates they are given."""
        cls.env["account.chart.template"].try_loading("generic_coa", company=cls.company, install_demo=False)
        # A tier payment term would recompute the due dates.
        cls.company.tiering_tier_ids.payment_term_id = False

    @classmethod
    def _backdate(cls, records, **columns):
        """Write ``columns`` (name: value) on ``records`` in SQL: dates the ORM sets itself, such as
        create_date. The cache is left as it is."""
        cls.env.flush_all()
        assignments = SQL(", ").join(SQL("%s = %s", SQL.identifier(name), value) for name, value in columns.items())
        cls.env.cr.execute(
            SQL("UPDATE %s SET %s WHERE id = ANY(%s)", SQL.identifier(records._table), assignments, records.ids)
        )

    @contextmanager
    def assertRaisesRegex(self, exception, regex):  # noqa: N802 (unittest's name)
        """unittest's assertRaisesRegex, inside Odoo's savepoint so the failed write is undone."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertRegex(str(caught.exception), regex)

    def _run_commit_hooks(self):
        """Run what the transaction would run at commit: the scheduled regrades."""
        self.env.cr.flush()

    @classmethod
    def _user(cls, login, groups, name=None, lang="en_US"):
        """A user of the test company only: company_user."""
        return company_user(cls.env, cls.company, login, groups, name, lang=lang)

    def _grade(self, partner, company=None):
        partner = partner.with_company(company or self.company)
        return partner.tiering_star_grade, partner.tiering_annual_amount

    def _history(self, partner, company=None):
        return self.env["trade.grade.history"].search(
            [("partner_id", "=", partner.id), ("company_id", "=", (company or self.company).id)], order="id"
        )


# The people who use Odoo, each a real non-superuser: the flows under test run as them.
REP_GROUPS = "sales_team.group_sale_salesman"
SUPERVISOR_GROUPS = "sales_team.group_sale_salesman_all_leads,trade_crm_tiering.group_tiering_supervisor"
GM_GROUPS = "sales_team.group_sale_salesman_all_leads,trade_crm_tiering.group_tiering_gm"
MANAGER_GROUPS = "sales_team.group_sale_manager"
# Settings rights and sales manager, as the person who runs the database; never the superuser.
ADMIN_GROUPS = "base.group_system,base.group_partner_manager,sales_team.group_sale_manager"
ROLE_GROUPS = {
    "admin": ADMIN_GROUPS,
    "sales_manager": MANAGER_GROUPS,
    "salesman": REP_GROUPS,
    "accountant": "account.group_account_invoice",
    "portal": "base.group_portal",
}


def role_password(login):
    """The password of the users of company_user: new_test_user's own, the login padded with "x" to 8
    characters, since tours (start_tour) log in with the login itself."""
    return login + "x" * (8 - len(login))


def company_user(env, company, login, groups, name=None, lang="en_US"):
    """A user of ``company`` only, reading ``lang`` and logging in with role_password(login); without
    ``name``, new_test_user's "login (groups)"."""
    return new_test_user(
        env,
        login=login,
        password=role_password(login),
        name=name,
        groups=groups,
        company_id=company.id,
        company_ids=[Command.set(company.ids)],
        lang=lang,
    )


def make_role_users(env, company, prefix="role"):
    """``{role: user}`` for ROLE_GROUPS, in ``company``; each logs in with role_password(login)."""
    return {
        role: company_user(env, company, f"{prefix}_{role}", groups, f"{role.replace('_', ' ').title()} ({prefix})")
        for role, groups in ROLE_GROUPS.items()
    }


class RolesCase(TieringCase):
    """TieringCase with the roles of ROLE_GROUPS as cls.admin, cls.sales_manager, cls.salesman,
    cls.accountant and cls.portal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.roles = make_role_users(cls.env, cls.company)
        for role, user in cls.roles.items():
            setattr(cls, role, user)


class ApprovalCase(TieringCase):
    """Grades asked for, not applied: a team Europe of the rep led by the supervisor, a default
    approver, a general manager, and the rep's 2-star customer Hamburg Holz AG."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"tiering_auto_upgrade": "request", "tiering_downgrade_grace_days": 30})
        cls.rep = cls._user("tier_rep", REP_GROUPS, "Ravi Rep")
        cls.other_rep = cls._user("tier_rep2", REP_GROUPS, "Olga Rep")
        cls.supervisor = cls._user("tier_sup", SUPERVISOR_GROUPS, "Sam Supervisor")
        cls.approver = cls._user("tier_sup2", SUPERVISOR_GROUPS, "Dana Default")
        cls.gm = cls._user("tier_gm", GM_GROUPS, "Grace Manager")
        cls.company.write({"tiering_approver_id": cls.approver.id, "tiering_gm_id": cls.gm.id})
        cls.team = cls.env["crm.team"].create(
            {
                "name": "Export Team Europe",
                "company_id": cls.company.id,
                "user_id": cls.supervisor.id,
                "member_ids": [(6, 0, cls.rep.ids)],
            }
        )
        cls.customer = cls._customer("Hamburg Holz AG", user_id=cls.rep.id, team_id=cls.team.id)
        cls._order(cls.customer, 60_000)
        cls.env["res.partner"].action_tiering_regrade()  # the company's first full regrade: 2 stars

    def _request(self, user, stars, reason="Fast-growing distributor, new showroom opening", **vals):
        form = Form(self.env["trade.grade.request"].with_user(user))
        form.partner_id = self.customer
        form.requested_star = str(stars)
        form.reason = reason
        for name, value in vals.items():
            setattr(form, name, value)
        return form.save()

    def _approval_activities(self, request):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "trade.grade.request"),
                ("res_id", "=", request.id),
                ("activity_type_id", "=", self.env.ref("trade_crm_tiering.mail_activity_type_grade_approval").id),
            ]
        )


class TourCase(HttpCase):
    """Tours in the main company, by a rep and the supervisor who leads the rep's team; both log in
    with their login (start_tour's password, which role_password gives)."""

    def _team_customer(self, prefix, team_name, customer_name):
        """``(rep, supervisor, customer)``: the rep ``<prefix>_rep``, the supervisor ``<prefix>_sup``
        leading the rep's team ``team_name``, and the rep's customer."""
        company = self.env.company
        rep = company_user(self.env, company, f"{prefix}_rep", REP_GROUPS)
        supervisor = company_user(self.env, company, f"{prefix}_sup", SUPERVISOR_GROUPS)
        team = self.env["crm.team"].create({"name": team_name, "user_id": supervisor.id, "member_ids": rep.ids})
        customer = self.env["res.partner"].create(
            {"name": customer_name, "is_company": True, "user_id": rep.id, "team_id": team.id}
        )
        return rep, supervisor, customer

    def _tier_b_customer(self, prefix, team_name, customer_name, product_name):
        """``(rep, supervisor, customer, product)``: _team_customer's, the customer graded into tier
        B by a past order of 400,000 of ``product_name``."""
        self.env.company.tiering_auto_upgrade = "apply"
        rep, supervisor, customer = self._team_customer(prefix, team_name, customer_name)
        product = self.env["product.product"].create({"name": product_name, "taxes_id": [Command.clear()]})
        past = self.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "order_line": [Command.create({"product_id": product.id, "price_unit": 400_000})],
            }
        )
        past.action_confirm()
        customer.action_tiering_regrade()
        self.assertEqual(customer.with_company(self.env.company).tiering_service_tier_id.code, "B")
        return rep, supervisor, customer, product

    def _rep_quotation(self, rep, customer, product, **line):
        """The rep's quotation of one line of ``product`` (``line``: its values) for ``customer``."""
        return (
            self.env["sale.order"]
            .with_user(rep)
            .create(
                {
                    "partner_id": customer.id,
                    "user_id": rep.id,
                    "order_line": [Command.create({"product_id": product.id, **line})],
                }
            )
        )


def call_kw(case, model, method, args=(), kwargs=None):
    """The JSON body answering ``model.method(*args, **kwargs)`` posted to /web/dataset/call_kw as the
    web client posts it, in the session of the HttpCase ``case``: a "result" or an "error"."""
    payload = {
        "id": 0,
        "jsonrpc": "2.0",
        "method": "call",
        "params": {"model": model, "method": method, "args": list(args), "kwargs": kwargs or {}},
    }
    response = case.url_open(
        f"/web/dataset/call_kw/{model}/{method}",
        data=json.dumps(payload),
        headers={"Content-Type": "application/json"},
    )
    response.raise_for_status()
    return response.json()


def xlsx(header, *rows, **cells):
    """The bytes of a one-sheet workbook: the ``header`` row, the ``rows``, then ``cells`` by
    reference (``XFD1="x"``)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in (header, *rows):
        sheet.append(list(row))
    for reference, value in cells.items():
        sheet[reference] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_xlsx(data):
    """The workbook of the file ``data`` (bytes)."""
    return openpyxl.load_workbook(io.BytesIO(data))
