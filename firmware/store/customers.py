"""Customers: built-in fields, several E.164 phone numbers, tags, owner, custom fields.

Phone numbers arrive here already in E.164 (the CRM layer normalises them with
the box's country settings, ``firmware.crm.phone``); this module checks the
form and keeps them in ``customer_phones``, whose ``e164`` index is what the
screen pop and duplicate detection probe. Custom field values live in one JSON
object per customer, checked against ``custom_fields`` on every write.

Name search uses the FTS5 trigram index for fragments of three or more
characters and a scan for shorter ones (two-character Chinese names); both
are case-insensitive.
"""
from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Sequence

import aiosqlite

from firmware.store import fields as f
from firmware.store.db import Database, NotFound, ValidationError, only_row
from firmware.store.sync import in_thread

FIELD_TYPES = ("text", "number", "date", "choice", "multi-choice")
BUILTIN_FIELDS = ("name", "company", "phones", "email", "address", "tags", "owner")
SORTS = {"name": "c.name COLLATE NOCASE, c.id", "-name": "c.name COLLATE NOCASE DESC, c.id DESC",
         "created_at": "c.id", "-created_at": "c.id DESC",
         "updated_at": "c.updated_at, c.id", "-updated_at": "c.updated_at DESC, c.id DESC"}
MAX_PAGE = 500
MAX_PHONES = 10
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")
_TAG = re.compile(r"^[^\x00-\x1f,;]{1,32}$")


@dataclass(frozen=True)
class CustomField:
    name: str
    label: str
    type: str
    required: bool = False
    in_list: bool = False
    choices: tuple[str, ...] = ()

    def checked(self) -> "CustomField":
        name = f.name("custom_field.name", self.name)
        if name in BUILTIN_FIELDS:
            raise ValidationError("custom_field.name", "a name that is not a built-in field", name)
        kind = f.choice("custom_field.type", self.type, FIELD_TYPES)
        choices = tuple(f.text(f"custom_field.choices[{i}]", c, 64, required=True)
                        for i, c in enumerate(self.choices))
        if kind in ("choice", "multi-choice") and not choices:
            raise ValidationError("custom_field.choices", "at least one choice", list(choices))
        return CustomField(name, f.text("custom_field.label", self.label, 64, required=True),
                           kind, f.boolean("custom_field.required", self.required),
                           f.boolean("custom_field.in_list", self.in_list), choices)

    def value(self, v: Any, where: str) -> Any:
        """``v`` checked and normalised for this field (None/"" = empty)."""
        name = f"{where}.{self.name}"
        if v is None or v == "" or v == []:
            if self.required:
                raise ValidationError(name, f"a value ({self.label} is required)", v)
            return None
        if self.type == "text":
            return f.text(name, str(v) if isinstance(v, (int, float)) else v, 1000)
        if self.type == "number":
            if isinstance(v, str):
                try:
                    v = float(v.strip().replace(",", "")) if v.strip() else None
                except ValueError:
                    raise ValidationError(name, "a number", v) from None
                if v is not None and v.is_integer():
                    v = int(v)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v:
                raise ValidationError(name, "a number", v)
            return v
        if self.type == "date":
            if isinstance(v, date):
                return v.isoformat()[:10]
            try:
                return date.fromisoformat(str(v).strip()[:10]).isoformat()
            except ValueError:
                raise ValidationError(name, "a date like 2026-11-27", v) from None
        if self.type == "choice":
            return f.choice(name, v, self.choices)
        items = [x.strip() for x in re.split(r"[;,]", v)] if isinstance(v, str) else v
        if not isinstance(items, (list, tuple)) or not all(x in self.choices for x in items):
            raise ValidationError(name, "some of " + ", ".join(self.choices), v)
        return sorted(set(items), key=self.choices.index)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "type": self.type,
                "required": self.required, "in_list": self.in_list, "choices": list(self.choices)}


