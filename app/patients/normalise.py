"""The one normal form of each identity and contact value, so files and forms compare
equal when a person would say they are the same."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from email.errors import HeaderParseError
from email.headerregistry import Address

import phonenumbers

# Phone keyboards type typographic apostrophes and dashes; a person reads them as the plain ones.
_PUNCTUATION = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "‐": "-", "‑": "-", "–": "-", "—": "-"})
# Letters that carry no combining accent in Unicode but that people spell either way.
_LIGATURES = {"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
# Types that can never receive a text message.
_NOT_TEXTABLE = {
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.PREMIUM_RATE,
    phonenumbers.PhoneNumberType.SHARED_COST,
    phonenumbers.PhoneNumberType.UAN,
    phonenumbers.PhoneNumberType.VOICEMAIL,
    phonenumbers.PhoneNumberType.PAGER,
}


def clean_name(name: str) -> str:
    """A name as it is kept and shown: no surrounding spaces, single inner spaces."""
    return " ".join(name.split()).translate(_PUNCTUATION)


def fold_name(name: str) -> str:
    """A name as it is compared: no case, accents or surrounding spaces."""
    folded = clean_name(name).casefold()
    decomposed = unicodedata.normalize("NFKD", folded)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(_LIGATURES.get(c, c) for c in plain)


def phone_e164(raw: str, *, region: str) -> str | None:
    """A valid phone number in E.164, read with the clinic's country as default region;
    None when it is not a valid number."""
    try:
        number = phonenumbers.parse(raw, region.upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def can_receive_texts(e164: str) -> bool:
    return phonenumbers.number_type(phonenumbers.parse(e164)) not in _NOT_TEXTABLE


def example_cell(region: str) -> str:
    """A cell phone number as people write it in the clinic's country, for help texts."""
    number = phonenumbers.example_number_for_type(
        region.upper(), phonenumbers.PhoneNumberType.MOBILE
    )
    if number is None:
        return "+1 514 555 0123"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def email(raw: str) -> str | None:
    """One plausible address, lower-cased (clinics compare addresses case-insensitively).
    Exactly one: "a@example.org,b@evil.example" would be two SMTP recipients, so the
    value must read back unchanged as a single address (the standard library's parser,
    which also raises IndexError or AttributeError on some malformed input)."""
    value = raw.strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        return None
    try:
        address = Address(addr_spec=value)
    except (ValueError, IndexError, AttributeError, HeaderParseError):
        return None
    return value if address.addr_spec == value else None


def hin(raw: str) -> str:
    """Upper case, without the spaces, dots and dashes people type between groups."""
    return re.sub(r"[\s.\-]", "", raw).upper()


def digest(*parts: str) -> str:
    """A one-way key, so tables that only count things keep no names or addresses."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
