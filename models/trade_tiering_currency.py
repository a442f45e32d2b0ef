from collections import defaultdict

from odoo import models
from odoo.tools import SQL

from ..trade_crm_tiering import currency as tiering_currency


class MissingRatesError(Exception):
    """A pass cannot convert some orders: Odoo has no rate at all for a currency they need."""


class TradeTieringCurrency(models.AbstractModel):
    """Order amounts into the grading currency at each order's daily rate, for grading, scoring
    and the portfolio report, and the episodes of missing rates told to the grading administrator.

    The passes aggregate orders in SQL: each order's factor is looked up by position in one array
    of daily factors (_daily_factors), currency by currency and day by day.
    """

    _name = "trade.tiering.currency"
    _description = "Customer Tiering Currency Conversion"

    def _daily_factors(self, company, window, currencies):
        """Factors into the grading currency for each of ``currencies`` and each day of ``window``
        (see trade_crm_tiering.currency.daily_factors: ``None`` where a currency has no rate)."""
        rows = self.env.execute_query(
            SQL(
                """SELECT currency_id, name, rate, company_id IS NOT NULL
                     FROM res_currency_rate
                    WHERE currency_id = ANY(%(currencies)s)
                      AND (company_id IS NULL OR company_id = %(root)s)
                    ORDER BY currency_id, name""",
                currencies=list({*currencies, company.tiering_currency_id.id}),
                root=company.root_id.id,
            )
        )
        rates = defaultdict(lambda: ([], []))
        for currency, day, rate, own in rows:
            rates[currency][0 if own else 1].append((day, rate))
        return tiering_currency.daily_factors(
            window.days(), currencies, rates, company.tiering_currency_id.id, company.currency_id.id
        )

    def _converted(self, company, window, where, query, partial=True):
        """``query(currencies, factors)``, whose rows end with an ``incomplete`` flag, with the daily
        factors of the currencies orders are expected in.

        ``where``: the condition on the orders (``so``, joined to their partner ``p``). A row flagged
        incomplete has an order in a currency no pricelist uses (any more) or in one without rates:
        the query runs again with every currency of the orders. Rates follow Odoo
        (res.currency._get_rates): the latest rate on or before the day, else the earliest one.
        Where Odoo has no rate at all it would convert at 1, a made-up rate: the rows of such orders
        are left out (``partial``) or the pass raises MissingRatesError, and the company's grading
        administrator is told once per episode (see _report_missing_rates). A sale is never
        blocked by a missing rate.
        """
        self.env["sale.order"].flush_model(
            ["amount_untaxed", "currency_id", "date_order", "state", "company_id", "partner_id"]
        )
        self.env["res.currency.rate"].flush_model(["rate", "name", "currency_id", "company_id"])
        currencies = self._candidate_currencies(company)
        factors = self._daily_factors(company, window, currencies)
        rows = query(currencies, factors)
        if any(row[-1] for row in rows):
            currencies = sorted(set(currencies) | self._order_currencies(where))
            factors = self._daily_factors(company, window, currencies)
            rows = query(currencies, factors)
            if any(row[-1] for row in rows):
                self._report_missing_rates(company, window, where, currencies, factors)
                if not partial:
                    raise MissingRatesError(company.name)
                return [row for row in rows if not row[-1]]
        self._close_missing_rate_episode(company)
        return rows

    def _candidate_currencies(self, company):
        """The currencies orders are expected in: the pricelists', the company's, the grading one."""
        rows = self.env.execute_query(
            SQL("SELECT DISTINCT currency_id FROM product_pricelist WHERE currency_id IS NOT NULL")
        )
        return sorted({row[0] for row in rows} | {company.currency_id.id, company.tiering_currency_id.id})

    def _order_currencies(self, where):
        rows = self.env.execute_query(
            SQL(
                """SELECT DISTINCT so.currency_id FROM sale_order so
                     JOIN res_partner p ON p.id = so.partner_id WHERE %s""",
                where,
            )
        )
        return {row[0] for row in rows}

    # ------------------------------------------------------------------
    # Episodes of missing rates
    # ------------------------------------------------------------------

    def _missing_currencies(self, company, window, where, currencies, factors):
        """The currencies of ``where``'s orders (and the grading one) that have no rate at all."""
        days = len(window.days())
        without = {currency for index, currency in enumerate(currencies) if factors[index * days] is None}
        grading_currency = company.tiering_currency_id
        if grading_currency.id in without or not self._has_rates(company, grading_currency.ids):
            # Without a rate for the grading currency, no order converts.
            return grading_currency
        return self.env["res.currency"].browse(sorted(without & self._order_currencies(where)))

    def _has_rates(self, company, currency_ids):
        """The currencies of ``currency_ids`` that Odoo has a rate of for ``company`` (or that are its own)."""
        rows = self.env.execute_query(
            SQL(
                """SELECT DISTINCT currency_id FROM res_currency_rate
                    WHERE currency_id = ANY(%s) AND (company_id IS NULL OR company_id = %s)""",
                list(currency_ids),
                company.root_id.id,
            )
        )
        return {row[0] for row in rows} | ({company.currency_id.id} & set(currency_ids))

    def _episode_key(self, company):
        return f"trade_crm_tiering.missing_rates.{company.id}"

    def _report_missing_rates(self, company, window, where, currencies, factors):
        """One activity for the company's grading administrator per episode of missing rates.

        An episode starts when a currency the grading needs has no rate at all and ends when it has
        one again (_close_missing_rate_episode); the open episode's currencies are kept in a system
        parameter, so that neither the next order nor the next night repeats the activity.
        """
        missing = self._missing_currencies(company, window, where, currencies, factors)
        params = self.env["ir.config_parameter"].sudo()
        key = self._episode_key(company)
        open_ids = {int(cid) for cid in (params.get_param(key) or "").split(",") if cid}
        new = missing.filtered(lambda currency: currency.id not in open_ids)
        if not new:
            return
        params.set_param(key, ",".join(str(cid) for cid in sorted(open_ids | set(missing.ids))))
        first, last = self._unconverted_dates(company, where, missing)
        recipient = self._grading_administrator(company)
        # In the administrator's language: the activity is theirs, whoever's sale found the gap.
        env = self.with_context(lang=recipient.lang).env
        company.partner_id.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=recipient.id,
            summary=env._("Exchange rate missing: %(currencies)s", currencies=", ".join(new.mapped("name"))),
            note=env._(
                "Customer grades of %(company)s were not updated: %(currencies)s has no exchange rate "
                "for the orders dated %(first)s to %(last)s. Those customers keep their grade until a "
                "rate is added under Accounting or Sales > Configuration > Currencies.",
                company=company.name,
                currencies=", ".join(new.mapped("name")),
                first=first or window.start,
                last=last or window.end,
            ),
        )

    def _unconverted_dates(self, company, where, missing):
        """First and last date of the orders that cannot be converted for lack of ``missing``'s rates."""
        condition = (
            SQL("TRUE") if company.tiering_currency_id in missing else SQL("so.currency_id = ANY(%s)", missing.ids)
        )
        [(first, last)] = self.env.execute_query(
            SQL(
                """SELECT MIN(so.date_order)::date, MAX(so.date_order)::date FROM sale_order so
                     JOIN res_partner p ON p.id = so.partner_id WHERE %s AND %s""",
                where,
                condition,
            )
        )
        return first, last

    def _grading_administrator(self, company):
        """Who sees to the company's grading: its approver, its general manager, else a tiering admin."""
        user = company.tiering_approver_id or company.tiering_gm_id
        if user:
            return user
        admins = self.env.ref("trade_crm_tiering.group_tiering_admin").users.filtered(
            lambda admin: company in admin.company_ids and not admin.share and admin.active
        )
        return admins.sorted("id")[:1] or self.env.ref("base.user_admin")

    def _close_missing_rate_episode(self, company):
        """End the episode of missing rates of ``company`` once its currencies have rates again."""
        params = self.env["ir.config_parameter"].sudo()
        key = self._episode_key(company)
        open_ids = {int(cid) for cid in (params.get_param(key) or "").split(",") if cid}
        if not open_ids:
            return
        still = open_ids - self._has_rates(company, open_ids)
        params.set_param(key, ",".join(str(cid) for cid in sorted(still)) or False)
