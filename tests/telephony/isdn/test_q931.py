"""Q.931 procedures on a ManualClock against a scripted far end: call states, timers,
Q.931 5.8 error handling, glare, overlap receiving, link loss."""
from __future__ import annotations

import logging
from typing import Any

import pytest

from acd_core.errors import IllegalTransition
from firmware.telephony.isdn import (
    Alerting, Connected, DigitsReceived, Disconnected, IncomingCall, IsdnError, LinkDown, LinkUp,
    NoChannelAvailable, Proceeding, Progress, Released,
)
from firmware.telephony.isdn.ie import (
    ITC_UNRESTRICTED_DIGITAL, SENDING_COMPLETE, BearerCapability, CalledNumber, CallingNumber,
    CallState, Cause, ChannelId, ProgressIndicator,
)
from firmware.telephony.isdn.messages import MT
from firmware.telephony.isdn.q931_states import NETWORK_TABLE, USER_TABLE, State
from tests.telephony.isdn.scripted import Stack, incoming


# ------------------------------------------------------------------ tables
@pytest.mark.parametrize("table,prefix", [(USER_TABLE, "U"), (NETWORK_TABLE, "N")])
def test_every_call_state_has_rows_and_the_shared_rows(table, prefix):
    states = [s for s in State if s.name.startswith(prefix)]
    assert len(states) == 14
    for st in states:
        events = {ev for (s, ev) in table if s is st}
        assert events, f"{st} has no row"
        if st.number != 0:
            assert {"rx RELEASE", "rx RELEASE COMPLETE", "rx STATUS ENQUIRY", "rx unexpected",
                    "link lost", "restart", "hangup"} <= events, st
    for (st, _), row in table.items():
        assert row.next.name[0] == prefix == st.name[0]


def test_command_in_a_state_without_its_row_raises_with_call_reference():
    s = Stack()
    call = incoming(s)
    call.answer()
    s.rx(MT.CONNECT_ACKNOWLEDGE, 7, False)
    assert call.state is State.U10
    with pytest.raises(IllegalTransition, match="call 0x0007: progress is not allowed in U10") as e:
        call.progress()
    assert (e.value.call_ref, e.value.state, e.value.event) == (7, "U10", "progress")


def test_transition_logs_both_states_and_the_actions(caplog):
    s = Stack()
    with caplog.at_level(logging.INFO, logger="firmware.telephony.isdn.q931"):
        s.q.place_call("5550100", "4000")
        s.rx(MT.CALL_PROCEEDING, 1, True, ChannelId.for_timeslot(31))
    assert "call 0x0001: U0 -> U1 (place: send SETUP, T303 start)" in caplog.text
    assert "call 0x0001: U1 -> U3 (rx CALL PROCEEDING: T303 stop, adopt channel, T310 start" \
        in caplog.text


# ------------------------------------------------------------------ incoming
def test_incoming_call_user_side_proceeding_alerting_connect():
    s = Stack("user")
    call = incoming(s, ts=5)
    inc = s.of(IncomingCall)[0]
    assert (inc.channel_ts, inc.called.digits, inc.calling.digits) == (5, "4001", "5551234")
    assert call.state is State.U6
    call.proceeding()
    [proc] = s.sent()
    assert proc.mtype == MT.CALL_PROCEEDING and proc.flag and proc.call_ref == 7
    assert proc.get(ChannelId).timeslot == 5 and proc.get(ChannelId).exclusive
    call.alerting()
    [alert] = s.sent()
    assert alert.mtype == MT.ALERTING and alert.get(ChannelId) is None
    call.answer()
    assert s.kinds() == [MT.CONNECT] and call.state is State.U8
    s.rx(MT.CONNECT_ACKNOWLEDGE, 7, False)
    assert call.state is State.U10 and s.of(Connected)


def test_incoming_call_network_side_states():
    s = Stack("network")
    call = incoming(s)
    assert call.state is State.N1
    call.proceeding()
    assert call.state is State.N3
    call.alerting()
    assert call.state is State.N4
    call.answer()
    assert call.state is State.N10 and s.of(Connected)
    assert s.kinds() == [MT.CALL_PROCEEDING, MT.ALERTING, MT.CONNECT]
    s.rx(MT.CONNECT_ACKNOWLEDGE, 7, False)
    assert call.state is State.N10 and s.sent() == []


