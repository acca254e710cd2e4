"""The inbound half of ``firmware.api.Api``: routes, caller lists, schedules, prompts,
queue rules, IVR trees, voicemail and callbacks (docs/design/daemon-interfaces.md,
"Inbound configuration API"; the data model in docs/inbound.md).

Every method is an ``@endpoint`` (``firmware.crm.facade``): the permission is checked
first, the work runs on the daemon loop, store errors become ``ApiError`` with the field
at fault (400), a missing row 404, something still in use 409; phone numbers are masked
for principals without ``numbers.unmasked``. Configuration writes are audited
(``inbound.*`` actions) and publish ``config.changed`` (``what``, ``key``): the router
reloads at once, so a new route answers the next call (and the edge's 404 decision).
"""
from __future__ import annotations

import logging
import os
from dataclasses import asdict, replace
from typing import Any, Callable

from firmware.crm.facade import endpoint, page
from firmware.crm.permissions import Principal
from firmware.crm.phone import try_normalise
from firmware.errors import ApiError
from firmware.flows.routing import Router
from firmware.flows.say import PromptLibrary
from firmware.flows.voicemail import voicemail_subject
from firmware.store import fields as store_fields
from firmware.store.db import NotFound
from firmware.store.inbound import ListEntry, Prompt, QueueRules, Route
from firmware.store.ivrtree import _FIELDS, LANGUAGES, NODE_TYPES, IvrTree, prompt_spec
from firmware.store.schedules import Schedule
from firmware.store.voicemail import VoicemailBox
from firmware.wavfile import WavError, checked_prompt_wav

log = logging.getLogger("callbox.api.inbound")

RULE_FIELDS = tuple(f for f in QueueRules.__dataclass_fields__ if f != "queue")


def _route(r: Route) -> dict[str, Any]:
    """A route as the API shows it: the DID pattern under ``did`` (a DID is the box's own
    number, not a caller's: it is never masked)."""
    d = asdict(r)
    d["did"] = d.pop("number")
    return d


def _entry(e: ListEntry) -> dict[str, Any]:
    d = asdict(e)
    return d


def _schedule(s: Schedule) -> dict[str, Any]:
    return {"name": s.name, "timezone": s.timezone, **s.to_doc()}


