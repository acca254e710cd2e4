"""Kamailio's SQLite tables: created from the Debian schema files, written by the daemon.

Kamailio owns the schema (``/usr/share/kamailio/db_sqlite/<module>-create.sql``) and
checks the ``version`` table at start-up, refusing to run on a mismatch. So
``ensure_schema`` creates the tables a module needs when they are missing and
recreates them when the installed Kamailio expects another version (an upgrade):
every row in them is either rewritten by the daemon (seats, trunks) or
re-sent by the phones (registrations). Media nodes are not in a table: the
daemon places each call itself (``firmware/sipedge/placer.py``).

The daemon is the only writer of ``subscriber``, ``address`` and the SIP trunk
tables (``htable``: where each trunk's calls go, ``uacreg``: the registrations we
make, ``dispatcher``: the addresses we keep alive with OPTIONS); each ``replace_*``
swaps the whole set in one transaction, so Kamailio never reads half a list. Seat
passwords are never stored: ``subscriber`` holds HA1 only. A trunk's password is
stored as it is, because the provider's realm is only known from its challenge;
the file is the daemon's alone (``var/``, mode 0600).
"""
from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from firmware.errors import EdgeError

log = logging.getLogger("callbox.sipedge")

SQL_DIR = Path("/usr/share/kamailio/db_sqlite")
# order matters: "standard" creates the version table the others register in
SCHEMAS = ("standard", "auth_db", "usrloc", "permissions", "dialog", "htable", "uac",
           "dispatcher")
TRUNK_GROUP = 1     # permissions group of trusted trunk sources (TRUNK_GROUP)

_VERSION_ROW = re.compile(
    r"INSERT INTO version \(table_name, table_version\) values \('(\w+)','(\d+)'\);")
_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")  # seat users and trunk tags go into SIP headers
_HA1 = re.compile(r"[0-9a-f]{32}")
_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?")
_SECRET = re.compile(r"[!#-\[\]-~]{1,64}")     # printable ASCII but space, '"' and '\\'
PROBE = 8           # dispatcher flag: keep this destination alive with OPTIONS


def ha1(user: str, realm: str, password: str) -> str:
    """Digest HA1 = MD5(user:realm:password), the only form of a seat secret we keep."""
    return hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()


def schema_tables(script: str) -> dict[str, int]:
    """Tables a ``*-create.sql`` script creates, with the version it registers for each."""
    return {name: int(ver) for name, ver in _VERSION_ROW.findall(script)}


async def _connect(db_path: Path) -> aiosqlite.Connection:
    db = await aiosqlite.connect(db_path, timeout=5.0, isolation_level=None)
    await db.execute("PRAGMA busy_timeout = 5000")
    return db


async def _table_versions(db: aiosqlite.Connection) -> dict[str, int | None]:
    async with db.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cur:
        present: dict[str, int | None] = {row[0]: None async for row in cur}
    if "version" in present:
        async with db.execute("SELECT table_name, table_version FROM version") as cur:
            async for name, ver in cur:
                if name in present:
                    present[name] = int(ver)
    return present


