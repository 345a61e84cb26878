"""Which issuers an ID token may carry and which verified emails may link an account:
Google's two spellings of its issuer, Entra's per-tenant issuer behind a {tenantid}
discovery, and the clinic's allowed domains, tenants and Google Workspace domains."""

from __future__ import annotations

import pytest

from app.staff.oidc import ClinicProvider, Refused, expected_issuers, may_link_by_email

ENTRA = "https://login.microsoftonline.com/{tenantid}/v2.0"
TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"


def provider(**rules) -> ClinicProvider:
    return ClinicProvider(
        name="IdP",
        issuer="https://idp.example",
        client_id="client",
        client_secret="secret",
        email_domains=frozenset(rules.get("domains", ())),
        tenant_ids=frozenset(rules.get("tenants", ())),
        hosted_domains=frozenset(rules.get("hosted", ())),
    )


def test_google_signs_with_either_spelling_and_accounts_are_keyed_on_one():
    allowed, key = expected_issuers(
        "https://accounts.google.com", "https://accounts.google.com", {}, frozenset()
    )
    assert set(allowed) == {"https://accounts.google.com", "accounts.google.com"}
    assert key == "https://accounts.google.com"


def test_entra_common_takes_the_tokens_tenant_when_the_clinic_allows_it():
    allowed, key = expected_issuers(
        ENTRA, "https://login.microsoftonline.com/common/v2.0", {"tid": TENANT}, {TENANT}
    )
    assert allowed == (f"https://login.microsoftonline.com/{TENANT}/v2.0",) and key == allowed[0]


@pytest.mark.parametrize("claims", [{}, {"tid": "another-tenant"}])
def test_entra_common_refuses_a_tenant_the_clinic_does_not_allow(claims):
    with pytest.raises(Refused):
        expected_issuers(ENTRA, "https://login.microsoftonline.com/common/v2.0", claims, {TENANT})


def test_a_discovery_naming_another_issuer_is_refused():
    with pytest.raises(Refused):
        expected_issuers("https://evil.example", "https://idp.example", {}, frozenset())


@pytest.mark.parametrize(
    ("claims", "rules", "allowed"),
    [
        ({"email": "a@clinic.ca", "email_verified": True}, {"domains": {"clinic.ca"}}, True),
        ({"email": "a@clinic.ca", "email_verified": False}, {"domains": {"clinic.ca"}}, False),
        ({"email": "a@clinic.ca"}, {"domains": {"clinic.ca"}}, False),  # Entra: no such claim
        ({"email": "a@clinic.ca", "email_verified": "true"}, {"domains": {"clinic.ca"}}, False),
        ({"email": "a@other.ca", "email_verified": True}, {"domains": {"clinic.ca"}}, False),
        ({"email": "a@x.ca", "email_verified": True, "tid": TENANT}, {"tenants": {TENANT}}, True),
        (
            {"email": "a@x.ca", "email_verified": True, "hd": "clinic.ca"},
            {"hosted": {"clinic.ca"}},
            True,
        ),
        ({"email": "a@x.ca", "email_verified": True}, {"hosted": {"clinic.ca"}}, False),
        ({"email": "a@x.ca", "email_verified": True}, {}, False),
    ],
)
def test_who_may_link_by_a_verified_email(claims, rules, allowed):
    assert may_link_by_email(claims, provider(**rules)) is allowed


def test_the_demo_single_sign_on_settings_come_together_or_not_at_all():
    from app.settings import SettingsError, load_oidc

    assert load_oidc({}) is None
    with pytest.raises(SettingsError, match="OIDC_CLIENT_ID"):
        load_oidc({"OIDC_ISSUER": "https://idp.example"})
    with pytest.raises(SettingsError, match="OIDC_ISSUER"):
        load_oidc({"OIDC_ISSUER": "idp.example", "OIDC_CLIENT_ID": "c", "OIDC_CLIENT_SECRET": "s"})
    found = load_oidc(
        {
            "OIDC_ISSUER": "https://idp.example/",
            "OIDC_CLIENT_ID": "c",
            "OIDC_CLIENT_SECRET": "s",
            "OIDC_PROVIDER_NAME": "Microsoft",
            "OIDC_TENANT_IDS": TENANT,
        }
    )
    assert (found.issuer, found.provider_name, found.tenant_ids) == (
        "https://idp.example",
        "Microsoft",
        TENANT,
    )


async def test_a_key_the_cached_set_lacks_is_fetched_again_once(monkeypatch):
    """The provider rotated its keys since they were cached: the token is checked against
    the fresh set, not refused (nor accepted) on the stale one."""
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    from app import clock
    from app.staff import oidc

    old, new = (RSAKey.generate_key(2048, parameters={"kid": kid}) for kid in ("old", "new"))
    served = [{"keys": [old.as_dict(private=False)]}]

    async def get_json(url):
        return served[-1]

    monkeypatch.setattr(oidc, "_get_json", get_json)
    oidc.forget_metadata()
    meta = {"issuer": "https://idp.example", "jwks_uri": "https://idp.example/jwks"}
    await oidc.key_set(meta["jwks_uri"])  # cached with the old key only
    served.append({"keys": [new.as_dict(private=False)]})
    now = int(clock.now().timestamp())
    claims = {
        "iss": "https://idp.example",
        "aud": "client",
        "sub": "s",
        "nonce": "n",
        "iat": now,
        "exp": now + 600,
    }
    token = jwt.encode({"alg": "RS256", "kid": "new"}, claims, new)
    found, issuer = await oidc.validated_claims(token, meta=meta, provider=provider(), nonce="n")
    assert found["sub"] == "s" and issuer == "https://idp.example"
    oidc.forget_metadata()
