"""Inbound configuration: routes, caller lists, schedules, prompts, queue rules, IVR trees.

The admin edits these at run time (``firmware.api_inbound``); the call flows read them
for every call (``firmware.flows.routing`` keeps the routes and lists in memory for the
edge's question "does this number route anywhere?"). Like ``store.config``, every
``put_*`` checks every field first (``ValidationError`` naming it) and resolves what
the object names (a queue, a prompt, a schedule) inside its transaction, so a rejected
write changes nothing; deleting something still named elsewhere is refused with
``InUse`` naming who names it (triggers of migration 7 watch every reference).
"""
from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field, replace
from typing import Any

from acd_core.acd.model import EMPTY_CONDITIONS
from firmware.store import fields as f
from firmware.store import targets
from firmware.store.config import InUse
from firmware.store.db import Database, NotFound, ValidationError, only_row
from firmware.store.ivrtree import LANGUAGES, IvrTree, texts
from firmware.store.schedules import Schedule
from firmware.store.targets import ROUTABLE, Target

_EXACT = re.compile(r"^\+?[0-9]{1,20}$")
_PREFIX = re.compile(r"^\+?[0-9]{0,20}\*$")
_LINE_GROUP = re.compile(r"^(e1(/[0-9]{1,2}(/[0-9]{1,2})?)?|fxo(/[0-9]{1,2})?)$")
DTMF = "0123456789*#"


def number_pattern(field_name: str, v: Any) -> str:
    """A number (``+8610...``), a prefix ending in ``*`` (``400*``) or ``*`` alone."""
    if isinstance(v, str) and (_EXACT.match(v) or _PREFIX.match(v)):
        return v
    raise ValidationError(field_name, "a number, a prefix ending in '*' (like 400*) or '*'", v)


def pattern_rank(pattern: str, forms: tuple[str, ...]) -> int:
    """How closely ``pattern`` matches any of ``forms`` (0: not at all; exact beats the
    longest prefix, which beats ``*``)."""
    if pattern.endswith("*"):
        prefix = pattern[:-1]
        return 1 + len(prefix) if any(x.startswith(prefix) for x in forms) else 0
    return 1000 if pattern in forms else 0


def trunk_rank(pattern: str, trunk: str) -> int:
    """'' matches any line; a name matches itself; a line group ('e1/1') its channels."""
    if pattern == "":
        return 1
    if pattern == trunk:
        return 1000
    return 1 + len(pattern) if trunk.startswith(pattern + "/") else 0


# -- routes ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    number: str                          # DID, 'prefix*' or '*'
    target: str
    trunk: str = ""                      # '' any; SIP trunk name or line group
    schedule: str = ""                   # '' always open
    closed_target: str = ""
    note: str = ""

    def checked(self) -> "Route":
        trunk = self.trunk or ""
        if trunk and not _LINE_GROUP.match(trunk):
            f.name("route.trunk", trunk)
        schedule = f.name("route.schedule", self.schedule) if self.schedule else ""
        closed = targets.optional(self.closed_target, "route.closed_target")
        if schedule and not closed:
            raise ValidationError("route.closed_target", "a target for closed hours when a"
                                  " schedule is set")
        if closed and not schedule:
            raise ValidationError("route.schedule", "a schedule when a closed target is set")
        return Route(number_pattern("route.number", self.number),
                     str(Target.parse(self.target, "route.target")), trunk, schedule, closed,
                     f.text("route.note", self.note, 100))

    def rank(self, trunk: str, did: str) -> tuple[int, int]:
        """(DID match, trunk match); (0, _) or (_, 0) is no match."""
        return pattern_rank(self.number, (did,)), trunk_rank(self.trunk, trunk)


# -- caller lists -----------------------------------------------------------------------
LIST_KINDS = ("block", "vip")