def test_t313_connect_not_acknowledged_clears_with_102_then_t305_t308():
    s = Stack("user")
    call = incoming(s)
    call.answer()
    s.sent()
    s.clock.advance(3.999)
    assert call.state is State.U8
    s.clock.advance(0.001)
    [disc] = s.sent()
    assert disc.mtype == MT.DISCONNECT and disc.get(Cause).value == 102
    assert call.state is State.U11
    s.clock.advance(30.0)
    assert s.kinds() == [MT.RELEASE] and call.state is State.U19
    s.clock.advance(4.0)
    assert s.kinds() == [MT.RELEASE]
    s.clock.advance(4.0)
    assert call.released and s.of(Released)[0].summary.cleared_by == "timer"
    assert s.of(Released)[0].cause == 102


def test_far_end_disconnect_is_released_by_us_at_once():
    s = Stack("user")
    call = incoming(s)
    call.answer()
    s.rx(MT.CONNECT_ACKNOWLEDGE, 7, False)
    s.sent()
    s.rx(MT.DISCONNECT, 7, False, Cause(17))
    assert s.of(Disconnected)[0].cause == 17
    assert s.kinds() == [MT.RELEASE] and call.state is State.U19
    s.rx(MT.RELEASE_COMPLETE, 7, False)
    rel = s.of(Released)[0]
    assert (rel.cause, rel.summary.cleared_by) == (17, "remote") and not s.q.busy


def test_reject_before_answering_is_release_complete_with_our_cause():
    s = Stack("network")
    call = incoming(s)
    call.hangup(21)
    [rc] = s.sent()
    assert rc.mtype == MT.RELEASE_COMPLETE and rc.get(Cause).value == 21
    rel = s.of(Released)[0]
    assert (rel.cause, rel.summary.cleared_by) == (21, "local") and call.released
    call.hangup()                                    # again: nothing happens


# ------------------------------------------------------------------ outgoing
def test_outgoing_call_user_side_with_t303_resend_then_clear():
    s = Stack("user")
    call = s.q.place_call("5550100", "4000")
    [setup] = s.sent()
    assert setup.mtype == MT.SETUP and not setup.flag and setup.sending_complete
    assert setup.get(ChannelId).timeslot == 31 and not setup.get(ChannelId).exclusive
    assert setup.get(CalledNumber).digits == "5550100"
    s.clock.advance(4.0)
    assert s.kinds() == [MT.SETUP]
    s.clock.advance(4.0)
    [rc] = s.sent()
    assert rc.mtype == MT.RELEASE_COMPLETE and rc.get(Cause).value == 102
    assert call.released and s.of(Released)[0].summary.cleared_by == "timer"


def test_outgoing_call_network_side_through_n9_n7_n8_to_n10():
    s = Stack("network")
    call = s.q.place_call("5550100", "4000")
    setup = s.sent()[0]
    assert setup.get(ChannelId).timeslot == 1 and setup.get(ChannelId).exclusive
    assert setup.get(CallingNumber).screening == 3
    s.rx(MT.CALL_PROCEEDING, 1, True, ChannelId.for_timeslot(1))
    assert call.state is State.N9 and s.of(Proceeding)
    s.rx(MT.ALERTING, 1, True)
    assert call.state is State.N7 and s.of(Alerting)
    s.rx(MT.CONNECT, 1, True)
    assert call.state is State.N10 and s.kinds() == [MT.CONNECT_ACKNOWLEDGE]
    assert s.of(Connected)[0].call.answered == 0.0


def test_t310_after_call_proceeding_and_t301_after_alerting():
    s = Stack("user")
    call = s.q.place_call("5550100", ts=3)
    s.rx(MT.CALL_PROCEEDING, 1, True, ChannelId.for_timeslot(3))
    s.sent()
    s.clock.advance(29.999)
    assert call.state is State.U3
    s.clock.advance(0.001)
    assert s.kinds() == [MT.DISCONNECT] and call.state is State.U11
    other = s.q.place_call("5550101", ts=4)
    s.rx(MT.ALERTING, 2, True, ChannelId.for_timeslot(4))
    s.sent()
    s.clock.advance(179.9)
    assert other.state is State.U4
    s.clock.advance(0.1)
    assert other.state is State.U11


