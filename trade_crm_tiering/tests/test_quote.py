from trade_crm_tiering.quote import GENERAL_MANAGER, SUPERVISOR, QuoteFigures, QuoteLimits, check_limits, level, reasons

TIER_A = QuoteLimits(max_discount=10, second_discount=15, payment_days=45, max_amount=100_000, second_amount=500_000)


def test_within_every_limit_needs_nothing():
    figures = QuoteFigures(discount=10, payment_days=45, margin_rate=5, amount=100_000)
    assert reasons(figures, TIER_A) == ()
    assert level(figures, TIER_A) == 0


def test_each_reason():
    assert reasons(QuoteFigures(discount=12), TIER_A) == ("discount",)
    assert reasons(QuoteFigures(payment_days=60), TIER_A) == ("payment_term",)
    assert reasons(QuoteFigures(amount=100_001), TIER_A) == ("amount",)
    assert reasons(QuoteFigures(over_credit=True), TIER_A) == ("credit",)
    floor = QuoteLimits(margin_floor=15)
    assert reasons(QuoteFigures(margin_rate=14.9), floor) == ("margin",)
    assert reasons(QuoteFigures(margin_rate=15), floor) == ()


def test_reasons_come_in_a_fixed_order():
    figures = QuoteFigures(discount=20, payment_days=90, margin_rate=1, amount=1e6, over_credit=True)
    limits = QuoteLimits(max_discount=5, payment_days=30, max_amount=10, margin_floor=10)
    assert reasons(figures, limits) == ("discount", "payment_term", "margin", "amount", "credit")


def test_no_limits_no_policy():
    """Zero limits and no payment terms: a company without tier setup blocks nothing but discounts above 0."""
    figures = QuoteFigures(payment_days=90, margin_rate=-5, amount=1e9)
    assert reasons(figures, QuoteLimits()) == ()


def test_two_levels():
    assert level(QuoteFigures(discount=15), TIER_A) == SUPERVISOR
    assert level(QuoteFigures(discount=15.5), TIER_A) == GENERAL_MANAGER
    assert level(QuoteFigures(amount=500_000), TIER_A) == SUPERVISOR
    assert level(QuoteFigures(amount=500_001), TIER_A) == GENERAL_MANAGER
    assert level(QuoteFigures(payment_days=120, over_credit=True), TIER_A) == SUPERVISOR
    # Without a second level the supervisor approves any discount.
    assert level(QuoteFigures(discount=90), QuoteLimits(max_discount=5)) == SUPERVISOR


def test_check_limits():
    assert check_limits(10, 15, 100, 500) is None
    assert check_limits(10, 0, 100, 0) is None
    assert check_limits(10, 8, 0, 0) == "second_discount_below"
    assert check_limits(101, 0, 0, 0) == "discount_range"
    assert check_limits(5, 0, -1, 0) == "amount_negative"
    assert check_limits(5, 0, 100, 50) == "second_amount_below"
