import numpy as np
import pandas as pd
import pytest

# A customer with orders and nothing remarkable: every figure the nightly aggregation gives.
BASE = {
    "orders": 8,
    "days_since_first": 700,
    "days_since_last": 30,
    "orders_12m": 4,
    "orders_24m": 8,
    "amount_6m": 20_000.0,
    "amount_prev_6m": 20_000.0,
    "amount_12m": 40_000.0,
    "amount_prev_12m": 40_000.0,
    "margin_12m": 8_000.0,
    "decision_days": 0.0,
    "order_days_24m": 8,
    "span_24m": 630,
    "quarters_24m": 8,
    "interactions_12m": 0,
    "days_late": np.nan,
    "invoices_due": 0,
    "contacts": 0,
    "inquiries_3m": 0,
    "inquiries_prev_3m": 0,
    "rating_industry": np.nan,
    "rating_size": np.nan,
    "rating_wallet": np.nan,
    "rating_chain": np.nan,
    "health_stored": np.nan,
    "health_previous_stored": np.nan,
    "health_quarter_stored": None,
}


def build(**customers):
    """A frame of customers: ``build(a={"amount_12m": 5}, b={})``, ids are the keyword names."""
    return pd.DataFrame.from_dict({key: {**BASE, **values} for key, values in customers.items()}, orient="index")


@pytest.fixture
def frame():
    return build
