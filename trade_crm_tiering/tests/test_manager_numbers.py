import random
from datetime import date, datetime

import pytest

from trade_crm_tiering import manager_numbers as numbers


def test_rate():
    assert numbers.rate(1, 4) == 25.0
    assert numbers.rate(0, 0) is None


def test_repurchase_by_grade():
    rows = [(2, 1), (2, 3), (2, 2), ("3", 1), (0, 0), (5, None)]
    result = {item.star: (item.buyers, item.repeat, item.rate) for item in numbers.repurchase_by_grade(rows)}
    assert result[2] == (3, 2, pytest.approx(200 / 3))
    assert result[3] == (1, 0, 0.0)
    assert result[0] == (0, 0, None), "a customer without orders is no buyer"
    assert result[5] == (0, 0, None)
    assert sorted(result) == [0, 1, 2, 3, 4, 5]


def test_conversion_most_leads_first():
    rows = [("fair", True), ("fair", False), ("fair", False), ("web", True), (None, False)]
    result = [(item.key, item.count, item.won, item.rate) for item in numbers.conversion(rows)]
    assert result[0] == ("fair", 3, 1, pytest.approx(100 / 3))
    assert result[1:] == [(None, 1, 0, 0.0), ("web", 1, 1, 100.0)]
    assert numbers.conversion([]) == []


def test_win_rates():
    rows = [(7, True), (7, False), (7, True), (8, False)]
    result = [(item.key, item.won, item.lost, item.rate) for item in numbers.win_rates(rows)]
    assert result == [(7, 2, 1, pytest.approx(200 / 3)), (8, 0, 1, 0.0)]


def test_cycle_days_and_average_by_grade():
    assert numbers.cycle_days(datetime(2026, 1, 1), datetime(2026, 1, 11, 12)) == 10.5
    assert numbers.cycle_days(datetime(2026, 1, 11), datetime(2026, 1, 1)) == 0.0, "back-dated: no negative days"
    result = {item.star: (item.deals, item.average_days) for item in numbers.cycle_by_grade([(3, 10), (3, 20), (1, 5)])}
    assert result[3] == (2, 15.0)
    assert result[1] == (1, 5.0)
    assert result[0] == (0, None)


def test_margin_rates_largest_amount_first():
    rows = [("DE", 100.0, 20.0), ("DE", 300.0, 40.0), ("CN", 500.0, 50.0), (None, 0.0, -5.0)]
    result = [(item.key, item.customers, item.amount, item.margin, item.rate) for item in numbers.margin_rates(rows)]
    assert result == [("CN", 1, 500.0, 50.0, 10.0), ("DE", 2, 400.0, 60.0, 15.0), (None, 1, 0.0, -5.0, None)]


def test_pareto_on_margin_reuses_the_revenue_maths():
    figures, keys = numbers.pareto({"a": 50.0, "b": 30.0, "c": 10.0, "d": 10.0, "e": -4.0})
    assert figures.customers == 4, "a negative margin takes no part"
    assert (figures.pareto_customers, keys) == (2, ["a", "b"])
    assert figures.pareto_customer_share == 50.0
    assert figures.top_slice_customers == 1
    assert figures.top_slice_revenue_share == 50.0
    figures, keys = numbers.pareto({})
    assert (figures.customers, keys, figures.pareto_customer_share) == (0, [], None)


def test_quarters():
    result = numbers.quarters(date(2026, 12, 2), count=3)
    assert [q.label for q in result] == ["2026 Q2", "2026 Q3", "2026 Q4"]
    assert [q.after for q in result] == [datetime(2026, 7, 1), datetime(2026, 10, 1), datetime(2026, 12, 3)]
    result = numbers.quarters(date(2026, 2, 10), count=2)
    assert [(q.label, q.after) for q in result] == [
        ("2025 Q4", datetime(2026, 1, 1)),
        ("2026 Q1", datetime(2026, 2, 11)),
    ]


MOMENTS = [datetime(2026, 4, 1), datetime(2026, 7, 1), datetime(2026, 10, 1)]


def test_grade_trend_known_history():
    customers = [
        ("a", 3, datetime(2025, 1, 1)),  # 1 -> 2 in May, 2 -> 3 in August
        ("b", 0, datetime(2025, 1, 1)),  # 2 -> 0 on the first of July, at midnight
        ("c", 2, datetime(2026, 8, 1)),  # created in August
        ("d", 4, None),  # no change
    ]
    changes = [
        ("a", datetime(2026, 5, 3), 1),
        ("a", datetime(2026, 8, 3), 2),
        ("b", datetime(2026, 7, 1), 2),
        ("x", datetime(2026, 7, 1), 5),  # a customer the user does not see
    ]
    counts = numbers.grade_trend(customers, changes, MOMENTS)
    assert counts == [
        [0, 1, 1, 0, 1, 0],  # April: a 1, b 2, d 4
        [0, 0, 2, 0, 1, 0],  # July: a 2, b still 2 (its change is at the moment), d 4
        [1, 0, 1, 1, 1, 0],  # October: a 3, b 0, c 2, d 4
    ]
    for index, moment in enumerate(MOMENTS):
        grades = numbers.grades_at(customers, changes, moment)
        assert [list(grades.values()).count(star) for star in range(6)] == counts[index]
    assert numbers.grades_at(customers, changes, MOMENTS[1]) == {"a": 2, "b": 2, "d": 4}


def test_grade_trend_matches_grades_at_on_random_histories():
    rng = random.Random(7)
    customers, changes = [], []
    for index in range(300):
        created = datetime(2026, rng.randint(1, 12), rng.randint(1, 28))
        customers.append((index, rng.randint(0, 5), created))
        when = created
        for _change in range(rng.randint(0, 4)):
            when = datetime(2026, rng.randint(when.month, 12), rng.randint(1, 28))
            changes.append((index, when, rng.randint(0, 5)))
    changes.sort(key=lambda row: (row[0], row[1]))
    moments = [datetime(2026, month, 1) for month in (3, 5, 8, 11)]
    counts = numbers.grade_trend(customers, changes, moments)
    for index, moment in enumerate(moments):
        grades = list(numbers.grades_at(customers, changes, moment).values())
        assert [grades.count(star) for star in range(6)] == counts[index]
