"""A failing R2 test shows the line transcript; a passing one stays quiet."""
import pytest

from firmware.telephony.r2 import Transcript

pytest_plugins = ["pytester"]

CONFTEST = """
from tests.telephony.r2.conftest import pytest_runtest_makereport, transcript  # noqa: F401
"""

TESTS = """
def test_fails(transcript):
    transcript.add(0.14, 1, "box", "MF tx", "A-6 category on")
    transcript.add(0.12, 1, "box", "CAS tx", "1111 seize_ack")
    assert False

def test_passes(transcript):
    transcript.add(0.0, 1, "box", "CAS tx", "1011 idle")
"""


def test_the_transcript_is_in_the_report_of_a_failing_test_only(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(TESTS)
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "R2 line transcript (ABCD changes, MF tones, states, events)" in out
    lines = [line for line in out.splitlines() if "ts1" in line]
    assert lines == ["    0.120 ts1  box      CAS tx  1111 seize_ack",
                     "    0.140 ts1  box      MF tx   A-6 category on"]


def test_format_orders_by_time_and_filters_kinds():
    t = Transcript()
    t.add(0.04, 2, "libopenr2", "CAS rx", "1111")
    t.add(0.02, 2, "box", "CAS tx", "1111 seize_ack")
    t.add(0.02, 2, "box", "state", "IDLE -> IN_SEIZED (rx seize)")
    assert t.format(kinds=("CAS tx", "CAS rx")).splitlines() == [
        "    0.020 ts2  box      CAS tx  1111 seize_ack",
        "    0.040 ts2  libopenr2 CAS rx  1111"]
