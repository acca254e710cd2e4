"""Print every benchmark's figures (extra_info: ratios, ns/sample, decisions/s) at the end.

pytest captures the benchmarks' own prints; the ratios against the baseline run
in the same process are the point of ``make bench``, so they go in the summary.
"""
from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

_FIGURES: list[tuple[str, dict[str, Any]]] = []


@pytest.fixture(autouse=True)
def _collect_figures(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    bench = request.node.funcargs.get("benchmark")
    info = getattr(bench, "extra_info", None)
    if info:
        _FIGURES.append((request.node.name, dict(info)))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _FIGURES:
        return
    terminalreporter.section("benchmark figures (extra_info)")
    for name, info in _FIGURES:
        terminalreporter.write_line(f"{name}: {json.dumps(info, sort_keys=True)}")

