"""G.711 cost against CPython's audioop, compiled and pure, one process.

Measured on a 20 ms frame (160 samples: 320 bytes of PCM or 160 octets, as the
media node and the TDM path call it) and on a 1 s buffer. The figure that
matters is per frame (issue 15: a frame's encode and decode must cost no more
than audioop's, which this module replaces when audioop leaves Python in 3.13):
``cost_over_audioop`` is ours / audioop per call, <= 1 means we are cheaper.
Both sides are timed by the same kind of loop (a direct call per iteration, the
best of several runs), so neither pays for a wrapper the other does not.
"""
from __future__ import annotations

import os
import time

import pytest

from tests.support.builds import load
from tests.support.oracles import audioop

RUNS = 9


def best1(fn, arg, number: int) -> float:
    t = float("inf")
    for _ in range(RUNS):
        t0 = time.perf_counter()
        for _ in range(number):
            fn(arg)
        t = min(t, (time.perf_counter() - t0) / number)
    return t


def best2(fn, arg, width: int, number: int) -> float:
    """The same loop as best1 with audioop's second argument."""
    t = float("inf")
    for _ in range(RUNS):
        t0 = time.perf_counter()
        for _ in range(number):
            fn(arg, width)
        t = min(t, (time.perf_counter() - t0) / number)
    return t


CASES = {
    "linear_to_alaw": (audioop.lin2alaw, 2),
    "linear_to_ulaw": (audioop.lin2ulaw, 2),
    "alaw_to_linear": (audioop.alaw2lin, 1),
    "ulaw_to_linear": (audioop.ulaw2lin, 1),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("samples", [160, 8000])
def test_g711_speed(benchmark, name, samples):
    oracle, width = CASES[name]
    data = os.urandom(samples * width)
    ours = getattr(load("acd_core.g711", "compiled"), name)
    pure = getattr(load("acd_core.g711", "pure"), name)
    assert ours(data) == oracle(data, 2)
    number = max(1, 400_000 // samples)
    benchmark.pedantic(ours, args=(data,), rounds=200, iterations=number // 200 + 1,
                       warmup_rounds=2)
    if benchmark.disabled:   # `make test`: ran once as a check; figures come from `make bench`
        return
    # interleaved, so that a busy moment of the shared machine hits both sides
    ours_s = min(best1(ours, data, number), best1(ours, data, number))
    ref_s = best2(oracle, data, 2, number)
    ours_s = min(ours_s, best1(ours, data, number))
    ref_s = min(ref_s, best2(oracle, data, 2, number))
    pure_s = best1(pure, data, max(1, number // 200))
    info = {
        "ns_per_call": round(ours_s * 1e9, 1),
        "audioop_ns_per_call": round(ref_s * 1e9, 1),
        "cost_over_audioop": round(ours_s / ref_s, 2),
        "ns_per_sample": round(ours_s / samples * 1e9, 3),
        "audioop_ns_per_sample": round(ref_s / samples * 1e9, 3),
        "pure_ns_per_sample": round(pure_s / samples * 1e9, 1),
        "compiled_over_pure": round(pure_s / ours_s, 1),
    }
    benchmark.extra_info.update(info)
    print(f"\n{name} x{samples}: {info}")
