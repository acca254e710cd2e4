"""Recordings in a node: WAV recorders fed from legs, mixed or one per party.

A pjsua2 ``AudioMediaRecorder`` writes what the bridge sends it as one mono
channel, so a mixed recording is one recorder fed by every member leg, and a
stereo recording (caller left, agent right) is two recorders, one per leg,
created and connected in the same main-loop step: both start on the same
bridge tick, so their samples line up and the daemon interleaves them into one
two-channel WAV once both are final (``firmware/media/stereo.py``). The node
reports ``recording_done`` for the recording's own path when every file of it
is final; for a stereo recording that path does not exist yet (the daemon
writes it from ``<path>.left.wav`` and ``<path>.right.wav``).

A recorder completes its WAV header only when destroyed, so stopping drops it
and ``reap`` waits (``media.finalize``) for the header, repairing it from the
file length if it never comes (docs/reference/pjsua2.md#gotchas).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable

import pjsua2 as pj

from firmware.media import wavfile
from firmware.media.paths import CommandError
from firmware.media.protocol import Event, ProtocolError
from firmware.timers import TIMERS


def stereo_files(path: str) -> tuple[str, str]:
    """The two mono halves of the stereo recording ``path`` (``x.wav`` -> ``x.left.wav``...)."""
    stem = path[:-len(".wav")]
    return f"{stem}.left.wav", f"{stem}.right.wav"


@dataclass
class Recording:
    files: list[str]
    recorders: list[Any]                 # held until stopped, even after a member leg ended
    pairs: list[tuple[int, Any]] = field(default_factory=list)   # (leg, recorder it feeds)


class Recorders:
    """Mixed into ``NodeEngine``; needs ``legs``, ``_leg``, ``reconcile``, ``_clock``, ``_log``,
    ``_send``."""

    legs: dict[int, Any]
    _leg: Callable[[int], Any]
    reconcile: Callable[[Any], None]
    _log: Callable[..., None]
    _send: Callable[[Any], None]
    _clock: Any

    def _init_recorders(self) -> None:
        self._recorders: dict[str, Recording] = {}
        self._finalizing: dict[str, tuple[float, list[str]]] = {}

    def _recorder_targets(self, path: str, leg_no: int) -> list[Any]:
        rec = self._recorders.get(path)
        return [] if rec is None else [r for n, r in rec.pairs if n == leg_no]

    def _cmd_record_start(self, legs: list[int], path: str, stereo: bool = False) -> None:
        members = [self._leg(n) for n in legs]
        files = list(stereo_files(path)) if stereo else [path]
        if path in self._recorders or path in self._finalizing or any(
                os.path.exists(f) for f in [path, *files]):
            raise CommandError(f"record_start: {path} exists already")
        if not os.path.isdir(os.path.dirname(path)):
            raise CommandError(f"record_start: no directory {os.path.dirname(path)}")
        recorders = []
        for f in files:
            rec = pj.AudioMediaRecorder()
            rec.createRecorder(f)
            recorders.append(rec)
        if stereo:
            pairs = [(m.no, r) for m, r in zip(members, recorders)]
        else:
            pairs = [(m.no, recorders[0]) for m in members]
        self._recorders[path] = Recording(files, recorders, pairs)
        for m in members:
            m.recorders.add(path)
            self.reconcile(m)
        self._log("info", "record_start", path=path, legs=",".join(str(n) for n in legs),
                  stereo=stereo)

    def _cmd_record_stop(self, path: str) -> None:
        if path not in self._recorders:
            raise CommandError(f"record_stop: not recording {path}")
        self._finish_recording(path)

    def _finish_recording(self, path: str) -> None:
        rec = self._recorders.pop(path)
        for n, recorder in rec.pairs:
            leg = self.legs.get(n)
            if leg is not None:
                leg.recorders.discard(path)
                if leg.am is not None:
                    try:
                        leg.am.stopTransmit(recorder)
                    except pj.Error:
                        pass
        rec.pairs.clear()
        rec.recorders.clear()   # the WAV writers complete their headers when destroyed
        self._finalizing[path] = (self._clock.now() + TIMERS["media.finalize"], rec.files)

    def _leg_left_recordings(self, leg: Any) -> None:
        for path in list(leg.recorders):
            rec = self._recorders.get(path)
            if rec is not None:
                rec.pairs[:] = [(n, r) for n, r in rec.pairs if n != leg.no]
        leg.recorders.clear()

    def _reap_recordings(self, now: float) -> None:
        for path, (deadline, files) in list(self._finalizing.items()):
            lengths = [wavfile.final_seconds(f) for f in files]
            if any(s is None for s in lengths) and now < deadline:
                continue
            for i, (f, seconds) in enumerate(zip(files, lengths)):
                if seconds is None:
                    self._log("warning", "recording_header_repaired", path=f)
                    try:
                        lengths[i] = wavfile.repair(f)
                    except (OSError, ProtocolError) as exc:
                        self._log("error", "recording_lost", path=f, error=exc)
                        lengths[i] = 0.0
            del self._finalizing[path]
            seconds = max(s or 0.0 for s in lengths)
            self._log("info", "recording_done", path=path, seconds=f"{seconds:.2f}")
            self._send(Event("recording_done", {"path": path, "seconds": round(seconds, 3)}))