@dataclass(frozen=True)
class Customer:
    name: str
    phones: tuple[tuple[str, str], ...] = ()        # (e164, label)
    company: str = ""
    email: str = ""
    address: str = ""
    tags: tuple[str, ...] = ()
    owner: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
    created_at: float | None = None
    updated_at: float | None = None

    def checked(self, defs: Sequence[CustomField]) -> "Customer":
        if len(self.phones) > MAX_PHONES:
            raise ValidationError("customer.phones", f"at most {MAX_PHONES} numbers",
                                  len(self.phones))
        phones: list[tuple[str, str]] = []
        for i, (num, label) in enumerate(self.phones):
            if not isinstance(num, str) or not _E164.match(num):
                raise ValidationError(f"customer.phones[{i}]", "an E.164 number like +8613812345678",
                                      num)
            if num not in [p[0] for p in phones]:
                phones.append((num, f.text(f"customer.phones[{i}].label", label, 32)))
        email = f.text("customer.email", self.email.strip(), 254)
        if email and not _EMAIL.match(email):
            raise ValidationError("customer.email", "an address like name@example.com", email)
        tags = []
        for i, t in enumerate(self.tags):
            if not isinstance(t, str) or not _TAG.match(t.strip()):
                raise ValidationError(f"customer.tags[{i}]", "a tag of 1-32 characters without , ;",
                                      t)
            if t.strip() not in tags:
                tags.append(t.strip())
        known = {d.name: d for d in defs}
        unknown = sorted(set(self.custom) - set(known))
        if unknown:
            raise ValidationError(f"customer.custom.{unknown[0]}", "a defined custom field")
        custom = {}
        for d in defs:
            v = d.value(self.custom.get(d.name), "customer.custom")
            if v is not None:
                custom[d.name] = v
        return Customer(f.text("customer.name", self.name.strip(), 200, required=True),
                        tuple(phones), f.text("customer.company", self.company.strip(), 200),
                        email, f.text("customer.address", self.address.strip(), 500),
                        tuple(tags), self.owner, custom, self.id)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "company": self.company,
                "phones": [{"number": n, "label": lab} for n, lab in self.phones],
                "email": self.email, "address": self.address, "tags": list(self.tags),
                "owner": self.owner, "custom": dict(self.custom),
                "created_at": self.created_at, "updated_at": self.updated_at}


