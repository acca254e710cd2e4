"""One WHERE-clause builder for every listing (CDRs, queue log, event log).

Each filter value is checked by a ``fields`` check before it becomes a bound
parameter, so a bad filter is a ``ValidationError`` naming it, and no value
is ever pasted into SQL text. Column names come only from our own code.
"""
from __future__ import annotations

from typing import Any, Callable

from firmware.store import fields as f


class Where:
    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.params: list[Any] = []

    def add(self, sql: str, *params: Any) -> "Where":
        """A raw condition with its parameters (``"kind >= ? AND kind < ?"``)."""
        self.clauses.append(sql)
        self.params.extend(params)
        return self

    def eq(self, column: str, value: Any, check: Callable[[str, Any], Any]) -> "Where":
        """``column = ?`` when ``value`` is given; ``check(name, value)`` validates it."""
        if value is not None:
            self.add(f"{column} = ?", check(column, value))
        return self

    def time_range(self, column: str, since: float | None, until: float | None,
                   since_name: str = "since", until_name: str = "until") -> "Where":
        """``since <= column < until`` for the bounds that are given."""
        if since is not None:
            self.add(f"{column} >= ?", f.timestamp(since_name, since))
        if until is not None:
            self.add(f"{column} < ?", f.timestamp(until_name, until))
        return self

    def sql(self) -> str:
        """`` WHERE a AND b`` (with its leading space), or ``""`` when nothing is filtered."""
        return " WHERE " + " AND ".join(self.clauses) if self.clauses else ""


def text_of(max_len: int) -> Callable[[str, Any], str]:
    """A ``fields.text`` check of ``max_len`` characters, for ``Where.eq``."""
    return lambda name, v: f.text(name, v, max_len)
