"""Host compatibility suite: Odoo's own tests of the modules the add-on extends, run against a
database whose whole registry is loaded, so that at_install tests see every installed add-on's
overrides (Odoo itself runs them while the registry is half loaded, before the add-on exists).

    host_suite.py run --out RESULT.json -- <odoo-bin options, e.g. -d DB --db_host ...>
    host_suite.py compare --baseline BASE.json --addon ADDON.json --out SUMMARY.json

``run`` writes one outcome per test id (pass, fail, error, skip, excluded); a class whose
setUpClass fails marks each of its tests as error, so no test disappears from the count.
HttpCase classes need Odoo's HTTP server and a browser: they are not run here, and every one of
their tests is listed as "excluded" in the result (and counted in the summary), never dropped.

``compare`` lists the regressions: tests that pass without the add-on (baseline) and do not pass
with it. Its exit status is non-zero when there is a regression or when the add-on run lost tests.
"""

import argparse
import json
import logging
import os
import sys
import threading
import time
from pathlib import Path

# Which tests make up the suite. "module" takes every test of the module, "module:test_file"
# one test file of it. Both at_install and post_install tests run (the "standard" ones).
SUITE = (
    "sale",
    "sale_management",
    "sale_margin",
    "crm",
    "base:test_res_partner",
    "base:test_res_partner_merge",
    "base:test_res_users",
    "base:test_res_company",
    "mail:test_res_partner",
    "mail:test_mail_activity",
    "account:test_account_partner",
    "account:test_res_partner_merge",
    "account:test_account_move_out_invoice",
)

PASS, FAIL, ERROR, SKIP, EXCLUDED, NOT_RUN = "pass", "fail", "error", "skip", "excluded", "not_run"
# A test's outcome only gets worse over its setUp, body, subtests and tearDown.
SEVERITY = {PASS: 0, SKIP: 1, FAIL: 2, ERROR: 3}


def _import_odoo():
    odoo_src = os.environ.get("ODOO_SRC", "/opt/odoo")
    if odoo_src not in sys.path:
        sys.path.insert(0, odoo_src)
    import odoo  # noqa: PLC0415

    return odoo


def _selected_tests(loader, tags):
    """Yield (position, test) for the suite's tests, in Odoo's order per position."""
    import importlib  # noqa: PLC0415

    # HOST_SUITE_SPEC="crm:test_crm_lead,base:test_res_partner" narrows the suite when debugging.
    spec_list = [s for s in os.environ.get("HOST_SUITE_SPEC", "").split(",") if s] or SUITE
    for position in ("at_install", "post_install"):
        position_tag = tags(position)
        standard = tags("+standard")
        tests = []
        for spec in spec_list:
            module, _sep, test_file = spec.partition(":")
            if test_file:
                py_modules = [importlib.import_module(f"odoo.addons.{module}.tests.{test_file}")]
            else:
                py_modules = loader.get_test_modules(module)
            for py_module in py_modules:
                for test in loader.get_module_test_cases(py_module):
                    if position_tag.check(test) and standard.check(test):
                        tests.append(test)
        yield position, sorted(tests, key=lambda t: t.test_sequence)


