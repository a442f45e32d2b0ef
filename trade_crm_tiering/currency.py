"""Currency-normalised amounts: the factor that turns an order amount into the grading currency.

Rates follow Odoo's convention: ``rate`` is how many units of a currency one unit of the company
currency buys on a day, so an amount in currency X on day d is worth
``amount / rate(X, d) * rate(G, d)`` in the grading currency G.
"""

from bisect import bisect_right


def rate_on(day, company_rates, global_rates):
    """A currency's rate on ``day`` as Odoo picks it.

    The latest rate of the company on or before ``day``, else the latest shared rate on or
    before it; failing both, the company's earliest rate, else the earliest shared one. ``None``
    when there is no rate at all. Both lists hold ``(date, rate)`` sorted by date.
    """
    for rates in (company_rates, global_rates):
        index = bisect_right(rates, (day, float("inf")))
        if index:
            return rates[index - 1][1]
    for rates in (company_rates, global_rates):
        if rates:
            return rates[0][1]
    return None


def daily_factors(days, currencies, rates, grading_currency, company_currency):
    """Factors into the grading currency for every currency and day, currency by currency.

    ``rates`` maps a currency to its ``(company_rates, global_rates)`` (see rate_on). The result
    lists ``len(currencies) * len(days)`` factors, ``None`` where a currency has no rate at all.
    """

    def day_rates(currency):
        company_rates, global_rates = rates.get(currency, ((), ()))
        values = [rate_on(day, company_rates, global_rates) for day in days]
        if currency == company_currency:
            values = [1.0 if rate is None else rate for rate in values]
        return [rate if rate and rate > 0 else None for rate in values]

    grading = day_rates(grading_currency)
    factors = []
    for currency in currencies:
        own = day_rates(currency)
        factors += [g / r if g is not None and r is not None else None for g, r in zip(grading, own, strict=True)]
    return factors
