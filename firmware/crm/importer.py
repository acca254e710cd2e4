"""Customer import from CSV and XLSX: stream, map, validate per row, write once.

1. ``open_table`` detects the format and encoding and yields rows lazily:
   XLSX (a ZIP starting ``PK``) through openpyxl's read-only mode; text files
   by BOM (UTF-8, UTF-16 LE/BE: Excel's "Unicode text" is UTF-16 with tabs),
   else UTF-8 if the first 64 KiB decode as UTF-8, else GB18030 (a superset
   of GBK, what Excel writes in China). The delimiter is the one of ``,``,
   tab, ``;`` most frequent in the header line. A file that is none of these
   (binary data, no recognisable header) is refused as a whole.
2. The header maps to fields: ``mapping`` from the user, else by name or
   synonym (``HEADER_SYNONYMS``) and by custom field name or label. Several
   columns may map to ``phones`` (mobile, office...).
3. Each row is checked like an API write (``Customer.checked``); a bad row
   is rejected with its row number, column and reason, the others go on.
4. Duplicates by phone number (against the database and earlier rows of the
   same file): ``skip``, ``update`` (merge into the existing customer) or
   ``create`` a second customer anyway.
5. Everything is written in one transaction: a fatal error (unreadable file,
   wrong encoding in row 5,000, disk full) leaves the database as it was.

Rejected rows go to a CSV (UTF-8 with BOM) with the original cells plus
``row`` and ``error`` columns, for the user to fix and import again.
"""
from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import os
import re
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from firmware.crm.phone import PhoneSettings, normalise
from firmware.errors import ApiError
from firmware.store.customers import Customer, CustomField
from firmware.store.db import ValidationError

log = logging.getLogger("callbox.crm.import")

MAX_BYTES = 200 * 1024 * 1024
MAX_ROWS = 1_000_000
MAX_COLUMNS = 200
ON_DUPLICATE = ("skip", "update", "create")
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "customer", "contact", "姓名", "名字", "客户", "客户名称",
             "联系人"),
    "company": ("company", "organisation", "organization", "公司", "单位", "公司名称"),
    "phones": ("phone", "phones", "mobile", "cell", "telephone", "tel", "phone number",
               "office phone", "home phone", "电话", "手机", "手机号", "电话号码", "座机",
               "联系电话"),
    "email": ("email", "e-mail", "mail", "邮箱", "电子邮件"),
    "address": ("address", "地址", "住址"),
    "tags": ("tags", "tag", "labels", "标签"),
    "owner": ("owner", "agent", "负责人", "坐席"),
}
Progress = Callable[[dict[str, Any]], None]
_BAD = re.compile("[\udc80-\udcff]")


class ImportFileError(ApiError):
    """The file as a whole cannot be imported; carries ``row`` / ``column`` when known."""

    def __init__(self, message: str, status: int = 422, **context: Any) -> None:
        super().__init__(message, status=status, **context)


@dataclass
class Table:
    format: str                 # "csv" | "xlsx"
    encoding: str | None
    delimiter: str | None
    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]     # (row number as the user sees it, cells)
    size: int
    position: Callable[[], int]               # bytes read so far (estimate for XLSX)
    close: Callable[[], None]


def _detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    sample = head[:4096]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4:
        return "utf-16-le"
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) // 4:
        return "utf-16-be"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:           # a character cut by the 64 KiB sample
            return "utf-8"
    return "gb18030"


