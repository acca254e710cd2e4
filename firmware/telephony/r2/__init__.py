"""MFC-R2 on E1: line signalling on TS16 CAS, compelled MF interregister signalling in-band.

``R2Span`` is the stack of one span (docs/r2.md): variants are data
(:mod:`.variants`), call states a table (:mod:`.states`), the two MF registers
(:mod:`.backward`, :mod:`.forward`) small tables over the compelled cycle.
Sans I/O: the card drives it from below, an ``R2Channel`` from above.
"""
from firmware.telephony.r2.events import (Accepted, Answered, Blocked, CallSummary, ClearedBack,
                                          ClearedForward, IncomingCall, LineFailure, LineRestored,
                                          R2Event, Refused, Released, Seized, Unblocked)
from firmware.telephony.r2.errors import NoFreeCircuit, R2ConfigError, R2Error
from firmware.telephony.r2.media import MediaPath
from firmware.telephony.r2.span import CasLine, R2Span
from firmware.telephony.r2.states import State
from firmware.telephony.r2.transcript import Transcript
from firmware.telephony.r2.variants import VARIANTS, Variant, variant

__all__ = [
    "R2Span", "CasLine", "MediaPath", "State", "Transcript", "Variant", "VARIANTS", "variant",
    "R2Error", "R2ConfigError", "NoFreeCircuit", "R2Event", "Seized", "IncomingCall", "Accepted",
    "Refused", "Answered", "ClearedBack", "ClearedForward", "Released", "Blocked", "Unblocked",
    "LineFailure", "LineRestored", "CallSummary",
]
