"""Run ``async def`` tests on a fresh event loop, and refuse leaked threads.

Imported by the conftest of each folder whose tests are coroutines (the suite
has no pytest-asyncio): ``from tests.support.aio import pytest_pyfunc_call,
no_leaked_threads``. Each async test gets its own ``asyncio.run`` so no loop,
task or aiosqlite thread can outlive it unnoticed.
"""
from __future__ import annotations

import asyncio
import inspect
import threading
import time
from typing import Iterator

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    asyncio.run(pyfuncitem.obj(**args))
    return True


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Every thread a test starts (aiosqlite, servers, loops) must be gone after it."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5.0
    while True:
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not leaked or time.monotonic() > deadline:
            break
        for t in leaked:
            t.join(0.1)
    assert not leaked, f"test leaked threads: {[t.name for t in leaked]}"
