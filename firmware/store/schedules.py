"""Opening hours: weekly hours per schedule, plus dated holidays and exceptions.

A schedule is one document, checked as a whole when it is written::

    {"weekly": {"mon": [["09:00", "12:00"], ["13:00", "18:00"]], ..., "sat": []},
     "days": {"2026-10-01": {"closed": true, "note": "National Day",
                             "target": "message:holiday"},
              "2026-09-27": {"hours": [["09:00", "17:00"]], "note": "make-up workday"}}}

Times are wall-clock times in the schedule's own time zone (IANA name, DST handled by
``zoneinfo``), so a box whose clock runs in UTC still opens at 09:00 in Shanghai. An
interval whose end is before its start runs past midnight (``["22:00", "06:00"]`` on
Monday is open until 06:00 on Tuesday); ``"24:00"`` ends a day. A dated entry replaces
that day's weekly hours: ``closed`` (a holiday, optionally with its own ``target`` for
the callers, e.g. a holiday message) or ``hours`` (an exception, like a Saturday worked).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from firmware.store import fields as f
from firmware.store import targets
from firmware.store.db import ValidationError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$|^24:00$")
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

Interval = tuple[int, int]          # minutes since midnight; end < start crosses midnight


def _minutes(field_name: str, v: Any) -> int:
    if not isinstance(v, str) or not _HHMM.match(v):
        raise ValidationError(field_name, "a time HH:MM (00:00-23:59, or 24:00 as an end)", v)
    h, m = v.split(":")
    return int(h) * 60 + int(m)


def _hhmm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


def _intervals(field_name: str, v: Any) -> tuple[Interval, ...]:
    if not isinstance(v, list) or len(v) > 8:
        raise ValidationError(field_name, "a list of up to 8 [opens, closes] pairs", v)
    out = []
    for i, pair in enumerate(v):
        where = f"{field_name}[{i}]"
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValidationError(where, "a pair [\"HH:MM\", \"HH:MM\"]", pair)
        start, end = _minutes(where, pair[0]), _minutes(where, pair[1])
        if start == end or start == 1440:
            raise ValidationError(where, "an interval with different start and end"
                                  " (24:00 only as an end)", pair)
        out.append((start, end))
    return tuple(sorted(out))


@dataclass(frozen=True)
class Day:
    """A dated entry: a holiday (``closed``) or that day's own ``hours``."""
    closed: bool = False
    hours: tuple[Interval, ...] = ()
    note: str = ""
    target: str = ""                    # a holiday's own destination for callers

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"closed": True} if self.closed else \
            {"hours": [[_hhmm(a), _hhmm(b)] for a, b in self.hours]}
        if self.note:
            doc["note"] = self.note
        if self.target:
            doc["target"] = self.target
        return doc


@dataclass(frozen=True)
class ScheduleState:
    """What a schedule says at one moment: ``open``, and why (``hours``: the weekly
    hours; ``holiday``: a dated closed day; ``exception``: a dated day's own hours)."""
    open: bool
    why: str
    note: str = ""
    target: str = ""                    # a holiday's own destination, '' = the route's


