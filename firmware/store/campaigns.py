"""Outbound campaigns: the lists a progressive dialer works through, and the do-not-call list.

A campaign belongs to a queue (whose agents take its calls and whose caller
ID it shows unless it has its own), calls only within its hours on its days
(box local time), and tries each record up to ``max_attempts`` times, waiting
``retry_s * backoff ** (attempt - 1)`` between attempts. A record is
``pending`` (due at ``next_at``), ``dialing`` (a call is out) or ``done`` with
a result: answered, busy, no-answer, invalid (the number cannot be reached),
dnc (on the do-not-call list when due) or failed (the box could not place it).
A record left ``dialing`` by a daemon that died is pending again at the next
start (``recover``).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields as dc_fields
from typing import Any

from firmware.store import fields as f
from firmware.store.db import Database, NotFound, ValidationError

STATES = ("draft", "running", "paused", "finished")
RESULTS = ("answered", "busy", "no-answer", "invalid", "dnc", "failed")
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_DAYS = re.compile(r"^[1-7]{1,7}$")


@dataclass(frozen=True)
class Campaign:
    name: str
    queue: str
    caller_id: str = ""
    state: str = "draft"
    hours_start: str = "09:00"
    hours_end: str = "18:00"
    days: str = "12345"
    max_attempts: int = 3
    retry_s: int = 600
    backoff: float = 2.0
    ring_timeout_s: int = 30
    id: int = 0
    created_at: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {fl.name: getattr(self, fl.name) for fl in dc_fields(self)}

    def checked(self) -> "Campaign":
        for fld, value in (("hours_start", self.hours_start), ("hours_end", self.hours_end)):
            if not isinstance(value, str) or not _HHMM.match(value):
                raise ValidationError(f"campaign.{fld}", "a time HH:MM (00:00-23:59)", value)
        if self.hours_start >= self.hours_end:
            raise ValidationError("campaign.hours_end", "a time after hours_start",
                                  self.hours_end)
        backoff = self.backoff
        if isinstance(backoff, bool) or not isinstance(backoff, (int, float)) \
                or not 1.0 <= backoff <= 10.0:
            raise ValidationError("campaign.backoff", "a factor 1.0-10.0", backoff)
        if not isinstance(self.days, str) or not _DAYS.match(self.days) \
                or len(set(self.days)) != len(self.days):
            raise ValidationError("campaign.days", "ISO weekdays 1-7 each at most once, "
                                  "like 12345", self.days)
        return Campaign(
            name=f.name("campaign.name", self.name), queue=f.name("campaign.queue", self.queue),
            caller_id=f.opt_number("campaign.caller_id", self.caller_id),
            state=f.choice("campaign.state", self.state, STATES),
            hours_start=self.hours_start, hours_end=self.hours_end, days=self.days,
            max_attempts=f.integer("campaign.max_attempts", self.max_attempts, 1, 20),
            retry_s=f.integer("campaign.retry_s", self.retry_s, 10, 604800),
            backoff=float(backoff),
            ring_timeout_s=f.integer("campaign.ring_timeout_s", self.ring_timeout_s, 5, 120),
            id=self.id, created_at=self.created_at)


def _campaign(r: Any) -> Campaign:
    return Campaign(**{k: r[k] for k in r.keys()})


def _record(r: Any) -> dict[str, Any]:
    d = dict(r)
    d["data"] = json.loads(d["data"] or "{}")
    return d


class Campaigns:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- campaigns -----------------------------------------------------------------------
    async def put(self, c: Campaign) -> Campaign:
        c = c.checked()
        async with self._db.transaction("campaigns.put") as conn:
            await conn.execute(
                "INSERT INTO campaigns (name, queue, caller_id, state, hours_start, hours_end,"
                " days, max_attempts, retry_s, backoff, ring_timeout_s, created_at) VALUES"
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
                " queue = excluded.queue, caller_id = excluded.caller_id,"
                " hours_start = excluded.hours_start, hours_end = excluded.hours_end,"
                " days = excluded.days, max_attempts = excluded.max_attempts,"
                " retry_s = excluded.retry_s, backoff = excluded.backoff,"
                " ring_timeout_s = excluded.ring_timeout_s",
                (c.name, c.queue, c.caller_id, c.state, c.hours_start, c.hours_end, c.days,
                 c.max_attempts, c.retry_s, c.backoff, c.ring_timeout_s, self._db.wall()))
        return await self.get(c.name)

    async def get(self, name: str) -> Campaign:
        row = await self._db.fetchone("SELECT * FROM campaigns WHERE name = ?", (name,))
        if row is None:
            raise NotFound("no such campaign", table="campaigns", key=name)
        return _campaign(row)

    async def listing(self) -> list[Campaign]:
        return [_campaign(r) for r in await self._db.fetchall(
            "SELECT * FROM campaigns ORDER BY name")]

    async def set_state(self, name: str, state: str) -> Campaign:
        st = f.choice("campaign.state", state, STATES)
        async with self._db.transaction("campaigns.state") as conn:
            async with conn.execute("UPDATE campaigns SET state = ? WHERE name = ?",
                                    (st, name)) as cur:
                if cur.rowcount == 0:
                    raise NotFound("no such campaign", table="campaigns", key=name)
        return await self.get(name)

    async def delete(self, name: str) -> None:
        async with self._db.transaction("campaigns.delete") as conn:
            async with conn.execute("DELETE FROM campaigns WHERE name = ?", (name,)) as cur:
                if cur.rowcount == 0:
                    raise NotFound("no such campaign", table="campaigns", key=name)

    # -- records ---------------------------------------------------------------------------
    async def add_records(self, name: str, rows: list[dict[str, Any]]) -> dict[str, int]:
        """Add checked rows (``line``, ``number``, ``name``, ``data``) in one transaction; a
        number already in the campaign is skipped. Returns counts added and skipped."""
        c = await self.get(name)
        added = 0
        async with self._db.transaction("campaign_records.add") as conn:
            for r in rows:
                async with conn.execute(
                        "INSERT OR IGNORE INTO campaign_records (campaign_id, line, number, name,"
                        " data) VALUES (?, ?, ?, ?, ?)",
                        (c.id, r["line"], r["number"], r.get("name", ""),
                         json.dumps(r.get("data") or {}, ensure_ascii=False))) as cur:
                    added += cur.rowcount
        return {"added": added, "skipped": len(rows) - added}

    async def records(self, name: str, state: str | None = None, limit: int = 50,
                      offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        c = await self.get(name)
        where = "campaign_id = ?"
        args: list[Any] = [c.id]
        if state is not None:
            where += " AND state = ?"
            args.append(f.choice("state", state, ("pending", "dialing", "done")))
        async with self._db.reading() as conn:
            async with conn.execute(f"SELECT * FROM campaign_records WHERE {where}"
                                    " ORDER BY line LIMIT ? OFFSET ?",
                                    (*args, limit, offset)) as cur:
                rows = [_record(r) for r in await cur.fetchall()]
            async with conn.execute(f"SELECT COUNT(*) FROM campaign_records WHERE {where}",
                                    args) as cur:
                row = await cur.fetchone()
                total = int(row[0]) if row is not None else 0
        return rows, total

    async def counts(self, name: str) -> dict[str, int]:
        c = await self.get(name)
        rows = await self._db.fetchall(
            "SELECT state, result, COUNT(*) AS n FROM campaign_records WHERE campaign_id = ?"
            " GROUP BY state, result", (c.id,))
        out = {"pending": 0, "dialing": 0, "done": 0, **{r: 0 for r in RESULTS}}
        for r in rows:
            out[r["state"]] += r["n"]
            if r["result"]:
                out[r["result"]] += r["n"]
        return out

    async def next_due(self, campaign_id: int, now: float) -> dict[str, Any] | None:
        row = await self._db.fetchone(
            "SELECT * FROM campaign_records WHERE campaign_id = ? AND state = 'pending'"
            " AND next_at <= ? ORDER BY next_at, line LIMIT 1", (campaign_id, now))
        return None if row is None else _record(row)

    async def next_time(self, campaign_id: int) -> float | None:
        return await self._db.fetchval(
            "SELECT MIN(next_at) FROM campaign_records WHERE campaign_id = ?"
            " AND state = 'pending'", (campaign_id,))

    async def mark_dialing(self, record_id: int, agent: str, call_id: str, now: float) -> None:
        async with self._db.transaction("campaign_records.dialing") as conn:
            await conn.execute(
                "UPDATE campaign_records SET state = 'dialing', attempts = attempts + 1,"
                " last_at = ?, agent = ?, call_id = ? WHERE id = ?",
                (now, agent, call_id, record_id))

    async def finish(self, record_id: int, result: str, retry_at: float | None) -> None:
        """The attempt's result; ``retry_at`` makes the record pending again (due then)."""
        res = f.choice("campaign_record.result", result, RESULTS)
        async with self._db.transaction("campaign_records.finish") as conn:
            if retry_at is None:
                await conn.execute("UPDATE campaign_records SET state = 'done', result = ?"
                                   " WHERE id = ?", (res, record_id))
            else:
                await conn.execute("UPDATE campaign_records SET state = 'pending', result = ?,"
                                   " next_at = ? WHERE id = ?", (res, retry_at, record_id))

    async def release(self, record_id: int) -> None:
        """The attempt never reached the customer (the agent did not answer): pending again,
        due now, and it does not count."""
        async with self._db.transaction("campaign_records.release") as conn:
            await conn.execute("UPDATE campaign_records SET state = 'pending',"
                               " attempts = MAX(0, attempts - 1) WHERE id = ?", (record_id,))

    async def set_call(self, record_id: int, call_id: str) -> None:
        async with self._db.transaction("campaign_records.call") as conn:
            await conn.execute("UPDATE campaign_records SET call_id = ? WHERE id = ?",
                               (call_id, record_id))

    async def recover(self) -> int:
        """Records a dead daemon left 'dialing' are due again now; how many."""
        async with self._db.transaction("campaign_records.recover") as conn:
            async with conn.execute("UPDATE campaign_records SET state = 'pending'"
                                    " WHERE state = 'dialing'") as cur:
                return int(cur.rowcount)

    # -- do not call -----------------------------------------------------------------------
    async def put_dnc(self, number: str, note: str = "", expires_at: float | None = None
                      ) -> dict[str, Any]:
        n = f.number("dnc.number", number)
        row = (n, f.text("dnc.note", note, 200), self._db.wall(),
               f.opt_timestamp("dnc.expires_at", expires_at))
        async with self._db.transaction("dnc.put") as conn:
            await conn.execute("INSERT INTO dnc (number, note, added_at, expires_at) VALUES"
                               " (?, ?, ?, ?) ON CONFLICT (number) DO UPDATE SET"
                               " note = excluded.note, expires_at = excluded.expires_at", row)
        return {"number": n, "note": row[1], "added_at": row[2], "expires_at": row[3]}

    async def put_dnc_many(self, entries: list[tuple[str, str]]) -> int:
        """``(number, note)`` pairs in one transaction (all or none); how many were new."""
        now = self._db.wall()
        rows = [(f.number("dnc.number", n), f.text("dnc.note", note, 200), now)
                for n, note in entries]
        async with self._db.transaction("dnc.put_many") as conn:
            async with conn.execute("SELECT COUNT(*) FROM dnc") as cur:
                before = (await cur.fetchone() or (0,))[0]
            await conn.executemany(
                "INSERT INTO dnc (number, note, added_at) VALUES (?, ?, ?) ON CONFLICT"
                " (number) DO UPDATE SET note = excluded.note", rows)
            async with conn.execute("SELECT COUNT(*) FROM dnc") as cur:
                after = (await cur.fetchone() or (0,))[0]
        return int(after) - int(before)

    async def delete_dnc(self, number: str) -> None:
        async with self._db.transaction("dnc.delete") as conn:
            async with conn.execute("DELETE FROM dnc WHERE number = ?", (number,)) as cur:
                if cur.rowcount == 0:
                    raise NotFound("number not on the do-not-call list", table="dnc",
                                   key=number)

    async def dnc(self, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        rows = await self._db.fetchall("SELECT * FROM dnc ORDER BY number LIMIT ? OFFSET ?",
                                       (limit, offset))
        total = int(await self._db.fetchval("SELECT COUNT(*) FROM dnc") or 0)
        return [dict(r) for r in rows], total

    async def is_dnc(self, number: str, now: float) -> bool:
        """On the list (and not expired), by the number as dialled or without its '+'."""
        bare = number.lstrip("+")
        return bool(await self._db.fetchval(
            "SELECT 1 FROM dnc WHERE (number = ? OR number = ? OR number = ?)"
            " AND (expires_at IS NULL OR expires_at > ?)", (number, bare, "+" + bare, now)))
