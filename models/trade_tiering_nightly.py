"""The nightly passes, one scheduled action each, that fit production cron limits.

Each pass (grading, scoring, cadence and pool, portfolio, profile) is a list of units: a company,
a batch of a company's customers, or a step shared by all companies. A unit runs in a savepoint
and, outside tests, is committed on its own: one company's failure is logged and the others'
results stay. What is left is kept in a system parameter, so a run cut off by
``limit_time_real_cron`` resumes where it stopped; each call stops after a time budget and reports
its progress through ``ir.cron._notify_progress``, and Odoo's cron runner calls it again.
"""

import json
import logging
import time
from collections import defaultdict

import psycopg2

from odoo import api, fields, models, modules
from odoo.exceptions import UserError
from odoo.tools import SQL

from .tiering_tools import defer_to_commit, take_deferred

_logger = logging.getLogger(__name__)

# Customers graded per unit: a unit is one aggregation of their orders and one write.
GRADING_BATCH = 5_000
# Customers scored per unit, after a unit of the company-wide figures they are ranked against.
SCORING_BATCH = 5_000
# Customers whose monthly report rows are replaced per unit.
PORTFOLIO_BATCH = 5_000
# Seconds a call may work before it hands back to the cron runner. limit_time_real_cron (120 s by
# default) counts from the cron worker's last ping, and the worker may have slept up to 70 s of it
# before a job wakes it: a call must stay well under 50 s.
TIME_BUDGET = 20
PASSES = ("grading", "scoring", "cadence", "portfolio", "profile")


