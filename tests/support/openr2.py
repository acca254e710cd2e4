"""ctypes binding of libopenr2 1.3.3 (Debian ``libopenr2-3``): the far end of our R2 tests.

Every function used is declared with its full prototype: a missing one lets
ctypes truncate a returned pointer to 32 bits, which crashed the process once
(docs/r2.md#the-libopenr2-peer). ``openr2_context_new`` keeps a pointer to the
event interface structure, so the structure and every callback object must live
as long as the context (``OpenR2Context`` holds them).
"""
from __future__ import annotations

import ctypes
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_int, c_ubyte, c_void_p)
from pathlib import Path
from typing import Callable

# openr2_variant_t is looked up by name with openr2_proto_get_variant(); 999 is unknown.
OR2_VAR_UNKNOWN = 999

# openr2_calling_party_category_t
CATEGORIES = {
    "national_subscriber": 0, "national_priority_subscriber": 1, "international_subscriber": 2,
    "international_priority_subscriber": 3, "collect_call": 4, "unknown": 5, "test_equipment": 6,
}
CATEGORY_NAMES = {v: k for k, v in CATEGORIES.items()}

# openr2_call_disconnect_cause_t
CAUSES = {
    "busy": 0, "congestion": 1, "unallocated": 2, "out_of_order": 3, "unspecified": 4,
    "no_answer": 5, "normal": 6, "collect_call_rejected": 7, "forced_release": 8,
    "number_changed": 9,
}
CAUSE_NAMES = {v: k for k, v in CAUSES.items()}

# openr2_call_mode_t
MODES = {"charge": 0, "no_charge": 1, "special": 2, "unknown": 3}
MODE_NAMES = {v: k for k, v in MODES.items()}

# openr2_log_level_t
LOG_ERROR, LOG_WARNING, LOG_NOTICE, LOG_DEBUG = 1, 2, 4, 8
LOG_MF_TRACE, LOG_CAS_TRACE, LOG_STACK_TRACE = 16, 32, 64

chan_p = c_void_p
ctx_p = c_void_p

ON_CHAN = CFUNCTYPE(None, chan_p)
ON_OFFERED = CFUNCTYPE(None, chan_p, c_char_p, c_char_p, c_int)
ON_CHAN_INT = CFUNCTYPE(None, chan_p, c_int)
ON_READ = CFUNCTYPE(None, chan_p, POINTER(c_ubyte), c_int)
ON_DNIS_DIGIT = CFUNCTYPE(c_int, chan_p, c_char)
ON_ANI_DIGIT = CFUNCTYPE(None, chan_p, c_char)


class EventInterface(Structure):
    """openr2_event_interface_t, field order as in r2context.h."""

    _fields_ = [
        ("on_call_init", c_void_p),
        ("on_call_offered", c_void_p),
        ("on_call_accepted", c_void_p),
        ("on_call_answered", c_void_p),
        ("on_call_disconnect", c_void_p),
        ("on_call_end", c_void_p),
        ("on_call_read", c_void_p),
        ("on_hardware_alarm", c_void_p),
        ("on_os_error", c_void_p),
        ("on_protocol_error", c_void_p),
        ("on_line_blocked", c_void_p),
        ("on_line_idle", c_void_p),
        ("on_context_log", c_void_p),
        ("on_dnis_digit_received", c_void_p),
        ("on_ani_digit_received", c_void_p),
        ("on_billing_pulse_received", c_void_p),
    ]


_PROTOTYPES: dict[str, tuple[object, list[object]]] = {
    "openr2_get_version": (c_char_p, []),
    "openr2_proto_get_variant": (c_int, [c_char_p]),
    "openr2_proto_get_error": (c_char_p, [c_int]),
    "openr2_proto_get_disconnect_string": (c_char_p, [c_int]),
    "openr2_context_new": (ctx_p, [c_void_p, POINTER(EventInterface), c_void_p, c_int, c_int,
                                   c_int]),
    "openr2_context_delete": (None, [ctx_p]),
    "openr2_context_set_log_level": (None, [ctx_p, c_int]),
    "openr2_context_configure_from_advanced_file": (c_int, [ctx_p, c_char_p]),
    "openr2_context_set_mf_back_timeout": (None, [ctx_p, c_int]),
    "openr2_context_get_last_error": (c_int, [ctx_p]),
    "openr2_context_error_string": (c_char_p, [c_int]),
    "openr2_chan_new_from_fd": (chan_p, [ctx_p, c_int, c_void_p, c_void_p]),
    "openr2_chan_delete": (None, [chan_p]),
    "openr2_chan_set_logging_func": (None, [chan_p, c_void_p]),
    "openr2_chan_set_log_level": (c_int, [chan_p, c_int]),
    "openr2_chan_set_idle": (c_int, [chan_p]),
    "openr2_chan_set_blocked": (c_int, [chan_p]),
    "openr2_chan_process_event": (c_int, [chan_p]),
    "openr2_chan_handle_cas": (c_int, [chan_p]),
    "openr2_chan_make_call": (c_int, [chan_p, c_char_p, c_char_p, c_int]),
    "openr2_chan_accept_call": (c_int, [chan_p, c_int]),
    "openr2_chan_answer_call": (c_int, [chan_p]),
    "openr2_chan_disconnect_call": (c_int, [chan_p, c_int]),
    "openr2_chan_write": (c_int, [chan_p, POINTER(c_ubyte), c_int]),
    "openr2_chan_get_number": (c_int, [chan_p]),
    "openr2_chan_get_r2_state_string": (c_char_p, [chan_p]),
    "openr2_chan_get_call_state_string": (c_char_p, [chan_p]),
    "openr2_chan_get_rx_cas_string": (c_char_p, [chan_p]),
    "openr2_chan_get_tx_cas_string": (c_char_p, [chan_p]),
}


def load(path: Path) -> ctypes.CDLL:
    lib = ctypes.CDLL(str(path))
    for name, (restype, argtypes) in _PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


class OpenR2Context:
    """A context with its event interface; keeps every callback alive with it."""

    def __init__(self, lib: ctypes.CDLL, variant: str, max_ani: int, max_dnis: int,
                 callbacks: dict[str, Callable[..., object]], context_log: int | None) -> None:
        self.lib = lib
        code = lib.openr2_proto_get_variant(variant.encode())
        if code == OR2_VAR_UNKNOWN:
            raise ValueError(f"libopenr2 does not know variant {variant!r}")
        types = {"on_call_offered": ON_OFFERED, "on_call_read": ON_READ,
                 "on_dnis_digit_received": ON_DNIS_DIGIT, "on_ani_digit_received": ON_ANI_DIGIT}
        for name in ("on_call_accepted", "on_call_disconnect", "on_hardware_alarm", "on_os_error",
                     "on_protocol_error"):
            types[name] = ON_CHAN_INT
        self._keep: list[object] = []
        self.events = EventInterface()
        for name, fn in callbacks.items():
            cfn = types.get(name, ON_CHAN)(fn)
            self._keep.append(cfn)
            setattr(self.events, name, ctypes.cast(cfn, c_void_p).value)
        if context_log is not None:
            self.events.on_context_log = context_log
        self.ctx = lib.openr2_context_new(None, ctypes.byref(self.events), None, code, max_ani,
                                          max_dnis)
        if not self.ctx:
            raise RuntimeError(f"openr2_context_new failed for variant {variant}")

    def close(self) -> None:
        if self.ctx:
            self.lib.openr2_context_delete(self.ctx)
            self.ctx = None
