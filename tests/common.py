from contextlib import contextmanager
from datetime import datetime, timedelta

from odoo import Command, fields
from odoo.tests import TransactionCase, new_test_user


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

    @contextmanager
    def assertRaisesRegex(self, exception, regex):  # noqa: N802 (unittest's name)
        """unittest's assertRaisesRegex, inside Odoo's savepoint so the failed write is undone."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertRegex(str(caught.exception), regex)

    def _run_commit_hooks(self):
        """Run what the transaction would run at commit: the scheduled regrades."""
        self.env.cr.flush()

    def _grade(self, partner, company=None):
        partner = partner.with_company(company or self.company)
        return partner.star_grade, partner.tiering_annual_amount

    def _history(self, partner, company=None):
        return self.env["trade.grade.history"].search(
            [("partner_id", "=", partner.id), ("company_id", "=", (company or self.company).id)], order="id"
        )


# The people who use Odoo, each a real non-superuser: the flows under test run as them.
ROLE_GROUPS = {
    # Settings rights and sales manager, as the person who runs the database; never the superuser.
    "admin": "base.group_system,base.group_partner_manager,sales_team.group_sale_manager",
    "sales_manager": "sales_team.group_sale_manager",
    "salesman": "sales_team.group_sale_salesman",
    "accountant": "account.group_account_invoice",
    "portal": "base.group_portal",
}


def role_password(login):
    return f"{login}_pwd"


def company_user(env, company, login, groups, name):
    """An English-speaking user of ``company`` only, logging in with role_password(login)."""
    return new_test_user(
        env,
        login=login,
        password=role_password(login),
        name=name,
        groups=groups,
        company_id=company.id,
        company_ids=[Command.set(company.ids)],
        lang="en_US",
    )


def make_role_users(env, company, prefix="role"):
    """``{role: user}`` for ROLE_GROUPS, in ``company``; each logs in with role_password(login)."""
    users = {}
    for role, groups in ROLE_GROUPS.items():
        login = f"{prefix}_{role}"
        users[role] = new_test_user(
            env,
            login=login,
            password=role_password(login),
            name=f"{role.replace('_', ' ').title()} ({prefix})",
            groups=groups,
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
            lang="en_US",
        )
    return users


class RolesCase(TieringCase):
    """TieringCase with the roles of ROLE_GROUPS as cls.admin, cls.sales_manager, cls.salesman,
    cls.accountant and cls.portal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.roles = make_role_users(cls.env, cls.company)
        for role, user in cls.roles.items():
            setattr(cls, role, user)