def _recorder_class(result_base, case_module):
    class Recorder(result_base):
        """Odoo's test result, also keeping each test's outcome and first error line."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.outcomes = {}
            self.details = {}

        def _mark(self, test, outcome, err=None):
            while isinstance(test, case_module._SubTest) and test.test_case:
                test = test.test_case
            test_id = test.id()
            if SEVERITY[outcome] >= SEVERITY.get(self.outcomes.get(test_id), -1):
                self.outcomes[test_id] = outcome
                if err is not None and test_id not in self.details:
                    self.details[test_id] = f"{err[0].__name__}: {str(err[1]).strip()[:300]}"

        def startTest(self, test):  # noqa: N802 - unittest's API
            super().startTest(test)
            self._mark(test, PASS)

        def addError(self, test, err):  # noqa: N802 - unittest's API
            super().addError(test, err)
            self._mark(test, ERROR, err)

        def addFailure(self, test, err):  # noqa: N802 - unittest's API
            super().addFailure(test, err)
            self._mark(test, FAIL, err)

        def addSkip(self, test, reason):  # noqa: N802 - unittest's API
            super().addSkip(test, reason)
            self._mark(test, SKIP)
            self.details.setdefault(test.id(), f"skipped: {reason}")

    return Recorder


def _load_registry(odoo, odoo_args):
    from odoo.tools import config  # noqa: PLC0415

    config.parse_config(odoo_args)
    odoo.netsvc.init_logger()
    db = config["db_name"]
    if not db or "," in db:
        raise SystemExit("give exactly one database with -d")
    # Load the registry first with tests off: with test_enable set, loading would run each
    # module's at_install tests while the registry is half built, which is what we avoid.
    config["test_enable"] = False
    threading.current_thread().dbname = db
    registry = odoo.modules.registry.Registry.new(db)
    config["test_enable"] = True
    return db, registry


def _run_tests(tests, result):
    """Run the tests into result, as odoo.tests.loader.run_suite does (with our result object)."""
    from odoo.modules import module as odoo_module  # noqa: PLC0415
    from odoo.tests.suite import OdooSuite  # noqa: PLC0415

    odoo_module.current_test = True
    threading.current_thread().testing = True
    try:
        OdooSuite(tests)(result)
    finally:
        threading.current_thread().testing = False
        odoo_module.current_test = False


def _record(report, tests, result):
    for test in tests:
        test_id = test.id()
        if test_id in result.outcomes:
            report["tests"][test_id] = result.outcomes[test_id]
        elif getattr(type(test), "_classSetupFailed", False):
            report["tests"][test_id] = ERROR
            holder = f"setUpClass ({type(test).__module__}.{type(test).__qualname__})"
            report["details"][test_id] = "setUpClass failed: " + result.details.get(holder, "")
        else:
            report["tests"][test_id] = NOT_RUN
    # Class-level errors (setUpClass / tearDownClass) are kept apart, under their own ids.
    known = {test.id() for test in tests}
    for test_id, outcome in result.outcomes.items():
        if test_id not in known:
            report["class_errors"][test_id] = outcome
    report["details"].update(result.details)


def run(args, odoo_args):
    odoo = _import_odoo()
    db, registry = _load_registry(odoo, odoo_args)
    logger = logging.getLogger("host_suite")

    from odoo.tests import case as case_module  # noqa: PLC0415
    from odoo.tests import loader  # noqa: PLC0415
    from odoo.tests.common import HttpCase  # noqa: PLC0415
    from odoo.tests.result import OdooTestResult  # noqa: PLC0415
    from odoo.tests.tag_selector import TagsSelector  # noqa: PLC0415

    recorder = _recorder_class(OdooTestResult, case_module)
    report = {"database": db, "suite": list(SUITE), "tests": {}, "class_errors": {}, "details": {}, "durations": {}}
    for position, selected in _selected_tests(loader, TagsSelector):
        excluded = [t for t in selected if isinstance(t, HttpCase)]
        tests = [t for t in selected if not isinstance(t, HttpCase)]
        for test in excluded:
            report["tests"][test.id()] = EXCLUDED
            report["details"][test.id()] = "HttpCase: needs Odoo's HTTP server, run by Odoo's own runner"
        logger.info("host suite: %d %s tests (%d HttpCase excluded)", len(tests), position, len(excluded))
        t0 = time.time()
        result = recorder(global_report=registry._assertion_report)
        _run_tests(tests, result)
        report["durations"][position] = round(time.time() - t0, 1)
        _record(report, tests, result)
        # Written after each position, so that a run cut off still shows what it had done.
        report["counts"] = counts = _counts(report["tests"])
        Path(args.out).write_text(json.dumps(report, indent=1, sort_keys=True))
    logger.info("host suite on %s: %s", db, ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def _counts(tests):
    counts = dict.fromkeys((PASS, FAIL, ERROR, SKIP, EXCLUDED, NOT_RUN), 0)
    for outcome in tests.values():
        counts[outcome] += 1
    counts["run"] = counts[PASS] + counts[FAIL] + counts[ERROR]
    return counts


def compare(args):
    base = json.loads(Path(args.baseline).read_text())
    addon = json.loads(Path(args.addon).read_text())
    regressions = []
    for test_id, outcome in sorted(base["tests"].items()):
        new = addon["tests"].get(test_id, "missing")
        if outcome == PASS and new != PASS:
            detail = addon["details"].get(test_id, "")
            regressions.append({"test": test_id, "outcome": new, "detail": detail})
    # A tearDownClass (or setUpClass) error that the baseline does not have is one too.
    for test_id, outcome in sorted(addon.get("class_errors", {}).items()):
        if test_id not in base.get("class_errors", {}):
            regressions.append({"test": test_id, "outcome": outcome, "detail": addon["details"].get(test_id, "")})
    known = sorted(t for t, o in base["tests"].items() if o in (FAIL, ERROR))
    summary = {
        "baseline": base["counts"],
        "addon": addon["counts"],
        "durations": {"baseline": base["durations"], "addon": addon["durations"]},
        "regressions": regressions,
        "known_failures": [
            {"test": t, "detail": base["details"].get(t, ""), "addon": addon["tests"].get(t, "missing")} for t in known
        ],
        "excluded": sorted(t for t, o in addon["tests"].items() if o == EXCLUDED),
        "skipped": sorted(t for t, o in addon["tests"].items() if o == SKIP),
    }
    Path(args.out).write_text(json.dumps(summary, indent=1))
    return 1 if regressions else 0


def main():
    argv = sys.argv[1:]
    odoo_args = []
    if "--" in argv:
        cut = argv.index("--")
        argv, odoo_args = argv[:cut], argv[cut + 1 :]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run")
    run_parser.add_argument("--out", required=True)
    cmp_parser = sub.add_parser("compare")
    cmp_parser.add_argument("--baseline", required=True)
    cmp_parser.add_argument("--addon", required=True)
    cmp_parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args, odoo_args)
    return compare(args)


if __name__ == "__main__":
    sys.exit(main())
