import numpy as np
import pandas as pd
import pytest

from trade_crm_tiering.response import (
    CLOCK_COLUMNS,
    ClockConfig,
    ReclaimConfig,
    ResponseConfigError,
    clocks,
    deadlines,
    due_for_reclaim,
    median_response,
    overdue,
    overdue_episodes,
    reassign,
)

T0 = pd.Timestamp("2026-03-02 08:00")


def at(hours):
    return T0 + pd.Timedelta(hours=hours)


def events(*rows, **extra):
    """``(thread, hours after T0, direction, kind)`` rows, plus extra columns given as lists."""
    frame = pd.DataFrame(
        [
            {"thread": thread, "at": at(hours), "direction": direction, "kind": kind}
            for thread, hours, direction, kind in rows
        ],
        columns=["thread", "at", "direction", "kind"],
    )
    for column, values in extra.items():
        frame[column] = values
    return frame


# clocks -----------------------------------------------------------------------------------------


def test_incoming_message_starts_and_first_reply_stops():
    result = clocks(events((1, 0, "in", "email"), (1, 5, "out", "email"), (1, 6, "out", "email")))
    assert list(result.columns) == list(CLOCK_COLUMNS)
    assert len(result) == 1
    assert result.loc[0, "started"] == at(0)
    assert result.loc[0, "stopped"] == at(5)
    assert result.loc[0, "hours"] == 5.0


def test_a_customer_writing_again_before_an_answer_waits_from_the_first_message():
    result = clocks(events((1, 0, "in", "email"), (1, 2, "in", "message"), (1, 3, "out", "call")))
    assert len(result) == 1
    assert result.loc[0, "hours"] == 3.0


def test_each_answered_question_is_its_own_clock():
    result = clocks(
        events(
            (1, 0, "in", "email"),
            (1, 1, "out", "email"),
            (1, 10, "in", "email"),
            (1, 14, "out", "activity"),
            (1, 20, "in", "message"),
        )
    )
    assert result["started"].tolist() == [at(0), at(10), at(20)]
    assert result["hours"].tolist()[:2] == [1.0, 4.0]
    assert pd.isna(result.loc[2, "stopped"])
    assert np.isnan(result.loc[2, "hours"])


def test_notes_and_unknown_kinds_neither_start_nor_stop():
    result = clocks(
        events(
            (1, 0, "in", "note"),
            (1, 1, "in", "email"),
            (1, 2, "out", "note"),
            (1, 3, "out", "email"),
        )
    )
    assert result[["started", "stopped"]].values.tolist() == [[at(1), at(3)]]


def test_an_answer_with_no_question_starts_nothing():
    assert clocks(events((1, 0, "out", "email"), (1, 1, "out", "call"))).empty


def test_a_reply_in_the_same_second_answers():
    result = clocks(events((1, 0, "out", "email"), (1, 0, "in", "email")))
    assert result["hours"].tolist() == [0.0]


def test_threads_are_kept_apart_and_events_may_come_unsorted():
    result = clocks(
        events(
            ("lead-2", 3, "out", "email"),
            ("partner-1", 4, "out", "email"),
            ("lead-2", 1, "in", "email"),
            ("partner-1", 0, "in", "email"),
            ("partner-3", 2, "in", "email"),
        )
    )
    assert result["thread"].tolist() == ["lead-2", "partner-1", "partner-3"]
    assert result["hours"].tolist()[:2] == [2.0, 4.0]
    assert pd.isna(result.loc[2, "hours"])


def test_a_reply_in_another_thread_does_not_stop_a_clock():
    result = clocks(events((1, 0, "in", "email"), (2, 1, "out", "email")))
    assert len(result) == 1
    assert pd.isna(result.loc[0, "stopped"])


def test_columns_of_the_starting_event_are_carried():
    frame = events((1, 0, "in", "email"), (1, 2, "out", "email"), rep=[7, 8], tier=["A", "A"])
    result = clocks(frame)
    assert result.loc[0, "rep"] == 7
    assert result.loc[0, "tier"] == "A"


def test_clocks_of_no_event_and_of_undated_events():
    assert clocks(events()).empty
    frame = events((1, 0, "in", "email"))
    frame.loc[0, "at"] = pd.NaT
    assert clocks(frame).empty


def test_kinds_are_configurable():
    frame = events((1, 0, "in", "whatsapp"), (1, 1, "out", "email"), (1, 2, "out", "whatsapp"))
    assert clocks(frame).empty
    result = clocks(frame, ClockConfig(start_kinds=("whatsapp",), stop_kinds=("whatsapp",)))
    assert result["hours"].tolist() == [2.0]


