from datetime import date

import pytest

from trade_crm_tiering import portfolio
from trade_crm_tiering.portfolio import BandLimits, Cadence

TOP1 = BandLimits(10, 20, 30)
TOP3 = BandLimits(25, 40)


# ----------------------------------------------------------------------
# Bands and alerts
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("share", "expected"),
    [
        (0.0, "low"),
        (9.99, "low"),
        (10.0, "moderate"),
        (20.0, "moderate"),
        (20.000000000001, "moderate"),
        (20.01, "high"),
        (30.0, "high"),
        (30.5, "critical"),
        (100.0, "critical"),
        (None, None),
    ],
)
def test_top1_bands(share, expected):
    assert portfolio.band(share, TOP1) == expected


def test_without_critical_limit_high_is_the_top_band():
    assert portfolio.band(24.9, TOP3) == "low"
    assert portfolio.band(40.0, TOP3) == "moderate"
    assert portfolio.band(99.0, TOP3) == "high"


@pytest.mark.parametrize(
    ("limits", "code"),
    [
        (BandLimits(0, 20), "range"),
        (BandLimits(10, 120), "range"),
        (BandLimits(10, 20, 101), "range"),
        (BandLimits(20, 20), "order"),
        (BandLimits(25, 20), "order"),
        (BandLimits(10, 40, 30), "order"),
    ],
)
def test_bad_limits_are_refused(limits, code):
    with pytest.raises(portfolio.PortfolioConfigError) as info:
        limits.check()
    assert info.value.code == code


def test_good_limits_pass():
    TOP1.check()
    TOP3.check()
    BandLimits(40, 60).check()


def test_alert_once_per_episode():
    alerted = None
    fired = []
    for current in ["low", "moderate", "high", "high", "high", "moderate", "high", "critical", "high", "critical"]:
        alert, alerted = portfolio.alert_step(current, alerted)
        fired.append(alert)
    assert fired == [False, False, True, False, False, False, True, True, False, False]
    assert alerted == "critical"


def test_alert_straight_to_critical_then_down_to_high_is_one_alert():
    assert portfolio.alert_step("critical", None) == (True, "critical")
    assert portfolio.alert_step("high", "critical") == (False, "critical")
    assert portfolio.alert_step("low", "critical") == (False, None)
    assert portfolio.alert_step(None, "high") == (False, None)


# ----------------------------------------------------------------------
# Concentration and Pareto
# ----------------------------------------------------------------------


def test_ranked_drops_non_positive_and_breaks_ties_by_key():
    assert portfolio.ranked({"b": 10.0, "a": 10.0, "c": 0.0, "d": -5.0, "e": 30.0}) == [
        ("e", 30.0),
        ("a", 10.0),
        ("b", 10.0),
    ]


def test_concentration_of_a_known_portfolio():
    # 20 customers: 1 of 300, 2 of 100, 7 of 30, 10 of 9 -> total 300 + 200 + 210 + 90 = 800.
    amounts = {f"c{i:02d}": value for i, value in enumerate([300] + [100] * 2 + [30] * 7 + [9] * 10)}
    result = portfolio.concentration(portfolio.ranked(amounts))
    assert result.customers == 20
    assert result.total == 800
    assert result.shares["top1"] == pytest.approx(37.5)
    assert result.shares["top3"] == pytest.approx(62.5)
    assert result.shares["top10"] == pytest.approx(710 / 8)
    # 80% of 800 is 640: 300 + 200 + 30 * 5 = 650 >= 640 with 8 customers, 620 with 7.
    assert result.pareto_customers == 8
    assert result.pareto_customer_share == pytest.approx(40.0)
    # the top 20% of 20 customers: 4, making 300 + 200 + 30 = 530.
    assert result.top_slice_customers == 4
    assert result.top_slice_revenue_share == pytest.approx(530 / 8)


