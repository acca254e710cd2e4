"""Compelled MF steps read back from our side of a transcript.

A step, seen from the box: the first tone starts (``t_on``), the answer starts
(``t_ack``), the first tone stops (``t_off``), the answer stops (``t_end``). On
an outgoing call we send first (tx on, rx on, tx off, rx off), on an incoming
call the far end does (rx on, tx on, rx off, tx off). Times are when the box
decided (tx) or recognised (rx) a change, on its clock; what the box decides
goes out on its next 20 ms frame, and what it recognises is the far end's
answer to the frame it sent last.

- ``period``: one step's first tone to the next step's (the pace of signalling);
- ``far_end``: how long the far end took to react, each time it had to: to our
  tone (answer on, tone off) and to our tone's end (answer off, next tone).
"""
from __future__ import annotations

from dataclasses import dataclass
from statistics import mean

from firmware.telephony.r2.transcript import Transcript


@dataclass(frozen=True)
class Step:
    first: str
    answer: str
    t_on: float
    t_ack: float
    t_off: float
    t_end: float
    we_send_first: bool


def compelled_steps(transcript: Transcript, ts: int, we_send_first: bool) -> list[Step]:
    mf = [e for e in transcript.entries if e.who == "box" and e.ts == ts
          and e.kind in ("MF tx", "MF rx")]
    lead, follow = ("MF tx", "MF rx") if we_send_first else ("MF rx", "MF tx")
    steps: list[Step] = []
    i = 0
    while i < len(mf):
        e = mf[i]
        if not (e.kind == lead and e.text.endswith(" on")):
            i += 1
            continue
        found = {}
        j = i + 1
        for kind, suffix, name in ((follow, " on", "ack"), (lead, "off", "off"),
                                   (follow, "off", "end")):
            while j < len(mf) and not (mf[j].kind == kind and mf[j].text.endswith(suffix)):
                j += 1
            if j == len(mf):
                return steps
            found[name] = mf[j]
            j += 1
        steps.append(Step(e.text.rsplit(" ", 1)[0], found["ack"].text.rsplit(" ", 1)[0], e.t,
                          found["ack"].t, found["off"].t, found["end"].t, we_send_first))
        i = j
    return steps


def periods(steps: list[Step]) -> list[float]:
    return [b.t_on - a.t_on for a, b in zip(steps, steps[1:])]


def far_end_reactions(steps: list[Step]) -> list[float]:
    out: list[float] = []
    for n, s in enumerate(steps):
        if s.we_send_first:
            out += [s.t_ack - s.t_on, s.t_end - s.t_off]
        else:
            out.append(s.t_off - s.t_ack)
            if n + 1 < len(steps):
                out.append(steps[n + 1].t_on - s.t_end)
    return out


def summary(steps: list[Step]) -> str:
    p = [x * 1000 for x in periods(steps)]
    r = [x * 1000 for x in far_end_reactions(steps)]
    return (f"{len(steps)} steps, period min {min(p):.0f} / mean {mean(p):.0f} / max "
            f"{max(p):.0f} ms; far end reacts in min {min(r):.0f} / mean {mean(r):.0f} / max "
            f"{max(r):.0f} ms")
