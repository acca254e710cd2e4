"""One process at a time on the card's SPI buses and TDM stream.

The daemon and ``callbox selftest`` open the same devices. Two processes on one
SPI bus interleave register accesses (a Si3050 access is three CS frames), and
the self-test reconfigures the framer and loops the span back: run beside the
daemon it would drop live calls. So each real back end takes an exclusive,
non-blocking ``flock`` on the device it opened; the second opener gets a bus
error with ``EBUSY`` naming the device ("in use by another process: the running
daemon?"), which the board records as that part's fault, and the self-test
prints as the stage's failure, without having touched the chip. The lock goes
with the file descriptor, also when the process dies.
"""
from __future__ import annotations

import errno
import fcntl

from drivers.bus.errors import BusError

IN_USE = "in use by another process (the running daemon?)"


def claim(fd: int, device: str, error: type[BusError]) -> None:
    """Lock ``fd`` for this process or raise ``error("open", device, EBUSY, ...)``."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise error("open", device, errno.EBUSY, IN_USE) from None
    except OSError as exc:           # a device without flock support: nothing to share
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.ENOLCK):
            raise error.wrap("open", device, exc) from exc