@dataclass(frozen=True)
class ListEntry:
    kind: str                            # block | vip
    number: str                          # a number (E.164 when normalisable) or 'prefix*'
    target: str = ""                     # block: where the caller goes ('' = hangup)
    priority: int = 0                    # vip: added to the ACD priority
    expires_at: float | None = None
    note: str = ""
    id: int | None = None
    created_at: float | None = None

    def checked(self) -> "ListEntry":
        kind = f.choice("list.kind", self.kind, LIST_KINDS)
        target = targets.optional(self.target, "list.target")
        if kind == "block":
            target = target or "hangup"
            if self.priority:
                raise ValidationError("list.priority", "0 for a blocked number", self.priority)
        elif target and Target.parse(target).kind not in ("queue", "seat", "ivr"):
            raise ValidationError("list.target", "'' or a queue, seat or ivr for a VIP", target)
        if self.number == "*":
            raise ValidationError("list.number", "a number or a prefix (not every caller)", "*")
        return ListEntry(kind, number_pattern("list.number", self.number), target,
                         f.integer("list.priority", self.priority, 0, 100),
                         f.opt_timestamp("list.expires_at", self.expires_at),
                         f.text("list.note", self.note, 200), self.id, self.created_at)

    def rank(self, forms: tuple[str, ...], now: float) -> int:
        if self.expires_at is not None and self.expires_at <= now:
            return 0
        return pattern_rank(self.number, forms)


# -- named prompts ------------------------------------------------------------------------
@dataclass(frozen=True)
class Prompt:
    """A named prompt: a recording for every language (``file``), recordings per language
    (``files``) and texts per language spoken by espeak-ng, at least one of them. For a
    caller's language the library plays that language's recording, else ``file``, else
    the text (``firmware.flows.say.PromptLibrary.spec``)."""
    name: str
    file: str = ""                       # relative to var/prompts
    texts: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)     # language -> WAV

    def checked(self) -> "Prompt":
        name = f.name("prompt.name", self.name)
        path = _wav_path("prompt.file", self.file) if self.file else ""
        said = texts("prompt.texts", self.texts) if self.texts else {}
        if isinstance(said, str):
            said = {"en": said}
        if not isinstance(self.files, dict):
            raise ValidationError("prompt.files", "an object of language: file", self.files)
        per_lang = {}
        for lang, rel in sorted(self.files.items()):
            if lang not in LANGUAGES:
                raise ValidationError("prompt.files", "languages " + ", ".join(LANGUAGES),
                                      lang)
            per_lang[lang] = _wav_path(f"prompt.files.{lang}", rel)
        if not path and not said and not per_lang:
            raise ValidationError("prompt", "a file or texts per language")
        return Prompt(name, path, dict(sorted(said.items())), per_lang)

    def spec(self) -> Any:
        out: dict[str, Any] = {"file": self.file} if self.file else {"text": dict(self.texts)}
        if self.files:
            out["files"] = dict(self.files)
        return out


def _wav_path(field_name: str, value: Any) -> str:
    path = f.rel_path(field_name, value)
    if not path.endswith(".wav"):
        raise ValidationError(field_name, "a .wav file under var/prompts", path)
    return path


def _prompt(row: Any) -> Prompt:
    return Prompt(row[0], row[1], json.loads(row[2]), json.loads(row[3]))


# -- queue rules ---------------------------------------------------------------------------
#: How a queue refuses, before answering, a caller nobody would take (docs/inbound.md,
#: "Refused before answering"); the signal of each line is ``flows.admission.SIGNALS``.
REFUSALS = ("busy", "congestion")