@dataclass(frozen=True)
class Schedule:
    name: str
    timezone: str = "UTC"
    weekly: dict[str, tuple[Interval, ...]] = field(default_factory=dict)
    days: dict[str, Day] = field(default_factory=dict)

    @classmethod
    def from_doc(cls, name: str, timezone: str, doc: Any) -> "Schedule":
        """Check a document from the API (or the database) and build the schedule."""
        name = f.name("schedule.name", name)
        if not isinstance(timezone, str) or not timezone:
            raise ValidationError("schedule.timezone", "an IANA time zone like Asia/Shanghai",
                                  timezone)
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError("schedule.timezone", "an IANA time zone like Asia/Shanghai",
                                  timezone) from None
        if not isinstance(doc, dict):
            raise ValidationError("schedule", "an object with 'weekly' and 'days'", doc)
        unknown = sorted(set(doc) - {"weekly", "days"})
        if unknown:
            raise ValidationError(f"schedule.{unknown[0]}", "only 'weekly' and 'days'")
        weekly_doc = doc.get("weekly", {})
        if not isinstance(weekly_doc, dict):
            raise ValidationError("schedule.weekly", "an object of weekday -> hours", weekly_doc)
        weekly = {}
        for day, hours in weekly_doc.items():
            if day not in WEEKDAYS:
                raise ValidationError(f"schedule.weekly.{day}", "one of " + ", ".join(WEEKDAYS))
            weekly[day] = _intervals(f"schedule.weekly.{day}", hours)
        days_doc = doc.get("days", {})
        if not isinstance(days_doc, dict) or len(days_doc) > 1000:
            raise ValidationError("schedule.days", "an object of up to 1000 dated entries",
                                  days_doc)
        days = {}
        for d, spec in days_doc.items():
            where = f"schedule.days.{d}"
            if not isinstance(d, str) or not _DAY.match(d):
                raise ValidationError(where, "a date YYYY-MM-DD as the key", d)
            try:
                date.fromisoformat(d)
            except ValueError:
                raise ValidationError(where, "a real date YYYY-MM-DD", d) from None
            if not isinstance(spec, dict):
                raise ValidationError(where, "an object with 'closed' or 'hours'", spec)
            bad = sorted(set(spec) - {"closed", "hours", "note", "target"})
            if bad:
                raise ValidationError(f"{where}.{bad[0]}", "closed, hours, note or target")
            closed = spec.get("closed", False)
            if not isinstance(closed, bool):
                raise ValidationError(f"{where}.closed", "true or false", closed)
            if closed == ("hours" in spec):
                raise ValidationError(where, "either \"closed\": true or \"hours\"", spec)
            if "target" in spec and not closed:
                raise ValidationError(f"{where}.target", "a target on a closed day only")
            days[d] = Day(closed=closed,
                          hours=() if closed else _intervals(f"{where}.hours", spec["hours"]),
                          note=f.text(f"{where}.note", spec.get("note", ""), 100),
                          target=targets.optional(spec.get("target", ""), f"{where}.target"))
        return cls(name, timezone, weekly, dict(sorted(days.items())))

    def to_doc(self) -> dict[str, Any]:
        return {"weekly": {d: [[_hhmm(a), _hhmm(b)] for a, b in self.weekly[d]]
                           for d in WEEKDAYS if d in self.weekly},
                "days": {d: day.to_doc() for d, day in self.days.items()}}

    def dumps(self) -> str:
        return json.dumps(self.to_doc(), ensure_ascii=False, sort_keys=True)

    # -- evaluation ------------------------------------------------------------------
    def _hours_of(self, d: date) -> tuple[Interval, ...] | None:
        """That day's intervals; None on a holiday."""
        entry = self.days.get(d.isoformat())
        if entry is not None:
            return None if entry.closed else entry.hours
        return self.weekly.get(WEEKDAYS[d.weekday()], ())

    def state_at(self, wall: float) -> ScheduleState:
        """Open or closed at epoch second ``wall``, read in the schedule's time zone."""
        local = datetime.fromtimestamp(wall, ZoneInfo(self.timezone))
        today = local.date()
        m = local.hour * 60 + local.minute
        entry = self.days.get(today.isoformat())
        # the tail of yesterday's interval that ran past midnight (if yesterday worked)
        yesterday = self._hours_of(today - timedelta(days=1)) or ()
        if any(end < start and m < end for start, end in yesterday):
            return ScheduleState(True, "hours")
        if entry is not None and entry.closed:
            return ScheduleState(False, "holiday", entry.note, entry.target)
        hours = self._hours_of(today) or ()
        why = "exception" if entry is not None else "hours"
        for start, end in hours:
            if (start <= m < end) if start < end else m >= start:
                return ScheduleState(True, why, entry.note if entry else "")
        return ScheduleState(False, why, entry.note if entry else "")
