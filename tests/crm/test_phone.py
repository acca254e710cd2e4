"""The E.164 normaliser, the masking rule and the spellings a CDR may hold."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from firmware.crm.phone import PhoneSettings, mask, normalise, spellings
from firmware.store.db import ValidationError

CN = PhoneSettings("86", "0", "00")
US = PhoneSettings("1", "1", "011")


@pytest.mark.parametrize("raw, settings, want", [
    ("13812345678", CN, "+8613812345678"),          # mobile, no trunk prefix
    ("010-6234 5678", CN, "+861062345678"),          # landline with trunk prefix 0
    ("(010) 62345678", CN, "+861062345678"),
    ("0086 138 1234 5678", CN, "+8613812345678"),    # international prefix
    ("+44 20 7946 0958", CN, "+442079460958"),
    ("212-555-0100", US, "+12125550100"),
    ("1 212 555 0100", US, "+12125550100"),          # NANP trunk prefix 1
    ("011 44 20 7946 0958", US, "+442079460958"),
])
def test_normalise(raw: str, settings: PhoneSettings, want: str) -> None:
    assert normalise(raw, settings) == want


@pytest.mark.parametrize("raw, expected", [
    ("138-abc", "a phone number"),
    ("123", "7-15 digits"),
    ("+1234567890123456", "7-15 digits"),
    ("12+34", "a phone number"),
])
def test_bad_numbers_name_the_field(raw: str, expected: str) -> None:
    with pytest.raises(ValidationError) as err:
        normalise(raw, CN, "customer.phones[0]")
    assert err.value.field == "customer.phones[0]" and expected in str(err.value)


def test_a_national_number_needs_the_country_code() -> None:
    with pytest.raises(ValidationError, match="phone.country_code"):
        normalise("13812345678", PhoneSettings())
    assert normalise("+8613812345678", PhoneSettings()) == "+8613812345678"


@pytest.mark.parametrize("raw, want", [
    ("13812345678", "138****5678"), ("+8613812345678", "+86138****5678"),
    ("010-6234-5678", "010-****-5678"), ("5551234", "*****34"), ("201", "***"), ("", ""),
    ("anonymous", "anonymous"),
])
def test_mask(raw: str, want: str) -> None:
    assert mask(raw) == want


@given(st.from_regex(r"\A\+?[0-9]{4,15}\Z"))
def test_mask_keeps_the_length_and_hides_what_the_rule_says(s: str) -> None:
    m = mask(s)
    n = sum(c.isdigit() for c in s)
    assert len(m) == len(s)
    assert m.count("*") == (4 if n >= 8 else n - 2 if n >= 5 else n)
    if n >= 8:
        assert m[-4:] == s[-4:] and "*" not in m[-4:]


def test_every_spelling_normalises_back_to_the_number() -> None:
    e164 = "+8613812345678"
    got = spellings(e164, CN)
    assert set(got) == {"+8613812345678", "8613812345678", "008613812345678", "13812345678",
                        "013812345678"}
    assert {normalise(s if s != "8613812345678" else "+" + s, CN) for s in got} == {e164}
