"""MFC-R2 variants as data: line codes, the meaning of each MF tone per group, timers.

A variant is a table, never a code branch (docs/r2.md#variants). The stack only
asks questions a table answers: "which backward tone requests the category?",
"what does backward tone 3 mean in group A?", "how long do we wait for the
seize acknowledgement?". ITU-T Q.441 is the base; China No.1 and the national
variants libopenr2 implements as pure table changes are the same shape with
other numbers.

Group A meanings (backward, while the forward side is in group I):
``next_dnis`` send the next address digit; ``next_ani`` send the next
calling-number digit (once the category is sent); ``category`` send the
calling party's category (CN: "KA and the calling number"); ``change_to_b``
address complete, change over to group B; ``accept_charge`` address complete,
charge, set up speech (no group B); ``dnis_minus_1..3`` send the digit before
the last one again; ``restart`` send the address again from its first digit;
``congestion``; ``unallocated``.

Group I (forward): tones 1-10 are the digits 1-9 and 0; ``end_of_dnis``,
``end_of_ani`` and ``ani_restricted`` are the tones, if any, that end an
address or a calling number. Group II (forward): the calling party's category.
Group B (backward): the called line's condition.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from acd_core.timers import TimerSpec, TimerTable
from firmware.telephony.r2.errors import R2ConfigError

# AB bits of each line signal (ITU-T Q.421 digital line signalling); C and D are
# constant per variant. 11 means seize acknowledge, clear back or blocked: the
# state says which.
LINE_AB: Mapping[str, int] = MappingProxyType({
    "idle": 0b10, "seize": 0b00, "seize_ack": 0b11, "answer": 0b01,
    "clear_back": 0b11, "clear_forward": 0b10, "blocked": 0b11,
})

GROUP_A_MEANINGS = ("next_dnis", "next_ani", "category", "change_to_b", "accept_charge",
                    "dnis_minus_1", "dnis_minus_2", "dnis_minus_3", "restart", "congestion",
                    "unallocated")
GROUP_I_MEANINGS = ("end_of_dnis", "end_of_ani", "ani_restricted")
GROUP_B_ACCEPT = ("free_charge", "free_no_charge", "special_info")
GROUP_B_REFUSE = ("busy", "congestion", "unallocated", "out_of_order", "number_changed",
                  "collect_refused")
DIGIT_TONES = tuple(range(1, 11))        # tone 10 is the digit 0


def digit_of(tone: int) -> str:
    return "0" if tone == 10 else str(tone)


def tone_of(digit: str) -> int:
    if len(digit) != 1 or not digit.isdigit():
        raise ValueError(f"not an R2 digit: {digit!r}")
    return 10 if digit == "0" else int(digit)


def _timers(**changes: float) -> TimerTable:
    table = TimerTable(
        TimerSpec("line_recognition", 0.020, "s",
                  "a new ABCD state counts once it held this long (Q.422: 20 +- 10 ms)", 0.002, 0.2),
        TimerSpec("seize_ack", 8.0, "s",
                  "calling side: seizing acknowledgement expected this long after seize", 0.1, 60),
        TimerSpec("mf_backward", 5.0, "s",
                  "called side: the forward side's next tone, or the end of its tone, within this",
                  0.5, 60),
        TimerSpec("mf_forward", 15.0, "s",
                  "calling side: the backward answer to our tone, or its end, within this", 1, 120),
        TimerSpec("pulse", 0.150, "s",
                  "a backward signal sent as a pulse while the forward side is silent (Q.442)",
                  0.07, 0.5),
        TimerSpec("answer_delay", 0.150, "s",
                  "called side: answer bits wait this long after our group B tone stops", 0, 2),
        TimerSpec("offer", 4.0, "s",
                  "called side: the flow accepts or refuses an offered call within this, "
                  "else congestion", 0.5, 30),
        TimerSpec("release_guard", 0.100, "s",
                  "after a call the timeslot stays idle this long before a pending block goes "
                  "out, so the far end sees the idle", 0.04, 2),
        TimerSpec("answer", 60.0, "s",
                  "calling side: the called party answers within this after group B, "
                  "else clear forward", 5, 600),
    )
    return table.with_overrides(changes) if changes else table


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    cd_bits: int
    group_a: Mapping[str, int]
    group_i: Mapping[str, int]
    group_ii: Mapping[str, int]
    group_b: Mapping[str, int]
    timers: TimerTable = field(default_factory=_timers)
    ani_first: bool = True       # ask for category and ANI after the first address digit

    def __post_init__(self) -> None:
        if self.cd_bits not in range(4):
            raise ValueError(f"variant {self.name}: CD bits are 0-3")
        for group, meanings, table in (("A", GROUP_A_MEANINGS, self.group_a),
                                       ("I", GROUP_I_MEANINGS, self.group_i),
                                       ("B", GROUP_B_ACCEPT + GROUP_B_REFUSE, self.group_b),
                                       ("II", None, self.group_ii)):
            for meaning, tone in table.items():
                if meanings is not None and meaning not in meanings:
                    raise ValueError(f"variant {self.name}: unknown group {group} meaning {meaning!r}")
                if not 1 <= tone <= 15:
                    raise ValueError(f"variant {self.name}: group {group} {meaning} tone {tone}")
        for needed in ("next_dnis", "change_to_b", "category", "next_ani"):
            if needed not in self.group_a:
                raise ValueError(f"variant {self.name}: group A needs {needed!r}")
        if "free_charge" not in self.group_b:
            raise ValueError(f"variant {self.name}: group B needs 'free_charge'")

    # ------------------------------------------------------------ line
    def abcd(self, signal: str) -> int:
        """The four bits we send for a line signal."""
        return LINE_AB[signal] << 2 | self.cd_bits

    @staticmethod
    def ab(abcd: int) -> int:
        return (abcd >> 2) & 0b11

    # ------------------------------------------------------------ MF, by meaning and back
    def a(self, meaning: str) -> int | None:
        return self.group_a.get(meaning)

    def a_meanings(self, tone: int) -> tuple[str, ...]:
        return tuple(m for m, t in self.group_a.items() if t == tone)

    def b_meaning(self, tone: int) -> str | None:
        for meaning, t in self.group_b.items():
            if t == tone:
                return meaning
        return None

    def i_meaning(self, tone: int) -> str | None:
        """``digit`` for 1-10, else the group I meaning (``end_of_ani`` ...), or None."""
        if tone in DIGIT_TONES:
            return "digit"
        for meaning, t in self.group_i.items():
            if t == tone:
                return meaning
        return None

    def category_name(self, tone: int) -> str:
        for name, t in self.group_ii.items():
            if t == tone:
                return name
        return f"II-{tone}"

    def category_tone(self, name: str) -> int:
        if name in self.group_ii:
            return self.group_ii[name]
        if name.startswith("II-") and name[3:].isdigit() and 1 <= int(name[3:]) <= 15:
            return int(name[3:])
        raise R2ConfigError(f"variant {self.name} has no calling party category {name!r}",
                            variant=self.name, category=name,
                            expected=", ".join(self.group_ii))

    def group_b_tone(self, meaning: str, accept: bool) -> int:
        allowed = GROUP_B_ACCEPT if accept else GROUP_B_REFUSE
        if meaning not in allowed or meaning not in self.group_b:
            offered = [m for m in allowed if m in self.group_b]
            raise R2ConfigError(f"variant {self.name} has no group B signal {meaning!r} to "
                                f"{'accept' if accept else 'refuse'} with", variant=self.name,
                                group_b=meaning, expected=", ".join(offered))
        return self.group_b[meaning]

    def describe_tone(self, group: str, tone: int) -> str:
        """``A-6 category`` style text for transcripts and logs."""
        if tone == 0:
            return "off"
        if group == "A":
            names = "/".join(self.a_meanings(tone)) or "?"
        elif group == "B":
            names = self.b_meaning(tone) or "?"
        elif group == "I":
            names = (f"digit {digit_of(tone)}" if tone in DIGIT_TONES else
                     "/".join(m for m, t in self.group_i.items() if t == tone) or "?")
        elif group == "II":
            names = self.category_name(tone)
        else:
            names = "?"
        return f"{group}-{tone} {names}"


_ITU_II = {"national_subscriber": 1, "national_priority_subscriber": 2, "test_equipment": 3,
           "operator": 5, "data": 6, "international_subscriber": 7,
           "international_priority_subscriber": 9}
_ITU_A = {"next_dnis": 1, "dnis_minus_1": 2, "change_to_b": 3, "congestion": 4, "category": 5,
          "next_ani": 5, "accept_charge": 6, "dnis_minus_2": 7, "dnis_minus_3": 8}
_ITU_I = {"end_of_dnis": 15, "end_of_ani": 15, "ani_restricted": 12}
_ITU_B = {"special_info": 2, "busy": 3, "congestion": 4, "unallocated": 5, "free_charge": 6,
          "free_no_charge": 7, "out_of_order": 8}

ITU = Variant("ITU", "ITU-T Q.441 (CD bits 01)", 0b01, _ITU_A, _ITU_I, _ITU_II, _ITU_B)

# China No.1: A-1 asks for the next digit of whatever is being sent (address,
# or the calling number once KA went), A-2 for the address again from its
# first digit, A-6 for KA and the calling number; no end-of-address signal (the
# called side counts digits, or times out and pulses A-3); CD bits 11.
CN = Variant(
    "CN", "China No.1 (CD bits 11)", 0b11,
    {"next_dnis": 1, "next_ani": 1, "restart": 2, "change_to_b": 3, "congestion": 4,
     "unallocated": 5, "category": 6},
    {"end_of_ani": 15, "ani_restricted": 12},
    _ITU_II,
    {"free_charge": 1, "busy": 2, "congestion": 4, "unallocated": 5, "free_no_charge": 7,
     "out_of_order": 8},
)

# National variants that differ from ITU only in their tables (as libopenr2 1.3.3 has them).
CZ = Variant("CZ", "Czech Republic (ITU tables)", 0b01, _ITU_A, _ITU_I, _ITU_II, _ITU_B)
EC = Variant("EC", "Ecuador (ITU tables)", 0b01, _ITU_A, _ITU_I, _ITU_II, _ITU_B)
PH = Variant("PH", "Philippines (ITU tables)", 0b01, _ITU_A, _ITU_I, _ITU_II, _ITU_B)
CO = Variant("CO", "Colombia", 0b01, _ITU_A, _ITU_I, _ITU_II,
             {"free_charge": 1, "busy": 2, "congestion": 4, "free_no_charge": 5,
              "unallocated": 6, "out_of_order": 8})
VE = Variant("VE", "Venezuela", 0b01, {**_ITU_A, "next_ani": 9},
             {"end_of_ani": 15, "ani_restricted": 12}, _ITU_II, _ITU_B)
ID = Variant("ID", "Indonesia", 0b01,
             {"next_dnis": 1, "restart": 2, "change_to_b": 3, "congestion": 4, "accept_charge": 5,
              "category": 6, "next_ani": 6, "dnis_minus_1": 8, "dnis_minus_2": 9},
             _ITU_I, _ITU_II, _ITU_B)

VARIANTS: Mapping[str, Variant] = MappingProxyType(
    {v.name: v for v in (CN, ITU, CO, CZ, EC, ID, PH, VE)})


def variant(name: str) -> Variant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise R2ConfigError(f"unknown R2 variant {name!r}", variant=name,
                            expected=", ".join(VARIANTS)) from None
