"""Feature codes: a seat (an FXS phone, a plain SIP phone) dials a code to act.

The call from the seat to the code reaches the daemon like any seat call
(``X-Callbox-Seat``) and runs the same ``Cti`` method as the web desk, with the
principal of the seat's user (``Cti.principal_for_seat``), so the same
permission check applies. A state code answers, plays a short confirmation
(two high beeps) or refusal (three low ones) and hangs up. A supervision or
pickup code keeps the call: the seat is then the supervisor's (or the new
agent's) leg; the edge placed that call on the node of the call it joins
(``Cti.placement_hint``).

=======================  ==================================================
``*11``                  log in (to all the seat's queues)
``*12``                  log out
``*21``, ``*21<n>``      pause (with the n-th pause reason; the first if none)
``*22``                  available (unpause, end wrap-up, log in if needed)
``*4<n>``                wrap-up: the last call's disposition is the n-th code
``*8``                   pick up a call ringing another seat of my queues
``*31<ext>``             listen to agent <ext>'s call
``*32<ext>``             whisper to agent <ext> (the caller does not hear)
``*33<ext>``             barge into agent <ext>'s call (three-way)
``*34<ext>``             intercept agent <ext>'s call (take it over)
``*35<ext>[<n>]``        force agent <ext> to pause (n-th reason)
``*36<ext>``             force agent <ext> available
``*37<ext>``             force agent <ext> to log out
=======================  ==================================================
"""
from __future__ import annotations

import asyncio
import logging
import math
import struct
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from firmware.clock import first
from firmware.crm.permissions import PermissionDenied
from firmware.errors import CallboxError, FlowError
from firmware.timers import TIMERS

if TYPE_CHECKING:
    from firmware.cti.service import Cti
    from firmware.media.leg import Leg
    from firmware.telephony.channel import Channel

log = logging.getLogger("callbox.cti.codes")


@dataclass(frozen=True)
class Code:
    prefix: str
    action: str
    arg: str          # "" none | "n" optional position | "ext" extension | "ext+n"
    text: str


CODES = (
    Code("*11", "login", "", "log in"),
    Code("*12", "logout", "", "log out"),
    Code("*21", "pause", "n", "pause (n-th reason)"),
    Code("*22", "available", "", "available"),
    Code("*4", "wrapup", "n", "disposition of the last call (n-th code)"),
    Code("*8", "pickup", "", "pick up a call ringing in my queues"),
    Code("*31", "listen", "ext", "listen"),
    Code("*32", "whisper", "ext", "whisper"),
    Code("*33", "barge", "ext", "barge"),
    Code("*34", "intercept", "ext", "intercept"),
    Code("*35", "force-pause", "ext+n", "force pause"),
    Code("*36", "force-available", "ext", "force available"),
    Code("*37", "force-logout", "ext", "force log-out"),
)
STAYS = ("pickup", "listen", "whisper", "barge", "intercept")   # the call goes on


def parse(dialled: str) -> tuple[Code, str] | None:
    """The code and its argument digits, or None if ``dialled`` is not a feature code."""
    for code in sorted(CODES, key=lambda c: -len(c.prefix)):
        if dialled.startswith(code.prefix):
            rest = dialled[len(code.prefix):]
            if not rest.isdigit() and rest != "":
                return None
            if code.arg == "" and rest:
                return None
            if code.arg.startswith("ext") and not rest:
                return None
            return code, rest
    return None


def _split_ext(cti: "Cti", rest: str) -> tuple[str, str]:
    """``*35`` + extension + optional reason position: the longest known extension wins."""
    for cut in range(len(rest), 0, -1):
        if cti.ctx.acd.knows(rest[:cut]):
            return rest[:cut], rest[cut:]
    return rest, ""


def target_of(cti: "Cti", dialled: str, seat: str | None) -> Any:
    """The leg a supervision or pickup code will join (for placement), or None."""
    found = parse(dialled)
    if found is None or seat is None:
        return None
    code, rest = found
    if code.action in ("listen", "whisper", "barge", "intercept"):
        live = cti.call_of(_split_ext(cti, rest)[0])
        return None if live is None else live.customer
    if code.action == "pickup":
        offers = [o for o in cti.offers.values() if o.agent != seat and not o.picked.done()]
        return min(offers, key=lambda o: o.since).caller if offers else None
    return None


async def run(cti: "Cti", channel: "Channel", seat: str, dialled: str) -> None:
    """Carry out the code the seat dialled; returns when the seat's call is over."""
    leg = channel.media_leg
    await channel.answer()
    found = parse(dialled)
    ok = await carry_out(cti, seat, dialled, leg)
    if ok and found is not None and found[0].action in STAYS:
        await leg.ended                    # the seat is now part of that call
        return
    await _confirm(cti, channel, ok)


