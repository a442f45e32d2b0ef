from datetime import date, timedelta

import pytest

from trade_crm_tiering.policy import (
    Decision,
    GradeState,
    approved,
    changes_anything,
    decide,
    imported,
    leaves_category,
    withdrawn,
)

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("current", "target", "leaves"),
    [(5, 4, True), (5, 2, True), (4, 2, True), (3, 0, True), (4, 3, False), (2, 0, False), (5, 5, False)],
)
def test_leaves_category(current, target, leaves):
    assert leaves_category(current, target) is leaves


def test_ordinary_upgrade_applies_at_once():
    assert decide(GradeState(actual=2, effective=0), TODAY) == Decision(effective=2)


def test_data_upgrade_into_key_asks_for_approval_and_raises_to_ordinary_max():
    assert decide(GradeState(actual=4, effective=1), TODAY) == Decision(effective=2, request_star=4)


def test_data_upgrade_within_key_asks_for_approval():
    assert decide(GradeState(actual=4, effective=3), TODAY) == Decision(effective=3, request_star=4)


def test_data_upgrade_applies_when_company_says_so():
    assert decide(GradeState(actual=5, effective=1), TODAY, auto_upgrade="apply") == Decision(effective=5)


def test_unchanged_grade_clears_a_pending_downgrade():
    state = GradeState(actual=4, effective=4, downgrade_due=TODAY + timedelta(days=3))
    assert decide(state, TODAY) == Decision(effective=4)


def test_falling_out_of_key_starts_a_grace_period():
    decision = decide(GradeState(actual=1, effective=3), TODAY, grace_days=30)
    assert decision == Decision(effective=3, downgrade_due=TODAY + timedelta(days=30), grace_started=True)


def test_grace_period_holds_the_grade_until_due():
    due = TODAY + timedelta(days=1)
    assert decide(GradeState(actual=1, effective=3, downgrade_due=due), TODAY) == Decision(
        effective=3, downgrade_due=due
    )


def test_downgrade_applies_when_grace_is_over():
    state = GradeState(actual=1, effective=3, downgrade_due=TODAY)
    assert decide(state, TODAY) == Decision(effective=1)


def test_vip_to_key_is_a_category_exit_too():
    assert decide(GradeState(actual=4, effective=5), TODAY).grace_started


def test_downgrade_within_a_category_applies_at_once():
    assert decide(GradeState(actual=3, effective=4), TODAY) == Decision(effective=3)
    assert decide(GradeState(actual=0, effective=2), TODAY) == Decision(effective=0)


def test_potential_grade_keeps_the_customer_up():
    assert decide(GradeState(actual=1, effective=4, potential=4), TODAY) == Decision(effective=4)


def test_potential_grade_approved_during_grace_stops_the_downgrade():
    state = GradeState(actual=1, effective=3, potential=3, downgrade_due=TODAY - timedelta(days=2))
    assert decide(state, TODAY) == Decision(effective=3)


def test_withdrawn_potential_grade_falls_back_under_grace_rules():
    # potential gone (0): key customer whose purchases say 1 star
    assert decide(GradeState(actual=1, effective=3, potential=0), TODAY).grace_started


@pytest.mark.parametrize(
    ("actual", "requested", "result"),
    [(2, 4, (4, 4)), (4, 4, (4, 0)), (0, 5, (5, 5)), (1, 1, (1, 0))],
)
def test_approved_grade_is_served_at_once(actual, requested, result):
    assert approved(GradeState(actual=actual, effective=actual), requested) == result


def test_approving_an_ordinary_grade_does_not_pass_a_pending_data_upgrade():
    # purchases give 4 stars, served at 2 while the upgrade waits for approval
    assert approved(GradeState(actual=4, effective=2), 4) == (4, 0)
    assert approved(GradeState(actual=4, effective=2), 5) == (5, 5)


@pytest.mark.parametrize(
    ("state", "result"),
    [
        (GradeState(actual=2, effective=4, potential=4), (2, 0)),
        (GradeState(actual=4, effective=3, potential=3), (3, 0)),
    ],
)
def test_withdrawn_falls_back_to_actual_but_never_upgrades(state, result):
    assert withdrawn(state) == result


def test_changes_anything():
    assert not changes_anything(GradeState(actual=2, effective=2), 2)
    assert changes_anything(GradeState(actual=2, effective=2), 3)
    assert changes_anything(GradeState(actual=2, effective=4, potential=4), 2)
    # served at 3 during a downgrade grace period: approving 3 keeps it there for good
    assert changes_anything(GradeState(actual=2, effective=3, downgrade_due=TODAY), 3)


def test_imported_grade_applies_like_an_approval_unless_already_served():
    state = GradeState(actual=2, effective=2)
    assert imported(state, 2) is None
    assert imported(state, 4) == (4, 4)
    assert imported(GradeState(actual=3, effective=3), 1) == (1, 0)
    in_grace = GradeState(actual=2, effective=3, downgrade_due=date(2026, 12, 1))
    assert imported(in_grace, 3) is None, "an exported grade read back changes nothing"
    assert imported(GradeState(actual=2, effective=4, potential=4), 2) == (2, 0)
