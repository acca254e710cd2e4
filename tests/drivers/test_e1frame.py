"""E1 timeslot-0 framing and CRC-4 against G.704 written out independently here."""
import random

from drivers.sim.e1frame import FRAME, MF_OCTETS, E1Receiver, Ts0Tx, crc4, smf_crc


def crc4_by_long_division(data: bytes) -> int:
    bits = [(b >> (7 - i)) & 1 for b in data for i in range(8)] + [0, 0, 0, 0]
    poly = [1, 0, 0, 1, 1]                      # x^4 + x + 1
    for i in range(len(bits) - 4):
        if bits[i]:
            for j in range(5):
                bits[i + j] ^= poly[j]
    r = bits[-4:]
    return r[0] << 3 | r[1] << 2 | r[2] << 1 | r[3]


def test_crc4_table_matches_long_division():
    rnd = random.Random(3)
    for n in (1, 2, 17, 256):
        data = bytes(rnd.randrange(256) for _ in range(n))
        assert crc4(data) == crc4_by_long_division(data)


def mf(ts0: Ts0Tx, fill: int = 0xFF) -> bytes:
    buf = bytearray([fill]) * MF_OCTETS
    ts0.fill(buf)
    return bytes(buf)


def test_timeslot_zero_words_follow_g704():
    tx = Ts0Tx(crc4=True, rai=True)
    m = mf(tx)
    ts0 = [m[f * FRAME] for f in range(16)]
    assert all(w & 0x7F == 0x1B for w in ts0[0::2])            # FAS x0011011
    assert all(w & 0x40 and w & 0x20 for w in ts0[1::2])       # NFAS bit 2, A bit (RAI)
    assert [w >> 7 for w in ts0[1:12:2]] == [0, 0, 1, 0, 1, 1]  # MFAS 001011
    assert [w >> 7 for w in ts0[13::2]] == [1, 1]               # E bits: no errors


def test_c_bits_carry_the_crc_of_the_previous_sub_multiframe():
    tx = Ts0Tx(crc4=True)
    first = mf(tx, 0x55)
    smf1 = bytearray(first[:256])
    for f in (0, 2, 4, 6):
        smf1[f * FRAME] &= 0x7F
    want = crc4_by_long_division(bytes(smf1))
    got = 0
    for f in (8, 10, 12, 14):
        got = got << 1 | first[f * FRAME] >> 7
    assert got == want == smf_crc(first[:256])


def test_doubleframe_sets_si_bits_to_one():
    m = mf(Ts0Tx(crc4=False))
    assert m[0] == 0x9B and m[FRAME] == 0xDF


def fas_errors_until_lfa(asy4: bool) -> int:
    """Errors counted before the receiver drops alignment on a run of bad FAS words."""
    tx, rx = Ts0Tx(), E1Receiver()
    rx.asy4 = asy4
    for _ in range(3):
        rx.receive(mf(tx))
    assert not rx.lfa
    bad = bytearray(mf(tx))
    for f in range(0, 16, 2):
        bad[f * FRAME] ^= 0x01               # every FAS word of the multiframe in error
    res = rx.receive(bytes(bad))
    assert res.lfa
    return res.fas_errors


def test_three_bad_fas_words_lose_alignment_four_with_asy4():
    assert fas_errors_until_lfa(False) == 3
    assert fas_errors_until_lfa(True) == 4


def test_alignment_comes_back_on_fas_nfas_fas():
    tx, rx = Ts0Tx(), E1Receiver()
    assert rx.receive(mf(tx)).lfa is False       # FAS, NFAS bit 2, FAS found in the first multiframe
    assert rx.receive(mf(tx)).frame_aligned_again is False


def test_all_ones_is_ais_and_silence_is_los():
    rx = E1Receiver()
    assert rx.receive(b"\xff" * MF_OCTETS).ais
    r = rx.receive(bytes(MF_OCTETS))
    assert r.los and not r.ais
