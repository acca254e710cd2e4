"""Pieces of the stages that can be checked without a board."""
from hw_tests.stages import PRBS_PERIOD, _pattest, prbs11


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
