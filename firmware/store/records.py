"""Call records as the CRM reads them: recordings with their call, retention, purge,
everything about one phone number, and KPI queries.

Retention rules give days to keep per record kind (``cdr``, ``recording``)
and queue; a queue without its own rule takes the rule of queue ``''``; with
neither, records are kept. The purge deletes expired recording files first
and their rows after (a crash in between leaves rows whose file is gone,
which the next purge removes; never a file without a row, which no purge
would find), clears the CDR's pointer to them, and deletes expired CDRs with
their queue events and cost rows.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Sequence

from firmware.store import fields as f
from firmware.store.db import Database, NotFound, ValidationError, only_row

KINDS = ("cdr", "recording")
KPI_GROUPS = {"queue": "cdr.queue", "agent": "cdr.agent",
              "day": "date(cdr.started_at, 'unixepoch')",
              "hour": "strftime('%Y-%m-%dT%H:00', cdr.started_at, 'unixepoch')"}


def _rule(kind: str, queue_expr: str) -> str:
    return (f"coalesce((SELECT days FROM retention_rules WHERE kind = '{kind}' AND queue ="
            f" {queue_expr}), (SELECT days FROM retention_rules WHERE kind = '{kind}'"
            " AND queue = ''))")


class Records:
    def __init__(self, db: Database, recordings_root: Path) -> None:
        self._db = db
        self.root = Path(recordings_root)

    # recordings with their call ---------------------------------------------------
    async def recordings(self, *, limit: int = 50, offset: int = 0, since: float | None = None,
                         until: float | None = None, agent: str | None = None
                         ) -> tuple[list[dict[str, Any]], int]:
        clauses: list[str] = []
        params: list[Any] = []
        if since is not None:
            clauses.append("r.created_at >= ?")
            params.append(f.timestamp("since", since))
        if until is not None:
            clauses.append("r.created_at < ?")
            params.append(f.timestamp("until", until))
        if agent is not None:
            clauses.append("c.agent = ?")
            params.append(agent)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        f.integer("limit", limit, 1, 500)
        f.integer("offset", offset, 0, 2**62)
        sql = ("SELECT r.*, c.caller_number, c.caller_name, c.queue, c.agent, c.started_at,"
               " c.dialed_number FROM recordings r LEFT JOIN cdr c ON c.id = r.call_id")
        async with self._db.reading() as conn:
            async with conn.execute(f"{sql}{where} ORDER BY r.created_at DESC, r.path"
                                    " LIMIT ? OFFSET ?", [*params, limit, offset]) as cur:
                rows = await cur.fetchall()
            async with conn.execute(f"SELECT COUNT(*) FROM recordings r LEFT JOIN cdr c"
                                    f" ON c.id = r.call_id{where}", params) as cur:
                total = int((await only_row(cur, "recordings.count"))[0])
        return [dict(r) for r in rows], total

    async def recording(self, path: str) -> dict[str, Any]:
        row = await self._db.fetchone(
            "SELECT r.*, c.caller_number, c.agent, c.queue FROM recordings r LEFT JOIN cdr c"
            " ON c.id = r.call_id WHERE r.path = ?", (path,))
        if row is None:
            raise NotFound("no such recording", table="recordings", key=path)
        return dict(row)

    async def delete_recordings(self, paths: Sequence[str]) -> int:
        """Files first, rows after; returns the bytes freed."""
        freed = 0

        def unlink_all() -> int:
            n = 0
            for p in paths:
                full = self.root / f.rel_path("recording.path", p)
                try:
                    n += full.stat().st_size
                    full.unlink()
                except FileNotFoundError:
                    pass
            return n
        freed = await asyncio.to_thread(unlink_all)
        async with self._db.transaction("recordings.delete") as conn:
            for i in range(0, len(paths), 500):
                chunk = list(paths[i:i + 500])
                marks = ",".join("?" * len(chunk))
                await conn.execute(f"DELETE FROM recordings WHERE path IN ({marks})", chunk)
                await conn.execute(f"UPDATE cdr SET recording = '' WHERE recording IN ({marks})",
                                   chunk)
        return freed

    # retention ------------------------------------------------------------------
    async def rules(self) -> list[dict[str, Any]]:
        return [dict(r) for r in await self._db.fetchall(
            "SELECT kind, queue, days FROM retention_rules ORDER BY kind, queue")]

    async def put_rule(self, kind: str, days: int, queue: str = "") -> None:
        kind = f.choice("retention.kind", kind, KINDS)
        days = f.integer("retention.days", days, 1, 36500)
        queue = f.text("retention.queue", queue, 32)
        async with self._db.transaction("retention.put") as conn:
            await conn.execute("INSERT INTO retention_rules (kind, queue, days) VALUES (?, ?, ?)"
                               " ON CONFLICT(kind, queue) DO UPDATE SET days = excluded.days",
                               (kind, queue, days))

    async def delete_rule(self, kind: str, queue: str = "") -> None:
        async with self._db.transaction("retention.delete") as conn:
            cur = await conn.execute("DELETE FROM retention_rules WHERE kind = ? AND queue = ?",
                                     (kind, queue))
            if cur.rowcount == 0:
                raise NotFound("no such retention rule", table="retention_rules",
                               key=f"{kind}/{queue}")

    async def expired(self, now: float) -> tuple[list[str], list[str]]:
        """``(recording paths, cdr ids)`` past their retention at ``now``."""
        rule = _rule("recording", "coalesce(c.queue, '')")
        recs = await self._db.fetchall(
            "SELECT r.path FROM recordings r LEFT JOIN cdr c ON c.id = r.call_id"
            f" WHERE r.created_at < ? - 86400 * {rule}",
            (now,))
        cdrs = await self._db.fetchall(
            f"SELECT id FROM cdr WHERE started_at < ? - 86400 * {_rule('cdr', 'cdr.queue')}",
            (now,))
        return [r[0] for r in recs], [r[0] for r in cdrs]

    async def delete_calls(self, ids: Sequence[str]) -> None:
        async with self._db.transaction("cdr.purge") as conn:
            for i in range(0, len(ids), 500):
                chunk = list(ids[i:i + 500])
                marks = ",".join("?" * len(chunk))
                await conn.execute(f"DELETE FROM queue_log WHERE call_id IN ({marks})", chunk)
                await conn.execute(f"DELETE FROM cdr WHERE id IN ({marks})", chunk)

    # one number -----------------------------------------------------------------
    async def calls_of_numbers(self, spellings: Sequence[str]) -> list[dict[str, Any]]:
        if not spellings:
            return []
        marks = ",".join("?" * len(spellings))
        rows = await self._db.fetchall(
            f"SELECT * FROM cdr WHERE caller_number IN ({marks}) UNION SELECT * FROM cdr"
            f" WHERE dialed_number IN ({marks}) AND dialed_number <> '' ORDER BY started_at",
            [*spellings, *spellings])
        return [dict(r) for r in rows]

    async def anonymise_calls(self, ids: Sequence[str]) -> None:
        """Keep a call's statistics, drop who it was (privacy erase)."""
        async with self._db.transaction("cdr.anonymise") as conn:
            for i in range(0, len(ids), 500):
                chunk = list(ids[i:i + 500])
                marks = ",".join("?" * len(chunk))
                await conn.execute(f"UPDATE cdr SET caller_number = '', caller_name = '',"
                                   f" dialed_number = '', recording = '' WHERE id IN ({marks})",
                                   chunk)
                await conn.execute(f"UPDATE survey_answers SET caller_number = '',"
                                   f" customer_id = NULL WHERE call_id IN ({marks})", chunk)

    async def recordings_of_calls(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for i in range(0, len(ids), 500):
            chunk = list(ids[i:i + 500])
            marks = ",".join("?" * len(chunk))
            out += [dict(r) for r in await self._db.fetchall(
                f"SELECT * FROM recordings WHERE call_id IN ({marks}) ORDER BY path", chunk)]
        return out

    # reports --------------------------------------------------------------------
    async def kpi(self, by: str, since: float, until: float, queue: str | None = None
                  ) -> list[dict[str, Any]]:
        """Offered, answered, abandoned, service level, ASA, AHT per group (from CDRs).

        Service level: answered within the queue's threshold (20 s for calls of
        no configured queue) over answered + abandoned. A window of whole UTC
        days grouped by queue, agent or day reads the ``cdr_daily`` rollup;
        anything finer reads the CDRs through the covering ``cdr_kpi`` index.
        """
        group = KPI_GROUPS.get(by)
        if group is None:
            raise ValidationError("by", "one of " + ", ".join(KPI_GROUPS), by)
        since, until = f.timestamp("since", since), f.timestamp("until", until)
        if by != "hour" and since % 86400 == 0 and until % 86400 == 0:
            col = {"queue": "queue", "agent": "agent", "day": "day"}[by]
            sql = (f"SELECT {col} AS k, SUM(offered) AS offered, SUM(answered) AS answered,"
                   " SUM(abandoned) AS abandoned, SUM(in_sl) AS in_sl, SUM(wait_sum) AS"
                   " wait_sum, SUM(talk_sum) AS talk_sum FROM cdr_daily WHERE day >= date(?,"
                   " 'unixepoch') AND day < date(?, 'unixepoch')"
                   + (" AND queue = ?" if queue is not None else "") + " GROUP BY k ORDER BY k")
            params: list[Any] = [since, until] + ([queue] if queue is not None else [])
        else:
            sql = (f"SELECT {group} AS k, COUNT(*) AS offered,"
                   " SUM(disposition = 'answered') AS answered,"
                   " SUM(disposition = 'abandoned') AS abandoned,"
                   " SUM(disposition = 'answered' AND wait_s <= coalesce(q.sl_threshold_s, 20))"
                   " AS in_sl,"
                   " SUM(CASE WHEN disposition = 'answered' THEN wait_s END) AS wait_sum,"
                   " SUM(CASE WHEN disposition = 'answered' THEN talk_s END) AS talk_sum"
                   " FROM cdr INDEXED BY cdr_kpi LEFT JOIN queues q ON q.name = cdr.queue"
                   " WHERE cdr.started_at >= ? AND cdr.started_at < ?"
                   + (" AND cdr.queue = ?" if queue is not None else "")
                   + " GROUP BY k ORDER BY k")
            params = [since, until] + ([queue] if queue is not None else [])
        rows = await self._db.fetchall(sql, params)
        out = []
        for r in rows:
            ans, aband = r["answered"] or 0, r["abandoned"] or 0
            out.append({by: r["k"], "offered": r["offered"], "answered": ans, "abandoned": aband,
                        "service_level": round((r["in_sl"] or 0) / (ans + aband), 4)
                        if ans + aband else None,
                        "asa_s": round(r["wait_sum"] / ans, 2) if ans else None,
                        "aht_s": round(r["talk_sum"] / ans, 2) if ans else None})
        return out
