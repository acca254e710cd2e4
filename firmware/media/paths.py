"""Who hears whom in a node: one-way audio paths, bridges and hold, on the conference bridge.

pjsua2's ``startTransmit`` is one way, so the node keeps one set per leg,
``feeds``: the legs whose far ends hear this leg's far end. A bridge is two
paths (``a`` feeds ``b`` and ``b`` feeds ``a``); supervision is built from single
paths (listen: caller and agent feed the supervisor; whisper adds supervisor ->
agent; barge is three bridges). ``reconcile`` makes the bridge match the sets
(every ``startTransmit`` is idempotent), so the wiring survives a leg whose
media comes up late or is renegotiated.

Hold is a property of the leg, not a path: a held leg keeps its ``feeds`` but
none of its paths is applied, either way, and it hears its own player (music
on hold) instead; ``resume`` applies the paths again. Recorders are fed from
the leg's incoming audio whatever its hold state, so a recording keeps what
each party said.
"""
from __future__ import annotations

import os
from typing import Any, Callable

import pjsua2 as pj

from firmware.media import frames


class CommandError(Exception):
    """A command that cannot be carried out; its text is the reply's ``error``."""


class AudioPaths:
    """Mixed into ``NodeEngine``; needs ``legs``, ``_leg``, ``_bury``, ``_recorder_targets``."""

    legs: dict[int, Any]
    _leg: Callable[[int], Any]
    _bury: Callable[[Any], None]
    _recorder_targets: Callable[[str, int], list[Any]]
    post: Callable[[tuple[Any, ...]], None]

    def _two(self, a: int, b: int, what: str) -> tuple[Any, Any]:
        """Two legs of this node. They may belong to different conversations (a supervisor's
        own call, placed on this node, joins the call it supervises): the bridge is the
        node's, the conversations only count its room."""
        la, lb = self._leg(a), self._leg(b)
        if a == b:
            raise CommandError(f"{what}: a leg cannot be joined to itself")
        return la, lb

    def _cmd_bridge(self, a: int, b: int) -> None:
        la, lb = self._two(a, b, "bridge")
        la.feeds.add(b)
        lb.feeds.add(a)
        self.reconcile(la)
        self.reconcile(lb)

    def _cmd_unbridge(self, a: int, b: int) -> None:
        la, lb = self._two(a, b, "unbridge")
        self._cut(la, lb)
        self._cut(lb, la)

    def _cmd_connect(self, src: int, dst: int) -> None:
        ls, ld = self._two(src, dst, "connect")
        ls.feeds.add(dst)
        self.reconcile(ls)

    def _cmd_disconnect(self, src: int, dst: int) -> None:
        ls, ld = self._two(src, dst, "disconnect")
        self._cut(ls, ld)

    def _cut(self, src: Any, dst: Any) -> None:
        src.feeds.discard(dst.no)
        if src.am is not None and dst.am is not None:
            _quiet(src.am.stopTransmit, dst.am)

    def _cmd_hold(self, leg: int, path: str) -> None:
        lg = self._leg(leg)
        if not os.path.isfile(path):
            raise CommandError(f"hold: no such file {path}")
        if lg.held:
            raise CommandError(f"hold: leg {leg} is already on hold")
        player = frames.Player(self.post, leg, 0, True)
        player.createPlayer(path, 0)
        self._unwire(lg)
        lg.held = True
        lg.hold_player = player
        self.reconcile(lg)

    def _cmd_resume(self, leg: int) -> None:
        lg = self._leg(leg)
        if not lg.held:
            raise CommandError(f"resume: leg {leg} is not on hold")
        self._drop_hold_player(lg)
        lg.held = False
        self.reconcile(lg)
        for other in self.legs.values():       # paths into the leg come back too
            if lg.no in other.feeds:
                self.reconcile(other)

    def _drop_hold_player(self, lg: Any) -> None:
        player, lg.hold_player = lg.hold_player, None
        if player is not None:
            if lg.am is not None:
                _quiet(player.stopTransmit, lg.am)
            self._bury(player)

    def _unwire(self, lg: Any) -> None:
        """Stop every path into and out of ``lg`` on the bridge (its sets stay)."""
        am = lg.am
        if am is None:
            return
        if lg.player is not None:
            _quiet(lg.player.stopTransmit, am)
        for other in self.legs.values():
            if other is lg or other.am is None:
                continue
            if other.no in lg.feeds:
                _quiet(am.stopTransmit, other.am)
            if lg.no in other.feeds:
                _quiet(other.am.stopTransmit, am)

    def reconcile(self, leg: Any) -> None:
        """Make the bridge match what ``leg`` should hear and feed (idempotent)."""
        am = leg.am
        if am is None:
            return
        if leg.tap is not None:
            am.startTransmit(leg.tap)
        if leg.held:
            if leg.hold_player is not None:
                leg.hold_player.startTransmit(am)
        elif leg.player is not None:
            leg.player.startTransmit(am)
        for path in leg.recorders:
            for rec in self._recorder_targets(path, leg.no):
                am.startTransmit(rec)
        if leg.held:
            return
        for other in leg.feeds:
            peer = self.legs.get(other)
            if peer is not None and peer.am is not None and not peer.held:
                am.startTransmit(peer.am)
        for peer in self.legs.values():
            if leg.no in peer.feeds and peer.am is not None and not peer.held:
                peer.am.startTransmit(am)

    def forget_paths(self, leg: Any) -> None:
        """``leg`` has ended: nobody feeds it any more, and its hold music goes."""
        for peer in self.legs.values():
            peer.feeds.discard(leg.no)
        leg.feeds.clear()
        self._drop_hold_player(leg)
        leg.held = False


def _quiet(fn: Callable[..., Any], *args: Any) -> None:
    try:
        fn(*args)
    except pj.Error:
        pass
