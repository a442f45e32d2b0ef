"""Currency-normalised amounts: the factor that turns an order amount into the grading currency.

Rates follow Odoo's convention: ``rate`` is how many units of a currency one unit of the company
currency buys on a day, so an amount in currency X on day d is worth
``amount / rate(X, d) * rate(G, d)`` in the grading currency G.
"""


class MissingRateError(ValueError):
    """Some currencies have no exchange rate at all. ``missing`` holds ``(currency, first_day)``."""

    def __init__(self, missing):
        super().__init__(missing)
        self.missing = missing


def conversion_factors(rates, grading_currency, company_currency):
    """Map each ``(currency, day)`` of ``rates`` to the factor into the grading currency.

    ``rates`` maps ``(currency, day)`` to that day's rate, or None when the currency has no rate
    at all; it holds ``(grading_currency, day)`` for every day it holds. The company currency is
    worth 1 when it has no rate of its own. Raise MissingRateError listing every currency (with its
    first day) that cannot be converted.
    """
    resolved = {}
    missing = {}
    for (currency, day), stored_rate in rates.items():
        rate = 1.0 if stored_rate is None and currency == company_currency else stored_rate
        if rate is None or rate <= 0:
            if currency not in missing or day < missing[currency]:
                missing[currency] = day
            continue
        resolved[currency, day] = float(rate)
    if missing:
        raise MissingRateError(sorted(missing.items(), key=lambda item: item[1]))
    return {(currency, day): resolved[grading_currency, day] / rate for (currency, day), rate in resolved.items()}
