"""Customer spreadsheets out, with xlsxwriter: the import template, the classification table, tables.

Odoo-free: the add-on passes translated labels and plain values (text, numbers, dates); each
function returns the bytes of an xlsx file.
"""

import io
from dataclasses import dataclass, field
from datetime import date

import xlsxwriter

# Light tints of Odoo's twelve tag colours (index 0: no colour), for rows of a tier's colour.
ODOO_TINTS = (
    None,
    "#F8D7DA",  # 1 red
    "#FDE5CC",  # 2 orange
    "#FFF3C4",  # 3 yellow
    "#D4EEF7",  # 4 cyan
    "#E3D8EA",  # 5 purple
    "#F9DCD6",  # 6 almond
    "#D3E4F0",  # 7 teal
    "#D0DAEE",  # 8 blue
    "#F1D3E4",  # 9 raspberry
    "#D5EFD9",  # 10 green
    "#E6DDF5",  # 11 violet
)
HEADER_FORMAT = {"bold": True, "bg_color": "#1F4E79", "font_color": "#FFFFFF", "border": 1, "text_wrap": True}
KIND_FORMATS = {
    "text": {},
    "int": {"num_format": "0"},
    "float": {"num_format": "#,##0.0"},
    "money": {"num_format": "#,##0.00"},
    "date": {"num_format": "yyyy-mm-dd"},
    "percent": {"num_format": "0.0%"},
}
LIST_SHEET = "Lists"  # hidden sheet holding the drop-down values of the template
TEMPLATE_ROWS = 100_000  # rows of the template that get drop-downs


@dataclass(frozen=True)
class TableColumn:
    label: str
    kind: str = "text"  # text, int, float, money, date, percent
    width: int = 14


@dataclass
class Table:
    name: str
    columns: list
    rows: list = field(default_factory=list)  # lists of values, one per column
    # (column index, {cell text: Odoo colour index}): rows whose cell in that column reads a key
    # get that colour's tint, as conditional formats (no cost per cell, and they follow edits).
    color_by: tuple | None = None


EXCEL_EPOCH = date(1899, 12, 30)


# Cells are data, never formulas nor links: a customer named "=HYPERLINK(...)" stays that text.
SAFE_OPTIONS = {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}


def _workbook(buffer, **options):
    return xlsxwriter.Workbook(buffer, {"in_memory": True, **SAFE_OPTIONS, **options})


def _tint(workbook, color):
    tint = ODOO_TINTS[color] if color and 0 < color < len(ODOO_TINTS) else None
    return workbook.add_format({"bg_color": tint}) if tint else None


def _write_table(workbook, table, header):
    """One sheet: a frozen header, an autofilter, the rows typed by their column's kind."""
    sheet = workbook.add_worksheet(table.name[:31])
    columns = table.columns
    last_row, last_col = max(len(table.rows), 1), max(len(columns) - 1, 0)
    for index, column in enumerate(columns):
        sheet.set_column(index, index, column.width)
        sheet.write_string(0, index, column.label, header)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, last_row, last_col)
    if table.color_by:
        key_column, colors = table.color_by
        letter = xlsxwriter.utility.xl_col_to_name(key_column)
        for text, color in colors.items():
            tint = _tint(workbook, color)
            if tint is not None:
                criteria = '=$%s2="%s"' % (letter, text.replace('"', '""'))  # noqa: UP031 (Excel's quotes)
                sheet.conditional_format(
                    1, 0, last_row, last_col, {"type": "formula", "criteria": criteria, "format": tint}
                )
    # One bound writer and format per column: this loop runs for every cell.
    writers = [_cell_writer(sheet, column.kind) for column in columns]
    cell_formats = [
        workbook.add_format(KIND_FORMATS[column.kind]) if KIND_FORMATS[column.kind] else None for column in columns
    ]
    cells = list(zip(range(len(columns)), writers, cell_formats, strict=True))
    for number, values in enumerate(table.rows, start=1):
        for (index, write, cell_format), value in zip(cells, values, strict=True):
            if value is None or value is False or value == "":
                continue
            write(number, index, value, cell_format)
    return sheet


def _cell_writer(sheet, kind):
    if kind == "text":
        return sheet.write_string
    if kind == "date":

        def write_date(row, col, value, cell_format):
            # A date is the number of days since Excel's epoch, shown with a date format.
            sheet.write_number(row, col, (value - EXCEL_EPOCH).days, cell_format)

        return write_date
    return sheet.write_number


def write_tables(tables):
    """An xlsx of ``tables`` (``[Table]``), a sheet each."""
    buffer = io.BytesIO()
    workbook = _workbook(buffer)
    header = workbook.add_format(HEADER_FORMAT)
    for table in tables:
        _write_table(workbook, table, header)
    workbook.close()
    return buffer.getvalue()


# ----------------------------------------------------------------------
# Import template
# ----------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateColumn:
    label: str
    required: bool = False
    choices: tuple = ()  # drop-down values
    width: int = 18
    help: str = ""
    example: str = ""


