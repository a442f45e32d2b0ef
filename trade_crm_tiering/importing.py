"""Customer spreadsheets in: columns, reading, checking each row, matching customers, what changes.

Odoo-free. The add-on gives the lookups (salespeople, countries, tiers... by the names a sheet
may use) and what is stored today; this module says, row by row, what is wrong, which customer a
row is, and what importing it would write. Problems are codes with parameters: the add-on turns
them into translated messages.
"""

import contextlib
import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date
from xml.etree.ElementTree import ParseError

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from . import policy

AMBIGUOUS = -1  # a name that several records answer to

# Limits of an imported spreadsheet, checked before its cells are read.
MAX_FILE_BYTES = 20 * 1024 * 1024  # the xlsx file
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # its XML once unpacked (a zip may pack a lot into little)
MAX_ROWS = 100_000  # customer rows, the header aside
MAX_COLUMNS = 200
# What openpyxl raises on a workbook it cannot read: malformed XML, missing parts, bad values.
_UNREADABLE = (
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    OSError,
    EOFError,
    zipfile.BadZipFile,
    ParseError,
    SyntaxError,
    InvalidFileException,
)


@dataclass(frozen=True)
class Column:
    key: str
    kind: str  # how a cell is read: text, email, country, industry, user, grade, tier, choice, amount, date, tags
    required: bool = False
    template: bool = True  # in the import template
    export_only: bool = False  # in exports only: read back, ignored


# Import template and classification export share their columns' labels, so an exported file
# can be imported again.
COLUMNS = (
    Column("ref", "text"),
    Column("name", "text", required=True),
    Column("main_contact", "text", template=False, export_only=True),
    Column("country", "country"),
    Column("region_tags", "tags", template=False),
    Column("vat", "text"),
    Column("industry", "industry"),
    Column("email", "email"),
    Column("phone", "text"),
    Column("website", "text"),
    Column("street", "text"),
    Column("city", "text"),
    Column("years", "text", template=False, export_only=True),
    Column("annual_amount", "text", template=False, export_only=True),
    Column("grade", "grade"),
    Column("tier", "tier"),
    Column("score", "text", template=False, export_only=True),
    Column("credit_rating", "choice"),
    Column("credit_rated_on", "date"),
    Column("salesperson", "user"),
    Column("backup", "user"),
    Column("source", "choice"),
    Column("size_band", "choice"),
    Column("main_products", "text"),
    Column("declared_volume", "amount"),
    Column("target_price", "amount"),
    Column("founded_on", "date"),
    Column("preferred_channel", "choice"),
    Column("tags", "tags"),
    Column("notes", "text"),
)
BY_KEY = {column.key: column for column in COLUMNS}
TEMPLATE_COLUMNS = tuple(column for column in COLUMNS if column.template)

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_GRADE = re.compile(r"^-?\d+(\.0+)?$")


