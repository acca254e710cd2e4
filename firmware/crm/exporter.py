"""Exports: customers, tickets, calls and queue events as CSV and XLSX; calls also as
Asterisk ``Master.csv`` and queue events as Asterisk ``queue_log``.

Every row passes ``masking.mask_row`` for the principal before it is written,
and every text cell is neutralised against formula injection (a cell starting
with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'``, OWASP's rule;
numbers and masked numbers like ``+86138****5678`` are left as they are since
they cannot hold a formula). XLSX cells are written as explicit strings too.

Formats (facts from Asterisk's ``cdr_csv.c`` and queue log docs, see docs/crm.md):

- ``Master.csv``: no header; ``accountcode, src, dst, dcontext, clid, channel,
  dstchannel, lastapp, lastdata, start, answer, end, duration, billsec,
  disposition, amaflags, uniqueid, userfield``; strings double-quoted (a quote
  doubled), integers bare, times ``YYYY-MM-DD HH:MM:SS`` (here UTC, Asterisk's
  ``usegmtime=yes``), an absent time an empty field; disposition ``ANSWERED``,
  ``NO ANSWER``, ``FAILED``, ``BUSY``; amaflags ``DOCUMENTATION``.
- ``queue_log``: ``epoch|callid|queue|agent|event|data1|data2|...``; agent
  ``NONE`` when there is none; data fields per event as app_queue writes them.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from firmware.crm.masking import mask_row
from firmware.crm.permissions import Principal

_NUMERIC = re.compile(r"^[+-]?[0-9*][0-9* ]*$")
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(v: Any) -> Any:
    """A cell value that a spreadsheet will not run as a formula."""
    if isinstance(v, str) and v.startswith(_DANGEROUS) and not _NUMERIC.match(v):
        return "'" + v
    return v


def _text(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        return "; ".join(str(x) for x in v)
    return v


class TableWriter:
    """CSV (UTF-8 with BOM, so Excel reads it) or XLSX, written in chunks, masked, neutralised."""

    def __init__(self, dest: Path, fmt: str, columns: Sequence[str], principal: Principal,
                 sheet: str = "export") -> None:
        if fmt not in ("csv", "xlsx"):
            raise ValueError(fmt)
        self.dest, self.fmt, self.columns, self.principal = dest, fmt, list(columns), principal
        self.rows = 0
        if fmt == "csv":
            self._fh = open(dest, "w", encoding="utf-8-sig", newline="")
            self._csv = csv.writer(self._fh)
            self._csv.writerow(self.columns)
        else:
            from openpyxl import Workbook
            self._wb = Workbook(write_only=True)
            self._ws = self._wb.create_sheet(sheet)
            self._ws.append(self.columns)

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            r = mask_row(row, self.principal)
            values = [safe_cell(_text(r.get(c))) for c in self.columns]
            if self.fmt == "csv":
                self._csv.writerow(values)
            else:
                from openpyxl.cell import WriteOnlyCell
                cells = []
                for v in values:
                    cell = WriteOnlyCell(self._ws, value=v)
                    if isinstance(v, str):
                        cell.data_type = "s"          # never a formula
                    cells.append(cell)
                self._ws.append(cells)
            self.rows += 1

    def close(self) -> None:
        if self.fmt == "csv":
            self._fh.close()
        else:
            self._wb.save(self.dest)


def _ts(t: float | None) -> str:
    return "" if t is None else datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _q(s: Any) -> str:
    return '"' + str(s).replace('"', '""') + '"'


MASTER_DISPOSITION = {"answered": "ANSWERED", "abandoned": "NO ANSWER", "no-agent": "NO ANSWER",
                      "no-choice": "NO ANSWER", "failed": "FAILED", "rejected": "FAILED"}


def master_csv_line(c: dict[str, Any]) -> str:
    """One CDR as a line of Asterisk's Master.csv (cdr_csv with uniqueid and userfield)."""
    src = c["caller_number"] if c.get("direction", "in") != "out" else c.get("agent", "")
    dst = c["did"] if c.get("direction", "in") != "out" else c.get("dialed_number", "")
    clid = f'"{c.get("caller_name", "")}" <{src}>' if c.get("caller_name") else src
    answer = c.get("agent_answered_at") or c.get("answered_at")
    duration = int(round(c["ended_at"] - c["started_at"]))
    billsec = int(round(c["ended_at"] - answer)) if answer and c["disposition"] == "answered" \
        else 0
    fields = [_q(""), _q(safe_cell(src)), _q(safe_cell(dst)), _q(c.get("queue") or "from-trunk"),
              _q(safe_cell(clid)), _q(c.get("trunk", "")), _q(c.get("agent", "")),
              _q("Queue" if c.get("queue") else "Dial"), _q(c.get("queue", "")),
              _q(_ts(c["started_at"])), _q(_ts(answer)) if answer else "",
              _q(_ts(c["ended_at"])), str(duration), str(billsec),
              _q(MASTER_DISPOSITION.get(c["disposition"], "FAILED")), _q("DOCUMENTATION"),
              _q(c["id"]), _q(c.get("failure_reason", ""))]
    return ",".join(fields) + "\n"


