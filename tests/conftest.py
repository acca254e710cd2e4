"""Suite-wide fixtures."""
from __future__ import annotations

import pytest

from tests.support.builds import BUILDS


@pytest.fixture(params=BUILDS)
def build(request: pytest.FixtureRequest) -> str:
    """Parametrises an acd_core test over the compiled and the pure build.

    Use with ``tests.support.builds.load("acd_core.x", build)``.
    """
    return request.param
