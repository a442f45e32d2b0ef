"""The portfolio report as an xlsx workbook: one sheet per section, with charts.

Odoo-free: ``workbook(report, labels)`` takes the figures the dashboard shows (plain values, see
``trade.portfolio.dashboard.get_data``) and the translated labels (``LABEL_KEYS``).
"""

import io

import xlsxwriter

LABEL_KEYS = (
    "title",
    "sheet_summary",
    "sheet_concentration",
    "sheet_grades",
    "sheet_migration",
    "sheet_workload",
    "company",
    "scope",
    "currency",
    "basis",
    "period",
    "generated",
    "figure",
    "value",
    "band",
    "customers_with_revenue",
    "revenue",
    "pareto_customers",
    "pareto_slice",
    "upgrades",
    "downgrades",
    "changed_share",
    "warnings",
    "rank",
    "customer",
    "grade",
    "tier",
    "salesperson",
    "amount",
    "share",
    "cumulative_share",
    "score",
    "customers",
    "start_grade",
    "end_grade",
    "total",
    "follow_ups",
    "reviews",
    "load",
    "capacity",
    "utilisation",
    "overdue",
    "missing_backups",
    "status",
    "chart_pareto",
    "chart_grades",
    "chart_workload",
)
# Longest sheet name Excel accepts, and the characters it refuses in one.
_SHEET_NAME_MAX = 31
_SHEET_NAME_BAD = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


def _sheet_name(text):
    return text.translate(_SHEET_NAME_BAD)[:_SHEET_NAME_MAX]


def _percent(value):
    """A share in % as the fraction Excel's percentage format expects; None stays empty."""
    return None if value is None else value / 100.0


