"""Dial strings: the alphabet every door checks (edge, route table, Trunks.dial)."""
from __future__ import annotations

import pytest

from firmware.errors import DialStringError, RouteError
from firmware.telephony.dialstring import dial_string, number


def test_numbers_are_digits_with_an_optional_leading_plus() -> None:
    assert number("+4930123") == "+4930123" and number("0") == "0"
    for bad, position in (("4930&1", 4), ("+", None), ("++49", 1), ("49 30", 2),
                          ("١٢٣", 0), ("0" * 33, None)):
        with pytest.raises(DialStringError) as err:
            number(bad)
        assert err.value.position == position, bad
        assert isinstance(err.value, RouteError)
    with pytest.raises(DialStringError, match="must be text"):
        number(4930)


def test_a_seats_dial_string_may_hold_codes_and_names_but_no_separators() -> None:
    for ok in ("*21", "#", "support", "a.b_c-d", "+49301"):
        assert dial_string(ok) == ok
    with pytest.raises(DialStringError) as err:
        dial_string("201?Subject=x", field="did")
    assert (err.value.field, err.value.position) == ("did", 3)
    assert "did must be 1-32" in str(err.value)
