"""What a call flow writes about its call: stages, queue events, recordings, the CDR.

Every write goes through the ``RecordKeeper``, so a full or failing disk
delays records but never stops a call or raises into a flow. Each write takes
a snapshot of the record as it is now (the flow keeps changing its
``CallRecord``), and the stages are written as they happen: a daemon killed at
any instant leaves a ``calls_live`` row that says how far the call got, which
the next start turns into the call's CDR (``firmware/flows/reconcile.py``).
"""
from __future__ import annotations

from dataclasses import replace

from firmware.store import CallRecord, QueueEvent, Store
from firmware.store.keeper import RecordKeeper


class CallRecords:
    def __init__(self, store: Store, keeper: RecordKeeper) -> None:
        self.store = store
        self.keeper = keeper

    async def stage(self, rec: CallRecord, stage: str) -> None:
        """The call reached ``stage`` (started, answered, queued, connected, ended)."""
        snap = replace(rec)
        await self.keeper.write(f"call {rec.id} {stage}",
                                lambda: self.store.calls_live.put(snap, stage))

    async def finish(self, rec: CallRecord) -> None:
        """The call's CDR, replacing its live row in one transaction."""
        snap = replace(rec)
        await self.keeper.write(f"cdr {rec.id}", lambda: self.store.calls_live.finish(snap))

    async def queue_event(self, event: QueueEvent) -> None:
        await self.keeper.write(f"queue_log {event.call_id} {event.event}",
                                lambda: self.store.queue_log.append(event))

    async def recording(self, path: str, call_id: str, seconds: float) -> None:
        await self.keeper.write(f"recording {path}",
                                lambda: self.store.recordings.index(path, call_id, seconds))

    @property
    def recording_allowed(self) -> bool:
        """No new recordings while the disk is full: the call goes on unrecorded."""
        return not self.keeper.disk_full
