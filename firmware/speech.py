"""What the box says, per language: number and date reading rules and the fixed phrases.

espeak-ng only voices the words; what the words are is decided here, so the box reads
numbers the way a caller of that language expects and a test can check it without
audio. English: cardinals ("one thousand twenty-four"), years in pairs ("twenty
twenty-six"), ordinal days ("November twenty-seventh"), identifiers digit by digit
("one zero two four"). Chinese (Mandarin, espeak-ng voice ``cmn``): cardinals by
groups of four with 万 and 亿, one 零 for any run of zeros inside (一千零二十四,
十万零五百), a leading 十 without 一 (十一, 十万), 两 for a leading 2 before 百, 千, 万 or
亿 and before a measure word (两百, 两千, 两分钟); years and identifiers digit by digit
(二零二六年, 一零二四); dates as 二零二六年十一月二十七日.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from firmware.errors import CallboxError

LANGUAGES = ("en", "zh")
VOICES = {"en": "en-us", "zh": "cmn"}

_EN_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
            "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
            "seventeen", "eighteen", "nineteen")
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
            "ninety")
_EN_ORD = {"one": "first", "two": "second", "three": "third", "five": "fifth",
           "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}
_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
_ZH_DIGITS = "零一二三四五六七八九"
_ZH_UNITS = ("", "十", "百", "千")
_ZH_GROUPS = ("", "万", "亿", "万亿")


class SpeechError(CallboxError):
    """A value cannot be read aloud (negative, too large, unknown language)."""


def _lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise SpeechError("no reading rules for this language", lang=lang,
                          expected=" | ".join(LANGUAGES))
    return lang


# -- English --------------------------------------------------------------------------
def _en(n: int) -> str:
    if n < 20:
        return _EN_ONES[n]
    if n < 100:
        return _EN_TENS[n // 10] + (f"-{_EN_ONES[n % 10]}" if n % 10 else "")
    if n < 1000:
        rest = n % 100
        return f"{_EN_ONES[n // 100]} hundred" + (f" {_en(rest)}" if rest else "")
    for size, word in ((10**9, "billion"), (10**6, "million"), (1000, "thousand")):
        if n >= size:
            rest = n % size
            return f"{_en(n // size)} {word}" + (f" {_en(rest)}" if rest else "")
    raise AssertionError(n)


def _en_ordinal(n: int) -> str:
    words = _en(n)
    head, sep, last = words.rpartition("-") if "-" in words else ("", "", words)
    if last in _EN_ORD:
        last = _EN_ORD[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return head + sep + last


def _en_year(y: int) -> str:
    if 2000 <= y <= 2009:
        return _en(y)
    hi, lo = divmod(y, 100)
    if lo == 0:
        return f"{_en(hi)} hundred"
    return f"{_en(hi)} {'oh ' + _en(lo) if lo < 10 else _en(lo)}"


# -- Chinese --------------------------------------------------------------------------
def _zh_group(g: int, leading: bool) -> str:
    """1..9999 within its group; ``leading``: the first digits of the whole number."""
    out = ""
    zero = False
    for pos in (3, 2, 1, 0):
        d = g // 10**pos % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        if pos == 1 and d == 1 and leading and not out:
            out += "十"                          # 十一, 十万: no 一 before a leading 十
            continue
        if d == 2 and leading and not out and pos >= 2:
            out += "两"
        else:
            out += _ZH_DIGITS[d]
        out += _ZH_UNITS[pos]
    return out


def _zh(n: int, measure: bool = False) -> str:
    if n == 0:
        return "零"
    if n == 2 and measure:
        return "两"
    groups = []
    while n:
        n, g = divmod(n, 10000)
        groups.append(g)
    if len(groups) > len(_ZH_GROUPS):
        raise SpeechError("number too large to read", value=n)
    out = ""
    pending_zero = False
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            pending_zero = bool(out)
            continue
        if out and (pending_zero or g < 1000):
            out += "零"
        text = _zh_group(g, leading=not out)
        if not out and g == 2 and i > 0:
            text = "两"                          # 两万, 两亿
        out += text + _ZH_GROUPS[i]
        pending_zero = False
    return out


# -- public rules ------------------------------------------------------------------
def cardinal(n: int, lang: str, measure: bool = False) -> str:
    """``n`` as a counted number; ``measure``: followed by a measure word (两分钟)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0 or n >= 10**12:
        raise SpeechError("only whole numbers 0 to 10^12 are read", value=n)
    return _en(n) if _lang(lang) == "en" else _zh(n, measure)


def digits(text: str, lang: str) -> str:
    """An identifier (agent, ticket, phone number) digit by digit."""
    _lang(lang)
    if not text or not all(c.isdigit() or c in "+*#" for c in text):
        raise SpeechError("only digits are read one by one", value=text)
    if lang == "en":
        names = {"+": "plus", "*": "star", "#": "hash"}
        return " ".join(names.get(c) or _EN_ONES[int(c)] for c in text)
    names = {"+": "加", "*": "星", "#": "井"}
    return "".join(names.get(c) or _ZH_DIGITS[int(c)] for c in text)


def say_date(d: date, lang: str) -> str:
    if _lang(lang) == "en":
        return f"{_EN_MONTHS[d.month - 1]} {_en_ordinal(d.day)}, {_en_year(d.year)}"
    return f"{digits(str(d.year), 'zh')}年{_zh(d.month)}月{_zh(d.day)}日"