async def carry_out(cti: "Cti", seat: str, dialled: str, leg: "Leg | None") -> bool:
    """The one path of every seat's feature code (a SIP phone's call to the code, an FXS
    phone's keys): the seat user's principal, the same ``Cti`` method as the desk, the
    bus events. True when done; refusals are logged and published, not raised. ``leg``
    is the seat's own call, which the codes in ``STAYS`` join to another (None: an FXS
    keypad, which reports only ``KEYPAD_CODES``)."""
    found = parse(dialled)
    if found is None:
        log.info("unknown feature code seat=%s code=%s", seat, dialled)
        return False
    code, rest = found
    p = await cti.principal_for_seat(seat)
    try:
        if leg is None and code.action in STAYS:
            raise FlowError(f"feature code {code.prefix} needs a call of the seat's own",
                               seat=seat, code=code.prefix)
        await _carry_out(cti, p, code, rest, leg)  # type: ignore[arg-type]
    except (CallboxError, PermissionDenied) as exc:
        log.info("feature code refused seat=%s code=%s error=%s", seat, dialled, exc)
        cti.ctx.bus.publish("agent.feature_code_refused", seat=seat, code=code.prefix,
                            action=code.action, error=str(exc)[:200])
        return False
    cti.ctx.bus.publish("agent.feature_code", seat=seat, code=code.prefix, action=code.action)
    return True


def keypad_codes() -> dict[str, str]:
    """``{code: action}`` an analog phone's keypad completes on its own (the agent state
    codes without an argument: ``*11`` login, ``*12`` logout, ``*21`` pause with the first
    reason, ``*22`` available): ``FxsPort``'s table, taken from ``CODES``."""
    return {c.prefix: c.action for c in CODES if c.action in KEYPAD_ACTIONS}


KEYPAD_ACTIONS = ("login", "logout", "pause", "available")


async def _carry_out(cti: "Cti", p: Any, code: Code, rest: str, leg: "Leg") -> None:
    a = code.action
    if a == "login":
        await cti.agent_state_change(p, "logged-in")
    elif a == "logout":
        await cti.agent_state_change(p, "logged-out")
    elif a == "pause":
        await cti.agent_state_change(p, "paused", rest or "1")
    elif a == "available":
        await cti.agent_state_change(p, "available")
    elif a == "wrapup":
        await cti.wrapup(p, rest or "1")
    elif a == "pickup":
        await cti.pickup(p, leg)
    elif a in ("listen", "whisper", "barge", "intercept"):
        await cti.supervise(p, _split_ext(cti, rest)[0], a, leg)
    else:
        agent, extra = _split_ext(cti, rest)
        state = {"force-pause": "paused", "force-available": "available",
                 "force-logout": "logged-out"}[a]
        await cti.force(p, agent, state, extra)


async def _confirm(cti: "Cti", channel: "Channel", ok: bool) -> None:
    """Two high beeps (done) or three low ones (refused), then hang up."""
    try:
        await channel.play(cti.prompt("code-ok" if ok else "code-refused"))
        played = asyncio.ensure_future(channel.wait_play_done())
        try:
            await first(cti.ctx.clock, {played, channel.ended}, TIMERS["desk.code_answer"])
        finally:
            played.cancel()
    except CallboxError as exc:
        log.info("confirmation tone not played error=%s", exc)
    await channel.hangup()


# -- the tones ---------------------------------------------------------------------------------
TONES = {   # name: (Hz, beeps, on samples, off samples)
    "code-ok": (1400.0, 2, 1600, 1200),
    "code-refused": (400.0, 3, 1600, 1200),
    "ringback": (425.0, 1, 8000, 32000),        # 1 s on, 4 s off, looped by the player
}


def write_tones(prompts_dir: Path) -> dict[str, Path]:
    """The desk's tones, synthesised here (``code-ok``, ``code-refused``, ``ringback``)."""
    out = {}
    for name, (hz, beeps, on, off) in TONES.items():
        path = prompts_dir / f"{name}.wav"
        out[name] = path
        if path.exists():
            continue
        frames = bytearray()
        for _ in range(beeps):
            frames += b"".join(struct.pack("<h", int(9000 * math.sin(2 * math.pi * hz * i / 8000)))
                               for i in range(on))
            frames += bytes(2 * off)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with wave.open(str(tmp), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(bytes(frames))
        tmp.replace(path)
    return out