def _n(v: Any) -> str:
    return "" if v is None else str(int(round(v)))


QUEUE_LOG_DATA: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "ENTERQUEUE": lambda e: ["", e.get("caller_number", ""), _n(e.get("position"))],
    "RINGNOANSWER": lambda e: [str(int(round((e.get("ring_s") or 0) * 1000)))],
    "CONNECT": lambda e: [_n(e.get("wait_s")), "", _n(e.get("ring_s"))],
    "COMPLETECALLER": lambda e: [_n(e.get("wait_s")), _n(e.get("talk_s")),
                                 _n(e.get("orig_position"))],
    "COMPLETEAGENT": lambda e: [_n(e.get("wait_s")), _n(e.get("talk_s")),
                                _n(e.get("orig_position"))],
    "ABANDON": lambda e: [_n(e.get("position")), _n(e.get("orig_position")), _n(e.get("wait_s"))],
    "EXITWITHTIMEOUT": lambda e: [_n(e.get("position")), _n(e.get("orig_position")),
                                  _n(e.get("wait_s"))],
    "EXITEMPTY": lambda e: [_n(e.get("position")), _n(e.get("orig_position")),
                            _n(e.get("wait_s"))],
    "EXITWITHKEY": lambda e: [e.get("info", ""), _n(e.get("position")),
                              _n(e.get("orig_position")), _n(e.get("wait_s"))],
    "TRANSFER": lambda e: [e.get("info", ""), "", _n(e.get("wait_s")), _n(e.get("talk_s")),
                           _n(e.get("orig_position"))],
}


def queue_log_line(e: dict[str, Any]) -> str:
    """One queue event as a line of Asterisk's queue_log."""
    data = QUEUE_LOG_DATA.get(e["event"], lambda e: [e.get("info", "")] if e.get("info") else [])(e)
    parts = [str(int(e["ts"])), e["call_id"], e["queue"] or "NONE", e.get("agent") or "NONE",
             e["event"], *data]
    return "|".join(str(p).replace("|", "/").replace("\n", " ") for p in parts) + "\n"


def write_lines(dest: Path, lines: Iterable[str]) -> int:
    n = 0
    with open(dest, "w", encoding="utf-8", newline="") as fh:
        for line in lines:
            fh.write(line)
            n += 1
    return n


def masked_lines(rows: Iterable[dict[str, Any]], principal: Principal,
                 fmt: Callable[[dict[str, Any]], str]) -> Iterable[str]:
    for r in rows:
        yield fmt(mask_row(r, principal))


def to_bytes_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(columns)
    for r in rows:
        w.writerow([safe_cell(_text(x)) for x in r])
    return buf.getvalue().encode("utf-8-sig")
