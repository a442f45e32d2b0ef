"""Response clocks and lead reclaim: how fast customers get an answer, and leads nobody works.

Odoo-free and set-based: events and leads come in as DataFrames, clocks and assignments go out.

Response clocks (seed 000: response time per tier)
    A thread is a customer or a lead (any hashable id the caller chooses). Its events are messages
    and actions with a time (naive UTC, as Odoo stores them), a direction and a kind:

    - an incoming email or message (``start_kinds``) starts a clock, unless one is already
      running: a customer writing three times before an answer waits from the first message;
    - the first outgoing reply, logged call or done activity after it (``stop_kinds``) stops it;
      internal notes and other kinds neither start nor stop anything;
    - at the same moment, the incoming event comes first: a reply logged in the same second is
      an answer.

    A running clock is overdue once more than the thread's allowed hours (its tier's response
    hours) have passed since it started; 0 or no allowed hours means no deadline. Each clock is
    one episode, named by its thread and start: the overdue warning is raised once per episode
    and closed when the clock stops.

    The median response time counts answered clocks; given ``now``, running clocks count too, at
    the hours they have run so far (a lower bound of their response time), so a rep who leaves
    customers waiting does not look fast.

Lead reclaim (seed 004: leads left unhandled for 24 hours are reclaimed)
    A lead assigned to a rep and untouched for ``hours`` (idle since the later of its assignment
    and the owner's last action) is reclaimed. In ``pool`` mode it goes back to the team pool; in
    ``round_robin`` mode it goes to another member of its team: members take turns in a fixed
    order that starts after the member served last time, each lead going to the member with the
    fewest leads of this round (ties in turn order), never to its current owner. A lead without a
    team, or whose team has nobody else, goes to the pool.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

EVENT_COLUMNS = ("thread", "at", "direction", "kind")
CLOCK_COLUMNS = ("thread", "started", "stopped", "hours")
RECLAIM_MODES = ("round_robin", "pool")
HOUR = pd.Timedelta(hours=1)


class ResponseConfigError(ValueError):
    """A response or reclaim setting is invalid. ``code`` names the problem, ``params`` fill its message."""

    def __init__(self, code, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class ClockConfig:
    """Which kinds of event start a clock (incoming) and which stop it (outgoing)."""

    start_kinds: tuple = ("email", "message")
    stop_kinds: tuple = ("email", "message", "call", "activity")

    def check(self):
        if not self.start_kinds:
            raise ResponseConfigError("start_kinds")
        if not self.stop_kinds:
            raise ResponseConfigError("stop_kinds")


@dataclass(frozen=True)
class ReclaimConfig:
    """After how many idle hours an assigned lead is reclaimed, and where it goes."""

    hours: float = 24
    mode: str = "round_robin"

    def check(self):
        if self.hours is None or not np.isfinite(self.hours) or self.hours <= 0:
            raise ResponseConfigError("hours", value=self.hours)
        if self.mode not in RECLAIM_MODES:
            raise ResponseConfigError("mode", mode=self.mode)


def _is_set(values):
    """Whether each value is set: not None, NaN or Odoo's False."""
    values = pd.Series(values, dtype="object")
    return values.notna() & ~values.map(lambda value: value is False)


