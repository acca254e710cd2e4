"""Number masking, in one place for every read path (API results, exports, screen pops).

``mask_tree`` walks a JSON-ready value and masks every string (or list of
strings, or ``{"number": ...}`` entry) found under a key named in
``PHONE_KEYS``, unless the principal holds ``numbers.unmasked``. Results are
built with these key names on purpose: a new read path that returns a caller
number under one of them is masked without further code, and the masking
matrix test (every read method x every built-in role) catches one that does not.
"""
from __future__ import annotations

from typing import Any

from firmware.crm.permissions import Principal
from firmware.crm.phone import mask

PHONE_KEYS = frozenset({
    "caller_number", "dialed_number", "phone", "phones", "e164", "number", "caller",
    "normalised", "src", "dst", "clid", "numbers",
})


def _mask_value(v: Any) -> Any:
    if isinstance(v, str):
        return mask(v)
    if isinstance(v, list):
        return [_mask_value(x) for x in v]
    if isinstance(v, dict):
        return {k: (_mask_value(x) if k in ("number", "e164") else _walk(x)) for k, x in v.items()}
    return v


def _walk(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: (_mask_value(x) if k in PHONE_KEYS else _walk(x)) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_walk(x) for x in v]
    return v


def mask_tree(value: Any, principal: Principal) -> Any:
    """``value`` with phone fields masked for ``principal`` (returned as is if unmasked)."""
    if principal.unmasked:
        return value
    return _walk(value)


def mask_row(row: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """One export row (flat dict) masked the same way."""
    return row if principal.unmasked else _walk(row)
