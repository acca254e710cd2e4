"""Our R2 stack on the simulated card's timeslot door, libopenr2 1.3.3 as the far end.

libopenr2 runs in its own process (tests/support/openr2_peer.py) behind the
DAHDI shim and speaks the 164-octet timeslot packets to the door; both sides
run in lock-step on line time, so a call takes well under a second of wall
time. A failing test prints the merged transcript of both sides.
"""
from __future__ import annotations


import pytest

from acd_core.g711 import alaw_to_linear, linear_to_alaw
from firmware.telephony.r2 import (Accepted, Answered, Blocked, ClearedBack, ClearedForward,
                                   IncomingCall, LineFailure, LineRestored, NoFreeCircuit, Refused,
                                   Released, Seized, State, Unblocked, variant)
from tests.support.audio import pcm16, tone_share
from tests.support.signals import to_pcm, tones

ANI = "013800001111"
DNIS = "100"
VARIANTS = ("CN", "ITU")


def tone_frames(freq: float, count: int, level_dbm0: float = -10.0) -> list[bytes]:
    alaw = linear_to_alaw(to_pcm(tones([(freq, level_dbm0)], 160 * count)))
    return [alaw[i:i + 160] for i in range(0, len(alaw), 160)]


def share(frames: list[bytes], freq: float) -> float:
    pcm = alaw_to_linear(b"".join(frames))
    return tone_share(pcm16(pcm), 8000, freq)


def talk(line, ts: int, ours_hz: float, theirs_hz: float) -> None:
    """Both directions of the speech path: the peer's tone reaches our media
    hand-off, ours (sent through the hand-off) reaches the peer."""
    heard: list[bytes] = []
    media = line.span.media(ts)
    assert media.connected
    media.attach(heard.append)
    assert line.peer.command("tone", ts=ts, freq=theirs_hz, dbm0=-10)["ok"]
    for frame in tone_frames(ours_hz, 30):
        media.send(frame)
        line.step.step()
    media.attach(None)
    line.peer.command("stop_tone", ts=ts)
    assert share(heard[-20:], theirs_hz) > 0.9, "the peer's tone did not reach our media path"
    measured = line.peer.command("measure", ts=ts, freq=ours_hz, frames=20)
    assert measured["share"] > 0.9 and measured["dbm0"] == pytest.approx(-10, abs=1.5), measured


def incoming(line, ts: int = 1, dnis: str = DNIS, ani: str | None = ANI) -> IncomingCall:
    before = len(line.of(IncomingCall, ts))
    assert line.peer.command("make_call", ts=ts, ani=ani, dnis=dnis,
                             category="national_subscriber")["ok"]
    line.step.until(lambda: len(line.of(IncomingCall, ts)) > before, 10, "IncomingCall")
    return line.of(IncomingCall, ts)[-1]


def released(line, ts: int = 1, count: int = 1) -> Released:
    line.step.until(lambda: len(line.of(Released, ts)) >= count, 10, "Released")
    return line.of(Released, ts)[count - 1]


# ---------------------------------------------------------------- inbound
@pytest.mark.parametrize("name", VARIANTS)
def test_inbound_call_from_libopenr2_answered_talked_cleared_forward(r2line, name):
    line = r2line(name, peer_calls=True)
    call = incoming(line)
    assert (call.dnis, call.ani, call.category, call.ani_restricted) == \
        (DNIS, ANI, "national_subscriber", False)
    assert line.of(Seized, 1)[0].direction == "in"
    line.span.accept(1, "free_charge")
    accepted = line.step.peer_event("call_accepted", 1)
    assert accepted["mode"] == "charge"
    line.span.answer(1)
    line.step.peer_event("call_answered", 1)
    assert line.of(Answered, 1)
    talk(line, 1, ours_hz=697.0, theirs_hz=1000.0)
    assert line.peer.command("disconnect", ts=1)["ok"]
    summary = released(line).summary
    assert line.of(ClearedForward, 1)
    assert (summary.direction, summary.dnis, summary.ani, summary.category) == \
        ("in", DNIS, ANI, "national_subscriber")
    assert (summary.cause, summary.cleared_by, summary.group_b, summary.span, summary.ts) == \
        ("normal", "remote", "free_charge", 1, 1)
    assert summary.answered is not None and summary.seized < summary.answered < summary.ended
    line.step.peer_event("call_end", 1)
    assert line.span.state(1) is State.IDLE
    assert not line.peer.find("protocol_error")