class TradeTieringNightly(models.AbstractModel):
    _name = "trade.tiering.nightly"
    _description = "Customer Tiering Nightly Passes"

    # ------------------------------------------------------------------
    # Scheduled actions
    # ------------------------------------------------------------------

    @api.model
    def _cron_grading(self):
        return self._run_pass("grading")

    @api.model
    def _cron_scoring(self):
        return self._run_pass("scoring")

    @api.model
    def _cron_cadence(self):
        return self._run_pass("cadence")

    @api.model
    def _cron_portfolio(self):
        return self._run_pass("portfolio")

    @api.model
    def _cron_profile(self):
        return self._run_pass("profile")

    @api.model
    def _cron_response(self):
        """Hourly, not nightly: overdue response clocks and idle leads (trade_response_clock.py,
        crm_lead_response.py). Not in PASSES: _cron_tiering_regrade does not run it."""
        return self._run_pass("response")

    # ------------------------------------------------------------------
    # The runner
    # ------------------------------------------------------------------

    def _companies(self):
        # Every company each night: there are few, their customers come in batches.
        return self.env["res.company"].sudo().search([], order="id")  # pylint: disable=no-search-all

    def _units(self, name):
        """The unit keys of pass ``name``, in order: ``company id`` or a shared step's name."""
        company_keys = [str(company.id) for company in self._companies()]
        if name == "cadence":
            return ["interactions", *company_keys, "activities"]
        return company_keys

    def _state_key(self, name):
        return f"trade_crm_tiering.nightly.{name}"

    def _load_state(self, name):
        raw = self.env["ir.config_parameter"].sudo().get_param(self._state_key(name))
        if raw:
            return json.loads(raw)
        return {"todo": self._units(name), "cursor": {}, "failed": []}

    def _save_state(self, name, state):
        value = json.dumps(state) if state["todo"] else False
        self.env["ir.config_parameter"].sudo().set_param(self._state_key(name), value)

    def _commit(self):
        # Under the cron runner, each unit is committed on its own, so that it stays. Anywhere else
        # (a test, the demo data, a shell) the caller owns the transaction: the savepoint alone
        # keeps one unit's failure from undoing the others.
        if self.env.context.get("cron_id") and not modules.module.current_test:
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _run_pass(self, name):
        """Run units of pass ``name`` until done or out of time; report the progress to the cron runner.

        Returns the keys of the units that failed in this call.
        """
        # sudo: the nightly figures are the whole company's, whoever the cron runs as.
        nightly = self.sudo()
        budget = self.env.context.get("trade_nightly_budget", TIME_BUDGET)
        start = time.monotonic()
        state = nightly._load_state(name)
        done, failed, slowest = 0, [], 0.0
        # Another unit only if one as slow as the slowest so far still fits the budget.
        while state["todo"] and (not done or time.monotonic() - start + slowest < budget):
            unit_start = time.monotonic()
            key = state["todo"][0]
            cursor = state["cursor"].get(key)
            nightly.env.flush_all()
            nightly.env.cr.precommit.run()
            try:
                with nightly.env.cr.savepoint():
                    cursor = nightly._run_unit(name, key, cursor)
                    nightly.env.flush_all()
                    nightly.env.cr.precommit.run()
            except psycopg2.errors.SerializationFailure:
                raise  # the cron runner retries the whole call; the committed units stay
            except Exception:
                nightly.env.cr.precommit.clear()
                nightly.env.invalidate_all(flush=False)
                _logger.exception("Nightly %s pass: unit %s failed; the other units go on", name, key)
                failed.append(key)
                state["failed"].append(key)
                cursor = None
            if cursor is None:
                state["todo"].pop(0)
                state["cursor"].pop(key, None)
            else:
                state["cursor"][key] = cursor
            done += 1
            nightly._save_state(name, state)
            nightly._commit()
            slowest = max(slowest, time.monotonic() - unit_start)
        self.env["ir.cron"]._notify_progress(done=done, remaining=len(state["todo"]))
        return failed

    def _run_unit(self, name, key, cursor):
        """Run one unit; returns the cursor to resume the unit from, None when the unit is done."""
        if not key.isdigit():
            return getattr(self, f"_unit_{name}_{key}")()
        company = self.env["res.company"].browse(int(key)).exists()
        if not company:
            return None
        return getattr(self, f"_unit_{name}")(company.with_env(self.env), cursor)

    # ------------------------------------------------------------------
    # Units
    # ------------------------------------------------------------------

    def _unit_grading(self, company, after):
        """Grade ``company``'s next batch of customers after id ``after``; close the company after the last.

        A batch covers every commercial partner in its id range, so downgrades that fall due are
        applied as by a full regrade (trade.tiering.engine._grading_candidates).
        """
        partners = self.env["res.partner"].with_company(company)
        partners.flush_model(["commercial_partner_id"])
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM res_partner WHERE id = commercial_partner_id AND id > %s ORDER BY id LIMIT %s",
                after or 0,
                GRADING_BATCH,
            )
        )
        if rows:
            batch = [row[0] for row in rows]
            partners._tiering_regrade(company, batch)
            return batch[-1]
        # Every customer graded: what a full regrade does once per company.
        company.tiering_last_regrade = fields.Datetime.now()
        partners._tiering_schedule_potential_reviews()
        return None

    def _unit_scoring(self, company, after):
        """The company-wide figures first (a unit of their own), then batches of customers; the
        credit ratings and limits last, in a unit of their own (one aggregation of the invoices)."""
        scoring = self.env["trade.tiering.scoring"]
        if after == "credit":
            self.env["trade.credit"]._refresh(company)
            return None
        if after is None:
            return 0 if scoring._score_basis(company) else "credit"
        return scoring._score_batch(company, after, SCORING_BATCH) or "credit"

    def _unit_cadence_interactions(self):
        self.env["trade.tiering.cadence"]._refresh_last_interactions()

    def _unit_cadence(self, company, _cursor):
        planner = self.env["trade.tiering.cadence"].with_company(company)
        planner._plan_company(company)
        planner._apply_pool(company)

    def _unit_cadence_activities(self):
        self.env["trade.tiering.cadence"]._sync_activities()

    def _unit_portfolio(self, company, cursor):
        """The monthly report: the company-wide figures (a unit of their own), then batches of
        customers; the concentration alerts last, in a unit of their own."""
        facts = self.env["trade.portfolio.month"].with_company(company)
        if cursor is None:
            try:
                with self.env.cr.savepoint():
                    facts._refresh_basis(company)
            except UserError as error:
                # A missing rate: the company keeps its previous figures, the log says why.
                _logger.warning("Portfolio report of %s not refreshed: %s", company.name, error)
                return "concentration"
            return 0
        if cursor != "concentration":
            return facts._refresh_batch(company, cursor, PORTFOLIO_BATCH) or "concentration"
        self.env["trade.portfolio.dashboard"].with_company(company)._raise_concentration_alerts(company)
        return None

    def _unit_response(self, company, cursor):
        """The overdue clocks first (one aggregation), then the idle leads in batches."""
        if cursor is None:
            self.env["trade.response.clock"].with_company(company)._check_overdue(company)
            return 0
        return self.env["crm.lead"].with_company(company)._tiering_reclaim(company, after=cursor)

    def _unit_profile(self, company, _cursor):
        self.env["trade.lifecycle"]._refresh(company)
        self.env["res.partner"].with_company(company)._tiering_schedule_greetings()


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model
    def _cron_tiering_regrade(self):
        """Every nightly pass but the profile one, at once (the demo data and older callers use it)."""
        nightly = self.env["trade.tiering.nightly"].with_context(trade_nightly_budget=float("inf"))
        for name in PASSES[:-1]:
            nightly._run_pass(name)

    @api.model
    def _cron_trade_profile(self):
        self.env["trade.tiering.nightly"].with_context(trade_nightly_budget=float("inf"))._run_pass("profile")

    @api.model
    def _tiering_schedule_regrade(self, keys):
        """Regrade ``keys`` ((company id, customer id) pairs) once, when the transaction commits.

        Order confirmations, cancellations and amount changes call this: however many happen in
        one transaction, each customer is regraded once, after the orders are written.
        """
        defer_to_commit(self.env, "trade_crm_tiering.regrade", keys, self._tiering_run_scheduled_regrades)

    def _tiering_run_scheduled_regrades(self):
        """Regrade what the transaction's orders changed; never fail the sale that queued it.

        A missing exchange rate does not raise (see trade.tiering.engine._converted). Anything
        else going wrong in the regrade is logged and leaves the grades as they were: the nightly
        grading pass catches up, and the sale, possibly an online payment, goes through.
        """
        pending = take_deferred(self.env, "trade_crm_tiering.regrade")
        by_company = defaultdict(list)
        for company_id, partner_id in pending:
            by_company[company_id].append(partner_id)
        for company_id, partner_ids in by_company.items():
            company = self.env["res.company"].browse(company_id)
            try:
                with self.env.cr.savepoint():
                    self._tiering_regrade(company, partner_ids)
                    self.env.flush_all()
            except (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable):
                raise
            except Exception:  # the sale must go through, the night catches up
                self.env.invalidate_all(flush=False)
                _logger.warning(
                    "Regrade of %s customers of %s after their orders failed; the nightly pass will redo it",
                    len(partner_ids),
                    company.name,
                    exc_info=True,
                )