@dataclass(frozen=True)
class CustomerFilter:
    q: str | None = None                  # name / company / email fragment
    phone: str | None = None              # E.164, exact
    phone_suffix: str | None = None       # trailing digits (unmasked principals only)
    tag: str | None = None
    owner: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if self.q:
            q = f.text("q", self.q.strip(), 100)
            if len(q) >= 3:
                clauses.append("c.id IN (SELECT rowid FROM customers_fts WHERE customers_fts"
                               " MATCH ?)")
                params.append('"' + q.replace('"', '""') + '"')
            elif len(q) == 2 and not q.isascii() and not any(ch.isspace() for ch in q):
                clauses.append("c.id IN (SELECT customer_id FROM customer_grams WHERE gram = ?)")
                params.append(q.lower())
            elif q:
                like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                clauses.append("(c.name LIKE ? ESCAPE '\\' OR c.company LIKE ? ESCAPE '\\')")
                params += [like, like]
        if self.phone:
            clauses.append("c.id IN (SELECT customer_id FROM customer_phones WHERE e164 = ?)")
            params.append(self.phone)
        if self.phone_suffix:
            if not re.fullmatch(r"[0-9]{3,15}", self.phone_suffix):
                raise ValidationError("phone", "3-15 trailing digits", self.phone_suffix)
            clauses.append("c.id IN (SELECT customer_id FROM customer_phones WHERE e164 LIKE ?)")
            params.append("%" + self.phone_suffix)
        if self.tag:
            clauses.append("c.id IN (SELECT customer_id FROM customer_tags WHERE tag = ?)")
            params.append(f.text("tag", self.tag, 32))
        if self.owner:
            clauses.append("c.owner_id = (SELECT id FROM users WHERE username = ?)")
            params.append(self.owner)
        for name, value in sorted(self.custom.items()):
            f.name("custom", name)
            if isinstance(value, (list, tuple)):
                raise ValidationError(f"custom.{name}", "one value to match", value)
            clauses.append(f"(json_extract(c.custom, '$.{name}') = ? OR EXISTS (SELECT 1 FROM"
                           f" json_each(c.custom, '$.{name}') WHERE value = ?))")
            params += [value, value]
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _dump(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


class Customers:
    def __init__(self, db: Database) -> None:
        self._db = db

    # custom field definitions ------------------------------------------------
    async def custom_fields(self) -> list[CustomField]:
        rows = await self._db.fetchall("SELECT * FROM custom_fields ORDER BY position, name")
        return [CustomField(r["name"], r["label"], r["type"], bool(r["required"]),
                            bool(r["in_list"]), tuple(json.loads(r["choices"]))) for r in rows]

    async def put_custom_field(self, d: CustomField) -> CustomField:
        d = d.checked()
        async with self._db.transaction("custom_fields.put") as conn:
            await conn.execute(
                "INSERT INTO custom_fields (name, label, type, required, in_list, choices,"
                " position) VALUES (?, ?, ?, ?, ?, ?, (SELECT coalesce(MAX(position), 0) + 1"
                " FROM custom_fields)) ON CONFLICT(name) DO UPDATE SET label = excluded.label,"
                " type = excluded.type, required = excluded.required, in_list ="
                " excluded.in_list, choices = excluded.choices",
                (d.name, d.label, d.type, int(d.required), int(d.in_list), _dump(list(d.choices))))
        return d

    async def delete_custom_field(self, name: str) -> None:
        """Removes the definition and the field's value from every customer."""
        async with self._db.transaction("custom_fields.delete") as conn:
            cur = await conn.execute("DELETE FROM custom_fields WHERE name = ?", (name,))
            if cur.rowcount == 0:
                raise NotFound("no such custom field", table="custom_fields", key=name)
            await conn.execute("UPDATE customers SET custom = json_remove(custom, ?)"
                               " WHERE json_extract(custom, ?) IS NOT NULL",
                               (f"$.{name}", f"$.{name}"))

    # customers ---------------------------------------------------------------
    async def _owner_id(self, conn: aiosqlite.Connection, owner: str | None) -> int | None:
        if owner is None:
            return None
        async with conn.execute("SELECT id FROM users WHERE username = ?", (owner,)) as cur:
            row = await cur.fetchone()
        if row is None:
            raise ValidationError("customer.owner", "the name of an existing user", owner)
        return int(row[0])

    async def put(self, c: Customer) -> Customer:
        """Create (``id`` None) or replace customer ``id`` as a whole."""
        c = c.checked(await self.custom_fields())
        now = self._db.wall()
        async with self._db.transaction("customers.put") as conn:
            owner_id = await self._owner_id(conn, c.owner)
            if c.id is None:
                async with conn.execute(
                        "INSERT INTO customers (name, company, email, address, owner_id, custom,"
                        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                        (c.name, c.company, c.email, c.address, owner_id, _dump(c.custom), now,
                         now)) as cur:
                    cid = int((await only_row(cur, "customers.put"))[0])
            else:
                cid = f.integer("customer.id", c.id, 1, 2**62)
                cur = await conn.execute(
                    "UPDATE customers SET name = ?, company = ?, email = ?, address = ?,"
                    " owner_id = ?, custom = ?, updated_at = ? WHERE id = ?",
                    (c.name, c.company, c.email, c.address, owner_id, _dump(c.custom), now, cid))
                if cur.rowcount == 0:
                    raise NotFound("no such customer", table="customers", key=cid)
                await conn.execute("DELETE FROM customer_phones WHERE customer_id = ?", (cid,))
                await conn.execute("DELETE FROM customer_tags WHERE customer_id = ?", (cid,))
                await conn.execute("DELETE FROM customer_grams WHERE customer_id = ?", (cid,))
            await write_children(conn, cid, c.phones, c.tags, c.name, c.company)
        got = await self.get(cid)
        assert got is not None
        return got

    async def delete(self, cid: int) -> None:
        async with self._db.transaction("customers.delete") as conn:
            cur = await conn.execute("DELETE FROM customers WHERE id = ?", (cid,))
            if cur.rowcount == 0:
                raise NotFound("no such customer", table="customers", key=cid)

    async def get(self, cid: int) -> Customer | None:
        items = await self.many([cid])
        return items[0] if items else None

    async def many(self, ids: Sequence[int]) -> list[Customer]:
        """Customers by id, in the order given (missing ones left out)."""
        if not ids:
            return []
        async with self._db.reading() as conn:
            return await load(conn, ids)

    async def by_phone(self, e164: str, limit: int = 6) -> list[int]:
        rows = await self._db.fetchall(
            "SELECT customer_id FROM customer_phones WHERE e164 = ? ORDER BY customer_id LIMIT ?",
            (e164, limit))
        return [r[0] for r in rows]

    async def page(self, filters: CustomerFilter = CustomerFilter(), sort: str = "name",
                   limit: int = 50, offset: int = 0) -> tuple[list[Customer], int]:
        order = SORTS.get(sort)
        if order is None:
            raise ValidationError("sort", "one of " + ", ".join(SORTS), sort)
        f.integer("limit", limit, 1, MAX_PAGE)
        f.integer("offset", offset, 0, 2**62)
        where, params = filters.where()
        async with self._db.reading() as conn:
            async with conn.execute(f"SELECT c.id FROM customers c{where} ORDER BY {order}"
                                    " LIMIT ? OFFSET ?", [*params, limit, offset]) as cur:
                ids = [r[0] for r in await cur.fetchall()]
            async with conn.execute(f"SELECT COUNT(*) FROM customers c{where}", params) as cur:
                total = int((await only_row(cur, "customers.count"))[0])
            return await load(conn, ids), total

    async def count(self) -> int:
        return int(await self._db.fetchval("SELECT COUNT(*) FROM customers"))

    # notes -------------------------------------------------------------------
    async def add_note(self, cid: int, author: str, body: str, call_id: str | None = None
                       ) -> dict[str, Any]:
        body = _multiline("note.body", body, 5000)
        now = self._db.wall()
        try:
            async with self._db.transaction("notes.add") as conn:
                async with conn.execute(
                        "INSERT INTO customer_notes (customer_id, author, call_id, body,"
                        " created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                        (cid, author, call_id, body, now)) as cur:
                    nid = int((await only_row(cur, "notes.add"))[0])
        except sqlite3.IntegrityError:
            raise NotFound("no such customer", table="customers", key=cid) from None
        return {"id": nid, "customer_id": cid, "author": author, "call_id": call_id,
                "body": body, "created_at": now}


def _multiline(name: str, v: str, max_len: int) -> str:
    """Free text that may span lines (notes, descriptions): no other control characters."""
    if not isinstance(v, str) or len(v) > max_len or \
            any(ord(c) < 32 and c not in "\n\t" for c in v.replace("\r\n", "\n")):
        raise ValidationError(name, f"text of at most {max_len} characters", v)
    v = v.replace("\r\n", "\n").strip()
    if not v:
        raise ValidationError(name, "a non-empty text", v)
    return v


multiline = _multiline


def grams(*texts: str) -> set[str]:
    """The character pairs ``customer_grams`` keeps: those of a name with a non-ASCII
    character in them (Chinese names are two or three characters long; a two-letter
    Latin fragment finds too much to be a useful search and is scanned instead)."""
    out: set[str] = set()
    for t in texts:
        for word in t.lower().split():
            out.update([p for p in (word[i:i + 2] for i in range(len(word) - 1))
                        if not p.isascii()])
    return out


async def write_children(conn: aiosqlite.Connection, cid: int, phones: Iterable[tuple[str, str]],
                         tags: Iterable[str], name: str = "", company: str = "") -> None:
    await conn.executemany(
        "INSERT INTO customer_phones (customer_id, position, e164, label) VALUES (?, ?, ?, ?)",
        [(cid, i, n, lab) for i, (n, lab) in enumerate(phones)])
    await conn.executemany("INSERT INTO customer_tags (customer_id, tag) VALUES (?, ?)",
                           [(cid, t) for t in tags])
    await conn.executemany("INSERT INTO customer_grams (gram, customer_id) VALUES (?, ?)",
                           [(g, cid) for g in grams(name)])


async def load(conn: aiosqlite.Connection, ids: Sequence[int]) -> list[Customer]:
    """Customers with their phones and tags (one trip to the connection's thread)."""
    return await in_thread(conn, load_sync, ids) if ids else []


def load_sync(conn: sqlite3.Connection, ids: Sequence[int]) -> list[Customer]:
    """Customers by id in the order given, with phones and tags: three queries per page."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = {r[0]: r for r in conn.execute(
        f"SELECT c.id, c.name, c.company, c.email, c.address, u.username, c.custom,"
        f" c.created_at, c.updated_at FROM customers c LEFT JOIN users u ON u.id = c.owner_id"
        f" WHERE c.id IN ({marks})", list(ids))}
    phones: dict[int, list[tuple[str, str]]] = {}
    for cid, e164, label in conn.execute(
            f"SELECT customer_id, e164, label FROM customer_phones WHERE customer_id IN"
            f" ({marks}) ORDER BY customer_id, position", list(ids)):
        phones.setdefault(cid, []).append((e164, label))
    tags: dict[int, list[str]] = {}
    for cid, tag in conn.execute(f"SELECT customer_id, tag FROM customer_tags WHERE"
                                 f" customer_id IN ({marks}) ORDER BY customer_id, tag",
                                 list(ids)):
        tags.setdefault(cid, []).append(tag)
    out = []
    for i in ids:
        r = rows.get(i)
        if r is not None:
            out.append(Customer(r[1], tuple(phones.get(i, ())), r[2], r[3], r[4],
                                tuple(tags.get(i, ())), r[5], json.loads(r[6]), i, r[7], r[8]))
    return out