@pytest.mark.parametrize("name", VARIANTS)
def test_inbound_refusals_unallocated_busy_congestion(r2line, name):
    line = r2line(name, peer_calls=True)
    for n, refusal in enumerate(("unallocated", "busy", "congestion"), start=1):
        incoming(line, dnis="999")
        line.span.refuse(1, refusal)
        disconnect = line.step.peer_event("call_disconnect", 1, cause=refusal)
        assert disconnect["cause"] == refusal
        summary = released(line, count=n).summary
        assert (summary.cause, summary.group_b, summary.dnis, summary.cleared_by) == \
            (refusal, refusal, "999", "local")
        line.step.until(lambda: len(line.peer.find("call_end", 1)) >= n, 2, "peer call end")
        assert line.span.state(1) is State.IDLE
    assert not line.peer.find("protocol_error")


def test_inbound_call_nobody_decides_gets_congestion(r2line):
    line = r2line("ITU", peer_calls=True)
    incoming(line)
    waited = line.step.until(lambda: bool(line.peer.find("call_disconnect", 1)), 10,
                             "refusal after the offer timer")
    assert line.peer.find("call_disconnect", 1)[0]["cause"] == "congestion"
    assert waited == pytest.approx(variant("ITU").timers["offer"], abs=0.2)
    assert released(line).summary.cleared_by == "timer"


@pytest.mark.parametrize("name", VARIANTS)
def test_clear_back_seen_by_libopenr2_and_timeslot_returns_to_idle(r2line, name):
    line = r2line(name, peer_calls=True)
    incoming(line)
    line.span.accept(1)
    line.span.answer(1)          # before the answer delay ran out: sent when it does
    line.step.peer_event("call_answered", 1)
    line.step.step(5)
    line.span.hangup(1)
    assert line.span.state(1) is State.IN_CLEAR_BACK
    disconnect = line.step.peer_event("call_disconnect", 1)
    assert disconnect["cause"] == "normal"
    assert any("CLEAR BACK" in e["text"] for e in line.peer.find("log", 1))
    summary = released(line).summary
    assert (summary.cause, summary.cleared_by) == ("normal", "local")
    line.step.peer_event("call_end", 1)
    assert line.span.state(1) is State.IDLE
    assert line.peer.command("state", ts=1)["r2"] == "Idle"


@pytest.mark.parametrize("name", VARIANTS)
def test_called_side_sequence_matches_the_variant(r2line, name):
    """The forward tones libopenr2 sends and our backward answers, tone by tone."""
    line = r2line(name, peer_calls=True)
    incoming(line)
    line.span.accept(1)
    line.step.peer_event("call_accepted", 1)
    v = variant(name)
    digits = [10 if d == "0" else int(d) for d in ANI]
    heard = [int(e.text.split()[0].split("-")[1]) for e in line.transcript.find("box", "MF rx", " on")]
    said = [int(e.text.split()[0].split("-")[1]) for e in line.transcript.find("box", "MF tx", " on")]
    cat, end = v.group_ii["national_subscriber"], v.group_i["end_of_ani"]
    assert heard == [1, cat, *digits, end, 10, 10, cat]
    a = v.group_a
    assert said == [a["category"], *[a["next_ani"]] * (len(ANI) + 1), a["next_dnis"],
                    a["next_dnis"], a["change_to_b"], v.group_b["free_charge"]]


