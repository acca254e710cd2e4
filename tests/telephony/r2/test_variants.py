"""Variants are tables: line codes, tone meanings per group, timers."""
import pytest

from acd_core.errors import ConfigError
from firmware.telephony.r2 import VARIANTS, R2ConfigError, variant
from firmware.telephony.r2.variants import GROUP_A_MEANINGS, tone_of

# ABCD per line signal as libopenr2 sends them (docs/r2.md#line-signalling).
LINE = {"idle": ("1001", "1011"), "seize": ("0001", "0011"), "seize_ack": ("1101", "1111"),
        "answer": ("0101", "0111"), "clear_back": ("1101", "1111"),
        "clear_forward": ("1001", "1011"), "blocked": ("1101", "1111")}


@pytest.mark.parametrize("signal", LINE)
def test_line_codes_itu_and_cn(signal):
    itu, cn = LINE[signal]
    assert f"{variant('ITU').abcd(signal):04b}" == itu
    assert f"{variant('CN').abcd(signal):04b}" == cn


def test_cn_tables():
    cn = variant("CN")
    assert cn.a_meanings(1) == ("next_dnis", "next_ani")
    assert cn.a_meanings(6) == ("category",) and cn.a_meanings(3) == ("change_to_b",)
    assert (cn.group_b["free_charge"], cn.group_b["busy"], cn.group_b["unallocated"]) == (1, 2, 5)
    assert "end_of_dnis" not in cn.group_i and cn.group_i["end_of_ani"] == 15


def test_itu_tables():
    itu = variant("ITU")
    assert itu.a_meanings(5) == ("category", "next_ani")
    assert itu.group_b == {"special_info": 2, "busy": 3, "congestion": 4, "unallocated": 5,
                           "free_charge": 6, "free_no_charge": 7, "out_of_order": 8}
    assert itu.group_i["end_of_dnis"] == 15


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_variant_can_run_both_registers(name):
    v = variant(name)
    for meaning in ("next_dnis", "next_ani", "category", "change_to_b"):
        assert 1 <= v.group_a[meaning] <= 15
    assert set(v.group_a) <= set(GROUP_A_MEANINGS)
    assert v.category_name(v.category_tone("national_subscriber")) == "national_subscriber"
    assert len(v.timers) == 9 and all(spec.text and spec.unit == "s" for spec in v.timers)


def test_describe_names_the_group_and_meaning():
    itu = variant("ITU")
    assert itu.describe_tone("A", 5) == "A-5 category/next_ani"
    assert itu.describe_tone("I", 10) == "I-10 digit 0"
    assert itu.describe_tone("I", 15) == "I-15 end_of_dnis/end_of_ani"
    assert itu.describe_tone("B", 6) == "B-6 free_charge"
    assert itu.describe_tone("II", 1) == "II-1 national_subscriber"


def test_unknown_names_raise_naming_what_exists():
    with pytest.raises(R2ConfigError, match="unknown R2 variant 'XX'") as info:
        variant("XX")
    assert "CN" in info.value.expected and "ITU" in info.value.expected
    with pytest.raises(R2ConfigError, match="no calling party category 'vip'"):
        variant("CN").category_tone("vip")
    assert variant("CN").category_tone("II-11") == 11
    with pytest.raises(R2ConfigError, match="no group B signal 'special_info'") as info:
        variant("CN").group_b_tone("special_info", accept=True)
    assert info.value.expected == "free_charge, free_no_charge"


def test_timer_overrides_are_validated():
    timers = variant("CN").timers.with_overrides({"seize_ack": 4})
    assert timers["seize_ack"] == 4.0
    with pytest.raises(ConfigError, match="mf_backward"):
        variant("CN").timers.with_overrides({"mf_backward": 0.1})


def test_digits():
    assert [tone_of(d) for d in "1234567890"] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    with pytest.raises(ValueError):
        tone_of("*")