@pytest.mark.parametrize(
    ("config", "code"), [(ClockConfig(start_kinds=()), "start_kinds"), (ClockConfig(stop_kinds=()), "stop_kinds")]
)
def test_bad_clock_config(config, code):
    with pytest.raises(ResponseConfigError) as caught:
        config.check()
    assert caught.value.code == code


# deadlines --------------------------------------------------------------------------------------

CLOCKS = clocks(
    events(
        ("a", 0, "in", "email"),  # answered after 30 h: late for a 24 h tier
        ("a", 30, "out", "email"),
        ("b", 0, "in", "email"),  # answered in 4 h
        ("b", 4, "out", "email"),
        ("c", 0, "in", "email"),  # running since T0
        ("d", 47, "in", "email"),  # running since 1 h before now
        ("e", 0, "in", "email"),  # running, tier without a deadline
    )
)
NOW = at(48)
ALLOWED = {"a": 24, "b": 24, "c": 24, "d": 24, "e": 0}


def test_deadlines_mark_late_answers_and_overdue_clocks():
    result = deadlines(CLOCKS, ALLOWED, NOW).set_index("thread")
    assert result["late"].to_dict() == {"a": True, "b": False, "c": False, "d": False, "e": False}
    assert result["overdue"].to_dict() == {"a": False, "b": False, "c": True, "d": False, "e": False}
    assert result.loc["c", "due"] == at(24)
    assert pd.isna(result.loc["e", "due"])


def test_overdue_is_strictly_past_the_deadline():
    frame = clocks(events(("x", 0, "in", "email")))
    assert overdue(frame, 24, at(24)).empty
    assert len(overdue(frame, 24, at(24) + pd.Timedelta(seconds=1))) == 1


def test_allowed_hours_as_one_number_or_per_thread():
    assert overdue(CLOCKS, 24, NOW)["thread"].tolist() == ["c", "e"]
    assert overdue(CLOCKS, pd.Series(ALLOWED), NOW)["thread"].tolist() == ["c"]
    assert overdue(CLOCKS, {"c": np.nan}, NOW).empty  # threads without hours have no deadline
    assert overdue(CLOCKS, np.int64(24), NOW)["thread"].tolist() == ["c", "e"]


def test_overdue_warning_once_per_episode():
    late = overdue(CLOCKS, 24, NOW)
    to_raise, to_close = overdue_episodes(late, warned=set())
    assert to_raise["thread"].tolist() == ["c", "e"]
    assert to_close == []
    # next run: c still overdue and warned; e's warning refers to an episode answered since
    old_e = ("e", at(-50))
    to_raise, to_close = overdue_episodes(late, warned={("c", at(0)), old_e})
    assert to_raise["thread"].tolist() == ["e"]
    assert to_close == [old_e]


def test_overdue_episodes_of_nothing():
    to_raise, to_close = overdue_episodes(overdue(CLOCKS.iloc[:0], 24, NOW), warned={("c", at(0))})
    assert to_raise.empty
    assert to_close == [("c", at(0))]


# median response --------------------------------------------------------------------------------


def test_median_per_rep_and_tier():
    frame = events(
        (1, 0, "in", "email"),
        (1, 2, "out", "email"),
        (2, 0, "in", "email"),
        (2, 4, "out", "email"),
        (3, 0, "in", "email"),
        (3, 9, "out", "email"),
        (4, 0, "in", "email"),
        (4, 1, "out", "email"),
        (5, 0, "in", "email"),
        rep=[7, 7, 7, 7, 7, 7, 8, 8, 7],
        tier=["A", "A", "A", "A", "B", "B", "A", "A", "A"],
    )
    result = median_response(clocks(frame), by=("rep", "tier"))
    assert result.loc[(7, "A")].to_dict() == {"clocks": 2, "answered": 2, "median_hours": 3.0}
    assert result.loc[(7, "B"), "median_hours"] == 9.0
    assert result.loc[(8, "A"), "median_hours"] == 1.0
    # a customer left waiting 30 hours counts when ``now`` is given
    waiting = median_response(clocks(frame), by=("rep", "tier"), now=at(30))
    assert waiting.loc[(7, "A")].to_dict() == {"clocks": 3, "answered": 2, "median_hours": 4.0}


def test_median_of_no_clock():
    result = median_response(clocks(events(rep=[])), by=("rep",))
    assert result.empty
    assert list(result.columns) == ["clocks", "answered", "median_hours"]


# lead reclaim -----------------------------------------------------------------------------------

