"""Errors of the R2 stack; each names the span, timeslot and what was asked."""
from __future__ import annotations

from acd_core.errors import CallboxError, IllegalTransition

__all__ = ["R2Error", "R2ConfigError", "NoFreeCircuit", "IllegalTransition"]


class R2Error(CallboxError):
    """Root of the R2 stack's errors."""


class R2ConfigError(R2Error):
    """An unknown variant, category or group B signal; ``expected`` lists the valid ones."""


class NoFreeCircuit(R2Error):
    """An outgoing call found no idle timeslot on the span."""
