"""Customer import: every encoding a user's spreadsheet may come in, duplicates, per-row
rejects with reasons, fatal errors that leave nothing behind, hostile files."""
from __future__ import annotations

import codecs
import csv
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from firmware.crm.importer import ImportFileError
from firmware.crm.imports import run_import
from firmware.crm.permissions import Principal
from firmware.store.customers import CustomField, CustomerFilter
from tests.crm.support import crm_opened

ADMIN = Principal.system("test")
ROWS = [("王芳", "13812345678", "北京远景科技"), ("李娜", "010-62345678", "上海华通"),
        ("Zoë Müller", "+49 30 1234567", "Kälte GmbH")]


def write_csv(path: Path, encoding: str, delimiter: str = ",", header=("姓名", "手机", "公司"),
              rows=ROWS) -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


async def names(crm: Any) -> list[str]:
    items, _ = await crm.customers.page(CustomerFilter(), "created_at", 500)
    return [c.name for c in items]


@pytest.mark.parametrize("encoding, delimiter, detected", [
    ("utf-8", ",", "utf-8"),
    ("utf-8-sig", ",", "utf-8-sig"),                 # Excel "CSV UTF-8"
    ("utf-16", "\t", "utf-16"),                      # Excel "Unicode text": UTF-16 LE + BOM, tabs
    ("gb18030", ",", "gb18030"),                     # Excel in China (GBK family)
    ("gbk", ";", "gb18030"),
])
async def test_every_encoding_imports_chinese_and_accented_names(
        tmp_path: Path, encoding: str, delimiter: str, detected: str) -> None:
    rows = ROWS if encoding != "gbk" else ROWS[:2] + [("Zoe Mueller", "+49 30 1234567", "刘氏")]
    f = write_csv(tmp_path / "in.csv", encoding, delimiter, rows=rows)
    raw = f.read_bytes()
    if encoding == "utf-16":
        assert raw.startswith(codecs.BOM_UTF16_LE) and b"\t" in raw.decode("utf-16").encode()
    async with crm_opened(tmp_path) as crm:
        summary = await run_import(crm, f, actor=ADMIN)
        assert (summary["imported"], summary["rejected"], summary["encoding"]) == \
            (3, 0, detected)
        assert summary["mapping"] == {"姓名": "name", "手机": "phones", "公司": "company"}
        assert await names(crm) == [r[0] for r in rows]
        c = (await crm.customers.page(CustomerFilter(phone="+861062345678")))[0][0]
        assert c.company == "上海华通"