def open_table(path: Path, encoding: str | None = None, max_bytes: int = MAX_BYTES) -> Table:
    path = Path(path)
    try:
        size = path.stat().st_size
        fh = open(path, "rb")
    except OSError as exc:
        raise ImportFileError(f"cannot read the file: {exc.strerror}", status=400) from None
    if size > max_bytes:
        fh.close()
        raise ImportFileError(f"file too large: {size} bytes, at most {max_bytes}", status=413,
                              limit=max_bytes)
    head = fh.read(65536)
    fh.seek(0)
    if head.startswith(b"PK\x03\x04"):
        fh.close()
        return _open_xlsx(path, size)
    if encoding is None:
        if b"\x00" in head and not _detect_encoding(head).startswith("utf-16"):
            fh.close()
            raise ImportFileError("not a CSV or XLSX file: binary data in the first 64 KiB",
                                  row=1)
        encoding = _detect_encoding(head)
    try:
        codecs.lookup(encoding)
    except LookupError:
        fh.close()
        raise ImportFileError(f"unknown encoding {encoding!r}", status=400,
                              field="encoding") from None
    # undecodable bytes become lone surrogates, found per cell in prepare(): the error can
    # then name the row and column (a strict decoder fails a whole 8 KiB chunk ahead)
    text = io.TextIOWrapper(fh, encoding=encoding, newline="", errors="surrogateescape")
    first = text.readline()
    if _BAD.search(first):
        text.close()
        raise ImportFileError(f"row 1: the header is not valid {encoding}; choose the file's"
                              " encoding", row=1)
    counts = {d: first.count(d) for d in (",", "\t", ";")}
    delimiter = max(counts, key=lambda d: counts[d])
    if counts[delimiter] == 0:
        delimiter = ","
    try:
        headers = next(csv.reader([first], delimiter=delimiter))
    except (csv.Error, StopIteration):
        text.close()
        raise ImportFileError("row 1: no header row", row=1) from None
    reader = csv.reader(text, delimiter=delimiter)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        n = 1
        try:
            for cells in reader:
                n = reader.line_num + 1
                yield n, cells
        except csv.Error as exc:
            raise ImportFileError(f"row {n + 1}: not readable as CSV ({exc})",
                                  row=n + 1) from None
    return Table("csv", encoding, delimiter, [h.strip() for h in headers], rows(), size,
                 fh.tell, text.close)