def clocks(events, config=None):
    """Every response clock in ``events``, answered or running.

    ``events``: a DataFrame with ``EVENT_COLUMNS`` (``direction`` "in" or "out") and any other
    columns, whose values at the starting event are carried to the clock (the rep, the tier...).
    Returns one row per clock, ordered by thread and start: ``thread``, ``started``, ``stopped``
    (NaT while running), ``hours`` (NaN while running), then the carried columns.
    """
    config = config or ClockConfig()
    config.check()
    extra = [column for column in events.columns if column not in EVENT_COLUMNS]
    frame = events.copy()
    frame["at"] = pd.to_datetime(frame["at"])
    outgoing = frame["direction"] == "out"
    counted = (outgoing & frame["kind"].isin(config.stop_kinds)) | (
        (frame["direction"] == "in") & frame["kind"].isin(config.start_kinds)
    )
    frame["_out"] = outgoing
    frame = frame[counted & frame["at"].notna()]
    frame = frame.sort_values(["thread", "at", "_out"], kind="stable").reset_index(drop=True)
    same_thread = (frame["thread"] == frame["thread"].shift()).to_numpy()
    is_out = frame["_out"].to_numpy(dtype=bool)
    previous_out = np.concatenate([[True], is_out[:-1]]) if len(is_out) else is_out
    # A clock starts at an incoming event with no clock running: first of its thread, or after an
    # answer. It stops at the first answer after that.
    starts = ~is_out & (~same_thread | previous_out)
    stops = is_out & same_thread & ~previous_out
    episode = np.cumsum(starts)
    started = frame.loc[starts, ["thread", "at", *extra]].rename(columns={"at": "started"})
    started.insert(0, "_episode", episode[starts])
    stopped = pd.DataFrame({"_episode": episode[stops], "stopped": frame.loc[stops, "at"].to_numpy()})
    result = started.merge(stopped, on="_episode", how="left")
    result["stopped"] = pd.to_datetime(result["stopped"])
    result["hours"] = (result["stopped"] - result["started"]) / HOUR
    return result[[*CLOCK_COLUMNS, *extra]].reset_index(drop=True)


def _allowed(clock_frame, allowed_hours):
    """The allowed hours of each clock: a number for all, or ``{thread: hours}`` / a Series by thread."""
    if pd.api.types.is_number(allowed_hours):
        hours = pd.Series(float(allowed_hours), index=clock_frame.index)
    else:
        hours = clock_frame["thread"].map(pd.Series(allowed_hours, dtype="float64"))
    return hours.astype("float64").where(lambda value: value > 0)


def deadlines(clock_frame, allowed_hours, now):
    """``clock_frame`` with each clock's ``allowed_hours``, ``due`` time, and whether it is ``late``
    (answered after it was due) or ``overdue`` (running past it at ``now``).

    Clocks without allowed hours (none, 0) are never late or overdue.
    """
    now = pd.Timestamp(now)
    result = clock_frame.copy()
    result["allowed_hours"] = _allowed(result, allowed_hours)
    result["due"] = result["started"] + pd.to_timedelta(result["allowed_hours"], unit="h")
    running = result["stopped"].isna()
    has_deadline = result["due"].notna()
    result["late"] = (has_deadline & ~running & (result["stopped"] > result["due"])).astype(bool)
    result["overdue"] = (has_deadline & running & (now > result["due"])).astype(bool)
    return result


def overdue(clock_frame, allowed_hours, now):
    """The running clocks past their deadline at ``now`` (see ``deadlines``)."""
    judged = deadlines(clock_frame, allowed_hours, now)
    return judged[judged["overdue"]].reset_index(drop=True)


def overdue_episodes(overdue_clocks, warned):
    """Which overdue warnings to raise and which to close.

    ``overdue_clocks``: ``overdue`` output; ``warned``: the ``(thread, started)`` episodes whose
    warning is still open. Returns ``(to_raise, to_close)``: the overdue clocks not warned yet
    (a DataFrame), and the warned episodes no longer overdue (a sorted list), answered since.
    """
    keys = pd.MultiIndex.from_arrays([overdue_clocks["thread"], pd.to_datetime(overdue_clocks["started"])])
    warned = {(thread, pd.Timestamp(started)) for thread, started in warned}
    to_raise = overdue_clocks[~keys.isin(list(warned))] if warned else overdue_clocks
    current = set(keys)
    to_close = sorted(episode for episode in warned if episode not in current)
    return to_raise.reset_index(drop=True), to_close


