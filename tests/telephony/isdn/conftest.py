"""Fixtures for the ISDN tests: a libpri bench per test, its capture kept in tmp_path."""
from __future__ import annotations

import subprocess
from typing import Any, Callable, Iterator

import pytest

from tests.telephony.isdn.bench import Bench


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def bench(tmp_path: Any, request: pytest.FixtureRequest) -> Iterator[Callable[..., Bench]]:
    """Make benches (ours in the given role, libpri the other); on failure the capture is
    summarised by tshark in the test's output and kept in tmp_path."""
    made: list[Bench] = []

    def make(our_role: str, **kw: Any) -> Bench:
        b = Bench(tmp_path, our_role, name=f"{request.node.name}-{len(made)}"[:80], **kw)
        made.append(b)
        return b

    yield make
    for b in made:
        b.close()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for b in made:
            summary = subprocess.run(["tshark", "-r", str(b.pcap_path)], capture_output=True,
                                     text=True, timeout=60)
            print(f"--- D-channel capture {b.pcap_path}:\n{summary.stdout}")
            if b.pri is not None:
                print("--- libpri said:\n" + "\n".join(b.pri.debug_lines[-80:]))
