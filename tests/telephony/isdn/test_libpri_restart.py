"""RESTART of one B-channel and of the interface, T303 and link loss, glare, overlap
receiving — our stack against libpri, both roles, each capture checked by tshark."""
from __future__ import annotations

import pytest

from firmware.telephony.isdn import (
    ChannelRestarted, Connected, DigitsReceived, IncomingCall, LinkDown, LinkUp, Released,
)
from firmware.telephony.isdn.messages import MT
from tests.support.libpri import channel_ts
from tests.telephony.isdn.bench import tshark_check

ROLES = ["user", "network"]


def _active_call_from_libpri(b, ts: int):
    call = b.pri.call("4001", "5551234", channel=ts)
    inc = b.run_until("IncomingCall", lambda: [e for e in b.our(IncomingCall)
                                               if e.channel_ts == ts])[0]
    answers = len([e for e in b.pri.events if e.kind == "ANSWER"])
    inc.call.answer()
    b.run_until("libpri ANSWER", lambda: len([e for e in b.pri.events
                                              if e.kind == "ANSWER"]) > answers)
    b.run_for(0.05)                  # libpri's CONNECT ACKNOWLEDGE reaches us
    return call, inc.call


@pytest.mark.parametrize("role", ROLES)
def test_we_restart_one_channel_libpri_acknowledges(bench, role):
    b = bench(role)
    b.link_up()
    _, ours = _active_call_from_libpri(b, 12)
    b.q931.restart(12)
    assert 12 in b.q931.blocked and 12 not in b.q931.free_channels()
    rel = b.run_until("Released", lambda: b.our(Released))[0]
    assert rel.call is ours and (rel.cause, rel.summary.cleared_by) == (41, "restart")
    done = b.run_until("ChannelRestarted", lambda: b.our(ChannelRestarted))[0]
    assert (done.channel_ts, done.initiator) == (12, "local")
    assert channel_ts(b.libpri_event("RESTART").channel) == 12
    assert 12 in b.q931.free_channels()
    seen = tshark_check(b)
    assert MT.RESTART in seen["tx"] and MT.RESTART_ACKNOWLEDGE in seen["rx"]


@pytest.mark.parametrize("role", ROLES)
def test_libpri_restarts_one_channel_we_acknowledge(bench, role):
    b = bench(role)
    b.link_up()
    _, ours = _active_call_from_libpri(b, 20)
    b.pri.reset(20)
    done = b.run_until("ChannelRestarted", lambda: b.our(ChannelRestarted))[0]
    assert (done.channel_ts, done.initiator) == (20, "remote")
    rel = b.our(Released)[0]
    assert rel.call is ours and rel.summary.cleared_by == "restart"
    assert channel_ts(b.run_until("libpri RESTART_ACK",
                                  lambda: b.libpri_event("RESTART_ACK")).channel) == 20
    assert not b.q931.busy
    seen = tshark_check(b)
    assert MT.RESTART in seen["rx"] and MT.RESTART_ACKNOWLEDGE in seen["tx"]


@pytest.mark.parametrize("role", ROLES)
def test_we_restart_the_interface_libpri_acknowledges(bench, role):
    """Class 7 (all interfaces). libpri 1.6.0 cannot send this one itself: its
    pri_restart() is a no-op since its Q.921 rewrite (docs/isdn.md)."""
    b = bench(role)
    b.link_up()
    _active_call_from_libpri(b, 1)
    _active_call_from_libpri(b, 31)
    b.run_until("both calls active", lambda: len(b.our(Connected)) == 2)
    b.q931.restart()
    assert b.q931.free_channels() == []
    done = b.run_until("ChannelRestarted", lambda: b.our(ChannelRestarted))[0]
    assert (done.channel_ts, done.initiator) == (None, "local")
    assert sorted(r.summary.channel_ts for r in b.our(Released)) == [1, 31]
    assert {r.summary.cleared_by for r in b.our(Released)} == {"restart"}
    assert len(b.q931.free_channels()) == 30
    assert b.libpri_event("RESTART") is not None
    seen = tshark_check(b)
    assert seen["tx"][-1] == MT.RESTART and seen["rx"][-1] == MT.RESTART_ACKNOWLEDGE


@pytest.mark.parametrize("role", ROLES)
def test_t303_expiry_when_libpri_never_answers_our_setup(bench, role):
    """libpri passes a SETUP to its application and says nothing until the application
    does; ours never does. T303 (configured to 1 s) resends SETUP once, then we clear."""
    b = bench(role, timers={"T303": 1.0})
    b.link_up()
    call = b.q931.place_call("5550100", "4000", ts=4)
    rel = b.run_until("Released", lambda: b.our(Released), timeout=5)[0]
    assert rel.call is call and (rel.cause, rel.summary.cleared_by) == (102, "timer")
    assert b.libpri_event("RING") is not None
    b.run_until("libpri's call back to Null",
                lambda: any("enters state 0 (Null)" in line for line in b.pri.debug_lines))
    seen = tshark_check(b)
    assert seen["tx"] == [MT.SETUP, MT.SETUP, MT.RELEASE_COMPLETE]


