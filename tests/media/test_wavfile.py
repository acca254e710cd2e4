"""Finished-recording check and salvage of a WAV whose writer was killed."""
from __future__ import annotations

import struct
import wave
from pathlib import Path

import pytest

from firmware.media import wavfile
from firmware.media.protocol import ProtocolError


def _write(path: Path, samples: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(struct.pack(f"<{samples}h", *([1000] * samples)))


def _as_killed_writer(path: Path) -> None:
    """What a WAV writer leaves when killed: zero sizes in the header, samples after it."""
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, 4, 0)
    struct.pack_into("<I", data, 40, 0)
    path.write_bytes(bytes(data))


def test_complete_file_is_final_with_its_length(tmp_path: Path) -> None:
    p = tmp_path / "a.wav"
    _write(p, 16000)
    assert wavfile.final_seconds(p) == pytest.approx(2.0)


def test_killed_writer_leaves_a_file_that_is_not_final(tmp_path: Path) -> None:
    p = tmp_path / "a.wav"
    _write(p, 8000)
    _as_killed_writer(p)
    assert wavfile.final_seconds(p) is None


def test_repair_restores_what_was_written_and_wave_reads_it(tmp_path: Path) -> None:
    p = tmp_path / "a.wav"
    _write(p, 8000)
    _as_killed_writer(p)
    with open(p, "ab") as f:
        f.write(b"\x01")          # half a sample flushed when the process died
    assert wavfile.repair(p) == pytest.approx(1.0)
    assert wavfile.final_seconds(p) == pytest.approx(1.0)
    with wave.open(str(p), "rb") as w:
        assert w.getnframes() == 8000


def test_file_that_is_not_riff_is_refused_at_offset_zero(tmp_path: Path) -> None:
    p = tmp_path / "a.wav"
    p.write_bytes(b"OggS" + bytes(100))
    with pytest.raises(ProtocolError, match="not a RIFF/WAVE file") as err:
        wavfile.layout(p)
    assert err.value.offset == 0
    assert wavfile.final_seconds(p) is None


def test_missing_file_is_not_final(tmp_path: Path) -> None:
    assert wavfile.final_seconds(tmp_path / "none.wav") is None
