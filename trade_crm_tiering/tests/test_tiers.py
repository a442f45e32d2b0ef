from datetime import date, timedelta

import pytest

from trade_crm_tiering import cadence
from trade_crm_tiering.tiers import CoverageProblem, coverage_problem, tier_by_star

DEFAULT = [("A", 5, 5), ("B", 3, 4), ("C", 1, 2), ("D", 0, 0)]
TODAY = date(2026, 11, 23)


def test_default_tiers_cover_every_grade_once():
    assert coverage_problem(DEFAULT) is None
    assert tier_by_star(DEFAULT) == {0: "D", 1: "C", 2: "C", 3: "B", 4: "B", 5: "A"}


@pytest.mark.parametrize(
    ("ranges", "problem"),
    [
        ([("A", 5, 5), ("B", 3, 4), ("C", 1, 2)], CoverageProblem("gap", (0,))),
        ([("A", 4, 5), ("B", 3, 4), ("C", 0, 2)], CoverageProblem("overlap", (4,), ("B", "A"))),
        ([("A", 0, 5), ("B", 2, 3)], CoverageProblem("overlap", (2, 3), ("A", "B"))),
        ([], CoverageProblem("gap", (0, 1, 2, 3, 4, 5))),
        ([("A", 5, 5), ("C", 0, 2)], CoverageProblem("gap", (3, 4))),
    ],
)
def test_coverage_problems(ranges, problem):
    assert coverage_problem(ranges) == problem


def test_single_tier_for_all_grades():
    assert coverage_problem([("ALL", 0, 5)]) is None


def test_next_follow_up():
    assert cadence.next_follow_up(TODAY - timedelta(days=3), 7, TODAY) == TODAY + timedelta(days=4)
    assert cadence.next_follow_up(None, 7, TODAY) == TODAY


def test_next_review():
    assert cadence.next_review(None, 0, TODAY) is None
    assert cadence.next_review(None, 3, TODAY) == TODAY
    assert cadence.next_review(date(2026, 1, 1), 3, TODAY) == date(2026, 4, 2)


@pytest.mark.parametrize(
    ("idle", "release_days", "status"),
    [
        (10, 0, None),
        (100, 0, None),
        (22, 30, None),
        (23, 30, "warn"),
        (29, 30, "warn"),
        (30, 30, "release"),
        (95, 90, "release"),
        (83, 90, "warn"),
    ],
)
def test_pool_status(idle, release_days, status):
    assert cadence.pool_status(TODAY - timedelta(days=idle), release_days, TODAY) == status


def test_pool_status_without_a_reference_day():
    assert cadence.pool_status(None, 30, TODAY) is None


def test_claim_refusal():
    assert cadence.claim_refusal(19, 20, False, None, 7, TODAY) is None
    assert cadence.claim_refusal(20, 20, False, None, 7, TODAY) == "cap"
    released = TODAY - timedelta(days=6)
    assert cadence.claim_refusal(0, 20, True, released, 7, TODAY) == "cooldown"
    assert cadence.claim_refusal(0, 20, False, released, 7, TODAY) is None
    assert cadence.claim_refusal(0, 20, True, TODAY - timedelta(days=7), 7, TODAY) is None
