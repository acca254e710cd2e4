"""GPIO lines: level in/out and edge events (framer and DAA interrupts).

A line is opened by chip and name/offset with a direction, like python-periphery's
character-device ``GPIO``. Interrupt lines of the chips are active low and
open-drain: the driver waits for a ``falling`` edge, services the chip, and the
line returns high once every unmasked interrupt source is read clear.

:class:`SimGpioLine` is both ends of a wire: the board model drives inputs
(``drive()``), the driver drives outputs (``write()``), and edges are queued with
their timestamp from the injected clock.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from acd_core.clock import Clock
from drivers.bus.errors import GpioError


@dataclass(frozen=True)
class EdgeEvent:
    edge: str  # "rising" | "falling"
    timestamp: float


class GpioLine(Protocol):
    name: str

    def read(self) -> bool: ...

    def write(self, value: bool) -> None: ...

    def poll(self, timeout: float | None = 0.0) -> bool: ...

    def read_event(self) -> EdgeEvent: ...

    def close(self) -> None: ...


class PeripheryGpio:
    """Real back end: python-periphery cdev GPIO (v2 uAPI for edge, bias, drive)."""

    def __init__(self, chip: str, line: int | str, direction: str, edge: str = "none",
                 label: str = "callbox") -> None:
        self.name = f"{chip}:{line}"
        try:
            from periphery import GPIO
            kwargs: dict[str, Any] = {"label": label}
            if edge != "none":
                kwargs["edge"] = edge
            self._gpio: Any = GPIO(chip, line, direction, **kwargs)
        except Exception as exc:
            raise GpioError.wrap("open", self.name, exc) from exc

    def read(self) -> bool:
        try:
            return bool(self._gpio.read())
        except Exception as exc:
            raise GpioError.wrap("read", self.name, exc) from exc

    def write(self, value: bool) -> None:
        try:
            self._gpio.write(bool(value))
        except Exception as exc:
            raise GpioError.wrap("write", self.name, exc) from exc

    def poll(self, timeout: float | None = 0.0) -> bool:
        try:
            return bool(self._gpio.poll(timeout))
        except Exception as exc:
            raise GpioError.wrap("poll", self.name, exc) from exc

    def read_event(self) -> EdgeEvent:
        try:
            ev = self._gpio.read_event()
        except Exception as exc:
            raise GpioError.wrap("read event", self.name, exc) from exc
        return EdgeEvent(ev.edge, ev.timestamp / 1e9)

    def close(self) -> None:
        self._gpio.close()


class SimGpioLine:
    """A simulated line. ``sampler`` lets a chip model compute its IRQ level lazily."""

    def __init__(self, name: str, clock: Clock, level: bool = True, output: bool = False,
                 edge: str = "both") -> None:
        self.name = name
        self._clock = clock
        self._level = level
        self.output = output
        self.edge = edge
        self._events: deque[EdgeEvent] = deque(maxlen=1024)
        self.sampler: Callable[[], None] | None = None
        self.listeners: list[Callable[[bool], None]] = []
        self.closed = False

    # --- simulation side -------------------------------------------------------
    def drive(self, value: bool) -> None:
        """Set the level from the hardware side (chip IRQ pin, contact sense)."""
        value = bool(value)
        if value == self._level:
            return
        self._level = value
        kind = "rising" if value else "falling"
        if self.edge in ("both", kind):
            self._events.append(EdgeEvent(kind, self._clock.now()))
        for cb in list(self.listeners):
            cb(value)

    @property
    def level(self) -> bool:
        return self._level

    # --- driver side -------------------------------------------------------------
    def _check(self, op: str) -> None:
        if self.closed:
            raise GpioError(op, self.name, 9, "line is closed")

    def read(self) -> bool:
        self._check("read")
        if self.sampler is not None:
            self.sampler()
        return self._level

    def write(self, value: bool) -> None:
        self._check("write")
        if not self.output:
            raise GpioError("write", self.name, 1, "line is an input")
        self.drive(value)

    def poll(self, timeout: float | None = 0.0) -> bool:
        """Never blocks: simulated time only moves when the test moves the clock."""
        self._check("poll")
        if self.sampler is not None:
            self.sampler()
        return bool(self._events)

    def read_event(self) -> EdgeEvent:
        self._check("read event")
        if self.sampler is not None:
            self.sampler()
        if not self._events:
            raise GpioError("read event", self.name, 11, "no edge event pending")
        return self._events.popleft()

    def close(self) -> None:
        self.closed = True
