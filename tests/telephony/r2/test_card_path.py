"""R2 line signalling through the framer's TS16 CAS registers (PEF2256 register
simulator, the simulated exchange as the far end): our ``R2Span`` on
``CardCasLine`` reads the far end's ABCD bits from RS1-16 (ISR0.CASC) with the
recognition time, and its bits reach the exchange through XS1-16. The exchange
side is set and read bit by bit, so each step is checked on the wire as a carrier's
test set would: seize / seize acknowledge / clear forward / idle, a line hit,
blocking both ways, an outgoing seizure, layer 1 lost and back."""
from __future__ import annotations

import pytest

from drivers.sim.timeslot_door import TimeslotDoor
from firmware.telephony.r2 import State
from firmware.telephony.r2.events import (Blocked, ClearedForward, LineFailure, LineRestored,
                                          Refused, Released, Seized, Unblocked)
from tests.support.openr2_harness import Lockstep, PeerProcess
from tests.telephony.r2.card_path import CardPath, ExchangeBridge
from tests.telephony.r2.conftest import CN_CALLING_REMAP
from tests.telephony.r2.test_libopenr2 import ANI, DNIS, incoming, released, talk


@pytest.fixture
def card_path(transcript):  # type: ignore[no-untyped-def]
    made: list[CardPath] = []

    def make(name: str, **kw):  # type: ignore[no-untyped-def]
        made.append(CardPath(name, transcript=transcript, **kw))
        return made[-1]
    yield make
    for p in made:
        p.close()


def up(p: CardPath) -> None:
    """Layer 1 comes up (framing found), then every timeslot is idle both ways."""
    p.until(lambda: p.line.up, 1.0, "layer 1 up")
    p.until(lambda: all(c.state is State.IDLE and c.rx_ab == 0b10
                        for c in p.span.circuits.values()), 0.2, "idle both ways")


@pytest.mark.parametrize("name", ["ITU", "CN"])
def test_seize_ack_clear_forward_idle_through_the_registers(card_path, name: str) -> None:
    p = card_path(name)
    assert [p.far_sees(ts) for ts in (1, 2, 17)] == [0xF] * 3     # the framer's reset: 1111
    up(p)
    idle = p.variant.abcd("idle")
    assert [p.far_sees(ts) for ts in (1, 2, 17)] == [idle] * 3     # XS: idle once up
    p.far_sends(17, "seize")                                       # channel 16: TS17
    took = p.until(lambda: p.far_sees(17) == p.variant.abcd("seize_ack"), 0.2, "seize ack")
    assert 0.020 <= took <= 0.030, took    # the recognition time, plus a multiframe or so
    assert [e.direction for e in p.of(Seized, 17)] == ["in"]
    assert p.span.state(17) is State.IN_SEIZED
    assert p.far_sees(1) == idle and p.far_sees(2) == idle         # the others unchanged
    p.far_sends(17, "clear_forward")
    p.until(lambda: p.of(Released, 17), 0.2, "released")
    assert len(p.of(ClearedForward, 17)) == 1
    assert p.of(Released, 17)[0].summary.cleared_by == "remote"
    p.until(lambda: p.far_sees(17) == idle, 0.2, "idle again")
    assert p.span.state(17) is State.IDLE


def test_a_line_hit_shorter_than_the_recognition_time_is_no_signal(card_path) -> None:
    p = card_path("ITU")
    up(p)
    p.far_sends(2, "seize")
    p.run(0.008)                                # 8 ms: a hit, not a seizure
    p.far_sends(2, "idle")
    p.run(0.100)
    assert p.span.state(2) is State.IDLE and not p.of(Seized, 2)
    assert p.far_sees(2) == p.variant.abcd("idle")
    assert p.line.line_hits >= 1 and p.line.cas_changes >= 2


