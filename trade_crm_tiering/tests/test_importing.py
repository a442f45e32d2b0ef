import io
import re
import time
import tracemalloc
import zipfile
from datetime import date

import openpyxl
import pytest
import xlsxwriter

from trade_crm_tiering import exporting, importing
from trade_crm_tiering.importing import AMBIGUOUS, Existing, ImportFileError, Lookups, Problem, Tier, norm
from trade_crm_tiering.policy import GradeState

HEADERS = {
    norm(label): key
    for label, key in (
        ("Customer Code", "ref"),
        ("Customer Name", "name"),
        ("客户名称", "name"),
        ("Country", "country"),
        ("Tax ID", "vat"),
        ("Email", "email"),
        ("Salesperson", "salesperson"),
        ("Star Grade", "grade"),
        ("Service Tier", "tier"),
        ("Source", "source"),
        ("Annual Purchase Volume", "declared_volume"),
        ("Founded On", "founded_on"),
        ("Tags", "tags"),
        ("Market Region", "region_tags"),
        ("Main Contact", "main_contact"),
        ("Notes", "notes"),
    )
}


def lookups():
    index = Lookups(
        users={"ravi": 7, "ravi rep": 7, "olga": 8},
        countries={"de": 10, "germany": 10, "ae": 11, "united arab emirates": 11, "阿联酋": 11},
        tiers={"a": Tier(1, 5, 5), "a core": Tier(1, 5, 5), "b": Tier(2, 3, 4), "d": Tier(4, 0, 0)},
        choices={"source": {"trade_show": "trade_show", "trade show": "trade_show", "展会": "trade_show"}},
        tags={"middle east": 31, "plywood": 32, "sample": 33},
    )
    importing.add_name(index.users, "Sam Same", 20)
    importing.add_name(index.users, "sam same", 21)
    return index


def sheet(header, *rows):
    """An xlsx with one sheet: ``header`` then ``rows``."""
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.append(list(header))
    for row in rows:
        worksheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def plans_of(*rows, header=("Customer Name", "Country", "Salesperson", "Star Grade", "Annual Purchase Volume")):
    rows, _ignored = importing.read_rows(sheet(header, *rows), HEADERS)
    return importing.check_rows(rows, lookups())


def problem_codes(plan):
    return [(problem.code, problem.column) for problem in plan.problems]


def test_read_rows_keeps_the_sheet_row_numbers_and_skips_empty_rows():
    data = sheet(
        ("Customer Name", "Star Grade", "Whatever", "Main Contact"),
        ("Gulf Star", 5, "x", "Omar"),
        (None, None, None, None),
        ("Rhein Holz", 3.0, None, None),
    )
    rows, ignored = importing.read_rows(data, HEADERS)
    assert rows == [(2, {"name": "Gulf Star", "grade": "5"}), (4, {"name": "Rhein Holz", "grade": "3"})]
    assert ignored == ["Whatever"], "export-only columns are read back silently, unknown ones reported"


def test_headers_in_another_language():
    rows, _ignored = importing.read_rows(sheet(("客户名称", "Country"), ("Gulf Star", "AE")), HEADERS)
    assert rows == [(2, {"name": "Gulf Star", "country": "AE"})]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"not a spreadsheet", "unreadable"),
        (sheet(("Country",), ("DE",)), "no_name_column"),
        (sheet(("Customer Name",)), "empty"),
        (sheet(("Customer Name", "客户名称"), ("a", "b")), "duplicate_column"),
    ],
)
def test_unreadable_files(data, code):
    with pytest.raises(ImportFileError) as caught:
        importing.read_rows(data, HEADERS)
    assert caught.value.code == code


def test_a_clean_row_is_resolved():
    (plan,) = plans_of(("Gulf Star", "United Arab Emirates", "Ravi Rep", 5, "1,250,000.50"))
    assert plan.problems == []
    assert plan.values == {
        "name": "Gulf Star",
        "country": 11,
        "salesperson": 7,
        "grade": 5,
        "declared_volume": 1_250_000.5,
    }


