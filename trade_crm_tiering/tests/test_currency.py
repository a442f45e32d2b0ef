from datetime import date

import pytest

from trade_crm_tiering.currency import MissingRateError, conversion_factors

USD, EUR, CNY = 1, 2, 3
D1, D2 = date(2026, 1, 5), date(2026, 6, 1)


def test_factor_converts_through_the_company_currency():
    # Company currency USD (no rate of its own); grading currency EUR.
    rates = {(USD, D1): None, (EUR, D1): 0.9, (CNY, D1): 7.2}
    factors = conversion_factors(rates, grading_currency=EUR, company_currency=USD)
    assert factors[USD, D1] == pytest.approx(0.9)
    assert factors[EUR, D1] == pytest.approx(1.0)
    # 7.2 CNY = 1 USD = 0.9 EUR
    assert 7.2 * factors[CNY, D1] == pytest.approx(0.9)


def test_each_day_uses_its_own_rate():
    rates = {(USD, D1): None, (USD, D2): None, (CNY, D1): 7.0, (CNY, D2): 8.0}
    factors = conversion_factors(rates, grading_currency=USD, company_currency=USD)
    assert factors[CNY, D1] == pytest.approx(1 / 7.0)
    assert factors[CNY, D2] == pytest.approx(1 / 8.0)


def test_missing_rate_names_each_currency_with_its_first_day():
    rates = {(USD, D1): None, (USD, D2): None, (CNY, D2): None, (CNY, D1): None, (EUR, D2): 0.9}
    with pytest.raises(MissingRateError) as info:
        conversion_factors(rates, grading_currency=USD, company_currency=USD)
    assert info.value.missing == [(CNY, D1)]


def test_grading_currency_without_rate_is_missing():
    rates = {(USD, D1): None, (EUR, D1): None}
    with pytest.raises(MissingRateError) as info:
        conversion_factors(rates, grading_currency=EUR, company_currency=USD)
    assert info.value.missing == [(EUR, D1)]


def test_zero_rate_is_missing():
    with pytest.raises(MissingRateError):
        conversion_factors({(USD, D1): None, (EUR, D1): 0.0}, grading_currency=USD, company_currency=USD)
