import pytest

from trade_crm_tiering.handover import Customer, SpreadError, check_cap, loads_after, spread

WEIGHTS = {"A": 8, "B": 4, "C": 2, "D": 1}


def customers(*tiers):
    return [Customer(index, WEIGHTS[tier]) for index, tier in enumerate(tiers, start=1)]


def test_one_receiver_takes_everything():
    batch = customers("A", "C", "D")
    assert spread(batch, ["ann"]) == {1: "ann", 2: "ann", 3: "ann"}


def test_heaviest_first_to_the_lightest_receiver():
    batch = customers("A", "A", "B", "B", "C", "C", "D", "D")
    assignment = spread(batch, ["ann", "bob"])
    loads = loads_after(assignment, batch)
    assert loads == {"ann": 15, "bob": 15}
    assert assignment[1] == "ann" and assignment[2] == "bob", "the two core customers are split"


def test_existing_load_is_evened_out():
    batch = customers("B", "B", "C")
    assignment = spread(batch, ["busy", "free"], existing_loads={"busy": 20, "free": 0})
    assert set(assignment.values()) == {"free"}
    assert loads_after(assignment, batch, {"busy": 20, "free": 0}) == {"busy": 20, "free": 10}


def test_load_spread_stays_within_the_heaviest_weight():
    batch = customers(*("ABCDDCCBDA" * 7))
    assignment = spread(batch, ["r1", "r2", "r3"])
    loads = loads_after(assignment, batch)
    assert max(loads.values()) - min(loads.values()) <= max(WEIGHTS.values())


def test_cap_limits_each_receiver():
    batch = customers("D", "D", "D", "D", "A")
    assignment = spread(batch, ["ann", "bob"], existing_loads={"ann": 0, "bob": 100}, cap=3)
    counts = {receiver: list(assignment.values()).count(receiver) for receiver in ("ann", "bob")}
    assert counts == {"ann": 3, "bob": 2}, "bob is heavily loaded, but ann is full at 3"
    check_cap(assignment, 3)


def test_cap_too_low_is_refused_before_anything_is_assigned():
    with pytest.raises(SpreadError) as caught:
        spread(customers("A", "B", "C", "D", "D"), ["ann", "bob"], cap=2)
    assert caught.value.code == "cap"
    assert caught.value.params == {"customers": 5, "receivers": 2, "cap": 2}


def test_nobody_to_receive():
    with pytest.raises(SpreadError) as caught:
        spread(customers("A"), [])
    assert caught.value.code == "no_receiver"


def test_same_inputs_same_result():
    batch = customers("C", "C", "C", "C")
    assert spread(batch, ["ann", "bob"]) == spread(list(reversed(batch)), ["ann", "bob"])
    assert spread(batch, ["ann", "bob"]) == {1: "ann", 2: "bob", 3: "ann", 4: "bob"}


def test_check_cap_names_the_receiver_over_it():
    with pytest.raises(SpreadError) as caught:
        check_cap({1: "ann", 2: "ann", 3: "bob"}, 1)
    assert (caught.value.code, caught.value.params["receiver"], caught.value.params["count"]) == ("over_cap", "ann", 2)
    check_cap({1: "ann", 2: "ann"}, 0)


def test_a_customer_avoids_its_other_salesperson():
    # Customer 1 is backed up by the leaver and served by "bob": bob would be its own backup.
    batch = customers("A", "A")
    assignment = spread(batch, ["bob", "cat"], existing_loads={"bob": 0, "cat": 50}, avoid={1: "bob"})
    assert assignment[1] == "cat"
    assert assignment[2] == "bob", "the lighter receiver still takes the others"


def test_avoided_receiver_takes_the_customer_when_nobody_else_can():
    assert spread(customers("C"), ["bob"], avoid={1: "bob"}) == {1: "bob"}
    batch = customers("C", "C")
    # Bob took customer 1 and is at the cap: customer 2 goes to cat after all.
    assert spread(batch, ["bob", "cat"], cap=1, avoid={2: "cat"}) == {1: "bob", 2: "cat"}


def test_a_customer_goes_to_its_backup_first():
    # Customer 1 is backed up by "cat", who is not among the receivers: she takes it over.
    batch = customers("A", "B", "C")
    assignment = spread(batch, ["ann", "bob"], preferred={1: "cat", 3: "bob"})
    assert assignment[1] == "cat"
    assert assignment[3] == "bob"
    assert assignment[2] == "ann", "bob already got customer 3: ann is the lighter"


def test_backups_count_against_the_cap():
    batch = customers("A", "B", "C", "D")
    # bob backs up customers 1 and 2 and may take one: the other is spread, so ann takes 3.
    assignment = spread(batch, ["ann", "bob"], cap=2, preferred={1: "bob", 2: "bob", 3: "bob"})
    assert sorted(assignment.values()).count("bob") == 2
    assert (assignment[1], assignment[2]) == ("bob", "bob")
    assert (assignment[3], assignment[4]) == ("ann", "ann")
    with pytest.raises(SpreadError) as caught:
        spread(customers("A", "B", "C", "D", "D"), ["ann", "bob"], cap=2, preferred={1: "bob"})
    assert caught.value.code == "cap"
