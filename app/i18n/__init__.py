"""French and English: the locale of the current request, and gettext bound to it.

The locale lives in a context variable set once per request by the tenant
middleware, so templates, services and e-mails all read the same one."""

from __future__ import annotations

from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

LOCALES = ("fr", "en")
LOCALE_DIR = Path(__file__).parent / "locales"
COOKIE = "lang"

_current: ContextVar[str] = ContextVar("locale", default="fr")


@lru_cache(maxsize=None)
def translations(locale: str) -> NullTranslations:
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def current() -> str:
    return _current.get()


def activate(locale: str) -> None:
    _current.set(locale if locale in LOCALES else LOCALES[0])


def gettext(message: str, **variables: object) -> str:
    text = translations(current()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations(current()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


_ = gettext


def N_(message: str) -> str:
    """Marks a string for the catalogs; it is translated where it is shown."""
    return message


def parse_accept_language(header: str) -> list[str]:
    """Primary language tags by preference (q-values honoured, q=0 dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, index, tag.split("-")[0].lower()))
    return [tag for _q, _i, tag in sorted(ranked)]


def negotiate(
    *, query: str | None, cookie: str | None, accept_language: str | None, default: str
) -> str:
    """The URL's ?lang= (or the switch's cookie), then the browser, then the clinic."""
    for choice in (query, cookie):
        if choice in LOCALES:
            return choice
    for tag in parse_accept_language(accept_language or ""):
        if tag in LOCALES:
            return tag
    return default if default in LOCALES else LOCALES[0]


def localized(item: object, field: str, locale: str) -> str:
    """item.name_fr or item.name_en (any object with both attributes), falling back to
    the other language when empty."""
    other = "en" if locale == "fr" else "fr"
    return getattr(item, f"{field}_{locale}", "") or getattr(item, f"{field}_{other}", "") or ""
