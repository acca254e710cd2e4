"""Calls, recordings, exports, imports, rating, reports, retention, privacy, audit and
backup: the records half of the CRM API (mixed into ``firmware.api_crm.CrmApi``).

The same ``@endpoint`` wrapper as the CRM half checks permissions and masks
results. Call-level scoping lives here too: a principal with ``calls.read``
but not ``calls.read_all`` sees only the calls of its own seat, and its
recordings only when it may play them.
"""
from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

from firmware.crm import exports, imports, privacy
from firmware.crm.facade import endpoint, page
from firmware.crm.permissions import Principal
from firmware.errors import ApiError
from firmware.store.cdr import CdrFilter
from firmware.store.db import NotFound

log = logging.getLogger("callbox.api.records")


class RecordsApi:
    crm: Any
    _run: Any

    def _own_calls(self, p: Principal, agent: str | None) -> str | None:
        if p.can("calls.read_all"):
            return agent
        p.require("calls.read", "read calls")
        return p.seat or "-"

    # calls and recordings ---------------------------------------------------------
    @endpoint(None)
    async def calls(self, p: Principal, limit: int = 50, offset: int = 0,
                    since: float | None = None, until: float | None = None,
                    queue: str | None = None, agent: str | None = None,
                    disposition: str | None = None) -> dict[str, Any]:
        agent = self._own_calls(p, agent)
        items, total = await self.crm.store.cdr.page(
            limit, offset, CdrFilter(since, until, queue, agent, disposition))
        return page([r.to_dict() for r in items], total, limit, offset, "-started_at")

    @endpoint(None)
    async def call(self, p: Principal, call_id: str) -> dict[str, Any]:
        rec = await self.crm.store.cdr.get(call_id)
        if rec is None or (not p.can("calls.read_all") and rec.agent != self._own_calls(p, None)):
            raise NotFound("no such call", table="cdr", key=call_id)
        row = await self.crm.db.fetchone("SELECT direction, dialed_number FROM cdr WHERE id = ?",
                                         (rec.id,))
        return {**rec.to_dict(), "direction": row["direction"],
                "dialed_number": row["dialed_number"],
                "queue_events": [e.to_dict() for e in
                                 await self.crm.store.queue_log.for_call(rec.id)],
                "recordings": [r.to_dict() for r in await self.crm.store.recordings.for_call(
                    rec.id)],
                "cost": await self.crm.rating.cost(rec.id)}

    @endpoint("calls.read_all")
    async def recordings(self, p: Principal, limit: int = 50, offset: int = 0,
                         since: float | None = None, until: float | None = None
                         ) -> dict[str, Any]:
        items, total = await self.crm.records.recordings(limit=limit, offset=offset, since=since,
                                                         until=until)
        return page(items, total, limit, offset, "-created_at")

    @endpoint(None)
    async def recording_file(self, p: Principal, path: str, purpose: str = "play") -> str:
        """The absolute path of a recording to stream; checked and audited first."""
        if purpose not in ("play", "download"):
            raise ApiError("purpose: expected play or download", status=400, field="purpose")
        p.require(f"recordings.{purpose}", f"{purpose} recordings")
        rec = await self.crm.records.recording(path)
        if not p.can("calls.read_all") and rec["agent"] != (p.seat or "-"):
            raise NotFound("no such recording", table="recordings", key=path)
        await self.crm.audited(p, f"recording.{purpose}", path, {"call_id": rec["call_id"]})
        return str(self.crm.records.root / rec["path"])

    @endpoint("recordings.delete", "write")
    async def delete_recording(self, p: Principal, path: str) -> dict[str, Any]:
        rec = await self.crm.records.recording(path)
        freed = await self.crm.records.delete_recordings([rec["path"]])
        await self.crm.audited(p, "recording.delete", path, {"call_id": rec["call_id"],
                                                             "bytes": freed})
        return {"path": path, "bytes": freed}

    # exports and imports ---------------------------------------------------------
    @endpoint("export", "read", timeout=600)
    async def export(self, p: Principal, what: str, fmt: str = "csv", **filters: Any
                     ) -> dict[str, Any]:
        if what == "customers":
            p.require("customers.read")
        elif what == "tickets":
            p.require("tickets.read")
        else:
            p.require("calls.read_all", "export calls")
        return await exports.export(self.crm, p, what, fmt, filters)

    @endpoint("customers.import")
    async def import_preview(self, p: Principal, path: str, encoding: str | None = None
                             ) -> dict[str, Any]:
        from firmware.crm import importer
        defs = await self.crm.customers.custom_fields()

        def peek() -> dict[str, Any]:
            t = importer.open_table(Path(path), encoding)
            try:
                sample = []
                for _, cells in t.rows:
                    sample.append(["" if c is None else str(c) for c in cells])
                    if len(sample) >= 5:
                        break
                return {"format": t.format, "encoding": t.encoding, "delimiter": t.delimiter,
                        "headers": t.headers, "mapping": importer.auto_mapping(t.headers, defs),
                        "sample": sample}
            finally:
                t.close()
        return await asyncio.to_thread(peek)

    _imports: dict[int, dict[str, Any]] = {}

    @endpoint("customers.import", "write")
    async def start_import(self, p: Principal, path: str, filename: str | None = None,
                           on_duplicate: str = "skip", mapping: dict[str, str] | None = None,
                           encoding: str | None = None) -> dict[str, Any]:
        """Starts the import on the loop and returns at once; poll ``import_status``."""
        state: dict[str, Any] = {"state": "running", "progress": {}}
        box: dict[str, Any] = {}

        def progress(d: dict[str, Any]) -> None:
            state["progress"] = d
            if "id" in d:
                box["id"] = d["id"]

        async def job() -> None:
            try:
                state["summary"] = await imports.run_import(
                    self.crm, Path(path), actor=p, filename=filename, on_duplicate=on_duplicate,
                    mapping=mapping, encoding=encoding, progress=progress)
                state["state"] = "done"
            except Exception as exc:           # reported through import_status
                state["state"], state["error"] = "failed", str(exc)
        task = asyncio.get_running_loop().create_task(job())
        for _ in range(200):                   # the history row exists within a few steps
            await asyncio.sleep(0)
            row = await self.crm.db.fetchone(
                "SELECT id FROM imports WHERE actor = ? ORDER BY id DESC LIMIT 1", (p.user,))
            if row is not None and (row[0] not in self._imports):
                self._imports[row[0]] = state
                state["task"] = task
                return {"id": row[0]}
        raise ApiError("the import did not start", status=503)

    @endpoint("customers.import")
    async def import_status(self, p: Principal, import_id: int) -> dict[str, Any]:
        live = self._imports.get(import_id)
        row = await self.crm.db.fetchone("SELECT * FROM imports WHERE id = ?", (import_id,))
        if row is None:
            raise NotFound("no such import", table="imports", key=import_id)
        out = {"id": import_id, "file": row["filename"], "state": row["state"],
               "started_at": row["started_at"], "finished_at": row["finished_at"],
               "summary": json.loads(row["summary"])}
        if live is not None:
            out["progress"] = live.get("progress", {})
            if live.get("error"):
                out["error"] = live["error"]
        return out

    @endpoint("customers.import")
    async def import_rejects(self, p: Principal, import_id: int) -> str:
        """The rejected rows as uploaded (unmasked): for the user who imported, or unmasked."""
        row = await self.crm.db.fetchone("SELECT actor FROM imports WHERE id = ?", (import_id,))
        if row is None or (row[0] != p.user and not p.unmasked):
            raise NotFound("no such import", table="imports", key=import_id)
        f = imports.rejects_path(self.crm, import_id)
        if not f.is_file():
            raise NotFound("this import rejected no rows", table="imports", key=import_id)
        return str(f)

    # rating and reports ------------------------------------------------------------
    @endpoint("reports.read")
    async def rate_tables(self, p: Principal) -> list[dict[str, Any]]:
        return await self.crm.rating.tables()

    @endpoint("rating.admin", "write")
    async def put_rate_table(self, p: Principal, trunk: str, currency: str,
                             rates: list[dict[str, Any]]) -> None:
        await self.crm.rating.put_table(trunk, currency, rates)
        await self.crm.audited(p, "rating.put", trunk, {"rates": len(rates)})

    @endpoint("rating.admin", "write")
    async def delete_rate_table(self, p: Principal, trunk: str) -> None:
        await self.crm.rating.delete_table(trunk)
        await self.crm.audited(p, "rating.delete", trunk)

    @endpoint("rating.admin", "write", timeout=600)
    async def rerate(self, p: Principal, since: float, until: float, trunk: str | None = None
                     ) -> dict[str, Any]:
        n = await self.crm.rating.rerate(since, until, trunk)
        await self.crm.audited(p, "rating.rerate", trunk or "", {"since": since, "until": until,
                                                                  "rated": n})
        return {"rated": n}

    @endpoint("reports.read", timeout=60)
    async def cost_totals(self, p: Principal, by: str, since: float, until: float
                          ) -> list[dict[str, Any]]:
        return await self.crm.rating.totals(by, since, until, await self.crm.phone_settings())

    @endpoint("reports.read", timeout=60)
    async def kpi(self, p: Principal, by: str, since: float, until: float,
                  queue: str | None = None) -> list[dict[str, Any]]:
        return await self.crm.records.kpi(by, since, until, queue)

    @endpoint("reports.read", timeout=60)
    async def quality_kpis(self, p: Principal, by: str, since: float, until: float,
                           queue: str | None = None, repeat_h: float = 24.0
                           ) -> list[dict[str, Any]]:
        """Abandon rate and time, occupancy, utilization, adherence, FCR, CSAT and
        transfer rate per queue, agent or in total (``firmware.crm.kpis``)."""
        from firmware.crm import kpis
        return await kpis.report(self.crm.store, by, since, until, queue, repeat_h)

    # retention, privacy, audit -------------------------------------------------------
    @endpoint("records.admin")
    async def retention_rules(self, p: Principal) -> list[dict[str, Any]]:
        return await self.crm.records.rules()

    @endpoint("records.admin", "write")
    async def put_retention_rule(self, p: Principal, kind: str, days: int, queue: str = ""
                                 ) -> None:
        await self.crm.records.put_rule(kind, days, queue)
        await self.crm.audited(p, "retention.put", f"{kind}/{queue}", {"days": days})

    @endpoint("records.admin", "write")
    async def delete_retention_rule(self, p: Principal, kind: str, queue: str = "") -> None:
        await self.crm.records.delete_rule(kind, queue)
        await self.crm.audited(p, "retention.delete", f"{kind}/{queue}")

    @endpoint("records.admin", "write", timeout=600)
    async def purge(self, p: Principal) -> dict[str, Any]:
        return await self.crm.purge(p)

    @endpoint("records.admin", "read", timeout=600)
    async def privacy_export(self, p: Principal, number: str) -> dict[str, Any]:
        return await privacy.export_number(self.crm, p, number)

    @endpoint("records.admin", "write", timeout=600)
    async def privacy_erase(self, p: Principal, number: str) -> dict[str, Any]:
        return await privacy.erase_number(self.crm, p, number)

    @endpoint("audit.read")
    async def audit_log(self, p: Principal, since: float | None = None,
                        until: float | None = None, actor: str | None = None,
                        action: str | None = None, limit: int = 50, offset: int = 0
                        ) -> dict[str, Any]:
        items, total = await self.crm.audit.page(since=since, until=until, actor=actor,
                                                 action=action, limit=limit, offset=offset)
        await self.crm.audited(p, "audit.view", "", {"actor": actor, "action": action})
        return page([e.to_dict() for e in items], total, limit, offset, "-seq")

    @endpoint("audit.read")
    async def verify_audit(self, p: Principal) -> dict[str, Any]:
        return await self.crm.audit.verify()

    @endpoint("system.backup", "write", timeout=3600)
    async def backup(self, p: Principal, passphrase: str | None = None) -> dict[str, Any]:
        from firmware.backup import create_backup
        dest_dir = self.crm.var_dir / "backups"
        result = await create_backup(self.crm.store, dest_dir, passphrase=passphrase)
        await self.crm.audited(p, "backup.create", Path(result["path"]).name,
                               {"bytes": result["bytes"], "encrypted": passphrase is not None})
        return result
