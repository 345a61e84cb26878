"""An email typed on the portal is exactly one address: a list would be several SMTP
recipients, and a stranger would receive the patient's confirmation."""

import pytest

from app.patients.normalise import email


@pytest.mark.parametrize(
    "raw",
    [
        "victim@example.org,b@evil.example",
        "victim,b@evil.example",  # one "@": the old pattern let it through, SMTP reads two recipients  # noqa: E501 - the text as read
        "victim;b@evil.example",
        "victim<b@evil.example>",  # stored as typed, delivered to b@evil.example
        "victim@example.org;b@evil.example",
        "victim@example.org b@evil.example",
        "Victim <victim@example.org>",
        "victim(comment)@example.org",
        "victim@example.org\nBcc: b@evil.example",
        "_@[).é>b;<",  # the standard library's parser raises AttributeError on this one
        "a@",
        "@example.org",
    ],
)
def test_anything_but_one_address_is_refused(raw):
    assert email(raw) is None


@pytest.mark.parametrize(
    "raw, normal",
    [
        (" Marie.Tremblay@Example.org ", "marie.tremblay@example.org"),
        ("jean+rdv@exemple.fr", "jean+rdv@exemple.fr"),
        ("a@exemple-é.fr", "a@exemple-é.fr"),
    ],
)
def test_one_address_is_kept_lower_cased(raw, normal):
    assert email(raw) == normal
