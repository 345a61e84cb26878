"""A Host header that is no host[:port] belongs to no clinic (its URL could not even be
parsed later): the middleware turns it into the 404 page."""

import pytest

from tenants.resolution import classify, normalise_host


@pytest.mark.parametrize(
    "host",
    [
        "demo.localhost:abc",
        "demo.localhost:@evil.example",  # userinfo smuggled into the port
        "demo.localhost:99999",
        "demo.localhost:",
        "demo.localhost:8000:1",
        "demo.localhost:²",
        "demo.localhost:" + "9" * 5000,
        "demo.localhost/x",
        "demo localhost",
        "dé.localhost",
        "[::1]x",
        "[::1]:abc",
        "[zz]",
    ],
)
def test_not_a_host_is_unknown(host):
    assert normalise_host(host) == ""
    assert classify(host, "localhost").kind == "unknown"


@pytest.mark.parametrize(
    "host, normal",
    [
        ("demo.localhost:8000", "demo.localhost"),
        ("demo.localhost:0", "demo.localhost"),
        ("demo.localhost:65535", "demo.localhost"),
        ("xn--dmo-bpa.localhost", "xn--dmo-bpa.localhost"),
        ("[::1]:8000", "[::1]"),
    ],
)
def test_a_host_with_a_numeric_port_keeps_its_name(host, normal):
    assert normalise_host(host) == normal
