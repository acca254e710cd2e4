"""Number and date reading rules per language, checked as text (espeak-ng voicing them
is tested in tests/flows/test_say.py)."""
from __future__ import annotations

from datetime import date

import pytest

from firmware import speech
from firmware.speech import SpeechError, cardinal, digits, ordinal_position, say_date, say_wait

ZH = [(0, "零"), (2, "二"), (10, "十"), (11, "十一"), (20, "二十"), (101, "一百零一"),
      (110, "一百一十"), (200, "两百"), (1001, "一千零一"), (1010, "一千零一十"),
      (1024, "一千零二十四"), (2000, "两千"), (10000, "一万"), (10001, "一万零一"),
      (12345, "一万二千三百四十五"), (20000, "两万"), (100000, "十万"), (100500, "十万零五百"),
      (1000010, "一百万零一十"), (100000000, "一亿"), (200000000, "两亿"),
      (123456789, "一亿二千三百四十五万六千七百八十九")]
EN = [(0, "zero"), (13, "thirteen"), (21, "twenty-one"), (100, "one hundred"),
      (1024, "one thousand twenty-four"), (90010, "ninety thousand ten"),
      (2_000_005, "two million five")]


@pytest.mark.parametrize("n, words", ZH)
def test_chinese_cardinals(n: int, words: str) -> None:
    assert cardinal(n, "zh") == words


@pytest.mark.parametrize("n, words", EN)
def test_english_cardinals(n: int, words: str) -> None:
    assert cardinal(n, "en") == words


def test_measure_words_identifiers_dates_waits_and_places() -> None:
    assert cardinal(2, "zh", measure=True) == "两" and cardinal(2, "zh") == "二"
    assert digits("1024", "zh") == "一零二四" and digits("+86", "en") == "plus eight six"
    assert say_date(date(2026, 11, 27), "zh") == "二零二六年十一月二十七日"
    assert say_date(date(2026, 11, 22), "en") == "November twenty-second, twenty twenty-six"
    assert say_date(date(2005, 3, 1), "en") == "March first, two thousand five"
    assert say_date(date(1999, 12, 3), "en") == "December third, nineteen ninety-nine"
    assert say_date(date(2107, 1, 30), "en") == "January thirtieth, twenty-one oh seven"
    assert say_wait(59, "en") == "less than a minute" and say_wait(89, "en") == "about one minute"
    assert say_wait(150, "zh") == "大约三分钟" and say_wait(100, "zh") == "大约两分钟"
    assert ordinal_position(2, "zh") == "第二" and ordinal_position(2, "en") == "two"


def test_what_cannot_be_read_is_refused_by_name() -> None:
    with pytest.raises(SpeechError) as err:
        cardinal(-1, "en")
    assert err.value.value == -1
    with pytest.raises(SpeechError) as err:
        digits("12a", "zh")
    with pytest.raises(SpeechError) as err:
        speech.phrase("goodbye", "fr")
    assert err.value.lang == "fr"


def test_every_phrase_exists_in_every_language() -> None:
    for name, texts in speech.PHRASES.items():
        assert set(texts) == set(speech.LANGUAGES), name
