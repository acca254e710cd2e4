"""The clock-thread helpers that need no running library: frame reads and the detector hook."""
from __future__ import annotations

import pjsua2 as pj
import pytest

from firmware.media.frames import FRAME_BYTES, load_detector_factory, vec_bytes


@pytest.mark.parametrize("data", [b"", b"\x01", bytes(range(256)) + b"\x00\xff",
                                  bytes(FRAME_BYTES)])
def test_vector_memory_read_equals_the_slow_copy(data: bytes) -> None:
    vec = pj.ByteVector(data)
    assert vec_bytes(vec) == bytes(vec) == data


def test_inband_detector_is_wired_when_acd_core_has_it() -> None:
    factory, state = load_detector_factory()
    assert state == "enabled" and factory is not None
    assert factory().process(bytes(FRAME_BYTES)) == []
