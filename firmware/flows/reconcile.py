"""What the last run left behind, turned into records before the box serves again.

A daemon that died mid-call leaves a ``calls_live`` row per call in progress,
queue events without their closing event, and recordings still in
``recordings/.incoming/``. At start, before any call is taken:

- a call whose row says ``ended`` had finished: its CDR is written as the
  flow had it (the daemon died while finishing the recording or the record);
- any other row becomes a ``failed`` CDR, hung up by the system, "interrupted
  by restart (<stage>)", ended at the time of its last stage;
- a call with queue events but no closing one gets ``INTERRUPTED``;
- each recording in ``.incoming/`` is made final (header rewritten from the
  file length), moved into its dated folder and indexed against its call (the
  file name is the call's id), and the CDR points at it; a file whose call has
  no record is indexed all the same and reported.

Idempotent: run twice, the second run finds nothing.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

from firmware.events import EventBus
from firmware.media import wavfile
from firmware.media.protocol import ProtocolError
from firmware.store import CallRecord, QueueEvent, Store
from firmware.store.queue_log import CLOSING

log = logging.getLogger("callbox.flows.reconcile")


@dataclass
class Reconciled:
    calls_finished: int = 0       # had ended, CDR written now
    calls_interrupted: int = 0    # were in progress: failed CDRs
    queue_closed: int = 0
    recordings_indexed: int = 0
    recordings_orphaned: int = 0
    recordings_lost: int = 0


async def reconcile(store: Store, recordings_dir: Path, bus: EventBus) -> Reconciled:
    done = Reconciled()
    for live in await store.calls_live.left_over():
        rec = replace(live.record)
        if live.stage == "ended":
            done.calls_finished += 1
        else:
            rec.disposition, rec.hangup_by = "failed", "system"
            rec.failure_reason = f"interrupted by restart ({live.stage})"
            done.calls_interrupted += 1
        if not rec.ended_at:                  # the time of its last stage, at the latest
            rec.ended_at = max(live.updated_at, rec.started_at, rec.answered_at or 0.0,
                               rec.ring_started_at or 0.0, rec.agent_answered_at or 0.0)
        rec.recording = await _recording_for(store, recordings_dir, rec.id, done) or rec.recording
        if rec.queue and await _close_queue(store, rec, live.stage, live.updated_at):
            done.queue_closed += 1
        await store.calls_live.finish(rec)
        log.warning("call record completed after a restart call=%s stage=%s disposition=%s",
                    rec.id, live.stage, rec.disposition)
    for path in sorted((recordings_dir / ".incoming").glob("*.wav")):
        if await store.cdr.get(path.stem) is None:
            log.error("recording without a call record indexed path=%s", path)
            done.recordings_orphaned += 1
        rel = await _publish(store, recordings_dir, path, done)
        if rel:
            bus.publish("recording.ready", call=path.stem, path=rel, after_restart=True)
    if any(vars(done).values()):
        bus.publish("system.reconciled", **vars(done))
        log.warning("reconciled what the last run left %s",
                    " ".join(f"{k}={v}" for k, v in vars(done).items()))
    return done


async def _recording_for(store: Store, recordings_dir: Path, call_id: str,
                         done: Reconciled) -> str | None:
    path = recordings_dir / ".incoming" / f"{call_id}.wav"
    return await _publish(store, recordings_dir, path, done) if path.exists() else None


async def _publish(store: Store, recordings_dir: Path, path: Path,
                   done: Reconciled) -> str | None:
    """Make a left-over recording final, move it to its dated folder, index it."""
    try:
        lay = wavfile.layout(path)
        seconds = lay.seconds if lay.final else wavfile.repair(str(path))
    except (OSError, ProtocolError) as exc:
        log.error("left-over recording unreadable, kept where it is path=%s error=%s",
                  path, exc)
        done.recordings_lost += 1
        return None
    day = time.strftime("%Y/%m/%d", time.gmtime(path.stat().st_mtime))
    final = recordings_dir / day / path.name
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, final)
    rel = str(final.relative_to(recordings_dir))
    await store.recordings.index(rel, path.stem, float(seconds))
    done.recordings_indexed += 1
    return rel


async def _close_queue(store: Store, rec: CallRecord, stage: str, at: float) -> bool:
    events = await store.queue_log.for_call(rec.id)
    if not events or events[-1].event in CLOSING:
        return False
    await store.queue_log.append(QueueEvent(
        ts=max(at, events[-1].ts), call_id=rec.id, queue=rec.queue, event="INTERRUPTED",
        agent=rec.agent, wait_s=rec.wait_s or None, info=f"daemon restart ({stage})"))
    return True
