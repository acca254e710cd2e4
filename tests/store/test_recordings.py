"""Recordings index: only finished files, sizes from the file itself."""
from __future__ import annotations

from pathlib import Path

import pytest

from firmware.errors import StoreError
from firmware.store import ValidationError
from tests.store.support import T0, StepClock, opened

CALL = "c0ffee00-0000-4000-8000-000000000001"


async def test_index_a_finished_file(tmp_path: Path) -> None:
    rec_dir = tmp_path / "var" / "recordings"
    (rec_dir / "2026/11/27").mkdir(parents=True)
    (rec_dir / "2026/11/27" / f"{CALL}.wav").write_bytes(b"RIFF" + bytes(1000))
    async with opened(tmp_path, clock=StepClock()) as store:
        rec = await store.recordings.index(f"2026/11/27/{CALL}.wav", CALL, 62.5)
        assert (rec.bytes, rec.seconds, rec.created_at) == (1004, 62.5, T0)
        assert await store.recordings.for_call(CALL) == [rec]
        assert await store.recordings.get(rec.path) == rec
        assert await store.recordings.list() == [rec]
        with pytest.raises(StoreError, match="already indexed"):
            await store.recordings.index(rec.path, CALL, 62.5)


@pytest.mark.parametrize("path", [".incoming/x.wav", "2026/11/27/x.wav.part", "../x.wav",
                                  "/var/x.wav", "2026//x.wav"])
async def test_unfinished_or_outside_paths_are_refused(tmp_path: Path, path: str) -> None:
    async with opened(tmp_path) as store:
        with pytest.raises(ValidationError) as err:
            await store.recordings.index(path, CALL, 1.0)
        assert err.value.field == "recording.path"
        assert await store.recordings.list() == []


async def test_a_missing_file_is_not_indexed(tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        with pytest.raises(StoreError, match="not there"):
            await store.recordings.index("2026/11/27/gone.wav", CALL, 1.0)
        assert await store.recordings.list() == []
