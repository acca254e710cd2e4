"""Call-progress tones per country: one table the detector and the generator share.

Sources: dahdi-tools ``zonedata.c`` / Asterisk ``indications.conf.sample`` (the
frequencies and cadences, as summarised in
docs/reference/tones-and-callerid.md#call-progress-tones), ITU-T E.180
and its supplement 2 (levels, tolerances), ITU-T Q.35 / E.180 (special
information tone 950/1400/1800 Hz, 330 ms each, then 1 s silence) and BT SIN 350
(UK cadences). A zone is a row of this table; adding a country adds data, not code.

A tone is a list of steps ``(frequencies, milliseconds)``; an empty frequency
tuple is silence, and a single step of 0 ms is a continuous tone. Cyclic tones
repeat their steps; SIT is a one-shot sequence. Levels are per frequency, dBm0.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Tuple

Step = Tuple[Tuple[float, ...], int]

#: Kinds of tone the detector reports.
KINDS = ("dial", "ringback", "busy", "congestion", "sit")


@dataclass(frozen=True)
class ToneDef:
    kind: str
    steps: Tuple[Step, ...]
    level_dbm0: float = -13.0
    cyclic: bool = True

    @property
    def continuous(self) -> bool:
        return len(self.steps) == 1 and self.steps[0][1] == 0

    @property
    def frequencies(self) -> Tuple[float, ...]:
        seen: list = []
        for freqs, _ in self.steps:
            for f in freqs:
                if f not in seen:
                    seen.append(f)
        return tuple(seen)


def _on_off(freqs: Tuple[float, ...], *pattern: int) -> Tuple[Step, ...]:
    """(freqs, on), ((), off), (freqs, on), ... from alternating on/off milliseconds."""
    return tuple((freqs if i % 2 == 0 else (), ms) for i, ms in enumerate(pattern))


# Q.35 / E.180 SIT: three rising tones, 330 ms each, then 1 s of silence (E.180 §7).
_SIT = ToneDef("sit", (((950.0,), 330), ((1400.0,), 330), ((1800.0,), 330)), -24.0, cyclic=False)

ZONES: Dict[str, Dict[str, ToneDef]] = {
    # North America: Bellcore precise tones (zonedata.c "us").
    "us": {
        "dial": ToneDef("dial", (((350.0, 440.0), 0),), -13.0),
        "ringback": ToneDef("ringback", _on_off((440.0, 480.0), 2000, 4000), -19.0),
        "busy": ToneDef("busy", _on_off((480.0, 620.0), 500, 500), -24.0),
        "congestion": ToneDef("congestion", _on_off((480.0, 620.0), 250, 250), -24.0),
        "sit": _SIT,
    },
    # United Kingdom: BT SIN 350 (zonedata.c "uk").
    "uk": {
        "dial": ToneDef("dial", (((350.0, 440.0), 0),), -22.0),
        "ringback": ToneDef("ringback", _on_off((400.0, 450.0), 400, 200, 400, 2000), -19.0),
        "busy": ToneDef("busy", _on_off((400.0,), 375, 375), -19.0),
        "congestion": ToneDef("congestion", _on_off((400.0,), 400, 350, 225, 525), -19.0),
        "sit": _SIT,
    },
    # ETSI / CEPT common tones, 425 Hz (ETSI TR 101 041-1; E.180 supplement 2).
    "eu": {
        "dial": ToneDef("dial", (((425.0,), 0),), -10.0),
        "ringback": ToneDef("ringback", _on_off((425.0,), 1000, 4000), -10.0),
        "busy": ToneDef("busy", _on_off((425.0,), 500, 500), -10.0),
        "congestion": ToneDef("congestion", _on_off((425.0,), 250, 250), -10.0),
        "sit": _SIT,
    },
    # Germany keeps 480/480 and 240/240 (zonedata.c "de").
    "de": {
        "dial": ToneDef("dial", (((425.0,), 0),), -10.0),
        "ringback": ToneDef("ringback", _on_off((425.0,), 1000, 4000), -10.0),
        "busy": ToneDef("busy", _on_off((425.0,), 480, 480), -10.0),
        "congestion": ToneDef("congestion", _on_off((425.0,), 240, 240), -10.0),
        "sit": _SIT,
    },
    # China: YD/T 1048 via zonedata.c "cn"; its special information tone is the
    # 450 Hz "info" cadence 100/100 x3, 400/400 (indications.conf.sample).
    "cn": {
        "dial": ToneDef("dial", (((450.0,), 0),), -10.0),
        "ringback": ToneDef("ringback", _on_off((450.0,), 1000, 4000), -10.0),
        "busy": ToneDef("busy", _on_off((450.0,), 350, 350), -10.0),
        "congestion": ToneDef("congestion", _on_off((450.0,), 700, 700), -10.0),
        "sit": ToneDef("sit", _on_off((450.0,), 100, 100, 100, 100, 100, 100, 400, 400), -10.0),
    },
}


def zone(name: str) -> Dict[str, ToneDef]:
    try:
        return ZONES[name]
    except KeyError:
        raise ValueError(f"unknown tone zone {name!r}; known: {', '.join(sorted(ZONES))}") from None