def write_template(sheet_name, columns, instructions_name, instructions_header, notes=()):
    """The import template: an empty sheet of ``columns`` with drop-downs, and an instructions sheet.

    ``instructions_header``: labels of the instructions table (column, required, what, example);
    ``notes``: lines printed above it. Drop-down values live on a hidden sheet, so a list may
    be longer than Excel's 255 characters for inline lists.
    """
    buffer = io.BytesIO()
    workbook = _workbook(buffer)
    header = workbook.add_format(HEADER_FORMAT)
    required_header = workbook.add_format({**HEADER_FORMAT, "bg_color": "#C00000"})
    sheet = workbook.add_worksheet(sheet_name[:31])
    help_sheet = workbook.add_worksheet(instructions_name[:31])
    lists = workbook.add_worksheet(LIST_SHEET)
    lists.hide()
    list_column = 0
    for index, column in enumerate(columns):
        sheet.set_column(index, index, column.width)
        sheet.write_string(0, index, column.label, required_header if column.required else header)
        if column.choices:
            lists.write_column(0, list_column, list(column.choices))
            letter = xlsxwriter.utility.xl_col_to_name(list_column)
            sheet.data_validation(
                1,
                index,
                TEMPLATE_ROWS,
                index,
                {
                    "validate": "list",
                    "source": f"={LIST_SHEET}!${letter}$1:${letter}${len(column.choices)}",
                    "error_type": "warning",
                },
            )
            list_column += 1
    sheet.freeze_panes(1, 0)
    _write_instructions(workbook, help_sheet, columns, instructions_header, notes, header)
    sheet.activate()
    workbook.close()
    return buffer.getvalue()


def _write_instructions(workbook, sheet, columns, labels, notes, header):
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    bold = workbook.add_format({"bold": True})
    for index, width in enumerate((26, 10, 70, 24)):
        sheet.set_column(index, index, width)
    row = 0
    for note in notes:
        sheet.write_string(row, 0, note, bold if row == 0 else None)
        row += 1
    row += 1 if notes else 0
    for index, label in enumerate(labels):
        sheet.write_string(row, index, label, header)
    for column in columns:
        row += 1
        what = column.help
        if column.choices:
            what = f"{what} ({', '.join(column.choices)})" if what else ", ".join(column.choices)
        sheet.write_string(row, 0, column.label, bold if column.required else None)
        if column.required:
            sheet.write_string(row, 1, "✔")
        for index, text in ((2, what), (3, column.example)):
            if text:
                sheet.write_string(row, index, text, wrap)


# ----------------------------------------------------------------------
# Classification table
# ----------------------------------------------------------------------


@dataclass
class Summary:
    """The summary sheet: customers and annual amount per grade and per tier."""

    name: str
    title: str
    labels: tuple  # (grade, customers, share, annual amount, tier, total)
    grades: list  # [(label, customers, amount)], best grade first
    tiers: list = field(default_factory=list)  # [(label, customers, amount, colour)]
    chart_title: str = ""


def write_classification(table, summary):
    """The classification table (``Table``, rows in the tier's colour) and its summary with a chart."""
    buffer = io.BytesIO()
    # constant_memory (which needs temporary files, not in_memory): each row is written out as it
    # comes, strings inline, so 100,000 customers stay light and quick.
    workbook = _workbook(buffer, constant_memory=True, in_memory=False)
    header = workbook.add_format(HEADER_FORMAT)
    _write_table(workbook, table, header)
    _write_summary(workbook, summary, header)
    workbook.close()
    return buffer.getvalue()


def _write_summary(workbook, summary, header):
    sheet = workbook.add_worksheet(summary.name[:31])
    formats = {kind: workbook.add_format(props) for kind, props in KIND_FORMATS.items()}
    grade_label, customers_label, share_label, amount_label, tier_label, total_label = summary.labels
    bold = workbook.add_format({"bold": True})
    total_int = workbook.add_format({"bold": True, "num_format": "0", "top": 1})
    total_money = workbook.add_format({"bold": True, "num_format": "#,##0.00", "top": 1})
    total_text = workbook.add_format({"bold": True, "top": 1})
    for index, width in enumerate((22, 14, 12, 22)):
        sheet.set_column(index, index, width)
    sheet.write_string(0, 0, summary.title, bold)
    first = 2
    for index, label in enumerate((grade_label, customers_label, share_label, amount_label)):
        sheet.write_string(first, index, label, header)
    count_total = sum(count for _label, count, _amount in summary.grades)
    amount_total = sum(amount for _label, _count, amount in summary.grades)
    row = first
    for label, count, amount in summary.grades:
        row += 1
        sheet.write_string(row, 0, label)
        sheet.write_number(row, 1, count, formats["int"])
        sheet.write_number(row, 2, count / count_total if count_total else 0, formats["percent"])
        sheet.write_number(row, 3, amount, formats["money"])
    last_grade = row
    row += 1
    sheet.write_string(row, 0, total_label, total_text)
    sheet.write_number(row, 1, count_total, total_int)
    sheet.write_number(row, 2, 1 if count_total else 0, workbook.add_format({"bold": True, "num_format": "0.0%"}))
    sheet.write_number(row, 3, amount_total, total_money)
    if summary.tiers:
        row += 2
        for index, label in enumerate((tier_label, customers_label, share_label, amount_label)):
            sheet.write_string(row, index, label, header)
        for label, count, amount, color in summary.tiers:
            row += 1
            tint = ODOO_TINTS[color] if color and 0 < color < len(ODOO_TINTS) else None
            tinted = {
                kind: workbook.add_format({**KIND_FORMATS[kind], **({"bg_color": tint} if tint else {})})
                for kind in ("text", "int", "percent", "money")
            }
            sheet.write_string(row, 0, label, tinted["text"])
            sheet.write_number(row, 1, count, tinted["int"])
            sheet.write_number(row, 2, count / count_total if count_total else 0, tinted["percent"])
            sheet.write_number(row, 3, amount, tinted["money"])
    chart = workbook.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": customers_label,
            "categories": [summary.name[:31], first + 1, 0, last_grade, 0],
            "values": [summary.name[:31], first + 1, 1, last_grade, 1],
            "fill": {"color": "#1F4E79"},
            "data_labels": {"value": True},
        }
    )
    chart.set_title({"name": summary.chart_title or summary.title})
    chart.set_legend({"none": True})
    chart.set_y_axis({"name": customers_label})
    chart.set_size({"width": 620, "height": 340})
    sheet.insert_chart(first, 5, chart)
