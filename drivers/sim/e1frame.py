"""E1 line framing (G.704/G.706) at multiframe granularity.

The cable moves one CRC-4 multiframe at a time: 16 frames of 32 octets = 512
octets = 2 ms. Timeslot 0 carries:

* even frames: FAS ``C 0 0 1 1 0 1 1`` (C = CRC-4 bit, or Si = 1 without CRC-4);
* odd frames: NFAS ``Si 1 A Sa4..Sa8`` with A = remote alarm (RAI); with CRC-4
  Si of frames 1,3,5,7,9,11 carries the multiframe word 001011 and of frames 13
  and 15 the E bits (0 = the far end received that sub-multiframe with a CRC error).

CRC-4 (x^4 + x + 1) is computed over each 8-frame sub-multiframe with its C bits
set to 0 and sent in the C bits of the next one.

:class:`E1Receiver` applies the alignment rules the framer does: LOS when a
multiframe has fewer than 22 ones (PCR), AIS when every 512-bit block has fewer
than 3 zeros (G.775), loss of frame alignment after 3 (RC0.ASY4: 4) consecutive
bad FAS words, regained on FAS / NFAS bit 2 / FAS, CRC-4 multiframe found when
two multiframes in a row carry 001011 and lost (NMF) after 8 ms without it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from drivers.sim.steady import StateTable

FRAME = 32
MF_FRAMES = 16
MF_OCTETS = FRAME * MF_FRAMES
MF_SECONDS = 0.002
FAS = 0x1B
MFAS_BITS = (0, 0, 1, 0, 1, 1)   # Si of frames 1, 3, 5, 7, 9, 11


def _crc4_table() -> list[int]:
    table = []
    for i in range(256):
        reg = i << 4            # i · x^4
        for bit in range(11, 3, -1):
            if reg & (1 << bit):
                reg ^= 0x13 << (bit - 4)
        table.append(reg & 0xF)
    return table


_CRC4 = _crc4_table()
_crc_cache: dict[bytes, int] = {}


def crc4(data: bytes) -> int:
    """CRC-4 remainder of data·x^4 (MSB first), C1 = bit 3."""
    r = 0
    t = _CRC4
    for b in data:
        r = t[(r << 4) ^ b]
    return r


def smf_crc(smf: bytes | bytearray) -> int:
    """CRC-4 of one sub-multiframe (256 octets) with its four C bits zeroed."""
    z = bytearray(smf)
    for f in (0, 2, 4, 6):
        z[f * FRAME] &= 0x7F
    key = bytes(z)
    v = _crc_cache.get(key)
    if v is None:
        if len(_crc_cache) > 256:
            _crc_cache.clear()
        v = _crc_cache[key] = crc4(key)
    return v


@dataclass
class Ts0Tx:
    """Builds timeslot 0 of each outgoing multiframe."""

    crc4: bool = True
    rai: bool = False
    sa: int = 0x1F
    _prev_crc: int = 0
    e_bits: list[int] = field(default_factory=list)  # queued 0s to report, 1 = ok
    corrupt_fas: int = 0       # one-shot insertions
    corrupt_crc: int = 0
    corrupt_mfas: int = 0

    def nfas(self, si: int) -> int:
        return (si << 7) | 0x40 | (0x20 if self.rai else 0) | (self.sa & 0x1F)

    def fill(self, mf: bytearray) -> None:
        """Write TS0 of all 16 frames of ``mf`` (payload already in place)."""
        if not self.crc4:
            for f in range(MF_FRAMES):
                mf[f * FRAME] = (0x80 | FAS) if f % 2 == 0 else self.nfas(1)
            if self.corrupt_fas:
                mf[0] ^= 0x01
                self.corrupt_fas -= 1
            return
        e = [self.e_bits.pop(0) if self.e_bits else 1 for _ in range(2)]
        for half in (0, 1):
            base = half * 8
            crc = self._prev_crc
            if self.corrupt_crc:
                crc ^= 0x8
                self.corrupt_crc -= 1
            for k, f in enumerate(range(base, base + 8, 2)):
                c = (crc >> (3 - k)) & 1
                mf[f * FRAME] = (c << 7) | FAS
            for f in range(base + 1, base + 8, 2):
                idx = f // 2
                if idx < 6:
                    si = MFAS_BITS[idx]
                    if self.corrupt_mfas and idx == 0:
                        si ^= 1
                else:
                    si = e[idx - 6]
                mf[f * FRAME] = self.nfas(si)
            if half == 0 and self.corrupt_fas:
                mf[0] ^= 0x01
                self.corrupt_fas -= 1
            self._prev_crc = smf_crc(mf[base * FRAME:(base + 8) * FRAME])
        if self.corrupt_mfas:
            self.corrupt_mfas -= 1


TS0_STATE = StateTable(
    "Ts0Tx",
    key=("crc4", "rai", "sa", "_prev_crc", "corrupt_fas", "corrupt_crc", "corrupt_mfas"),
    copied={"e_bits": tuple},
    ignored={})


@dataclass
class RxResult:
    los: bool = False
    ais: bool = False
    lfa: bool = False
    rra: bool = False
    nmf: bool = False
    fas_errors: int = 0
    crc_errors: int = 0
    ebit_errors: int = 0
    crc_blocks: int = 0
    frame_aligned_again: bool = False


class E1Receiver:
    def __init__(self) -> None:
        self.crc4 = True
        self.asy4 = False
        self.lfa = True
        self.los = True
        self.ais = False
        self.rra = False
        self.mf_aligned = False
        self._bad_fas = 0
        self._mfas_miss = 0
        self._mfas_hits = 0
        self._pending_crc: int | None = None
        self.e_bits_to_send: list[int] = []
        self.last = RxResult(los=True, lfa=True)

    def receive(self, mf: bytes) -> RxResult:
        res = RxResult()
        ones = int.from_bytes(mf, "big").bit_count()
        res.los = ones < 22
        if not res.los and ones > MF_OCTETS * 8 - 24:
            res.ais = all(int.from_bytes(mf[i:i + 64], "big").bit_count() > 509
                          for i in range(0, MF_OCTETS, 64))
        if res.los or res.ais:
            self.lfa = True
            self.mf_aligned = False
            self._pending_crc = None
            self._mfas_hits = 0
        else:
            self._frame_alignment(mf, res)
        res.lfa = self.lfa
        if not self.lfa:
            odd_a = sum(1 for f in range(1, MF_FRAMES, 2) if mf[f * FRAME] & 0x20)
            res.rra = odd_a >= 4
            if self.crc4:
                self._multiframe(mf, res)
        res.nmf = self.crc4 and not self.mf_aligned
        self.los, self.ais, self.rra = res.los, res.ais, res.rra
        self.last = res
        return res

    def _frame_alignment(self, mf: bytes, res: RxResult) -> None:
        limit = 4 if self.asy4 else 3
        for f in range(0, MF_FRAMES, 2):
            ok = (mf[f * FRAME] & 0x7F) == FAS
            if not self.lfa:
                if ok:
                    self._bad_fas = 0
                else:
                    res.fas_errors += 1
                    self._bad_fas += 1
                    if self._bad_fas >= limit:
                        self.lfa = True
                        self.mf_aligned = False
                        self._pending_crc = None
            elif ok and f + 2 < MF_FRAMES:
                # regain: FAS, then NFAS with bit 2 set, then FAS again
                if mf[(f + 1) * FRAME] & 0x40 and (mf[(f + 2) * FRAME] & 0x7F) == FAS:
                    self.lfa = False
                    self._bad_fas = 0
                    res.frame_aligned_again = True

    def _multiframe(self, mf: bytes, res: RxResult) -> None:
        si = [mf[f * FRAME] >> 7 for f in range(1, 12, 2)]
        if tuple(si) == MFAS_BITS:
            self._mfas_miss = 0
            self._mfas_hits += 1
            if self._mfas_hits >= 2:
                self.mf_aligned = True
        else:
            self._mfas_hits = 0
            self._mfas_miss += 1
            if self._mfas_miss >= 4:
                self.mf_aligned = False
                self._pending_crc = None
        if not self.mf_aligned:
            return
        for half in (0, 1):
            base = half * 8
            c = 0
            for f in range(base, base + 8, 2):
                c = (c << 1) | (mf[f * FRAME] >> 7)
            if self._pending_crc is not None:
                res.crc_blocks += 1
                if c != self._pending_crc:
                    res.crc_errors += 1
                    self.e_bits_to_send.append(0)
                else:
                    self.e_bits_to_send.append(1)
            self._pending_crc = smf_crc(mf[base * FRAME:(base + 8) * FRAME])
        for f in (13, 15):
            if not mf[f * FRAME] >> 7:
                res.ebit_errors += 1
        if len(self.e_bits_to_send) > 64:
            del self.e_bits_to_send[:-64]


RECEIVER_STATE = StateTable(
    "E1Receiver",
    key=("crc4", "asy4", "lfa", "los", "ais", "rra", "mf_aligned", "_bad_fas", "_pending_crc",
         "last"),
    copied={"e_bits_to_send": tuple},
    saturating={"_mfas_hits": 2, "_mfas_miss": 4},   # read only as ">= 2" and ">= 4"
    ignored={})
