"""Reports computed from a real store (hand-worked data, expected values in comments)."""
from tests.support.aio import no_leaked_threads, pytest_pyfunc_call  # noqa: F401