@pytest.mark.parametrize(
    ("row", "problems"),
    [
        (("Gulf Star", "Atlantis", "", "", ""), [("unknown_country", "country")]),
        (("Gulf Star", "", "nobody", "", ""), [("unknown_user", "salesperson")]),
        (("Gulf Star", "", "sam same", "", ""), [("ambiguous_user", "salesperson")]),
        (("Gulf Star", "", "", "6", ""), [("grade_range", "grade")]),
        (("Gulf Star", "", "", "-1", ""), [("grade_range", "grade")]),
        (("Gulf Star", "", "", "2.5", ""), [("grade_range", "grade")]),
        (("Gulf Star", "", "", "three", ""), [("grade_range", "grade")]),
        (("Gulf Star", "", "", "", "lots"), [("not_a_number", "declared_volume")]),
        (("Gulf Star", "", "", "", "-5"), [("negative_amount", "declared_volume")]),
        (("", "DE", "", "", ""), [("missing_name", "name")]),
        (("", "Atlantis", "", "", ""), [("missing_name", "name"), ("unknown_country", "country")]),
    ],
)
def test_each_kind_of_bad_cell_is_named(row, problems):
    (plan,) = plans_of(row)
    assert problem_codes(plan) == problems


def test_bad_dates_emails_choices_tags_and_tiers():
    header = ("Customer Name", "Founded On", "Email", "Source", "Tags", "Service Tier", "Star Grade")
    plans = plans_of(
        ("One", "2001-02-30", "", "", "", "", ""),
        ("Two", "", "not-an-email", "", "", "", ""),
        ("Three", "", "", "fax campaign", "", "", ""),
        ("Four", "", "", "", "plywood, unicorns", "", ""),
        ("Five", "", "", "", "", "Z", "3"),
        ("Six", "", "", "", "", "A", "3"),
        ("Seven", "", "", "", "", "B", ""),
        ("Eight", "1998-06-15", "a@b.example", "展会", "Middle East\uff1bPlywood", "A Core", "5"),
        header=header,
    )
    assert [problem_codes(plan) for plan in plans[:7]] == [
        [("not_a_date", "founded_on")],
        [("bad_email", "email")],
        [("unknown_choice", "source")],
        [("unknown_tag", "tags")],
        [("unknown_tier", "tier")],
        [("tier_grade_mismatch", "tier")],
        [("tier_without_grade", "tier")],
    ]
    assert plans[3].problems[0].value == "unicorns"
    assert plans[7].problems == []
    assert plans[7].values == {
        "name": "Eight",
        "founded_on": date(1998, 6, 15),
        "email": "a@b.example",
        "source": "trade_show",
        "tags": [31, 32],
        "grade": 5,
    }


def test_dates_from_date_cells():
    rows, _ignored = importing.read_rows(sheet(("Customer Name", "Founded On"), ("One", date(1998, 6, 15))), HEADERS)
    (plan,) = importing.check_rows(rows, lookups())
    assert plan.values["founded_on"] == date(1998, 6, 15)


def test_duplicate_rows_point_at_the_first():
    header = ("Customer Name", "Country", "Customer Code", "Tax ID")
    plans = plans_of(
        ("Gulf Star", "AE", "C001", ""),
        ("Other", "DE", "c001", ""),
        ("gulf  star", "ae", "", ""),
        ("Gulf Star", "DE", "", "DE 123"),
        ("Third", "", "", "de123"),
        header=header,
    )
    assert [plan.problems for plan in plans] == [
        [],
        [Problem("duplicate_row", row=2)],
        [Problem("duplicate_row", row=2)],
        [],
        [Problem("duplicate_row", row=5)],
    ]


def existing():
    index = Existing()
    index.refs = {"c001": 100}
    index.vats = {"DE123": 101, "FR999": AMBIGUOUS}
    index.names = {("gulf star", 11): 102, ("rhein holz", 10): 101}
    return index


def matched(*rows):
    header = ("Customer Name", "Country", "Customer Code", "Tax ID")
    plans = plans_of(*rows, header=header)
    importing.match_rows(plans, existing())
    return plans


def test_matching_by_reference_then_vat_then_name_and_country():
    plans = matched(
        ("Renamed Ltd", "DE", "C001", "FR999"),
        ("Somebody", "", "", "de 123"),
        ("GULF STAR", "AE", "", ""),
        ("Gulf Star", "DE", "", ""),
    )
    assert [plan.partner_id for plan in plans] == [100, 101, 102, None]


