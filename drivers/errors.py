"""Errors raised by chip drivers (above the bus layer).

Bus failures are :class:`drivers.bus.errors.BusError` subclasses; these are the
faults a driver finds in what the chip answers: a chip that is not there (every
read 0xFF), an unknown identity, a register that does not read back, a command
the chip never finished. Each names the part so a log line or a self-test says
which card and which port.
"""
from __future__ import annotations

from acd_core.errors import CallboxError


class DriverError(CallboxError):
    """A chip answered, but not the way its datasheet says; carries ``part``."""


class ChipAbsent(DriverError):
    """Every register reads 0xFF: nothing drives MISO/SDA (card missing or unpowered)."""


class ChipTimeout(DriverError):
    """The chip did not finish an operation within its datasheet time."""
