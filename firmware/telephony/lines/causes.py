"""Q.850 causes and SIP status codes, both ways, for calls that cross a line.

A flow speaks SIP codes (``Channel.reject(404)``, a leg that ended ``486``) and
Q.850 causes (``Channel.hangup(16)``); a line speaks causes only. The pairs
are RFC 3398's (section 7.2.4.1 for cause -> status, 8.2.6.1 for status ->
cause), reduced to what the flows use.
"""
from __future__ import annotations

NORMAL_CLEARING = 16

SIP_TO_CAUSE: dict[int, int] = {
    400: 41, 401: 21, 402: 21, 403: 21, 404: 1, 405: 63, 406: 79, 407: 21, 408: 102,
    410: 22, 413: 127, 414: 28, 415: 79, 416: 127, 420: 127, 421: 127, 423: 127,
    480: 18, 483: 127, 484: 28, 485: 1, 486: 17, 487: 127, 488: 127, 500: 41, 501: 79,
    502: 38, 503: 41, 504: 102, 505: 127, 513: 127, 600: 17, 603: 21, 604: 1, 606: 58,
}

CAUSE_TO_SIP: dict[int, int] = {
    1: 404, 2: 404, 3: 404, 17: 486, 18: 408, 19: 480, 20: 480, 21: 403, 22: 410,
    26: 404, 27: 502, 28: 484, 29: 501, 31: 480, 34: 503, 38: 503, 41: 503, 42: 503,
    44: 503, 47: 503, 55: 403, 57: 403, 58: 503, 65: 488, 69: 501, 79: 501, 88: 488,
    102: 504, 111: 500, 127: 500,
}

#: Causes that mean "this group cannot carry the call now" (no circuit, network out
#: of order, temporary failure, congestion, channel not available, resources
#: unavailable): the route's next trunk group is tried (``GroupBusy``).
GROUP_BUSY_CAUSES = frozenset({34, 38, 41, 42, 44, 47})


def cause_for_sip(code: int) -> int:
    """The cause to clear a line call with when a flow rejects it with SIP ``code``."""
    if 300 <= code < 400:
        return 127
    return SIP_TO_CAUSE.get(code, 31 if 400 <= code < 500 else 41 if code >= 500 else 16)


def sip_for_cause(cause: int) -> int:
    """The SIP status a port leg ends with (0 for normal clearing, as a BYE)."""
    if cause in (16, 31) or cause <= 0:
        return 0
    return CAUSE_TO_SIP.get(cause, 480 if cause < 32 else 503 if cause < 64 else 500)
