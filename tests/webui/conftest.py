from __future__ import annotations

from tests.support.aio import no_leaked_threads, pytest_pyfunc_call  # noqa: F401

from typing import Iterator  # noqa: E402

import pytest  # noqa: E402

from tests.webui.support import Web, start_web, stop_web  # noqa: E402


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    """One web UI (server, daemon loop, store) per test module."""
    w = start_web(tmp_path_factory.mktemp("web"))
    yield w
    stop_web(w)

