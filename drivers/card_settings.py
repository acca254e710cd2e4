"""What the card is told at start: per E1 span and for the analog ports.

Plain values, no I/O: ``firmware.config`` builds them from ``callbox.toml``
(``[e1.span1]``, ``[e1.span2]``, ``[analog]``, ``[tones] zone``) and
:class:`drivers.card.Card` applies them to the chips. They live in ``drivers``
so the drivers never read the daemon's config (arrows point down).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from drivers.analog.si3050 import COUNTRIES
from drivers.bus.tdm import E1_SLOTS
from drivers.e1.pef2256 import E1Config

SIGNALLING = {"pri": "ccs", "r2": "cas"}      # callbox.toml word -> framer mode
IMPEDANCES = {"600": 0x0, "900": 0x1}         # Si3050 reg 30 ACIM; "country" keeps the country's
ANALOG_SLOTS = range(E1_SLOTS, E1_SLOTS + 16)  # bytes 32-47 of a TDM frame (at most 8 + 8 ports)
SIM_FXO_PORTS = SIM_FXS_PORTS = 2              # what drivers.board_profile builds for "sim"


@dataclass(frozen=True)
class SpanSettings:
    """One E1 span: ``signalling`` pri (CCS, HDLC D-channel on TS16) or r2 (CAS on TS16)."""

    signalling: str = "pri"
    framing: str = "crc4"          # "crc4" | "doubleframe"
    line_code: str = "hdb3"        # "hdb3" | "ami"
    clock: str = "line"            # "line": timing from the carrier; "master": ours

    def __post_init__(self) -> None:
        if self.signalling not in SIGNALLING:
            raise ValueError(f"signalling must be one of {', '.join(SIGNALLING)}, "
                             f"not {self.signalling!r}")
        if self.clock not in ("line", "master"):
            raise ValueError(f"clock must be line or master, not {self.clock!r}")
        self.e1_config()          # framing and line code are checked by E1Config

    def e1_config(self) -> E1Config:
        return E1Config(framing=self.framing, line_code=self.line_code,
                        clock_master=self.clock == "master",
                        signalling=SIGNALLING[self.signalling])


@dataclass(frozen=True)
class AnalogSettings:
    """FXO line settings (country, impedance), FXS zone, and each port's PCM timeslot.

    An empty timeslot list means the board's order: the lowest free slots from
    32 on, FXO ports first, then FXS ports.
    """

    country: str = "TBR21"
    impedance: str = "country"
    zone: str = "EU"
    fxo_timeslots: tuple[int, ...] = ()
    fxs_timeslots: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.country not in COUNTRIES:
            raise ValueError(f"country must be one of {', '.join(COUNTRIES)}")
        if self.impedance != "country" and self.impedance not in IMPEDANCES:
            raise ValueError(f"impedance must be country or one of {', '.join(IMPEDANCES)}")
        slots = [*self.fxo_timeslots, *self.fxs_timeslots]
        for ts in slots:
            if ts not in ANALOG_SLOTS:
                raise ValueError(f"timeslot {ts} is outside {ANALOG_SLOTS.start}-"
                                 f"{ANALOG_SLOTS.stop - 1}")
        dup = sorted({ts for ts in slots if slots.count(ts) > 1})
        if dup:
            raise ValueError(f"timeslot {dup[0]} is given to two ports")

    def timeslots(self, fxo_ports: int, fxs_ports: int) -> tuple[list[int], list[int]]:
        """The slot of every port of a board with this many ports."""
        taken = {*self.fxo_timeslots, *self.fxs_timeslots}
        free = iter([ts for ts in ANALOG_SLOTS if ts not in taken])
        fxo = list(self.fxo_timeslots) or [next(free) for _ in range(fxo_ports)]
        fxs = list(self.fxs_timeslots) or [next(free) for _ in range(fxs_ports)]
        return fxo, fxs


def misfit(analog: AnalogSettings, fxo_ports: int, fxs_ports: int,
           frame_size: int | None) -> tuple[str, str] | None:
    """``(key, sentence)`` for the first way the analog timeslots do not fit a board with
    these ports and TDM frame (32 E1 bytes + one per analog port), or None if they fit.

    Shared by ``firmware.config`` (before any hardware is opened), :class:`drivers.card.Card`
    and the self-test (against the board actually built).
    """
    for kind, given, ports in (("fxo", analog.fxo_timeslots, fxo_ports),
                               ("fxs", analog.fxs_timeslots, fxs_ports)):
        if given and len(given) != ports:
            return (f"analog.{kind}_timeslots",
                    f"{len(given)} timeslots for the board's {ports} {kind.upper()} ports")
    if frame_size is None:
        return None
    fxo, fxs = analog.timeslots(fxo_ports, fxs_ports)
    for kind, slots in (("fxo", fxo), ("fxs", fxs)):
        for ts in slots:
            if not E1_SLOTS <= ts < frame_size:
                return (f"analog.{kind}_timeslots",
                        f"timeslot {ts} is beyond the card's {frame_size}-byte TDM frame "
                        f"({E1_SLOTS} E1 slots + {frame_size - E1_SLOTS} analog ports: "
                        f"slots {E1_SLOTS}-{frame_size - 1})")
    return None


@dataclass(frozen=True)
class CardSettings:
    spans: tuple[SpanSettings, ...] = (SpanSettings(),)
    analog: AnalogSettings = field(default_factory=AnalogSettings)

    def span(self, n: int) -> SpanSettings:
        """Settings of span ``n`` (1-based); a span beyond the list takes the defaults."""
        return self.spans[n - 1] if n <= len(self.spans) else SpanSettings()
