"""Outbound on the ManualClock: click-to-call, a seat dialling out or another seat, the
progressive campaign dialer, and campaign lists from CSV."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from firmware.cti import campaign_csv
from firmware.cti.dialer import Dialer, retry_delay, within_hours
from firmware.cti.trunks import outcome_of_error
from firmware.errors import ApiError, DialStringError, TrunksBusy
from firmware.store.campaigns import Campaign
from tests.cti.conftest import DeskHarness, seat_dials
from tests.cti.fakes import out_legs


async def test_click_to_call_rings_the_seat_first_then_the_customer(tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        await h.cti._crm_service().put_phone_settings(country_code="86")
        await h.cti.store.put_queue_caller_id("support", "+862150001000", "Support")
        ann = await h.p("ann")
        out = await h.cti_click(ann, "013812345678")
        assert out == {"seat": "201", "number": "013812345678", "queue": "support"}
        seat = await h.until(lambda: (x := out_legs(h.pool, "sip:201@")) and x[-1], "seat rings")
        assert seat.info["caller_name"] == "Calling 013812345678" and not h.trunks.dialled
        assert h.state("201") == "on-call"                       # no queue call meanwhile
        seat.far_answers()
        await h.until(lambda: h.trunks.dialled, "the customer is dialled")
        number, caller_id, customer = h.trunks.dialled[-1]
        assert (number, caller_id) == ("013812345678", "+862150001000")
        assert seat.playing.endswith("ringback.wav")
        customer.far_answers()
        await h.until(lambda: h.cti.call_of("201"), "talking")
        assert h.pool.hears(seat) == {customer}
        h.advance(65)
        customer.far_hangs_up()
        await h.until(lambda: not h.cti.calls, "done")
        await h.until(lambda: h.kinds("call.outbound_result"), "result")
        [cdr] = await h.cdrs()
        row = await h.store.db.fetchone("SELECT direction, dialed_number FROM cdr WHERE id = ?",
                                        (cdr.id,))
    assert (row["direction"], row["dialed_number"]) == ("out", "+8613812345678")
    assert (cdr.disposition, cdr.agent, cdr.caller_number, cdr.talk_s) == (
        "answered", "201", "201", 65.0)


async def test_click_to_call_refusals(tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        ann = await h.p("ann")
        with pytest.raises(ApiError, match="2-20 digits"):
            await h.cti_click(ann, "12ab")
        await h.cti.campaigns.put_dnc("013899990000")
        with pytest.raises(ApiError, match="do-not-call"):
            await h.cti_click(ann, "013899990000")
        with pytest.raises(ApiError, match="does not serve queue 'sales'"):
            await h.cti_click(ann, "013812345678", "sales")


async def test_a_number_with_no_route_ends_as_a_failed_outbound_cdr(tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        h.seat_registered("201")
        await h.cti_click(await h.p("ann"), "0001234")
        seat = await h.until(lambda: (x := out_legs(h.pool, "sip:201@")) and x[-1], "seat rings")
        seat.far_answers()
        await h.until(lambda: h.kinds("call.outbound_result"), "result")
        await h.until(lambda: seat.ended.done(), "seat hung up")
        [cdr] = await h.cdrs()
    result = [e.data["result"] for e in h.events if e.kind == "call.outbound_result"]
    assert result == ["invalid"] and cdr.disposition == "failed"
    assert "no route" in cdr.failure_reason and h.state("201") == "available"


async def test_every_trunk_busy_is_a_blocked_cdr_and_a_bad_dial_string_invalid(
        tmp_path: Path) -> None:
    """The desk reads the trunks' own error classes (``firmware.errors``), subclasses
    included: ``DialStringError`` is a ``RouteError``."""
    async with DeskHarness(tmp_path) as h:
        h.seat_registered("201")
        await h.cti_click(await h.p("ann"), "9991234")
        seat = await h.until(lambda: (x := out_legs(h.pool, "sip:201@")) and x[-1], "seat rings")
        seat.far_answers()
        await h.until(lambda: h.kinds("call.outbound_result"), "result")
        await h.until(lambda: seat.ended.done(), "seat hung up")
        [cdr] = await h.cdrs()
    result = [e.data["result"] for e in h.events if e.kind == "call.outbound_result"]
    assert result == ["failed"] and (cdr.disposition, cdr.hangup_by) == ("blocked", "system")
    assert "every trunk is busy" in cdr.failure_reason and h.state("201") == "available"
    assert outcome_of_error(DialStringError("bad", number="1;x")) == "invalid"
    assert outcome_of_error(TrunksBusy("busy", number="1")) == "failed"


async def test_a_seat_dials_an_outside_number_and_another_seat(tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        await h.cti.store.put_queue_caller_id("support", "5550100")
        leg, task = seat_dials(h, "201", "0216543210")
        await h.until(lambda: h.trunks.dialled, "dialled out")
        assert h.trunks.dialled[-1][:2] == ("0216543210", "5550100") and leg.did("answer")
        far = h.trunks.last()
        far.far_answers()
        await h.until(lambda: h.cti.call_of("201"), "talking")
        await h.cti.act(await h.p("ann"), "hold")              # the desk acts on it too
        assert far.held
        leg.far_hangs_up()
        await h.until(lambda: task.done(), "done")
        leg2, task2 = seat_dials(h, "203", "202")               # internal
        ring = await h.until(lambda: (x := out_legs(h.pool, "sip:202@")) and x[-1], "202 rings")
        assert ring.info["caller_id"] == "203"
        ring.far_answers()
        await h.until(lambda: h.cti.call_of("203"), "talking")
        assert h.state("202") == "on-call" and h.state("203") == "on-call"
        ring.far_hangs_up()
        await h.until(lambda: task2.done(), "done")
        cdrs = {c.did or c.dialed_number: c for c in await h.cdrs()}
    assert cdrs["202"].disposition == "answered" and cdrs["202"].agent == "203"


def test_calling_hours_and_back_off() -> None:
    c = Campaign(name="c", queue="q", hours_start="09:00", hours_end="18:00", days="12345",
                 retry_s=600, backoff=2.0)
    thursday_10 = time.struct_time((2026, 1, 1, 10, 0, 0, 3, 1, 0))
    saturday_10 = time.struct_time((2026, 1, 3, 10, 0, 0, 5, 3, 0))
    thursday_18 = time.struct_time((2026, 1, 1, 18, 0, 0, 3, 1, 0))
    assert within_hours(c, thursday_10) and not within_hours(c, saturday_10)
    assert not within_hours(c, thursday_18)
    assert [retry_delay(c, n) for n in (1, 2, 3)] == [600.0, 1200.0, 2400.0]


def _seat_legs(h: DeskHarness) -> list:
    return [x for x, uri in h.pool.dialled if uri.startswith("sip:20")]


async def test_the_dialer_calls_one_record_per_free_agent_retries_and_respects_dnc(
        tmp_path: Path) -> None:
    async with DeskHarness(tmp_path) as h:
        h.seat_registered("201", "203")
        await h.cti.campaigns.put(Campaign(name="spring", queue="support", hours_start="00:00",
                                           hours_end="23:59", days="1234567", max_attempts=2,
                                           retry_s=600, backoff=2.0, ring_timeout_s=20))
        await h.cti.campaigns.add_records("spring", [
            {"line": 2, "number": "0211110001", "name": "A"},
            {"line": 3, "number": "0211110002", "name": "B"},
            {"line": 4, "number": "0001110003", "name": "C"},     # no route: invalid
            {"line": 5, "number": "0211110004", "name": "D"}])
        await h.cti.campaigns.put_dnc("0211110004")
        await h.cti.campaigns.set_state("spring", "running")
        dialer = Dialer(h.cti, local=time.gmtime)
        assert await dialer.tick() == 2                           # two free agents, two calls
        assert await dialer.tick() == 0                           # nobody free now
        await h.until(lambda: len(_seat_legs(h)) == 2, "both seats ring")
        for seat in _seat_legs(h):                                # the agents first
            seat.far_answers()
        await h.until(lambda: len(h.trunks.dialled) == 2, "both customers dialled")
        first, second = (h.trunks.dialled[0][2], h.trunks.dialled[1][2])
        first.far_answers()
        second.far_hangs_up(486, "Busy Here")                     # busy: retried later
        await h.until(lambda: h.cti.calls, "one talks")
        h.advance(30)
        first.far_hangs_up()
        await h.until(lambda: len(dialer.results) == 2 and not dialer.dialing, "two results")
        assert await dialer.tick() == 1                           # C (D is on the dnc list)
        assert dialer.results[-1][2] == "dnc"
        await h.until(lambda: len(_seat_legs(h)) == 3, "a seat rings for C")
        _seat_legs(h)[-1].far_answers()
        await h.until(lambda: len(dialer.results) == 4 and not dialer.dialing, "C's result")
        assert dialer.results[-1][2] == "invalid"
        assert await dialer.tick() == 0                           # B is not due yet
        h.advance(600)                                            # B's back-off: 600 s
        assert await dialer.tick() == 1
        await h.until(lambda: len(_seat_legs(h)) == 4, "a seat rings for B")
        _seat_legs(h)[-1].far_answers()
        await h.until(lambda: len(h.trunks.dialled) == 3, "B dialled again")
        h.trunks.last().far_answers()
        await h.until(lambda: h.cti.calls, "talking to B")
        h.trunks.last().far_hangs_up()
        await h.until(lambda: len(dialer.results) == 5 and not dialer.dialing, "B's result")
        await dialer.tick()
        records, total = await h.cti.campaigns.records("spring")
        state = (await h.cti.campaigns.get("spring")).state
        await h.until(lambda: len(h.kinds("call.ended")) == 4, "every CDR")
        cdrs = await h.cdrs()
    by_line = {r["line"]: (r["state"], r["result"], r["attempts"]) for r in records}
    assert by_line == {2: ("done", "answered", 1), 3: ("done", "answered", 2),
                       4: ("done", "invalid", 1), 5: ("done", "dnc", 0)}
    assert state == "finished" and total == 4
    assert sorted(c.disposition for c in cdrs) == ["answered", "answered", "failed", "failed"]
    assert {r["call_id"] for r in records if r["call_id"]} <= {c.id for c in cdrs}


def test_csv_list_errors_name_the_line_and_column() -> None:
    data = ("name,phone,city\n"
            "Wang,138 1234 5678,Shanghai\n"
            "Li,not-a-number,Beijing\n"
            "\n"
            "Zhao,(021) 5000-1000\n"
            "Wang again,13812345678,Shanghai\n").encode("utf-8-sig")
    parsed = campaign_csv.parse(data)
    assert [(r["line"], r["number"], r["data"]) for r in parsed.rows] == [
        (2, "13812345678", {"city": "Shanghai"})]
    assert [r["error"] for r in parsed.rejected] == [
        "line 3, column 'phone': not a phone number: 'not-a-number'",
        "line 5: 2 fields, the header has 3"]
    assert parsed.duplicates == 1


@pytest.mark.parametrize("data, text", [
    (b"name,city\nA,B\n", "line 1: no number column"),
    (b"", "line 1: the header row is missing"),
    (b'number\n"0123\n', "line 2"),
    (b"\xff\xfe\x00n\x00u", "not a text file"),
])
def test_csv_files_that_cannot_be_a_list_are_refused(data: bytes, text: str) -> None:
    with pytest.raises(campaign_csv.ListError, match=text):
        campaign_csv.parse(data)


def test_csv_in_gb18030_from_excel_is_read() -> None:
    data = "姓名,电话\n王芳,13812345678\n".encode("gb18030")
    parsed = campaign_csv.parse(data)
    assert parsed.rows[0]["number"] == "13812345678" and parsed.rows[0]["data"] == {"姓名": "王芳"}