LEADS = pd.DataFrame(
    {
        "user": [10, 10, None, False, 11, 12],
        "team": [1, 1, 1, 1, 1, 2],
        "idle_since": [at(0), at(24.5), at(0), at(0), at(1), at(-100)],
    },
    index=[101, 102, 103, 104, 105, 106],
)


def test_leads_idle_for_the_reclaim_hours_are_due():
    assert due_for_reclaim(LEADS, at(25)).tolist() == [101, 105, 106]
    assert due_for_reclaim(LEADS, at(24)).tolist() == [101, 106]  # exactly 24 hours idle: due
    assert due_for_reclaim(LEADS, at(25), ReclaimConfig(hours=48)).tolist() == [106]


def test_unknown_idle_time_is_never_due():
    leads = LEADS.assign(idle_since=[pd.NaT] * len(LEADS))
    assert due_for_reclaim(leads, at(1000)).empty


@pytest.mark.parametrize(
    ("config", "code"),
    [
        (ReclaimConfig(hours=0), "hours"),
        (ReclaimConfig(hours=-1), "hours"),
        (ReclaimConfig(hours=float("nan")), "hours"),
        (ReclaimConfig(mode="random"), "mode"),
    ],
)
def test_bad_reclaim_config(config, code):
    with pytest.raises(ResponseConfigError) as caught:
        config.check()
    assert caught.value.code == code


def test_pool_mode_returns_every_lead_to_the_pool():
    result, last = reassign(LEADS.loc[[101, 105]], {1: [10, 11, 12]}, ReclaimConfig(mode="pool"))
    assert result["action"].tolist() == ["pool", "pool"]
    assert result["user"].tolist() == [None, None]
    assert result["reason"].tolist() == ["pool_mode", "pool_mode"]
    assert last == {}


def test_round_robin_takes_turns_and_skips_the_owner():
    leads = pd.DataFrame({"user": [10, 10, 10, 10, 10], "team": [1] * 5}, index=[5, 1, 4, 2, 3])
    result, last = reassign(leads, {1: [10, 11, 12]})
    assert result.loc[[1, 2, 3, 4, 5], "user"].tolist() == [11, 12, 11, 12, 11]
    assert (result["action"] == "assign").all()
    assert result["reason"].isna().all()
    assert last == {1: 11}


def test_round_robin_is_balanced_and_continues_where_the_last_round_stopped():
    leads = pd.DataFrame({"user": [99] * 7, "team": [1] * 7}, index=range(7))
    result, last = reassign(leads, {1: ["a", "b", "c"]}, last_assigned={1: "a"})
    assert result["user"].tolist() == ["b", "c", "a", "b", "c", "a", "b"]
    assert result["user"].value_counts().to_dict() == {"b": 3, "c": 2, "a": 2}
    assert last == {1: "b"}
    again, _last = reassign(leads.iloc[:1], {1: ["a", "b", "c"]}, last_assigned=last)
    assert again["user"].tolist() == ["c"]


def test_round_robin_balances_around_owners():
    # a owns two leads, b one: the other members pick them up evenly
    leads = pd.DataFrame({"user": ["a", "a", "b", "c"], "team": [1, 1, 1, 1]}, index=[1, 2, 3, 4])
    result, _last = reassign(leads, {1: ["a", "b", "c"]})
    assert (result["user"] != leads["user"]).all()
    assert result["user"].tolist() == ["b", "c", "a", "b"]


def test_leads_without_a_team_or_another_member_go_to_the_pool():
    leads = pd.DataFrame(
        {"user": [10, 10, 10, 10], "team": [None, False, 2, 3]},
        index=[1, 2, 3, 4],
    )
    result, last = reassign(leads, {2: [10], 3: []})
    assert result["action"].tolist() == ["pool"] * 4
    assert result["reason"].tolist() == ["no_team", "no_team", "no_other_member", "no_other_member"]
    assert last == {}


def test_teams_take_turns_separately():
    leads = pd.DataFrame({"user": [1, 1, 2, 2], "team": ["x", "y", "x", "y"]}, index=[1, 2, 3, 4])
    result, last = reassign(leads, {"x": [1, 2, 3], "y": [2, 4]})
    # team x: lead 1 (owner 1) goes to 2, then it is 3's turn; team y: 2 then 4
    assert result["user"].to_dict() == {1: 2, 2: 2, 3: 3, 4: 4}
    assert last == {"x": 3, "y": 4}


def test_reassign_nothing():
    result, last = reassign(LEADS.iloc[:0], {1: [10]}, last_assigned={1: 10})
    assert result.empty
    assert list(result.columns) == ["action", "user", "reason"]
    assert last == {1: 10}
