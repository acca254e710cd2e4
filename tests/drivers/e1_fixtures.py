"""Shared set-ups for the E1 tests: our framer on a cable to an exchange or a second framer."""
from __future__ import annotations

from dataclasses import dataclass

from acd_core.clock import ManualClock
from drivers.bus.gpio import SimGpioLine
from drivers.bus.spi import SimSpi
from drivers.e1.pef2256 import E1Config, Pef2256
from drivers.sim.e1cable import E1Cable, ExchangeSim
from drivers.sim.pef2256 import Pef2256Sim
from drivers.sim.runner import run
from drivers.timing import manual_sleep


@dataclass
class Card:
    chip: Pef2256Sim
    span: Pef2256


def make_card(clock: ManualClock, name: str = "falc", span: int = 1) -> Card:
    irq = SimGpioLine(f"{name}-irq", clock, edge="falling")
    chip = Pef2256Sim(clock, irq, name=name)
    return Card(chip, Pef2256(SimSpi(chip, f"sim-spi-{name}"), clock, manual_sleep(clock), irq,
                              span=span))


@dataclass
class ToExchange:
    clock: ManualClock
    card: Card
    exchange: ExchangeSim
    cable: E1Cable

    @property
    def span(self) -> Pef2256:
        return self.card.span

    def run(self, seconds: float) -> None:
        run(self.clock, seconds, [self.card.span])


def span_to_exchange(cfg: E1Config = E1Config(), settle: float = 3.0) -> ToExchange:
    clock = ManualClock()
    card = make_card(clock)
    exchange = ExchangeSim(crc4=cfg.framing == "crc4")
    cable = E1Cable(clock, card.chip, exchange)
    card.span.configure(cfg)
    t = ToExchange(clock, card, exchange, cable)
    t.run(settle)
    return t