def test_ambiguous_and_repeated_matches_are_problems():
    plans = matched(("X", "", "", "FR999"), ("Rhein Holz", "DE", "", ""), ("Y", "", "", "DE123"))
    assert plans[0].problems == [Problem("ambiguous_match")]
    assert plans[1].partner_id == 101
    assert plans[2].problems == [Problem("duplicate_row", row=3)]


def test_changes_against_what_is_stored():
    plans = matched(("Renamed Ltd", "DE", "C001", ""), ("Gulf Star", "AE", "", ""), ("New Co", "DE", "", ""))
    stored = {
        100: {"name": "Old Name", "country": 10, "ref": "C001"},
        102: {"name": "Gulf Star", "country": 11},
    }
    importing.plan_changes(plans, stored)
    assert [plan.action for plan in plans] == ["update", "unchanged", "create"]
    assert plans[0].changes == {"name": "Renamed Ltd"}
    assert plans[2].changes == {"name": "New Co", "country": 10}
    assert importing.counts(plans) == {"create": 1, "update": 1, "unchanged": 1, "error": 0}


def test_tags_are_added_and_numbers_compared_to_the_cent():
    header = ("Customer Name", "Tags", "Annual Purchase Volume")
    plans = plans_of(("Gulf Star", "Plywood", "1000.001"), ("Gulf Star 2", "Sample, Plywood", "10"), header=header)
    plans[0].partner_id, plans[1].partner_id = 1, 2
    stored = {
        1: {"name": "Gulf Star", "tags": {31, 32}, "declared_volume": 1000.0},
        2: {"name": "Gulf Star 2", "tags": {32}, "declared_volume": False},
    }
    importing.plan_changes(plans, stored)
    assert plans[0].action == "unchanged"
    assert plans[1].changes == {"tags": [33], "declared_volume": 10.0}


def test_grades_compare_with_how_the_customer_is_served():
    header = ("Customer Name", "Star Grade")
    plans = plans_of(
        ("Same", "3"), ("Up", "4"), ("Below purchases", "1"), ("New", "2"), ("New zero", "0"), header=header
    )
    for plan, partner_id in zip(plans, (1, 2, 3, None, None), strict=True):
        plan.partner_id = partner_id
    stored = {
        1: {"name": "Same", "grade": GradeState(actual=2, effective=3, downgrade_due=date(2026, 12, 1))},
        2: {"name": "Up", "grade": GradeState(actual=2, effective=2)},
        3: {"name": "Below purchases", "grade": GradeState(actual=3, effective=3)},
    }
    importing.plan_changes(plans, stored)
    assert [plan.action for plan in plans] == ["unchanged", "update", "update", "create", "create"]
    assert plans[1].changes == {"grade": (4, 4)}, "above its purchases: a potential grade"
    assert plans[2].changes == {"grade": (1, 0)}, "below: applied, the next regrade raises it again"
    assert plans[3].changes["grade"] == (2, 2)
    assert "grade" not in plans[4].changes, "0 stars is what a new customer has"


def test_tax_ids_compare_without_spaces_and_dots():
    assert importing.diff({"vat": "DE811222333"}, {"vat": "DE 811.222.333"}) == {}
    assert importing.diff({"vat": "DE811222334"}, {"vat": "DE 811.222.333"}) == {"vat": "DE811222334"}


def test_errors_have_no_changes():
    (plan,) = plans_of(("", "", "", "", ""), ("", "Atlantis", "", "", ""))[:1]
    importing.plan_changes([plan], {})
    assert (plan.action, plan.changes) == ("error", {})