def test_progress_stops_t310_and_is_reported():
    s = Stack("user")
    call = s.q.place_call("5550100", ts=3)
    s.rx(MT.CALL_PROCEEDING, 1, True, ChannelId.for_timeslot(3))
    s.rx(MT.PROGRESS, 1, True, ProgressIndicator(8))
    assert s.of(Progress)[0].description == 8
    s.clock.advance(60)
    assert call.state is State.U3


def test_first_answer_moves_a_preferred_channel_but_not_an_exclusive_one():
    s = Stack("user")
    pref = s.q.place_call("1", ts=3, exclusive=False)
    s.rx(MT.CALL_PROCEEDING, 1, True, ChannelId.for_timeslot(9))
    assert pref.ts == 9 and s.q.busy[9] is pref and 3 not in s.q.busy
    excl = s.q.place_call("2", ts=4)
    s.sent()
    s.rx(MT.CALL_PROCEEDING, 2, True, ChannelId.for_timeslot(10))
    [disc] = s.sent()
    assert disc.mtype == MT.DISCONNECT and disc.get(Cause).value == 6 and excl.ts == 4


def test_place_call_refuses_when_it_cannot():
    s = Stack("user")
    with pytest.raises(IsdnError, match="not a B-channel"):
        s.q.place_call("1", ts=16)
    s.q.place_call("1", ts=5)
    with pytest.raises(NoChannelAvailable, match="busy"):
        s.q.place_call("1", ts=5)
    s.q.dl_released(False)
    with pytest.raises(IsdnError, match="D-channel is down"):
        s.q.place_call("1")


# ------------------------------------------------------------------ glare
def test_glare_user_side_network_wins_and_our_call_reselects():
    s = Stack("user")
    ours = s.q.place_call("5550100", ts=5, exclusive=False)
    s.sent()
    s.setup(ts=5, ref=40)
    assert s.of(IncomingCall)[0].channel_ts == 5 and s.q.busy[5] is not ours
    assert ours.glare and ours.ts == 31
    s.rx(MT.CALL_PROCEEDING, 1, True, ChannelId.for_timeslot(31))
    assert ours.state is State.U3 and not ours.glare


def test_glare_user_side_answer_naming_the_lost_channel_clears_with_44():
    s = Stack("user")
    ours = s.q.place_call("5550100", ts=5)
    s.setup(ts=5, ref=40)
    s.sent()
    s.rx(MT.CALL_PROCEEDING, 1, True, ChannelId.for_timeslot(5))
    [disc] = s.sent()
    assert disc.mtype == MT.DISCONNECT and disc.get(Cause).value == 44
    assert ours.state is State.U11


def test_glare_network_side_refuses_exclusive_with_44_and_moves_preferred():
    s = Stack("network")
    ours = s.q.place_call("5550100", ts=5)
    s.sent()
    s.setup(ts=5, ref=40, exclusive=True)
    [rc] = s.sent()
    assert rc.mtype == MT.RELEASE_COMPLETE and rc.get(Cause).value == 44 and rc.call_ref == 40
    assert s.q.busy[5] is ours
    s.setup(ts=5, ref=41, exclusive=False)
    moved = s.of(IncomingCall)[0]
    assert moved.channel_ts == 1
    moved.call.proceeding()
    assert s.sent()[0].get(ChannelId).timeslot == 1


@pytest.mark.parametrize("cid,cause", [
    (ChannelId.for_timeslot(16), 82),
    (ChannelId((1, 2)), 6),
    (ChannelId((), selection=0, coding=None), 6),
])
def test_setup_asking_an_impossible_channel_is_refused(cid, cause):
    s = Stack("network")
    s.rx(MT.SETUP, 3, False, BearerCapability(), cid, CalledNumber("1"))
    [rc] = s.sent()
    assert (rc.mtype, rc.get(Cause).value) == (MT.RELEASE_COMPLETE, cause)


