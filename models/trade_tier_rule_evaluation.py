"""The nightly evaluation of the tier rules (see ``trade_tier_rule.py``): set-based per company."""

import time

import numpy as np
import pandas as pd

from odoo import api, models
from odoo.tools import SQL

from ..trade_crm_tiering import tier_rules, tiering_day
from .trade_lifecycle import DEFAULT_STAGE
from .trade_tier_rule_requests import QUIET

OPEN_STATES = ("draft", "to_approve")
# Move-up requests are opened in chunks until this many seconds of a nightly unit are spent: each
# asks its approver through an activity (ORM), so a first night that moves thousands of customers
# up spreads them over units that fit the time budget (the next unit evaluates again, goes on).
REQUEST_SECONDS = 10
REQUEST_CHUNK = 50


class TradeTierRuleEvaluation(models.Model):
    """The nightly evaluation, on the rule model: set-based per company."""

    _inherit = "trade.tier.rule"

    @api.model
    def _apply_company(self, company):
        """Place ``company``'s customers by its rules (or back on star ranges); returns a summary."""
        rules_model = self.sudo().with_company(company)
        company = rules_model.env["res.company"].browse(company.id)
        if company.tiering_tier_mode != "rules":
            return rules_model._back_to_stars(company)
        rules = rules_model.search([("company_id", "=", company.id)])
        frame = rules_model._inputs(company)
        if frame.empty:
            return {"customers": 0, "changed": 0, "requests": 0}
        today = tiering_day.today()
        tiers = company._tiering_tiers()
        by_star = {star: tier.id for star, tier in company._tiering_tier_map(tiers).items()}
        fallback_tier = by_star.get(0)
        customers = pd.DataFrame(
            {
                "score": frame["score"].astype("float64"),
                "stage": frame["stage"],
                "days_since_inquiry": _days_since(frame["last_inquiry"], today),
                "days_since_order": _days_since(frame["last_order"], today),
                "amount": frame["amount"].astype("float64"),
            },
            index=frame.index,
        )
        star_tiers = frame["star"].map(lambda star: by_star.get(int(star))).astype("object")
        tags = rules_model._tags(rules, frame.index.tolist())
        result = tier_rules.evaluate(customers, [rule._rule() for rule in rules], star_tiers, tags)
        new_rule = pd.Series(
            [rules.ids[int(position)] if pd.notna(position) else None for position in result["rule"].tolist()],
            index=result.index,
            dtype="object",
        )
        current_tier = frame["tier"].fillna(fallback_tier if fallback_tier else np.nan)
        current_tier = current_tier.astype("object").where(current_tier.notna(), None)
        ranks = {tier.id: rank for rank, tier in enumerate(tiers)}
        approval = (
            tier_rules.needs_approval(current_tier, result["tier"], ranks, tiers.filtered("rule_approval").ids)
            & result["rule"].notna()
        )
        requests = rules_model._follow_up_requests(company, result[approval], new_rule[approval], current_tier)
        free = ~approval
        changed = free & (
            (result["tier"].fillna(0).astype("int64") != current_tier.fillna(0).astype("int64"))
            | (new_rule.fillna(0).astype("int64") != frame["rule"].fillna(0).astype("int64"))
        )
        changes = [
            (int(pid), _int_or_false(tier), _int_or_false(rule))
            for pid, tier, rule in zip(result.index[changed], result["tier"][changed], new_rule[changed], strict=True)
        ]
        rules_model._write_placements(company, changes)
        return {"customers": len(frame), "changed": len(changes), "requests": requests[0], "more": requests[1]}

    def _inputs(self, company):
        """One query: each customer's score, stage, last inquiry and order dates, amount, star grade,
        stored tier and rule. Customers: those with an order or a lead in the company, graded, or placed
        by a rule. An inquiry is a lead or opportunity from the customer (lost ones too), as for the
        scores' inquiry counts and the falling-inquiries warning."""
        self.env.flush_all()
        cid = str(company.id)
        rows = self.env.execute_query(
            SQL(
                """WITH orders AS (
                       SELECT p.commercial_partner_id AS pid, MAX(so.date_order)::date AS last_order
                         FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
                        WHERE so.company_id = %(company)s AND so.state = 'sale'
                        GROUP BY 1
                   ), leads AS (
                       SELECT p.commercial_partner_id AS pid, MAX(l.create_date)::date AS last_inquiry
                         FROM crm_lead l JOIN res_partner p ON p.id = l.partner_id
                        WHERE l.company_id = %(company)s OR l.company_id IS NULL
                        GROUP BY 1
                   )
                   SELECT rp.id,
                          (rp.tiering_score ->> %(cid)s)::float8,
                          COALESCE(rp.trade_lifecycle ->> %(cid)s, %(stage)s),
                          le.last_inquiry,
                          o.last_order,
                          COALESCE((rp.tiering_annual_amount ->> %(cid)s)::float8, 0),
                          COALESCE(rp.tiering_star_grade ->> %(cid)s, '0'),
                          (rp.tiering_service_tier_id ->> %(cid)s)::int4,
                          (rp.tiering_rule_id ->> %(cid)s)::int4
                     FROM res_partner rp
                     LEFT JOIN orders o ON o.pid = rp.id
                     LEFT JOIN leads le ON le.pid = rp.id
                    WHERE rp.id = rp.commercial_partner_id AND rp.active
                      AND (o.pid IS NOT NULL OR le.pid IS NOT NULL OR rp.tiering_date ? %(cid)s
                           OR rp.tiering_rule_id ? %(cid)s)""",
                company=company.id,
                cid=cid,
                stage=DEFAULT_STAGE,
            )
        )
        columns = ["id", "score", "stage", "last_inquiry", "last_order", "amount", "star", "tier", "rule"]
        frame = pd.DataFrame.from_records(rows, columns=columns, index="id")
        return frame.astype({"tier": "Int64", "rule": "Int64"})

    def _tags(self, rules, partner_ids):
        """``(customer, tag)`` rows of the tags the rules use, or None when none does."""
        used = (rules.tag_any_ids | rules.tag_all_ids).ids
        if not used or not partner_ids:
            return None
        rows = self.env.execute_query(
            SQL(
                """SELECT partner_id, category_id FROM res_partner_res_partner_category_rel
                    WHERE category_id = ANY(%s) AND partner_id = ANY(%s)""",
                used,
                partner_ids,
            )
        )
        return pd.DataFrame.from_records(rows, columns=["customer", "tag"])

    def _write_placements(self, company, changes):
        """``[(customer, tier id or False, rule id or False)]``: the tier on the customers and their
        contacts, the rule on the customers, in two UPDATEs; customers entering a tier get its playbook."""
        if not changes:
            return
        bulk = self.env["trade.tiering.bulk"].sudo()
        ids = [pid for pid, _tier, _rule in changes]
        before = company._tiering_tier_snapshot(ids)
        bulk._write_company_fields(
            company,
            ids,
            {
                "tiering_service_tier_id": [tier for _pid, tier, _rule in changes],
                "tiering_rule_id": [r for *_x, r in changes],
            },
        )
        contacts = bulk._contacts_of(ids)
        tiers = {pid: tier for pid, tier, _rule in changes}
        contact_rows = [(contact, tiers[pid]) for pid in ids for contact in contacts.get(pid, ())]
        if contact_rows:
            bulk._write_company_fields(
                company,
                [contact for contact, _tier in contact_rows],
                {"tiering_service_tier_id": [tier for _contact, tier in contact_rows]},
            )
        company._tiering_enter_tiers_since(before, ids)

    def _back_to_stars(self, company):
        """A company back on star ranges: forget its rules' placements and cancel their requests."""
        cid = str(company.id)
        self.env["res.partner"].flush_model(["tiering_rule_id"])
        rows = self.env.execute_query(
            SQL(
                "UPDATE res_partner SET tiering_rule_id = tiering_rule_id - %s WHERE tiering_rule_id ? %s RETURNING id",
                cid,
                cid,
            )
        )
        if rows:
            self.env["res.partner"].invalidate_model(["tiering_rule_id"])
            company._tiering_assign_tiers()
        self._open_rule_requests(company)._cancel_rule_requests()
        return {"customers": len(rows), "changed": len(rows), "requests": 0}

    def _open_rule_requests(self, company, partner_ids=None):
        domain = [("company_id", "=", company.id), ("source", "=", "rule"), ("state", "in", OPEN_STATES)]
        if partner_ids is not None:
            domain.append(("partner_id", "in", partner_ids))
        return self.env["trade.grade.request"].sudo().search(domain)

    def _follow_up_requests(self, company, proposed, rules, current_tier):
        """One open request per customer a rule would move up into an approval tier; the others' go.

        ``proposed``: evaluate()'s rows of those customers; ``rules``: their rule ids.
        Opens requests for REQUEST_SECONDS at most; returns (opened, whether more are to open).
        """
        start = time.monotonic()
        wanted = {
            int(pid): (int(tier), int(rule))
            for pid, tier, rule in zip(proposed.index, proposed["tier"], rules, strict=True)
        }
        open_requests = self._open_rule_requests(company)
        keep = open_requests.filtered(
            lambda r: wanted.get(r.partner_id.id) == (r.requested_tier_id.id, r.tiering_rule_id.id)
        )
        (open_requests - keep)._cancel_rule_requests()
        kept = set(keep.partner_id.ids)
        todo = {pid: values for pid, values in wanted.items() if pid not in kept}
        if not todo:
            return 0, False
        requests = self.env["trade.grade.request"].sudo().with_company(company).with_context(**QUIET)
        langs = self.env["trade.tiering.engine"]._customer_note_langs(company, list(todo))
        texts = {}
        for rule in self.browse({rule for _tier, rule in todo.values()}):
            for lang in set(langs.values()):
                rule_env = rule.with_context(lang=lang)
                texts[rule.id, lang] = rule_env.env._(
                    "%(rule)s: %(conditions)s", rule=rule_env.display_name, conditions=rule_env.conditions
                )
        pending = list(todo.items())
        opened = 0
        while pending and time.monotonic() - start < REQUEST_SECONDS:
            chunk, pending = pending[:REQUEST_CHUNK], pending[REQUEST_CHUNK:]
            current = {pid: _int_or_false(current_tier.get(pid)) for pid, _values in chunk}
            opened += len(requests._create_rule_requests(company, chunk, current, langs, texts))
        return opened, bool(pending)

    def _apply_approved(self, request):
        """Serve the customer of an approved rule request in its tier, placed by its rule."""
        company = request.company_id
        rule = request.tiering_rule_id.exists()
        self.sudo()._write_placements(
            company, [(request.partner_id.id, request.requested_tier_id.id, rule.id if rule else False)]
        )

    def _rule_tiers(self, company, partner_ids):
        """``{partner id: tier id}`` of ``partner_ids`` (customers or contacts) whose customer a rule placed."""
        self.env["res.partner"].flush_model(["tiering_rule_id", "commercial_partner_id"])
        rows = self.env.execute_query(
            SQL(
                """SELECT p.id, r.tier_id
                     FROM res_partner p
                     JOIN res_partner e ON e.id = p.commercial_partner_id
                     JOIN trade_tier_rule r ON r.id = (e.tiering_rule_id ->> %(cid)s)::int4
                    WHERE p.id = ANY(%(ids)s) AND e.tiering_rule_id ? %(cid)s""",
                cid=str(company.id),
                ids=list(partner_ids),
            )
        )
        return dict(rows)

    @api.model
    def _reapply_rule_tiers(self, company):
        """After the star ranges were applied to everyone: customers a rule placed (and their contacts)
        get their rule's tier back, in one UPDATE."""
        cid = str(company.id)
        self.env["res.partner"].flush_model(["tiering_service_tier_id", "tiering_rule_id", "commercial_partner_id"])
        self.env.execute_query(
            SQL(
                """UPDATE res_partner p
                      SET tiering_service_tier_id = COALESCE(p.tiering_service_tier_id, '{}'::jsonb)
                                            || jsonb_build_object(%(cid)s, r.tier_id)
                     FROM res_partner e JOIN trade_tier_rule r ON r.id = (e.tiering_rule_id ->> %(cid)s)::int4
                    WHERE e.id = p.commercial_partner_id AND e.tiering_rule_id ? %(cid)s
                      AND (p.tiering_service_tier_id ->> %(cid)s)::int4 IS DISTINCT FROM r.tier_id""",
                cid=cid,
            )
        )
        self.env["res.partner"].invalidate_model(["tiering_service_tier_id"])


def _days_since(dates, today):
    """Whole days from each date (None: never, NaN) to ``today``."""
    stamps = pd.to_datetime(dates, errors="coerce")
    return (pd.Timestamp(today) - stamps).dt.days.astype("float64")


def _int_or_false(value):
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return False
    return int(value)
