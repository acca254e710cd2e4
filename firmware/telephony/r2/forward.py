"""The calling side's MF register: sends group I/II tones as the backward side asks.

It starts with the first address digit on the seizing acknowledgement and then
does what each backward tone asks once that tone has ended. Where one tone has
two meanings, the call's progress decides (docs/r2.md#the-mf-sequence): ITU
A-5 asks for the category the first time and for the next calling-number digit
after that; China No.1 A-1 asks for the next calling-number digit once the
category (KA) went and until the calling number ended, and for the next address
digit otherwise. So a CN called side hears, after A-6: the category, then the
calling number digit by digit on A-1, then I-15, then the rest of the address.

A variant with no end-of-address signal (CN) stays silent when the address is
exhausted and waits for the backward side's pulse.
"""
from __future__ import annotations

from firmware.telephony.r2.register import Register, RegisterHost
from firmware.telephony.r2.variants import GROUP_B_ACCEPT, GROUP_B_REFUSE, tone_of

# SEND: our tone on, waiting for the backward answer; ACK: the answer is on and
# ours off, waiting for the answer to end; SILENT: nothing to send, waiting for a
# backward (pulsed) signal.
TABLE: dict[str, dict[str, str]] = {
    "SEND": {"tone on": "ACK", "tone off": "SEND", "timeout": "FAILED"},
    "ACK": {"tone off send": "SEND", "tone off silent": "SILENT", "tone off done": "DONE",
            "tone off bad": "FAILED", "tone on": "FAILED", "timeout": "FAILED"},
    "SILENT": {"tone on": "ACK", "tone off": "SILENT", "timeout": "FAILED"},
    "DONE": {"tone on": "DONE", "tone off": "DONE"},
    "FAILED": {"tone on": "FAILED", "tone off": "FAILED"},
}


class ForwardRegister(Register):
    NAME = "forward register"
    TABLE = TABLE
    START = "SEND"
    SEND_DIRECTION = "forward"

    def __init__(self, host: RegisterHost, dnis: str, ani: str | None, category: int) -> None:
        super().__init__(host)
        self.dnis = dnis
        self.ani = ani                 # None: restricted
        self.category = category
        self.dnis_index = 0
        self.ani_index = 0
        self.category_sent = False
        self.ani_done = False
        self.group = "A"               # the backward group we are in: A, then B
        self._heard = 0
        self.hear_group = "A"
        self.result.dnis, self.result.ani = dnis, ani or ""
        self.result.ani_restricted = ani is None
        self.result.category = host.variant.category_name(category)
        self.send("I", tone_of(dnis[0]))
        self.arm(self.variant.timers["mf_forward"], self._timeout)

    # ------------------------------------------------------------ hearing
    def tone_on(self, tone: int) -> None:
        if self.state in ("SEND", "SILENT"):
            self.fire("tone on")
            self._heard = tone
            self.send(self.send_group, 0)
            self.arm(self.variant.timers["mf_forward"], self._timeout)
        elif self.state == "ACK":
            self._fail(f"backward tone {tone} began before tone {self._heard} ended", "tone on")
        else:
            self.fire("tone on")

    def tone_off(self) -> None:
        if self.state != "ACK":
            self.fire("tone off")
            return
        tone, self._heard = self._heard, 0
        action = self._act(tone)
        if action is None:              # done: accepted or refused
            self.fire("tone off done")
            self.disarm()
            self.host.register_event("mf accepted" if self.result.group_b in GROUP_B_ACCEPT
                                     else "mf refused")
            return
        group, nxt = action
        if nxt < 0:
            self._fail(self.result.failure, "tone off bad")
            return
        if nxt == 0:
            self.fire("tone off silent", "nothing more to send")
        else:
            self.fire("tone off send")
            self.send(group, nxt)
        self.arm(self.variant.timers["mf_forward"], self._timeout)

    # ------------------------------------------------------------ what an answer asks for
    def _act(self, tone: int) -> tuple[str, int] | None:
        """(group, tone to send; 0 silence, -1 failure), or None when the exchange ended."""
        v, r = self.variant, self.result
        if self.group == "B":
            meaning = v.b_meaning(tone)
            if meaning in GROUP_B_ACCEPT or meaning in GROUP_B_REFUSE:
                r.group_b = meaning
                return None
            r.failure = f"unknown group B signal B-{tone}"
            return ("II", -1)
        meanings = v.a_meanings(tone)
        if "category" in meanings and not self.category_sent:
            self.category_sent = True
            self.hear_group = "A"
            return ("II", self.category)
        if "next_ani" in meanings and self.category_sent and not self.ani_done:
            return ("I", self._next_ani())
        if "next_ani" in meanings and "next_dnis" not in meanings and self.ani_done:
            return ("I", v.group_i.get("end_of_ani", 0))
        if "next_dnis" in meanings:
            return ("I", self._dnis(self.dnis_index + 1))
        for n in (1, 2, 3):
            if f"dnis_minus_{n}" in meanings:
                return ("I", self._dnis(max(0, self.dnis_index - n)))
        if "restart" in meanings:
            return ("I", self._dnis(0))
        if "change_to_b" in meanings:
            self.group = "B"
            self.hear_group = "B"
            return ("II", self.category)
        if "accept_charge" in meanings:
            r.group_b = "free_charge"
            return None
        if "congestion" in meanings or "unallocated" in meanings:
            r.group_b = "congestion" if "congestion" in meanings else "unallocated"
            return None
        r.failure = f"unexpected group A signal A-{tone}"
        return ("I", -1)

    def _next_ani(self) -> int:
        v = self.variant
        if self.ani is None:
            self.ani_done = True
            return v.group_i.get("ani_restricted", v.group_i.get("end_of_ani", 0))
        if self.ani_index < len(self.ani):
            digit = self.ani[self.ani_index]
            self.ani_index += 1
            return tone_of(digit)
        self.ani_done = True
        return v.group_i.get("end_of_ani", 0)

    def _dnis(self, index: int) -> int:
        self.dnis_index = min(index, len(self.dnis))
        if self.dnis_index < len(self.dnis):
            return tone_of(self.dnis[self.dnis_index])
        return self.variant.group_i.get("end_of_dnis", 0)

    # ------------------------------------------------------------ failure
    def _timeout(self) -> None:
        self._fail(f"no backward answer for {self.variant.timers['mf_forward']:g} s "
                   f"({self.state.lower()})", "timeout")

    def _fail(self, why: str, event: str) -> None:
        self.result.failure = self.result.failure or why
        self.fire(event, why)
        self.disarm()
        self.send(self.send_group, 0)
        self.host.trace("MF", f"failed: {self.result.failure}")
        self.host.register_event("mf failed")