def test_setup_for_data_is_refused_with_65_and_all_busy_with_34():
    s = Stack("network")
    s.rx(MT.SETUP, 3, False, BearerCapability(ITC_UNRESTRICTED_DIGITAL), ChannelId.for_timeslot(1))
    assert s.sent()[0].get(Cause).value == 65
    for ts in s.q.free_channels():
        s.q.place_call("1", ts=ts)
    s.sent()
    s.rx(MT.SETUP, 4, False, BearerCapability(), ChannelId((1,), exclusive=False))
    assert s.sent()[0].get(Cause).value == 34


def test_user_side_setup_without_channel_identification_is_96():
    s = Stack("user")
    s.rx(MT.SETUP, 3, False, BearerCapability(), CalledNumber("1"))
    assert s.sent()[0].get(Cause).value == 96


# ------------------------------------------------------------------ Q.931 5.8
def test_unexpected_message_gets_status_101_with_our_state():
    s = Stack("user")
    call = incoming(s)
    call.proceeding()
    s.sent()
    s.rx(MT.CONNECT_ACKNOWLEDGE, 7, False)
    [status] = s.sent()
    assert status.mtype == MT.STATUS and status.get(Cause).value == 101
    assert status.get(CallState).value == 9 and call.state is State.U9


def test_unknown_call_reference_answers():
    s = Stack("user")
    s.rx(MT.RELEASE, 99, False)
    s.rx(MT.RELEASE_COMPLETE, 98, False)
    s.rx(MT.STATUS_ENQUIRY, 97, True)
    s.rx(MT.CONNECT, 96, True)
    s.rx(MT.SETUP, 95, True, BearerCapability(), ChannelId.for_timeslot(3))
    s.rx(MT.STATUS, 94, False, Cause(30), CallState(10))
    out = s.sent()
    assert [(m.mtype, m.call_ref, m.flag) for m in out] == [
        (MT.RELEASE_COMPLETE, 99, True), (MT.STATUS, 97, False),
        (MT.RELEASE_COMPLETE, 96, False), (MT.RELEASE_COMPLETE, 94, True)]
    assert [m.get(Cause).value for m in out] == [81, 30, 81, 101]
    assert out[1].get(CallState).value == 0


def test_status_enquiry_and_status_null():
    s = Stack("user")
    call = incoming(s)
    call.alerting()
    s.sent()
    s.rx(MT.STATUS_ENQUIRY, 7, False)
    [st] = s.sent()
    assert (st.get(Cause).value, st.get(CallState).value) == (30, 7)
    s.rx(MT.STATUS, 7, False, Cause(101), CallState(0))
    assert call.released and s.of(Released)[0].summary.cleared_by == "protocol"


def test_malformed_setup_is_refused_with_96_and_logged(caplog):
    s = Stack("network")
    with caplog.at_level(logging.WARNING):
        s.rx_raw("08020003051803a983877003803132")            # no bearer capability
    [rc] = s.sent()
    assert (rc.mtype, rc.call_ref, rc.flag, rc.get(Cause).value) == (MT.RELEASE_COMPLETE, 3, True, 96)
    assert "SETUP without its mandatory bearer capability" in caplog.text
    assert "field='bearer capability'" in caplog.text
    assert s.q.counters["decode_errors"] == 1 and not s.q.calls


def test_malformed_ie_on_a_call_gets_status_100_and_the_call_goes_on():
    s = Stack("user")
    call = s.q.place_call("1", ts=3)
    s.sent()
    s.rx_raw("0802800101" + "18 03 a9 83 03".replace(" ", ""))  # ALERTING, channel list not ended
    [status] = s.sent()
    assert (status.mtype, status.get(Cause).value, status.get(CallState).value) == \
        (MT.STATUS, 100, 1)
    assert call.state is State.U1 and s.q.counters["decode_errors"] == 1


@pytest.mark.parametrize("hexstr", ["090200030504038090a3", "08030000030504038090a3", "0802", ""])
def test_headerless_garbage_is_ignored(hexstr):
    s = Stack("user")
    s.rx_raw(hexstr)
    assert s.sent() == [] and s.q.counters["decode_errors"] == 1