def test_blocking_both_ways_through_the_registers(card_path) -> None:
    p = card_path("ITU")
    up(p)
    p.span.block(1)                                    # ours: the far end sees 1101
    p.until(lambda: p.far_sees(1) == p.variant.abcd("blocked"), 0.1, "blocked sent")
    assert p.span.state(1) is State.BLOCKED_LOCAL
    p.span.unblock(1)
    p.until(lambda: p.far_sees(1) == p.variant.abcd("idle"), 0.1, "idle sent")
    p.far_sends(2, "blocked")                          # theirs: no call goes out on it
    p.until(lambda: p.of(Blocked, 2), 0.2, "blocked by the far end")
    assert p.span.state(2) is State.BLOCKED_REMOTE
    assert p.span.place_call("100", "5551234") == 17   # hunts past the blocked timeslot
    p.far_sends(2, "idle")
    p.until(lambda: p.of(Unblocked, 2), 0.2, "unblocked")
    assert p.span.state(2) is State.IDLE


def test_outgoing_seizure_is_acknowledged_and_cleared_forward(card_path) -> None:
    p = card_path("ITU", timeslots=(1,))
    up(p)
    assert p.span.place_call("100", "5551234") == 1
    p.until(lambda: p.far_sees(1) == p.variant.abcd("seize"), 0.1, "seize sent")
    p.far_sends(1, "seize_ack")
    p.until(lambda: p.span.state(1) is State.OUT_ADDRESS, 0.2, "seize acknowledged")
    p.span.hangup(1)
    p.until(lambda: p.far_sees(1) == p.variant.abcd("clear_forward"), 0.1, "clear forward")
    p.far_sends(1, "idle")
    p.until(lambda: p.span.state(1) is State.IDLE, 0.5, "idle")


def test_layer_1_lost_fails_the_calls_and_comes_back(card_path) -> None:
    p = card_path("ITU", timeslots=(1, 2))
    up(p)
    p.far_sends(1, "seize")
    p.until(lambda: p.span.state(1) is State.IN_SEIZED, 0.2, "seized")
    p.cable.unplug()
    p.until(lambda: not p.line.up, 3.0, "the alarm")     # red after DAHDI's 2.5 s
    assert {e.ts for e in p.of(LineFailure)} == {1, 2}
    assert p.span.state(1) is State.OUT_OF_SERVICE and len(p.of(Released, 1)) == 1
    p.far_sends(1, "idle")
    p.cable.plug()
    p.until(lambda: p.line.up, 8.0, "layer 1 up again (after DAHDI's 5 s of recovery)")
    p.until(lambda: all(c.state is State.IDLE for c in p.span.circuits.values()), 0.2, "idle")
    assert [e.ts for e in p.of(LineRestored)] == [1, 2, 1, 2]


def test_the_framer_gone_puts_the_line_out_of_service_until_it_is_back(card_path) -> None:
    """NOTOPEN (the framer stops answering on SPI): every timeslot out of service; the
    reseated framer is brought up again and the line with it."""
    p = card_path("ITU", timeslots=(1,))
    up(p)
    assert p.board.sim is not None
    spi = p.board.sim.spi_e1
    chip, spi.target = spi.target, None
    p.until(lambda: not p.line.up, 2.0, "the line down")
    assert [e.reason for e in p.of(LineFailure, 1)] and p.span.state(1) is State.OUT_OF_SERVICE
    spi.target = chip
    p.until(lambda: p.line.up, 10.0, "the line up again")
    p.until(lambda: p.span.state(1) is State.IDLE, 0.2, "idle")


# ---------------------------------------------------------------- a whole call, libopenr2 far end
class CardCall:
    """Our span on the card path; libopenr2 as the exchange's R2 stack (``ExchangeBridge``),
    both in lock-step on the box's manual clock."""

    def __init__(self, path: CardPath, door: TimeslotDoor, peer: PeerProcess,
                 step: Lockstep) -> None:
        self.path, self.door, self.peer, self.step = path, door, peer, step
        self.span = path.span

    def of(self, kind: type, ts: int | None = None) -> list:  # type: ignore[type-arg]
        return self.path.of(kind, ts)


