"""Uploaded prompt WAVs: what is kept, what sox converts, what is refused and why."""
from __future__ import annotations

import shutil
import struct
import subprocess
import wave
from pathlib import Path

import pytest

from firmware.wavfile import MAX_BYTES, WavError, WavFormat, checked_prompt_wav


def _pcm(path: Path, rate: int = 8000, channels: int = 1, width: int = 2,
         frames: int = 800) -> bytes:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(bytes(frames * channels * width))
    return path.read_bytes()


def test_16_bit_pcm_8k_mono_is_kept_as_is(tmp_path: Path) -> None:
    raw = _pcm(tmp_path / "a.wav")
    assert checked_prompt_wav(raw) == raw
    assert WavFormat.parse(raw) == WavFormat(1, 1, 8000, 16, 1600)


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox not installed")
@pytest.mark.parametrize("coding, tag", [("mu-law", 7), ("a-law", 6)])
def test_g711_is_converted_to_16_bit_pcm(tmp_path: Path, coding: str, tag: int) -> None:
    _pcm(tmp_path / "a.wav")
    subprocess.run(["sox", str(tmp_path / "a.wav"), "-e", coding, str(tmp_path / "g.wav")],
                   check=True)
    raw = (tmp_path / "g.wav").read_bytes()
    assert WavFormat.parse(raw).tag == tag
    out = WavFormat.parse(checked_prompt_wav(raw))
    assert (out.tag, out.rate, out.channels, out.bits, out.data_bytes) == (1, 8000, 1, 16, 1600)


@pytest.mark.parametrize("kw, said", [
    ({"rate": 16000}, "sample rate 16000 Hz (expected 8000 Hz)"),
    ({"channels": 2}, "2 channels (expected mono)"),
    ({"width": 1}, "8-bit PCM (expected 16-bit)"),
])
def test_other_formats_are_refused_naming_the_problem(tmp_path: Path, kw: dict[str, int],
                                                      said: str) -> None:
    with pytest.raises(WavError) as e:
        checked_prompt_wav(_pcm(tmp_path / "a.wav", **kw))
    assert said in str(e.value) and "sox in.wav -r 8000" in str(e.value)


def test_broken_files_are_refused_naming_what_is_missing(tmp_path: Path) -> None:
    raw = _pcm(tmp_path / "a.wav")
    cases = {b"ID3\x03" + raw[4:]: "no RIFF/WAVE header",
             raw[:12] + raw[36:]: "without a fmt chunk",
             raw[:44]: "without audio",
             raw[:12] + b"fmt " + struct.pack("<I", 4) + b"\x01\x00\x01\x00": "too short"}
    for bad, said in cases.items():
        with pytest.raises(WavError, match=said):
            checked_prompt_wav(bad)
    with pytest.raises(WavError, match="too large"):
        checked_prompt_wav(raw + bytes(MAX_BYTES))
    fmt = bytearray(raw)
    fmt[20:22] = (3).to_bytes(2, "little")                      # IEEE float
    with pytest.raises(WavError, match="coding 0x0003"):
        checked_prompt_wav(bytes(fmt))