async def test_xlsx_with_numbers_stored_as_numbers_and_custom_fields(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Name", "Mobile", "Office phone", "Level", "Since", "Tags"])
    ws.append(["王芳", 13812345678, "010 6234 5678", "gold", "2024-03-01", "vip; 回访"])
    ws.append(["Bob", 13900001111.0, None, "bronze", "2024-03-02", None])
    f = tmp_path / "in.xlsx"
    wb.save(f)
    async with crm_opened(tmp_path) as crm:
        await crm.customers.put_custom_field(CustomField("level", "Level", "choice",
                                                         choices=("gold", "silver")))
        await crm.customers.put_custom_field(CustomField("since", "Since", "date"))
        summary = await run_import(crm, f, actor=ADMIN)
        assert (summary["format"], summary["imported"], summary["rejected"]) == ("xlsx", 1, 1)
        c = (await crm.customers.page(CustomerFilter(q="王芳")))[0][0]
        assert [p for p, _ in c.phones] == ["+8613812345678", "+861062345678"]
        assert c.custom == {"level": "gold", "since": "2024-03-01"} and c.tags == ("vip", "回访")
        rejects = Path(summary["rejects_file"]).read_text("utf-8-sig")
        assert "row 3: customer.custom.level: expected one of gold, silver, got 'bronze'" \
            in rejects


@pytest.mark.parametrize("mode, imported, updated, skipped, companies", [
    ("skip", 1, 0, 2, {"Old Co"}),
    ("update", 1, 2, 0, {"Twin Co"}),            # both rows update Wang; the last one wins
    ("create", 3, 0, 0, {"Old Co", "New Co", "Twin Co"}),
])
async def test_duplicates_by_phone(tmp_path: Path, mode: str, imported: int, updated: int,
                                   skipped: int, companies: set[str]) -> None:
    rows = [("Wang", "13812345678", "New Co"), ("Wang again", "0086 138 1234 5678", "Twin Co"),
            ("Li", "13900001111", "Li Co")]
    f = write_csv(tmp_path / "in.csv", "utf-8", header=("name", "phone", "company"), rows=rows)
    async with crm_opened(tmp_path) as crm:
        old = await crm.customers.put(await crm.customer_from_input(
            {"name": "Wang", "phones": ["13812345678"], "company": "Old Co", "tags": ["vip"]}))
        s = await run_import(crm, f, actor=ADMIN, on_duplicate=mode)
        assert (s["imported"], s["updated"], s["skipped"]) == (imported, updated, skipped)
        assert s["imported"] + s["updated"] + s["skipped"] + s["rejected"] == s["rows"] == 3
        wangs, _ = await crm.customers.page(CustomerFilter(phone="+8613812345678"))
        assert {c.company for c in wangs} == companies
        if mode == "update":              # merged: the file's fields win, tags are kept
            assert wangs[0].id == old.id and wangs[0].tags == ("vip",)


async def test_bad_rows_are_rejected_with_row_column_and_reason(tmp_path: Path) -> None:
    rows = [("Good", "13812345678", "a@example.com"), ("", "13900001111", ""),
            ("Bad phone", "138-CALL-ME", ""), ("Bad mail", "13700001111", "nope"),
            ("Short", "13600001111")]
    f = write_csv(tmp_path / "in.csv", "utf-8", header=("name", "phone", "email"), rows=rows)
    async with crm_opened(tmp_path) as crm:
        s = await run_import(crm, f, actor=ADMIN)
        assert (s["imported"], s["rejected"]) == (1, 4)
        with open(s["rejects_file"], encoding="utf-8-sig", newline="") as fh:
            got = list(csv.reader(fh))
        assert got[0] == ["name", "phone", "email", "row", "error"]
        reasons = {r[-2]: r[-1] for r in got[1:]}
        assert reasons["3"] == "row 3: customer.name: expected a non-empty text, got ''"
        assert reasons["4"].startswith("row 4: column 'phone': expected a phone number")
        assert reasons["5"].startswith("row 5: customer.email: expected an address")
        assert reasons["6"] == "row 6: 2 columns, the header has 3"


async def test_a_fatal_error_late_in_the_file_imports_nothing(tmp_path: Path) -> None:
    f = tmp_path / "in.csv"
    lines = ["name,phone"] + [f"Person {i},1380000{i:04d}" for i in range(6000)]
    data = "\n".join(lines).encode("utf-8")
    f.write_bytes(data + b"\nBroken \xff\xfe row,13812345678\n")      # not UTF-8, after 64 KiB
    progress: list[dict] = []
    async with crm_opened(tmp_path) as crm:
        with pytest.raises(ImportFileError) as err:
            await run_import(crm, f, actor=ADMIN, progress=progress.append)
        assert "row 6002, column 'name': not valid utf-8" in str(err.value)
        assert err.value.row == 6002
        assert await crm.customers.count() == 0
        row = await crm.db.fetchone("SELECT state, summary FROM imports")
        assert row["state"] == "failed" and "row 6002" in row["summary"]


async def test_progress_is_reported(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "in.csv", "utf-8", header=("name", "phone"),
                  rows=[(f"P{i}", f"1380000{i:04d}") for i in range(2000)])
    progress: list[dict] = []
    async with crm_opened(tmp_path) as crm:
        await run_import(crm, f, actor=ADMIN, progress=progress.append)
    assert [p["stage"] for p in progress][-2:] == ["writing", "done"]
    assert progress[-1]["imported"] == 2000


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "not a CSV or XLSX file: binary data"),
    (b"PK\x03\x04 this is no workbook", "not an XLSX workbook"),
    (b"first,second\nx,y\n", "row 1: no column maps to the customer name; columns: 'first'"),
])
async def test_a_file_that_is_not_a_customer_table_is_refused(tmp_path: Path, content: bytes,
                                                              message: str) -> None:
    f = tmp_path / "upload.csv"
    f.write_bytes(content)
    async with crm_opened(tmp_path) as crm:
        with pytest.raises(ImportFileError) as err:
            await run_import(crm, f, actor=ADMIN)
        assert message in str(err.value) and err.value.status == 422
        assert await crm.customers.count() == 0


async def test_an_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "in.csv", "utf-8")
    async with crm_opened(tmp_path) as crm:
        with pytest.raises(ImportFileError) as err:
            await run_import(crm, f, actor=ADMIN, max_bytes=64)
        assert err.value.status == 413 and "file too large" in str(err.value)


async def test_a_wrong_mapping_names_the_column(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "in.csv", "utf-8", header=("name", "phone", "company"))
    async with crm_opened(tmp_path) as crm:
        with pytest.raises(ImportFileError) as err:
            await run_import(crm, f, actor=ADMIN, mapping={"name": "name", "phone": "fax"})
        assert err.value.column == "phone" and "no such field 'fax'" in str(err.value)