# ---------------------------------------------------------------- outbound
@pytest.mark.parametrize("name", VARIANTS)
def test_outbound_call_to_libopenr2_number_category_answer_clear(r2line, name):
    line = r2line(name)
    ts = line.span.place_call(DNIS, ANI, "national_subscriber")
    assert ts == 1 and line.of(Seized, 1)[0].direction == "out"
    offered = line.step.peer_event("call_offered", 1)
    assert (offered["dnis"], offered["ani"], offered["category"]) == \
        (DNIS, ANI, "national_subscriber")
    assert line.peer.command("accept", ts=1, mode="charge")["ok"]
    assert line.wait(Accepted, 1).group_b == "free_charge"
    line.step.peer_event("call_accepted", 1)
    assert line.peer.command("answer", ts=1)["ok"]
    line.wait(Answered, 1)
    talk(line, 1, ours_hz=1209.0, theirs_hz=852.0)
    line.span.hangup(1)
    assert line.step.peer_event("call_disconnect", 1)["cause"] == "normal"
    summary = released(line).summary
    assert (summary.direction, summary.dnis, summary.ani, summary.cause, summary.cleared_by) == \
        ("out", DNIS, ANI, "normal", "local")
    line.step.peer_event("call_end", 1)
    assert line.span.state(1) is State.IDLE
    assert not line.peer.find("protocol_error")


@pytest.mark.parametrize("name", VARIANTS)
def test_calling_side_sends_the_calling_number_as_the_variant_asks(r2line, name):
    """CN: the calling number digit by digit on A-1 after the category (KA), then
    I-15, then the rest of the address on A-1; ITU: the same on A-5."""
    line = r2line(name)
    line.span.place_call(DNIS, ANI, "national_subscriber")
    line.step.peer_event("call_offered", 1)
    v = variant(name)
    said = [int(e.text.split()[0].split("-")[1]) for e in line.transcript.find("box", "MF tx", " on")]
    heard = [int(e.text.split()[0].split("-")[1]) for e in line.transcript.find("box", "MF rx", " on")]
    digits = [10 if d == "0" else int(d) for d in ANI]
    cat = v.group_ii["national_subscriber"]
    assert said == [1, cat, *digits, v.group_i["end_of_ani"], 10, 10, cat]
    a = v.group_a
    assert heard == [a["category"], *[a["next_ani"]] * (len(ANI) + 1), a["next_dnis"],
                     a["next_dnis"], a["change_to_b"]]
    digits_seen = "".join(e["digit"] for e in line.peer.find("ani_digit", 1))
    assert digits_seen == ANI


@pytest.mark.parametrize("name", VARIANTS)
def test_outbound_call_cleared_back_by_libopenr2(r2line, name):
    line = r2line(name)
    line.span.place_call(DNIS, ANI)
    line.step.peer_event("call_offered", 1)
    line.peer.command("accept", ts=1)
    line.step.peer_event("call_accepted", 1)
    line.peer.command("answer", ts=1)
    line.wait(Answered, 1)
    line.step.step(3)
    line.peer.command("disconnect", ts=1)
    line.wait(ClearedBack, 1)
    summary = released(line).summary
    assert (summary.cause, summary.cleared_by) == ("normal", "remote")
    line.step.peer_event("call_end", 1)
    assert line.span.state(1) is State.IDLE


@pytest.mark.parametrize("name", VARIANTS)
def test_outbound_call_refused_busy_by_libopenr2(r2line, name):
    line = r2line(name)
    line.span.place_call(DNIS, ANI)
    line.step.peer_event("call_offered", 1)
    line.peer.command("disconnect", ts=1, cause="busy")
    assert line.wait(Refused, 1).reason == "busy"
    summary = released(line).summary
    assert (summary.cause, summary.cleared_by) == ("busy", "remote")
    assert line.span.state(1) is State.IDLE


