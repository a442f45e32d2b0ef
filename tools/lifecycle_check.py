"""Upgrade and uninstall checks (#11.7) on a database where the add-on is installed with its demo data.

    lifecycle_check.py prepare   --snapshot S.json --results R.json -- <odoo-bin options with -d DB>
    (then: odoo-bin -d DB -u trade_crm_tiering --stop-after-init)
    lifecycle_check.py upgraded  --snapshot S.json --results R.json -- <odoo-bin options>
    lifecycle_check.py uninstall --results R.json -- <odoo-bin options>

``prepare`` runs the add-on's scheduled actions (as Odoo's "Run manually" does) so that customers
are graded and there are grade requests, history rows and warnings, and snapshots them.
``upgraded`` compares the snapshot with the database after ``-u``: every grade value, request,
history row and warning is kept. ``uninstall`` uninstalls the add-on as an administrator who is not
the superuser (button_immediate_uninstall, what the Apps menu calls), then, as that administrator,
uses sales, CRM, contacts and invoicing: each step is one check.

Each check appends {"check", "ok", "detail"} to the results file (a JSON list), which the closing
summary counts as tests. The exit status is non-zero when a check of this step failed.
"""

import argparse
import hashlib
import json
import logging
import os
import sys
import threading
import traceback
from pathlib import Path

MODULE = "trade_crm_tiering"
# Rows that an upgrade must keep as they are. write_date/write_uid may move when data files are
# reloaded; every other column must be identical.
KEPT_TABLES = ("trade_grade_request", "trade_grade_history", "trade_customer_warning")
IGNORED_COLUMNS = ("write_date", "write_uid")

_logger = logging.getLogger("lifecycle_check")


def _odoo(odoo_args):
    odoo_src = os.environ.get("ODOO_SRC", "/opt/odoo")
    if odoo_src not in sys.path:
        sys.path.insert(0, odoo_src)
    import odoo  # noqa: PLC0415

    odoo.tools.config.parse_config(odoo_args)
    odoo.netsvc.init_logger()
    db = odoo.tools.config["db_name"]
    threading.current_thread().dbname = db
    return odoo, db


class Checks:
    """Collects named checks; a failing check keeps its exception's first lines as detail."""

    def __init__(self, path):
        self.path = Path(path)
        self.results = json.loads(self.path.read_text()) if self.path.is_file() else []
        self.failed = 0

    def record(self, name, ok, detail=""):
        self.results.append({"check": name, "ok": bool(ok), "detail": str(detail)[:600]})
        self.failed += not ok
        _logger.info("lifecycle check %s: %s %s", "PASS" if ok else "FAIL", name, detail)
        self.path.write_text(json.dumps(self.results, indent=1))

    def run(self, name, cr, func):
        """Run func() in a savepoint: a failure is recorded and rolled back, later checks go on."""
        try:
            with cr.savepoint():
                detail = func()
        except Exception as exc:
            lines = traceback.format_exception_only(exc)
            self.record(name, False, "".join(lines).strip())
            return False
        self.record(name, True, detail or "")
        return True


def _addon_partner_columns(cr):
    """Stored res.partner columns that the add-on defines (grades, scores, profile fields)."""
    cr.execute(
        """SELECT f.name FROM ir_model_fields f
             JOIN ir_model_data d ON d.model = 'ir.model.fields' AND d.res_id = f.id
            WHERE d.module = %s AND f.model = 'res.partner' AND f.store
              AND f.name IN (SELECT column_name FROM information_schema.columns
                              WHERE table_name = 'res_partner')
            ORDER BY f.name""",
        [MODULE],
    )
    return [name for (name,) in cr.fetchall()]


def _table_rows(cr, table):
    """{id: row digest} of a table, leaving out the columns an upgrade may legitimately touch."""
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY column_name",
        [table],
    )
    columns = [c for (c,) in cr.fetchall() if c not in IGNORED_COLUMNS]
    if not columns:
        return {}
    select = ", ".join(f'"{c}"::text' for c in columns)
    cr.execute(f'SELECT id, ARRAY[{select}] FROM "{table}" ORDER BY id')
    return {str(row_id): hashlib.sha1(json.dumps(values).encode()).hexdigest() for row_id, values in cr.fetchall()}