class InboundApi:
    """Mixed into ``firmware.api.Api`` (which provides ``_run``, ``_store``, ``_bus``, ``crm``)."""

    _run: Callable[..., Any]
    _store: Any
    _bus: Any
    crm: Any
    _router: Router | None = None
    _prompt_library: PromptLibrary | None = None

    def attach_inbound(self, router: Router, prompts: PromptLibrary) -> None:
        """The composition root's router and prompt library (reloaded after writes)."""
        self._router = router
        self._prompt_library = prompts

    def _library(self) -> PromptLibrary:
        """The daemon's library, or one over var/prompts when none was attached."""
        if self._prompt_library is None:
            self._prompt_library = PromptLibrary(self._store.path.parent / "prompts",
                                                 self._store.inbound)
        return self._prompt_library

    def _changed(self, what: str, key: str) -> None:
        if self._router is not None:
            self._router.invalidate()
        if self._bus is not None:
            self._bus.publish("config.changed", what=what, key=key)

    async def _audit(self, p: Principal, action: str, target: str,
                     detail: dict[str, Any] | None = None) -> None:
        await self.crm.audited(p, f"inbound.{action}", target, detail)

    # routes ----------------------------------------------------------------------------
    @endpoint("queues.admin")
    async def inbound_routes(self, p: Principal) -> list[dict[str, Any]]:
        """Every route: ``did`` (a DID, ``prefix*`` or ``*``), ``trunk`` ('' any line),
        ``target``, ``schedule``, ``closed_target``, ``note``."""
        return [_route(r) for r in await self._store.inbound.routes()]

    @endpoint("queues.admin", "write")
    async def put_route(self, p: Principal, did: str, target: str, trunk: str = "",
                        schedule: str = "", closed_target: str = "", note: str = ""
                        ) -> dict[str, Any]:
        r = await self._store.inbound.put_route(Route(did, target, trunk, schedule,
                                                      closed_target, note))
        await self._audit(p, "route.put", f"{r.number}@{r.trunk}", {"target": r.target})
        self._changed("route", f"{r.number}@{r.trunk}")
        return _route(r)

    @endpoint("queues.admin", "write")
    async def delete_route(self, p: Principal, did: str, trunk: str = "") -> None:
        await self._store.inbound.delete_route(did, trunk)
        await self._audit(p, "route.delete", f"{did}@{trunk}")
        self._changed("route", f"{did}@{trunk}")

    @endpoint("queues.admin")
    async def route_check(self, p: Principal, did: str, trunk: str = "",
                          caller: str = "", at: float | None = None) -> dict[str, Any]:
        """Where a call would go now (or at ``at``): the route, list entries and hours the
        flow would apply, without placing a call (for the admin's "test this number")."""
        if self._router is None:
            self._router = Router(self._store)
        wall = self._store.db.wall() if at is None else at
        d = await self._router.decide(trunk, did, caller, wall)
        if d is None:
            return {"routes": False, "target": None}
        return {"routes": True, "target": d.target, "route": _route(d.route),
                "blocked": d.blocked is not None, "vip": d.vip is not None,
                "closed": d.closed or None, "caller": caller}

    # caller lists ---------------------------------------------------------------------
    @endpoint("queues.admin")
    async def caller_lists(self, p: Principal, kind: str | None = None) -> list[dict[str, Any]]:
        """Black list (``block``) and white list (``vip``) entries, numbers masked per role."""
        return [_entry(e) for e in await self._store.inbound.list_entries(kind)]

    @endpoint("queues.admin", "write")
    async def put_list_entry(self, p: Principal, kind: str, number: str, target: str = "",
                             priority: int = 0, expires_at: float | None = None,
                             note: str = "") -> dict[str, Any]:
        """Add or change an entry (keyed by kind and number). An exact number is stored in
        E.164 when the CRM's phone settings can normalise it, so ``0138...``,
        ``138...`` and ``+86138...`` are one entry; a prefix ends in ``*``."""
        stored = number
        if isinstance(number, str) and not number.endswith("*"):
            stored = try_normalise(number, await self.crm.phone_settings()) or number
        e = await self._store.inbound.put_list_entry(
            ListEntry(kind, stored, target, priority, expires_at, note))
        await self._audit(p, "list.put", f"{e.kind}#{e.id}", {"target": e.target,
                                                             **self.crm.number_ref(stored)})
        self._changed("list", str(e.id))
        return _entry(e)

    @endpoint("queues.admin", "write")
    async def delete_list_entry(self, p: Principal, entry_id: int) -> None:
        await self._store.inbound.delete_list_entry(entry_id)
        await self._audit(p, "list.delete", str(entry_id))
        self._changed("list", str(entry_id))

    # schedules ---------------------------------------------------------------------------
    @endpoint("queues.admin")
    async def schedules(self, p: Principal) -> list[dict[str, Any]]:
        return [_schedule(s) for s in await self._store.inbound.schedules()]

    @endpoint("queues.admin", "write")
    async def put_schedule(self, p: Principal, name: str, timezone: str = "UTC",
                           weekly: dict[str, Any] | None = None,
                           days: dict[str, Any] | None = None) -> dict[str, Any]:
        """Weekly hours (``{"mon": [["09:00", "18:00"]], ...}``) and dated entries
        (``{"2026-10-01": {"closed": true, "note": ..., "target": ...}}`` for a holiday,
        ``{"hours": [[...]]}`` for a day with other hours). Replaces the whole schedule."""
        s = Schedule.from_doc(name, timezone, {"weekly": weekly or {}, "days": days or {}})
        s = await self._store.inbound.put_schedule(s)
        await self._audit(p, "schedule.put", s.name)
        self._changed("schedule", s.name)
        return _schedule(s)

    @endpoint("queues.admin", "write")
    async def delete_schedule(self, p: Principal, name: str) -> None:
        await self._store.inbound.delete_schedule(name)
        await self._audit(p, "schedule.delete", name)
        self._changed("schedule", name)

    @endpoint("queues.admin")
    async def schedule_state(self, p: Principal, name: str, at: float | None = None
                             ) -> dict[str, Any]:
        """Open or closed now (or at ``at``), and why (hours, holiday, exception)."""
        s = await self._store.inbound.schedule(name)
        if s is None:
            raise NotFound("no such schedule", table="schedules", key=name)
        state = s.state_at(self._store.db.wall() if at is None else at)
        return {"name": name, "open": state.open, "why": state.why, "note": state.note,
                "target": state.target}

    # prompts -----------------------------------------------------------------------------
    @endpoint("queues.admin")
    async def list_prompts(self, p: Principal) -> list[dict[str, Any]]:
        return [asdict(x) for x in await self._store.inbound.prompts()]

    @endpoint("queues.admin", "write")
    async def put_prompt(self, p: Principal, name: str, texts: dict[str, str] | None = None,
                         file: str = "", files: dict[str, str] | None = None
                         ) -> dict[str, Any]:
        """A named prompt: a WAV under var/prompts (``file``), texts per language, and
        recordings per language (``files``; None keeps the prompt's)."""
        if files is None:
            old = await self._store.inbound.prompt(name)
            files = dict(old.files) if old is not None else {}
        x = await self._store.inbound.put_prompt(Prompt(name, file, texts or {}, files))
        await self._audit(p, "prompt.put", x.name)
        self._changed("prompt", x.name)
        return asdict(x)

    @endpoint("queues.admin", "write", timeout=60)
    async def upload_prompt(self, p: Principal, name: str, data: bytes, language: str = ""
                            ) -> dict[str, Any]:
        """A WAV uploaded from the browser becomes the prompt's recording: for every
        language (``uploads/<name>.wav``, the prompt's ``file``) or, with ``language``, for
        that language only (``uploads/<name>.<language>.wav`` in ``files``); the rest of
        the prompt is kept. It is checked first (``firmware.wavfile``: 8 kHz mono, 16-bit
        PCM as is, A-law/µ-law converted by sox); a refused file leaves the prompt and
        the files as they were."""
        name = store_fields.name("prompt.name", name)
        if language and language not in LANGUAGES:
            raise ApiError("language: expected " + " or ".join(LANGUAGES) + " (or none: "
                           "every language)", status=400, field="language")
        try:
            audio = checked_prompt_wav(data)
        except WavError as exc:
            raise ApiError(f"file: {exc}", status=400, field="file") from None
        old = await self._store.inbound.prompt(name) or Prompt(name)
        rel = f"uploads/{name}.{language}.wav" if language else f"uploads/{name}.wav"
        new = replace(old, files={**old.files, language: rel}) if language \
            else replace(old, file=rel)
        path = self._library().dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{name}.{os.getpid()}.part")
        tmp.write_bytes(audio)
        try:
            x = await self._store.inbound.put_prompt(new)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        tmp.replace(path)
        await self._audit(p, "prompt.upload", name, {"language": language} if language
                          else None)
        self._changed("prompt", name)
        return asdict(x)

    @endpoint("queues.admin", "write")
    async def delete_prompt_recording(self, p: Principal, name: str, language: str
                                      ) -> dict[str, Any]:
        """Take a language's recording off a prompt (its file stays under var/prompts);
        refused (400) when the prompt would have nothing left to play."""
        old = await self._store.inbound.prompt(name)
        if old is None:
            raise NotFound("no such prompt", table="prompts", key=name)
        if language not in old.files:
            raise NotFound(f"prompt {name!r} has no recording in {language!r}",
                           table="prompts", key=name)
        x = await self._store.inbound.put_prompt(
            replace(old, files={k: v for k, v in old.files.items() if k != language}))
        await self._audit(p, "prompt.put", name, {"removed_recording": language})
        self._changed("prompt", name)
        return asdict(x)

    @endpoint("queues.admin", "write")
    async def delete_prompt(self, p: Principal, name: str) -> None:
        await self._store.inbound.delete_prompt(name)
        await self._audit(p, "prompt.delete", name)
        self._changed("prompt", name)

    @endpoint("queues.admin", "read", timeout=60)
    async def prompt_audio(self, p: Principal, prompt: Any, language: str = "en") -> str:
        """The absolute path of a prompt's WAV (rendered now if needed), for the editor's
        "listen" button: ``"prompt:<name>"``, ``{"file": ...}`` or ``{"text": ...}``."""
        if language not in LANGUAGES:
            raise ApiError("language: expected " + " or ".join(LANGUAGES), status=400,
                           field="language")
        spec = prompt_spec("prompt", prompt)
        return str(await self._library().spec(spec, language, language))

    # queue rules ---------------------------------------------------------------------------
    @endpoint("queues.admin")
    async def queue_rules(self, p: Principal, queue: str) -> dict[str, Any]:
        if await self._store.config.queue(queue) is None:
            raise NotFound("no such queue", table="queues", key=queue)
        return asdict(await self._store.inbound.queue_rules(queue))

    @endpoint("queues.admin", "write")
    async def put_queue_rules(self, p: Principal, queue: str, **fields: Any) -> dict[str, Any]:
        """Change some of a queue's rules (the others keep their values). Rules the ACD
        engine applies (max length, join/leave-when-empty, overflow, announcement period,
        callback offer) take effect at the next start; the rest at the next call."""
        bad = sorted(set(fields) - set(RULE_FIELDS))
        if bad:
            raise ApiError(f"unknown queue rule {bad[0]}", status=400, field=bad[0])
        base = await self._store.inbound.queue_rules(queue)
        r = await self._store.inbound.put_queue_rules(replace(base, **fields))
        await self._audit(p, "queue_rules.put", queue, {"fields": sorted(fields)})
        self._changed("queue_rules", queue)
        return asdict(r)

    # IVR trees --------------------------------------------------------------------------
    @endpoint("queues.admin")
    async def ivr_trees(self, p: Principal) -> list[dict[str, Any]]:
        """Every IVR as ``{"name", "tree": {start, language, nodes}}`` (a menu of schema 1
        shows as a tree of one menu node)."""
        return [{"name": t.name, "tree": t.to_doc()} for t in await self._store.inbound.ivr_trees()]

    @endpoint("queues.admin")
    async def ivr_tree(self, p: Principal, name: str) -> dict[str, Any]:
        t = await self._store.inbound.ivr_tree(name)
        if t is None:
            raise NotFound("no such IVR", table="ivr_menus", key=name)
        return {"name": t.name, "tree": t.to_doc()}

    @endpoint("queues.admin")
    async def check_ivr_tree(self, p: Principal, name: str, tree: dict[str, Any]
                             ) -> dict[str, Any]:
        """Check a tree without saving it (the editor's "check" button): 400 naming the
        field, or the tree as it would be stored."""
        t = IvrTree.from_doc(name, tree)
        return {"name": t.name, "tree": t.to_doc()}

    @endpoint("queues.admin", "write")
    async def put_ivr_tree(self, p: Principal, name: str, tree: dict[str, Any]) -> dict[str, Any]:
        t = await self._store.inbound.put_ivr_tree(IvrTree.from_doc(name, tree))
        await self._audit(p, "ivr.put", t.name, {"nodes": len(t.nodes)})
        self._changed("ivr", t.name)
        return {"name": t.name, "tree": t.to_doc()}

    @endpoint("queues.admin", "write")
    async def delete_ivr_tree(self, p: Principal, name: str) -> None:
        await self._store.config.delete("ivr", name)
        await self._audit(p, "ivr.delete", name)
        self._changed("ivr", name)

    @endpoint("queues.admin")
    async def ivr_schema(self, p: Principal) -> dict[str, Any]:
        """What the editor offers: node types with their fields (kind, required),
        languages and the target kinds."""
        from firmware.store.targets import KINDS
        return {"node_types": {t: {k: {"kind": kind, "required": req}
                                   for k, (kind, req) in _FIELDS[t].items()}
                               for t in NODE_TYPES},
                "languages": list(LANGUAGES),
                "targets": {k: v for k, v in KINDS.items() if k != "callback"}}

    # voicemail ------------------------------------------------------------------------
    @endpoint("queues.admin")
    async def voicemail_boxes(self, p: Principal) -> list[dict[str, Any]]:
        return [asdict(b) for b in await self._store.voicemail.boxes()]

    @endpoint("queues.admin", "write")
    async def put_voicemail_box(self, p: Principal, name: str, greeting: str = "",
                                max_s: int = 120, ticket_type: str = "",
                                language: str = "en") -> dict[str, Any]:
        b = await self._store.voicemail.put_box(VoicemailBox(name, greeting, max_s,
                                                             ticket_type, language))
        await self._audit(p, "voicemail_box.put", b.name)
        self._changed("voicemail_box", b.name)
        return asdict(b)

    @endpoint("queues.admin", "write")
    async def delete_voicemail_box(self, p: Principal, name: str) -> None:
        await self._store.voicemail.delete_box(name)
        await self._audit(p, "voicemail_box.delete", name)
        self._changed("voicemail_box", name)

    @endpoint("calls.read_all")
    async def voicemails(self, p: Principal, box: str | None = None, limit: int = 50,
                         offset: int = 0, since: float | None = None,
                         until: float | None = None) -> dict[str, Any]:
        """Messages, newest first: ``{"items": [{id, box, call_id, caller_number,
        caller_name, path, seconds, created_at, ticket_id, heard_at}], "total", ...}``."""
        items, total = await self._store.voicemail.page(limit, offset, box, since, until)
        return page([v.to_dict() for v in items], total, limit, offset, "-created_at")

    @endpoint("recordings.play")
    async def voicemail_file(self, p: Principal, voicemail_id: int) -> str:
        """The absolute path of a message's WAV to stream; audited, marks it heard."""
        v = await self._store.voicemail.get(voicemail_id)
        if v is None:
            raise NotFound("no such voicemail", table="voicemails", key=voicemail_id)
        p.require("calls.read_all", "listen to voicemail")
        await self.crm.audited(p, "recording.play", v.path, {"call_id": v.call_id,
                                                            "voicemail": v.id})
        await self._store.voicemail.mark_heard(v.id)
        return str(self.crm.records.root / v.path)

    @endpoint("recordings.delete", "write")
    async def delete_voicemail(self, p: Principal, voicemail_id: int) -> dict[str, Any]:
        v = await self._store.voicemail.delete(voicemail_id)
        freed = await self.crm.records.delete_recordings([v.path])
        await self.crm.audited(p, "recording.delete", v.path, {"call_id": v.call_id,
                                                              "voicemail": v.id,
                                                              "bytes": freed})
        return {"id": v.id, "bytes": freed}

    @endpoint("tickets.write", "write")
    async def voicemail_ticket(self, p: Principal, voicemail_id: int, type: str = "inquiry",
                               priority: str = "normal") -> dict[str, Any]:
        """Turn a message into a ticket (once; a second call returns the same ticket)."""
        v = await self._store.voicemail.get(voicemail_id)
        if v is None:
            raise NotFound("no such voicemail", table="voicemails", key=voicemail_id)
        if v.ticket_id is not None:
            return await self.crm.tickets.get(v.ticket_id)
        customer = await self.crm.customer_for_number(v.caller_number)
        t = await self.crm.tickets.create(
            type_=type, subject=voicemail_subject(v.box, v.caller_number),
            actor=p.user, customer_id=customer, priority=priority, call_id=v.call_id,
            description=f"Message of {v.seconds:.0f} s: {v.path}")
        await self._store.voicemail.set_ticket(v.id, int(t["id"]))
        return t

    # callbacks -------------------------------------------------------------------------
    @endpoint("calls.read_all")
    async def callbacks(self, p: Principal, state: str | None = "waiting") -> list[dict[str, Any]]:
        """Callbacks promised to callers (``waiting``, ``done``, ``failed``; None: all)."""
        if state not in (None, "waiting", "done", "failed"):
            raise ApiError("state: expected waiting, done, failed or nothing", status=400,
                           field="state")
        return [{"call_id": c.call_id, "queue": c.queue, "number": c.number,
                 "trunk": c.trunk, "joined_at": c.joined_at, "state": c.state,
                 "attempts": c.attempts, "outcome": c.outcome}
                for c in await self._store.voicemail.callbacks(state)]