# ---------------------------------------------------------------- blocking
@pytest.mark.parametrize("name", VARIANTS)
def test_blocking_both_ways(r2line, name):
    line = r2line(name)
    line.span.block(1)
    line.step.peer_event("line_blocked", 1)
    assert line.span.state(1) is State.BLOCKED_LOCAL
    line.span.unblock(1)
    idles = len(line.peer.find("line_idle", 1))
    line.step.until(lambda: len(line.peer.find("line_idle", 1)) > idles, 1, "peer sees idle")
    assert line.span.state(1) is State.IDLE
    line.peer.command("block", ts=1)
    line.wait(Blocked, 1)
    assert line.span.state(1) is State.BLOCKED_REMOTE
    line.peer.command("idle", ts=1)
    line.wait(Unblocked, 1)
    assert line.span.state(1) is State.IDLE


# ---------------------------------------------------------------- line failure
def test_peer_gone_mid_call_is_a_line_failure_and_blocks_until_it_returns(r2line):
    line = r2line("CN", peer_calls=True)
    incoming(line)
    line.span.accept(1)
    line.span.answer(1)
    line.step.peer_event("call_answered", 1)
    line.peer.close()
    line.step.step(2)
    assert "peer disconnected" in line.wait(LineFailure, 1).reason
    summary = released(line).summary
    assert (summary.cause, summary.cleared_by) == ("line_failure", "line")
    assert line.span.state(1) is State.OUT_OF_SERVICE
    with pytest.raises(NoFreeCircuit, match="no idle R2 timeslot"):
        line.span.place_call(DNIS, ANI)
    line.new_peer(advanced="")           # the far end comes back, as the called side now
    line.wait(LineRestored, 1)
    line.step.step(5)
    assert line.span.state(1) is State.IDLE
    assert line.span.place_call(DNIS, ANI) == 1
    line.step.peer_event("call_offered", 1)


# ---------------------------------------------------------------- CN specifics
def test_cn_called_side_against_unremapped_libopenr2_calling_side_fails_cleanly(r2line):
    """libopenr2's own CN calling side answers A-1 with address digits after the
    category: we wait for the calling number, time out, pulse congestion."""
    line = r2line("CN", peer_calls=False)
    assert line.peer.command("make_call", ts=1, ani=ANI, dnis=DNIS,
                             category="national_subscriber")["ok"]
    summary = released(line).summary
    assert (summary.cause, summary.ani) == ("mf_failure", "00")
    assert line.peer.find("call_disconnect", 1)[0]["cause"] == "congestion"
    assert not line.of(IncomingCall)


def test_cn_variable_length_address_ends_on_silence_with_pulsed_a3(r2line):
    """CN has no end-of-address tone: when the calling side has no more digits we
    wait mf_backward, then send A-3 as a pulse."""
    line = r2line("CN", peer_calls=True, max_dnis=6)
    call = incoming(line)
    assert call.dnis == DNIS
    pulses = [e for e in line.transcript.find("box", "MF tx", "A-3")]
    assert [p.text for p in pulses] == ["A-3 change_to_b on", "A-3 change_to_b off"]
    assert pulses[1].t - pulses[0].t == pytest.approx(variant("CN").timers["pulse"], abs=0.021)


# ---------------------------------------------------------------- other variants as data
@pytest.mark.parametrize("name", ("CO", "ID", "VE"))
def test_national_variants_in_and_out(r2line, name):
    line = r2line(name, peer_calls=True)
    call = incoming(line)
    assert (call.dnis, call.ani) == (DNIS, ANI)
    line.span.accept(1)
    line.step.peer_event("call_accepted", 1)
    line.peer.command("disconnect", ts=1)
    released(line)
    line.step.peer_event("call_end", 1)
    line.span.place_call(DNIS, ANI)
    offered = line.step.peer_event("call_offered", 1)
    assert (offered["dnis"], offered["ani"]) == (DNIS, ANI)
    line.peer.command("accept", ts=1)
    line.wait(Accepted, 1)
    line.span.hangup(1)
    released(line, count=2)
    assert not line.peer.find("protocol_error")