@dataclass(frozen=True)
class QueueRules:
    """What the flow does for a queue's callers (docs/inbound.md#queue-rules)."""
    queue: str
    max_len: int | None = None
    join_empty: tuple[str, ...] = ()
    leave_empty: tuple[str, ...] = ()
    overflow: str = ""                   # '' = 'no agent' message, then hang up
    announce_every_s: int | None = None
    announce_position: bool = True
    announce_wait: bool = True
    periodic_prompt: str = ""
    periodic_every_s: int | None = None
    exit_key: str = ""
    exit_target: str = ""                # a target or 'callback'
    callback_offer_after_s: int | None = None
    callback_attempts: int = 3
    callback_retry_s: int = 120
    announce_agent: bool = False
    whisper: bool = False
    survey: str = ""
    language: str = "en"
    refuse_with: str = "busy"            # a caller nobody would take, before answering

    def checked(self) -> "QueueRules":
        def conds(name: str, v: Any) -> tuple[str, ...]:
            if isinstance(v, str):
                v = [x for x in v.split(",") if x]
            if not isinstance(v, (list, tuple)):
                raise ValidationError(f"queue.{name}", "a list of " + ", ".join(EMPTY_CONDITIONS), v)
            return tuple(sorted({f.choice(f"queue.{name}", c, EMPTY_CONDITIONS) for c in v}))

        def opt_int(name: str, v: Any, lo: int, hi: int) -> int | None:
            return None if v is None else f.integer(f"queue.{name}", v, lo, hi)
        exit_key = self.exit_key
        if exit_key and (not isinstance(exit_key, str) or len(exit_key) != 1
                         or exit_key not in DTMF):
            raise ValidationError("queue.exit_key", "'' or one key 0-9, * or #", exit_key)
        exit_target = targets.optional(self.exit_target, "queue.exit_target",
                                       (*ROUTABLE, "callback"))
        if bool(exit_key) != bool(exit_target):
            raise ValidationError("queue.exit_target" if exit_key else "queue.exit_key",
                                  "an exit key and an exit target together")
        periodic = f.name("queue.periodic_prompt", self.periodic_prompt) \
            if self.periodic_prompt else ""
        every = opt_int("periodic_every_s", self.periodic_every_s, 5, 3600)
        if bool(periodic) != (every is not None):
            raise ValidationError("queue.periodic_every_s", "a period with a periodic prompt")
        return QueueRules(
            f.name("queue.name", self.queue), opt_int("max_len", self.max_len, 0, 10000),
            conds("join_empty", self.join_empty), conds("leave_empty", self.leave_empty),
            targets.optional(self.overflow, "queue.overflow"),
            opt_int("announce_every_s", self.announce_every_s, 5, 3600),
            f.boolean("queue.announce_position", self.announce_position),
            f.boolean("queue.announce_wait", self.announce_wait), periodic, every,
            exit_key, exit_target,
            opt_int("callback_offer_after_s", self.callback_offer_after_s, 0, 86400),
            f.integer("queue.callback_attempts", self.callback_attempts, 1, 10),
            f.integer("queue.callback_retry_s", self.callback_retry_s, 10, 86400),
            f.boolean("queue.announce_agent", self.announce_agent),
            f.boolean("queue.whisper", self.whisper),
            f.name("queue.survey", self.survey) if self.survey else "",
            f.choice("queue.language", self.language, LANGUAGES),
            f.choice("queue.refuse_with", self.refuse_with, REFUSALS))


_RULE_COLS = ("max_len", "join_empty", "leave_empty", "overflow", "announce_every_s",
              "announce_position", "announce_wait", "periodic_prompt", "periodic_every_s",
              "exit_key", "exit_target", "callback_offer_after_s", "callback_attempts",
              "callback_retry_s", "announce_agent", "whisper", "survey", "language",
              "refuse_with")
_BOOL_COLS = {"announce_position", "announce_wait", "announce_agent", "whisper"}


def _rules_from_row(queue: str, row: Any) -> QueueRules:
    values: dict[str, Any] = {}
    for c in _RULE_COLS:
        v = row[c]
        if c in ("join_empty", "leave_empty"):
            v = tuple(x for x in v.split(",") if x)
        elif c in _BOOL_COLS:
            v = bool(v)
        values[c] = v
    return QueueRules(queue, **values)


class InboundStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # routes ------------------------------------------------------------------------
    async def routes(self) -> list[Route]:
        rows = await self._db.fetchall(
            "SELECT number, target, trunk, schedule, closed_target, note FROM dids"
            " ORDER BY number, trunk")
        return [Route(*r) for r in rows]

    async def put_route(self, route: Route) -> Route:
        r = route.checked()
        async with self._db.transaction("inbound.put_route") as conn:
            await targets.check_exists(conn, Target.parse(r.target), "route.target")
            if r.closed_target:
                await targets.check_exists(conn, Target.parse(r.closed_target),
                                           "route.closed_target")
            if r.schedule:
                await _exists(conn, "schedules", "name", r.schedule, "route.schedule",
                              "schedule")
            if r.trunk and not _LINE_GROUP.match(r.trunk):
                await _exists(conn, "trunks", "name", r.trunk, "route.trunk", "trunk")
            await conn.execute(
                "INSERT INTO dids (number, trunk, target, schedule, closed_target, note)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(number, trunk) DO UPDATE SET"
                " target = excluded.target, schedule = excluded.schedule,"
                " closed_target = excluded.closed_target, note = excluded.note",
                (r.number, r.trunk, r.target, r.schedule, r.closed_target, r.note))
        return r

    async def delete_route(self, number: str, trunk: str = "") -> None:
        async with self._db.transaction("inbound.delete_route") as conn:
            cur = await conn.execute("DELETE FROM dids WHERE number = ? AND trunk = ?",
                                     (number, trunk))
            if cur.rowcount == 0:
                raise NotFound("no such route", table="dids", key=f"{number}@{trunk}")

    # caller lists -------------------------------------------------------------------
    async def list_entries(self, kind: str | None = None) -> list[ListEntry]:
        sql = ("SELECT kind, number, target, priority, expires_at, note, id, created_at"
               " FROM caller_lists")
        rows = await (self._db.fetchall(sql + " WHERE kind = ? ORDER BY number", (kind,))
                      if kind else self._db.fetchall(sql + " ORDER BY kind, number"))
        return [ListEntry(*r) for r in rows]

    async def put_list_entry(self, entry: ListEntry) -> ListEntry:
        e = entry.checked()
        now = self._db.wall()
        async with self._db.transaction("inbound.put_list_entry") as conn:
            if e.target:
                await targets.check_exists(conn, Target.parse(e.target), "list.target")
            async with conn.execute(
                    "INSERT INTO caller_lists (kind, number, target, priority, expires_at, note,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(kind, number) DO"
                    " UPDATE SET target = excluded.target, priority = excluded.priority,"
                    " expires_at = excluded.expires_at, note = excluded.note"
                    " RETURNING id, created_at",
                    (e.kind, e.number, e.target, e.priority, e.expires_at, e.note, now)) as cur:
                row = await only_row(cur, "inbound.put_list_entry")
        return replace(e, id=int(row[0]), created_at=float(row[1]))

    async def delete_list_entry(self, entry_id: int) -> None:
        async with self._db.transaction("inbound.delete_list_entry") as conn:
            cur = await conn.execute("DELETE FROM caller_lists WHERE id = ?", (entry_id,))
            if cur.rowcount == 0:
                raise NotFound("no such list entry", table="caller_lists", key=entry_id)

    # schedules ------------------------------------------------------------------------
    async def schedules(self) -> list[Schedule]:
        rows = await self._db.fetchall("SELECT name, timezone, doc FROM schedules ORDER BY name")
        return [Schedule.from_doc(r[0], r[1], json.loads(r[2])) for r in rows]

    async def schedule(self, name: str) -> Schedule | None:
        row = await self._db.fetchone("SELECT name, timezone, doc FROM schedules WHERE name = ?",
                                      (name,))
        return None if row is None else Schedule.from_doc(row[0], row[1], json.loads(row[2]))

    async def put_schedule(self, schedule: Schedule) -> Schedule:
        s = Schedule.from_doc(schedule.name, schedule.timezone, schedule.to_doc())
        async with self._db.transaction("inbound.put_schedule") as conn:
            for d, day in s.days.items():
                if day.target:
                    await targets.check_exists(conn, Target.parse(day.target),
                                               f"schedule.days.{d}.target")
            await conn.execute(
                "INSERT INTO schedules (name, timezone, doc) VALUES (?, ?, ?) ON CONFLICT(name)"
                " DO UPDATE SET timezone = excluded.timezone, doc = excluded.doc",
                (s.name, s.timezone, s.dumps()))
        return s

    async def delete_schedule(self, name: str) -> None:
        await self._delete("schedules", "name", name, "schedule")

    # named prompts ---------------------------------------------------------------------
    async def prompts(self) -> list[Prompt]:
        rows = await self._db.fetchall("SELECT name, file, texts, files FROM prompts"
                                       " ORDER BY name")
        return [_prompt(r) for r in rows]

    async def prompt(self, name: str) -> Prompt | None:
        row = await self._db.fetchone("SELECT name, file, texts, files FROM prompts"
                                      " WHERE name = ?", (name,))
        return None if row is None else _prompt(row)

    async def put_prompt(self, prompt: Prompt) -> Prompt:
        p = prompt.checked()
        async with self._db.transaction("inbound.put_prompt") as conn:
            await conn.execute(
                "INSERT INTO prompts (name, file, texts, files) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET file = excluded.file,"
                " texts = excluded.texts, files = excluded.files",
                (p.name, p.file, json.dumps(p.texts, ensure_ascii=False, sort_keys=True),
                 json.dumps(p.files, sort_keys=True)))
        return p

    async def delete_prompt(self, name: str) -> None:
        await self._delete("prompts", "name", name, "prompt")

    # queue rules ------------------------------------------------------------------------
    async def queue_rules(self, queue: str) -> QueueRules:
        """The queue's rules (defaults for a queue that has none stored)."""
        row = await self._db.fetchone(
            f"SELECT {', '.join(_RULE_COLS)} FROM queue_rules r JOIN queues q"
            " ON q.id = r.queue_id WHERE q.name = ?", (queue,))
        return QueueRules(queue) if row is None else _rules_from_row(queue, row)

    async def all_queue_rules(self) -> dict[str, QueueRules]:
        rows = await self._db.fetchall(
            f"SELECT q.name AS queue, {', '.join('r.' + c for c in _RULE_COLS)}"
            " FROM queues q LEFT JOIN queue_rules r ON r.queue_id = q.id ORDER BY q.name")
        return {r["queue"]: (QueueRules(r["queue"]) if r["language"] is None
                             else _rules_from_row(r["queue"], r)) for r in rows}

    async def put_queue_rules(self, rules: QueueRules) -> QueueRules:
        r = rules.checked()
        async with self._db.transaction("inbound.put_queue_rules") as conn:
            qid = await _exists(conn, "queues", "name", r.queue, "queue.name", "queue")
            for name in ("overflow", "exit_target"):
                value = getattr(r, name)
                if value and value != "callback":
                    await targets.check_exists(conn, Target.parse(value, kinds=(*ROUTABLE,)),
                                               f"queue.{name}")
            if r.periodic_prompt:
                await _exists(conn, "prompts", "name", r.periodic_prompt,
                              "queue.periodic_prompt", "prompt")
            if r.survey:
                await _exists(conn, "surveys", "name", r.survey, "queue.survey", "survey")
            values = [getattr(r, c) for c in _RULE_COLS]
            values = [",".join(v) if isinstance(v, tuple) else
                      int(v) if isinstance(v, bool) else v for v in values]
            await conn.execute(
                f"INSERT OR REPLACE INTO queue_rules (queue_id, {', '.join(_RULE_COLS)})"
                f" VALUES (?, {', '.join('?' for _ in _RULE_COLS)})", [qid, *values])
        return r

    # IVR trees --------------------------------------------------------------------------
    async def ivr_tree(self, name: str) -> IvrTree | None:
        trees = await self._trees("WHERE m.name = ?", (name,))
        return trees[0] if trees else None

    async def ivr_trees(self) -> list[IvrTree]:
        return await self._trees("", ())

    async def _trees(self, where: str, params: tuple[Any, ...]) -> list[IvrTree]:
        rows = await self._db.fetchall(
            "SELECT m.id, m.name, m.prompt_file, m.timeout_s, m.retries, m.tree,"
            " (SELECT json_group_object(o.digit, q.name) FROM ivr_options o"
            "  JOIN queues q ON q.id = o.queue_id WHERE o.menu_id = m.id) AS options"
            f" FROM ivr_menus m {where} ORDER BY m.name", params)
        out = []
        for r in rows:
            if r["tree"]:
                out.append(IvrTree.loads(r["name"], r["tree"]))
            else:
                out.append(IvrTree.from_menu(r["name"], r["prompt_file"],
                                             json.loads(r["options"] or "{}"), r["timeout_s"],
                                             r["retries"]))
        return out

    async def put_ivr_tree(self, tree: IvrTree) -> IvrTree:
        t = IvrTree.from_doc(tree.name, tree.to_doc())
        async with self._db.transaction("inbound.put_ivr_tree") as conn:
            for where, target in t.targets():
                if target.kind == "ivr" and target.name == t.name:
                    continue                               # itself: exists once written
                await targets.check_exists(conn, target, where)
            for where, spec in t.prompts():
                if isinstance(spec, str):
                    await _exists(conn, "prompts", "name", spec.partition(":")[2], where,
                                  "prompt")
            for node in t.nodes.values():
                if node.type == "hours":
                    await _exists(conn, "schedules", "name", node.spec["schedule"],
                                  f"ivr.nodes.{node.id}.schedule", "schedule")
            root = t.nodes[t.start]
            async with conn.execute(
                    "INSERT INTO ivr_menus (name, prompt_file, prompt_text, timeout_s, retries,"
                    " tree) VALUES (?, '', '', ?, ?, ?) ON CONFLICT(name) DO UPDATE SET"
                    " prompt_file = '', prompt_text = '', timeout_s = excluded.timeout_s,"
                    " retries = excluded.retries, tree = excluded.tree RETURNING id",
                    (t.name, int(root.get("timeout_s") or 5), int(root.get("retries") or 0),
                     t.dumps())) as cur:
                mid = (await only_row(cur, "inbound.put_ivr_tree"))[0]
            await conn.execute("DELETE FROM ivr_options WHERE menu_id = ?", (mid,))
        return t

    # deleting ------------------------------------------------------------------------
    async def _delete(self, table: str, key_col: str, key: str, kind: str) -> None:
        try:
            async with self._db.transaction(f"inbound.delete_{kind}") as conn:
                cur = await conn.execute(f"DELETE FROM {table} WHERE {key_col} = ?", (key,))
                if cur.rowcount == 0:
                    raise NotFound(f"no such {kind}", table=table, key=key)
        except sqlite3.IntegrityError:
            prefix = {"prompt": ("message", "prompt")}.get(kind, (kind,))
            owners = sorted({o for p in prefix for o in await self.referrers(f"{p}:{key}")})
            raise InUse(f"{kind} {key!r} is still in use ({', '.join(owners) or 'referenced'}"
                        " points to it)", table=table, key=key) from None

    async def referrers(self, ref: str) -> list[str]:
        rows = await self._db.fetchall(
            "SELECT DISTINCT owner FROM inbound_refs WHERE ref = ? ORDER BY owner LIMIT 5",
            (ref,))
        return [r[0] for r in rows]


async def _exists(conn: Any, table: str, key_col: str, key: str, field_name: str,
                  noun: str) -> int:
    async with conn.execute(f"SELECT rowid FROM {table} WHERE {key_col} = ?", (key,)) as cur:
        row = await cur.fetchone()
    if row is None:
        raise ValidationError(field_name, f"an existing {noun}", key)
    return int(row[0])
