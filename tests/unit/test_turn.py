"""The ICE servers a call's browser is given (app.video.turn) and their settings; coturn
itself is in tests/integration/test_turn_credentials.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from app.settings import SettingsError, load
from app.video.turn import IceServer, ice_servers, turn_credential

NOW = datetime(2027, 1, 11, 15, 0, tzinfo=UTC)
GOOD = {"SECRET_KEY": "x" * 32}
URLS = ("stun:stun.example.org:3478", "turn:turn.example.org:3478", "turns:turn.example.org:443")


def test_the_credential_is_the_turn_rest_api_scheme():
    username, password = turn_credential("s3cret", label="abc", expires_at=NOW)
    assert username == f"{int(NOW.timestamp())}:abc"
    expected = hmac.new(b"s3cret", username.encode(), hashlib.sha1).digest()
    assert base64.b64decode(password) == expected


def test_turn_is_given_fresh_credentials_for_the_call():
    stun, turn = ice_servers(URLS, secret="s3cret", label="abc", now=NOW, ttl=timedelta(hours=2))
    assert stun == IceServer(("stun:stun.example.org:3478",))
    assert turn.urls == URLS[1:]
    assert turn.username == f"{int((NOW + timedelta(hours=2)).timestamp())}:abc"
    assert turn.to_dict() == {
        "urls": list(URLS[1:]),
        "username": turn.username,
        "credential": turn.credential,
    }


def test_each_call_gets_its_own_credential():
    def credential(label: str) -> str | None:
        return ice_servers(URLS, secret="s", label=label, now=NOW, ttl=timedelta(hours=1))[
            1
        ].credential

    assert credential("a") != credential("b")


def test_without_a_secret_turn_is_left_out_and_stun_kept():
    servers = ice_servers(URLS, secret=None, label="abc", now=NOW, ttl=timedelta(hours=2))
    assert [s.to_dict() for s in servers] == [{"urls": ["stun:stun.example.org:3478"]}]


def test_no_urls_no_servers():
    assert ice_servers((), secret="s", label="abc", now=NOW, ttl=timedelta(hours=2)) == []


def test_the_settings():
    settings = load(
        {**GOOD, "ICE_SERVERS": "  ".join(URLS), "TURN_SECRET": "s3cret", "TURN_TTL_SECONDS": "900"}
    )
    assert settings.ice_servers == URLS
    assert settings.turn_secret == "s3cret"
    assert settings.turn_ttl == timedelta(minutes=15)


def test_the_settings_default_to_no_servers():
    settings = load(GOOD)
    assert (settings.ice_servers, settings.turn_secret) == ((), None)
    assert settings.turn_ttl == timedelta(hours=2)


@pytest.mark.parametrize(
    "env, named",
    [
        ({"ICE_SERVERS": "https://turn.example.org"}, "ICE_SERVERS"),
        ({"ICE_SERVERS": "stun.example.org:3478"}, "ICE_SERVERS"),
        ({"ICE_SERVERS": "turn:"}, "ICE_SERVERS"),
        ({"TURN_TTL_SECONDS": "two hours"}, "TURN_TTL_SECONDS"),
        ({"TURN_TTL_SECONDS": "0"}, "TURN_TTL_SECONDS"),
        ({"TURN_TTL_SECONDS": "-60"}, "TURN_TTL_SECONDS"),
        ({"ICE_SERVERS": "turn:turn.example.org:3478"}, "TURN_SECRET"),
    ],
)
def test_bad_ice_settings_name_the_variable_in_one_line(env, named):
    with pytest.raises(SettingsError) as raised:
        load({**GOOD, **env})
    message = str(raised.value)
    assert message.startswith(named) and "\n" not in message
