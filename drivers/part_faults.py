"""How a chip's failure is written in ``board.faults`` (health, logs, the self-test).

One wording for the daemon's card (:class:`drivers.card.Card`) and for a board
nobody brought up (:meth:`drivers.board_profile.Board.poll_all`, what the
self-test's waits use): a chip that stopped answering is
``chip not answering: FXO port 1 DAA (Si3050) on SPI /dev/spidev1.0 channel 0``,
with the port or span, the chip and its bus address, so a technician knows
which part to reseat; any other failure of a poll is ``poll failed: <error>``.
"""
from __future__ import annotations

from typing import Any

CHIP_NAMES = {"e1_span": ("framer", "PEF2256"), "fxo": ("DAA", "Si3050"),
              "fxs": ("SLIC", "Si3217x")}
WHERE = {"e1_span": "E1 span", "fxo": "FXO port", "fxs": "FXS port"}
NOT_ANSWERING = "chip not answering: "
POLL_FAILED = "poll failed: "


def chip(name: str) -> tuple[str, str, str]:
    """``fxo2`` -> ("fxo", "2", "DAA (Si3050)")."""
    kind = name.rstrip("0123456789")
    role, model = CHIP_NAMES[kind]
    return kind, name[len(kind):], f"{role} ({model})"


def bus_address(part: Any) -> str:
    """``SPI /dev/spidev1.0 channel 0``: the bus device and, on a daisy chain, the channel."""
    channel = getattr(part, "channel", None)
    return f"SPI {part.spi.device}" + (f" channel {channel}" if channel is not None else "")


def not_answering_text(name: str, part: Any) -> str:
    kind, n, what = chip(name)
    return f"{NOT_ANSWERING}{WHERE[kind]} {n} {what} on {bus_address(part)}"


def poll_failed_text(exc: BaseException) -> str:
    return f"{POLL_FAILED}{exc}"


def is_poll_fault(text: str | None) -> bool:
    """A fault a successful poll clears (the part answers and serves again)."""
    return text is not None and text.startswith((NOT_ANSWERING, POLL_FAILED))
