"""The desk's ``Api`` methods from a web thread: permissions per role, masking of live calls,
clear errors (answer, imports), and one action carried out on a live call."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from acd_core.clock import ManualClock
from firmware.api_desk import DeskApi
from firmware.config import from_dict
from firmware.crm.facade import ENDPOINTS
from firmware.crm.permissions import BUILTIN_ROLES
from firmware.cti.live import LiveCall
from firmware.events import EventBus
from firmware.errors import ApiError
from firmware.flows.acd_runner import AcdRunner
from firmware.flows.context import FlowContext
from firmware.flows.records import CallRecords
from firmware.store import CallRecord, Seat
from firmware.store.keeper import RecordKeeper
from tests.crm.support import Box, box
from tests.flows.fakes import FakeLeg, FakePool

CALLER = "13812345678"
DESK = sorted(n for n in ENDPOINTS if n in vars(DeskApi))


class World:
    def __init__(self, b: Box, tmp: Path) -> None:
        self.b = b
        self.cfg = from_dict({"paths": {"var": str(tmp / "var")}}, tmp)
        self.live: LiveCall | None = None
        b.run(self._build())
        b.api.attach_cti(self.ctx.cti)

    async def _build(self) -> None:
        store = self.b.store
        await store.config.put_seat(Seat(extension="201", ha1="0" * 32))
        self.clock = ManualClock()
        bus = EventBus(self.clock)
        self.acd = AcdRunner(bus, self.clock)
        self.acd.configure([], await store.config.seats())
        self.keeper = RecordKeeper(self.cfg.var_dir, self.clock, bus)
        self.ctx = FlowContext(cfg=self.cfg, bus=bus, store=store,
                               pool=FakePool(),  # type: ignore[arg-type]
                               acd=self.acd, clock=self.clock, moh_path=tmp_moh(self.cfg),
                               records=CallRecords(store, self.keeper))
        self.caller = FakeLeg("in")
        self.seat = FakeLeg("out")
        self.caller.far_answers()
        self.seat.far_answers()
        rec = CallRecord(caller_number=CALLER, caller_name="Wang", queue="", agent="201")
        self.live = LiveCall(self.ctx.cti, rec, self.caller, "201", self.seat)
        self.ctx.cti.attach(self.live)

    def close(self) -> None:
        async def stop() -> None:
            await self.keeper.stop()
            self.acd.close()
        self.b.run(stop())


def tmp_moh(cfg: Any) -> Path:
    return cfg.prompts_dir / "moh.wav"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Box, World]]:
    tmp = tmp_path_factory.mktemp("desk-api")
    with box(tmp) as b:
        w = World(b, tmp)
        try:
            yield b, w
        finally:
            w.close()


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:      # the module's daemon loop lives across tests
    yield


def test_every_desk_method_is_an_endpoint_with_a_known_permission() -> None:
    assert len(DESK) >= 35
    public = {n for n in vars(DeskApi) if not n.startswith("_")} - {"attach_cti"}
    assert public == set(DESK)


CALLS: dict[str, Any] = {
    "agent_status": lambda a, p: a.agent_status(p),
    "live_calls": lambda a, p: a.live_calls(p),
    "agent_states": lambda a, p: a.agent_states(p),
    "dispositions": lambda a, p: a.dispositions(p),
    "recording_rules": lambda a, p: a.recording_rules(p),
    "campaigns": lambda a, p: a.campaigns(p),
    "dnc_list": lambda a, p: a.dnc_list(p),
    "force_agent": lambda a, p: a.force_agent(p, "201", "available"),
    "put_pause_reason": lambda a, p: a.put_pause_reason(p, "smoke", "Smoke break", 9),
    "click_to_call": lambda a, p: a.click_to_call(p, "12ab"),
    "call_customer": lambda a, p: a.call_customer(p, 999999),
    "desk_state": lambda a, p: a.desk_state(p),
}


@pytest.mark.parametrize("role", sorted(BUILTIN_ROLES))
@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_role_gets_exactly_what_its_permissions_allow(world: tuple[Box, World],
                                                           role: str, name: str) -> None:
    b, _ = world
    p = b.principal(role, seat="201" if role in ("agent", "supervisor") else None)
    allowed = p.can(ENDPOINTS[name].permission or "")
    try:
        CALLS[name](b.api, p)
    except ApiError as exc:
        if exc.status == 403:
            assert not allowed, f"{role} was refused {name}: {exc}"
            return
        assert allowed, f"{role} reached {name} past its permissions: {exc}"
        assert exc.status in (400, 404, 409), exc        # allowed, then refused on content
        return
    assert allowed, f"{role} may not {name} but it ran"


def test_a_live_call_is_masked_for_an_agent_and_whole_for_a_supervisor(
        world: tuple[Box, World]) -> None:
    b, _ = world
    agent = b.principal("agent", "masked-ann", seat="201")
    sup = b.principal("supervisor", "sue", seat="301")
    mine = b.api.live_calls(agent)
    assert mine and mine[0]["caller_number"] == "138****5678"
    assert b.api.live_calls(sup)[0]["caller_number"] == CALLER
    status = b.api.agent_status(agent)
    assert status["call"]["caller_number"] == "138****5678" and status["agent"] == "201"
    desk = b.api.desk_state(agent)
    assert desk["call"]["caller_number"] == "138****5678" and desk["wrapup_s"] is None
    with pytest.raises(ApiError, match="no agent 301"):       # a seat the ACD does not know
        b.api.desk_state(sup)
    other = b.principal("agent", "other-agent", seat="209")
    assert b.api.live_calls(other) == []                 # not its call


def test_hold_and_resume_through_the_api_act_on_the_call(world: tuple[Box, World]) -> None:
    b, w = world
    ann = b.principal("agent", "ann-api", seat="201")
    assert b.api.call_hold(ann)["state"] == "held" and w.caller.held
    with pytest.raises(ApiError) as err:
        b.api.call_hold(ann)
    assert err.value.status == 409 and "held" in str(err.value)
    assert b.api.call_resume(ann)["state"] == "talking" and not w.caller.held
    nobody = b.principal("agent", "seatless")
    with pytest.raises(ApiError, match="has no seat"):
        b.api.call_hold(nobody)


def test_answer_is_a_clear_error(world: tuple[Box, World]) -> None:
    b, w = world
    ann = b.principal("agent", "ann-api", seat="201")
    with pytest.raises(ApiError, match="no call is ringing seat 201") as err:
        b.api.call_answer(ann)
    assert err.value.status == 409
    b.run(_ring(w))
    with pytest.raises(ApiError, match="cannot be answered from the desk") as err:
        b.api.call_answer(ann)
    assert err.value.status == 501
    b.api.put_seat_remote_answer(b.admin, "201", True)
    assert b.api.call_answer(ann) == {"call": "c-ring", "seat": "201", "asked": True}
    ringing = w.ctx.cti.offers["201"].leg
    assert ringing.commands == [("talk", None)]          # the node asks the phone (NOTIFY)


async def _ring(w: World) -> None:
    w.ctx.cti.offer_ringing("201", "c-ring", "support", w.caller, FakeLeg("out"))


def test_a_campaign_list_with_bad_rows_and_a_bad_file(world: tuple[Box, World],
                                                     tmp_path: Path) -> None:
    b, _ = world
    admin = b.admin
    from firmware.store import Queue
    b.run(b.store.config.put_queue(Queue(name="support")))
    b.api.put_campaign(admin, "autumn", "support", hours_start="08:30", days="123456")
    good = tmp_path / "list.csv"
    good.write_text(f"name,phone\nWang,{CALLER}\nLi,12x\n", encoding="utf-8")
    out = b.api.import_campaign(admin, "autumn", str(good))
    assert (out["added"], out["skipped"]) == (1, 0)
    assert out["rejected"][0]["error"] == "line 3, column 'phone': not a phone number: '12x'"
    bad = tmp_path / "bad.csv"
    bad.write_text("name,city\nWang,Shanghai\n", encoding="utf-8")
    with pytest.raises(ApiError) as err:
        b.api.import_campaign(admin, "autumn", str(bad))
    assert err.value.status == 422 and err.value.context["row"] == 1
    assert err.value.context["column"] == "number"
    with pytest.raises(ApiError) as err:
        b.api.put_campaign(admin, "autumn", "support", hours_start="25:00")
    assert err.value.status == 400 and err.value.context["field"] == "campaign.hours_start"
    tl = b.principal("team_leader")
    with pytest.raises(ApiError) as err:
        b.api.campaign_records(tl, "autumn")
    assert err.value.status == 403
    rows = b.api.campaign_records(admin, "autumn")["items"]
    assert [r["number"] for r in rows] == [CALLER]


def test_recording_rules_and_queue_caller_id_are_validated(world: tuple[Box, World]) -> None:
    b, _ = world
    admin = b.admin
    rule = b.api.put_recording_rule(admin, "agent", "on_demand", target="201", stereo=True)
    assert rule == {"scope": "agent", "target": "201", "mode": "on_demand", "announce": False,
                    "stereo": True}
    with pytest.raises(ApiError) as err:
        b.api.put_recording_rule(admin, "team", "always")
    assert err.value.context["field"] == "recording_rule.scope"
    with pytest.raises(ApiError) as err:
        b.api.put_queue_caller_id(admin, "nope", "5550100")
    assert err.value.status == 404


def test_no_other_half_of_the_api_shadows_a_desk_name() -> None:
    """``Api`` mixes several halves; a name defined twice resolves to the first in the MRO
    (a private helper of the web half once shadowed the desk's own)."""
    from firmware.api import Api
    shadowed = sorted(n for n, v in vars(DeskApi).items()
                      if callable(v) and not n.startswith("__")
                      and getattr(Api, n) is not getattr(DeskApi, n))
    assert shadowed == []