def test_concentration_of_one_customer():
    result = portfolio.concentration(portfolio.ranked({"only": 1234.5}))
    assert result.shares == {"top1": 100.0, "top3": 100.0, "top10": 100.0}
    assert (result.pareto_customers, result.pareto_customer_share) == (1, 100.0)
    assert (result.top_slice_customers, result.top_slice_revenue_share) == (1, 100.0)
    assert portfolio.band(result.shares["top1"], TOP1) == "critical"


def test_concentration_without_customers():
    result = portfolio.concentration(portfolio.ranked({"idle": 0.0}))
    assert result.customers == 0
    assert result.shares == {"top1": None, "top3": None, "top10": None}
    assert result.pareto_customer_share is None
    assert result.top_slice_revenue_share is None
    assert portfolio.band(result.shares["top1"], TOP1) is None


def test_ties_do_not_change_the_figures():
    # Five equal customers: any one of them is the top one.
    result = portfolio.concentration(portfolio.ranked(dict.fromkeys("edcba", 50.0)))
    assert result.shares["top1"] == pytest.approx(20.0)
    assert result.shares["top3"] == pytest.approx(60.0)
    assert result.pareto_customers == 4  # 4 x 20% = 80%: reached exactly
    assert result.top_slice_customers == 1
    assert portfolio.band(result.shares["top1"], TOP1) == "moderate"


def test_pareto_reached_exactly_despite_float_noise():
    result = portfolio.concentration(portfolio.ranked({"a": 0.7, "b": 0.1, "c": 0.1, "d": 0.1}))
    assert result.pareto_customers == 2


def test_top_slice_rounds_up():
    # 7 customers: 20% is 1.4, so the top 2.
    result = portfolio.concentration(portfolio.ranked({f"c{i}": 10.0 for i in range(7)}))
    assert result.top_slice_customers == 2
    assert result.top_slice_revenue_share == pytest.approx(200 / 7)


def test_top_customers_with_cumulative_share():
    ranking = portfolio.ranked({"a": 50.0, "b": 30.0, "c": 20.0})
    top = portfolio.top_customers(ranking, 2)
    assert [(c.key, c.rank) for c in top] == [("a", 1), ("b", 2)]
    assert [c.share for c in top] == pytest.approx([50.0, 30.0])
    assert [c.cumulative_share for c in top] == pytest.approx([50.0, 80.0])
    assert portfolio.top_customers([], 10) == []


@pytest.mark.parametrize(("before", "klass"), [(0, "a"), (79.99, "a"), (80, "b"), (94.9, "b"), (95, "c")])
def test_pareto_class(before, klass):
    assert portfolio.pareto_class(before) == klass


# ----------------------------------------------------------------------
# Migration
# ----------------------------------------------------------------------


def test_grade_at_prefers_the_last_change_before():
    assert portfolio.grade_at("3", "1", "5") == 3
    assert portfolio.grade_at(None, "1", "5") == 1
    assert portfolio.grade_at(None, None, "5") == 5
    assert portfolio.grade_at(None, None, None) == 0


def test_migration_matrix():
    moves = [(2, 3), (2, 3), (3, 2), (5, 5), (0, 0), (1, 4)]
    result = portfolio.migration(moves)
    assert result.matrix[2][3] == 2
    assert result.matrix[3][2] == 1
    assert result.matrix[1][4] == 1
    assert result.matrix[5][5] == 1
    assert (result.customers, result.upgrades, result.downgrades) == (6, 3, 1)
    assert result.changed_share == pytest.approx(400 / 6)


def test_migration_from_counts():
    result = portfolio.migration({(2, 3): 5, (3, 3): 10, (4, 1): 5})
    assert (result.customers, result.upgrades, result.downgrades) == (20, 5, 5)
    assert result.changed_share == pytest.approx(50.0)
    assert result.matrix[4][1] == 5


def test_migration_without_customers():
    result = portfolio.migration([])
    assert (result.customers, result.upgrades, result.downgrades, result.changed_share) == (0, 0, 0, None)
    assert result.matrix == tuple((0,) * 6 for _star in range(6))


