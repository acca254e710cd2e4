"""G.711 A-law and µ-law companding, bit-exact with CPython's ``audioop``.

Every B-channel on the E1 card, every FXO/FXS port and most SIP legs carry
G.711, so these four calls run on every 20 ms frame of every channel. They are
table lookups: decoding uses a 256-entry table per law; encoding uses a table
indexed by the top 13 (A-law) or 14 (µ-law) bits of the sample, which are all
that G.711 looks at.  The tables are computed here from the G.711 segment rules
(not copied from ``audioop``); the tests hold them against ``audioop`` on all
65,536 inputs, in both builds.

A 20 ms frame is 160 samples, so the cost that matters is per call, not per
sample: compiled, each call fills a new ``bytes`` object in place
(``_COMPILED`` branches; the pure-Python loops below them are the reference and
give the same octets).

Linear PCM is signed 16-bit little-endian, as on the wire and in ``audioop``
with width 2.  ``DBM0_PEAK`` fixes the level scale every detector and the tone
generator use: 0 dBm0 is a sine of peak 22 826 (3.14 dB below full scale).
"""
from __future__ import annotations

from array import array
from typing import Union

try:  # Cython's compile-time module; absent where only the pure module can run
    import cython
    _COMPILED = cython.compiled
except ImportError:  # pragma: no cover - the test environment has Cython
    _COMPILED = False

#: What the calls accept: anything exposing octets through the buffer protocol.
Buffer = Union[bytes, bytearray, memoryview, array]

#: Peak of a 0 dBm0 sine in 16-bit linear PCM: 3.14 dB below full scale, the
#: A-law digital milliwatt of G.711 (µ-law's is 3.17 dB; the 0.03 dB is ignored).
DBM0_PEAK = 32767.0 * 10.0 ** (-3.14 / 20.0)


def dbm0_to_peak(level_dbm0: float) -> float:
    """Peak amplitude in 16-bit PCM of a sine at ``level_dbm0``."""
    return DBM0_PEAK * 10.0 ** (level_dbm0 / 20.0)


# Segment end points of G.711 table 1a/2a, for the 13-bit (A-law) and 14-bit
# (µ-law) magnitudes the encoders see.
_SEG_AEND = (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF)
_SEG_UEND = (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF)
_ULAW_BIAS = 0x84  # G.711 µ-law bias (132) in 16-bit units; 33 in 14-bit units


def _segment(value: int, ends: tuple) -> int:
    for seg, end in enumerate(ends):
        if value <= end:
            return seg
    return 8


def _alaw_encode13(pcm: int) -> int:
    """A-law code of a 13-bit two's complement sample (even bits inverted)."""
    if pcm >= 0:
        mask = 0xD5
    else:
        mask = 0x55
        pcm = -pcm - 1
    seg = _segment(pcm, _SEG_AEND)
    if seg >= 8:
        return 0x7F ^ mask
    code = seg << 4
    code |= (pcm >> 1 if seg < 2 else pcm >> seg) & 0x0F
    return code ^ mask


def _ulaw_encode14(pcm: int) -> int:
    """µ-law code of a 14-bit two's complement sample (all bits inverted)."""
    if pcm < 0:
        pcm = -pcm
        mask = 0x7F
    else:
        mask = 0xFF
    pcm += _ULAW_BIAS >> 2
    seg = _segment(pcm, _SEG_UEND)
    if seg >= 8:
        return 0x7F ^ mask
    return ((seg << 4) | ((pcm >> (seg + 1)) & 0x0F)) ^ mask


def _alaw_decode(code: int) -> int:
    code ^= 0x55
    mag = (code & 0x0F) << 4
    seg = (code & 0x70) >> 4
    if seg == 0:
        mag += 8
    else:
        mag = (mag + 0x108) << (seg - 1)
    return mag if code & 0x80 else -mag


def _ulaw_decode(code: int) -> int:
    code = ~code & 0xFF
    mag = (((code & 0x0F) << 3) + _ULAW_BIAS) << ((code & 0x70) >> 4)
    return _ULAW_BIAS - mag if code & 0x80 else mag - _ULAW_BIAS


