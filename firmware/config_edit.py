"""Changing a few keys of callbox.toml in place, keeping everything else byte for byte.

Why a narrow writer of our own rather than tomlkit: the only keys the daemon ever
writes are ``[web]`` and ``[sip]`` ``listen`` and ``port`` (the system page's
network change), plain strings and integers in plain tables. Rewriting just those
value tokens keeps every comment, blank line and key order by construction, and
needs no new dependency on the image. What the writer does not understand (a key
written as a dotted key at the top, an inline table, a multi-line value) is
refused, never guessed: the result is parsed again with ``tomllib`` and must equal
the old document with exactly the requested values changed, else ``ConfigError``
names the key and the file is not touched.

``write_keeping_previous`` replaces the file atomically (a sibling temporary file,
fsync, rename, fsync of the folder) after saving the old content as
``callbox.toml.prev`` the same way, so a power cut leaves either the old or the new
file, and the previous one is always at hand.
"""
from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Mapping

from firmware.errors import ConfigError

Key = tuple[str, str]                       # (section, key), e.g. ("web", "listen")
Value = str | int

_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]\s*(?:#.*)?$")
_ANY_HEADER = re.compile(r"^\s*\[")
_KEY = re.compile(r"^(\s*)([A-Za-z0-9_-]+)(\s*=\s*)")
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|[+-]?[0-9][0-9_]*')
_SAFE_STRING = re.compile(r"^[A-Za-z0-9.:_-]*$")


def _literal(key: Key, value: Value) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ConfigError(f"{key[0]}.{key[1]}: only strings and integers are written",
                          key=f"{key[0]}.{key[1]}", expected="a string or an integer")
    if isinstance(value, int):
        return str(value)
    if not _SAFE_STRING.match(value):
        raise ConfigError(f"{key[0]}.{key[1]}: {value!r} is not written (letters, digits and "
                          ". : _ - only)", key=f"{key[0]}.{key[1]}", expected="an address")
    return f'"{value}"'


def _set_one(lines: list[str], key: Key, value: Value) -> list[str]:
    section, name = key
    literal = _literal(key, value)
    start = next((i for i, ln in enumerate(lines)
                  if (m := _HEADER.match(ln)) and m.group(1) == section), None)
    if start is None:
        tail = [] if not lines or lines[-1].endswith("\n") else ["\n"]
        return lines + tail + [f"\n[{section}]\n", f"{name} = {literal}\n"]
    end = next((i for i in range(start + 1, len(lines)) if _ANY_HEADER.match(lines[i])),
               len(lines))
    last_key = start
    for i in range(start + 1, end):
        m = _KEY.match(lines[i])
        if m is None:
            continue
        last_key = i
        if m.group(2) != name:
            continue
        rest = lines[i][m.end():]
        token = _TOKEN.match(rest)
        if token is None:
            raise ConfigError(f"{section}.{name}: its value in the file is not a plain string "
                              "or integer on one line; edit it by hand", key=f"{section}.{name}",
                              expected="a one-line value")
        lines = list(lines)
        lines[i] = lines[i][:m.end()] + literal + rest[token.end():]
        return lines
    lines = list(lines)
    if not lines[last_key].endswith("\n"):
        lines[last_key] += "\n"
    lines.insert(last_key + 1, f"{name} = {literal}\n")
    return lines


def set_keys(text: str, updates: Mapping[Key, Value]) -> str:
    """``text`` with each ``(section, key)`` set to its value; everything else kept."""
    try:
        before = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"callbox.toml is not valid TOML now: {exc}", key="callbox.toml",
                          expected="TOML") from None
    lines = text.splitlines(keepends=True)
    for key, value in updates.items():
        lines = _set_one(lines, key, value)
    out = "".join(lines)
    expected: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v)
                                for k, v in before.items()}
    for (section, name), value in updates.items():
        table = expected.setdefault(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{section}: not a table in callbox.toml", key=section,
                              expected="a [table]")
        table[name] = value
    try:
        after = tomllib.loads(out)
    except tomllib.TOMLDecodeError as exc:
        first = next(iter(updates))
        raise ConfigError(f"{first[0]}.{first[1]}: callbox.toml writes it in a form this "
                          f"editor does not change in place ({exc}); edit it by hand",
                          key=f"{first[0]}.{first[1]}", expected="[section] key = value") from None
    if after != expected:
        wrong = sorted(f"{s}.{k}" for (s, k) in updates
                       if not isinstance(after.get(s), dict) or after[s].get(k) != updates[(s, k)])
        raise ConfigError("callbox.toml could not be edited in place"
                          + (f" ({', '.join(wrong)})" if wrong else "")
                          + "; edit it by hand", key=", ".join(wrong) or "callbox.toml",
                          expected="[section] key = value")
    return out


def previous_path(path: Path) -> Path:
    """Where ``write_keeping_previous`` keeps the content it replaced."""
    return path.with_name(path.name + ".prev")


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def write_keeping_previous(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically; its old content goes to ``.prev`` first."""
    st = path.stat()
    mode = st.st_mode & 0o7777
    _write_atomic(previous_path(path), path.read_bytes(), mode)
    _write_atomic(path, text.encode("utf-8"), mode)


def write_back(path: Path, text: str) -> None:
    """Put ``text`` (a previous version) back in place atomically (a revert)."""
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    _write_atomic(path, text.encode("utf-8"), mode)
