"""Caller ID: FSK demodulation (Bell 202, V.23), SDMF/MDMF messages, DTMF caller ID.

Signals come from tests.support.signals (plain math, fixed seeds); message bytes
are written out by hand from GR-30 / EN 300 659-3, and Asterisk's callerid.c
rules (type, length, parameters, two's-complement checksum).
"""
from __future__ import annotations

import functools

import pytest

from acd_core.callerid import (CallerIdError, CallerIdMessage, CallerIdReceiver, DtmfCallerId,
                               DtmfCallerIdCollector, DtmfCallerIdReceiver)
from tests.support.builds import is_compiled, load
from tests.support.oracles import audioop
from tests.support.signals import add_noise, cid_burst, digit_train, ms, silence, to_pcm

# MDMF: date 11-27 10:30, number 862155501234, name "WANG LI"; checksum by hand:
# two's complement of the byte sum.
MDMF = bytes.fromhex("8021" "0108" "3131323731303330" "020c" "383632313535353031323334"
                     "0707" "57414e47204c49")
MDMF += bytes(((-sum(MDMF)) & 0xFF,))
# SDMF: 0x04, length, MMDDhhmm, number.
SDMF = b"\x04\x0f" + b"01011200" + b"5551234"
SDMF += bytes(((-sum(SDMF)) & 0xFF,))
PRIVATE = b"\x80\x0d" + b"\x01\x08" + b"12241805" + b"\x04\x01P"
PRIVATE += bytes(((-sum(PRIVATE)) & 0xFF,))

STANDARDS = {"bell202": (1200.0, 2200.0), "v23": (1300.0, 2100.0)}


@pytest.fixture
def fsk(build):
    return load("acd_core.callerid._fsk", build)


def frame(fsk, standard, pcm):
    """FSK bytes -> messages, using the build under test for the demodulator."""
    rx = CallerIdReceiver(standard)
    rx._demod = fsk.FskDemodulator(standard)
    return rx, rx.process(pcm)


@functools.lru_cache(maxsize=None)
def burst(message, standard, level=-13.5, noise_snr=None, freq_scale=1.0, baud=1200.0,
          space_gain_db=0.0, seed=0):
    mark, space = STANDARDS[standard]
    x = silence(ms(100)) + cid_burst(message, mark * freq_scale, space * freq_scale, level,
                                     baud=baud, space_gain_db=space_gain_db) + silence(ms(100))
    if noise_snr is not None:
        x = add_noise(x, level - noise_snr, seed)
    return to_pcm(x)


def test_compiled_build_is_really_compiled():
    assert is_compiled(load("acd_core.callerid._fsk", "compiled"))


def test_mdmf_parses_number_name_and_date():
    m = CallerIdMessage.parse(MDMF)
    assert (m.number, m.name, m.date_time) == ("862155501234", "WANG LI", "11271030")
    assert bytes(m) == MDMF


def test_sdmf_parses_and_round_trips():
    m = CallerIdMessage.parse(SDMF)
    assert (m.type, m.date_time, m.number) == (0x04, "01011200", "5551234")
    assert bytes(m) == SDMF


def test_reason_for_absence_of_number():
    m = CallerIdMessage.parse(PRIVATE)
    assert m.number is None and m.number_absent == "P" and m.reason == "private"
    assert bytes(m) == PRIVATE


def test_unknown_parameters_survive_a_round_trip():
    body = b"\x02\x03123" + b"\x11\x01\x01"
    raw = bytes((0x80, len(body))) + body
    raw += bytes(((-sum(raw)) & 0xFF,))
    m = CallerIdMessage.parse(raw)
    assert m.extra == [(0x11, b"\x01")] and bytes(m) == raw


def test_message_waiting_indicator():
    m = CallerIdMessage(type=0x82, message_waiting=True)
    assert bytes(m)[2:5] == b"\x0b\x01\xff"
    assert CallerIdMessage.parse(bytes(m)).message_waiting is True


def test_bad_checksum_names_the_offset():
    bad = MDMF[:-1] + bytes(((MDMF[-1] + 1) & 0xFF,))
    with pytest.raises(CallerIdError, match="checksum mismatch") as e:
        CallerIdMessage.parse(bad)
    assert e.value.offset == len(MDMF) - 1 and e.value.field == "checksum"


def test_truncated_message_is_refused():
    with pytest.raises(CallerIdError, match="body but has") as e:
        CallerIdMessage.parse(MDMF[:10])
    assert e.value.field == "length"


