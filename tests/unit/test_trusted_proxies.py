"""TRUSTED_PROXIES: which proxies' X-Forwarded-For is believed; and how limits key an address."""

import pytest

from app.client_address import limit_key
from app.settings import SettingsError, load

GOOD = {"SECRET_KEY": "x" * 32}


def test_no_proxy_is_trusted_by_default():
    assert load(GOOD).trusted_proxies == ()


def test_addresses_and_networks_separated_by_commas():
    settings = load({**GOOD, "TRUSTED_PROXIES": " 10.0.0.5, 10.1.0.0/16 ,fd00::/8,"})
    assert settings.trusted_proxies == ("10.0.0.5/32", "10.1.0.0/16", "fd00::/8")


@pytest.mark.parametrize(
    "value", ["proxy.internal", "10.0.0.300", "10.0.0.0/33", "127.0.0.1;10.0.0.1"]
)
def test_a_bad_value_stops_start_up_with_one_line_naming_the_variable(value):
    with pytest.raises(SettingsError) as error:
        load({**GOOD, "TRUSTED_PROXIES": value})
    message = str(error.value)
    assert message.startswith("TRUSTED_PROXIES:") and "\n" not in message


def test_limits_count_an_ipv6_client_by_its_network_and_an_ipv4_one_by_its_address():
    assert limit_key("2001:db8:1:2::1") == limit_key("2001:db8:1:2:ffff:ffff:ffff:ffff")
    assert limit_key("2001:db8:1:2::1") != limit_key("2001:db8:1:3::1")
    assert limit_key("203.0.113.7") != limit_key("203.0.113.8")
    assert limit_key("::ffff:203.0.113.7") == limit_key("203.0.113.7")
    # A digest: the counting tables keep no address.
    assert "203.0.113.7" not in limit_key("203.0.113.7")