def say_wait(seconds: float, lang: str) -> str:
    """An expected wait, in whole minutes (under a minute said as such)."""
    minutes = int(seconds / 60 + 0.5)
    if _lang(lang) == "en":
        if seconds < 60:
            return "less than a minute"
        return "about one minute" if minutes == 1 else f"about {_en(minutes)} minutes"
    if seconds < 60:
        return "不到一分钟"
    return f"大约{_zh(minutes, measure=True)}分钟"


def ordinal_position(n: int, lang: str) -> str:
    """A place in line: "three" / 第三."""
    return cardinal(n, "en") if _lang(lang) == "en" else f"第{_zh(n)}"


# -- phrases -----------------------------------------------------------------------
PHRASES: dict[str, dict[str, str]] = {
    "position": {"en": "You are number {position} in line.", "zh": "您现在排在{position}位。"},
    "wait": {"en": "Your estimated wait time is {wait}.", "zh": "预计等待时间{wait}。"},
    "callback_offer": {"en": "To be called back without losing your place in line,"
                             " press {key}.",
                       "zh": "如需保留排队位置并由我们回电，请按{key}。"},
    "callback_confirm": {"en": "Thank you. We will call you back at {number}. Goodbye.",
                         "zh": "谢谢。我们将回电至{number}。再见。"},
    "callback_no_number": {"en": "Sorry, we cannot call back this number.",
                           "zh": "对不起，无法回电至此号码。"},
    "callback_unavailable": {"en": "Sorry, we cannot call you back now. Please stay in line.",
                             "zh": "对不起，现在无法回电，请继续等待。"},
    "callback_intro": {"en": "This is your call back. Connecting you to an agent.",
                       "zh": "这是您预约的回电，正在为您转接客服。"},
    "agent": {"en": "Agent {agent} will serve you.", "zh": "{agent}号客服为您服务。"},
    "whisper": {"en": "Call from queue {queue}.", "zh": "来自{queue}队列的来电。"},
    "whisper_vip": {"en": "Call from queue {queue}. VIP caller.",
                    "zh": "来自{queue}队列的来电。贵宾客户。"},
    "whisper_callback": {"en": "Call back for queue {queue}. Dialling the customer.",
                         "zh": "{queue}队列的回电，正在呼叫客户。"},
    "closed": {"en": "We are closed now. Please call again during our business hours.",
               "zh": "现在是非工作时间，请在工作时间再来电。"},
    "holiday": {"en": "We are closed for the holiday. Please call again later.",
                "zh": "节假日休息，请稍后再来电。"},
    "no_agent": {"en": "Sorry, no agent can take your call now. Please call again later.",
                 "zh": "对不起，现在没有客服可以接听，请稍后再来电。"},
    "blocked": {"en": "Sorry, this call cannot be connected.", "zh": "对不起，您的呼叫无法接通。"},
    "voicemail": {"en": "Please leave a message after the tone. Press hash when you are done.",
                  "zh": "请在提示音后留言，完成后请按井号键。"},
    "voicemail_saved": {"en": "Your message has been saved. Goodbye.",
                        "zh": "您的留言已保存。再见。"},
    "invalid": {"en": "Sorry, that is not a valid choice.", "zh": "对不起，您的输入无效。"},
    "no_input": {"en": "We did not receive your choice.", "zh": "我们没有收到您的选择。"},
    "goodbye": {"en": "Goodbye.", "zh": "再见。"},
    "survey_intro": {"en": "Please rate the service you received.",
                     "zh": "请对本次服务进行评价。"},
    "survey_thanks": {"en": "Thank you for your feedback. Goodbye.",
                      "zh": "感谢您的评价，再见。"},
    "ticket_status": {"en": "Ticket {ticket} is {state}.{due}",
                      "zh": "工单{ticket}的状态是{state}。{due}"},
    "ticket_due": {"en": " It is due on {date}.", "zh": "截止日期是{date}。"},
    "customer_status": {"en": "Customer {customer}: you have {count} open tickets.{first}",
                        "zh": "客户{customer}，您有{count}个未完成的工单。{first}"},
    "not_found": {"en": "Sorry, we could not find that number.",
                  "zh": "对不起，没有找到该号码。"},
    "forward_failed": {"en": "Sorry, we could not connect your call. Goodbye.",
                       "zh": "对不起，无法为您接通。再见。"},
    "no_answer": {"en": "Sorry, nobody answered. Goodbye.", "zh": "对不起，无人接听。再见。"},
}
TICKET_STATES = {
    "new": {"en": "new", "zh": "新建"}, "assigned": {"en": "assigned", "zh": "已分配"},
    "in_progress": {"en": "in progress", "zh": "处理中"},
    "waiting_customer": {"en": "waiting for your reply", "zh": "等待您的回复"},
    "resolved": {"en": "resolved", "zh": "已解决"}, "closed": {"en": "closed", "zh": "已关闭"},
}


def phrase(key: str, lang: str, /, **values: Any) -> str:
    """The text of a fixed phrase with its values already read out by the rules above."""
    try:
        template = PHRASES[key][_lang(lang)]
    except KeyError:
        raise SpeechError("no such phrase", phrase=key, lang=lang) from None
    return template.format(**values)


def ticket_state(state: str, lang: str) -> str:
    return TICKET_STATES.get(state, {}).get(_lang(lang), state.replace("_", " "))
