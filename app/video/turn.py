"""The ICE servers a call's browser is given. TURN credentials are minted per call with
the TURN REST API scheme coturn's `use-auth-secret` checks: the username is the expiry
(Unix seconds) and a label, the password base64(HMAC-SHA1(secret, username)). Nothing is
stored; a credential dies at its expiry, and without the secret none can be made."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class IceServer:
    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None

    def to_dict(self) -> dict:
        """As RTCPeerConnection's iceServers takes it."""
        server: dict = {"urls": list(self.urls)}
        if self.username is not None:
            server["username"] = self.username
            server["credential"] = self.credential
        return server


def turn_credential(secret: str, *, label: str, expires_at: datetime) -> tuple[str, str]:
    username = f"{int(expires_at.timestamp())}:{label}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(
    urls: tuple[str, ...], *, secret: str | None, label: str, now: datetime, ttl: timedelta
) -> list[IceServer]:
    """STUN URLs as they are; TURN URLs with fresh credentials, or left out when there is
    no secret to mint them (a TURN server without credentials refuses every allocation)."""
    stun = tuple(u for u in urls if u.startswith(("stun:", "stuns:")))
    turn = tuple(u for u in urls if u.startswith(("turn:", "turns:")))
    servers = [IceServer(stun)] if stun else []
    if turn and secret:
        username, password = turn_credential(secret, label=label, expires_at=now + ttl)
        servers.append(IceServer(turn, username, password))
    return servers