async def ensure_schema(db_path: Path, sql_dir: Path = SQL_DIR) -> list[str]:
    """Create or upgrade the tables of ``SCHEMAS``; returns the schemas (re)created."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    done: list[str] = []
    db = await _connect(db_path)
    try:
        await db.execute("PRAGMA journal_mode = WAL")
        for name in SCHEMAS:
            path = sql_dir / f"{name}-create.sql"
            try:
                script = path.read_text("utf-8")
            except OSError as exc:
                raise EdgeError(f"cannot read Kamailio schema {path}: {exc.strerror}; "
                                "is kamailio-sqlite-modules installed?",
                                what="schema", path=str(path)) from None
            wanted = schema_tables(script)
            present = await _table_versions(db)
            if all(present.get(t, -1) == v for t, v in wanted.items()):
                continue
            stale = [t for t in wanted if t in present]
            fix = "".join(f"DROP TABLE {t};" for t in stale)
            if "version" in present and "version" not in wanted:
                fix += "".join(f"DELETE FROM version WHERE table_name = '{t}';" for t in wanted)
            try:
                await db.executescript(f"BEGIN IMMEDIATE;{fix}{script}\nCOMMIT;")
            except aiosqlite.Error as exc:
                if db.in_transaction:
                    await db.execute("ROLLBACK")
                raise EdgeError(f"creating Kamailio tables from {path.name} failed: {exc}",
                                what="schema", schema=name) from None
            log.info("kamailio schema %s tables=%s action=%s", name, ",".join(wanted),
                     "upgraded" if stale else "created")
            done.append(name)
    finally:
        await db.close()
    return done


async def _replace(db_path: Path, table: str, where: str, rows: Sequence[tuple[object, ...]],
                   insert: str) -> None:
    db = await _connect(db_path)
    try:
        await db.execute("BEGIN IMMEDIATE")
        try:
            await db.execute(f"DELETE FROM {table} {where}")
            await db.executemany(insert, rows)
            await db.execute("COMMIT")
        except BaseException:
            await db.execute("ROLLBACK")
            raise
    except aiosqlite.Error as exc:
        raise EdgeError(f"writing Kamailio table {table} failed: {exc}",
                        what="table", table=table) from None
    finally:
        await db.close()


def _name(kind: str, value: object) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise EdgeError(f"{kind} must be 1-64 letters, digits, '.', '_' or '-'",
                        what=kind, value=value)
    return value


async def replace_seats(db_path: Path, realm: str, seats: Mapping[str, str]) -> None:
    rows = []
    for user, secret in seats.items():
        _name("seat", user)
        if not isinstance(secret, str) or not _HA1.fullmatch(secret):
            raise EdgeError("seat secret must be an HA1: 32 lowercase hex digits",
                            what="seat", user=user)
        rows.append((user, realm, secret))
    await _replace(db_path, "subscriber", "", rows,
                   "INSERT INTO subscriber (username, domain, password, ha1, ha1b) "
                   "VALUES (?, ?, '', ?, '')")


async def replace_trunk_sources(db_path: Path, sources: Iterable[tuple[str, str]]) -> None:
    rows = []
    for cidr, tag in sources:
        try:
            net = ipaddress.ip_network(cidr, strict=False)
        except (ValueError, TypeError):
            raise EdgeError("trunk source must be an address or network like 192.0.2.0/24",
                            what="trunk_source", value=cidr) from None
        rows.append((TRUNK_GROUP, str(net.network_address), net.prefixlen,
                     _name("trunk tag", tag)))
    await _replace(db_path, "address", f"WHERE grp = {TRUNK_GROUP}", rows,
                   "INSERT INTO address (grp, ip_addr, mask, port, tag) VALUES (?, ?, ?, 0, ?)")


@dataclass(frozen=True)
class EdgeTrunk:
    """What the edge needs to know of one SIP trunk (``firmware/trunks`` builds these).

    ``username`` empty: the trunk trusts our address (IP authentication); otherwise the
    edge answers the trunk's digest challenges with it, and registers when ``register``.
    """

    name: str
    host: str                  # an IPv4 address or a host name
    port: int = 5060
    domain: str = ""           # Request-URI, From and To domain; "" = host
    username: str = ""
    password: str = ""
    realm: str = ""            # "" = the realm the trunk challenges with
    register: bool = False
    expires: int = 600
    keepalive: bool = True

    @property
    def dst(self) -> str:
        return f"sip:{self.host}:{self.port}"

    def checked(self) -> "EdgeTrunk":
        _name("trunk name", self.name)
        for what, host in (("host", self.host), ("domain", self.domain or self.host)):
            if not isinstance(host, str) or not _HOST.fullmatch(host):
                raise EdgeError(f"trunk {self.name}: {what} must be an address or host name",
                                what="trunk", trunk=self.name, field=what, value=host)
        if isinstance(self.port, bool) or not isinstance(self.port, int) \
                or not 1 <= self.port <= 65535:
            raise EdgeError(f"trunk {self.name}: port must be 1-65535", what="trunk",
                            trunk=self.name, field="port", value=self.port)
        if self.username or self.register:
            if not _SECRET.fullmatch(self.username or ""):
                raise EdgeError(f"trunk {self.name}: username must be 1-64 printable characters "
                                "without spaces, quotes or backslashes", what="trunk",
                                trunk=self.name, field="username")
            if not _SECRET.fullmatch(self.password or ""):
                raise EdgeError(f"trunk {self.name}: password must be 1-64 printable "
                                "characters without spaces, quotes or backslashes",
                                what="trunk", trunk=self.name, field="password")
        if self.realm and not _HOST.fullmatch(self.realm):
            raise EdgeError(f"trunk {self.name}: realm must look like a host name",
                            what="trunk", trunk=self.name, field="realm", value=self.realm)
        if not 60 <= self.expires <= 86400:
            raise EdgeError(f"trunk {self.name}: expires must be 60-86400 s", what="trunk",
                            trunk=self.name, field="expires", value=self.expires)
        return self


def _trunk_route_rows(t: EdgeTrunk) -> list[tuple[str, str]]:
    rows = [(f"{t.name}::dst", t.dst), (f"{t.name}::domain", t.domain or t.host)]
    if t.username:
        rows += [(f"{t.name}::user", t.username), (f"{t.name}::pass", t.password)]
        if t.realm:
            rows.append((f"{t.name}::realm", t.realm))
    return rows


async def replace_trunks(db_path: Path, trunks: Sequence[EdgeTrunk], edge_host: str) -> None:
    """Swap every SIP trunk table at once: routes, registrations, keep-alive targets."""
    trunks = sorted((t.checked() for t in trunks), key=lambda t: t.name)
    names = [t.name for t in trunks]
    if len(set(names)) != len(names):
        raise EdgeError("two SIP trunks with the same name", what="trunk", names=names)
    routes = [(key, value) for t in trunks for key, value in _trunk_route_rows(t)]
    regs = [(t.name, t.name, edge_host, t.username, t.domain or t.host, t.realm, t.username,
             t.password, t.dst, t.expires) for t in trunks if t.register]
    probes = [(i, t.dst, PROBE if t.keepalive else 0, f"trunk={t.name}", t.name)
              for i, t in enumerate(trunks, 1)]
    db = await _connect(db_path)
    try:
        await db.execute("BEGIN IMMEDIATE")
        try:
            await db.execute("DELETE FROM htable")
            await db.executemany(
                "INSERT INTO htable (key_name, key_type, value_type, key_value, expires)"
                " VALUES (?, 0, 0, ?, 0)", routes)
            await db.execute("DELETE FROM uacreg")
            await db.executemany(
                "INSERT INTO uacreg (l_uuid, l_username, l_domain, r_username, r_domain, realm,"
                " auth_username, auth_password, auth_proxy, expires, flags, reg_delay,"
                " contact_addr, socket) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, '', '')",
                regs)
            await db.execute("DELETE FROM dispatcher")
            await db.executemany(
                "INSERT INTO dispatcher (setid, destination, flags, priority, attrs, description)"
                " VALUES (?, ?, ?, 0, ?, ?)", probes)
            await db.execute("COMMIT")
        except BaseException:
            await db.execute("ROLLBACK")
            raise
    except aiosqlite.Error as exc:
        raise EdgeError(f"writing Kamailio trunk tables failed: {exc}", what="table",
                        table="htable/uacreg/dispatcher") from None
    finally:
        await db.close()
