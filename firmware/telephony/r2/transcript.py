"""A readable record of what happened on the line: ABCD changes, MF tones, states, events.

Each side of a test (our stack, the libopenr2 peer) writes lines with its own
clock time; :meth:`Transcript.format` merges them in time order, so a failing
interop test shows the exchange the way a line monitor would.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    t: float
    ts: int
    who: str
    kind: str
    text: str


class Transcript:
    def __init__(self, limit: int = 20_000) -> None:
        self.entries: list[Entry] = []
        self.limit = limit

    def add(self, t: float, ts: int, who: str, kind: str, text: str) -> None:
        if len(self.entries) < self.limit:
            self.entries.append(Entry(t, ts, who, kind, text))

    def format(self, kinds: tuple[str, ...] | None = None) -> str:
        rows = sorted(self.entries, key=lambda e: e.t)     # stable: same-time order kept
        return "\n".join(f"{e.t:9.3f} ts{e.ts:<2} {e.who:<8} {e.kind:<7} {e.text}"
                         for e in rows if kinds is None or e.kind in kinds)

    def find(self, who: str, kind: str, text: str) -> list[Entry]:
        return [e for e in self.entries if e.who == who and e.kind == kind and text in e.text]

    def clear(self) -> None:
        self.entries.clear()
