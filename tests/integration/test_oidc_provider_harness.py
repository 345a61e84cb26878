"""The local OpenID provider that the single sign-on tests run against (tests/oidc_provider):
a relying party built on authlib, as the app's will be, signs in through it (discovery,
PKCE, state and nonce, code exchange, the ID token checked against the JWKS, issuer,
audience, expiry and nonce), the provider refuses what a real one refuses, and each test
control yields an ID token that this validation refuses for the expected reason."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import BadSignatureError, ExpiredTokenError, InvalidClaimError
from joserfc.jwk import KeySet

from tests.oidc_provider.harness import Account, Client, OidcProvider, running_provider

CALLBACK = "http://demo.localhost/staff/sign-in/oidc/callback"
BASIC = Client("clinic-demo", "demo-secret", (CALLBACK,))
POST = Client("clinic-autre", "autre-secret", (CALLBACK,), "client_secret_post")
ALICE = Account(
    "alice@demo.test",
    "correct horse battery",
    {
        "sub": "00u-alice",
        "email": "alice@demo.test",
        "email_verified": True,
        "name": "Alice Martin",
        "hd": "demo.test",
    },
)


@pytest.fixture(scope="module")
def provider():
    with running_provider([BASIC, POST], [ALICE]) as provider:
        yield provider


async def sign_in(provider: OidcProvider, client: Client = BASIC, tamper=None, **claims):
    """A whole sign-in as the app will run it; returns the validated ID token claims."""
    async with AsyncOAuth2Client(
        client.client_id,
        client.client_secret,
        scope="openid email profile",
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
        token_endpoint_auth_method=client.token_endpoint_auth_method,
    ) as oauth:
        metadata = (await oauth.request("GET", provider.discovery_url, withhold_token=True)).json()
        verifier, nonce = generate_token(48), generate_token(20)
        url, state = oauth.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        callback = await provider.sign_in(url, ALICE)
        if tamper or claims:
            await provider.tamper_next_id_token(tamper, **claims)
        token = await oauth.fetch_token(
            metadata["token_endpoint"],
            authorization_response=callback,
            state=state,
            code_verifier=verifier,
        )
        jwks = (await oauth.request("GET", metadata["jwks_uri"], withhold_token=True)).json()
        return validated_claims(token, jwks, metadata["issuer"], client.client_id, nonce)


def validated_claims(token, jwks, issuer: str, client_id: str, nonce: str) -> CodeIDToken:
    # authlib's CodeIDToken checks aud only through these options (not from client_id), so
    # iss and aud are named here, as the app must.
    decoded = jwt.decode(token["id_token"], KeySet.import_key_set(jwks), algorithms=["RS256"])
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        {
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": client_id},
            "exp": {"essential": True},
        },
        {"nonce": nonce, "client_id": client_id, "access_token": token["access_token"]},
    )
    claims.validate()
    return claims


@pytest.mark.parametrize("client", [BASIC, POST], ids=["client_secret_basic", "client_secret_post"])
async def test_a_sign_in_yields_a_valid_id_token_with_the_accounts_claims(provider, client):
    claims = await sign_in(provider, client)

    assert claims["iss"] == provider.issuer
    assert claims["aud"] == client.client_id
    assert {key: claims[key] for key in ALICE.claims} == ALICE.claims


@pytest.mark.parametrize(
    ("tamper", "error", "claim"),
    [
        ("wrong_audience", InvalidClaimError, "aud"),
        ("wrong_issuer", InvalidClaimError, "iss"),
        ("nonce", InvalidClaimError, "nonce"),
        ("expired", ExpiredTokenError, None),
        ("other_key", BadSignatureError, None),
    ],
)
async def test_each_tampered_id_token_is_refused_for_its_reason(provider, tamper, error, claim):
    with pytest.raises(error) as refused:
        await sign_in(provider, tamper=tamper)

    if claim:
        assert refused.value.claim == claim


async def test_a_tamper_rewrites_only_the_next_token_response(provider):
    with pytest.raises(InvalidClaimError):
        await sign_in(provider, tamper="wrong_audience")

    assert (await sign_in(provider))["aud"] == BASIC.client_id


async def test_a_tamper_can_be_cleared_before_it_is_used(provider):
    await provider.tamper_next_id_token("other_key")
    await provider.tamper_next_id_token(None)

    assert (await sign_in(provider))["sub"] == ALICE.sub


async def test_claims_can_be_set_for_a_test_whose_clock_is_frozen(provider):
    claims = await sign_in(provider, exp=2_000_000_000, email="mallory@evil.test")

    assert (claims["exp"], claims["email"]) == (2_000_000_000, "mallory@evil.test")


async def test_the_provider_requires_pkce_and_checks_the_verifier(provider):
    async with AsyncOAuth2Client(
        BASIC.client_id,
        BASIC.client_secret,
        redirect_uri=CALLBACK,
        scope="openid",
        code_challenge_method="S256",
    ) as oauth:
        metadata = (await oauth.request("GET", provider.discovery_url, withhold_token=True)).json()
        url, _ = oauth.create_authorization_url(metadata["authorization_endpoint"], nonce="n")
        without_pkce = parse_qs(urlsplit(await provider.sign_in(url, ALICE)).query)
        assert without_pkce["error"] == ["invalid_request"]

        url, state = oauth.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=generate_token(48), nonce="n"
        )
        callback = await provider.sign_in(url, ALICE)
        with pytest.raises(OAuthError) as refused:
            await oauth.fetch_token(
                metadata["token_endpoint"],
                authorization_response=callback,
                state=state,
                code_verifier=generate_token(48),
            )
        assert refused.value.error == "invalid_grant"


async def test_a_signed_in_browser_is_sent_straight_back(provider):
    async with (
        AsyncOAuth2Client(
            BASIC.client_id,
            BASIC.client_secret,
            redirect_uri=CALLBACK,
            scope="openid",
            code_challenge_method="S256",
        ) as oauth,
        httpx.AsyncClient() as browser,
    ):
        metadata = (await oauth.request("GET", provider.discovery_url, withhold_token=True)).json()
        for account in (ALICE, None):  # the second time, no login form is shown
            url, state = oauth.create_authorization_url(
                metadata["authorization_endpoint"], code_verifier=generate_token(48), nonce="n"
            )
            callback = await provider.sign_in(url, account, browser=browser)
            assert parse_qs(urlsplit(callback).query)["state"] == [state]
            assert "code" in parse_qs(urlsplit(callback).query)


async def test_a_wrong_password_is_refused_and_cancel_returns_access_denied(provider):
    async with AsyncOAuth2Client(
        BASIC.client_id,
        BASIC.client_secret,
        redirect_uri=CALLBACK,
        scope="openid email",
        code_challenge_method="S256",
    ) as oauth:
        metadata = (await oauth.request("GET", provider.discovery_url, withhold_token=True)).json()
        url, _ = oauth.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=generate_token(48), nonce="n"
        )
        with pytest.raises(AssertionError, match="Wrong email or password"):
            await provider.sign_in(url, Account(ALICE.login, "wrong", ALICE.claims))

        cancelled = parse_qs(urlsplit(await provider.sign_in(url, ALICE, consent=False)).query)
        assert cancelled["error"] == ["access_denied"]