def test_an_exported_table_reads_back():
    table = exporting.Table(
        "Classification",
        [
            exporting.TableColumn("Customer Code"),
            exporting.TableColumn("Customer Name"),
            exporting.TableColumn("Main Contact"),
            exporting.TableColumn("Country"),
            exporting.TableColumn("Market Region"),
            exporting.TableColumn("Star Grade", "int"),
            exporting.TableColumn("Annual Purchase Volume", "money"),
            exporting.TableColumn("Founded On", "date"),
        ],
        [["C001", "Gulf Star", "Omar", "AE", "Middle East", 5, 1200.5, date(1998, 6, 15)]],
        color_by=(0, {"C001": 10}),
    )
    rows, ignored = importing.read_rows(exporting.write_tables([table]), HEADERS)
    assert ignored == []
    (plan,) = importing.check_rows(rows, lookups())
    assert plan.problems == []
    assert plan.values == {
        "ref": "C001",
        "name": "Gulf Star",
        "country": 11,
        "tags": [31],
        "grade": 5,
        "declared_volume": 1200.5,
        "founded_on": date(1998, 6, 15),
    }


# ----------------------------------------------------------------------
# Hostile files (#12.12)
# ----------------------------------------------------------------------


def _rezip(data, replace):
    """``data`` (an xlsx) with some members' bytes replaced: ``{name: function(bytes) -> bytes}``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info.filename, replace.get(info.filename, lambda x: x)(content))
    return buffer.getvalue()


def _far_cells():
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.append(["Customer Name"])
    worksheet["XFD1"] = "x"
    worksheet["A3000"] = "far"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_small_file_declaring_a_huge_sheet_is_refused_from_its_dimension():
    data = _far_cells()
    assert len(data) < 10_000
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(ImportFileError) as caught:
            importing.read_rows(data, HEADERS)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.code == "too_many_columns"
    assert caught.value.params == {"columns": 16384, "limit": importing.MAX_COLUMNS}
    assert time.monotonic() - started < 2
    assert peak < 20 * 1024 * 1024


def test_a_sheet_understating_its_dimension_is_caught_while_streaming():
    data = _rezip(
        _far_cells(),
        {"xl/worksheets/sheet1.xml": lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:A2"', xml)},
    )
    with pytest.raises(ImportFileError) as caught:
        importing.read_rows(data, HEADERS)
    assert caught.value.code == "too_many_columns"


def test_too_many_rows_is_refused(monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    data = sheet(("Customer Name",), *[(f"C{index}",) for index in range(5)])
    with pytest.raises(ImportFileError) as caught:
        importing.read_rows(data, HEADERS)
    assert caught.value.code == "too_many_rows"
    assert caught.value.params == {"rows": 5, "limit": 3}


def test_too_big_files_are_refused_before_unpacking(monkeypatch):
    data = sheet(("Customer Name",), ("One",))
    monkeypatch.setattr(importing, "MAX_FILE_BYTES", len(data) - 1)
    with pytest.raises(ImportFileError) as caught:
        importing.read_rows(data, HEADERS)
    assert caught.value.code == "file_too_big"
    monkeypatch.setattr(importing, "MAX_FILE_BYTES", 10**9)
    monkeypatch.setattr(importing, "MAX_UNPACKED_BYTES", 100)
    with pytest.raises(ImportFileError) as caught:
        importing.read_rows(data, HEADERS)
    assert caught.value.code == "unpacked_too_big"


@pytest.mark.parametrize(
    "replace",
    [
        {"xl/worksheets/sheet1.xml": lambda xml: xml[: len(xml) // 2]},
        {"xl/worksheets/sheet1.xml": lambda xml: b"<worksheet><sheetData><row r='x'><c r='??'>"},
        {"xl/workbook.xml": lambda xml: b"not xml at all"},
        {"xl/sharedStrings.xml": lambda xml: b"<sst><si><t>unclosed"},
    ],
)
def test_malformed_sheet_xml_is_unreadable_not_a_traceback(replace):
    # xlsxwriter, as Excel, keeps text in shared strings.
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.add_worksheet().write_row(0, 0, ("Customer Name", "Country"))
    book.worksheets()[0].write_row(1, 0, ("Gulf Star", "AE"))
    book.close()
    data = buffer.getvalue()
    assert importing.read_rows(data, HEADERS)[0] == [(2, {"name": "Gulf Star", "country": "AE"})]
    with pytest.raises(ImportFileError) as caught:
        importing.read_rows(_rezip(data, replace), HEADERS)
    assert caught.value.code == "unreadable"


def test_a_zip_that_is_no_workbook_is_unreadable():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ImportFileError) as caught:
        importing.read_rows(buffer.getvalue(), HEADERS)
    assert caught.value.code == "unreadable"