@pytest.mark.parametrize("role", ROLES)
def test_link_loss_mid_call_clears_the_call_with_cause_41_and_the_link_comes_back(bench, role):
    """The line goes dead in an active call. Q.921 timers are configured short on both
    sides (T200 0.2 s, T203 1 s) so the loss is noticed within seconds."""
    b = bench(role, timers={"T200": 0.2, "T203": 1.0},
              libpri_timers={"T200": 200, "T203": 1000})
    b.link_up()
    _, ours = _active_call_from_libpri(b, 6)
    b.run_until("our Connected", lambda: b.our(Connected))
    b.drop = True
    rel = b.run_until("Released", lambda: b.our(Released), timeout=8)[0]
    assert rel.call is ours and (rel.cause, rel.summary.cleared_by) == (41, "link")
    assert rel.summary.answered is not None and rel.summary.ended >= rel.summary.answered
    assert b.our(LinkDown) and not b.q931.busy
    b.run_until("libpri DCHAN_DOWN", lambda: b.libpri_event("DCHAN_DOWN"), timeout=8)
    b.drop = False
    b.run_until("link back", lambda: len(b.our(LinkUp)) == 2, timeout=10)
    b.pri.call("4001", "5551234", channel=6)
    b.run_until("a new call after the outage", lambda: len(b.our(IncomingCall)) == 2)
    tshark_check(b, outage=True)


def test_glare_user_side_the_network_libpri_wins(bench):
    b = bench("user")
    b.link_up()
    ours = b.q931.place_call("5550100", "4000", ts=8, exclusive=False)
    b.pri.call("4001", "5551234", channel=8, exclusive=True)
    inc = b.run_until("IncomingCall", lambda: b.our(IncomingCall))[0]
    assert inc.channel_ts == 8
    assert ours.glare and ours.ts != 8
    b.run_until("libpri answers or refuses our call",
                lambda: b.libpri_event("RING") or b.our(Released))
    tshark_check(b)


def test_glare_network_side_we_win_and_refuse_libpri_with_44(bench):
    b = bench("network")
    b.link_up()
    ours = b.q931.place_call("5550100", "4000", ts=8)
    b.pri.call("4001", "5551234", channel=8, exclusive=True)
    hup = b.run_until("libpri refused", lambda: b.libpri_event("HANGUP"))
    assert hup.cause == 44
    released = b.our(Released)
    assert released and released[0].cause == 44 and released[0].call is not ours
    assert b.q931.busy.get(8) is ours
    tshark_check(b)


def test_glare_network_side_moves_a_preferred_request(bench):
    b = bench("network")
    b.link_up()
    ours = b.q931.place_call("5550100", "4000", ts=8)
    b.pri.call("4001", "5551234", channel=8, exclusive=False)
    inc = b.run_until("IncomingCall", lambda: b.our(IncomingCall))[0]
    assert inc.channel_ts != 8 and b.q931.busy[8] is ours
    inc.call.proceeding()
    proc = b.run_until("libpri PROCEEDING", lambda: b.libpri_event("PROCEEDING"))
    assert channel_ts(proc.channel) == inc.channel_ts
    tshark_check(b)


@pytest.mark.parametrize("role", ROLES)
def test_overlap_receiving_digits_from_libpri_until_the_number_is_complete(bench, role):
    b = bench(role, overlap_receiving=True, number_complete=lambda digits: len(digits) >= 4)
    b.pri.set_overlapdial(True)
    b.link_up()
    call = b.pri.call("40", "5551234", channel=3, complete=False)
    b.run_until("libpri SETUP_ACK", lambda: b.libpri_event("SETUP_ACK"))
    assert not b.our(IncomingCall)
    b.pri.information(call, "0")
    b.run_until("a digit", lambda: b.our(DigitsReceived))
    assert not b.our(IncomingCall), "three digits are not a number yet"
    b.pri.information(call, "1")
    inc = b.run_until("IncomingCall", lambda: b.our(IncomingCall))[0]
    assert inc.called.digits == "4001" and inc.channel_ts == 3
    assert [d.digits for d in b.our(DigitsReceived)] == ["0", "1"]
    b.run_until("libpri PROCEEDING", lambda: b.libpri_event("PROCEEDING"))
    inc.call.answer()
    b.run_until("libpri ANSWER", lambda: b.libpri_event("ANSWER"))
    seen = tshark_check(b)
    assert seen["tx"][:2] == [MT.SETUP_ACKNOWLEDGE, MT.CALL_PROCEEDING]
