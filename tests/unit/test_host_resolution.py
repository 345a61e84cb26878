import pytest

from tenants.resolution import classify, normalise_host


@pytest.mark.parametrize(
    "host, kind, slug",
    [
        ("demo.localhost", "clinic", "demo"),
        ("demo.localhost:8000", "clinic", "demo"),
        ("DEMO.LocalHost:8000", "clinic", "demo"),
        ("demo.localhost.", "clinic", "demo"),
        ("localhost", "platform", None),
        ("localhost:8000", "platform", None),
        ("a.demo.localhost", "unknown", None),  # nested subdomains are nobody's
        (".localhost", "unknown", None),
        ("", "unknown", None),
        ("clinique-exemple.ca", "clinic", None),  # custom domain: decided by the table
        (
            "evil-localhost",
            "clinic",
            None,
        ),  # not a subdomain of the base: custom-domain lookup only
    ],
)
def test_classify(host, kind, slug):
    match = classify(host, "localhost")
    assert (match.kind, match.slug) == (kind, slug)


def test_normalise_strips_port_case_and_dot():
    assert normalise_host(" Booking.Clinic.CA:443 ") == "booking.clinic.ca"
    assert normalise_host("[::1]:8000") == "[::1]"