def test_disconnect_with_a_broken_cause_still_clears():
    s = Stack("user")
    call = incoming(s)
    call.answer()
    s.rx(MT.CONNECT_ACKNOWLEDGE, 7, False)
    s.sent()
    s.rx_raw("080200074508 0180".replace(" ", ""))
    assert call.state is State.U19 and s.kinds() == [MT.RELEASE]


def test_unimplemented_message_type_gets_status_97():
    s = Stack("user")
    incoming(s)
    s.rx_raw("08020007" + "20")                             # USER INFORMATION
    s.rx_raw("08020007" + "33")                             # no such message type
    assert [m.get(Cause).value for m in s.sent()] == [97, 97]


def test_event_handler_failure_does_not_break_the_stack():
    s = Stack("user")

    def explode(event: Any) -> None:
        raise RuntimeError("flow bug")
    s.q.on_event = explode
    s.setup()
    assert s.q.counters["handler_errors"] == 1 and s.q.calls


# ------------------------------------------------------------------ overlap receiving
def test_overlap_receiving_t302_restarts_per_digit_then_completes():
    s = Stack("user", overlap_receiving=True)
    s.setup(complete=False, called="40")
    assert s.kinds() == [MT.SETUP_ACKNOWLEDGE] and not s.of(IncomingCall)
    s.clock.advance(10)
    s.rx(MT.INFORMATION, 7, False, CalledNumber("0"))
    s.clock.advance(14.999)
    assert not s.of(IncomingCall) and [d.digits for d in s.of(DigitsReceived)] == ["0"]
    s.clock.advance(0.001)
    inc = s.of(IncomingCall)[0]
    assert inc.called.digits == "400" and s.kinds() == [MT.CALL_PROCEEDING]
    assert inc.call.state is State.U9


def test_overlap_receiving_sending_complete_ends_it_at_once_network_side():
    s = Stack("network", overlap_receiving=True)
    s.setup(complete=False, called="")
    s.sent()
    s.rx(MT.INFORMATION, 7, False, CalledNumber("12"), SENDING_COMPLETE)
    assert s.of(IncomingCall)[0].called.digits == "12"
    assert s.of(IncomingCall)[0].call.state is State.N3


def test_overlap_receiving_no_digit_at_all_clears_with_28():
    s = Stack("user", overlap_receiving=True)
    s.setup(complete=False, called="")
    s.sent()
    s.clock.advance(15)
    [disc] = s.sent()
    assert disc.mtype == MT.DISCONNECT and disc.get(Cause).value == 28


# ------------------------------------------------------------------ link
def test_link_loss_clears_every_call_with_41_and_asks_for_the_link_again():
    s = Stack("user")
    a = incoming(s, ts=1, ref=1)
    a.answer()
    s.rx(MT.CONNECT_ACKNOWLEDGE, 1, False)
    s.q.place_call("2", ts=2)
    s.clock.advance(2.0)
    s.q.dl_released(False)
    rel = s.of(Released)
    assert sorted((r.summary.channel_ts, r.cause, r.summary.cleared_by) for r in rel) == \
        [(1, 41, "link"), (2, 41, "link")]
    assert rel[0].summary.ended == 2.0 and s.of(LinkDown)[0].reason == "data link lost"
    assert s.link.starts == 1 and not s.q.busy and not s.q.calls
    s.q.dl_established(False)
    assert len(s.of(LinkUp)) == 1


def test_data_link_reset_clears_calls_that_are_still_dialling():
    s = Stack("user", overlap_receiving=True)
    s.setup(complete=False, called="4")
    s.sent()
    s.q.dl_established(False)
    [disc] = s.sent()
    assert disc.mtype == MT.DISCONNECT and disc.get(Cause).value == 41


def test_a_late_answer_crossing_our_disconnect_is_ignored_not_answered():
    s = Stack("network")
    call = incoming(s)
    call.answer()
    call.hangup(16)
    s.sent()
    s.rx(MT.CONNECT_ACKNOWLEDGE, 7, False)
    assert s.sent() == [] and call.state is State.N12
