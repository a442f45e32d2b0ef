from datetime import date, timedelta

import pytest

from trade_crm_tiering.profile import Activity, greeting_due, lifecycle_stage, next_anniversary, years_between

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("activity", "stage"),
    [
        (Activity(), "potential"),
        (Activity(open_lead=True), "potential"),
        (Activity(open_opportunity=True), "intent"),
        (Activity(open_quotation=True, open_lead=True), "intent"),
        (Activity(last_order=TODAY - timedelta(days=30)), "deal"),
        (Activity(last_order=TODAY - timedelta(days=30), open_quotation=True), "deal"),
        (Activity(last_order=TODAY - timedelta(days=364)), "deal"),
        (Activity(last_order=TODAY - timedelta(days=365)), "lost"),
        (Activity(last_order=TODAY - timedelta(days=500), open_quotation=True), "intent"),
        (Activity(last_order=TODAY - timedelta(days=500), open_lead=True), "potential"),
        (Activity(lost_lead=True), "lost"),
        (Activity(lost_lead=True, open_lead=True), "potential"),
        (Activity(last_order=TODAY - timedelta(days=30), dormant=True), "lost"),
        (Activity(dormant=True, open_opportunity=True), "intent"),
    ],
)
def test_lifecycle_stage(activity, stage):
    assert lifecycle_stage(activity, TODAY) == stage


def test_dormancy_period_is_a_setting():
    assert lifecycle_stage(Activity(last_order=TODAY - timedelta(days=200)), TODAY, dormant_days=180) == "lost"


def test_next_anniversary():
    assert next_anniversary(date(1998, 12, 1), TODAY) == date(2026, 12, 1)
    assert next_anniversary(date(1998, 11, 23), TODAY) == TODAY
    assert next_anniversary(date(1998, 3, 1), TODAY) == date(2027, 3, 1)
    assert next_anniversary(date(2000, 2, 29), date(2027, 1, 10)) == date(2027, 2, 28)
    assert next_anniversary(date(2000, 2, 29), date(2028, 1, 10)) == date(2028, 2, 29)
    assert next_anniversary(date(2027, 1, 1), TODAY) is None
    assert next_anniversary(None, TODAY) is None


def test_greeting_is_due_the_day_before_within_a_week():
    assert greeting_due(date(1998, 11, 30), TODAY) == date(2026, 11, 29)
    assert greeting_due(date(1998, 12, 1), TODAY) is None, "eight days ahead: not yet"
    assert greeting_due(date(1998, 11, 24), TODAY) == TODAY
    assert greeting_due(date(1998, 11, 23), TODAY) == TODAY
    assert greeting_due(None, TODAY) is None


def test_years_between():
    assert years_between(date(2020, 11, 23), TODAY) == 6.0
    assert years_between(date(2026, 5, 23), TODAY) == 0.5
    assert years_between(None, TODAY) == 0.0
