"""The agent desk, supervision, recording rules and campaigns as ``firmware.api.Api``
methods (mixed in), for the web desk and wallboard (issue 19) and integrators.

Each method is an ``@endpoint`` (permission checked first, run on the daemon
loop, times as ISO-8601, numbers masked for the principal) and calls the
daemon's ``Cti`` (``firmware/cti``), the same code a seat's feature code runs.
Live actions need the running daemon's desk (``attach_cti``; 503 without it);
the lists, rules and campaigns work on the store alone. Arguments, errors and
permissions: docs/design/daemon-interfaces.md ("Agent desk and supervision").
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from firmware.crm.facade import endpoint, page
from firmware.crm.permissions import Principal
from firmware.cti import campaign_csv, outbound
from firmware.errors import ApiError
from firmware.store.agentdesk import DeskStore, RecordingRule
from firmware.store.campaigns import Campaign, Campaigns


class DeskApi:
    _store: Any
    _cti: Any = None

    def attach_cti(self, cti: Any) -> None:
        """The running daemon's desk (``firmware.cti.service.Cti``)."""
        self._cti = cti

    def _running_desk(self) -> Any:
        if self._cti is None:
            raise ApiError("the agent desk is not running", status=503)
        return self._cti

    def _desk_store(self) -> DeskStore:
        return self._cti.store if self._cti is not None else DeskStore(self._store.db)

    def _campaign_store(self) -> Campaigns:
        return self._cti.campaigns if self._cti is not None else Campaigns(self._store.db)

    # -- the agent's own state --------------------------------------------------------------
    @endpoint("desk.agent")
    async def agent_status(self, p: Principal) -> dict[str, Any]:
        cti = self._running_desk()
        return cti.state_of(cti.own_seat(p, "login"))

    @endpoint("desk.agent", "write")
    async def agent_login(self, p: Principal) -> dict[str, Any]:
        return await self._running_desk().agent_state_change(p, "logged-in")

    @endpoint("desk.agent", "write")
    async def agent_logout(self, p: Principal) -> dict[str, Any]:
        return await self._running_desk().agent_state_change(p, "logged-out")

    @endpoint("desk.agent", "write")
    async def agent_pause(self, p: Principal, reason: str) -> dict[str, Any]:
        return await self._running_desk().agent_state_change(p, "paused", reason)

    @endpoint("desk.agent", "write")
    async def agent_available(self, p: Principal) -> dict[str, Any]:
        return await self._running_desk().agent_state_change(p, "available")

    @endpoint("desk.agent")
    async def desk_state(self, p: Principal) -> dict[str, Any]:
        """The own seat's state (``agent_status``) plus ``wrapup_s``: how long the wrap-up
        of the call still owing a disposition lasts (its queue's setting; None when the
        seat owes none or the call has no queue), so the desk can count it down."""
        cti = self._running_desk()
        out = dict(cti.state_of(cti.own_seat(p, "login")))
        out["wrapup_s"] = None
        owed = out.get("wrapup_call")
        if owed:
            rec = await self._store.cdr.get(owed)
            q = await self._store.config.queue(rec.queue) if rec and rec.queue else None
            out["wrapup_s"] = q.wrapup_s if q is not None else None
        return out

    @endpoint("desk.agent", "write")
    async def wrapup(self, p: Principal, disposition: str, note: str = "",
                     call_id: str | None = None, ready: bool = True) -> dict[str, Any]:
        return await self._running_desk().wrapup(p, disposition, note, call_id, ready)

    @endpoint("desk.agent")
    async def dispositions(self, p: Principal) -> list[dict[str, Any]]:
        return await self._desk_store().entries("dispositions")

    @endpoint("desk.agent")
    async def pause_reasons(self, p: Principal) -> list[dict[str, Any]]:
        return await self._desk_store().entries("pause_reasons")

    # -- the agent's call -------------------------------------------------------------------------
    @endpoint("desk.agent", "write")
    async def call_answer(self, p: Principal) -> dict[str, Any]:
        return await self._running_desk().answer(p)

    @endpoint("desk.agent", "write")
    async def call_hangup(self, p: Principal) -> dict[str, Any]:
        return await self._running_desk().act(p, "hangup")

    @endpoint("desk.agent", "write")
    async def call_hold(self, p: Principal) -> dict[str, Any]:
        return await self._running_desk().act(p, "hold")

    @endpoint("desk.agent", "write")
    async def call_resume(self, p: Principal) -> dict[str, Any]:
        return await self._running_desk().act(p, "resume")

    @endpoint("desk.agent", "write")
    async def call_transfer(self, p: Principal, target: str, attended: bool = False
                            ) -> dict[str, Any]:
        return await self._running_desk().act(p, "transfer", target=target, attended=attended)

    @endpoint("desk.agent", "write")
    async def call_complete_transfer(self, p: Principal) -> dict[str, Any]:
        return await self._running_desk().act(p, "complete")

    @endpoint("desk.agent", "write")
    async def call_cancel_transfer(self, p: Principal) -> dict[str, Any]:
        return await self._running_desk().act(p, "cancel")

    @endpoint("desk.agent", "write")
    async def call_conference(self, p: Principal, target: str = "") -> dict[str, Any]:
        return await self._running_desk().act(p, "conference", target=target)

    @endpoint("desk.agent", "write")
    async def call_pickup(self, p: Principal) -> dict[str, Any]:
        return await self._running_desk().pickup(p)

    @endpoint("recordings.control", "write")
    async def call_record(self, p: Principal, on: bool = True) -> dict[str, Any]:
        return await self._running_desk().act(p, "record", on=on)

    @endpoint("desk.outbound", "write")
    async def click_to_call(self, p: Principal, number: str, queue: str | None = None
                            ) -> dict[str, Any]:
        return await outbound.click_to_call(self._running_desk(), p, number, queue)

    @endpoint("desk.outbound", "write")
    async def call_customer(self, p: Principal, customer_id: int, phone: int = 0,
                            queue: str | None = None) -> dict[str, Any]:
        """Click-to-call a customer's ``phone``-th number without the desk ever holding it
        (an agent whose numbers are masked can call a customer it cannot read in full)."""
        p.require("customers.read", "call a customer")
        cti = self._running_desk()
        c = await getattr(self, "crm").customers.get(customer_id)   # CrmApi's, mixed in
        if c is None:
            raise ApiError("no such customer", status=404, field="customer_id")
        if not 0 <= phone < len(c.phones):
            raise ApiError(f"customer {customer_id} has no phone number #{phone}", status=409,
                           field="phone", numbers=len(c.phones))
        out = await outbound.click_to_call(cti, p, c.phones[phone][0], queue)
        return {**out, "customer_id": customer_id}

    # -- supervision ------------------------------------------------------------------------------
    @endpoint("desk.agent")
    async def live_calls(self, p: Principal) -> list[dict[str, Any]]:
        return self._running_desk().live_calls(p)

    @endpoint("supervise")
    async def agent_states(self, p: Principal) -> list[dict[str, Any]]:
        cti = self._running_desk()
        return [cti.state_of(s.extension) for s in await cti.ctx.store.config.seats()
                if cti.ctx.acd.knows(s.extension)]

    @endpoint("supervise", "write")
    async def supervise_call(self, p: Principal, agent: str, mode: str = "listen"
                             ) -> dict[str, Any]:
        return await self._running_desk().supervise(p, agent, mode)

    @endpoint("supervise", "write")
    async def leave_call(self, p: Principal, agent: str) -> dict[str, Any]:
        return await self._running_desk().leave(p, agent)

    @endpoint("supervise", "write")
    async def force_agent(self, p: Principal, agent: str, state: str, reason: str = ""
                          ) -> dict[str, Any]:
        return await self._running_desk().force(p, agent, state, reason)

    # -- configuration ----------------------------------------------------------------------------
    @endpoint("desk.admin")
    async def desk_lists(self, p: Principal) -> dict[str, list[dict[str, Any]]]:
        """Both lists for their admin page, switched-off entries included (an entry is
        never deleted: calls and pauses of the past name it)."""
        store = self._desk_store()
        return {"dispositions": await store.entries("dispositions", active_only=False),
                "pause_reasons": await store.entries("pause_reasons", active_only=False)}

    @endpoint("desk.admin", "write")
    async def put_disposition(self, p: Principal, code: str, label: str, position: int = 0,
                              active: bool = True) -> dict[str, Any]:
        return await self._desk_store().put_entry("dispositions", code, label, position, active)

    @endpoint("desk.admin", "write")
    async def put_pause_reason(self, p: Principal, code: str, label: str, position: int = 0,
                               active: bool = True) -> dict[str, Any]:
        return await self._desk_store().put_entry("pause_reasons", code, label, position,
                                                  active)

    @endpoint("desk.admin")
    async def recording_rules(self, p: Principal) -> list[dict[str, Any]]:
        return [r.to_dict() for r in await self._desk_store().recording_rules()]

    @endpoint("desk.admin", "write")
    async def put_recording_rule(self, p: Principal, scope: str, mode: str, target: str = "",
                                 announce: bool = False, stereo: bool = False
                                 ) -> dict[str, Any]:
        rule = RecordingRule(scope, target, mode, announce, stereo)
        return (await self._desk_store().put_recording_rule(rule)).to_dict()

    @endpoint("desk.admin", "write")
    async def delete_recording_rule(self, p: Principal, scope: str, target: str = "") -> None:
        await self._desk_store().delete_recording_rule(scope, target)

    @endpoint("desk.admin", "write")
    async def put_seat_remote_answer(self, p: Principal, extension: str, enabled: bool
                                     ) -> dict[str, Any]:
        """Whether the seat's phone answers when the desk asks (remote answer)."""
        if await self._store.config.seat(extension) is None:
            raise ApiError(f"no seat {extension!r}", status=404, table="seats", key=extension)
        return await self._desk_store().put_remote_answer(extension, enabled)

    @endpoint("desk.admin", "write")
    async def put_queue_caller_id(self, p: Principal, queue: str, caller_id: str,
                                  caller_name: str = "") -> dict[str, Any]:
        if await self._store.config.queue(queue) is None:
            raise ApiError(f"no queue {queue!r}", status=404, table="queues", key=queue)
        return await self._desk_store().put_queue_caller_id(queue, caller_id, caller_name)

    @endpoint("calls.read_all")
    async def call_recordings(self, p: Principal, call_id: str) -> list[dict[str, Any]]:
        return await self._desk_store().recordings_of(call_id)

    # -- campaigns --------------------------------------------------------------------------------
    @endpoint("campaigns.admin")
    async def campaigns(self, p: Principal) -> list[dict[str, Any]]:
        store = self._campaign_store()
        return [{**c.to_dict(), "counts": await store.counts(c.name)} for c in await store.listing()]

    @endpoint("campaigns.admin", "write")
    async def put_campaign(self, p: Principal, name: str, queue: str, **fields: Any
                           ) -> dict[str, Any]:
        if await self._store.config.queue(queue) is None:
            raise ApiError(f"no queue {queue!r}", status=404, field="queue")
        allowed = {"caller_id", "hours_start", "hours_end", "days", "max_attempts", "retry_s",
                   "backoff", "ring_timeout_s"}
        unknown = sorted(set(fields) - allowed)
        if unknown:
            raise ApiError(f"unknown campaign field {unknown[0]!r}", status=400,
                           field=unknown[0], expected=", ".join(sorted(allowed)))
        c = await self._campaign_store().put(Campaign(name=name, queue=queue, **fields))
        return c.to_dict()

    @endpoint("campaigns.admin", "write")
    async def delete_campaign(self, p: Principal, name: str) -> None:
        await self._campaign_store().delete(name)

    @endpoint("campaigns.admin", "write")
    async def set_campaign_state(self, p: Principal, name: str, state: str) -> dict[str, Any]:
        c = await self._campaign_store().set_state(name, state)
        if self._cti is not None and self._cti.dialer is not None:
            self._cti.dialer.wake()
        return c.to_dict()

    @endpoint("campaigns.admin", "write")
    async def import_campaign(self, p: Principal, name: str, path: str) -> dict[str, Any]:
        """Add the rows of the CSV file at ``path`` to campaign ``name``."""
        await self._campaign_store().get(name)
        try:
            data = await asyncio.to_thread(Path(path).read_bytes)
        except OSError as exc:
            raise ApiError(f"cannot read {path}: {exc.strerror}", status=400,
                           field="path") from None
        return await self._import_list(name, data)

    @endpoint("campaigns.admin", "write")
    async def import_campaign_data(self, p: Principal, name: str, data: bytes
                                   ) -> dict[str, Any]:
        """``import_campaign`` for a file sent with the request (the web page's upload)."""
        await self._campaign_store().get(name)
        return await self._import_list(name, data)

    async def _import_list(self, name: str, data: bytes) -> dict[str, Any]:
        parsed = await _parse_list(data)
        counts = await self._campaign_store().add_records(name, parsed.rows)
        return {"added": counts["added"], "skipped": counts["skipped"] + parsed.duplicates,
                "rejected": parsed.rejected}

    @endpoint("campaigns.admin")
    async def campaign_records(self, p: Principal, name: str, state: str | None = None,
                               limit: int = 50, offset: int = 0) -> dict[str, Any]:
        items, total = await self._campaign_store().records(name, state, limit, offset)
        return page(items, total, limit, offset, "line")

    @endpoint("campaigns.admin")
    async def dnc_list(self, p: Principal, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        items, total = await self._campaign_store().dnc(limit, offset)
        return page(items, total, limit, offset, "number")

    @endpoint("campaigns.admin", "write")
    async def put_dnc(self, p: Principal, number: str, note: str = "",
                      expires_at: float | None = None) -> dict[str, Any]:
        return await self._campaign_store().put_dnc(number, note, expires_at)

    @endpoint("campaigns.admin", "write")
    async def import_dnc(self, p: Principal, data: bytes) -> dict[str, Any]:
        """Put every number of a CSV file on the do-not-call list (the campaign list's
        format: a number column, and a ``note`` column if wanted); a number already on
        it keeps its entry, with the new note."""
        parsed = await _parse_list(data)
        added = await self._campaign_store().put_dnc_many(
            [(r["number"], r["data"].get("note", "")) for r in parsed.rows])
        return {"added": added, "skipped": len(parsed.rows) - added + parsed.duplicates,
                "rejected": parsed.rejected}

    @endpoint("campaigns.admin", "write")
    async def delete_dnc(self, p: Principal, number: str) -> None:
        await self._campaign_store().delete_dnc(number)


async def _parse_list(data: bytes) -> campaign_csv.Parsed:
    """A call list's rows; 422 naming the line and column for a file that is no list."""
    try:
        return await asyncio.to_thread(campaign_csv.parse, data)
    except campaign_csv.ListError as exc:
        raise ApiError(str(exc), status=422, row=exc.context.get("line"),
                       column=exc.context.get("column")) from None
