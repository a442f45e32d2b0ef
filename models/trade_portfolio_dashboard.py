from collections import Counter, defaultdict
from datetime import datetime, time, timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_date

from ..trade_crm_tiering import portfolio, portfolio_xlsx
from .tiering_constants import SUPERVISOR_GROUP

# Fields of the tables the portfolio views read, flushed before they are queried.
PARTNER_FIELDS = (
    "commercial_partner_id",
    "active",
    "user_id",
    "tiering_backup_user_id",
    "team_id",
    "tiering_star_grade",
    "tiering_annual_amount",
    "tiering_date",
    "tiering_next_follow_up_date",
    "create_date",
)
TOP_CUSTOMERS = 10
EXPORT_TOP_CUSTOMERS = 100


class TradePortfolioDashboard(models.AbstractModel):
    """The portfolio figures of the current company: concentration, Pareto, grades, migration, workload.

    Figures are computed from the customers the user may see (trade.portfolio.customer under the
    user's record rules): a general manager or supervisor sees the company, a rep their own
    customers. The maths is in trade_crm_tiering.portfolio; this model reads and labels.
    """

    _name = "trade.portfolio.dashboard"
    _description = "Portfolio Dashboard"

    # ------------------------------------------------------------------
    # The dashboard's figures, in one call
    # ------------------------------------------------------------------

    @api.model
    def get_data(self, period=None, top=TOP_CUSTOMERS):
        """Every figure of the dashboard for the current company, as plain values."""
        company = self.env.company
        period = period or portfolio.DEFAULT_PERIOD
        start, end = self._period_bounds(period)
        self._without_jit()
        tally = Tally(self._customer_rows(company, end), self._history_ends(company, start, end))
        ranking = portfolio.ranked(tally.ranking)
        concentration = self._concentration(company, ranking, top)
        workload = self._workload(company, tally)
        warnings = self._warnings(company, tally, workload)
        return {
            "company": {"id": company.id, "name": company.name},
            "currency": self._currency_info(company.tiering_currency_id),
            "scope": "company" if self._sees_company() else "own",
            "scope_label": self._scope_label(company),
            "basis_label": self._basis_label(company),
            "generated": fields.Datetime.to_string(fields.Datetime.context_timestamp(self, fields.Datetime.now()))[:16],
            "period": {
                "key": period,
                "label": self._period_labels()[period],
                "start": fields.Date.to_string(start),
                "end": fields.Date.to_string(end),
                "range": f"{format_date(self.env, start)} - {format_date(self.env, end)}",
            },
            "periods": list(self._period_labels().items()),
            "concentration": concentration,
            "top_customers": concentration["top_customers"],
            "grades": self._grades(tally),
            "migration": self._migration(tally),
            "workload": workload,
            "warnings": warnings,
            "alerts": self._open_alerts(company),
            # The xlsx workbook lists the customer score beside the top customers.
            "show_score": True,
            "refreshed": self._refreshed_on(company),
            "can_refresh": self.env.user.has_group(SUPERVISOR_GROUP),
        }

    def _without_jit(self):
        """The dashboard's reads each take a fraction of a second: PostgreSQL's JIT compilation (on
        by default since 12) adds about 0.2 s to each large one at 100k customers, for nothing."""
        self.env.cr.execute(SQL("SET LOCAL jit = off"))

    def _period_bounds(self, period):
        try:
            return portfolio.period_bounds(period, fields.Date.context_today(self))
        except portfolio.PortfolioConfigError:
            raise UserError(self.env._("Unknown period: %(period)s.", period=period)) from None

    def _period_labels(self):
        return {
            "last_month": self.env._("Last month"),
            "last_quarter": self.env._("Last quarter"),
            "this_quarter": self.env._("This quarter"),
            "last_12_months": self.env._("Last 12 months"),
            "this_year": self.env._("This year"),
            "last_year": self.env._("Last year"),
        }

    def _sees_company(self):
        return self.env.su or self.env.user.has_group(SUPERVISOR_GROUP)

    def _scope_label(self, company):
        if self._sees_company():
            return self.env._("All customers of %(company)s", company=company.name)
        return self.env._("The customers you serve in %(company)s", company=company.name)

    def _basis_label(self, company):
        basis = dict(company._fields["tiering_basis"]._description_selection(self.env))[company.tiering_basis]
        if company.tiering_basis == "full_years":
            return self.env._("%(basis)s (%(years)s years)", basis=basis, years=company.tiering_years)
        return basis

    def _currency_info(self, currency):
        return {
            "id": currency.id,
            "name": currency.name,
            "symbol": currency.symbol,
            "position": currency.position,
            "digits": currency.decimal_places,
        }

    # ------------------------------------------------------------------
    # Reading: one query for the customers, one for their grade history
    # ------------------------------------------------------------------

    def _flush_sources(self):
        self.env["res.partner"].flush_model(PARTNER_FIELDS)
        self.env["trade.service.tier"].flush_model()
        self.env["trade.grade.history"].flush_model()

    def _customer_query(self, company, domain=()):
        """The Query of the company's portfolio customers the user may see (record rules applied)."""
        self._flush_sources()
        return self.env["trade.portfolio.customer"]._search([("company_id", "=", company.id), *domain])

    def _customer_rows(self, company, period_end=None):
        """``[(partner, salesperson, star, tier, annual amount, overdue, backup missing, existed)]``.

        Largest amount first. ``existed``: the customer was created by ``period_end`` (a date).
        """
        query = self._customer_query(company)
        column = query.table
        today = fields.Date.context_today(self)
        after = datetime.combine((period_end or today) + timedelta(days=1), time.min)
        query.order = SQL("%s DESC, %s", SQL.identifier(column, "annual_amount"), SQL.identifier(column, "partner_id"))
        return self.env.execute_query(
            query.select(
                SQL.identifier(column, "partner_id"),
                SQL.identifier(column, "user_id"),
                SQL.identifier(column, "tiering_star_grade"),
                SQL.identifier(column, "tiering_service_tier_id"),
                SQL.identifier(column, "annual_amount"),
                SQL("COALESCE(%s < %s, false)", SQL.identifier(column, "tiering_next_follow_up_date"), today),
                SQL.identifier(column, "tiering_backup_missing"),
                SQL("%s < %s", SQL.identifier(column, "customer_since"), after),
            )
        )

    def _history_ends(self, company, start, end):
        """``{partner: (last new grade before start, first old grade from start, same around the end)}``.

        Only customers with a grade change from ``start`` on: for the others the grade at both
        ends is the one they have now.
        """
        first = datetime.combine(start, time.min)
        after = datetime.combine(end + timedelta(days=1), time.min)
        rows = self.env.execute_query(
            SQL(
                """SELECT partner_id,
                          (array_agg(new_star ORDER BY date DESC, id DESC) FILTER (WHERE date < %(first)s))[1],
                          (array_agg(old_star ORDER BY date, id) FILTER (WHERE date >= %(first)s))[1],
                          (array_agg(new_star ORDER BY date DESC, id DESC) FILTER (WHERE date < %(after)s))[1],
                          (array_agg(old_star ORDER BY date, id) FILTER (WHERE date >= %(after)s))[1]
                     FROM trade_grade_history
                    WHERE company_id = %(company)s
                      AND partner_id IN (SELECT partner_id FROM trade_grade_history
                                          WHERE company_id = %(company)s AND date >= %(first)s)
                    GROUP BY partner_id""",
                first=first,
                after=after,
                company=company.id,
            )
        )
        return {row[0]: row[1:] for row in rows}

    def _migration_moves(self, company, start, end):
        """``[(partner, start star, end star)]`` of the customers that existed at ``end``."""
        history = self._history_ends(company, start, end)
        moves = []
        for partner, _user, star, _tier, _amount, _overdue, _missing, existed in self._customer_rows(company, end):
            if existed:
                moves.append((partner, *grade_ends(star, history.get(partner))))
        return moves

    # ------------------------------------------------------------------
    # Sections
    # ------------------------------------------------------------------

    def _concentration(self, company, ranking, top):
        result = portfolio.concentration(ranking)
        limits = company._tiering_band_limits()
        labels = company._tiering_measure_labels()
        bands = self._band_labels()
        measures = []
        for key, size in portfolio.MEASURES:
            share = result.shares[key]
            band = portfolio.band(share, limits[key])
            measures.append(
                {
                    "key": key,
                    "size": size,
                    "label": labels[key],
                    "share": share,
                    "band": band,
                    "band_label": bands.get(band),
                    "limits": {
                        "moderate": limits[key].moderate,
                        "high": limits[key].high,
                        "critical": limits[key].critical,
                    },
                }
            )
        return {
            "customers": result.customers,
            "total": result.total,
            "measures": measures,
            "pareto": {
                "customers": result.pareto_customers,
                "customer_share": result.pareto_customer_share,
                "slice_customers": result.top_slice_customers,
                "slice_share": result.top_slice_revenue_share,
            },
            "top_customers": self._top_customers(company, ranking, top),
        }

    def _band_labels(self):
        return {
            "low": self.env._("Low"),
            "moderate": self.env._("Moderate"),
            "high": self.env._("High"),
            "critical": self.env._("Critical"),
        }

    def _top_customers(self, company, ranking, top):
        top_rows = portfolio.top_customers(ranking, top)
        partners = self.env["res.partner"].with_company(company).browse([row.key for row in top_rows])
        result = []
        for row, partner in zip(top_rows, partners, strict=True):
            result.append(
                {
                    "id": partner.id,
                    "name": partner.display_name,
                    "rank": row.rank,
                    "star": int(partner.tiering_star_grade or 0),
                    "tier": partner.tiering_service_tier_id.display_name or False,
                    "user": partner.user_id.name or False,
                    "amount": row.amount,
                    "share": row.share,
                    "cumulative_share": row.cumulative_share,
                    "score": partner.tiering_score,
                }
            )
        return result

    def _grades(self, tally):
        total = sum(tally.star_amounts)
        labels = dict(self.env["res.partner"]._fields["tiering_star_grade"]._description_selection(self.env))
        return [
            {
                "star": star,
                "label": labels[str(star)],
                "customers": tally.stars[star],
                "amount": tally.star_amounts[star],
                "share": 100.0 * tally.star_amounts[star] / total if total else None,
            }
            for star in portfolio.STARS
        ]

    def _migration(self, tally):
        result = portfolio.migration(tally.moves)
        labels = dict(self.env["res.partner"]._fields["tiering_star_grade"]._description_selection(self.env))
        return {
            "stars": [labels[str(star)] for star in portfolio.STARS],
            "matrix": [list(row) for row in result.matrix],
            "customers": result.customers,
            "upgrades": result.upgrades,
            "downgrades": result.downgrades,
            "changed_share": result.changed_share,
        }

    def _workload(self, company, tally):
        tiers = self.env["trade.service.tier"].search([("company_id", "=", company.id)])
        cadences = {tier.id: portfolio.Cadence(tier.follow_up_days, tier.review_months) for tier in tiers}
        loads = portfolio.workload(
            [(user, tier, *counts) for (user, tier), counts in tally.loads.items()],
            cadences,
            company.tiering_rep_capacity,
            users=self._listed_reps(company),
        )
        users = self.env["res.users"].browse([load.user for load in loads if load.user])
        names = {user.id: user.name for user in users}
        statuses = {
            "overloaded": self.env._("Overloaded"),
            "full": self.env._("At capacity"),
            "room": self.env._("Has room"),
        }
        return {
            "capacity": company.tiering_rep_capacity,
            "tiers": [{"id": tier.id, "code": tier.code, "name": tier.display_name} for tier in tiers],
            "reps": [
                {
                    "user_id": load.user or False,
                    "name": names.get(load.user) or self.env._("No salesperson"),
                    "tier_counts": [load.customers_by_tier.get(tier.id, 0) for tier in tiers],
                    "customers": load.customers,
                    "follow_ups": load.follow_ups,
                    "reviews": load.reviews,
                    "load": load.load,
                    "capacity": load.capacity,
                    "utilisation": load.utilisation,
                    "room": load.room,
                    "overdue": load.overdue,
                    "missing_backups": load.missing_backups,
                    "status": load.status,
                    "status_label": statuses.get(load.status, False),
                }
                for load in loads
            ],
        }

    def _listed_reps(self, company):
        """Salespeople shown even without customers: the company's sales team members, or the rep."""
        if not self._sees_company():
            return [self.env.uid]
        teams = self.env["crm.team"].search([("company_id", "in", [company.id, False])])
        users = (teams.member_ids | teams.user_id).filtered(lambda user: user.active and not user.share)
        return users.ids

    def _warnings(self, company, tally, workload):
        warnings = {
            "overdue": tally.overdue,
            "missing_backups": tally.missing_backups,
            "overloaded": sum(1 for rep in workload["reps"] if rep["status"] == "overloaded"),
            "alerts": 0,
            # Record rules keep a rep's count to the warnings of the customers they serve.
            "early_warnings": self.env["trade.customer.warning"].search_count(
                [("company_id", "=", company.id), ("state", "=", "open")]
            ),
        }
        alerts = self.env["trade.concentration.alert"]
        if alerts.has_access("read"):
            warnings["alerts"] = alerts.search_count([("company_id", "=", company.id), ("state", "=", "open")])
        warnings["total"] = sum(warnings.values())
        return warnings

    def _open_alerts(self, company):
        alerts = self.env["trade.concentration.alert"]
        if not alerts.has_access("read"):
            return []
        found = alerts.search([("company_id", "=", company.id), ("state", "=", "open")])
        bands = dict(alerts._fields["band"]._description_selection(self.env))
        return [
            {
                "id": alert.id,
                "name": alert.display_name,
                "band": alert.band,
                "band_label": bands[alert.band],
                "share": alert.share,
                "date": format_date(self.env, alert.date_raised),
            }
            for alert in found
        ]

    def _refreshed_on(self, company):
        # sudo: only the date of the monthly figures is shown here; the report applies the rules.
        last = (
            self.env["trade.portfolio.month"]
            .sudo()
            .search_fetch([("company_id", "=", company.id)], ["refreshed_on"], limit=1, order="id desc")
        )
        # In UTC: the web client shows it in the browser's time zone, as the chatter does.
        return fields.Datetime.to_string(last.refreshed_on) if last.refreshed_on else False

    # ------------------------------------------------------------------
    # Refresh and export
    # ------------------------------------------------------------------

    @api.model
    def action_refresh(self):
        """Recompute the monthly figures of the portfolio report for the current company now."""
        if not self.env.user.has_group(SUPERVISOR_GROUP):
            raise AccessError(self.env._("Only sales supervisors can refresh the portfolio report."))
        self.env["trade.portfolio.month"]._refresh(self.env.company)
        return True

    @api.model
    def _export_xlsx(self, period=None):
        """``(xlsx bytes, file name)`` of the portfolio report the dashboard shows."""
        data = self.get_data(period, top=EXPORT_TOP_CUSTOMERS)
        content = portfolio_xlsx.workbook(data, self._xlsx_labels())
        filename = self.env._(
            "Portfolio %(company)s %(date)s.xlsx",
            company=data["company"]["name"],
            date=fields.Date.to_string(fields.Date.context_today(self)),
        )
        return content, filename

    def _xlsx_labels(self):
        return {
            "title": self.env._("Customer Portfolio"),
            "sheet_summary": self.env._("Summary"),
            "sheet_concentration": self.env._("Concentration"),
            "sheet_grades": self.env._("Grades"),
            "sheet_migration": self.env._("Grade Migration"),
            "sheet_workload": self.env._("Rep Workload"),
            "company": self.env._("Company"),
            "scope": self.env._("Customers"),
            "currency": self.env._("Grading Currency"),
            "basis": self.env._("Grading Basis"),
            "period": self.env._("Period"),
            "generated": self.env._("Generated On"),
            "figure": self.env._("Figure"),
            "value": self.env._("Value"),
            "band": self.env._("Risk Band"),
            "customers_with_revenue": self.env._("Customers with revenue"),
            "revenue": self.env._("Revenue over the grading basis"),
            "pareto_customers": self.env._("Share of customers making 80% of revenue"),
            "pareto_slice": self.env._("Revenue share of the top 20% of customers"),
            "upgrades": self.env._("Upgrades"),
            "downgrades": self.env._("Downgrades"),
            "changed_share": self.env._("Customers that changed grade"),
            "warnings": self.env._("Warnings"),
            "rank": self.env._("Rank"),
            "customer": self.env._("Customer"),
            "grade": self.env._("Star Grade"),
            "tier": self.env._("Service Tier"),
            "salesperson": self.env._("Salesperson"),
            "amount": self.env._("Annual Purchase Amount"),
            "share": self.env._("Share"),
            "cumulative_share": self.env._("Cumulative Share"),
            "score": self.env._("Score"),
            "customers": self.env._("Customers"),
            "start_grade": self.env._("Grade at start"),
            "end_grade": self.env._("Grade at end"),
            "total": self.env._("Total"),
            "follow_ups": self.env._("Follow-ups per month"),
            "reviews": self.env._("Business reviews per month"),
            "load": self.env._("Load per month"),
            "capacity": self.env._("Capacity per month"),
            "utilisation": self.env._("Utilisation"),
            "overdue": self.env._("Overdue follow-ups"),
            "missing_backups": self.env._("Missing backups"),
            "status": self.env._("Status"),
            "chart_pareto": self.env._("Largest customers and cumulative share"),
            "chart_grades": self.env._("Customers per star grade"),
            "chart_workload": self.env._("Monthly load against capacity"),
        }

    # ------------------------------------------------------------------
    # Nightly
    # ------------------------------------------------------------------

    @api.model
    def _cron_portfolio(self, companies):
        """After the nightly regrade: refresh the monthly report and raise concentration alerts."""
        # sudo: the nightly figures are the whole company's, whoever runs the job.
        dashboard = self.sudo()
        # A missing rate must not undo the night's grading: the refresh skips that company.
        dashboard.env["trade.portfolio.month"]._refresh_all(companies)
        for company in companies:
            dashboard.with_company(company)._raise_concentration_alerts(company)

    def _raise_concentration_alerts(self, company):
        ranking = portfolio.ranked((row[0], row[4]) for row in self._customer_rows(company))
        # The alerts' figures and activities are for the general manager: in their language (see
        # trade.tiering.engine), not in the cron user's.
        lang = self.env["trade.tiering.engine"]._user_lang(company.tiering_gm_id, company)
        dashboard = self.with_context(lang=lang)
        company = company.with_env(dashboard.env)
        figures = dashboard._concentration(company, ranking, TOP_CUSTOMERS)
        return dashboard.env["trade.concentration.alert"]._raise_alerts(company, figures)

    @api.model
    def get_response_medians(self):
        """Each rep's median response time per service tier in the current company: a rep sees
        their own, a supervisor everyone's (the response clocks' record rules)."""
        return self.env["trade.response.clock"]._median_rows(self.env.company)


