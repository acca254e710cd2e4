from tests.support.aio import no_leaked_threads, pytest_pyfunc_call  # noqa: F401
