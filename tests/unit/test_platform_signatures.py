"""The external platform's webhook signature (HMAC-SHA256 over "t.body", Stripe's scheme),
its backoff, and its settings."""

from datetime import UTC, datetime, timedelta

import pytest

from app.platforms.sessions import backoff
from app.platforms.signatures import TOLERANCE, sign, verify
from app.settings import SettingsError, load

SECRET = "whsec_test"
BODY = b'{"id":"evt_1","type":"session.patient_connected"}'
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
T = int(NOW.timestamp())


def test_a_good_fresh_signature_passes():
    assert verify(SECRET, BODY, sign(SECRET, BODY, T), now=NOW) == ""
    assert verify(SECRET, BODY, sign(SECRET, BODY, T), now=NOW + TOLERANCE) == ""


@pytest.mark.parametrize(
    "header",
    [
        "",
        "t=,v1=",
        "v1=abc",
        f"t={T}",
        f"t={T},v1=00",
        f"t=-{T},v1=00",
        f"t={'9' * 40},v1=00",
        sign("another secret", BODY, T),
        sign(SECRET, BODY + b" ", T),
        sign(SECRET, BODY, T).replace(f"t={T}", f"t={T + 1}"),
    ],
)
def test_a_bad_signature_is_refused(header):
    assert verify(SECRET, BODY, header, now=NOW) == "bad_signature"


def test_an_old_or_future_timestamp_is_stale():
    late = NOW + TOLERANCE + timedelta(seconds=1)
    assert verify(SECRET, BODY, sign(SECRET, BODY, T), now=late) == "stale"
    early = NOW - TOLERANCE - timedelta(seconds=1)
    assert verify(SECRET, BODY, sign(SECRET, BODY, T), now=early) == "stale"


def test_the_backoff_grows_then_stays_at_ten_minutes():
    waits = [backoff(n).total_seconds() for n in range(1, 9)]
    assert waits == [30, 60, 120, 240, 480, 600, 600, 600]


def test_the_platform_settings_come_together():
    base = {"SECRET_KEY": "x" * 20}
    assert load(base).video_platform is None
    full = {
        **base,
        "VIDEO_PLATFORM_URL": "https://api.example.org",
        "VIDEO_PLATFORM_KEY": "k",
        "VIDEO_PLATFORM_WEBHOOK_SECRET": "s",
    }
    assert load(full).video_platform.url == "https://api.example.org"
    with pytest.raises(SettingsError, match="VIDEO_PLATFORM_WEBHOOK_SECRET"):
        load({**full, "VIDEO_PLATFORM_WEBHOOK_SECRET": ""})
    with pytest.raises(SettingsError, match="VIDEO_PLATFORM_URL"):
        load({**full, "VIDEO_PLATFORM_URL": "ftp://x"})
