"""A campaign's call list from CSV: one row per customer, errors named by line and column.

The first line is the header. One column holds the number (``number``,
``phone``, ``tel``, ``mobile`` or ``电话``/``手机``, any case); ``name`` is
optional; every other column is kept as the record's data (shown to the
agent). Encodings: UTF-8 with or without BOM, else GB18030 (Excel in China).
A row whose number is not 3-20 digits (after spaces, dashes, dots and
brackets are removed; one leading ``+`` allowed) is rejected with
``line N, column C: ...``; a number repeated in the file is skipped; the rest
go in at once. A file that cannot be read as a whole (not text, no header, no
number column, broken quoting) is refused and nothing is imported.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from acd_core.errors import DecodeError

NUMBER_COLUMNS = ("number", "phone", "tel", "telephone", "mobile", "电话", "手机", "号码")
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
_STRIP = re.compile(r"[\s\-.()/]")
_NUMBER = re.compile(r"^\+?[0-9]{3,20}$")


class ListError(DecodeError):
    """The file cannot be read as a call list; carries ``line`` and ``column``."""


@dataclass
class Parsed:
    rows: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0


def _text(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise ListError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB",
                        line=0, column="")
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise ListError("not a text file in UTF-8 or GB18030", line=1, column="")


def parse(data: bytes) -> Parsed:
    text = _text(data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ListError(f"line 1: {exc}", line=1, column="") from None
    if not header or not any(h.strip() for h in header):
        raise ListError("line 1: the header row is missing", line=1, column="")
    names = [h.strip() for h in header]
    lowered = [n.lower() for n in names]
    num_col = next((i for i, n in enumerate(lowered) if n in NUMBER_COLUMNS), None)
    if num_col is None:
        raise ListError("line 1: no number column (one of " + ", ".join(NUMBER_COLUMNS)
                        + ")", line=1, column="number")
    name_col = next((i for i, n in enumerate(lowered) if n == "name"), None)
    out = Parsed()
    seen: set[str] = set()
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ListError(f"line {reader.line_num}: {exc}", line=reader.line_num,
                            column="") from None
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(out.rows) + len(out.rejected) >= MAX_ROWS:
            raise ListError(f"line {line}: more than {MAX_ROWS} rows", line=line, column="")
        if len(row) != len(names):
            out.rejected.append({"line": line, "column": "", "value": "",
                                 "error": f"line {line}: {len(row)} fields, the header has "
                                          f"{len(names)}"})
            continue
        raw = row[num_col].strip()
        number = _STRIP.sub("", raw)
        if not _NUMBER.match(number):
            out.rejected.append({"line": line, "column": names[num_col], "value": raw,
                                 "error": f"line {line}, column {names[num_col]!r}: not a "
                                          f"phone number: {raw!r:.40}"})
            continue
        if number in seen:
            out.duplicates += 1
            continue
        seen.add(number)
        name = row[name_col].strip()[:64] if name_col is not None else ""
        data_cols = {names[i]: row[i].strip()[:200] for i in range(len(names))
                     if i not in (num_col, name_col) and names[i]}
        out.rows.append({"line": line, "number": number, "name": name, "data": data_cols})
    return out
