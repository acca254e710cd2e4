"""The daemon's hardware component (firmware.hardware.Hardware) on the simulated card, in
real time with the card's own threads: a chip that vanishes while the daemon runs reaches
health as the card's fault, with its bus address, and clears when the chip is back."""
import asyncio
import time

from firmware.config import Config
from firmware.hardware import Hardware


async def _until(hw: Hardware, want, limit: float = 10.0) -> dict:
    """Health as soon as ``want(health)`` holds; the last one seen after ``limit`` seconds."""
    end = time.monotonic() + limit
    while True:
        health = await hw.describe()
        if want(health) or time.monotonic() > end:
            return health
        await asyncio.sleep(0.02)


def test_a_chip_that_vanishes_in_the_running_daemon_degrades_health_by_name():
    async def scenario() -> None:
        hw = Hardware(Config())
        await hw.start()
        try:
            assert (await hw.describe())["status"] == "ok"
            sim = hw.board.sim
            daa = sim.spi_fxo[1].target
            sim.spi_fxo[1].target = None
            health = await _until(hw, lambda h: "fxo2" in h["faults"])
            assert health["status"] == "degraded"
            assert health["faults"] == {"fxo2": "chip not answering: FXO port 2 DAA (Si3050) "
                                                "on SPI sim-spi-0.2 channel 0"}
            assert health["fxo"][1]["state"] == "fault"
            assert health["fxo"][0]["state"] == "idle"          # the other port serves on
            sim.spi_fxo[1].target = daa
            health = await _until(hw, lambda h: not h["faults"])
            assert health["status"] == "ok" and health["fxo"][1]["state"] == "idle"
        finally:
            await hw.stop()
    asyncio.run(scenario())
