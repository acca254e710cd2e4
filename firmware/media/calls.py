"""The pool's call API beyond dial and bridge: one-way paths, hold, room, opened
conversations and recordings (mixed or stereo).

``MediaPool`` inherits ``MediaCalls``. Everything here acts on legs that live
in one node, because a conversation's legs always do: a feature that needs one
more leg (a supervisor, a third party, a consultation) asks ``ensure_room``
first and is refused with ``MediaError`` ("no room on the conversation's
node") before it changes anything, so an action is never half done.

``open_conversation`` is for calls that have no leg yet (click-to-call, a
campaign call): it reserves the room on the lowest node that has it and
returns a ``Conversation`` to dial into; its room stays held until ``close``.
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from firmware.clock import wait_for
from firmware.errors import MediaError
from firmware.media import stereo
from firmware.media.leg import Leg
from firmware.media.recorders import stereo_files
from firmware.timers import TIMERS

if TYPE_CHECKING:
    from firmware.media.client import NodeLink

log = logging.getLogger("callbox.media")

NO_ROOM = "no room on the conversation's node"


class Conversation:
    """Room held on one node for legs still to be dialled (``MediaPool.open_conversation``)."""

    def __init__(self, pool: "MediaCalls", link: "NodeLink", conv_id: int, key: str,
                 legs: int) -> None:
        self._pool = pool
        self.link = link
        self.id = conv_id
        self.key = key
        self.legs = legs
        self.closed = False
        self.node = link.node_id

    def __repr__(self) -> str:
        return f"<Conversation {self.node}/{self.id} legs={self.legs}>"

    async def dial(self, uri: str, caller_id: str | None = None,
                   caller_name: str | None = None) -> Leg:
        if self.closed:
            raise MediaError(f"conversation {self.node}/{self.id} is closed", node=self.node)
        holder: list[Leg] = []
        link = self.link

        def register(data: dict[str, Any]) -> None:
            holder.append(link.add_leg(data["leg"], "out", {"uri": uri}, conv_key=self.key))

        args: dict[str, Any] = {"uri": uri, "conv": self.id}
        if caller_id:
            args["caller_id"] = caller_id
        if caller_name:
            args["caller_name"] = caller_name
        await link.command("dial", _on_ok=register, **args)
        return holder[0]

    async def close(self) -> None:
        """Give the room back (the legs dialled into it live on until they end)."""
        if self.closed:
            return
        self.closed = True
        self.link.close_conv(self.key)
        if self.link.state == "up":
            try:
                await self.link.command("close", conv=self.id)
            except MediaError as exc:      # a leg still up: the node frees it with that leg
                log.info("conversation close deferred node=%d conv=%d: %s", self.node,
                         self.id, exc)
        self._pool._room_changed()


class MediaCalls:
    """Mixed into ``MediaPool``, whose attributes it uses."""

    _links: dict[int, "NodeLink"]
    _recordings: dict[str, tuple["NodeLink", "asyncio.Future[float]"]]
    _stereo: set[str]
    _clock: Any
    _stopping: bool
    _room_changed: Callable[[], None]
    _serving: Callable[["NodeLink"], bool]
    _cancel_idle: Callable[["NodeLink"], None]
    _check_capacity: Callable[[], None]
    place_or_wait: Callable[[str], Awaitable["NodeLink | None"]]

    # -- paths ---------------------------------------------------------------------------
    async def connect(self, src: Leg, dst: Leg) -> None:
        """``dst``'s far end hears ``src``'s far end (one way)."""
        self._same_node(src, dst, "connect")
        await src.link.command("connect", src=src.number, dst=dst.number)

    async def disconnect(self, src: Leg, dst: Leg) -> None:
        self._same_node(src, dst, "disconnect")
        await src.link.command("disconnect", src=src.number, dst=dst.number)

    # -- room ------------------------------------------------------------------------------
    def has_room(self, near: Leg, extra: int = 1) -> bool:
        return near.link.room_for(near.number, extra)

    def ensure_room(self, near: Leg, extra: int = 1, what: str = "") -> None:
        """Refuse (``MediaError``) before anything is done when ``near``'s conversation
        cannot take ``extra`` more legs on its node."""
        if near.ended.done():
            raise MediaError(f"{what or 'action'}: leg {near.id} has ended", leg=near.id)
        if not near.link.room_for(near.number, extra):
            link = near.link
            raise MediaError(f"{what or 'action'} refused: {NO_ROOM} (node {link.node_id}: "
                             f"{link.used()} of {link.capacity} legs in use)",
                             reason=NO_ROOM, node=link.node_id, leg=near.id)

    async def open_conversation(self, legs: int = 2) -> Conversation:
        """Room for ``legs`` legs on the lowest node that has it (``MediaError`` if none)."""
        if self._stopping:
            raise MediaError("media pool is stopping")
        for link in sorted(self._links.values(), key=lambda x: x.node_id):
            if not self._serving(link) or link.free() < legs:
                continue
            reply = await link.command("open", legs=legs)
            key = link.open_conv(int(reply["conv"]), legs)
            self._cancel_idle(link)
            self._check_capacity()
            return Conversation(self, link, int(reply["conv"]), key, legs)
        self._check_capacity()
        raise MediaError(f"no media node has room for a conversation of {legs} legs",
                         legs=legs)

    # -- port legs (a line's audio: firmware/media/lineport.py) ---------------------------
    async def open_port(self, address: str, direction: str, *, near: Leg | None = None,
                        call_id: str = "", info: dict[str, Any] | None = None) -> Leg:
        """A port leg for a line call: in ``near``'s conversation (an outbound line call
        dialled from it), or in a conversation of its own on the node the pool places it
        on (an inbound line call, 2 legs as an INVITE holds). ``address`` is the daemon's
        datagram socket the node sends the leg's audio to; the leg's ``info['port_path']``
        is the node's, to send to. ``MediaError`` when no node has room."""
        if near is not None:
            self.ensure_room(near, 1, "line call")
            link = near.link
        else:
            placed = await self.place_or_wait(call_id)
            if placed is None:
                raise MediaError("no media node has room for a line call", call_id=call_id)
            link = placed
        args: dict[str, Any] = {"path": address, "direction": direction}
        if near is not None:
            args["near_leg"] = near.number
        holder: list[Leg] = []
        details = dict(info or {}, call_id=call_id, port=True)

        def register(data: dict[str, Any]) -> None:
            details["port_path"] = str(data["path"])
            holder.append(link.add_leg(int(data["leg"]), direction, details, near=near))
            self._cancel_idle(link)

        try:
            await link.command("port", _on_ok=register, **args)
        finally:
            if not holder:
                link.reservations.pop(call_id, None)
        self._check_capacity()
        return holder[0]

    async def port_event(self, leg: Leg, event: str) -> None:
        """The line's signalling moved port leg ``leg`` on: ``early`` (the far end rings)
        or ``confirmed`` (it answered); the node reports it back like any leg change."""
        await leg.link.command("port_event", leg=leg.number, change=event)

    # -- recordings --------------------------------------------------------------------------
    async def record(self, a: Leg, b: Leg | None, path: str, stereo: bool = False) -> None:
        """Record both parties into ``path`` (``.wav`` under .incoming/): mixed, 8 kHz mono,
        or ``stereo`` (needs ``b``): ``a`` on the left channel, ``b`` on the right."""
        await self.record_legs([a] if b is None else [a, b], path, stereo)

    async def record_legs(self, legs: list[Leg], path: str, stereo: bool = False) -> None:
        """Record 1-4 legs of one node mixed, or exactly two as stereo (first on the left)."""
        if not 1 <= len(legs) <= 4:
            raise MediaError(f"a recording takes 1-4 legs, not {len(legs)}", path=str(path))
        for other in legs[1:]:
            self._same_node(legs[0], other, "record")
        if stereo and len(legs) != 2:
            raise MediaError("a stereo recording needs two legs", path=str(path))
        link = legs[0].link
        path = str(path)
        if path in self._recordings:
            raise MediaError(f"already recording {path}", path=path)
        fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._recordings[path] = (link, fut)
        args: dict[str, Any] = {"legs": [x.number for x in legs], "path": path}
        if stereo:
            args["stereo"] = True
            self._stereo.add(path)
        try:
            await link.command("record_start", **args)
        except BaseException:
            del self._recordings[path]
            self._stereo.discard(path)
            raise
        link.recordings.add(path)

    async def stop_record(self, path: str) -> float:
        """Stop and wait until the WAV is final (a stereo one merged); its seconds."""
        path = str(path)
        entry = self._recordings.get(path)
        if entry is None:
            raise MediaError(f"not recording {path}", path=path)
        link, fut = entry
        try:
            if not fut.done():
                try:
                    await link.command("record_stop", path=path)
                except MediaError:
                    if not fut.done():
                        raise
            seconds = await wait_for(self._clock, asyncio.shield(fut),
                                     TIMERS["media.record_timeout"])
        except asyncio.TimeoutError:
            raise MediaError(f"recording {path} not final after "
                             f"{TIMERS['media.record_timeout']:.0f} s", path=path) from None
        finally:
            if fut.done():
                self._recordings.pop(path, None)
        if path in self._stereo:
            self._stereo.discard(path)
            try:
                seconds = await asyncio.to_thread(stereo.merge, path)
            except Exception as exc:  # noqa: BLE001 - a broken half must not lose the call
                raise MediaError(f"stereo recording {path} could not be merged: {exc}",
                                 path=path) from None
        return seconds

    def salvage_paths(self, path: str) -> list[str]:
        """The files a dead node may have left for the recording ``path``."""
        return list(stereo_files(path)) if path in self._stereo else [path]

    @staticmethod
    def _same_node(a: Leg, b: Leg, what: str) -> None:
        if a.link is not b.link:
            raise MediaError(f"{what}: legs {a.id} and {b.id} are on different media nodes",
                             leg=a.id, other=b.id)


__all__ = ["Conversation", "MediaCalls", "NO_ROOM"]