def grade_ends(star, ends):
    """``(start star, end star)`` of a customer graded ``star`` now, from its history ``ends``.

    ``ends``: see TradePortfolioDashboard._history_ends; None without change since the start.
    """
    if not ends:
        return int(star), int(star)
    return portfolio.grade_at(ends[0], ends[1], star), portfolio.grade_at(ends[2], ends[3], star)


class Tally:
    """What the dashboard counts from the customer rows, in a single pass over them.

    A general manager's dashboard reads every customer of the company (100,000 in the benchmark):
    one loop in Python instead of one per section keeps the call within its time budget.
    """

    __slots__ = ("loads", "missing_backups", "moves", "overdue", "ranking", "star_amounts", "stars")

    def __init__(self, rows, history):
        self.ranking = []  # (partner, amount) of the customers with revenue
        self.stars = [0] * len(portfolio.STARS)
        self.star_amounts = [0.0] * len(portfolio.STARS)
        self.loads = defaultdict(lambda: [0, 0, 0])  # (salesperson, tier): customers, overdue, missing backups
        self.overdue = self.missing_backups = 0
        self.moves = Counter()  # (start star, end star): customers that existed at the period's end
        for partner, user, star, tier, amount, overdue, missing, existed in rows:
            grade = int(star)
            self.stars[grade] += 1
            if amount > 0:
                self.ranking.append((partner, amount))
                self.star_amounts[grade] += amount
            load = self.loads[user, tier]
            load[0] += 1
            if overdue:
                load[1] += 1
                self.overdue += 1
            if missing:
                load[2] += 1
                self.missing_backups += 1
            if existed:
                ends = history.get(partner)
                self.moves[grade_ends(grade, ends) if ends else (grade, grade)] += 1