@pytest.mark.parametrize(
    ("key", "today", "bounds"),
    [
        ("last_quarter", date(2026, 11, 23), (date(2026, 7, 1), date(2026, 9, 30))),
        ("last_quarter", date(2026, 2, 10), (date(2025, 10, 1), date(2025, 12, 31))),
        ("last_quarter", date(2026, 4, 1), (date(2026, 1, 1), date(2026, 3, 31))),
        ("this_quarter", date(2026, 11, 23), (date(2026, 10, 1), date(2026, 11, 23))),
        ("last_month", date(2026, 1, 15), (date(2025, 12, 1), date(2025, 12, 31))),
        ("last_month", date(2026, 3, 31), (date(2026, 2, 1), date(2026, 2, 28))),
        ("last_12_months", date(2026, 11, 23), (date(2025, 11, 24), date(2026, 11, 23))),
        ("this_year", date(2026, 11, 23), (date(2026, 1, 1), date(2026, 11, 23))),
        ("last_year", date(2026, 11, 23), (date(2025, 1, 1), date(2025, 12, 31))),
    ],
)
def test_period_bounds(key, today, bounds):
    assert portfolio.period_bounds(key, today) == bounds


def test_unknown_period():
    with pytest.raises(portfolio.PortfolioConfigError):
        portfolio.period_bounds("next_century", date(2026, 1, 1))


# ----------------------------------------------------------------------
# Workload
# ----------------------------------------------------------------------

CADENCES = {"A": Cadence(7, 3), "B": Cadence(14, 3), "C": Cadence(30, 12), "D": Cadence(60)}


def test_cadence_per_month():
    assert Cadence(7, 3).monthly_follow_ups() == pytest.approx(365.25 / 12 / 7)
    assert Cadence(7, 3).monthly_reviews() == pytest.approx(1 / 3)
    assert Cadence(60).monthly_reviews() == 0.0


def test_workload_against_capacity():
    rows = [
        ("ravi", "A", 10, 2, 3),
        ("ravi", "B", 10, 1, 0),
        ("olga", "C", 6, 0, 0),
        (None, "D", 4, 4, 0),
    ]
    loads = portfolio.workload(rows, CADENCES, capacity=60, users=["ravi", "olga", "idle"])
    by_user = {load.user: load for load in loads}
    ravi = by_user["ravi"]
    month = 365.25 / 12
    assert ravi.customers_by_tier == {"A": 10, "B": 10}
    assert ravi.customers == 20
    assert ravi.follow_ups == pytest.approx(10 * month / 7 + 10 * month / 14)
    assert ravi.reviews == pytest.approx(20 / 3)
    assert ravi.load == pytest.approx(ravi.follow_ups + ravi.reviews)
    assert (ravi.overdue, ravi.missing_backups) == (3, 3)
    assert ravi.status == "overloaded"
    assert ravi.utilisation == pytest.approx(100 * ravi.load / 60)
    assert ravi.room == pytest.approx(60 - ravi.load)
    olga = by_user["olga"]
    assert olga.load == pytest.approx(6 * month / 30 + 6 / 12)
    assert olga.status == "room"
    idle = by_user["idle"]
    assert (idle.customers, idle.load, idle.status, idle.room) == (0, 0.0, "room", 60)
    pool = by_user[None]
    assert (pool.customers, pool.overdue, pool.capacity, pool.status) == (4, 4, None, None)
    assert [load.user for load in loads] == ["ravi", "olga", "idle", None]


@pytest.mark.parametrize(
    ("load", "status"),
    [(0, "room"), (79.9, "room"), (80, "full"), (100, "full"), (100.01, "overloaded")],
)
def test_rep_status(load, status):
    assert portfolio.rep_status(load, 100)[2] == status


def test_rep_status_without_capacity():
    assert portfolio.rep_status(10, 0) == (None, None, None)


def test_unknown_tier_asks_for_nothing():
    (load,) = portfolio.workload([("ravi", "X", 5, 0, 0)], CADENCES, capacity=10)
    assert (load.customers, load.load, load.status) == (5, 0.0, "room")