# Decode tables: code -> int16 as two little-endian octets (512 bytes).
# Encode tables, indexed by the sample's top bits as an unsigned number:
# (sample + 32768) >> 3 -> A-law code, (sample + 32768) >> 2 -> µ-law code.
ALAW_DECODE = array("h", [_alaw_decode(c) for c in range(256)])
ULAW_DECODE = array("h", [_ulaw_decode(c) for c in range(256)])
_ALAW_DECODE_LE = b"".join((v & 0xFFFF).to_bytes(2, "little") for v in ALAW_DECODE)
_ULAW_DECODE_LE = b"".join((v & 0xFFFF).to_bytes(2, "little") for v in ULAW_DECODE)
ALAW_ENCODE = bytes(_alaw_encode13(v - 4096) for v in range(8192))
ULAW_ENCODE = bytes(_ulaw_encode14(v - 8192) for v in range(16384))
_ALAW_ENCODE = ALAW_ENCODE   # module-level C references when compiled (see g711.pxd)
_ULAW_ENCODE = ULAW_ENCODE


def _octets(data):
    """bytes or bytearray as they are (the compiled loops read them in place)."""
    if type(data) is bytes or type(data) is bytearray:
        return data
    return memoryview(data).tobytes()


def _expand(data, table):
    if type(data) is bytes:      # what the media path passes: no generic look-ups
        frame = data
        n = len(frame)
        src = frame
    else:
        buf = _octets(data)
        n = len(buf)
        src = buf
    if _COMPILED:
        # One call per 20 ms frame of every channel: the fixed cost is the point.
        # Fill a new bytes object in place (no bytearray, no copy) and move each
        # sample as one 16-bit word of the little-endian table (byte order is
        # kept whatever the host's, since the word is read and written alike).
        # cimported by g711.pxd, so only the compiled build (this branch) has the name
        res = PyBytes_FromStringAndSize(cython.NULL, 2 * n)  # type: ignore[name-defined]  # noqa: F821
        wdst = cython.cast(cython.p_ushort, cython.cast(cython.p_char, res))
        wtab = cython.cast(cython.p_ushort, cython.cast(cython.p_char, table))
        for i in range(n):
            wdst[i] = wtab[src[i]]
        return res
    out = bytearray(2 * n)
    dst = out
    tab = table
    for i in range(n):
        c = src[i] << 1
        dst[2 * i] = tab[c]
        dst[2 * i + 1] = tab[c + 1]
    return bytes(out)


def _compress(pcm16le, table, shift):
    if type(pcm16le) is bytes:
        frame = pcm16le
        n = len(frame)
        src = frame
    else:
        buf = _octets(pcm16le)
        n = len(buf)
        src = buf
    if n % 2:
        raise ValueError(f"linear PCM must be whole 16-bit samples, got {n} bytes")
    n >>= 1
    tab = table
    if _COMPILED:
        # cimported by g711.pxd, so only the compiled build (this branch) has the name
        res = PyBytes_FromStringAndSize(cython.NULL, n)  # type: ignore[name-defined]  # noqa: F821
        rdst = cython.cast(cython.p_uchar, cython.cast(cython.p_char, res))
        for i in range(n):
            u = (src[2 * i] | (src[2 * i + 1] << 8)) ^ 0x8000
            rdst[i] = tab[u >> shift]
        return res
    out = bytearray(n)
    dst = out
    for i in range(n):
        # (sample + 32768) of a little-endian two's complement sample, as unsigned.
        u = (src[2 * i] | (src[2 * i + 1] << 8)) ^ 0x8000
        dst[i] = tab[u >> shift]
    return bytes(out)


def alaw_to_linear(data: Buffer) -> bytes:
    """A-law octets -> signed 16-bit little-endian PCM (same as ``audioop.alaw2lin(data, 2)``)."""
    return _expand(data, _ALAW_DECODE_LE)


def ulaw_to_linear(data: Buffer) -> bytes:
    """µ-law octets -> signed 16-bit little-endian PCM (same as ``audioop.ulaw2lin(data, 2)``)."""
    return _expand(data, _ULAW_DECODE_LE)


def linear_to_alaw(pcm16le: Buffer) -> bytes:
    """Signed 16-bit little-endian PCM -> A-law (same as ``audioop.lin2alaw(pcm, 2)``).

    Raises ValueError on an odd byte count.
    """
    return _compress(pcm16le, _ALAW_ENCODE, 3)


def linear_to_ulaw(pcm16le: Buffer) -> bytes:
    """Signed 16-bit little-endian PCM -> µ-law (same as ``audioop.lin2ulaw(pcm, 2)``).

    Raises ValueError on an odd byte count.
    """
    return _compress(pcm16le, _ULAW_ENCODE, 2)
