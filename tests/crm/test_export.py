"""Exports: masking, formula injection neutralised in CSV and XLSX, Asterisk formats."""
from __future__ import annotations

import csv
import uuid
from pathlib import Path

import openpyxl
import pytest

from firmware.crm.exporter import master_csv_line, queue_log_line, safe_cell
from firmware.errors import ApiError
from firmware.store import QueueEvent
from tests.crm.support import box
from tests.store.support import T0, call

HOSTILE = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize("raw, safe", [
    (HOSTILE, "'" + HOSTILE), ("+SUM(A1:A2)", "'+SUM(A1:A2)"), ("-2+3+cmd|' /C calc'!A0",
                                                              "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(1)", "'@SUM(1)"), ("\t=1", "'\t=1"), ("＝1+1", "'＝1+1"),
    ("+8613812345678", "+8613812345678"), ("+86138****5678", "+86138****5678"), ("-12", "-12"),
    ("Wang", "Wang"), (42, 42),
])
def test_safe_cell(raw: object, safe: object) -> None:
    assert safe_cell(raw) == safe


def test_a_formula_imported_comes_back_inert_in_csv_and_xlsx(tmp_path: Path) -> None:
    with box(tmp_path) as b:
        api, admin = b.api, b.admin
        api.create_customer(admin, {"name": HOSTILE, "company": "@evil", "phones": ["13812345678"]})
        out = api.export(admin, "customers", "csv")
        with open(out["path"], encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert rows[0]["name"] == "'" + HOSTILE and rows[0]["company"] == "'@evil"
        assert rows[0]["phones"] == "+8613812345678"
        x = api.export(admin, "customers", "xlsx")
        wb = openpyxl.load_workbook(x["path"])
        ws = wb.active
        header = [c.value for c in ws[1]]
        cell = ws.cell(2, header.index("name") + 1)
        assert cell.data_type == "s" and cell.value == "'" + HOSTILE
        wb.close()
        audit = api.audit_log(admin, action="export.customers")
        assert audit["total"] == 2 and audit["items"][0]["detail"]["masked"] is False


def test_exports_are_masked_for_a_role_without_the_permission(tmp_path: Path) -> None:
    with box(tmp_path) as b:
        b.api.create_customer(b.admin, {"name": "Li", "phones": ["13812345678"]})
        sup = b.principal("supervisor")
        b.api.put_role(b.admin, "exporter", ["customers.read", "export"])
        b.run(b.store.users.put("exp", "correct horse battery", "exporter"))
        p = b.run(b.api.crm.principal_for_username("exp"))
        text = Path(b.api.export(p, "customers", "csv")["path"]).read_text("utf-8-sig")
        assert "+86138****5678" in text and "3812345678" not in text
        text = Path(b.api.export(sup, "customers", "csv")["path"]).read_text("utf-8-sig")
        assert "+8613812345678" in text


def test_master_csv_line_has_cdr_csv_columns_and_quoting() -> None:
    cid = str(uuid.uuid4())
    c = call(T0, id=cid, caller_name='Ann "the caller"').to_dict()
    line = master_csv_line({**c, "direction": "in", "dialed_number": ""})
    fields = next(csv.reader([line]))
    assert len(fields) == 18
    (accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start,
     answer, end, duration, billsec, disposition, amaflags, uniqueid, userfield) = fields
    assert (src, dst, dcontext, lastapp, lastdata) == ("5551234", "100", "support", "Queue",
                                                       "support")
    assert clid == '"Ann ""the caller""" <5551234>'.replace('""', '"')
    assert '"""Ann ""the caller"""" <5551234>"' in line            # quotes doubled in the file
    assert (start, answer, end) == ("2026-11-18 11:06:40", "2026-11-18 11:06:48",
                                    "2026-11-18 11:07:48")
    assert (duration, billsec, disposition, amaflags, uniqueid) == ("68", "60", "ANSWERED",
                                                                    "DOCUMENTATION", cid)
    assert ',"2026-11-18 11:06:40",' in line and ",68,60," in line   # times quoted, ints bare
    missed = master_csv_line({**c, "disposition": "abandoned", "agent_answered_at": None,
                              "answered_at": None, "talk_s": 0.0})
    assert ",,\"2026-11-18 11:07:48\"," in missed and '"NO ANSWER"' in missed


def test_queue_log_lines_follow_app_queue() -> None:
    cid = "c0ffee00-0000-4000-8000-000000000009"
    lines = [queue_log_line({**QueueEvent(T0, cid, "support", ev, **kw).to_dict(),
                             "caller_number": "5551234"}) for ev, kw in [
        ("ENTERQUEUE", {"position": 1}),
        ("RINGNOANSWER", {"agent": "201", "ring_s": 15.0}),
        ("CONNECT", {"agent": "202", "wait_s": 21.4, "ring_s": 3.0}),
        ("COMPLETECALLER", {"agent": "202", "wait_s": 21.4, "talk_s": 95.6, "orig_position": 1}),
        ("ABANDON", {"position": 2, "orig_position": 3, "wait_s": 40.0})]]
    e = f"{int(T0)}|{cid}|support"
    assert lines == [f"{e}|NONE|ENTERQUEUE||5551234|1\n", f"{e}|201|RINGNOANSWER|15000\n",
                     f"{e}|202|CONNECT|21||3\n", f"{e}|202|COMPLETECALLER|21|96|1\n",
                     f"{e}|NONE|ABANDON|2|3|40\n"]


def test_calls_and_queue_log_exports_in_asterisk_formats(tmp_path: Path) -> None:
    with box(tmp_path) as b:
        recs = [call(T0 + 60 * i, caller_number=f"1380000{i:04d}") for i in range(3)]
        for r in recs:
            b.run(b.store.cdr.insert(r))
            b.run(b.store.queue_log.append(QueueEvent(r.started_at + 1, r.id, "support",
                                                      "ENTERQUEUE", position=1)))
        out = b.api.export(b.admin, "calls", "master.csv", since=T0, until=T0 + 3600)
        lines = Path(out["path"]).read_text("utf-8").splitlines()
        assert out["rows"] == 3 and [next(csv.reader([x]))[16] for x in lines] == \
            [r.id for r in recs]
        ql = b.api.export(b.admin, "queue_log", "queue_log")
        assert Path(ql["path"]).read_text().splitlines()[0] == \
            f"{int(T0) + 1}|{recs[0].id}|support|NONE|ENTERQUEUE||13800000000|1"
        with pytest.raises(ApiError) as err:                  # auditors may not export
            b.api.export(b.principal("auditor"), "queue_log", "queue_log")
        assert err.value.status == 403 and err.value.permission == "export"
