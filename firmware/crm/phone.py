"""Phone numbers: one small normaliser to E.164 and the masking rule.

Why not ``phonenumbers``: the CRM needs one spelling per number so that a
caller's number finds its customer; it does not need per-country validity
rules, carrier or region metadata (a 40 MB package, updated monthly). The
rules below are what a box needs, driven by three settings an admin sets once
(``crm_settings``):

- ``country_code`` (e.g. ``86``), ``trunk_prefix`` (``0`` in most of the
  world, ``1`` in North America), ``international_prefix`` (``00``; ``011``
  in North America).

Normalising ``raw``:

1. Drop spaces, ``-``, ``.``, ``/``, ``(`` and ``)``; a leading ``+`` is kept;
   any other character is an error.
2. ``+digits`` is already international.
3. Starts with the international prefix: the rest is international.
4. Starts with the trunk prefix: national; the country code replaces it.
5. Otherwise a national number dialled without trunk prefix (Chinese
   mobiles, ``13812345678``): the country code goes in front.
6. The result must have 7-15 digits (E.164's maximum is 15).

Steps 4-5 need ``country_code``; without it a national number is refused
with a message saying which setting is missing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from firmware.store.db import ValidationError

_SEPARATORS = re.compile(r"[\s\-./()]")
_DIGITS = re.compile(r"^\+?[0-9]+$")


@dataclass(frozen=True)
class PhoneSettings:
    country_code: str = ""
    trunk_prefix: str = "0"
    international_prefix: str = "00"

    def checked(self) -> "PhoneSettings":
        if self.country_code and not re.fullmatch(r"[1-9][0-9]{0,2}", self.country_code):
            raise ValidationError("phone.country_code", "1-3 digits not starting with 0",
                                  self.country_code)
        if not re.fullmatch(r"[0-9]{0,2}", self.trunk_prefix):
            raise ValidationError("phone.trunk_prefix", "0-2 digits", self.trunk_prefix)
        if not re.fullmatch(r"[0-9]{2,4}", self.international_prefix):
            raise ValidationError("phone.international_prefix", "2-4 digits",
                                  self.international_prefix)
        return self


def normalise(raw: object, settings: PhoneSettings, field: str = "phone") -> str:
    """``raw`` as E.164 (``+8613812345678``) or ``ValidationError`` naming ``field``."""
    if not isinstance(raw, str):
        raise ValidationError(field, "a phone number as text", raw)
    s = _SEPARATORS.sub("", raw)
    if not s or not _DIGITS.match(s) or "+" in s[1:]:
        raise ValidationError(field, "a phone number: digits, an optional leading '+', "
                              "spaces or - . / ( )", raw)
    if s.startswith("+"):
        digits = s[1:]
    elif settings.international_prefix and s.startswith(settings.international_prefix):
        digits = s[len(settings.international_prefix):]
    else:
        if not settings.country_code:
            raise ValidationError(field, "an international number (+...): the box's country "
                                  "code is not set (CRM settings: phone.country_code)", raw)
        if settings.trunk_prefix and s.startswith(settings.trunk_prefix):
            s = s[len(settings.trunk_prefix):]
        digits = settings.country_code + s
    if not 7 <= len(digits) <= 15 or digits.startswith("0"):
        raise ValidationError(field, "a number of 7-15 digits with its country code", raw)
    return "+" + digits


def try_normalise(raw: str, settings: PhoneSettings) -> str | None:
    try:
        return normalise(raw, settings)
    except ValidationError:
        return None


def spellings(e164: str, settings: PhoneSettings) -> list[str]:
    """The ways a CDR may have stored this number (as the trunk presented it).

    CDRs keep the caller's number as signalled; matching them to a customer
    looks these spellings up in the ``cdr_caller`` index instead of
    normalising a million rows.
    """
    digits = e164.lstrip("+")
    out = [e164, digits, settings.international_prefix + digits]
    cc = settings.country_code
    if cc and digits.startswith(cc):
        national = digits[len(cc):]
        out += [national, settings.trunk_prefix + national]
    return list(dict.fromkeys(x for x in out if x))


def mask(value: str) -> str:
    """``13812345678`` -> ``138****5678``; only digits are replaced, separators kept.

    8+ digits: the four digits before the last four are hidden. 5-7 digits:
    all but the last two. Up to 4 digits: all of them.
    """
    if not isinstance(value, str) or not value:
        return value
    positions = [i for i, c in enumerate(value) if c.isdigit()]
    n = len(positions)
    if n == 0:
        return value
    if n >= 8:
        hide = positions[n - 8:n - 4]
    elif n >= 5:
        hide = positions[:n - 2]
    else:
        hide = positions
    chars = list(value)
    for i in hide:
        chars[i] = "*"
    return "".join(chars)
