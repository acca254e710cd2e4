"""The two MF registers' own tables and the meaning of a tone by the call's progress.

Tones are fed as events here (tone on / tone off); the frames that carry them
are tested in test_mf.py and on the line against libopenr2.
"""
import pytest

from acd_core.clock import ManualClock
from acd_core.errors import IllegalTransition
from firmware.telephony.r2 import variant
from firmware.telephony.r2.backward import BackwardRegister
from firmware.telephony.r2.forward import ForwardRegister


class Host:
    def __init__(self, name: str) -> None:
        self.clock = ManualClock()
        self.variant = variant(name)
        self.ts = 1
        self.events: list[str] = []
        self.trace_lines: list[str] = []

    def register_event(self, event: str) -> None:
        self.events.append(event)

    def trace(self, kind: str, text: str) -> None:
        self.trace_lines.append(f"{kind} {text}")


def answer(reg: ForwardRegister, tone: int) -> int:
    """One compelled step: the backward tone comes and goes; what do we send next?"""
    reg.tone_on(tone)
    assert reg.sender.tone == 0
    reg.tone_off()
    return reg.sender.tone


def test_cn_a1_asks_for_the_calling_number_after_ka_until_its_end_then_the_address():
    h = Host("CN")
    reg = ForwardRegister(h, "100", "56", category=1)
    assert reg.sender.tone == 1                   # the first address digit
    assert answer(reg, 6) == 1                    # KA (category II-1)
    assert answer(reg, 1) == 5                    # calling number digit 5
    assert answer(reg, 1) == 6
    assert answer(reg, 1) == 15                   # end of calling number
    assert answer(reg, 1) == 10                   # A-1 now: the next address digit, 0
    assert answer(reg, 2) == 1                    # from the first digit again
    assert answer(reg, 3) == 1                    # category in group II
    reg.tone_on(1)
    reg.tone_off()                                # B-1
    assert h.events == ["mf accepted"] and reg.result.group_b == "free_charge"


def test_itu_resends_and_end_of_address():
    h = Host("ITU")
    reg = ForwardRegister(h, "123", None, category=1)
    assert answer(reg, 1) == 2
    assert answer(reg, 1) == 3
    assert answer(reg, 2) == 2                    # n-1
    assert answer(reg, 7) == 1                    # n-2
    assert answer(reg, 1) == 2
    assert answer(reg, 1) == 3
    assert answer(reg, 1) == 15                   # no more digits: I-15
    assert answer(reg, 5) == 1                    # A-5 first: the category
    assert answer(reg, 5) == 12                   # A-5 then: restricted calling number


def test_cn_silence_when_the_address_is_exhausted_then_the_pulse():
    h = Host("CN")
    reg = ForwardRegister(h, "1", "", category=1)
    assert answer(reg, 1) == 0 and reg.state == "SILENT"
    assert answer(reg, 3) == 1                    # pulsed A-3: category in group II


def test_refusals_and_unexpected_signals():
    h = Host("ITU")
    reg = ForwardRegister(h, "1", "", category=1)
    answer(reg, 4)                                # A-4 congestion
    assert h.events == ["mf refused"] and reg.result.group_b == "congestion"
    h = Host("ITU")
    reg = ForwardRegister(h, "1", "", category=1)
    answer(reg, 13)
    assert h.events == ["mf failed"] and "A-13" in reg.result.failure


def test_forward_timeout_fails():
    h = Host("ITU")
    ForwardRegister(h, "1", "", category=1)
    h.clock.advance(14.9)
    assert h.events == []
    h.clock.advance(0.2)
    assert h.events == ["mf failed"]


def test_backward_collects_then_offers_then_answers_group_b():
    h = Host("ITU")
    reg = BackwardRegister(h, max_dnis=2, max_ani=4)
    said = []
    for tone in (1, 1, 3, 4, 15, 2, 1):           # digit 1, cat, ANI 3 4 end, digit 2, II-1
        reg.tone_on(tone)
        said.append(reg.sender.tone)
        if reg.state == "DECIDE":
            break
        reg.tone_off()
    assert said == [5, 5, 5, 5, 1, 3, 0]
    assert h.events == ["mf first tone", "mf offer"]
    assert (reg.result.dnis, reg.result.ani, reg.result.category) == ("12", "34",
                                                                      "national_subscriber")
    reg.decide(6, accept=True)
    assert reg.sender.tone == 6
    reg.tone_off()
    assert h.events[-1] == "mf accepted" and reg.state == "DONE"


def test_backward_silence_after_the_last_digit_sends_a_pulsed_a3():
    h = Host("CN")
    reg = BackwardRegister(h, max_dnis=5, max_ani=0)
    for tone in (1, 1):                            # digit, category (no ANI wanted)
        reg.tone_on(tone)
        reg.tone_off()
    assert reg.phase == "dnis"
    h.clock.advance(5.0)
    assert reg.sender.tone == 3 and reg.state == "PULSE"
    h.clock.advance(0.15)
    assert reg.sender.tone == 0 and reg.state == "WAIT" and reg.phase == "group_ii"


def test_backward_timeout_before_any_digit_sends_congestion_and_fails():
    h = Host("ITU")
    reg = BackwardRegister(h)
    h.clock.advance(5.0)
    assert reg.sender.tone == 4 and reg.state == "FAIL_PULSE"
    h.clock.advance(0.15)
    assert h.events == ["mf failed"] and "no forward tone" in reg.result.failure


def test_register_tables_have_no_row_for_nonsense():
    reg = ForwardRegister(Host("ITU"), "1", "", category=1)
    with pytest.raises(IllegalTransition, match="forward register in SEND"):
        reg.fire("decided")
