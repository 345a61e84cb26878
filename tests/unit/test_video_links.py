"""Another platform's link (app.booking.video_links): only a plain https address of a
named host is kept."""

import pytest

from app.booking.video_links import MAX_LENGTH, VideoLinkRefusal, check


@pytest.mark.parametrize(
    "typed, kept",
    [
        ("https://zoom.us/j/123456789?pwd=abc", "https://zoom.us/j/123456789?pwd=abc"),
        ("  https://meet.google.com/abc-defg-hij  ", "https://meet.google.com/abc-defg-hij"),
        (
            "https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0",
            "https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0",
        ),
        ("https://clinic.zoom.us:443/j/1", "https://clinic.zoom.us:443/j/1"),
        ("", ""),  # removes it
        ("   ", ""),
    ],
)
def test_a_good_link_is_kept_trimmed(typed, kept):
    assert check(typed) == kept


@pytest.mark.parametrize(
    "typed, refusal",
    [
        ("http://zoom.us/j/1", VideoLinkRefusal.NOT_HTTPS),
        ("javascript:alert(1)", VideoLinkRefusal.NOT_HTTPS),
        ("JavaScript://zoom.us/%0aalert(1)", VideoLinkRefusal.NOT_HTTPS),
        ("data:text/html,hi", VideoLinkRefusal.NOT_HTTPS),
        ("zoom.us/j/1", VideoLinkRefusal.NOT_HTTPS),
        ("https:zoom.us/j/1", VideoLinkRefusal.NOT_HTTPS),
        ("//zoom.us/j/1", VideoLinkRefusal.NOT_HTTPS),
        ("https://zoom.us/j/1 2", VideoLinkRefusal.SPACES),
        ("https://zoom.us/j/1\n2", VideoLinkRefusal.SPACES),
        ("https://zoom.us/\x00", VideoLinkRefusal.SPACES),
        ("https://" + "a" * MAX_LENGTH, VideoLinkRefusal.TOO_LONG),
        ("https://", VideoLinkRefusal.NO_HOST),
        ("https:///j/1", VideoLinkRefusal.NO_HOST),
        ("https://localhost/j/1", VideoLinkRefusal.NO_HOST),
        ("https://10.0.0.1/j/1", VideoLinkRefusal.NO_HOST),
        ("https://zoom.us:port/j/1", VideoLinkRefusal.NO_HOST),
        ("https://-bad-.com/", VideoLinkRefusal.NO_HOST),
        ("https://user:secret@zoom.us/j/1", VideoLinkRefusal.CREDENTIALS),
        ("https://zoom.us@evil.example/j/1", VideoLinkRefusal.CREDENTIALS),
    ],
)
def test_a_bad_link_says_why(typed, refusal):
    assert check(typed) is refusal