def median_response(clock_frame, by, now=None):
    """Median response hours per group of ``by`` columns of the clocks (the rep, the tier...).

    Without ``now`` only answered clocks count; with it, running clocks count at the hours they
    have run. Returns a DataFrame indexed by ``by`` with ``clocks`` (counted), ``answered`` and
    ``median_hours``.
    """
    by = list(by)
    frame = clock_frame.copy()
    if now is not None:
        running = (pd.Timestamp(now) - frame["started"]) / HOUR
        frame["hours"] = frame["hours"].fillna(running.clip(lower=0))
    frame["_answered"] = frame["stopped"].notna()
    frame = frame[frame["hours"].notna()]
    grouped = frame.groupby(by, sort=True, dropna=False)
    return pd.DataFrame(
        {
            "clocks": grouped.size(),
            "answered": grouped["_answered"].sum().astype("int64"),
            "median_hours": grouped["hours"].median(),
        }
    )


def due_for_reclaim(leads, now, config=None):
    """The ids of the leads to reclaim at ``now``: assigned and idle for ``config.hours`` or more.

    ``leads``: a DataFrame indexed by lead id with ``user`` (the owner; empty when unassigned) and
    ``idle_since`` (the later of its assignment and the owner's last action on it).
    """
    config = config or ReclaimConfig()
    config.check()
    idle_since = pd.to_datetime(leads["idle_since"])
    idle_hours = (pd.Timestamp(now) - idle_since) / HOUR
    due = _is_set(leads["user"]).to_numpy() & (idle_hours >= config.hours).to_numpy()
    return leads.index[due]


def _turns(members, last):
    """``members`` in turn order for this round: starting after ``last`` when it is one of them."""
    members = list(dict.fromkeys(members))
    if last in members:
        start = members.index(last) + 1
        members = members[start:] + members[:start]
    return members


def reassign(leads, members, config=None, last_assigned=None):
    """Where each reclaimed lead goes.

    ``leads``: the leads to reclaim, indexed by lead id, with ``user`` (current owner) and
    ``team``. ``members``: ``{team: [user, ...]}`` in the team's turn order (active members who
    may take leads). ``last_assigned``: ``{team: user}`` served last in the previous round.

    Returns ``(assignments, last_assigned)``: a DataFrame by lead id with ``action`` ("assign" or
    "pool"), ``user`` (the new owner; None for the pool) and ``reason`` (None, "pool_mode",
    "no_team" or "no_other_member"); and the updated ``{team: user}`` for the next round. Leads go
    out in id order, so the result depends only on the inputs.
    """
    config = config or ReclaimConfig()
    config.check()
    last_assigned = dict(last_assigned or {})
    action = pd.Series(["pool"] * len(leads), index=leads.index, dtype="object")
    user = pd.Series([None] * len(leads), index=leads.index, dtype="object")
    reason = pd.Series(["pool_mode" if config.mode == "pool" else None] * len(leads), index=leads.index, dtype="object")
    if config.mode == "pool":
        return pd.DataFrame({"action": action, "user": user, "reason": reason}), last_assigned
    has_team = _is_set(leads["team"])
    reason[~has_team] = "no_team"
    ordered = leads[has_team].sort_index(kind="stable")
    # The turn-taking is sequential by nature; it runs over the reclaimed leads only.
    for team, team_leads in ordered.groupby("team", sort=True):
        turns = _turns(members.get(team, ()), last_assigned.get(team))
        counts = dict.fromkeys(turns, 0)
        rank = {member: position for position, member in enumerate(turns)}
        turn = 0  # whose turn it is: the member after the one served last
        for lead_id, owner in team_leads["user"].items():
            candidates = [member for member in turns if member != owner]
            if not candidates:
                reason[lead_id] = "no_other_member"
                continue
            chosen = min(candidates, key=lambda member: (counts[member], (rank[member] - turn) % len(turns)))
            counts[chosen] += 1
            turn = rank[chosen] + 1
            action[lead_id], user[lead_id] = "assign", chosen
            last_assigned[team] = chosen
    return pd.DataFrame({"action": action, "user": user, "reason": reason}), last_assigned