def test_parameter_running_past_the_message_is_refused():
    raw = b"\x80\x05\x02\x09123"
    raw += bytes(((-sum(raw)) & 0xFF,))
    with pytest.raises(CallerIdError, match="runs past"):
        CallerIdMessage.parse(raw)


@pytest.mark.parametrize("standard", ["bell202", "v23"])
@pytest.mark.parametrize("message", [MDMF, SDMF, PRIVATE], ids=["mdmf", "sdmf", "private"])
def test_fsk_burst_is_demodulated_and_parsed(fsk, standard, message):
    rx, got = frame(fsk, standard, burst(message, standard))
    assert [bytes(m) for _, m in got] == [message] and rx.errors == 0


@pytest.mark.parametrize("standard", ["bell202", "v23"])
@pytest.mark.parametrize("level", [0.0, -40.0])
def test_levels(fsk, standard, level):
    _, got = frame(fsk, standard, burst(MDMF, standard, level))
    assert [bytes(m) for _, m in got] == [MDMF]


@pytest.mark.parametrize("standard", ["bell202", "v23"])
@pytest.mark.parametrize("freq_scale,baud", [(1.01, 1212.0), (0.99, 1188.0)])
def test_one_percent_off_in_frequency_and_baud_rate(fsk, standard, freq_scale, baud):
    _, got = frame(fsk, standard, burst(MDMF, standard, freq_scale=freq_scale, baud=baud))
    assert [bytes(m) for _, m in got] == [MDMF]


@pytest.mark.parametrize("standard", ["bell202", "v23"])
@pytest.mark.parametrize("tilt", [6.0, -6.0])
def test_6_db_between_mark_and_space(fsk, standard, tilt):
    _, got = frame(fsk, standard, burst(MDMF, standard, space_gain_db=tilt))
    assert [bytes(m) for _, m in got] == [MDMF]


@pytest.mark.parametrize("standard", ["bell202", "v23"])
def test_white_noise_at_15_db_snr(fsk, standard):
    for seed in range(3):
        _, got = frame(fsk, standard, burst(MDMF, standard, noise_snr=15.0, seed=seed))
        assert [bytes(m) for _, m in got] == [MDMF], seed


def test_frames_and_whole_buffer_agree(fsk):
    pcm = burst(MDMF, "v23", noise_snr=25.0, seed=7)
    whole = fsk.FskDemodulator("v23").process(pcm)
    demod = fsk.FskDemodulator("v23")
    framed = [b for i in range(0, len(pcm), 320) for b in demod.process(pcm[i:i + 320])]
    assert framed == whole and MDMF in bytes(b for _, b in whole)


def test_alaw_line(fsk):
    rx = CallerIdReceiver("bell202")
    got = rx.process_alaw(audioop.lin2alaw(burst(MDMF, "bell202"), 2))
    assert [bytes(m) for _, m in got] == [MDMF]


def test_silence_noise_and_dtmf_give_no_bytes(fsk):
    x = add_noise(silence(ms(1000)), -30.0, 3) + digit_train("123", 80, 80)
    assert fsk.FskDemodulator("bell202").process(to_pcm(x)) == []


def test_unknown_standard_is_refused(fsk):
    with pytest.raises(ValueError, match="'v21'"):
        fsk.FskDemodulator("v21")


@pytest.mark.parametrize("text,number,reason", [
    ("A0612345678C", "0612345678", None), ("D4533221100#", "4533221100", None),
    ("B00C", None, "unavailable"), ("B10C", None, "private"), ("D1#", None, "private"),
])
def test_dtmf_caller_id_forms(text, number, reason):
    cid = DtmfCallerId.parse(text)
    assert (cid.number, cid.reason) == (number, reason)


def test_dtmf_caller_id_garbage_is_refused_where_it_is():
    with pytest.raises(CallerIdError, match="unexpected 'A'") as e:
        DtmfCallerId.parse("D12A4C")
    assert e.value.offset == 3


def test_dtmf_caller_id_from_audio_ignores_stray_digits():
    x = digit_train("12", 60, 60) + digit_train("A0612345678C", 60, 60) + digit_train("5", 60, 60)
    got = DtmfCallerIdReceiver().process(to_pcm(x))
    assert [c.number for _, c in got] == ["0612345678"]


def test_collector_restarts_on_a_new_start_digit():
    events = [(i, d) for i, d in enumerate("A12D345C")]
    assert [c.number for _, c in DtmfCallerIdCollector().feed(events)] == ["345"]
