"""Caller ID receivers for FXO lines: FSK (Bell 202 / V.23) and DTMF.

``CallerIdReceiver`` runs the FSK demodulator (``_fsk``, compiled) and frames
its bytes into messages: it hunts for a message type byte (SDMF 0x04/0x06,
MDMF 0x80/0x82) past the seizure's 0x55 bytes, reads the length, the body and
the checksum, and returns ``(sample_offset, CallerIdMessage)``. A message that
fails its checksum or parse is counted in ``errors`` (and kept in
``last_error``) and dropped, as a phone does. ``DtmfCallerIdReceiver`` does
the same for ``A…C``/``D…C`` digit strings.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

from acd_core.callerid._fsk import FskDemodulator
from acd_core.callerid.messages import (MDMF_CALL_SETUP, MDMF_MWI, SDMF_CALL_SETUP, SDMF_MWI,
                                        CallerIdError, CallerIdMessage, DtmfCallerId,
                                        DtmfCallerIdCollector)
from acd_core.dtmf import DtmfDetector
from acd_core.g711 import alaw_to_linear, ulaw_to_linear

MESSAGE_TYPES = (SDMF_CALL_SETUP, SDMF_MWI, MDMF_CALL_SETUP, MDMF_MWI)
# A message stalls if its next byte does not come within this many samples
# (EN 300 659-1 allows up to 10 mark bits between bytes: 17 bit times here).
BYTE_TIMEOUT = 8000 * 17 // 1200


class CallerIdReceiver:
    """On-hook FSK caller ID for one line."""

    def __init__(self, standard: str = "bell202", sample_rate: int = 8000) -> None:
        self.standard = standard
        self._demod = FskDemodulator(standard, sample_rate)
        self._msg = bytearray()
        self._need = 0
        self._last = 0
        self.errors = 0
        self.last_error: Optional[CallerIdError] = None

    def process(self, samples) -> List[Tuple[int, CallerIdMessage]]:
        out = []
        for offset, byte in self._demod.process(samples):
            if self._msg and offset - self._last > BYTE_TIMEOUT:
                self._fail(CallerIdError("caller ID message cut off", offset=len(self._msg),
                                         field="body"))
            self._last = offset
            if not self._msg:
                if byte in MESSAGE_TYPES:
                    self._msg.append(byte)
                continue
            self._msg.append(byte)
            if len(self._msg) == 2:
                self._need = byte + 3
            if len(self._msg) == self._need:
                try:
                    out.append((offset, CallerIdMessage.parse(bytes(self._msg))))
                except CallerIdError as exc:
                    self._fail(exc)
                self._msg.clear()
        return out

    def process_alaw(self, data) -> List[Tuple[int, CallerIdMessage]]:
        return self.process(alaw_to_linear(data))

    def process_ulaw(self, data) -> List[Tuple[int, CallerIdMessage]]:
        return self.process(ulaw_to_linear(data))

    def _fail(self, exc: CallerIdError) -> None:
        self.errors += 1
        self.last_error = exc
        self._msg.clear()


class DtmfCallerIdReceiver:
    """DTMF caller ID (``A…C``, ``D…#``, ``B00C``, ``B10C``) for one line."""

    def __init__(self, sample_rate: int = 8000) -> None:
        self._dtmf = DtmfDetector(sample_rate)
        self._collector = DtmfCallerIdCollector()

    def process(self, samples) -> List[Tuple[int, DtmfCallerId]]:
        return self._collector.feed(self._dtmf.process(samples))

    def process_alaw(self, data) -> List[Tuple[int, DtmfCallerId]]:
        return self.process(alaw_to_linear(data))
