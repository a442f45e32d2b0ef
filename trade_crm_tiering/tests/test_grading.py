from datetime import date

import pytest

from trade_crm_tiering import grading
from trade_crm_tiering.grading import DEFAULT_THRESHOLDS as T


@pytest.mark.parametrize(
    ("amount", "star"),
    [
        (0, 0),
        (None, 0),
        (19_999.99, 0),
        (20_000, 1),
        (49_999.99, 1),
        (50_000, 2),
        (299_999.99, 2),
        (300_000, 3),
        (999_999.99, 3),
        (1_000_000, 4),
        (1_999_999.99, 4),
        (2_000_000, 5),
        (50_000_000, 5),
    ],
)
def test_band_gives_the_higher_grade_on_a_threshold(amount, star):
    assert grading.band(amount, T) == star


def test_category_by_star():
    assert [grading.category(star) for star in range(6)] == [
        "ordinary",
        "ordinary",
        "ordinary",
        "key",
        "key",
        "vip",
    ]
    assert grading.category("3") == "key"


def test_check_thresholds_accepts_defaults():
    grading.check_thresholds(T)


@pytest.mark.parametrize(
    ("thresholds", "code", "star"),
    [
        ((0, 50, 300, 1000, 2000), "not_positive", 1),
        ((20, -5, 300, 1000, 2000), "not_positive", 2),
        ((20, 50, 50, 1000, 2000), "not_ascending", 3),
        ((20, 50, 300, 1000, 900), "not_ascending", 5),
    ],
)
def test_check_thresholds_names_the_bad_star(thresholds, code, star):
    with pytest.raises(grading.GradingConfigError) as info:
        grading.check_thresholds(thresholds)
    assert info.value.code == code
    assert info.value.params["star"] == star


def test_check_thresholds_needs_five():
    with pytest.raises(grading.GradingConfigError) as info:
        grading.check_thresholds((1, 2, 3))
    assert info.value.code == "count"


@pytest.mark.parametrize("years", [0, 6, -1, "2"])
def test_check_years_out_of_range(years):
    with pytest.raises(grading.GradingConfigError) as info:
        grading.check_years(years)
    assert info.value.code == "years_range"


@pytest.mark.parametrize(
    ("text", "years"),
    [
        (None, ()),
        ("", ()),
        ("  ", ()),
        ("2020", (2020,)),
        ("2021, 2020", (2020, 2021)),
        ("2020;2021 2022", (2020, 2021, 2022)),
        ("2020,2020", (2020,)),
    ],
)
def test_parse_excluded_years(text, years):
    assert grading.parse_excluded_years(text) == years


@pytest.mark.parametrize("text", ["20", "2020, abc", "20201", "2020-2021", "1800"])
def test_parse_excluded_years_rejects_malformed(text):
    with pytest.raises(grading.GradingConfigError) as info:
        grading.parse_excluded_years(text)
    assert info.value.code == "excluded_year"


def test_rolling_window_is_the_365_days_ending_today():
    window = grading.grading_window("rolling_12m", date(2026, 11, 23))
    assert window.start == date(2025, 11, 24)
    assert window.end == date(2026, 11, 24)
    assert (window.end - window.start).days == 365
    assert window.years == ()
    assert window.annualise(1000) == 1000


def test_full_years_window_averages_the_last_full_years():
    window = grading.grading_window("full_years", date(2026, 3, 1), years=2)
    assert window.years == (2024, 2025)
    assert (window.start, window.end) == (date(2024, 1, 1), date(2026, 1, 1))
    assert window.annualise(300) == 150


def test_full_years_window_skips_excluded_years_and_reaches_back():
    window = grading.grading_window("full_years", date(2026, 3, 1), years=2, excluded_years=(2025,))
    assert window.years == (2023, 2024)
    assert (window.start, window.end) == (date(2023, 1, 1), date(2025, 1, 1))
    window = grading.grading_window("full_years", date(2026, 3, 1), years=3, excluded_years=(2024,))
    assert window.years == (2022, 2023, 2025)
    assert window.divisor == 3


def test_unknown_basis():
    with pytest.raises(grading.GradingConfigError):
        grading.grading_window("weekly", date(2026, 1, 1))


def test_window_days():
    window = grading.grading_window("rolling_12m", date(2026, 11, 23))
    days = window.days()
    assert len(days) == 365
    assert (days[0], days[-1]) == (window.start, date(2026, 11, 23))