class ImportFileError(ValueError):
    """The file cannot be read as a customer sheet. ``code`` names why, ``params`` fill the message."""

    def __init__(self, code, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Problem:
    code: str
    column: str | None = None  # column key
    value: str | None = None  # the cell as read
    row: int | None = None  # another row of the sheet (duplicates)


@dataclass(frozen=True)
class Tier:
    id: int
    min_star: int
    max_star: int


@dataclass
class Lookups:
    """Names a sheet may use, normalised (see ``norm``), each to an id or AMBIGUOUS."""

    users: dict = field(default_factory=dict)
    countries: dict = field(default_factory=dict)
    industries: dict = field(default_factory=dict)
    tiers: dict = field(default_factory=dict)  # name or code: Tier
    choices: dict = field(default_factory=dict)  # column key: {label or key: selection key}
    tags: dict = field(default_factory=dict)


@dataclass
class Existing:
    """The customers stored today, by reference, tax id, and (name, country id)."""

    refs: dict = field(default_factory=dict)
    vats: dict = field(default_factory=dict)
    names: dict = field(default_factory=dict)


@dataclass
class RowPlan:
    """What importing one row does."""

    row: int  # row number in the sheet (the header is row 1)
    raw: dict
    values: dict = field(default_factory=dict)  # the filled cells, resolved (ids, numbers, dates)
    problems: list = field(default_factory=list)
    partner_id: int | None = None  # the existing customer the row is
    action: str = "error"  # create, update, unchanged, error
    changes: dict = field(default_factory=dict)  # what to write (updates), the values (creates)

    @property
    def name(self):
        return self.raw.get("name", "")


def norm(text):
    """Case-folded, with runs of white space as one space: how names are compared."""
    return " ".join(str(text).split()).casefold()


def add_name(index, name, record_id):
    """Index ``record_id`` under ``name``; a name two records answer to becomes AMBIGUOUS."""
    if name is None or not str(name).strip():
        return
    key = norm(name)
    if index.get(key, record_id) != record_id:
        index[key] = AMBIGUOUS
    else:
        index[key] = record_id


# ----------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------


def read_rows(data, headers):
    """``(rows, ignored)`` of the first sheet of the xlsx ``data``.

    ``headers``: ``{normalised label: column key}``, the labels of every language accepted.
    ``rows``: ``[(row number, {column key: stripped text})]``, export-only columns and empty rows
    left out; ``ignored``: headers that are no column. Raises ImportFileError.

    The file's size, its unpacked size and its first sheet's declared dimension are checked
    before any cell is read, and the rows are streamed with the limits checked as they come: a
    few kilobytes may declare a sheet of a million cells, which a table in memory would hold.
    """
    lines = iter_sheet(data)
    header = next(lines, None)
    if header is None:
        raise ImportFileError("no_name_column")
    keys, ignored = _header_keys(header[1], headers)
    wanted = [(index, key) for index, key in enumerate(keys) if key and not BY_KEY[key].export_only]
    rows = []
    for number, cells in lines:
        raw = {key: _cell(cells[index] if index < len(cells) else None) for index, key in wanted}
        if any(raw.values()):
            rows.append((number, raw))
    if not rows:
        raise ImportFileError("empty")
    return rows, ignored


def _header_keys(header, headers):
    keys, ignored = [], []
    for value in header:
        label = _cell(value)
        key = headers.get(norm(label)) if label else None
        if key is None:
            if label:
                ignored.append(label)
            keys.append(None)
            continue
        if key in keys and not BY_KEY[key].export_only:
            raise ImportFileError("duplicate_column", column=key)
        keys.append(key)
    if "name" not in keys:
        raise ImportFileError("no_name_column")
    return keys, ignored


def check_package(data):
    """Refuse, before unpacking, a file too big, not a zip, or that unpacks to too much."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError("file_too_big", size=len(data), limit=MAX_FILE_BYTES)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as error:
        raise ImportFileError("unreadable", error=str(error) or type(error).__name__) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError("unpacked_too_big", size=unpacked, limit=MAX_UNPACKED_BYTES)


def check_dimension(rows, columns):
    """Refuse a sheet of more than MAX_ROWS rows (the header aside) or MAX_COLUMNS columns."""
    if rows is not None and rows > MAX_ROWS + 1:
        raise ImportFileError("too_many_rows", rows=rows - 1, limit=MAX_ROWS)
    if columns is not None and columns > MAX_COLUMNS:
        raise ImportFileError("too_many_columns", columns=columns, limit=MAX_COLUMNS)


def iter_sheet(data):
    """``(row number, cell values)`` of the first sheet of the xlsx ``data``, streamed.

    The sheet's ``<dimension ref=...>`` is checked first; the rows are then read without it
    (a sheet may understate it), each checked against the limits as it comes. Raises
    ImportFileError, for a malformed workbook too.
    """
    check_package(data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _UNREADABLE as error:
        raise ImportFileError("unreadable", error=str(error) or type(error).__name__) from None
    try:
        if not book.worksheets:
            raise ImportFileError("unreadable", error="no sheet")
        sheet = book.worksheets[0]
        check_dimension(sheet.max_row, sheet.max_column)
        sheet.reset_dimensions()
        try:
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                check_dimension(number, len(cells))
                yield number, cells
        except ImportFileError:
            raise
        except _UNREADABLE as error:
            raise ImportFileError("unreadable", error=str(error) or type(error).__name__) from None
    finally:
        book.close()


def _cell(value):
    """A cell as the text it shows: whole numbers without ".0", dates as ISO."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# ----------------------------------------------------------------------
# Checking rows
# ----------------------------------------------------------------------


def check_rows(rows, lookups):
    """``[RowPlan]`` with each row's cells resolved and its problems, duplicates in the sheet included."""
    plans = []
    seen = {}
    for number, raw in rows:
        plan = RowPlan(row=number, raw=raw)
        _resolve(plan, lookups)
        if not plan.problems:
            first = next((seen[key] for key in _identity_keys(plan.values) if key in seen), None)
            if first is not None:
                plan.problems.append(Problem("duplicate_row", row=first))
            for key in _identity_keys(plan.values):
                seen.setdefault(key, number)
        plans.append(plan)
    return plans


def _identity_keys(values):
    keys = [("name", norm(values["name"]), values.get("country"))]
    if values.get("ref"):
        keys.append(("ref", norm(values["ref"])))
    if values.get("vat"):
        keys.append(("vat", norm_vat(values["vat"])))
    return keys


def norm_vat(vat):
    return re.sub(r"[\s.\-/]", "", vat).upper()


def _resolve(plan, lookups):
    readers = {
        "text": lambda column, text: text,
        "email": _read_email,
        "country": lambda column, text: _look_up(lookups.countries, column, text, "unknown_country"),
        "industry": lambda column, text: _look_up(lookups.industries, column, text, "unknown_industry"),
        "user": lambda column, text: _look_up(lookups.users, column, text, "unknown_user", "ambiguous_user"),
        "grade": _read_grade,
        "tier": lambda column, text: _look_up(lookups.tiers, column, text, "unknown_tier"),
        "choice": lambda column, text: _look_up(lookups.choices.get(column, {}), column, text, "unknown_choice"),
        "amount": _read_amount,
        "date": _read_date,
        "tags": lambda column, text: _read_tags(lookups.tags, column, text),
    }
    for key, text in plan.raw.items():
        column = BY_KEY[key]
        if not text:
            continue
        try:
            plan.values[key] = readers[column.kind](key, text)
        except _CellError as problem:
            plan.problems.append(problem.problem)
    if not plan.raw.get("name"):
        plan.problems.insert(0, Problem("missing_name", column="name"))
    _check_tier(plan)
    if "tags" in plan.values or "region_tags" in plan.values:
        plan.values["tags"] = sorted(set(plan.values.get("tags", ())) | set(plan.values.pop("region_tags", ())))


class _CellError(Exception):
    def __init__(self, code, column, value):
        super().__init__(code)
        self.problem = Problem(code, column=column, value=value)


def _look_up(index, column, text, unknown, ambiguous=None):
    found = index.get(norm(text))
    if found is None:
        raise _CellError(unknown, column, text)
    if isinstance(found, int) and found == AMBIGUOUS:
        raise _CellError(ambiguous or unknown, column, text)
    return found


def _read_email(column, text):
    if not _EMAIL.match(text):
        raise _CellError("bad_email", column, text)
    return text


def read_number(text):
    """The number ``text`` writes ("1,250.50", "1 250", "1250"), or None."""
    cleaned = text.replace(",", "").replace(" ", "").replace("\u00a0", "")
    if _NUMBER.match(cleaned):
        return float(cleaned)
    try:
        number = float(cleaned)  # 1e+16, as a sheet may store a big number
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _read_amount(column, text):
    number = read_number(text)
    if number is None:
        raise _CellError("not_a_number", column, text)
    if number < 0:
        raise _CellError("negative_amount", column, text)
    return number


def _read_grade(column, text):
    if not _GRADE.match(text.replace(" ", "")):
        raise _CellError("grade_range", column, text)
    grade = int(float(text))
    if not 0 <= grade <= 5:
        raise _CellError("grade_range", column, text)
    return grade


def _read_date(column, text):
    match = _DATE.match(text)
    if match:
        with contextlib.suppress(ValueError):  # 2024-02-30: not a date either
            return date(int(match[1]), int(match[2]), int(match[3]))
    raise _CellError("not_a_date", column, text)


def _read_tags(index, column, text):
    ids = []
    # Commas or semicolons, Chinese ones too.
    for name in re.split("[,;\uff0c\uff1b\n]", text):
        if name.strip():
            ids.append(_look_up(index, column, name.strip(), "unknown_tag", "ambiguous_tag"))
    return ids


def _check_tier(plan):
    tier = plan.values.pop("tier", None)
    if tier is None:
        return
    grade = plan.values.get("grade")
    if grade is None:
        plan.problems.append(Problem("tier_without_grade", column="tier", value=plan.raw["tier"]))
    elif not tier.min_star <= grade <= tier.max_star:
        plan.problems.append(Problem("tier_grade_mismatch", column="tier", value=plan.raw["tier"]))


# ----------------------------------------------------------------------
# Matching customers
# ----------------------------------------------------------------------


def match_rows(plans, existing):
    """Find the stored customer of each valid row: by reference, then tax id, then name and country.

    A row whose reference (or tax id, or name and country) several customers share, or that is
    the same customer as an earlier row, gets a problem.
    """
    claimed = {}
    for plan in plans:
        if plan.problems:
            continue
        values = plan.values
        candidates = (
            (existing.refs, norm(values["ref"]) if values.get("ref") else None),
            (existing.vats, norm_vat(values["vat"]) if values.get("vat") else None),
            (existing.names, (norm(values["name"]), values.get("country"))),
        )
        found = next((index[key] for index, key in candidates if key is not None and key in index), None)
        if found == AMBIGUOUS:
            plan.problems.append(Problem("ambiguous_match"))
        elif found is not None and found in claimed:
            plan.problems.append(Problem("duplicate_row", row=claimed[found]))
        elif found is not None:
            plan.partner_id = found
            claimed[found] = plan.row


# ----------------------------------------------------------------------
# What changes
# ----------------------------------------------------------------------


def plan_changes(plans, current):
    """Set each row's action and changes. ``current``: ``{partner id: {column key: stored value}}``.

    Stored values are resolved like the cells (ids, numbers, dates, text), with ``tags`` a set of
    tag ids and ``grade`` a ``policy.GradeState``. An empty cell leaves the stored value alone;
    tags are added, never removed.
    """
    for plan in plans:
        if plan.problems:
            plan.action = "error"
            continue
        if plan.partner_id is None:
            plan.action = "create"
            plan.changes = dict(plan.values)
            if "grade" in plan.values:
                plan.changes["grade"] = policy.imported(policy.GradeState(), plan.values["grade"])
                if plan.changes["grade"] is None:
                    del plan.changes["grade"]
            continue
        plan.changes = diff(plan.values, current.get(plan.partner_id, {}))
        plan.action = "update" if plan.changes else "unchanged"
    return plans


def diff(values, stored):
    """What of ``values`` differs from ``stored`` (see plan_changes)."""
    changes = {}
    for key, value in values.items():
        old = stored.get(key)
        if key == "grade":
            outcome = policy.imported(old or policy.GradeState(), value)
            if outcome is not None:
                changes[key] = outcome
        elif key == "tags":
            missing = sorted(set(value) - set(old or ()))
            if missing:
                changes[key] = missing
        elif key == "vat":
            # The tax id matched without spaces or dots: "DE 811 222 333" is "DE811222333".
            if norm_vat(value) != norm_vat(old or ""):
                changes[key] = value
        elif isinstance(value, float):
            if old is None or old is False or abs(float(old) - value) >= 0.005:
                changes[key] = value
        elif value != old:
            changes[key] = value
    return changes


def counts(plans):
    """``{action: rows}`` for create, update, unchanged and error."""
    result = dict.fromkeys(("create", "update", "unchanged", "error"), 0)
    for plan in plans:
        result[plan.action] += 1
    return result
