"""RESTART and the other global call reference messages (Q.931 5.5, 5.8.3.2).

One ``Restart`` per procedure under way, each walking ``RESTART_TABLE``
(REST0 null, REST1 we sent RESTART, REST2 we received one). A restart of one
channel uses class 0 ("indicated channels") with a channel identification; a
restart of the interface uses class 7 ("all interfaces"), as libpri does.
Calls on the channels are cleared internally with cause 41; the channels we
restart are out of service until the RESTART ACKNOWLEDGE arrives, or until
T316 has expired 1 + N316 times (``RestartFailed``).
"""
from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Any

from acd_core.clock import TimerHandle
from acd_core.errors import IllegalTransition
from firmware.telephony.isdn import causes
from firmware.telephony.isdn.errors import IsdnError
from firmware.telephony.isdn.events import ChannelRestarted, RestartFailed
from firmware.telephony.isdn.ie import (
    RESTART_ALL_INTERFACES, RESTART_CHANNELS, CallState, ChannelId, RestartIndicator,
)
from firmware.telephony.isdn.messages import MT, Message
from firmware.telephony.isdn.q931_states import RESTART_TABLE, RestartState

if TYPE_CHECKING:
    from firmware.telephony.isdn.q931 import Q931

log = logging.getLogger(__name__)


class Restart:
    """One restart procedure: ``channels`` None means the whole interface."""

    def __init__(self, channels: tuple[int, ...] | None, remote: bool,
                 request: Message | None = None) -> None:
        self.channels = channels
        self.remote = remote
        self.request = request
        self.state = RestartState.REST0
        self.timer: TimerHandle | None = None
        self.expiries = 0

    @property
    def label(self) -> str:
        what = "interface" if self.channels is None else \
            "ts " + ",".join(str(c) for c in self.channels)
        return f"restart {what}"


