"""Q.931 messages and information elements, LAPD frames: vectors round-trip, hostile
input raises one typed error naming offset and field, tshark agrees with the vectors."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from firmware.telephony.isdn.errors import (
    BadCallReference, BadProtocolDiscriminator, IeOutOfOrder, InvalidIeContents, LapdDecodeError,
    MandatoryIeMissing, Q931DecodeError,
)
from firmware.telephony.isdn.ie import (
    PRES_RESTRICTED, BearerCapability, CalledNumber, CallingNumber, CallState, Cause, ChannelId,
    Display, KeypadFacility, ProgressIndicator, RawIE, RedirectingNumber, RestartIndicator,
)
from firmware.telephony.isdn.lapd import Kind, LapdFrame, Role, command_cr, is_command
from firmware.telephony.isdn.messages import MT, Message
from firmware.telephony.isdn.pcap import LapdPcapWriter

DATA = Path(__file__).resolve().parents[2] / "data"
Q931_VECTORS = sorted(p for p in (DATA / "q931").glob("*.bin") if not p.name.startswith("attack_"))
Q921_VECTORS = sorted(p for p in (DATA / "q921").glob("*.bin") if not p.name.startswith("attack_"))


@pytest.mark.parametrize("path", Q931_VECTORS, ids=lambda p: p.stem)
def test_q931_vector_round_trips(path):
    data = path.read_bytes()
    assert bytes(Message.parse(data)) == data


@pytest.mark.parametrize("path", Q921_VECTORS, ids=lambda p: p.stem)
def test_q921_vector_round_trips(path):
    data = path.read_bytes()
    assert bytes(LapdFrame.parse(data)) == data


def test_every_q931_vector_is_well_formed_for_tshark(tmp_path):
    """tshark, not our decoder, says the hand-made vectors are valid Q.931."""
    pcap = tmp_path / "vectors.pcap"
    with open(pcap, "wb") as f:
        w = LapdPcapWriter(f, we_network=False)
        for p in Q931_VECTORS:
            w.write(bytes.fromhex("00010000") + p.read_bytes(), outgoing=True)
    out = subprocess.run(["tshark", "-r", str(pcap), "-V"], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.count("\nQ.931\n") == len(Q931_VECTORS)
    assert "[Malformed" not in out and "Expert Info (Error" not in out


def test_libpri_setup_with_restricted_national_calling_number():
    msg = Message.parse((DATA / "q931/libpri_setup_calling_number_presentation_restricted.bin")
                        .read_bytes())
    assert (msg.mtype, msg.call_ref, msg.flag, msg.sending_complete) == (MT.SETUP, 1, False, True)
    calling = msg.get(CallingNumber)
    assert (calling.digits, calling.ton, calling.plan) == ("215551234", 2, 1)
    assert calling.presentation == PRES_RESTRICTED and calling.restricted
    assert msg.get(ChannelId).timeslot == 5 and msg.get(ChannelId).exclusive
    assert msg.get(BearerCapability) == BearerCapability()
    assert msg.get(CalledNumber).digits == "4001"


def test_libpri_redirecting_number_carries_reason_unconditional():
    msg = Message.parse((DATA / "q931/libpri_setup_international_calling_redirecting_number.bin")
                        .read_bytes())
    red = msg.get(RedirectingNumber)
    assert (red.digits, red.presentation, red.reason) == ("4099", 0, 0xF)
    assert msg.get(CallingNumber).ton == 1


def test_libpri_restart_and_clearing_vectors():
    restart = Message.parse((DATA / "q931/libpri_restart_channel_9.bin").read_bytes())
    assert restart.is_global and restart.get(RestartIndicator).restart_class == 0
    assert restart.get(ChannelId).channels == (9,)
    disc = Message.parse((DATA / "q931/libpri_disconnect_cause_17_user_busy.bin").read_bytes())
    assert (disc.get(Cause).value, disc.get(Cause).location) == (17, 1)
    cause = Message.parse((DATA / "q931/disconnect_cause_recommendation_and_diagnostics.bin")
                          .read_bytes()).get(Cause)
    assert (cause.value, cause.recommendation, cause.diagnostics) == (31, 0, b"\x01")


def test_unknown_elements_and_other_codesets_are_kept_raw():
    msg = Message.parse((DATA / "q931/setup_unknown_ies_and_codeset_6_kept_raw.bin").read_bytes())
    raw = msg.all(RawIE)
    assert [(r.ident, r.codeset) for r in raw] == [(0x7C, 0), (0x7D, 0), (0x01, 6)]
    assert raw[-1].data == b"\xab\xcd"


def test_dummy_call_reference_has_no_octets():
    msg = Message.parse((DATA / "q931/setup_acknowledge_dummy_call_reference.bin").read_bytes())
    assert msg.cr_len == 0 and not msg.is_global


ATTACKS = {
    "attack_setup_truncated_ie": (InvalidIeContents, "called party number", 29,
                                  "truncated called party number: no length octet"),
    "attack_setup_ie_length_overrun": (InvalidIeContents, "called party number", 16,
                                       "length 32 overruns the message"),
    "attack_bad_protocol_discriminator": (BadProtocolDiscriminator, "protocol discriminator", 0,
                                          "protocol discriminator 0x09 is not Q.931"),
    "attack_call_reference_length_3": (BadCallReference, "call reference length", 1,
                                       "call reference length 3"),
    "attack_setup_mandatory_bearer_capability_missing": (
        MandatoryIeMissing, "bearer capability", 15, "SETUP without its mandatory bearer capability"),
    "attack_setup_ie_out_of_order": (IeOutOfOrder, "calling party number", 20,
                                     "out of ascending order"),
    "attack_disconnect_cause_too_short": (InvalidIeContents, "cause: octet 4", 8,
                                          "cause: contents too short"),
    "attack_setup_channel_id_list_not_ended": (InvalidIeContents,
                                               "channel identification: octet 3.3", 14,
                                               "last channel number has no extension bit set"),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_hostile_q931_message_raises_typed_error(name):
    kind, field, offset, text = ATTACKS[name]
    with pytest.raises(kind, match=text) as info:
        Message.parse((DATA / f"q931/{name}.bin").read_bytes())
    assert isinstance(info.value, Q931DecodeError)
    assert (info.value.field, info.value.offset) == (field, offset)
    assert f"offset={offset}" in str(info.value) or kind is InvalidIeContents


def test_every_attack_vector_has_its_expectation():
    files = {p.stem for p in (DATA / "q931").glob("attack_*.bin")}
    assert files == set(ATTACKS)


def test_decode_error_carries_the_header_for_the_answer():
    with pytest.raises(MandatoryIeMissing) as info:
        Message.parse((DATA / "q931/attack_setup_mandatory_bearer_capability_missing.bin")
                      .read_bytes())
    assert (info.value.call_ref, info.value.call_ref_flag, info.value.mtype) == (3, False, 5)
    assert info.value.cause == 96


LAPD_ATTACKS = {
    "attack_address_extension_bit_wrong": ("address EA", 0, "address extension bits wrong"),
    "attack_i_frame_truncated_control": ("control", 3, "I frame truncated in control"),
    "attack_unknown_unnumbered_function": ("control", 2, "unknown unnumbered function 0x2f"),
    "attack_rr_with_information_field": ("information", 4, "RR frame with an information field"),
    "attack_two_octet_frame": ("control", 2, "shorter than address"),
}


@pytest.mark.parametrize("name", sorted(LAPD_ATTACKS))
def test_hostile_lapd_frame_raises_typed_error(name):
    field, offset, text = LAPD_ATTACKS[name]
    with pytest.raises(LapdDecodeError, match=text) as info:
        LapdFrame.parse((DATA / f"q921/{name}.bin").read_bytes())
    assert (info.value.field, info.value.offset) == (field, offset)


def test_lapd_fields_and_command_response_bit():
    f = LapdFrame.parse((DATA / "q921/i_frame_ns_12_nr_4_poll.bin").read_bytes())
    assert (f.kind, f.ns, f.nr, f.pf, f.sapi, f.tei) == (Kind.I, 12, 4, True, 0, 0)
    assert is_command(Role.USER, f.cr)
    rej = LapdFrame.parse((DATA / "q921/rej_response_final_nr_9.bin").read_bytes())
    assert (rej.kind, rej.nr, rej.pf) == (Kind.REJ, 9, True) and not is_command(Role.USER, rej.cr)
    assert command_cr(Role.NETWORK, True) == 1 and command_cr(Role.USER, True) == 0
    ui = LapdFrame.parse((DATA / "q921/ui_frame_sapi_0_broadcast_tei.bin").read_bytes())
    assert ui.tei == 127 and ui.kind is Kind.UI


# --------------------------------------------------------------------- properties
digits = st.text(alphabet="0123456789*#", max_size=20)
numbers = st.builds(CallingNumber, digits, st.integers(0, 7), st.integers(0, 15),
                    st.none() | st.integers(0, 3), st.integers(0, 3)).filter(
    lambda n: n.presentation is not None or n.screening == 0)   # octet 3a absent: no screening
redirecting = st.builds(RedirectingNumber, digits, st.integers(0, 7), st.integers(0, 15),
                        st.none() | st.integers(0, 3), st.integers(0, 3),
                        st.none() | st.integers(0, 15)).filter(
    lambda r: r.presentation is not None or (r.reason is None and r.screening == 0))
channels = st.builds(ChannelId, st.lists(st.sampled_from(list(range(1, 16)) + list(range(17, 32))),
                                         min_size=1, max_size=3).map(tuple), st.booleans())
causes = st.builds(Cause, st.integers(0, 127), st.integers(0, 15), st.integers(0, 3),
                   st.none() | st.integers(0, 127), st.binary(max_size=4))
bearers = st.builds(BearerCapability, st.sampled_from([0, 8, 0x10]), st.just(0), st.just(0),
                    st.just(0x10), st.just(None), st.none() | st.sampled_from([2, 3]))
elements = st.one_of(numbers, redirecting, channels, causes, bearers,
                     st.builds(CalledNumber, digits, st.integers(0, 7), st.integers(0, 15)),
                     st.builds(ProgressIndicator, st.integers(0, 127), st.integers(0, 15)),
                     st.builds(CallState, st.integers(0, 63)),
                     st.builds(Display, st.text(alphabet="abcXYZ 019", max_size=30)),
                     st.builds(KeypadFacility, digits))


@settings(max_examples=300, deadline=None)
@given(st.lists(elements, max_size=6), st.integers(0, 0x7FFF), st.booleans())
def test_any_message_we_build_parses_back_to_itself(ies, call_ref, flag):
    msg = Message.build(MT.INFORMATION, call_ref, flag, *ies)
    assert Message.parse(bytes(msg)) == msg


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=64))
def test_random_octets_raise_only_decode_errors(data):
    for decoder in (lambda: Message.parse(b"\x08\x02" + data),
                    lambda: Message.parse(data), lambda: LapdFrame.parse(data)):
        try:
            decoded = decoder()
        except (Q931DecodeError, LapdDecodeError):
            continue
        assert bytes(decoded) in (b"\x08\x02" + data, data)
