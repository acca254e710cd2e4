"""The agent desk's tables: dispositions and pause reasons (configurable lists), the
disposition each agent gave each call, recording rules, and what each recording is.

Codes are what the desk and the feature codes send (``sale``, ``lunch``); a
feature code names an entry by its position in the list (``*212`` = pause with
the second reason), so the lists are kept in ``position`` order. A code that is
not in the active list is refused naming the field, before anything is written.

Recording rules: the most specific rule wins (the agent's, then the queue's,
then the one for all calls); ``mode`` is ``always`` (from the moment the call
is connected), ``on_demand`` (the agent starts and stops it from the desk) or
``never``; ``announce`` plays the recording notice to the caller first;
``stereo`` writes the caller on the left channel and the agent on the right.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from firmware.store import fields as f
from firmware.store.db import Database, NotFound, ValidationError

_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
LISTS = {"dispositions": "disposition", "pause_reasons": "pause_reason"}
MODES = ("always", "on_demand", "never")
SCOPES = ("all", "queue", "agent")


def code(field: str, v: Any) -> str:
    if not isinstance(v, str) or not _CODE.match(v):
        raise ValidationError(field, "a code of 1-32 lower-case letters, digits, '_' or '-'", v)
    return v


@dataclass(frozen=True)
class RecordingRule:
    scope: str = "all"
    target: str = ""
    mode: str = "always"
    announce: bool = False
    stereo: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "target": self.target, "mode": self.mode,
                "announce": self.announce, "stereo": self.stereo}


NO_RULE = RecordingRule(mode="never")


class DeskStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- the two lists ---------------------------------------------------------------------
    async def entries(self, table: str, active_only: bool = True) -> list[dict[str, Any]]:
        if table not in LISTS:
            raise KeyError(table)
        rows = await self._db.fetchall(
            f"SELECT code, label, position, active FROM {table}"
            f"{' WHERE active = 1' if active_only else ''} ORDER BY position, code")
        return [{"code": r["code"], "label": r["label"], "position": r["position"],
                 "active": bool(r["active"])} for r in rows]

    async def put_entry(self, table: str, code_: str, label: str, position: int = 0,
                        active: bool = True) -> dict[str, Any]:
        what = LISTS[table]
        c = code(f"{what}.code", code_)
        lbl = f.text(f"{what}.label", label, 64, required=True)
        pos = f.integer(f"{what}.position", position, 0, 999)
        act = f.boolean(f"{what}.active", active)
        async with self._db.transaction(f"{table}.put") as conn:
            await conn.execute(
                f"INSERT INTO {table} (code, label, position, active) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (code) DO UPDATE SET label = excluded.label,"
                " position = excluded.position, active = excluded.active",
                (c, lbl, pos, int(act)))
        return {"code": c, "label": lbl, "position": pos, "active": act}

    async def resolve(self, table: str, value: str) -> str:
        """An active entry's code, from its code or its 1-based position in the list."""
        what = LISTS[table]
        entries = await self.entries(table)
        if isinstance(value, str) and value.isdigit() and 1 <= int(value) <= len(entries):
            return str(entries[int(value) - 1]["code"])
        for e in entries:
            if e["code"] == value:
                return str(e["code"])
        raise ValidationError(what, "one of " + ", ".join(str(e["code"]) for e in entries)
                              + " (or its position)", value)

    # -- dispositions given ---------------------------------------------------------------
    async def set_disposition(self, call_id: str, agent: str, code_: str, note: str,
                              ts: float) -> dict[str, Any]:
        cid = f.call_id("wrapup.call_id", call_id)
        ext = f.extension("wrapup.agent", agent)
        c = await self.resolve("dispositions", code_)
        txt = f.text("wrapup.note", note, 2000)
        async with self._db.transaction("call_dispositions.put") as conn:
            await conn.execute(
                "INSERT INTO call_dispositions (call_id, agent, code, note, ts) VALUES"
                " (?, ?, ?, ?, ?) ON CONFLICT (call_id, agent) DO UPDATE SET code = excluded.code,"
                " note = excluded.note, ts = excluded.ts", (cid, ext, c, txt, ts))
        return {"call_id": cid, "agent": ext, "code": c, "note": txt, "ts": ts}

    async def dispositions_of(self, call_id: str) -> list[dict[str, Any]]:
        rows = await self._db.fetchall("SELECT * FROM call_dispositions WHERE call_id = ?"
                                       " ORDER BY ts", (call_id,))
        return [dict(r) for r in rows]

    # -- recording rules ------------------------------------------------------------------
    async def recording_rules(self) -> list[RecordingRule]:
        rows = await self._db.fetchall("SELECT * FROM recording_rules ORDER BY scope, target")
        return [RecordingRule(r["scope"], r["target"], r["mode"], bool(r["announce"]),
                              bool(r["stereo"])) for r in rows]

    async def put_recording_rule(self, rule: RecordingRule) -> RecordingRule:
        scope = f.choice("recording_rule.scope", rule.scope, SCOPES)
        if scope == "all":
            target = ""
        elif scope == "queue":
            target = f.name("recording_rule.target", rule.target)
        else:
            target = f.extension("recording_rule.target", rule.target)
        checked = RecordingRule(scope, target, f.choice("recording_rule.mode", rule.mode, MODES),
                                f.boolean("recording_rule.announce", rule.announce),
                                f.boolean("recording_rule.stereo", rule.stereo))
        async with self._db.transaction("recording_rules.put") as conn:
            await conn.execute(
                "INSERT INTO recording_rules (scope, target, mode, announce, stereo)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (scope, target) DO UPDATE SET"
                " mode = excluded.mode, announce = excluded.announce, stereo = excluded.stereo",
                (checked.scope, checked.target, checked.mode, int(checked.announce),
                 int(checked.stereo)))
        return checked

    async def delete_recording_rule(self, scope: str, target: str = "") -> None:
        async with self._db.transaction("recording_rules.delete") as conn:
            async with conn.execute("DELETE FROM recording_rules WHERE scope = ? AND target = ?",
                                    (scope, target)) as cur:
                if cur.rowcount == 0:
                    raise NotFound("no such recording rule", table="recording_rules",
                                   key=f"{scope}:{target}")

    async def rule_for(self, queue: str, agent: str) -> RecordingRule:
        """The rule that applies to a call of ``queue`` taken by ``agent``."""
        rules = {(r.scope, r.target): r for r in await self.recording_rules()}
        return (rules.get(("agent", agent)) or rules.get(("queue", queue))
                or rules.get(("all", "")) or NO_RULE)

    # -- recording files ------------------------------------------------------------------
    async def recording_started(self, path: str, call_id: str, channels: int, agent: str,
                                queue: str, direction: str, trigger: str, ts: float) -> None:
        layout = "caller-left agent-right" if channels == 2 else "mixed"
        async with self._db.transaction("recording_meta.put") as conn:
            await conn.execute(
                "INSERT OR REPLACE INTO recording_meta (path, call_id, channels, layout, agent,"
                " queue, direction, trigger, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (f.rel_path("recording.path", path), call_id, channels, layout, agent, queue,
                 direction, trigger, ts))

    async def recording_ended(self, path: str, ts: float) -> None:
        async with self._db.transaction("recording_meta.end") as conn:
            await conn.execute("UPDATE recording_meta SET ended_at = ? WHERE path = ?",
                               (ts, path))

    # -- outbound caller ID per queue -------------------------------------------------------
    async def put_queue_caller_id(self, queue: str, caller_id: str, caller_name: str = ""
                                  ) -> dict[str, str]:
        q = f.name("queue_outbound.queue", queue)
        cid = f.opt_number("queue_outbound.caller_id", caller_id)
        name = f.text("queue_outbound.caller_name", caller_name, 64)
        async with self._db.transaction("queue_outbound.put") as conn:
            await conn.execute("INSERT INTO queue_outbound (queue, caller_id, caller_name)"
                               " VALUES (?, ?, ?) ON CONFLICT (queue) DO UPDATE SET"
                               " caller_id = excluded.caller_id,"
                               " caller_name = excluded.caller_name", (q, cid, name))
        return {"queue": q, "caller_id": cid, "caller_name": name}

    async def queue_caller_id(self, queue: str) -> tuple[str, str]:
        row = await self._db.fetchone("SELECT caller_id, caller_name FROM queue_outbound"
                                      " WHERE queue = ?", (queue,))
        return ("", "") if row is None else (row[0], row[1])

    # -- seat options -------------------------------------------------------------------
    async def put_remote_answer(self, extension: str, enabled: bool) -> dict[str, Any]:
        ext = f.extension("seat_options.extension", extension)
        on = f.boolean("seat_options.remote_answer", enabled)
        async with self._db.transaction("seat_options.put") as conn:
            await conn.execute("INSERT INTO seat_options (extension, remote_answer) VALUES"
                               " (?, ?) ON CONFLICT (extension) DO UPDATE SET"
                               " remote_answer = excluded.remote_answer", (ext, int(on)))
        return {"extension": ext, "remote_answer": on}

    async def remote_answer(self, extension: str) -> bool:
        return bool(await self._db.fetchval(
            "SELECT remote_answer FROM seat_options WHERE extension = ?", (extension,)))

    # -- agent sessions -------------------------------------------------------------------
    async def save_session(self, agent: str, logged_in: bool, paused: str | None,
                           ts: float) -> None:
        async with self._db.transaction("agent_sessions.put") as conn:
            await conn.execute("INSERT INTO agent_sessions (agent, logged_in, paused, updated_at)"
                               " VALUES (?, ?, ?, ?) ON CONFLICT (agent) DO UPDATE SET"
                               " logged_in = excluded.logged_in, paused = excluded.paused,"
                               " updated_at = excluded.updated_at",
                               (agent, int(logged_in), paused, ts))

    async def sessions(self) -> dict[str, tuple[bool, str | None]]:
        rows = await self._db.fetchall("SELECT agent, logged_in, paused FROM agent_sessions")
        return {r[0]: (bool(r[1]), r[2]) for r in rows}

    async def recordings_of(self, call_id: str) -> list[dict[str, Any]]:
        rows = await self._db.fetchall("SELECT * FROM recording_meta WHERE call_id = ?"
                                       " ORDER BY started_at", (call_id,))
        return [dict(r) for r in rows]
