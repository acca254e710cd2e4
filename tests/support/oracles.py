"""Independent peers the DSP tests hold our code against.

CPython's ``audioop`` is the G.711 oracle (docs/style.md#independent-peers). It is
deprecated in 3.11 and the suite turns warnings into errors, so it is imported
here once, with its DeprecationWarning silenced for that import only.
"""
from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # noqa: F401  (re-exported)

__all__ = ["audioop"]