def _snapshot(cr):
    columns = _addon_partner_columns(cr)
    select = ", ".join(f'"{c}"::text' for c in columns)
    cr.execute(f"SELECT id, ARRAY[{select}] FROM res_partner ORDER BY id")
    partners = {str(pid): dict(zip(columns, values, strict=True)) for pid, values in cr.fetchall()}
    return {"partner_columns": columns, "partners": partners, "tables": {t: _table_rows(cr, t) for t in KEPT_TABLES}}


def _graded_count(snapshot):
    return sum(1 for values in snapshot["partners"].values() if values.get("tiering_star_grade") not in (None, "{}"))


def prepare(args, odoo_args):
    odoo, db = _odoo(odoo_args)
    checks = Checks(args.results)
    registry = odoo.modules.registry.Registry.new(db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        crons = env["ir.cron"].search([("id", "in", _module_record_ids(env, "ir.cron"))])
        for cron in crons:
            checks.run(
                f"prepare: scheduled action '{cron.name}' runs", cr, lambda c=cron: c.method_direct_trigger() and ""
            )
        cr.commit()
        snapshot = _snapshot(cr)
    Path(args.snapshot).write_text(json.dumps(snapshot))
    counts = {"graded customers": _graded_count(snapshot)}
    counts.update({table: len(rows) for table, rows in snapshot["tables"].items()})
    for what, count in counts.items():
        checks.record(f"prepare: the database has {what}", count > 0, f"{count}")
    return 1 if checks.failed else 0


def _module_record_ids(env, model):
    return env["ir.model.data"].search([("module", "=", MODULE), ("model", "=", model)]).mapped("res_id")


def upgraded(args, odoo_args):
    odoo, db = _odoo(odoo_args)
    checks = Checks(args.results)
    before = json.loads(Path(args.snapshot).read_text())
    registry = odoo.modules.registry.Registry.new(db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        module = env["ir.module.module"].search([("name", "=", MODULE)])
        checks.record("upgrade: the add-on is still installed", module.state == "installed", module.state)
        after = _snapshot(cr)
    changed = [
        f"partner {pid}.{col}: {old!r} -> {after['partners'].get(pid, {}).get(col)!r}"
        for pid, values in before["partners"].items()
        for col, old in values.items()
        if after["partners"].get(pid, {}).get(col) != old
    ]
    checks.record(
        f"upgrade: grade fields of {len(before['partners'])} partners kept ({len(before['partner_columns'])} columns)",
        not changed,
        "; ".join(changed[:10]),
    )
    for table, rows in before["tables"].items():
        now = after["tables"].get(table, {})
        lost = sorted(set(rows) - set(now), key=int)
        altered = sorted((r for r in rows if r in now and now[r] != rows[r]), key=int)
        checks.record(
            f"upgrade: {len(rows)} rows of {table} kept unchanged",
            not lost and not altered and len(now) == len(rows),
            f"lost ids {lost[:10]}, changed ids {altered[:10]}, {len(now)} rows now" if lost or altered else "",
        )
    return 1 if checks.failed else 0


def uninstall(args, odoo_args):
    odoo, db = _odoo(odoo_args)
    checks = Checks(args.results)
    registry = odoo.modules.registry.Registry.new(db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        admin = env.ref("base.user_admin")
        is_plain_admin = admin.id != odoo.SUPERUSER_ID and admin.has_group("base.group_system")
        checks.record("uninstall: runs as an administrator who is not the superuser", is_plain_admin, admin.login)
        module = env["ir.module.module"].with_user(admin).search([("name", "=", MODULE)])
        try:
            # Commits and reloads the registry itself, as the Apps menu does.
            module.button_immediate_uninstall()
            checks.record("uninstall: button_immediate_uninstall succeeds", True)
        except Exception as exc:
            checks.record("uninstall: button_immediate_uninstall succeeds", False, repr(exc))
            return 1
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        _after_uninstall_checks(odoo, env, checks)
        cr.rollback()
    return 1 if checks.failed else 0


def _after_uninstall_checks(odoo, env, checks):
    cr = env.cr
    state = env["ir.module.module"].search([("name", "=", MODULE)]).state
    checks.record("uninstall: the add-on is uninstalled", state == "uninstalled", state)
    cr.execute("SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'trade\\_%%'")
    (tables,) = cr.fetchone()
    cr.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'res_partner' "
        "AND column_name IN ('tiering_star_grade', 'tiering_service_tier_id', 'tiering_currency_id', 'trade_lifecycle')"
    )
    (columns,) = cr.fetchone()
    checks.record(
        "uninstall: the add-on's tables and partner columns are gone",
        not tables and not columns,
        f"{tables} tables, {columns} columns left",
    )
    admin = env.ref("base.user_admin")
    flows = _Flows(env(user=admin, su=False))
    for name, func in flows.steps():
        checks.run(f"after uninstall, as {admin.login}: {name}", cr, func)


class _Flows:
    """Sales, CRM and contacts as an administrator once the add-on is gone. Each step builds on
    the records of the previous ones when they exist, and creates its own otherwise."""

    def __init__(self, env):
        self.env = env
        self.partner = self.lead = self.order = None

    def steps(self):
        return [
            ("create a user", self.create_user),
            ("create a customer", self.create_partner),
            ("duplicate and archive a customer", self.copy_archive_partner),
            ("create a lead and convert it into an opportunity with a new customer", self.convert_lead),
            ("create and confirm a quotation", self.confirm_order),
            ("invoice the order and post the invoice", self.post_invoice),
            ("merge two duplicate contacts", self.merge_contacts),
        ]

    def create_user(self):
        user = self.env["res.users"].create(
            {
                "name": "Lifecycle Salesman",
                "login": "lifecycle.salesman@example.com",
                "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_salesman").id])],
            }
        )
        assert user.partner_id, "the user has no partner"
        return user.login

    def create_partner(self):
        self.partner = self.env["res.partner"].create(
            {"name": "Lifecycle Customer", "email": "buyer@lifecycle.example", "is_company": True}
        )
        return self.partner.display_name

    def _customer(self):
        return self.partner or self.env["res.partner"].create({"name": "Lifecycle Fallback Customer"})

    def copy_archive_partner(self):
        copy = self._customer().copy()
        copy.action_archive()
        assert not copy.active, "the copy is still active"
        copy.action_unarchive()
        return copy.display_name

    def convert_lead(self):
        lead = self.env["crm.lead"].create(
            {
                "name": "Lifecycle lead: 200 panels",
                "type": "lead",
                "contact_name": "Jane Buyer",
                "partner_name": "Lifecycle Buyer Co",
                "email_from": "jane@lifecycle-buyer.example",
            }
        )
        wizard = (
            self.env["crm.lead2opportunity.partner"]
            .with_context(active_model="crm.lead", active_id=lead.id, active_ids=lead.ids)
            .create({"name": "convert", "action": "create"})
        )
        wizard.action_apply()
        assert lead.type == "opportunity", f"lead type is {lead.type}"
        assert lead.partner_id, "no customer was created"
        self.lead = lead
        return lead.partner_id.display_name

    def confirm_order(self):
        product = self.env["product.product"].create(
            {"name": "Lifecycle Panel", "type": "consu", "list_price": 100.0, "invoice_policy": "order"}
        )
        customer = self.lead.partner_id if self.lead else self._customer()
        self.order = self.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "opportunity_id": self.lead.id if self.lead else False,
                "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 3})],
            }
        )
        self.order.action_confirm()
        assert self.order.state == "sale", f"order state is {self.order.state}"
        return f"{self.order.name} {self.order.amount_total}"

    def post_invoice(self):
        if not self.order:
            self.confirm_order()
        invoice = self.order._create_invoices()
        invoice.action_post()
        assert invoice.state == "posted", f"invoice state is {invoice.state}"
        return invoice.name

    def merge_contacts(self):
        partners = self.env["res.partner"].create(
            [
                {"name": "Lifecycle Duplicate", "email": "dup@lifecycle.example"},
                {"name": "Lifecycle Duplicate", "email": "dup@lifecycle.example", "phone": "+1 555 0100"},
            ]
        )
        wizard = (
            self.env["base.partner.merge.automatic.wizard"]
            .with_context(active_model="res.partner", active_ids=partners.ids)
            .create({"partner_ids": [(6, 0, partners.ids)], "dst_partner_id": partners[0].id})
        )
        wizard.action_merge()
        assert not partners[1].exists(), "the duplicate still exists"
        return f"merged into {partners[0].id}"


def main():
    argv = sys.argv[1:]
    odoo_args = []
    if "--" in argv:
        cut = argv.index("--")
        argv, odoo_args = argv[:cut], argv[cut + 1 :]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("step", choices=["prepare", "upgraded", "uninstall"])
    parser.add_argument("--snapshot")
    parser.add_argument("--results", required=True)
    args = parser.parse_args(argv)
    step = {"prepare": prepare, "upgraded": upgraded, "uninstall": uninstall}[args.step]
    return step(args, odoo_args)


if __name__ == "__main__":
    sys.exit(main())
