"""A simulated card brought up by drivers.card.Card, with its analog ports wrapped."""
import pytest

from acd_core.clock import ManualClock
from drivers.board_profile import build
from drivers.card import Card
from drivers.card_settings import AnalogSettings, CardSettings
from firmware.telephony.analog import AnalogPorts


class Rig:
    def __init__(self, zone="EU", country="TBR21", answer_supervision=True, cid="auto"):
        self.clock = ManualClock()
        self.board = build("sim", self.clock, zone=zone, fxo_country=country)
        self.card = Card(self.board, CardSettings(analog=AnalogSettings(country=country, zone=zone)))
        self.card.start()
        self.card.wait(0.5)
        self.events = []
        self.ports = AnalogPorts(self.card, self.clock, self.events.append, zone=zone, cid=cid,
                                 answer_supervision=answer_supervision)
        w = self.board.sim
        self.lines, self.phones = w.fxo_lines, w.phones

    def wait(self, seconds):
        self.card.wait(seconds)

    def of(self, kind):
        return [e for e in self.events if type(e).__name__ == kind]

    def close(self):
        self.board.close()


@pytest.fixture
def rig():
    r = Rig()
    yield r
    r.close()
