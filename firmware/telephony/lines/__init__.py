"""The card's lines in the daemon: line groups built from ``callbox.toml``, their calls
as ``Channel``s into the same flows as SIP calls, their audio relayed to media nodes.

``Lines`` is what the composition root holds: ``start`` builds one line group per
fitted span (``PriSpan`` for ``[e1.spanN] signalling = "pri"``) once the card is
up and the media pool serves, registers each as a trunk group (``LineTrunk``)
and hands every inbound line call to ``on_call`` (the inbound flow);
``describe`` is health's ``lines`` component. The FXO ports are one group
``fxo`` (``FxoGroup``). A span with ``[e1.spanN] signalling = "r2"`` is an
``R2Group`` on the card's CAS path (the framer's TS16 registers and the TDM
switch); on the simulator, span 1 with ``[e1.sim] signalling = "mfcr2"`` and
``timeslot_socket`` is one on the timeslot door instead. The FXS ports named in
``[analog] fxs_seats`` are agent seats (``FxsSeats``); the FXS ports that are no
seat are listed as not wired (docs/lines.md).
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from firmware.events import EventBus
from firmware.telephony.lines.analog import FxoChannel, FxoGroup
from firmware.telephony.lines.channel import LineChannel
from firmware.telephony.lines.fxs import FxsSeats, OnCode, OnReachable
from firmware.telephony.lines.isdn import IsdnChannel, OnCall, PriSpan
from firmware.telephony.lines.r2 import R2Channel, R2Group
from firmware.telephony.lines.trunk import LineTrunk

if TYPE_CHECKING:
    from acd_core.clock import Clock
    from drivers.card import Card
    from firmware.config import Config
    from firmware.media.pool import MediaPool
    from firmware.trunks import Trunks

log = logging.getLogger("callbox.lines")

__all__ = ["FxoChannel", "FxoGroup", "FxsSeats", "IsdnChannel", "LineChannel", "LineTrunk", "Lines", "PriSpan",
           "R2Channel", "R2Group"]


async def _no_codes(extension: str, code: str) -> bool:
    log.warning("seat %s keyed %s: no feature-code service", extension, code)
    return False


def _nobody(extension: str, reachable: bool) -> None:
    pass


class Lines:
    def __init__(self, cfg: "Config", pool: "MediaPool", clock: "Clock", bus: EventBus,
                 trunks: "Trunks", on_call: OnCall,
                 on_code: OnCode = _no_codes, on_reachable: OnReachable = _nobody) -> None:
        self.cfg = cfg
        self.pool = pool
        self.clock = clock
        self.bus = bus
        self.trunks = trunks
        self.on_call = on_call
        self.spans: list[PriSpan] = []
        self.r2: list[R2Group] = []
        self.unwired: list[dict[str, Any]] = []
        self.fxo: FxoGroup | None = None
        self.fxs: FxsSeats | None = None
        self.on_code = on_code
        self.on_reachable = on_reachable

    async def start(self, card: "Card | None") -> None:
        if card is None:
            log.warning("no card: no line is served")
            return
        settings = self.cfg.card_settings()
        for n, part in enumerate(card.board.spans, 1):
            if part is None:
                continue
            if n == 1 and self._r2_door():
                self._start_r2(n)
                continue
            signalling = settings.span(n).signalling
            if signalling == "r2":
                self._start_r2_card(n, card)
                continue
            span = PriSpan(n, card, self.pool, self.clock, self.bus, self.on_call)
            self.spans.append(span)
            self.trunks.register_group(LineTrunk(span))
            if self._no_far_end(n):
                span.idle_reason = ("simulated exchange without a D-channel peer "
                                    "(set [e1.sim] dchannel_socket to attach one)")
                log.info("e1/%d: %s", n, span.idle_reason)
                continue
            span.start()
        seat_ports = self.cfg.analog.fxs_seat_ports()
        has_fxo = any(p is not None for p in card.board.fxo)
        if has_fxo or (seat_ports and any(p is not None for p in card.board.fxs)):
            self.fxo = FxoGroup(card, self.pool, self.clock, self.bus, self.on_call,
                                zone=self.cfg.tones.zone, on_seat_event=self._seat_event)
            if has_fxo:
                self.trunks.register_group(LineTrunk(self.fxo))
        if seat_ports and self.fxo is not None:
            self.fxs = FxsSeats(card, self.pool, self.fxo.ports, seat_ports, self.on_code,
                                self.on_reachable)
            self.fxs.start()
        for n, port in enumerate(card.board.fxs, 1):
            if port is not None and n not in seat_ports.values():
                self.unwired.append({"name": f"fxs/{n}", "state": "not wired",
                                     "why": "no seat on this port ([analog] fxs_seats)"})

    def _seat_event(self, ev: object) -> None:
        if self.fxs is not None:
            self.fxs.on_event(ev)

    def _r2_door(self) -> bool:
        """The simulator with ``[e1.sim] signalling = "mfcr2"`` and timeslot sockets."""
        return (self.cfg.hardware.profile == "sim" and self.cfg.e1_sim.signalling == "mfcr2"
                and self.cfg.timeslot_socket_pattern is not None)

    def _start_r2(self, n: int) -> None:
        pattern = self.cfg.timeslot_socket_pattern
        assert pattern is not None
        group = R2Group(n, self.pool, self.clock, self.bus, self.on_call,
                        self.cfg.e1_sim.r2_variant, pattern)
        group.start()
        self.r2.append(group)
        self.trunks.register_group(LineTrunk(group))

    def _start_r2_card(self, n: int, card: "Card") -> None:
        """``[e1.spanN] signalling = "r2"``: R2 on the framer's CAS path and the TDM switch."""
        group = R2Group(n, self.pool, self.clock, self.bus, self.on_call,
                        self.cfg.span_config(n).r2_variant, card=card)
        group.start()
        self.r2.append(group)
        self.trunks.register_group(LineTrunk(group))

    def _no_far_end(self, n: int) -> bool:
        """On the simulator only the D-channel bridge gives span 1 a layer 2 peer; the
        simulated exchange itself speaks no LAPD, so without it nothing would answer."""
        return self.cfg.hardware.profile == "sim" and (n != 1 or self.cfg.dchannel_socket is None)

    async def stop(self) -> None:
        for span in self.spans:
            self.trunks.unregister_group(span.name)
            await span.stop()
        self.spans = []
        for group in self.r2:
            self.trunks.unregister_group(group.name)
            await group.stop()
        self.r2 = []
        if self.fxs is not None:
            await self.fxs.stop()
            self.fxs = None
        if self.fxo is not None:
            if self.fxo.lines:
                self.trunks.unregister_group(self.fxo.name)
            await self.fxo.stop()
            self.fxo = None

    def r2_group(self, name: str) -> R2Group | None:
        """The R2 line group called ``name`` (``e1/1``), if the box runs one."""
        return next((g for g in self.r2 if g.name == name), None)

    def describe(self) -> dict[str, Any]:
        groups = [s.describe() for s in self.spans]
        down = [g["name"] for g in groups if g["d_channel"] == "down"]
        groups += [g.describe() for g in self.r2]
        if self.fxo is not None:
            groups.append(self.fxo.describe())
        seats = self.fxs.describe() if self.fxs is not None else []
        return {"status": "degraded" if down else "ok", "groups": groups,
                "down": down, "seats": seats, "not_wired": list(self.unwired)}