@pytest.fixture
def card_call(tmp_path_factory, openr2_files, transcript):  # type: ignore[no-untyped-def]
    made: list[tuple[CardPath, TimeslotDoor, PeerProcess]] = []

    def make(name: str, peer_calls: bool) -> CardCall:
        lib, shim = openr2_files
        work = tmp_path_factory.mktemp("r2card")
        pattern = str(work / "x-ts{ts}.sock")
        path = CardPath(name, timeslots=(1,), transcript=transcript, max_dnis=3)
        v = path.variant
        door = TimeslotDoor(path.clock, pattern, timeslots=(1,), idle_abcd=v.abcd("idle"),
                            cas_debounce=0.0)
        ExchangeBridge(path.exchange, path.cable, door, (1,))
        door.start()
        advanced = ""
        if name == "CN" and peer_calls:
            (work / "cn-calling.conf").write_text(CN_CALLING_REMAP)
            advanced = str(work / "cn-calling.conf")
        peer = PeerProcess(lib, shim, pattern, [1], name, work / "peer.log", max_dnis=3,
                           advanced=advanced)
        made.append((path, door, peer))
        call = CardCall(path, door, peer, Lockstep(path.clock, door, peer, transcript))
        call.step.until(lambda: path.line.up and path.span.state(1) is State.IDLE
                        and path.span.circuit(1).rx_ab == 0b10, 3.0, "layer 1 up, idle")
        return call

    yield make
    for path, door, peer in made:
        peer.close()
        door.close()
        path.close()


@pytest.mark.parametrize("name", ["ITU", "CN"])
def test_a_call_from_libopenr2_through_the_framer_and_the_tdm_path(card_call, name: str) -> None:
    """Seize, MF (DNIS, category, ANI) over the timeslot's audio through the framer's
    system interface, group B, answer, speech both ways, clear forward."""
    line = card_call(name, peer_calls=True)
    hits = line.path.line.line_hits         # the peer's first frames, before its idle bits
    call = incoming(line)
    assert (call.dnis, call.ani, call.category) == (DNIS, ANI, "national_subscriber")
    line.span.accept(1, "free_charge")
    assert line.step.peer_event("call_accepted", 1)["mode"] == "charge"
    line.span.answer(1)
    line.step.peer_event("call_answered", 1)
    talk(line, 1, ours_hz=697.0, theirs_hz=1000.0)
    assert line.peer.command("disconnect", ts=1)["ok"]
    summary = released(line).summary
    assert (summary.cause, summary.cleared_by, summary.group_b) == \
        ("normal", "remote", "free_charge")
    line.step.peer_event("call_end", 1)
    assert line.span.state(1) is State.IDLE
    assert not line.peer.find("protocol_error")
    cas = line.path.line
    assert cas.chunks_in > 0 and cas.chunks_dropped == 0 and cas.line_hits == hits, \
        cas.describe()


def test_a_call_to_libopenr2_through_the_framer_refused_busy(card_call) -> None:
    """Our calling side through the card: libopenr2 hears DNIS, ANI and category, then
    refuses busy in group B; the line returns to idle."""
    line = card_call("ITU", peer_calls=False)
    assert line.span.place_call(DNIS, ANI, ts=1) == 1
    offered = line.step.peer_event("call_offered", 1)
    assert (offered["dnis"], offered["ani"], offered["category"]) == \
        (DNIS, ANI, "national_subscriber")
    assert line.peer.command("disconnect", ts=1, cause="busy")["ok"]
    line.step.until(lambda: bool(line.of(Refused, 1)), 10, "refused")
    assert line.of(Refused, 1)[0].reason == "busy"
    line.step.until(lambda: line.span.state(1) is State.IDLE, 5, "idle")
    assert not line.peer.find("protocol_error")