def _cell(v: Any) -> Any:
    """XLSX cells as text the way a user typed them (phone numbers stored as numbers)."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e16:
        return str(int(v))
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return v


def _open_xlsx(path: Path, size: int) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException
    fh = open(path, "rb")               # a file object: openpyxl judges a path by its extension
    try:
        wb = load_workbook(fh, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, InvalidFileException) as exc:
        fh.close()
        raise ImportFileError(f"not an XLSX workbook ({type(exc).__name__}: {exc})",
                              row=1) from None

    def close() -> None:
        wb.close()
        fh.close()
    ws = wb.worksheets[0]
    it = ws.iter_rows(values_only=True)
    try:
        header_cells = next(it)
    except StopIteration:
        close()
        raise ImportFileError("row 1: the sheet is empty", row=1) from None
    headers = ["" if h is None else str(h).strip() for h in header_cells]
    while headers and headers[-1] == "":
        headers.pop()
    state = {"n": 1}

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for n, raw in enumerate(it, start=2):
            state["n"] = n
            cells = [_cell(c) for c in raw]
            while len(cells) > len(headers) and cells[-1] in (None, ""):
                cells.pop()
            yield n, cells
    total = max(1, ws.max_row or 1)
    return Table("xlsx", None, None, headers, rows(), size,
                 lambda: int(size * state["n"] / total), close)


def auto_mapping(headers: Sequence[str], defs: Sequence[CustomField]) -> dict[str, str]:
    """Header -> field, by name, synonym or custom field name/label (case-insensitive)."""
    out: dict[str, str] = {}
    for h in headers:
        key = h.strip().lower()
        for fld, names in HEADER_SYNONYMS.items():
            if key in names:
                out[h] = fld
        for d in defs:
            if key in (d.name.lower(), d.label.lower()):
                out[h] = f"custom.{d.name}"
    return out


@dataclass
class Prepared:
    row: int
    customer: Customer
    cells: list[Any]


@dataclass
class Outcome:
    prepared: list[Prepared] = field(default_factory=list)
    rejected: list[tuple[int, list[Any], str]] = field(default_factory=list)
    rows: int = 0


def prepare(table: Table, mapping: dict[str, str], phone: PhoneSettings,
            defs: Sequence[CustomField], users: set[str], progress: Progress | None = None
            ) -> Outcome:
    """Read and check every row (no database access); runs in a worker thread."""
    headers = table.headers
    if len(headers) > MAX_COLUMNS:
        raise ImportFileError(f"row 1: {len(headers)} columns, at most {MAX_COLUMNS}", row=1)
    valid_targets = set(HEADER_SYNONYMS) | {f"custom.{d.name}" for d in defs} | {"ignore"}
    for h, target in mapping.items():
        if h not in headers:
            raise ImportFileError(f"mapping names column {h!r}, which the file does not have",
                                  status=400, column=h)
        if target not in valid_targets:
            raise ImportFileError(f"column {h!r}: no such field {target!r}", status=400,
                                  column=h)
    cols = [(i, mapping.get(h)) for i, h in enumerate(headers)]
    if not any(t == "name" for _, t in cols):
        raise ImportFileError("row 1: no column maps to the customer name; columns: "
                              + ", ".join(repr(h) for h in headers[:20]), row=1)
    out = Outcome()
    last = time.monotonic()
    for n, cells in table.rows:
        if all(c in (None, "") for c in cells):
            continue
        out.rows += 1
        if out.rows > MAX_ROWS:
            raise ImportFileError(f"row {n}: more than {MAX_ROWS} rows", status=413, row=n)
        for i, c in enumerate(cells):
            if isinstance(c, str) and _BAD.search(c):
                col = headers[i] if i < len(headers) else f"#{i + 1}"
                raise ImportFileError(f"row {n}, column {col!r}: not valid {table.encoding};"
                                      " choose the file's encoding", row=n, column=col)
        if len(cells) != len(headers):
            out.rejected.append((n, cells, f"row {n}: {len(cells)} columns, the header has "
                                           f"{len(headers)}"))
            continue
        try:
            out.prepared.append(Prepared(n, _customer(n, headers, cells, cols, phone, defs,
                                                      users), cells))
        except ValidationError as exc:
            out.rejected.append((n, cells, f"row {n}: {reason(exc)}"))
        if progress is not None and time.monotonic() - last > 0.2:
            last = time.monotonic()
            progress({"stage": "reading", "rows": out.rows, "bytes": table.position(),
                      "total_bytes": table.size})
    return out


def _customer(n: int, headers: Sequence[str], cells: Sequence[Any], cols: list[tuple[int, Any]],
              phone: PhoneSettings, defs: Sequence[CustomField], users: set[str]) -> Customer:
    data: dict[str, Any] = {"phones": [], "custom": {}}
    for i, target in cols:
        v = cells[i]
        if target in (None, "ignore") or v is None or (isinstance(v, str) and not v.strip()):
            continue
        col = headers[i]
        if target == "phones":
            for part in str(v).replace(";", ",").replace("/", ",").split(","):
                if part.strip():
                    data["phones"].append(
                        (normalise(part.strip(), phone, f"column {col!r}"), col[:32]))
        elif target.startswith("custom."):
            data["custom"][target[7:]] = v.strip() if isinstance(v, str) else v
        elif target == "tags":
            data["tags"] = tuple(t.strip() for t in str(v).replace(";", ",").split(",")
                                 if t.strip())
        elif target == "owner":
            if str(v).strip() not in users:
                raise ValidationError(f"column {col!r}", "the name of an existing user", v)
            data["owner"] = str(v).strip()
        else:
            data[target] = str(v).strip() if not isinstance(v, str) else v.strip()
    c = Customer(name=data.get("name", ""), phones=tuple(data["phones"]),
                 company=data.get("company", ""), email=data.get("email", ""),
                 address=data.get("address", ""), tags=data.get("tags", ()),
                 owner=data.get("owner"), custom=data["custom"])
    return c.checked(defs)


def reason(exc: ValidationError) -> str:
    """The error's text without the context suffix (``field=...``) the log line carries."""
    return str(exc).split(" (field=", 1)[0]


def merge(old: Customer, new: Customer) -> Customer:
    """``update`` mode: the file's non-empty fields win; phones and tags are added."""
    phones = list(old.phones) + [p for p in new.phones if p[0] not in {x[0] for x in old.phones}]
    return Customer(name=new.name or old.name, phones=tuple(phones[:10]),
                    company=new.company or old.company, email=new.email or old.email,
                    address=new.address or old.address,
                    tags=tuple(dict.fromkeys(old.tags + new.tags)), owner=new.owner or old.owner,
                    custom={**old.custom, **new.custom}, id=old.id)


def write_rejects(dest: Path, headers: Sequence[str],
                  rejected: Sequence[tuple[int, list[Any], str]]) -> None:
    from firmware.crm.exporter import safe_cell
    tmp = dest.with_name(dest.name + ".tmp")
    with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([*headers, "row", "error"])
        for n, cells, reason in rejected:
            w.writerow([*(safe_cell("" if c is None else c) for c in cells), n, reason])
    os.replace(tmp, dest)


def summary_json(d: dict[str, Any]) -> str:
    return json.dumps(d, ensure_ascii=False, sort_keys=True)
