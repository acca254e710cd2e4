"""Recording one ``LiveCall``: by rule from the moment it is connected, or on demand.

The rule (``firmware/store/agentdesk.py``: the agent's, else the queue's, else
the one for all calls) says ``always``, ``on_demand`` or ``never``, whether the
caller first hears the recording notice, and whether the file is stereo
(caller left, agent right). A call may be recorded in several segments (the
agent stopped and started it, or the parties changed: a transfer, a
conference, an intercept), each its own file ``<call>.wav``, ``<call>-2.wav``
..., each indexed with the call's id and described in ``recording_meta``
(channels, layout, agent, queue, direction, what started it). The CDR names
the first. A conference of three is recorded mixed (the node's stereo takes
two parties). While the disk is full no recording starts; the call goes on.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from firmware.errors import ApiError, MediaError
from firmware.store.agentdesk import RecordingRule

if TYPE_CHECKING:
    from firmware.cti.call import CallCore

log = logging.getLogger("callbox.cti")


@dataclass
class Segment:
    incoming: Path
    final: Path
    channels: int
    trigger: str


class CallRecording:
    def __init__(self, live: "CallCore") -> None:
        self.live = live
        self.rule: RecordingRule | None = None
        self.active: Segment | None = None
        self.paths: list[str] = []           # finished segments, relative to recordings/
        self.announced = False
        self._count = 0

    @property
    def first(self) -> str:
        return self.paths[0] if self.paths else ""

    async def rule_for_call(self) -> RecordingRule:
        return await self._rule()

    async def _rule(self) -> RecordingRule:
        if self.rule is None:
            live = self.live
            self.rule = await live.cti.store.rule_for(live.queue.name if live.queue else "",
                                                      live.agent or "")
        return self.rule

    async def start_by_rule(self) -> None:
        if (await self._rule()).mode == "always":
            await self.start("rule", quiet=True)

    async def start(self, trigger: str, quiet: bool = False) -> None:
        """Start a segment; ``quiet`` (by rule): a refusal is logged, not raised."""
        live, ctx = self.live, self.live.ctx
        rule = await self._rule()
        try:
            if self.active is not None:
                raise ApiError("the call is being recorded already", status=409, call=live.id)
            if trigger == "on_demand" and rule.mode == "never":
                raise ApiError("recording is switched off for this call (recording rule "
                               f"{rule.scope} {rule.target})".rstrip(), status=403,
                               call=live.id, field="recording_rule")
            if not ctx.records.recording_allowed:
                ctx.bus.publish("recording.skipped", call=live.id, reason="disk full")
                raise ApiError("the disk is full: no new recordings", status=507, call=live.id)
            legs = [x for x in (live.customer, live.agent_leg, live.third) if x is not None
                    and not x.ended.done()]
            if len(legs) < 2:
                raise ApiError("nobody to record yet", status=409, call=live.id)
            if rule.announce and not self.announced:
                self.announced = True
                await live.customer.play(live.cti.prompt("recording-notice"))
            stereo = rule.stereo and len(legs) == 2
            self._count += 1
            incoming, final = self._paths()
            await ctx.pool.record_legs(legs, str(incoming), stereo=stereo)
        except (ApiError, MediaError) as exc:
            if not quiet:
                raise
            log.error("call not recorded call=%s error=%s", live.id, exc)
            return
        seg = Segment(incoming, final, 2 if stereo else 1, trigger)
        self.active = seg
        rel = str(final.relative_to(ctx.cfg.recordings_dir))
        try:
            await live.cti.store.recording_started(
                rel, live.id, seg.channels, live.agent or "",
                live.queue.name if live.queue else "", live.direction, trigger, ctx.clock.wall())
        except Exception:  # noqa: BLE001 - metadata must not stop the recording
            log.exception("recording metadata not written call=%s", live.id)
        live._publish("recording.started", path=rel, trigger=trigger, channels=seg.channels)

    def _paths(self) -> tuple[Path, Path]:
        ctx, live = self.live.ctx, self.live
        incoming_dir = ctx.cfg.recordings_dir / ".incoming"
        incoming_dir.mkdir(parents=True, exist_ok=True)
        name = live.id if self._count == 1 else f"{live.id}-{self._count}"
        day = time.strftime("%Y/%m/%d", time.gmtime(ctx.clock.wall()))
        return incoming_dir / f"{name}.wav", ctx.cfg.recordings_dir / day / f"{name}.wav"

    async def stop(self) -> str | None:
        """Stop the active segment: final, moved into place, indexed; its relative path."""
        seg, self.active = self.active, None
        if seg is None:
            raise ApiError("the call is not being recorded", status=409, call=self.live.id)
        ctx = self.live.ctx
        try:
            seconds = await ctx.pool.stop_record(str(seg.incoming))
        except MediaError as exc:
            log.error("recording did not finish call=%s error=%s", self.live.id, exc)
            return None
        if not seg.incoming.exists():
            log.error("recording missing after stop call=%s path=%s", self.live.id,
                      seg.incoming)
            return None
        seg.final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(seg.incoming, seg.final)
        rel = str(seg.final.relative_to(ctx.cfg.recordings_dir))
        await ctx.records.recording(rel, self.live.id, float(seconds or 0.0))
        try:
            await self.live.cti.store.recording_ended(rel, ctx.clock.wall())
        except Exception:  # noqa: BLE001
            log.exception("recording metadata not updated call=%s", self.live.id)
        self.paths.append(rel)
        ctx.bus.publish("recording.ready", call=self.live.id, path=rel)
        return rel

    async def restart(self) -> None:
        """The parties changed: close the segment and record the new ones."""
        if self.active is None:
            return
        trigger = self.active.trigger
        await self.stop()
        await self.start(trigger, quiet=True)

    async def stop_all(self) -> None:
        if self.active is not None:
            await self.stop()
