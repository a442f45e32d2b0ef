from datetime import date

import pytest

from trade_crm_tiering.currency import daily_factors, rate_on

USD, EUR, CNY = 1, 2, 3
D1, D2 = date(2026, 1, 5), date(2026, 6, 1)


def test_rate_on_prefers_the_company_rate_on_or_before_the_day():
    company = [(date(2026, 1, 1), 0.8), (date(2026, 6, 1), 0.7)]
    shared = [(date(2025, 1, 1), 0.95), (date(2026, 3, 1), 0.9)]
    assert rate_on(date(2026, 5, 31), company, shared) == 0.8
    assert rate_on(date(2026, 6, 1), company, shared) == 0.7
    # before the first company rate: the latest shared rate
    assert rate_on(date(2025, 12, 31), company, shared) == 0.95
    # before every rate: the company's earliest, else the earliest shared one
    assert rate_on(date(2024, 1, 1), company, shared) == 0.8
    assert rate_on(date(2024, 1, 1), [], shared) == 0.95
    assert rate_on(date(2024, 1, 1), [], []) is None


def test_daily_factors_currency_by_currency():
    days = [D1, D2]
    rates = {EUR: ([], [(D1, 0.9), (D2, 0.8)]), CNY: ([(D1, 7.2)], [])}
    factors = daily_factors(days, [USD, EUR, CNY, 99], rates, grading_currency=USD, company_currency=USD)
    assert factors[:2] == [1.0, 1.0]
    assert factors[2] == pytest.approx(1 / 0.9)
    assert factors[3] == pytest.approx(1 / 0.8)
    assert factors[4] == factors[5] == pytest.approx(1 / 7.2)
    assert factors[6:] == [None, None], "a currency without any rate has no factor"


def test_daily_factors_into_another_grading_currency():
    rates = {EUR: ([], [(D1, 0.9)])}
    factors = daily_factors([D1], [USD, EUR], rates, grading_currency=EUR, company_currency=USD)
    assert factors == [pytest.approx(0.9), pytest.approx(1.0)]
    assert daily_factors([D1], [USD], {}, grading_currency=EUR, company_currency=USD) == [None]
