"""libpri as the far end: D-channel up, calls in and out, answer, reject, hang-up; both roles.

Each test runs our stack (user or network side) against libpri (the other
side) on one SOCK_SEQPACKET pair, in real time, and ends with tshark
decoding the capture of that D-channel: no malformed frame, and the Q.931
messages tshark names are the ones our stack logged.
"""
from __future__ import annotations

import pytest

from firmware.telephony.isdn import (
    Alerting, Connected, Disconnected, IncomingCall, Proceeding, Released,
)
from firmware.telephony.isdn.ie import PRES_RESTRICTED, RedirectingNumber
from firmware.telephony.isdn.messages import MT
from tests.support.libpri import (
    PRES_PROHIB_USER_NUMBER_NOT_SCREENED, PRI_NATIONAL_ISDN, channel_ts,
)
from tests.telephony.isdn.bench import tshark_check

ROLES = ["user", "network"]
SABME = 0x7F


def _control(frame: bytes) -> int:
    return frame[2]


@pytest.mark.parametrize("role", ROLES)
def test_libpri_brings_the_link_up_and_we_answer(bench, role):
    b = bench(role)
    b.link_up()
    ours = [f for out, f in b.wire.frames if out]
    assert _control(b.wire.frames[0][1]) == SABME and not b.wire.frames[0][0]
    assert all(_control(f) != SABME for f in ours), "we answered, we did not establish"
    assert b.link.established
    tshark_check(b)


@pytest.mark.parametrize("role", ROLES)
def test_we_bring_the_link_up_before_libpri_starts(bench, role):
    b = bench(role, start_libpri=False)
    b.q931.start()
    b.run_for(0.05)
    assert b.wire.frames and b.wire.frames[0] == (True, b.wire.frames[0][1])
    assert _control(b.wire.frames[0][1]) == SABME
    b.start_libpri()
    b.link_up()
    assert b.link.established
    tshark_check(b)


@pytest.mark.parametrize("role", ROLES)
def test_libpri_calls_us_we_answer_libpri_hangs_up(bench, role):
    b = bench(role)
    b.link_up()
    call = b.pri.call("4001", "5551234", channel=5)
    inc = b.run_until("IncomingCall", lambda: b.our(IncomingCall))[0]
    assert inc.channel_ts == 5 and inc.called.digits == "4001" and inc.calling.digits == "5551234"
    inc.call.proceeding()
    b.run_until("libpri PROCEEDING", lambda: b.libpri_event("PROCEEDING"))
    inc.call.alerting()
    b.run_until("libpri RINGING", lambda: b.libpri_event("RINGING"))
    inc.call.answer()
    assert channel_ts(b.run_until("libpri ANSWER", lambda: b.libpri_event("ANSWER")).channel) == 5
    b.run_until("our Connected", lambda: b.our(Connected))
    b.pri.hangup(call, 16)
    rel = b.run_until("Released", lambda: b.our(Released))[0]
    assert (rel.cause, rel.summary.cleared_by, rel.summary.channel_ts) == (16, "remote", 5)
    assert rel.summary.answered is not None and rel.summary.direction == "in"
    assert [e.cause for e in b.our(Disconnected)] == [16]
    b.run_until("libpri frees the call", lambda: b.libpri_event("HANGUP"))
    assert not b.q931.busy
    seen = tshark_check(b)
    assert seen["rx"][:1] == [MT.SETUP] and MT.CONNECT in seen["tx"]


@pytest.mark.parametrize("role", ROLES)
def test_we_call_libpri_it_answers_we_hang_up(bench, role):
    b = bench(role)
    b.link_up()
    call = b.q931.place_call("5550100", "4000", ts=9)
    ring = b.run_until("libpri RING", lambda: b.libpri_event("RING"))
    assert (ring.called, ring.calling, channel_ts(ring.channel)) == ("5550100", "4000", 9)
    b.pri.proceeding(ring.call, ring.channel)
    b.run_until("our Proceeding", lambda: b.our(Proceeding))
    b.pri.alerting(ring.call, ring.channel)
    b.run_until("our Alerting", lambda: b.our(Alerting))
    b.pri.answer(ring.call, ring.channel)
    b.run_until("our Connected", lambda: b.our(Connected))
    assert call.state.name.endswith("10")
    call.hangup(16)
    rel = b.run_until("Released", lambda: b.our(Released))[0]
    assert (rel.cause, rel.summary.cleared_by, rel.summary.direction) == (16, "local", "out")
    assert b.libpri_event("HANGUP_REQ").cause == 16
    tshark_check(b)


@pytest.mark.parametrize("role", ROLES)
def test_numbers_presentation_and_redirecting_reach_libpri(bench, role):
    b = bench(role)
    b.link_up()
    b.q931.place_call("0215550100", "4000", presentation=PRES_RESTRICTED,
                      redirecting=RedirectingNumber("4099", presentation=0, reason=0xF))
    ring = b.run_until("libpri RING", lambda: b.libpri_event("RING"))
    assert ring.called == "0215550100" and ring.calling == "4000"
    assert ring.calling_pres & 0x60 == 0x20, "libpri reads presentation restricted"
    assert ring.redirecting == "4099"
    tshark_check(b)


