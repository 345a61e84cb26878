import pytest

from app import i18n


def test_accept_language_honours_q_values():
    assert i18n.parse_accept_language("en;q=0.3, fr-CA;q=0.9, de") == ["de", "fr", "en"]
    assert i18n.parse_accept_language("fr;q=0, en") == ["en"]
    assert i18n.parse_accept_language("garbage;q=abc") == []


@pytest.mark.parametrize(
    "query, cookie, accept, default, expected",
    [
        ("en", "fr", "fr", "fr", "en"),  # the URL wins
        (None, "en", "fr", "fr", "en"),  # then the switch's cookie
        ("xx", None, "en-US,en;q=0.9", "fr", "en"),  # unknown ?lang= is ignored
        (None, None, "de, en;q=0.5", "fr", "en"),  # then the browser
        (None, None, "de", "fr", "fr"),  # then the clinic's default
        (None, None, None, "en", "en"),
        (None, None, None, "zz", "fr"),
    ],
)
def test_negotiate(query, cookie, accept, default, expected):
    assert (
        i18n.negotiate(query=query, cookie=cookie, accept_language=accept, default=default)
        == expected
    )


def test_gettext_follows_the_active_locale():
    i18n.activate("fr")
    assert i18n.gettext("Book an appointment") == "Prendre rendez-vous"
    i18n.activate("en")
    assert i18n.gettext("Book an appointment") == "Book an appointment"
