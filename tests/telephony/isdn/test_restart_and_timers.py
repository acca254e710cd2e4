"""RESTART procedure (T316, N316) on a ManualClock, the timer table, and hostile input
thrown at the whole stack."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from acd_core.clock import ManualClock
from acd_core.errors import ConfigError
from firmware.telephony.isdn import (
    ChannelRestarted, IsdnError, Q921Link, Q931, Released, RestartFailed, TIMERS,
)
from firmware.telephony.isdn.ie import CallState, Cause, ChannelId, RestartIndicator
from firmware.telephony.isdn.messages import MT
from firmware.telephony.isdn.q931_states import RESTART_TABLE, RestartState
from tests.telephony.isdn.scripted import Stack, incoming


def test_our_channel_restart_blocks_the_channel_until_acknowledged():
    s = Stack("network")
    call = incoming(s, ts=12)
    call.answer()
    s.sent()
    s.q.restart(12)
    [restart] = s.sent()
    assert restart.is_global and not restart.flag
    assert restart.get(ChannelId).channels == (12,) and restart.get(RestartIndicator).restart_class == 0
    assert s.of(Released)[0].summary.cleared_by == "restart" and 12 in s.q.blocked
    with pytest.raises(IsdnError, match="already under way"):
        s.q.restart(12)
    s.rx(MT.RESTART_ACKNOWLEDGE, 0, True, ChannelId.for_timeslot(12), RestartIndicator(0))
    assert s.of(ChannelRestarted) == [ChannelRestarted(12, "local")] and not s.q.blocked


def test_t316_resends_n316_times_then_gives_up():
    s = Stack("user")
    s.q.restart()
    assert s.sent()[0].get(RestartIndicator).restart_class == 7
    s.clock.advance(119.9)
    assert s.sent() == []
    s.clock.advance(0.1)
    assert s.kinds() == [MT.RESTART]
    s.clock.advance(120)
    assert s.kinds() == [MT.RESTART]
    s.clock.advance(120)
    assert s.sent() == [] and s.of(RestartFailed) == [RestartFailed(None)]
    assert not s.q.blocked and not s.q.restarts


def test_far_end_restart_of_the_interface_clears_all_and_is_acknowledged():
    s = Stack("user")
    incoming(s, ts=1, ref=1)
    incoming(s, ts=2, ref=2)
    s.sent()
    s.rx(MT.RESTART, 0, False, RestartIndicator(7))
    [ack] = s.sent()
    assert ack.mtype == MT.RESTART_ACKNOWLEDGE and ack.flag and ack.get(RestartIndicator).restart_class == 7
    assert len(s.of(Released)) == 2 and not s.q.calls
    assert s.of(ChannelRestarted) == [ChannelRestarted(None, "remote")]


def test_far_end_restart_of_a_channel_that_does_not_exist_gets_status_82():
    s = Stack("user")
    s.rx(MT.RESTART, 0, False, ChannelId.for_timeslot(16), RestartIndicator(0))
    [status] = s.sent()
    assert (status.mtype, status.get(Cause).value, status.get(CallState).value) == (MT.STATUS, 82, 0)


def test_global_call_reference_status_enquiry_and_other_messages():
    s = Stack("user")
    s.rx(MT.STATUS_ENQUIRY, 0, False)
    s.rx(MT.CONNECT, 0, False)
    assert [(m.mtype, m.get(Cause).value) for m in s.sent()] == [(MT.STATUS, 30), (MT.STATUS, 81)]


def test_restart_table_rows_and_states():
    assert {st for (st, _) in RESTART_TABLE} == set(RestartState)
    assert RESTART_TABLE[(RestartState.REST1, "T316 again")][0] is RestartState.REST0


def test_timer_table_lines_and_defaults():
    assert {t.name for t in TIMERS} >= {"T200", "N200", "T203", "T301", "T302", "T303", "T304",
                                        "T305", "T308", "T310", "T313", "T316", "N316"}
    for t in TIMERS:
        assert t.lo <= t.value <= t.hi and t.unit in ("s", "count") and t.text
    assert (TIMERS["T200"], TIMERS["N200"], TIMERS["T203"], TIMERS["T303"]) == (1.0, 3, 10.0, 4.0)


def test_timer_overrides_are_validated_and_named():
    ts = TIMERS.with_overrides({"T303": 6}, key_prefix="isdn.")
    assert ts["T303"] == 6.0 and ts["N200"] == 3 and TIMERS["T303"] == 4.0
    with pytest.raises(ConfigError, match="isdn.T200: expected a number 0.1-10") as info:
        TIMERS.with_overrides({"T200": 0.01}, key_prefix="isdn.")
    assert info.value.key == "isdn.T200"
    with pytest.raises(ConfigError, match="unknown timer isdn.T999"):
        TIMERS.with_overrides({"T999": 1}, key_prefix="isdn.")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=8))
def test_random_messages_never_escape_the_stack(payloads):
    s = Stack("user")
    for p in payloads:
        s.q.dl_data(b"\x08\x02" + p)
        s.q.dl_data(p)
    assert s.q.counters["internal_errors"] == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(min_size=0, max_size=12), max_size=12))
def test_random_frames_never_escape_the_link(frames):
    clock = ManualClock()
    link = Q921Link("network", clock, lambda b: None)
    events: list[object] = []
    q = Q931("network", link, clock, events.append)
    q.start()
    for f in frames:
        link.receive(f)
        clock.advance(0.5)
    assert q.counters["internal_errors"] == 0
