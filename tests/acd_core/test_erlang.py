"""Erlang C against published tables and worked examples (the formula is not
its own oracle: every figure below was printed by someone else)."""
from __future__ import annotations

import math

import pytest

from acd_core import erlang
from acd_core.errors import ConfigError


def test_erlang_b_table_value():
    # Erlang B tables: 10 Erlangs offered to 10 circuits block 21.46 %.
    assert erlang.erlang_b(10.0, 10) == pytest.approx(0.2146, abs=5e-5)


def test_published_worked_example():
    # The classic worked example (callcentrehelper.com "Erlang C Formula - Made
    # Simple"): 100 calls per 30 min, AHT 180 s, 80 % in 20 s, max occupancy
    # 85 %, shrinkage 30 %. Published outputs of two independent packages:
    # pyworkforce 0.1.0 README (pypi.org/project/pyworkforce/0.1.0) ->
    # raw_positions 14, positions 20, service_level 0.8883500191794669,
    # occupancy 0.7142857142857143, waiting_probability 0.1741319335950498;
    # CRAN ErlangC 0.1.0 (rdocumentation.org/packages/ErlangC) -> traffic 10,
    # ASA 7.83593701177724 s at 14 agents, wait probability 0.6821182 at 11.
    a = erlang.traffic(100, 1800, 180)
    assert a == pytest.approx(10.0)
    assert erlang.p_wait(a, 11) == pytest.approx(0.6821182, abs=1e-7)
    staff = erlang.agents_needed(100, 1800, 180, target_sl=0.8, target_time=20,
                                 max_occupancy=0.85, shrinkage=0.3)
    assert (staff.agents, staff.scheduled) == (14, 20)
    assert staff.service_level == pytest.approx(0.8883500191794669, rel=1e-12)
    assert staff.occupancy == pytest.approx(0.7142857142857143, rel=1e-12)
    assert staff.p_wait == pytest.approx(0.1741319335950498, rel=1e-12)
    assert staff.asa == pytest.approx(7.83593701177724, rel=1e-12)
    assert erlang.service_level(a, 13, 180, 20) < 0.8


@pytest.mark.parametrize("agents, asa, occupancy", [(69, 14.3, 0.90), (65, 73.0, 0.96)])
def test_swpp_table(agents, asa, occupancy):
    # swpp.org "Quantifying the Impact of Schedule Adherence": 350 calls (per
    # half hour, as the figures show), AHT 320 s.
    a = erlang.traffic(350, 1800, 320)
    assert erlang.asa(a, agents, 320) == pytest.approx(asa, abs=0.5)
    assert a / agents == pytest.approx(occupancy, abs=0.005)


def test_textbook_mmc_example():
    # 120 customers an hour, 3 minutes each, 10 servers: "from the Erlang C
    # curve, the probability of waiting is about 0.10".
    assert erlang.p_wait(erlang.traffic(120, 3600, 180), 10) == pytest.approx(0.10, abs=0.005)


def test_small_office_figures_from_the_reference_note():
    # docs/reference/acd-kpi.md#erlang-c: 60 calls/h, AHT 4 min.
    a = erlang.traffic(60, 3600, 240)
    assert erlang.service_level(a, 6, 240, 20) == pytest.approx(0.76, abs=0.005)
    assert erlang.asa(a, 6, 240) == pytest.approx(34, abs=0.5)
    assert erlang.service_level(a, 7, 240, 20) == pytest.approx(0.895, abs=0.001)
    assert erlang.asa(a, 7, 240) == pytest.approx(11, abs=0.5)


def test_overload_and_large_staff_do_not_overflow():
    assert erlang.p_wait(10.0, 10) == 1.0
    assert erlang.asa(10.0, 9, 180) == math.inf
    assert erlang.service_level(10.0, 10, 180, 20) == 0.0
    assert 0.0 < erlang.p_wait(900.0, 960) < 1.0        # no factorial overflow


def test_targets_asa_and_occupancy_add_agents():
    base = erlang.agents_needed(100, 1800, 180)
    assert erlang.agents_needed(100, 1800, 180, target_asa=5.0).agents > base.agents
    assert erlang.agents_needed(100, 1800, 180, max_occupancy=0.6).agents == 17


def test_bad_inputs_name_the_value():
    with pytest.raises(ConfigError, match="shrinkage"):
        erlang.agents_needed(10, 3600, 180, shrinkage=1.0)
    with pytest.raises(ConfigError, match="period"):
        erlang.traffic(10, 0, 180)
