"""The TURN credentials a call's browser is given (app.video.turn), put to a real coturn
(tests/coturn.py) sharing the secret as production's `use-auth-secret` does: minted ones
get a relay; a wrong password, another secret, a lapsed or stretched expiry get none.

coturn reads the machine's real clock for a username's expiry, so these credentials are
minted against datetime.now(UTC) (the one place the wall clock matters: coturn's, not ours)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.settings import load
from app.video.turn import ice_servers, turn_credential
from tests.coturn import Allocation, TurnServer, allocate


def real_now() -> datetime:
    return datetime.now(UTC)


def test_the_app_s_ice_servers_get_a_relay(turn_server: TurnServer):
    settings = load(
        {
            "SECRET_KEY": "x" * 32,
            "ICE_SERVERS": f"stun:{turn_server.host}:{turn_server.port} {turn_server.url}",
            "TURN_SECRET": turn_server.secret,
            "TURN_TTL_SECONDS": "600",
        }
    )
    stun, turn = ice_servers(
        settings.ice_servers,
        secret=settings.turn_secret,
        label="room-key",
        now=real_now(),
        ttl=settings.turn_ttl,
    )
    assert stun.to_dict() == {"urls": [f"stun:{turn_server.host}:{turn_server.port}"]}
    browser = turn.to_dict()
    assert browser["urls"] == [turn_server.url]
    outcome = allocate(turn_server, browser["username"], browser["credential"])
    assert outcome.ok, outcome
    assert outcome.relayed[0] == "127.0.0.1"


def minted(turn_server: TurnServer, *, expires_in: timedelta, secret: str | None = None):
    return turn_credential(
        secret or turn_server.secret, label="room-key", expires_at=real_now() + expires_in
    )


def refused(outcome: Allocation) -> bool:
    return not outcome.ok and outcome.code in (401, 403)


def test_a_wrong_password_is_refused(turn_server: TurnServer):
    username, password = minted(turn_server, expires_in=timedelta(hours=1))
    assert allocate(turn_server, username, password).ok
    assert refused(allocate(turn_server, username, password[:-2] + "AA"))


def test_credentials_of_another_secret_are_refused(turn_server: TurnServer):
    username, password = minted(turn_server, expires_in=timedelta(hours=1), secret="not-the-one")
    assert refused(allocate(turn_server, username, password))


def test_an_expired_username_is_refused(turn_server: TurnServer):
    username, password = minted(turn_server, expires_in=-timedelta(minutes=1))
    assert refused(allocate(turn_server, username, password))


@pytest.mark.parametrize("label", ["other-room", ""])
def test_a_username_edited_to_live_longer_is_refused(turn_server: TurnServer, label: str):
    """The expiry is in the signed username: pushing it later (or changing the label)
    without the secret breaks the password."""
    username, password = minted(turn_server, expires_in=-timedelta(minutes=1))
    expiry, _, room = username.partition(":")
    stretched = f"{int(expiry) + 7200}:{label or room}"
    assert refused(allocate(turn_server, stretched, password))
