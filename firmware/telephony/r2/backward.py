"""The called side's MF register: hears group I/II tones, answers with group A, then B.

The request order is the one carriers and libopenr2 use (docs/r2.md#the-mf-sequence):
the first address digit, then the category and the calling number (``ani_first``),
then the rest of the address until it is complete, then "change to group B";
the category the forward side sends in group II ends address signalling and
the call is offered to the flow, whose answer (accept or refuse) is the group B
signal. The address is complete when ``dnis_complete`` says so (by default:
``max_dnis`` digits), when the forward side sends its end-of-address tone, or
when it falls silent for ``mf_backward`` (variants with no end-of-address
signal): then A-3 goes out as a pulse.

If the forward side stops answering, the register sends the variant's
congestion signal as a pulse and the circuit waits for the clear forward.
"""
from __future__ import annotations

from typing import Callable

from firmware.telephony.r2.register import Register, RegisterHost
from firmware.telephony.r2.variants import digit_of

# (state, event) -> next state. WAIT: our tone off, listening; ANSWER: our tone
# on, waiting for the forward tone to end; DECIDE: the forward group II tone is
# on and the flow decides; PULSE: a pulsed signal while the forward side is
# silent; FAIL_PULSE: the congestion pulse of a failed exchange.
TABLE: dict[str, dict[str, str]] = {
    "WAIT": {"tone on": "ANSWER", "tone on offer": "DECIDE", "tone on bad": "FAIL_PULSE",
             "tone off": "WAIT", "timeout end of address": "PULSE", "timeout": "FAIL_PULSE"},
    "ANSWER": {"tone off": "WAIT", "tone off final": "DONE", "timeout": "FAIL_PULSE",
               "tone on": "FAIL_PULSE"},
    "DECIDE": {"decided": "ANSWER", "tone off": "FAIL_PULSE", "timeout": "FAIL_PULSE"},
    "PULSE": {"pulse end": "WAIT", "tone on": "FAIL_PULSE", "tone off": "PULSE"},
    "FAIL_PULSE": {"pulse end": "FAILED", "tone on": "FAIL_PULSE", "tone off": "FAIL_PULSE"},
    "DONE": {"tone on": "DONE", "tone off": "DONE"},
    "FAILED": {"tone on": "FAILED", "tone off": "FAILED"},
}


