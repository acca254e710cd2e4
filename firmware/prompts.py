"""Audio prompts: generated on the box, never committed.

IVR prompts are spoken by espeak-ng and converted by sox to what the media
nodes' 8 kHz bridge plays without resampling (WAV, 8 kHz, mono, 16-bit).
Music on hold is synthesised here (a slow arpeggio) so the box has some
without shipping a recording whose licence we would have to track.
"""
from __future__ import annotations

import math
import os
import shutil
import subprocess
import wave
from pathlib import Path

from firmware.errors import CallboxError

RATE = 8000


class PromptError(CallboxError):
    """A prompt could not be generated; carries ``path`` and ``tool``."""


def speak(text: str, path: Path, voice: str = "en-us", speed: int = 150) -> Path:
    """Render ``text`` to an 8 kHz mono WAV at ``path`` (atomically)."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise PromptError(f"{tool} is not installed; it is needed to generate prompts",
                              path=str(path), tool=tool)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = path.with_name(path.stem + f".{os.getpid()}.espeak.wav")
    tmp = path.with_name(path.stem + f".{os.getpid()}.tmp.wav")
    try:
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text],
                       check=True, capture_output=True, timeout=60)
        subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16",
                        "-e", "signed-integer", str(tmp)],
                       check=True, capture_output=True, timeout=60)
    except subprocess.CalledProcessError as exc:
        raise PromptError(f"prompt generation failed: {exc.stderr.decode(errors='replace').strip()}",
                          path=str(path), tool=str(exc.cmd[0])) from None
    finally:
        raw.unlink(missing_ok=True)
    tmp.replace(path)
    return path


def tone(path: Path, freq: float, seconds: float, level: float = 0.25) -> Path:
    """A plain sine tone (the voicemail beep), faded in and out over 5 ms."""
    n = int(seconds * RATE)
    fade = int(0.005 * RATE)
    samples = bytearray()
    for i in range(n):
        env = min(1.0, i / fade, (n - 1 - i) / fade) if fade else 1.0
        v = level * 32767 * env * math.sin(2 * math.pi * freq * i / RATE)
        samples += int(v).to_bytes(2, "little", signed=True)
    return _write_wav(path, bytes(samples))


def _write_wav(path: Path, pcm: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.wav")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm)
    tmp.replace(path)
    return path


def music_on_hold(path: Path, seconds: float = 16.0) -> Path:
    """A gentle arpeggio (C major / A minor), -18 dBFS, looped by the player."""
    notes = [261.63, 329.63, 392.00, 523.25, 220.00, 261.63, 329.63, 440.00]
    note_len = 0.5
    samples = bytearray()
    total = int(seconds * RATE)
    amp = 0.125 * 32767
    n_note = int(note_len * RATE)
    for i in range(total):
        f = notes[(i // n_note) % len(notes)]
        pos = (i % n_note) / n_note
        envelope = min(1.0, pos * 20) * (1.0 - pos) ** 1.5
        v = amp * envelope * (math.sin(2 * math.pi * f * i / RATE)
                              + 0.3 * math.sin(4 * math.pi * f * i / RATE))
        samples += int(max(-32767, min(32767, v))).to_bytes(2, "little", signed=True)
    return _write_wav(path, bytes(samples))
