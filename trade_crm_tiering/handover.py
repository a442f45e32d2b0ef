"""Spreading a leaving salesperson's customers over receivers, evening out their tier load.

Each customer weighs what its service tier weighs (a core customer is more work than a developing
one). Customers go out heaviest first, each to the receiver with the lowest load at that moment:
the load of the customers the receiver already serves plus what this handover gave them so far.
A cap limits how many customers of the handover one receiver takes.
"""

from dataclasses import dataclass


class SpreadError(ValueError):
    """The customers cannot be spread. ``code`` names why, ``params`` fill its message."""

    def __init__(self, code, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Customer:
    id: int
    weight: int


def spread(customers, receivers, existing_loads=None, cap=0, avoid=None, preferred=None):
    """``{customer id: receiver}`` for ``customers`` (``[Customer]``) over ``receivers``.

    ``existing_loads``: ``{receiver: load}`` of the customers each receiver already serves.
    ``cap``: the most customers one receiver takes in this handover; 0 for no cap.
    ``avoid``: ``{customer id: receiver}`` who should not get that customer (the customer's other
    salesperson: a backup who is also the salesperson is no backup), unless nobody else can.
    ``preferred``: ``{customer id: receiver}`` who takes that customer first (its backup
    salesperson, who knows it), within the cap; such a receiver need not be one of ``receivers``.
    Ties go to the receiver listed first, so the result depends only on the inputs.
    Raises SpreadError when there is nobody to receive, or the cap leaves customers over.
    """
    receivers = list(dict.fromkeys(receivers))
    if not receivers:
        raise SpreadError("no_receiver")
    loads = {receiver: (existing_loads or {}).get(receiver, 0) for receiver in receivers}
    counts = dict.fromkeys(receivers, 0)
    assignment = {}
    for customer in sorted(customers, key=lambda c: (-c.weight, c.id)):
        receiver = (preferred or {}).get(customer.id)
        if receiver is None or (cap and counts.get(receiver, 0) >= cap):
            continue
        assignment[customer.id] = receiver
        loads[receiver] = loads.get(receiver, 0) + customer.weight
        counts[receiver] = counts.get(receiver, 0) + 1
    rest = [customer for customer in customers if customer.id not in assignment]
    if cap and sum(max(cap - counts[receiver], 0) for receiver in receivers) < len(rest):
        raise SpreadError("cap", customers=len(customers), receivers=len(receivers), cap=cap)
    order = {receiver: index for index, receiver in enumerate(receivers)}
    for customer in sorted(rest, key=lambda c: (-c.weight, c.id)):
        # The cap check above guarantees someone is still under the cap.
        open_receivers = [r for r in receivers if not cap or counts[r] < cap]
        avoided = (avoid or {}).get(customer.id)
        open_receivers = [r for r in open_receivers if r != avoided] or open_receivers
        receiver = min(open_receivers, key=lambda r: (loads[r], counts[r], order[r]))
        assignment[customer.id] = receiver
        loads[receiver] += customer.weight
        counts[receiver] += 1
    return assignment


def loads_after(assignment, customers, existing_loads=None):
    """``{receiver: load}`` once ``assignment`` is carried out."""
    weights = {customer.id: customer.weight for customer in customers}
    loads = dict(existing_loads or {})
    for customer_id, receiver in assignment.items():
        loads[receiver] = loads.get(receiver, 0) + weights[customer_id]
    return loads


def check_cap(assignment, cap):
    """Raise SpreadError when a receiver got more than ``cap`` customers (0: no cap)."""
    if not cap:
        return
    counts = {}
    for receiver in assignment.values():
        counts[receiver] = counts.get(receiver, 0) + 1
    over = sorted((receiver for receiver, count in counts.items() if count > cap), key=str)
    if over:
        raise SpreadError("over_cap", receiver=over[0], count=counts[over[0]], cap=cap)
