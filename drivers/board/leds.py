"""Front-panel LEDs on GPIO outputs (active high)."""
from __future__ import annotations

from drivers.bus.gpio import GpioLine

LED_NAMES = ("power", "status", "e1", "alarm")


class Leds:
    def __init__(self, lines: dict[str, GpioLine]) -> None:
        self.lines = dict(lines)
        self.state: dict[str, bool] = {name: False for name in self.lines}

    def set(self, name: str, on: bool) -> None:
        self.lines[name].write(on)
        self.state[name] = on

    def all(self, on: bool) -> None:
        for name in self.lines:
            self.set(name, on)
