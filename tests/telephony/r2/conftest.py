"""R2 test fixtures: a transcript shown on failure, our stack on the simulated card's
timeslot door, and libopenr2 as the far end in lock-step."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from acd_core.clock import ManualClock
from drivers.sim.timeslot_door import TimeslotDoor
from firmware.telephony.r2 import R2Event, R2Span, Transcript, variant
from tests.support.openr2_harness import Lockstep, PeerProcess, build_shim, library

# libopenr2's CN calling side answers A-1 with the next address digit even after
# the category, where China No.1 wants the calling number (docs/r2.md#libopenr2s-cn-calling-side).
# Its advanced configuration moves the calling number to its group C so that the
# tones on the wire are the CN ones; used for the peer's calling side only.
CN_CALLING_REMAP = """\
mf_ga_tones.request_category=X
mf_ga_tones.request_category_and_change_to_gc=6
mf_gc_tones.request_next_ani_digit=1
mf_gc_tones.request_change_to_g2=3
"""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    transcript = getattr(item, "r2_transcript", None)
    if report.when == "call" and report.failed and transcript is not None:
        report.sections.append(("R2 line transcript (ABCD changes, MF tones, states, events)",
                                transcript.format()))


@pytest.fixture
def transcript(request: pytest.FixtureRequest) -> Transcript:
    t = Transcript()
    request.node.r2_transcript = t
    return t


@pytest.fixture(scope="session")
def openr2_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    try:
        lib = library()
    except FileNotFoundError as exc:
        pytest.fail(str(exc))
    return lib, build_shim(tmp_path_factory.mktemp("shim"))


@dataclass
class R2Line:
    """Our span on the door, libopenr2 on the far end of ``timeslots``."""

    clock: ManualClock
    span: R2Span
    door: TimeslotDoor
    peer: PeerProcess
    step: Lockstep
    events: list[R2Event]
    transcript: Transcript
    pattern: str
    make_peer: Callable[..., PeerProcess]

    def of(self, kind: type, ts: int | None = None) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind) and (ts is None or e.ts == ts)]

    def wait(self, kind: type, ts: int, seconds: float = 10.0) -> Any:
        self.step.until(lambda: bool(self.of(kind, ts)), seconds, f"{kind.__name__} on ts {ts}")
        return self.of(kind, ts)[-1]

    def new_peer(self, **kw: Any) -> PeerProcess:
        """Replace the peer process (the old one must be gone)."""
        self.peer = self.make_peer(**kw)
        self.step.peer = self.peer
        self.step._peer_seen = 0
        return self.peer


@pytest.fixture
def r2line(tmp_path_factory: pytest.TempPathFactory, openr2_files: tuple[Path, Path],
           transcript: Transcript) -> Iterator[Callable[..., R2Line]]:
    made: list[R2Line] = []
    peers: list[PeerProcess] = []

    def make(name: str, timeslots: tuple[int, ...] = (1,), max_dnis: int = 3, max_ani: int = 20,
             peer_max_dnis: int = 3, peer_max_ani: int = 20, peer_calls: bool = False,
             **span_kw: Any) -> R2Line:
        """``peer_calls``: the peer is the calling side (CN: with the remap)."""
        lib, shim = openr2_files
        work = tmp_path_factory.mktemp("r2")
        pattern = str(work / "e1-ts{ts}.sock")
        v = variant(name)
        clock = ManualClock()
        events: list[R2Event] = []
        door = TimeslotDoor(clock, pattern, timeslots=timeslots, idle_abcd=v.abcd("idle"),
                            cas_debounce=v.timers["line_recognition"])
        span = R2Span(clock, v, door, events.append, timeslots=timeslots, max_dnis=max_dnis,
                      max_ani=max_ani, transcript=transcript, **span_kw)
        door.handler = span
        door.start()
        advanced = ""
        if name == "CN" and peer_calls:
            (work / "cn-calling.conf").write_text(CN_CALLING_REMAP)
            advanced = str(work / "cn-calling.conf")
        count = [0]

        def make_peer(**kw: Any) -> PeerProcess:
            count[0] += 1
            opts = dict(max_ani=peer_max_ani, max_dnis=peer_max_dnis, advanced=advanced)
            opts.update(kw)
            peer = PeerProcess(lib, shim, pattern, list(timeslots), name,
                               work / f"peer{count[0]}.log", **opts)
            peers.append(peer)
            return peer

        peer = make_peer()
        line = R2Line(clock, span, door, peer, Lockstep(clock, door, peer, transcript), events,
                      transcript, pattern, make_peer)
        made.append(line)
        line.step.step(6)           # connect, exchange idle
        return line

    yield make
    for peer in peers:
        peer.close()
    for line in made:
        line.door.close()
