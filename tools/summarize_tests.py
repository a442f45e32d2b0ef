"""Close a test run with one line, "N passed, N failed", from pytest's JUnit XML and Odoo's log.

Exit status is non-zero when any test failed, errored or was skipped, when Odoo logged an ERROR
or CRITICAL line, when Odoo never reported its test totals, or when no test ran at all.

With --host (tools/host_suite.py compare's summary) the host compatibility suite is counted too:
each of Odoo's own tests that passes with the add-on is one passed test, each regression (passes
without the add-on, not with it) one failed test. Tests that fail without the add-on as well are
Odoo's, not ours: they are listed and counted apart, not in "N failed". ERROR lines that Odoo's own
tests log on purpose are not read (that suite has its own log). With --lifecycle
(tools/lifecycle_check.py's results) each upgrade/uninstall check counts as one test.
"""

import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ODOO_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z]+) ")
ODOO_TOTALS = re.compile(
    r"(?P<failed>\d+) failed, (?P<errors>\d+) error\(s\) of (?P<run>\d+) tests when loading database"
)
ODOO_SKIP = re.compile(r" INFO \S+ \S+: skipped (?P<test>\S+)")
# Warnings that mean the add-on did not install as shipped.
ODOO_FATAL_WARNINGS = re.compile(
    r"demo data failed to install|Some modules are not loaded|inconsistent states|not installable|"
    r"Invalid field|Field .* does not exist|The view .* is invalid|docutils' system message|py\.warnings"
)


def pytest_counts(junit_path):
    """Return (run, failed, skipped) of the pytest run, counting a missing report as one failure."""
    path = Path(junit_path)
    if not path.is_file():
        print(f"pytest wrote no report at {path}", file=sys.stderr)
        return 0, 1, 0
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    run = failed = skipped = 0
    for suite in suites:
        run += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return run, failed, skipped


def odoo_counts(log_path):
    """Return (run, failed, skipped, problems) read from Odoo's log."""
    problems = []
    run = failed = skipped = 0
    totals_seen = False
    for line in Path(log_path).read_text(errors="replace").splitlines():
        match = ODOO_LINE.match(line)
        if match and (match["level"] in ("ERROR", "CRITICAL") or ODOO_FATAL_WARNINGS.search(line)):
            problems.append(line)
        totals = ODOO_TOTALS.search(line)
        if totals:
            totals_seen = True
            run = int(totals["run"])
            failed = int(totals["failed"]) + int(totals["errors"])
        if ODOO_SKIP.search(line):
            skipped += 1
            problems.append(line)
    if not totals_seen:
        problems.append("Odoo never reported its test totals: the install or the test run broke off.")
        failed = max(failed, 1)
    return run, failed, skipped, problems


def host_counts(path):
    """Return (passed, failed, lines) of the host compatibility suite's summary."""
    path = Path(path)
    if not path.is_file():
        return 0, 1, [f"host compatibility suite: no summary at {path} (the suite broke off)"]
    summary = json.loads(path.read_text())
    base, addon, regressions = summary["baseline"], summary["addon"], summary["regressions"]
    durations = summary.get("durations", {})

    def line(name, counts):
        took = sum(durations.get(name, {}).values())
        return (
            f"  {name}: {counts['run']} run, {counts['pass']} passed, {counts['fail'] + counts['error']} failed, "
            f"{counts['skip']} skipped, {counts['excluded']} excluded (HttpCase), {counts['not_run']} not run"
            f" ({took:.0f} s)"
        )

    lines = [
        f"host suite: {addon['run']} run, {addon['pass']} passed, "
        f"{addon['fail'] + addon['error']} failed, {len(regressions)} regressions",
        line("baseline", base),
        line("addon", addon),
    ]
    for known in summary["known_failures"]:
        detail = " | ".join(known["detail"].splitlines())[:200]
        lines.append(f"  fails without the add-on too (not counted): {known['test']}: {detail}")
    # One line per test class and cause: a failing setUpClass makes a whole class regress at once.
    groups = {}
    for reg in regressions:
        test_class, _sep, method = reg["test"].rpartition(".")
        if reg["test"].endswith(")"):  # "setUpClass (module.Class)": a class-level error
            test_class, method = reg["test"], "class"
        cause = " | ".join(reg["detail"].splitlines())[:300]
        groups.setdefault((test_class, reg["outcome"], cause), []).append(method)
    for (test_class, outcome, cause), methods in groups.items():
        names = ", ".join(methods[:3]) + (f" and {len(methods) - 3} more" if len(methods) > 3 else "")
        lines.append(f"  REGRESSION {test_class} ({names}) -> {outcome}: {cause}")
    return addon["pass"], len(regressions), lines


def lifecycle_counts(path):
    """Return (passed, failed, lines) of the upgrade/uninstall checks."""
    path = Path(path)
    results = json.loads(path.read_text()) if path.is_file() else []
    if not results:
        return 0, 1, ["lifecycle checks: no results (the checks broke off)"]
    failed = [r for r in results if not r["ok"]]
    lines = [f"lifecycle checks: {len(results)} run, {len(results) - len(failed)} passed, {len(failed)} failed"]
    lines += [f"  FAILED {r['check']}: {r['detail'][:300]}" for r in failed]
    errors = path.with_name("lifecycle-errors.txt")
    logged = errors.read_text(errors="replace").splitlines() if errors.is_file() else []
    if logged:
        lines.append(f"  note: {len(logged)} ERROR line(s) logged by Odoo during upgrade/uninstall (caught by Odoo):")
        lines += [f"    {line[:300]}" for line in logged[:10]]
    return len(results) - len(failed), len(failed), lines


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--junit", required=True)
    parser.add_argument("--odoo-log", required=True)
    parser.add_argument("--host", help="summary JSON of tools/host_suite.py compare")
    parser.add_argument("--lifecycle", help="results JSON of tools/lifecycle_check.py")
    args = parser.parse_args()

    py_run, py_failed, py_skipped = pytest_counts(args.junit)
    odoo_run, odoo_failed, odoo_skipped, problems = odoo_counts(args.odoo_log)

    skipped = py_skipped + odoo_skipped
    failed = py_failed + odoo_failed + skipped
    passed = py_run + odoo_run - failed
    if problems and not failed:
        # An ERROR logged outside any failing test (during install, say) still fails the run.
        failed = 1
    print(
        f"pytest: {py_run} run, {py_failed} failed, {py_skipped} skipped; "
        f"odoo: {odoo_run} run, {odoo_failed} failed, {odoo_skipped} skipped"
    )
    if problems:
        print(f"{len(problems)} log line(s) that fail the run:")
        for line in problems[:50]:
            print(f"  {line[:400]}")
    extra_failed = 0
    for path, counter in ((args.host, host_counts), (args.lifecycle, lifecycle_counts)):
        if path:
            more_passed, more_failed, lines = counter(path)
            passed += more_passed
            extra_failed += more_failed
            print("\n".join(lines))
    failed += extra_failed
    print(f"{passed} passed, {failed} failed")
    ok = failed == 0 and not problems and (py_run + odoo_run) > 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
