"""The steady-state tables: complete for every simulator object, and what they compute."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from drivers.sim.e1cable import DIRECTION_STATE, EXCHANGE_STATE, E1Cable
from drivers.sim.e1frame import RECEIVER_STATE, TS0_STATE
from drivers.sim.hdlc import DECODER_STATE, ENCODER_STATE
from drivers.sim.pef2256 import FRAMER_STATE
from drivers.sim.steady import CONTAINERS, StateTable
from tests.drivers.e1_fixtures import span_to_exchange


def _tables(table: StateTable, obj: object, path: str = "") -> list[tuple[str, StateTable, object]]:
    out = [(path or table.owner, table, obj)]
    for name, sub in table.parts.items():
        out += _tables(sub, getattr(obj, name), f"{path or table.owner}.{name}")
    return out


def test_every_field_of_every_simulator_object_is_in_its_table():
    """A field a step reads but no table names would escape the fixed-point comparison."""
    t = span_to_exchange()
    t.span.send_frame(b"\x00\x01\x7f")
    t.exchange.send(b"\x02\x01\x01\x7f")
    t.run(0.2)                          # every lazily set field has been set by now
    cable: E1Cable = t.cable
    objects = [*_tables(FRAMER_STATE, t.card.chip), *_tables(EXCHANGE_STATE, t.exchange),
               ("into framer", DIRECTION_STATE, cable.into(t.card.chip)),
               ("into exchange", DIRECTION_STATE, cable.into(t.exchange))]
    for where, table, obj in objects:
        assert set(vars(obj)) == table.fields(), where
        sections = [set(table.key), set(table.copied), set(table.ignored), set(table.saturating),
                    set(table.counters), set(table.events), set(table.parts)]
        assert sum(map(len, sections)) == len(table.fields()), f"{where}: a field listed twice"
        for name in table.key:              # compared as they are: must not change in place
            assert not isinstance(getattr(obj, name), CONTAINERS), f"{where}.{name}"
        for name in table.copied:
            assert isinstance(getattr(obj, name), CONTAINERS), f"{where}.{name}"


def test_parts_of_the_framer_and_the_exchange_use_the_line_models_tables():
    for table in (FRAMER_STATE, EXCHANGE_STATE):
        assert table.parts == {"rx": RECEIVER_STATE, "ts0": TS0_STATE, "enc": ENCODER_STATE,
                               "dec": DECODER_STATE}


@dataclass
class _Inner:
    hits: int = 0
    said: int = 0


@dataclass
class _Outer:
    level: int
    buf: bytearray
    beat: int = 0
    inner: _Inner | None = None


TABLE = StateTable("Outer", key=("level",), copied={"buf": bytes}, counters=("beat",), ignored={},
                   parts={"inner": StateTable("Inner", key=(), saturating={"hits": 2},
                                              events=("said",), ignored={})})


def test_the_key_is_a_copy_and_saturating_counters_are_capped():
    obj = _Outer(1, bytearray(b"ab"), inner=_Inner(hits=5))
    key = TABLE.state(obj)
    obj.buf[0] = 0x7A                     # a later change must not alter a recorded key
    obj.inner.hits = 9                    # past the cap: nothing a step does can tell
    assert key == ((1,), b"ab", ((), 2))
    assert TABLE.state(obj) == ((1,), b"zb", ((), 2))


def test_a_witnessed_step_gives_deltas_unless_it_moved_an_event():
    obj = _Outer(1, bytearray(), inner=_Inner(hits=3))
    before = TABLE.counts(obj)
    obj.beat += 1
    obj.inner.hits += 1
    assert TABLE.deltas(obj, before) == (1, 1, 0)
    before = TABLE.counts(obj)
    obj.beat += 1
    obj.inner.said += 1                   # an interrupt, a frame out: no witness
    assert TABLE.deltas(obj, before) is None
    before = TABLE.counts(obj)
    obj.beat += 2                         # a scheduled counter moves by exactly one
    assert TABLE.deltas(obj, before) is None


@pytest.mark.parametrize("hits_delta, expected", [(1, 10 + 100), (0, 10), (-3, 10)])
def test_skipping_advances_counters_and_counting_saturating_fields(hits_delta, expected):
    obj = _Outer(1, bytearray(), beat=7, inner=_Inner(hits=10))
    TABLE.advance(obj, (1, hits_delta, 0), 100)
    assert obj.beat == 107
    assert obj.inner.hits == expected     # a field a step sets (not counts) stays as it is
