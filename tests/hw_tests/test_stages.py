"""Pieces of the stages that can be checked without a board, and stages on the simulator
when a chip is lost while the self-test runs."""
import pytest

from acd_core.clock import ManualClock
from drivers.board_profile import build
from hw_tests.contract import Stage, run_stages
from hw_tests.stages import PRBS_PERIOD, _pattest, all_stages, prbs11


def test_prbs11_is_a_maximal_length_sequence():
    data = prbs11(PRBS_PERIOD * 2)
    bits = [(b >> (7 - i)) & 1 for b in data for i in range(8)]
    assert bits[:2047] == bits[2047:4094]                    # period 2^11 - 1 bits
    assert all(bits[:2047 - p] != bits[p:2047] for p in (23, 89))    # not a shorter period
    assert sum(bits[:2047]) == 1024                          # m-sequence balance


def test_pattest_syncs_anywhere_and_counts_errored_octets():
    seq = list(prbs11(3000))
    assert _pattest(seq[500:2500]) == (2000, 0)
    seq[1000] ^= 0x10
    assert _pattest(seq[500:2500]) == (2000, 1)
    assert _pattest([0xFF] * 100) == (0, 0)     # 24 ones in a row never occur: no sync


# ---------------------------------------------------------------- a chip lost during the self-test
def _run_with(board, stages, before, action):
    """Run ``stages`` with ``action(board)`` done as a stage of its own before ``before``."""
    i = next(k for k, s in enumerate(stages) if s.name == before)
    stages.insert(i, Stage("(test) pull a chip", lambda b: action(b) or "pulled"))
    return {r.name: r for r in run_stages(board, stages, None)}


def test_a_framer_lost_after_its_identity_stage_is_one_failure_and_the_rest_skip():
    board = build("sim", ManualClock())
    res = _run_with(board, all_stages(board), "E1 span 1 timing (8000 frames)",
                    lambda b: setattr(b.sim.spi_e1, "target", None))
    e1 = {name: r for name, r in res.items() if name.startswith("E1 span 1")}
    assert e1.pop("E1 span 1 framer identity").status == "pass"
    timing = e1.pop("E1 span 1 timing (8000 frames)")
    assert timing.status == "fail"      # the simulated highway still counted 8000 frames
    assert timing.detail.startswith("chip not answering: E1 span 1 framer (PEF2256) on SPI "
                                    "sim-spi-0.0 (it stopped answering during this stage)")
    assert {r.status for r in e1.values()} == {"skip"}
    assert all("chip not answering: E1 span 1" in r.detail for r in e1.values())
    assert [n for n, r in res.items() if r.status == "fail"] == ["E1 span 1 timing (8000 frames)"]
    board.close()


@pytest.mark.parametrize("kind", ["fxo", "fxs"])
def test_a_port_chip_lost_during_its_stage_fails_it_by_name_not_by_stale_line_state(kind):
    clock = ManualClock()
    board = build("sim", clock)
    spi = (board.sim.spi_fxo if kind == "fxo" else board.sim.spi_fxs)[1]
    stage = f"{kind.upper()} port 2 line"
    # pulled 0.25 s into the stage: after the bring-up, while the stage waits and measures
    res = _run_with(board, all_stages(board), stage,
                    lambda b: clock.call_later(0.25, lambda: setattr(spi, "target", None)))
    failed = {n: r.detail for n, r in res.items() if r.status == "fail"}
    chip = "DAA (Si3050) on SPI sim-spi-0.2" if kind == "fxo" else "SLIC (Si3217x) on SPI sim-spi-1.1"
    assert list(failed) == [stage]
    assert failed[stage].startswith(f"chip not answering: {kind.upper()} port 2 {chip} channel 0 "
                                    "(it stopped answering during this stage)")
    board.close()


def test_tdm_stages_on_a_character_device_that_stays_silent_end_with_a_failure(tmp_path):
    """The box's TDM stream is a character device; one that never delivers a frame (a
    stopped card clock) must fail the timing and pattern stages, not block them: here a
    FIFO nobody writes, read through the real back end on the real clock. (The reads used
    to be read_frames(1 << 20) on a blocking descriptor: minutes on a live card, forever
    on a dead one.)"""
    import os
    import time
    from acd_core.clock import SystemClock
    from drivers.bus.tdm import CharDevTdm
    from hw_tests.stages import e1_identity, e1_pattern, e1_timing
    fifo = tmp_path / "callbox-tdm"
    os.mkfifo(fifo)
    board = build("sim", SystemClock(), fxo_ports=0, fxs_ports=0)
    board.tdm = CharDevTdm(str(fifo), analog_ports=0)      # the box's back end, injected
    t0 = time.monotonic()
    res = {r.name: r for r in run_stages(board, [Stage("identity", e1_identity, part="e1_span1"),
                                                 Stage("timing", e1_timing, part="e1_span1", needs=True),
                                                 Stage("pattern", e1_pattern, part="e1_span1", needs=True)],
                                         None)}
    took = time.monotonic() - t0
    print(f"\nsilent TDM device: timing + pattern stages failed after {took:.1f} s")
    assert res["identity"].status == "pass"
    assert res["timing"].status == "fail"
    assert res["timing"].detail.startswith("only 0 TDM frames in 3 s")
    assert res["pattern"].status == "fail"
    assert "TDM write on" in res["pattern"].detail and "card took no data for 1.0 s" in res["pattern"].detail
    board.tdm.close()
    board.close()


def test_a_bus_error_during_a_stage_fails_it_with_the_error_not_a_reseat_advice():
    board = build("sim", ManualClock())
    board.fxo[0].bring_up(timeslot=32)

    def stage(b):
        b.sim.spi_fxo[0].closed = True
        b.wait(0.01)
        return "looked fine"
    [res] = run_stages(board, [Stage("FXO port 1 line", stage, part="fxo1")], None)
    assert res.status == "fail"
    assert res.detail == "poll failed: SPI transfer on sim-spi-0.1: [Errno 9] bus is closed " \
                         "(during this stage)"
    board.sim.spi_fxo[0].closed = False
    board.close()
