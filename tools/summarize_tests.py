"""Close a test run with one line, "N passed, N failed", from pytest's JUnit XML and Odoo's log.

Exit status is non-zero when any test failed, errored or was skipped, when Odoo logged an ERROR
or CRITICAL line, when Odoo never reported its test totals, or when no test ran at all.
"""

import argparse
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


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--junit", required=True)
    parser.add_argument("--odoo-log", required=True)
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
    print(f"{passed} passed, {failed} failed")
    ok = failed == 0 and not problems and (py_run + odoo_run) > 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