class RestartMixin:
    """The restart half of ``Q931`` (kept apart to keep each module readable)."""

    restarts: dict[tuple[int, ...] | None, Restart]

    def _init_restart(self) -> None:
        self.restarts = {}

    # ------------------------------------------------------------------ command
    def restart(self: "Q931", ts: int | None = None) -> None:  # type: ignore[misc]
        """RESTART one B-channel (``ts``) or the whole interface (``None``)."""
        if not self.link_up:
            raise IsdnError("cannot restart: the D-channel is down", span=self.name)
        if ts is not None and ts not in self.channels:
            raise IsdnError("not a B-channel of this span", span=self.name, ts=ts)
        key = None if ts is None else (ts,)
        if key in self.restarts:
            raise IsdnError("a restart of this channel is already under way", span=self.name,
                            ts=ts)
        r = Restart(key, remote=False)
        self.restarts[key] = r
        with self._entry():
            self._restart_transition(r, "restart request")

    # ------------------------------------------------------------------ machine
    def _restart_transition(self: "Q931", r: Restart, event: str) -> None:  # type: ignore[misc]
        row = RESTART_TABLE.get((r.state, event))
        if row is None:
            raise IllegalTransition(f"{r.label}: {event} is not allowed in {r.state}",
                                    state=str(r.state), event=event)
        before, (r.state, actions) = r.state, row
        log.info("%s: %s -> %s (%s: %s)", r.label, before, r.state, event, ", ".join(actions))
        for action in actions:
            self._restart_act(r, action)
        if r.state is RestartState.REST0 and self.restarts.get(r.channels) is r:
            del self.restarts[r.channels]

    def _restart_act(self: "Q931", r: Restart, action: str) -> None:  # type: ignore[misc]
        targets = set(self.channels if r.channels is None else r.channels)
        if action == "clear calls":
            for call in list(self.calls.values()):
                if r.channels is None or call.ts in targets:
                    self.transition(call, "restart")
        elif action == "block channels":
            self.blocked |= targets
        elif action == "unblock channels":
            self.blocked -= targets
        elif action == "send RESTART":
            self._send(Message.build(MT.RESTART, 0, False, *self._restart_ies(r.channels)))
        elif action == "send RESTART ACKNOWLEDGE":
            assert r.request is not None
            ies = [ie for ie in r.request.ies if isinstance(ie, (ChannelId, RestartIndicator))]
            self._send(Message.build(MT.RESTART_ACKNOWLEDGE, 0, True, *ies))
        elif action == "T316 start":
            def fire() -> None:
                if r.timer is not handle:
                    return
                r.timer = None
                r.expiries += 1
                event = "T316 again" if r.expiries > int(self.timers["N316"]) else "T316"
                log.info("%s: T316 expired (%d)", r.label, r.expiries)
                self._guarded(lambda: self._restart_transition(r, event))
            handle = self.clock.call_later(self.timers["T316"], fire)
            r.timer = handle
        elif action == "T316 stop":
            if r.timer is not None:
                r.timer.cancel()
                r.timer = None
        elif action == "emit ChannelRestarted":
            for ts in (None,) if r.channels is None else r.channels:
                self._emit(ChannelRestarted(ts, "remote" if r.remote else "local"))
        elif action == "emit RestartFailed":
            for ts in (None,) if r.channels is None else r.channels:
                self._emit(RestartFailed(ts))
        else:
            raise IllegalTransition(f"unknown restart action {action!r}")

    @staticmethod
    def _restart_ies(channels: tuple[int, ...] | None) -> list[Any]:
        if channels is None:
            return [RestartIndicator(RESTART_ALL_INTERFACES)]
        return [ChannelId(channels, exclusive=True), RestartIndicator(RESTART_CHANNELS)]

    def _restarts_link_lost(self: "Q931") -> None:  # type: ignore[misc]
        for r in list(self.restarts.values()):
            self._guarded(partial(self._restart_transition, r, "link lost"))

    # ------------------------------------------------------------------ global messages in
    def _global(self: "Q931", msg: Message) -> None:  # type: ignore[misc]
        mt, back = msg.mtype, not msg.flag
        if mt == MT.RESTART:
            self._rx_restart(msg)
        elif mt == MT.RESTART_ACKNOWLEDGE:
            channels = self._restart_channels(msg)
            r = self.restarts.get(channels) if channels != () else None
            if r is None or r.state is not RestartState.REST1:
                log.info("%s: RESTART ACKNOWLEDGE for no restart of ours ignored", self.name)
                return
            self._restart_transition(r, "rx RESTART ACKNOWLEDGE")
        elif mt == MT.STATUS:
            log.info("%s: STATUS on the global call reference: %s", self.name, msg.describe())
        elif mt == MT.STATUS_ENQUIRY:
            self._send_on_ref(MT.STATUS, 0, back, self._cause(causes.RESPONSE_TO_STATUS_ENQUIRY),
                              CallState(0))
        else:
            self._send_on_ref(MT.STATUS, 0, back, self._cause(causes.INVALID_CALL_REFERENCE),
                              CallState(0))

    @staticmethod
    def _restart_channels(msg: Message) -> tuple[int, ...] | None:
        """The channels a RESTART (ACK) names; None for the interface, () if unusable."""
        ri = msg.get(RestartIndicator)
        if ri is not None and ri.restart_class != RESTART_CHANNELS:
            return None
        cid = msg.get(ChannelId)
        if cid is None or cid.number_map or not cid.channels:
            return ()
        return tuple(cid.channels)

    def _rx_restart(self: "Q931", msg: Message) -> None:  # type: ignore[misc]
        back = not msg.flag
        channels = self._restart_channels(msg)
        if channels == ():
            self._send_on_ref(MT.STATUS, 0, back, self._cause(causes.MANDATORY_IE_MISSING),
                              CallState(0))
            return
        if channels is not None:
            bad = [c for c in channels if c not in self.channels]
            if bad:
                log.warning("%s: RESTART of ts %s that is not a B-channel", self.name, bad)
                self._send_on_ref(MT.STATUS, 0, back,
                                  self._cause(causes.IDENTIFIED_CHANNEL_DOES_NOT_EXIST),
                                  CallState(0))
                return
        ours = self.restarts.get(channels)
        if ours is not None and ours.state is RestartState.REST1:
            ours.request = msg
            self._restart_transition(ours, "rx RESTART")
            return
        r = Restart(channels, remote=True, request=msg)
        self._restart_transition(r, "rx RESTART")
        self._restart_transition(r, "restart done")