class BackwardRegister(Register):
    NAME = "backward register"
    TABLE = TABLE
    START = "WAIT"
    SEND_DIRECTION = "backward"

    def __init__(self, host: RegisterHost, max_dnis: int = 4, max_ani: int = 20,
                 dnis_complete: Callable[[str], bool] | None = None) -> None:
        super().__init__(host)
        self.max_dnis = max_dnis
        self.max_ani = max_ani
        self.dnis_complete = dnis_complete or (lambda dnis: len(dnis) >= self.max_dnis)
        self.phase = "first"          # first, dnis, category, ani, group_ii
        self.ani_done = False
        self._final = False
        self._accepting = False
        self.hear_group = "I"
        self.arm(self.variant.timers["mf_backward"], self._timeout)

    # ------------------------------------------------------------ hearing
    def tone_on(self, tone: int) -> None:
        if self.state in ("DONE", "FAILED", "FAIL_PULSE"):
            self.fire("tone on")
            return
        if self.state != "WAIT":
            self._fail(f"forward tone {tone} began while {self.state.lower()}", "tone on")
            return
        first = self.phase == "first"
        answer = self._answer(tone)
        if answer is None:
            self.fire("tone on offer")
            self.disarm()
            self.host.register_event("mf offer")
            return
        group, reply, final = answer
        if reply == 0:
            self._fail(self.result.failure, "tone on bad")
            return
        self.fire("tone on")
        self._final = final
        self.send(group, reply)
        self.arm(self.variant.timers["mf_backward"], self._timeout)
        if first:
            self.host.register_event("mf first tone")

    def tone_off(self) -> None:
        if self.state == "ANSWER":
            self.send(self.send_group, 0)
            if self._final:
                self.fire("tone off final")
                self.disarm()
                self.host.register_event("mf accepted" if self._accepting else "mf refused")
                return
            self.fire("tone off")
            self.arm(self.variant.timers["mf_backward"], self._timeout)
        elif self.state == "DECIDE":
            self._fail("forward tone ended before group B", "tone off")
        else:
            self.fire("tone off")

    # ------------------------------------------------------------ deciding (group B)
    def decide(self, tone: int, accept: bool) -> None:
        """The flow's group B answer to the offered call."""
        self._accepting = accept
        if self.state != "DECIDE":
            # the forward tone is gone (the far end gave up): nothing to answer
            return
        self.fire("decided")
        self._final = True
        self.hear_group = "II"
        self.send("B", tone)
        self.arm(self.variant.timers["mf_backward"], self._timeout)

    # ------------------------------------------------------------ what a tone asks for
    def _a(self, meaning: str) -> int:
        tone = self.variant.a(meaning)
        assert tone is not None, meaning
        return tone

    def _answer(self, tone: int) -> tuple[str, int, bool] | None:
        """(group, tone, final) to answer ``tone`` with; None offers the call; tone 0 fails."""
        v, r = self.variant, self.result
        if self.phase == "group_ii":
            r.category = r.category or v.category_name(tone)
            return None
        meaning = v.i_meaning(tone)
        if self.phase == "category":
            r.category = v.category_name(tone)
            if self.max_ani > 0:
                self.phase = "ani"
                self.hear_group = "I"
                return ("A", self._a("next_ani"), False)
            self.ani_done = True
            return self._continue_dnis()
        if self.phase == "ani":
            if meaning == "digit":
                r.ani += digit_of(tone)
                if len(r.ani) < self.max_ani:
                    return ("A", self._a("next_ani"), False)
            elif tone in (v.group_i.get("end_of_ani"), v.group_i.get("ani_restricted")):
                r.ani_restricted = tone == v.group_i.get("ani_restricted")
            else:
                r.failure = f"group I tone {tone} where a calling-number digit was due"
                return ("A", 0, False)
            self.ani_done = True
            return self._continue_dnis()
        # first or dnis
        if meaning == "digit":
            r.dnis += digit_of(tone)
            if self.phase == "first" and v.ani_first and not self.ani_done:
                self.phase = "category"
                self.hear_group = "II"
                return ("A", self._a("category"), False)
            return self._continue_dnis()
        if tone == v.group_i.get("end_of_dnis") and r.dnis:
            return self._change_to_b()
        r.failure = f"group I tone {tone} where an address digit was due"
        return ("A", 0, False)

    def _continue_dnis(self) -> tuple[str, int, bool]:
        if self.dnis_complete(self.result.dnis):
            return self._change_to_b()
        self.phase = "dnis"
        self.hear_group = "I"
        return ("A", self._a("next_dnis"), False)

    def _change_to_b(self) -> tuple[str, int, bool]:
        self.phase = "group_ii"
        self.hear_group = "II"
        return ("A", self._a("change_to_b"), False)

    # ------------------------------------------------------------ silence and failure
    def _timeout(self) -> None:
        if self.state == "WAIT" and self.phase == "dnis" and self.result.dnis:
            # the forward side has no more digits and no signal to say so
            self.fire("timeout end of address", "forward side silent")
            self._change_to_b()
            self.send("A", self._a("change_to_b"))
            self.arm(self.variant.timers["pulse"], self._pulse_end)
            return
        self._fail(f"no forward tone for {self.variant.timers['mf_backward']:g} s "
                   f"({self.state.lower()}, {self.phase})", "timeout")

    def _pulse_end(self) -> None:
        self.send(self.send_group, 0)
        self.fire("pulse end")
        if self.state == "WAIT":
            self.arm(self.variant.timers["mf_backward"], self._timeout)
        elif self.state == "FAILED":
            self.host.register_event("mf failed")

    def _fail(self, why: str, event: str) -> None:
        self.result.failure = self.result.failure or why
        self.fire(event, why)
        self.host.trace("MF", f"failed: {self.result.failure}")
        congestion = self.variant.group_b["congestion"] if self.phase == "group_ii" and \
            "congestion" in self.variant.group_b else self.variant.a("congestion")
        self.send("B" if self.phase == "group_ii" else "A", congestion or 0)
        self.arm(self.variant.timers["pulse"], self._pulse_end)
