"""Span alarms as DAHDI shows them, debounced from the framer's raw status.

One rule per alarm (the table below): a raw condition must hold for the
debounce time before the alarm is declared, and the alarm clears as soon as the
condition goes. After RED or BLUE clears the span shows RECOVER for 5 s; RAI
(our YELLOW towards the far end) is sent while RED or BLUE is up and through
RECOVER (DAHDI ``t4_check_alarms``). AIS masks the LFA it causes: an all-ones
signal is BLUE, not RED.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

# include/dahdi/user.h
RECOVER, LOOPBACK, YELLOW, RED, BLUE, NOTOPEN = 1, 2, 4, 8, 16, 32
ALARM_LOS, ALARM_LFA, ALARM_LMFA = 0x100, 0x200, 0x400
RECOVER_TIME = 5.0


@dataclass(frozen=True)
class RawStatus:
    los: bool = False
    ais: bool = False
    lfa: bool = False
    rra: bool = False
    lmfa: bool = False


@dataclass(frozen=True)
class AlarmRule:
    bit: int
    name: str
    debounce: float
    condition: Callable[[RawStatus], bool]
    why: str


ALARM_RULES: tuple[AlarmRule, ...] = (
    AlarmRule(RED, "RED", 2.5, lambda r: r.los or (r.lfa and not r.ais) or r.lmfa,
              "LOS, LFA or LMFA for alarmdebounce (2500 ms)"),
    AlarmRule(BLUE, "BLUE", 2.5, lambda r: r.ais, "AIS for alarmdebounce (2500 ms)"),
    AlarmRule(YELLOW, "YELLOW", 0.5, lambda r: r.rra,
              "RAI from the far end for yelalarmdebounce (500 ms)"),
)

ALARM_TEXT = {RED: "Red Alarm", BLUE: "Blue Alarm", YELLOW: "Yellow Alarm",
              RECOVER: "Recovering", LOOPBACK: "Loopback", NOTOPEN: "Not Open"}


def alarm_string(alarms: int) -> str:
    """dahdi_scan / ``dahdi show status`` style: ``RED/LOS/``, ``BLU/``, ``OK``."""
    if not alarms & ~(ALARM_LOS | ALARM_LFA | ALARM_LMFA):
        return "OK"
    parts = []
    for bit, text in ((BLUE, "BLU"), (YELLOW, "YEL"), (RED, "RED"), (ALARM_LOS, "LOS"),
                      (ALARM_LFA, "LFA"), (ALARM_LMFA, "LMFA"), (LOOPBACK, "LB"),
                      (RECOVER, "REC"), (NOTOPEN, "NOP")):
        if alarms & bit:
            parts.append(text)
    return "/".join(parts) + "/"


class AlarmDebouncer:
    def __init__(self) -> None:
        self._since: dict[int, float | None] = {rule.bit: None for rule in ALARM_RULES}
        self.alarms = 0
        self.recover_until: float | None = None
        self.raw = RawStatus()

    @property
    def send_rai(self) -> bool:
        return bool(self.alarms & (RED | BLUE | RECOVER))

    def update(self, raw: RawStatus, now: float) -> int:
        """Feed the latest raw status; returns the new DAHDI alarm word."""
        self.raw = raw
        before = self.alarms
        alarms = before & LOOPBACK
        for rule in ALARM_RULES:
            if rule.condition(raw):
                since = self._since[rule.bit]
                if since is None:
                    since = self._since[rule.bit] = now
                if before & rule.bit or now - since >= rule.debounce - 1e-9:
                    alarms |= rule.bit
            else:
                self._since[rule.bit] = None
        if alarms & RED:
            alarms |= ((ALARM_LOS if raw.los else 0) | (ALARM_LFA if raw.lfa and not raw.los else 0)
                       | (ALARM_LMFA if raw.lmfa else 0))
        if alarms & (RED | BLUE):
            self.recover_until = None
        elif before & (RED | BLUE):
            self.recover_until = now + RECOVER_TIME
        if self.recover_until is not None:
            if now < self.recover_until - 1e-9:
                alarms |= RECOVER
            else:
                self.recover_until = None
        self.alarms = alarms
        return alarms

    def set_loopback(self, on: bool) -> None:
        self.alarms = (self.alarms | LOOPBACK) if on else (self.alarms & ~LOOPBACK)
