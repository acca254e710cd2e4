"""R2 line signalling through the framer's TS16 CAS registers (PEF2256 register
simulator, the simulated exchange as the far end): our ``R2Span`` on
``CardCasLine`` reads the far end's ABCD bits from RS1-16 (ISR0.CASC) with the
recognition time, and its bits reach the exchange through XS1-16. The exchange
side is set and read bit by bit, so each step is checked on the wire as a carrier's
test set would: seize / seize acknowledge / clear forward / idle, a line hit,
blocking both ways, an outgoing seizure, layer 1 lost and back."""
from __future__ import annotations

import pytest

from firmware.telephony.r2 import State
from firmware.telephony.r2.events import (Blocked, ClearedForward, LineFailure, LineRestored,
                                          Released, Seized, Unblocked)
from tests.telephony.r2.card_path import CardPath


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
