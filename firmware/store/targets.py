"""Where a call goes next, written as one short text everywhere it is configured.

A route, a closed schedule, a holiday, a list entry, a queue's overflow and exit key and
every IVR choice name their destination the same way, so one parser checks them and one
dispatcher (``firmware.flows.routing``) carries them out:

==================  ======================================================
``ivr:<tree>``      run an IVR tree
``queue:<name>``    wait in a queue
``seat:<ext>``      ring one seat
``voicemail:<box>`` leave a message in a voicemail box
``number:<digits>`` forward outside through the trunks (``+`` allowed)
``message:<name>``  play a named prompt, then hang up
``hangup``          hang up
``node:<id>``       another node of the same IVR tree (IVR trees only)
``callback``        be called back keeping the place (a queue's exit key only)
==================  ======================================================

The text is the stored form; ``Target.parse`` and ``str(target)`` round-trip.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from firmware.store import fields as f
from firmware.store.db import ValidationError

#: kind -> what its name is (for error messages); None: the kind takes no name
KINDS: dict[str, str | None] = {
    "ivr": "an IVR name", "queue": "a queue name", "seat": "a seat extension",
    "voicemail": "a voicemail box name", "number": "a number (digits, optional '+')",
    "message": "a prompt name", "hangup": None, "node": "an IVR node id", "callback": None,
}
#: what most fields accept (``node`` only inside IVR trees, ``callback`` only as exit target)
ROUTABLE = ("ivr", "queue", "seat", "voicemail", "number", "message", "hangup")
_NODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


@dataclass(frozen=True)
class Target:
    kind: str
    name: str = ""

    @classmethod
    def parse(cls, text: object, field: str = "target",
              kinds: Iterable[str] = ROUTABLE) -> "Target":
        """The target written in ``text``; ``ValidationError`` naming ``field`` otherwise."""
        allowed = tuple(kinds)
        expected = "one of " + ", ".join(
            f"{k}:<{KINDS[k]}>" if KINDS[k] else k for k in allowed)
        if not isinstance(text, str):
            raise ValidationError(field, expected, text)
        kind, sep, name = text.partition(":")
        if kind not in allowed:
            raise ValidationError(field, expected, text)
        if KINDS[kind] is None:
            if sep:
                raise ValidationError(field, f"{kind} without a name", text)
            return cls(kind)
        if not sep or not name:
            raise ValidationError(field, f"{kind}:<{KINDS[kind]}>", text)
        if kind == "seat":
            f.extension(field, name)
        elif kind == "number":
            f.number(field, name)
        elif kind == "node":
            if not _NODE.match(name):
                raise ValidationError(field, "node:<id> with an id of 1-32 of a-z, 0-9, '_', '-'",
                                      text)
        else:
            try:
                f.name(field, name)
            except ValidationError:
                raise ValidationError(field, f"{kind}:<{KINDS[kind]}> (1-32 of a-z, 0-9, '_',"
                                      " '-', '.')", text) from None
        return cls(kind, name)

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}" if self.name else self.kind


def optional(text: object, field: str, kinds: Iterable[str] = ROUTABLE) -> str:
    """'' stays '' (no target); anything else must parse. Returns the stored text."""
    return "" if text in ("", None) else str(Target.parse(text, field, kinds))


#: the table and key a target's name must exist in (checked inside the write)
TABLES = {"ivr": ("ivr_menus", "name", "IVR"), "queue": ("queues", "name", "queue"),
          "seat": ("seats", "extension", "seat"),
          "voicemail": ("voicemail_boxes", "name", "voicemail box"),
          "message": ("prompts", "name", "prompt")}


async def check_exists(conn: object, target: Target, field: str) -> None:
    """Raise ``ValidationError(field)`` if the object a target names does not exist."""
    spec = TABLES.get(target.kind)
    if spec is None:
        return
    table, key, noun = spec
    async with conn.execute(f"SELECT 1 FROM {table} WHERE {key} = ?",  # type: ignore[attr-defined]
                            (target.name,)) as cur:
        if await cur.fetchone() is None:
            raise ValidationError(field, f"an existing {noun}", str(target))
