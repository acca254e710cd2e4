"""spandsp's DTMF receiver through ctypes: the reference our receiver is timed against.

spandsp (Debian ``libspandsp2``, in the Makefile's system packages) is the DSP
library of FreeSWITCH and Asterisk's fax stack; its ``dtmf_rx`` is what a
soft switch would run on our channels. Only the benchmark uses it: our tests
judge accuracy against the spec, not against another receiver.
"""
from __future__ import annotations

import ctypes
import ctypes.util
from typing import Optional

_LIB: Optional[ctypes.CDLL] = None


class SpandspMissing(RuntimeError):
    """libspandsp is not installed (Debian package libspandsp2)."""


def lib() -> ctypes.CDLL:
    global _LIB
    if _LIB is None:
        name = ctypes.util.find_library("spandsp") or "libspandsp.so.2"
        try:
            so = ctypes.CDLL(name)
        except OSError as exc:
            raise SpandspMissing(f"cannot load {name}: {exc} (apt-get install libspandsp2)") from exc
        so.dtmf_rx_init.restype = ctypes.c_void_p
        so.dtmf_rx_init.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        so.dtmf_rx.restype = ctypes.c_int
        so.dtmf_rx.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        so.dtmf_rx_get.restype = ctypes.c_size_t
        so.dtmf_rx_get.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        so.dtmf_rx_free.restype = ctypes.c_int
        so.dtmf_rx_free.argtypes = [ctypes.c_void_p]
        _LIB = so
    return _LIB


class DtmfRx:
    """One ``dtmf_rx_state_t`` with spandsp's defaults; digits queue inside it
    (up to 128) and are read with :meth:`digits`."""

    def __init__(self) -> None:
        self._lib = lib()
        self.state = self._lib.dtmf_rx_init(None, None, None)
        if not self.state:
            raise MemoryError("dtmf_rx_init returned NULL")
        self.rx = self._lib.dtmf_rx          # bound once: the loop calls it per frame

    def process(self, pcm16le: bytes) -> None:
        """Feed little-endian int16 samples (the host's order on x86)."""
        self.rx(self.state, pcm16le, len(pcm16le) // 2)

    def digits(self) -> str:
        buf = ctypes.create_string_buffer(130)
        n = self._lib.dtmf_rx_get(self.state, buf, 128)
        return buf.raw[:n].decode("ascii")

    def close(self) -> None:
        if self.state:
            self._lib.dtmf_rx_free(self.state)
            self.state = None

    def __enter__(self) -> "DtmfRx":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