class _Writer:
    def __init__(self, report, labels):
        missing = [key for key in LABEL_KEYS if key not in labels]
        if missing:
            raise KeyError(f"missing labels: {', '.join(missing)}")
        self.report = report
        self.labels = labels
        self.buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(
            # Names are data, never formulas nor links: "=HYPERLINK(...)" stays that text.
            self.buffer,
            {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
        )
        digits = report["currency"].get("digits", 2)
        amount_format = "#,##0" + ("." + "0" * digits if digits else "")
        self.formats = {
            "title": self.book.add_format({"bold": True, "font_size": 14}),
            "header": self.book.add_format({"bold": True, "bg_color": "#DDE5F0", "border": 1, "text_wrap": True}),
            "amount": self.book.add_format({"num_format": amount_format}),
            "percent": self.book.add_format({"num_format": "0.0%"}),
            "number": self.book.add_format({"num_format": "#,##0.0"}),
            "int": self.book.add_format({"num_format": "#,##0"}),
            "bold": self.book.add_format({"bold": True}),
        }

    def run(self):
        self.summary()
        self.concentration()
        self.grades()
        self.migration()
        self.workload()
        self.book.close()
        return self.buffer.getvalue()

    def sheet(self, key, widths):
        sheet = self.book.add_worksheet(_sheet_name(self.labels[key]))
        for column, width in enumerate(widths):
            sheet.set_column(column, column, width)
        sheet.write(0, 0, f"{self.labels['title']} - {self.labels[key]}", self.formats["title"])
        return sheet

    def header(self, sheet, row, titles):
        for column, title in enumerate(titles):
            sheet.write(row, column, title, self.formats["header"])

    def cell(self, sheet, row, column, value, kind=None):
        if value is None:
            sheet.write_blank(row, column, None)
        elif kind == "percent":
            sheet.write_number(row, column, _percent(value), self.formats["percent"])
        elif kind:
            sheet.write_number(row, column, value, self.formats[kind])
        else:
            sheet.write(row, column, value)

    # ------------------------------------------------------------------

    def summary(self):
        report, labels = self.report, self.labels
        sheet = self.sheet("sheet_summary", [34, 40, 16])
        context = [
            ("company", report["company"]["name"]),
            ("scope", report["scope_label"]),
            ("currency", report["currency"]["name"]),
            ("basis", report["basis_label"]),
            ("period", " ".join(filter(None, (report["period"]["label"], report["period"].get("range"))))),
            ("generated", report["generated"]),
        ]
        row = 2
        for key, value in context:
            sheet.write(row, 0, labels[key], self.formats["bold"])
            sheet.write(row, 1, value)
            row += 1
        row += 1
        self.header(sheet, row, [labels["figure"], labels["value"], labels["band"]])
        concentration = report["concentration"]
        pareto = concentration["pareto"]
        migration = report["migration"]
        figures = [
            (labels["customers_with_revenue"], concentration["customers"], "int", None),
            (labels["revenue"], concentration["total"], "amount", None),
            *((m["label"], m["share"], "percent", m["band_label"]) for m in concentration["measures"]),
            (labels["pareto_customers"], pareto["customer_share"], "percent", None),
            (labels["pareto_slice"], pareto["slice_share"], "percent", None),
            (labels["upgrades"], migration["upgrades"], "int", None),
            (labels["downgrades"], migration["downgrades"], "int", None),
            (labels["changed_share"], migration["changed_share"], "percent", None),
            (labels["warnings"], report["warnings"]["total"], "int", None),
        ]
        for name, value, kind, band_label in figures:
            row += 1
            sheet.write(row, 0, name)
            self.cell(sheet, row, 1, value, kind)
            if band_label:
                sheet.write(row, 2, band_label)

    def concentration(self):
        report, labels = self.report, self.labels
        show_score = report.get("show_score")
        sheet = self.sheet("sheet_concentration", [8, 40, 10, 16, 24, 18, 12, 14, 10])
        titles = [
            labels["rank"],
            labels["customer"],
            labels["grade"],
            labels["tier"],
            labels["salesperson"],
            f"{labels['amount']} ({report['currency']['name']})",
            labels["share"],
            labels["cumulative_share"],
        ]
        if show_score:
            titles.append(labels["score"])
        self.header(sheet, 2, titles)
        customers = report["top_customers"]
        for row, customer in enumerate(customers, start=3):
            self.cell(sheet, row, 0, customer["rank"], "int")
            sheet.write(row, 1, customer["name"])
            self.cell(sheet, row, 2, customer["star"], "int")
            sheet.write(row, 3, customer["tier"] or "")
            sheet.write(row, 4, customer["user"] or "")
            self.cell(sheet, row, 5, customer["amount"], "amount")
            self.cell(sheet, row, 6, customer["share"], "percent")
            self.cell(sheet, row, 7, customer["cumulative_share"], "percent")
            if show_score:
                self.cell(sheet, row, 8, customer.get("score"), "int")
        if not customers:
            return
        last = 2 + len(customers)
        columns = self.book.add_chart({"type": "column"})
        columns.add_series(
            {
                "name": labels["amount"],
                "categories": [sheet.name, 3, 1, last, 1],
                "values": [sheet.name, 3, 5, last, 5],
            }
        )
        line = self.book.add_chart({"type": "line"})
        line.add_series(
            {
                "name": labels["cumulative_share"],
                "categories": [sheet.name, 3, 1, last, 1],
                "values": [sheet.name, 3, 7, last, 7],
                "y2_axis": True,
                "marker": {"type": "circle"},
            }
        )
        columns.combine(line)
        columns.set_title({"name": labels["chart_pareto"]})
        columns.set_legend({"position": "bottom"})
        line.set_y2_axis({"num_format": "0%", "max": 1})
        sheet.insert_chart(2, len(titles) + 1, columns, {"x_scale": 1.6, "y_scale": 1.4})

    def grades(self):
        report, labels = self.report, self.labels
        sheet = self.sheet("sheet_grades", [14, 12, 20, 12])
        amount = f"{labels['amount']} ({report['currency']['name']})"
        self.header(sheet, 2, [labels["grade"], labels["customers"], amount, labels["share"]])
        grades = report["grades"]
        for row, grade in enumerate(grades, start=3):
            sheet.write(row, 0, grade["label"])
            self.cell(sheet, row, 1, grade["customers"], "int")
            self.cell(sheet, row, 2, grade["amount"], "amount")
            self.cell(sheet, row, 3, grade["share"], "percent")
        last = 2 + len(grades)
        chart = self.book.add_chart({"type": "column"})
        chart.add_series(
            {
                "name": labels["customers"],
                "categories": [sheet.name, 3, 0, last, 0],
                "values": [sheet.name, 3, 1, last, 1],
            }
        )
        chart.set_title({"name": labels["chart_grades"]})
        chart.set_legend({"none": True})
        sheet.insert_chart(2, 5, chart)

    def migration(self):
        report, labels = self.report, self.labels
        migration = report["migration"]
        stars = migration["stars"]
        sheet = self.sheet("sheet_migration", [22] + [12] * (len(stars) + 1))
        sheet.write(1, 0, f"{labels['period']}: {report['period']['label']}")
        sheet.write(2, 0, f"{labels['start_grade']} \\ {labels['end_grade']}", self.formats["header"])
        for column, star in enumerate(stars, start=1):
            sheet.write(2, column, star, self.formats["header"])
        sheet.write(2, len(stars) + 1, labels["total"], self.formats["header"])
        for row, (star, counts) in enumerate(zip(stars, migration["matrix"], strict=True), start=3):
            sheet.write(row, 0, star, self.formats["header"])
            for column, count in enumerate(counts, start=1):
                self.cell(sheet, row, column, count, "int")
            self.cell(sheet, row, len(stars) + 1, sum(counts), "int")
        row = 4 + len(stars)
        for key, value, kind in (
            ("customers", migration["customers"], "int"),
            ("upgrades", migration["upgrades"], "int"),
            ("downgrades", migration["downgrades"], "int"),
            ("changed_share", migration["changed_share"], "percent"),
        ):
            sheet.write(row, 0, labels[key], self.formats["bold"])
            self.cell(sheet, row, 1, value, kind)
            row += 1

    def workload(self):
        report, labels = self.report, self.labels
        workload = report["workload"]
        tiers = workload["tiers"]
        sheet = self.sheet("sheet_workload", [26] + [10] * len(tiers) + [12] * 9 + [14])
        titles = [
            labels["salesperson"],
            *(tier["name"] for tier in tiers),
            labels["customers"],
            labels["follow_ups"],
            labels["reviews"],
            labels["load"],
            labels["capacity"],
            labels["utilisation"],
            labels["overdue"],
            labels["missing_backups"],
            labels["status"],
        ]
        self.header(sheet, 2, titles)
        reps = workload["reps"]
        offset = 1 + len(tiers)
        for row, rep in enumerate(reps, start=3):
            sheet.write(row, 0, rep["name"])
            for column, count in enumerate(rep["tier_counts"], start=1):
                self.cell(sheet, row, column, count, "int")
            self.cell(sheet, row, offset, rep["customers"], "int")
            self.cell(sheet, row, offset + 1, rep["follow_ups"], "number")
            self.cell(sheet, row, offset + 2, rep["reviews"], "number")
            self.cell(sheet, row, offset + 3, rep["load"], "number")
            self.cell(sheet, row, offset + 4, rep["capacity"], "number")
            self.cell(sheet, row, offset + 5, rep["utilisation"], "percent")
            self.cell(sheet, row, offset + 6, rep["overdue"], "int")
            self.cell(sheet, row, offset + 7, rep["missing_backups"], "int")
            sheet.write(row, offset + 8, rep["status_label"] or "")
        if not reps:
            return
        last = 2 + len(reps)
        chart = self.book.add_chart({"type": "bar"})
        for column, key in ((offset + 3, "load"), (offset + 4, "capacity")):
            chart.add_series(
                {
                    "name": labels[key],
                    "categories": [sheet.name, 3, 0, last, 0],
                    "values": [sheet.name, 3, column, last, column],
                }
            )
        chart.set_title({"name": labels["chart_workload"]})
        chart.set_legend({"position": "bottom"})
        sheet.insert_chart(last + 2, 0, chart, {"x_scale": 1.5, "y_scale": max(1.0, len(reps) / 10)})


def workbook(report, labels):
    """The xlsx file (bytes) of ``report`` with ``labels`` (every key of LABEL_KEYS)."""
    return _Writer(report, labels).run()