@pytest.mark.parametrize("role", ROLES)
def test_libpri_numbers_reach_us_with_type_plan_presentation(bench, role):
    b = bench(role)
    b.link_up()
    b.pri.call("4001", "215551234", channel=3, calling_plan=PRI_NATIONAL_ISDN,
               calling_pres=PRES_PROHIB_USER_NUMBER_NOT_SCREENED, redirecting="4444")
    inc = b.run_until("IncomingCall", lambda: b.our(IncomingCall))[0]
    assert (inc.calling.digits, inc.calling.ton, inc.calling.plan) == ("215551234", 2, 1)
    assert inc.calling.restricted
    assert inc.redirecting is not None and inc.redirecting.digits == "4444"
    assert inc.bearer.itc == 0 and inc.bearer.layer1 == 3
    inc.call.hangup(21)
    b.run_until("libpri HANGUP", lambda: b.libpri_event("HANGUP"))
    tshark_check(b)


@pytest.mark.parametrize("cause", [17, 21, 34])
@pytest.mark.parametrize("role", ROLES)
def test_we_reject_a_libpri_call_with_cause(bench, role, cause):
    b = bench(role)
    b.link_up()
    b.pri.call("4001", "5551234", channel=2)
    inc = b.run_until("IncomingCall", lambda: b.our(IncomingCall))[0]
    inc.call.hangup(cause)
    hup = b.run_until("libpri HANGUP", lambda: b.libpri_event("HANGUP"))
    assert hup.cause == cause
    rel = b.our(Released)[0]
    assert (rel.cause, rel.summary.cleared_by, rel.summary.answered) == (cause, "local", None)
    assert tshark_check(b)["tx"] == [MT.RELEASE_COMPLETE]


@pytest.mark.parametrize("role", ROLES)
def test_libpri_rejects_our_call_with_cause_34_release_complete(bench, role):
    b = bench(role)
    b.link_up()
    b.q931.place_call("5550100", "4000")
    ring = b.run_until("libpri RING", lambda: b.libpri_event("RING"))
    b.pri.hangup(ring.call, 34)
    rel = b.run_until("Released", lambda: b.our(Released))[0]
    assert (rel.cause, rel.summary.cleared_by) == (34, "remote")
    assert not b.q931.busy
    assert tshark_check(b)["rx"] == [MT.RELEASE_COMPLETE]


@pytest.mark.parametrize("cause", [17, 21])
@pytest.mark.parametrize("role", ROLES)
def test_libpri_rejects_our_call_with_cause_after_proceeding(bench, role, cause):
    """libpri sends nothing for a hang-up before it answered the SETUP with causes other
    than 1/34/44/82/88 (docs/isdn.md), so its application answers first, as chan_dahdi does."""
    b = bench(role)
    b.link_up()
    b.q931.place_call("5550100", "4000")
    ring = b.run_until("libpri RING", lambda: b.libpri_event("RING"))
    b.pri.proceeding(ring.call, ring.channel)
    b.pri.hangup(ring.call, cause)
    rel = b.run_until("Released", lambda: b.our(Released))[0]
    assert (rel.cause, rel.summary.cleared_by) == (cause, "remote")
    assert [d.cause for d in b.our(Disconnected)] == [cause]
    assert not b.q931.busy
    seen = tshark_check(b)
    assert seen["rx"] == [MT.CALL_PROCEEDING, MT.DISCONNECT, MT.RELEASE_COMPLETE]


@pytest.mark.parametrize("role", ROLES)
def test_libpri_rejects_after_proceeding_with_disconnect(bench, role):
    b = bench(role)
    b.link_up()
    b.q931.place_call("5550100", "4000")
    ring = b.run_until("libpri RING", lambda: b.libpri_event("RING"))
    b.pri.proceeding(ring.call, ring.channel)
    b.run_until("our Proceeding", lambda: b.our(Proceeding))
    b.pri.hangup(ring.call, 17)
    rel = b.run_until("Released", lambda: b.our(Released))[0]
    assert rel.cause == 17 and [d.cause for d in b.our(Disconnected)] == [17]
    seen = tshark_check(b)
    assert MT.DISCONNECT in seen["rx"] and MT.RELEASE in seen["tx"]


@pytest.mark.parametrize("role", ROLES)
def test_thirty_calls_fill_the_span_then_cause_34(bench, role):
    b = bench(role)
    b.link_up()
    for _ in range(30):
        b.q931.place_call("5550100", "4000")
    b.run_until("30 RINGs at libpri", lambda: len([e for e in b.pri.events
                                                    if e.kind == "RING"]) == 30, timeout=10)
    rings = [e for e in b.pri.events if e.kind == "RING"]
    assert sorted(channel_ts(e.channel) for e in rings) == list(range(1, 16)) + list(range(17, 32))
    assert b.q931.free_channels() == []
    from firmware.telephony.isdn import NoChannelAvailable
    with pytest.raises(NoChannelAvailable, match="no idle B-channel"):
        b.q931.place_call("5550100", "4000")
    tshark_check(b)
