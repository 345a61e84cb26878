"""Single sign-on with the clinic's own identity provider, by OpenID Connect (authlib for
the OAuth exchange, joserfc for the ID token).

The flow: authorization code with PKCE (S256), a state and a nonce. What the callback needs
stays server-side in an OidcSignIn row, bound to the clinic and to this browser (the
digest of a host-only cookie), and is deleted at the first answer, so a state is used once.
The ID token is checked here, not trusted from the token response: its signature against
the issuer's JWKS (from discovery), the issuer (Google's two spellings; Entra's per-tenant
issuer when discovery has a literal {tenantid}, the token's tid then being one the clinic
allows), the audience, the expiry by the platform's clock, and the nonce.

An account is found by (clinic, iss, sub), never by its email: Entra lets a user without a
mailbox set any email. An account is linked to a subject once, by an administrator's
invitation answered through the provider, or by a verified email of an allowed domain,
Entra tenant or Google Workspace domain that names an active account. No account is ever
created here; anything else is refused with one message."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from app import clock, i18n
from app.client_address import client_address
from app.db import write_transaction
from app.events import Actor, EventBus
from app.settings import Settings
from app.staff import accounts, invitations
from app.staff.events import AccountChange, AccountChanged, SignInOutcome, StaffSignIn
from app.staff.sign_in import _page as sign_in_page
from app.staff.sign_in import safe_next, signed_in
from app.staff.tables import OidcSignIn, StaffAccount
from tenants.resolution import ClinicRef
from tenants.tables import Clinic

COOKIE = "staff_oidc"
COOKIE_PATH = "/staff/sign-in/oidc"
FLOW_LIFETIME = timedelta(minutes=10)  # from the redirect to the provider to its answer
LEEWAY = timedelta(seconds=60)  # clocks of the provider and the platform differ a little
METADATA_SECONDS = 300.0
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
GOOGLE = ("https://accounts.google.com", "accounts.google.com")
TENANT = "{tenantid}"
HTTP_TIMEOUT = 10.0


class Refused(Exception):
    """The sign-in ends here; the reason is for the log and tests, never shown."""


@dataclass(frozen=True)
class ClinicProvider:
    """The clinic's provider settings (the Clinic row; the secret is not in ClinicRef)."""

    name: str
    issuer: str
    client_id: str
    client_secret: str
    email_domains: frozenset[str]
    tenant_ids: frozenset[str]
    hosted_domains: frozenset[str]


async def clinic_provider(clinic_id: int) -> ClinicProvider | None:
    row = await Clinic.select().where(Clinic.id == clinic_id).first()
    if not row or not row["oidc_issuer"] or not row["oidc_client_id"]:
        return None

    def words(text: str) -> frozenset[str]:
        return frozenset(item.strip().lower() for item in (text or "").split() if item.strip())

    return ClinicProvider(
        name=row["oidc_provider_name"],
        issuer=row["oidc_issuer"].rstrip("/"),
        client_id=row["oidc_client_id"],
        client_secret=row["oidc_client_secret"],
        email_domains=words(row["oidc_email_domains"]),
        tenant_ids=words(row["oidc_tenant_ids"]),
        hosted_domains=words(row["oidc_hosted_domains"]),
    )


# Discovery and keys, kept a few minutes per issuer (the keys refetched on an unknown kid)

_metadata: dict[str, tuple[float, dict]] = {}
_keys: dict[str, tuple[float, dict]] = {}


async def _get_json(url: str) -> dict:
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
        response = await http.get(url)
    if response.status_code != 200:
        raise Refused(f"{url} answered {response.status_code}")
    return response.json()


async def metadata(issuer: str) -> dict:
    cached = _metadata.get(issuer)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    found = await _get_json(f"{issuer}/.well-known/openid-configuration")
    _metadata[issuer] = (time.monotonic() + METADATA_SECONDS, found)
    return found


async def key_set(jwks_uri: str, *, fresh: bool = False) -> KeySet:
    cached = _keys.get(jwks_uri)
    if fresh or not cached or cached[0] <= time.monotonic():
        cached = (time.monotonic() + METADATA_SECONDS, await _get_json(jwks_uri))
        _keys[jwks_uri] = cached
    return KeySet.import_key_set(cached[1])


def forget_metadata() -> None:
    _metadata.clear()
    _keys.clear()


# The ID token


def expected_issuers(discovered: str, configured: str, claims: dict, tenants: frozenset[str]):
    """The issuers this token may carry, and the one an account is keyed on."""
    if TENANT in discovered:  # Entra's /common or /organizations: one issuer per tenant
        tid = str(claims.get("tid", "")).lower()
        if not tid or tid not in tenants:
            raise Refused("tenant not allowed")
        issuer = discovered.replace(TENANT, tid)
        return (issuer,), issuer
    if discovered.rstrip("/") != configured:
        raise Refused("discovery names another issuer")
    if configured in GOOGLE:
        return GOOGLE, GOOGLE[0]  # Google signs with either spelling
    return (configured,), configured


async def validated_claims(
    id_token: str, *, meta: dict, provider: ClinicProvider, nonce: str
) -> tuple[dict, str]:
    """The ID token's claims once every check passes, and the issuer to key the account on."""
    try:
        try:
            token = jwt.decode(id_token, await key_set(meta["jwks_uri"]), algorithms=ALGORITHMS)
        except InvalidKeyIdError:  # no key of that id: the keys may have rotated since
            keys = await key_set(meta["jwks_uri"], fresh=True)
            token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
    except (JoseError, ValueError, KeyError, httpx.HTTPError) as exc:  # keys unreachable too
        raise Refused(f"signature: {exc}") from exc
    claims = dict(token.claims)
    allowed, issuer = expected_issuers(
        str(meta.get("issuer", "")), provider.issuer, claims, provider.tenant_ids
    )
    if claims.get("iss") not in allowed:
        raise Refused("issuer")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if provider.client_id not in audiences:
        raise Refused("audience")
    if len(audiences) > 1 and claims.get("azp") != provider.client_id:
        raise Refused("authorized party")
    now = clock.now().timestamp()
    expires, issued = claims.get("exp"), claims.get("iat")
    if not isinstance(expires, (int, float)) or expires + LEEWAY.total_seconds() < now:
        raise Refused("expired")
    if not isinstance(issued, (int, float)) or issued - LEEWAY.total_seconds() > now:
        raise Refused("issued in the future")
    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(
        claims["nonce"].encode(), nonce.encode()
    ):
        raise Refused("nonce")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise Refused("no subject")
    return claims, issuer


def may_link_by_email(claims: dict, provider: ClinicProvider) -> bool:
    """A verified email that the clinic vouches for: its domain, the Entra tenant the token
    comes from, or the Google Workspace domain (hd) it belongs to."""
    email = claims.get("email")
    if claims.get("email_verified") is not True or not isinstance(email, str) or "@" not in email:
        return False
    domain = email.rsplit("@", 1)[1].lower()
    return (
        domain in provider.email_domains
        or str(claims.get("tid", "")).lower() in provider.tenant_ids - {""}
        or str(claims.get("hd", "")).lower() in provider.hosted_domains - {""}
    )


# The account behind the token


async def _by_subject(clinic_id: int, issuer: str, subject: str) -> dict | None:
    return (
        await StaffAccount.select()
        .where(
            (StaffAccount.clinic == clinic_id)
            & (StaffAccount.oidc_issuer == issuer)
            & (StaffAccount.oidc_subject == subject)
        )
        .first()
    )


async def _link(clinic_id: int, account: dict, issuer: str, subject: str, bus, actor) -> dict:
    """Inside the caller's transaction: the account gets this issuer and subject, once."""
    done = (
        await StaffAccount.update(
            {
                StaffAccount.oidc_issuer: issuer,
                StaffAccount.oidc_subject: subject,
                StaffAccount.updated_at: clock.now(),
            }
        )
        .where(
            (StaffAccount.id == account["id"])
            & (StaffAccount.clinic == clinic_id)
            & StaffAccount.oidc_subject.is_null()
            & (StaffAccount.active.eq(True))
        )
        .returning(StaffAccount.id)
    )
    if not done:
        raise Refused("account linked meanwhile or inactive")
    after = await accounts.by_id(clinic_id=clinic_id, account_id=account["id"])
    await bus.emit(
        AccountChanged(
            clinic_id,
            account["id"],
            actor,
            AccountChange.LINKED,
            accounts.snapshot(account),
            accounts.snapshot(after),
        )
    )
    return after


async def account_for(
    *,
    clinic_id: int,
    claims: dict,
    issuer: str,
    provider: ClinicProvider,
    invitation_id: int | None,
    bus: EventBus,
    client: str,
) -> dict:
    """Inside the caller's write transaction: the linked account, or the one this answer
    links (invitation, or an allowed verified email); Refused otherwise."""
    subject = claims["sub"]
    linked = await _by_subject(clinic_id, issuer, subject)
    if invitation_id is not None:
        account_id = await invitations.use(clinic_id=clinic_id, invitation_id=invitation_id)
        if account_id is None:
            raise Refused("invitation used or expired")
        if linked is not None:
            if linked["id"] != account_id:
                raise Refused("this subject is another account's")
            return linked
        account = await accounts.by_id(clinic_id=clinic_id, account_id=account_id)
        if account is None or not account["active"] or account["oidc_subject"]:
            raise Refused("invited account inactive or linked already")
        actor = Actor.staff(account["id"], account["name"]).at(client)
        return await _link(clinic_id, account, issuer, subject, bus, actor)
    if linked is not None:
        if not linked["active"]:
            raise Refused("account inactive")
        return linked
    if not may_link_by_email(claims, provider):
        raise Refused("unlinked subject, email not vouched for")
    account = await accounts.by_email(clinic_id=clinic_id, email=claims["email"])
    if account is None or not account["active"] or account["oidc_subject"]:
        raise Refused("no unlinked active account with this email")
    actor = Actor.staff(account["id"], account["name"]).at(client)
    return await _link(clinic_id, account, issuer, subject, bus, actor)


# The routes


def _digest(value: str) -> str:
    return hashlib.sha256(f"staff-oidc:{value}".encode()).hexdigest()


def absolute_url(request: Request, settings: Settings, path: str) -> str:
    """`path` on the host the browser used (it named this clinic: its subdomain or its own
    domain), under the platform's public scheme."""
    return f"{settings.public_scheme}://{request.headers.get('host', '')}{path}"


def _callback_url(request: Request, settings: Settings) -> str:
    return absolute_url(request, settings, request.app.route_reverse("staff:oidc_callback"))


def _refusal(request: Request, clinic: ClinicRef) -> Response:
    message = i18n.gettext(
        "Single sign-on did not succeed. Try again, or ask your administrator for an invitation."
    )
    response = sign_in_page(request, clinic, {}, {"form": message}, status_code=403)
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


class SingleSignOn(Controller):
    path = COOKIE_PATH

    @get("", name="staff:oidc_start")
    async def start(self, request: Request, settings: Settings, clinic: ClinicRef) -> Response:
        return await _start(request, settings, clinic, None)

    @get("/invitation/{token:str}", name="staff:oidc_invitation")
    async def invitation(
        self, request: Request, settings: Settings, clinic: ClinicRef, token: str
    ) -> Response:
        invitation_id = await invitations.open_one(clinic_id=clinic.id, token=token)
        if invitation_id is None:  # unknown here, used, expired: like any link that is not
            raise NotFoundException("no such invitation")
        if await clinic_provider(clinic.id) is None:  # single sign-on removed since
            return _refusal(request, clinic)
        return await _start(request, settings, clinic, invitation_id)

    @get("/callback", name="staff:oidc_callback")
    async def callback(
        self, request: Request, settings: Settings, clinic: ClinicRef, bus: EventBus
    ) -> Response:
        client = client_address(request, settings.trusted_proxies)
        try:
            return await _finish(request, settings, clinic, bus, client)
        except Refused:
            async with write_transaction():
                await bus.emit(
                    StaffSignIn(
                        clinic.id,
                        None,
                        "",
                        SignInOutcome.FAILED,
                        "oidc",
                        Actor.system("sign-in").at(client),
                    )
                )
            return _refusal(request, clinic)


async def _start(
    request: Request, settings: Settings, clinic: ClinicRef, invitation_id: int | None
) -> Response:
    provider = await clinic_provider(clinic.id)
    if provider is None:
        raise NotFoundException("no single sign-on for this clinic")
    try:
        meta = await metadata(provider.issuer)
    except (Refused, httpx.HTTPError, ValueError):
        return _refusal(request, clinic)
    if "S256" not in meta.get("code_challenge_methods_supported", ["S256"]):
        return _refusal(request, clinic)
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    browser = secrets.token_urlsafe(32)
    async with write_transaction():
        await OidcSignIn.delete().where(OidcSignIn.created_at < clock.now() - FLOW_LIFETIME)
        await OidcSignIn.insert(
            OidcSignIn(
                clinic=clinic.id,
                state_digest=_digest(state),
                browser_digest=_digest(browser),
                nonce=nonce,
                code_verifier=verifier,
                invitation=invitation_id,
                next_page=safe_next(request.query_params.get("next")) or "",
                created_at=clock.now(),
            )
        )
    url = add_params_to_uri(
        meta["authorization_endpoint"],
        [
            ("response_type", "code"),
            ("client_id", provider.client_id),
            ("redirect_uri", _callback_url(request, settings)),
            ("scope", "openid email profile"),
            ("state", state),
            ("nonce", nonce),
            ("code_challenge", create_s256_code_challenge(verifier)),
            ("code_challenge_method", "S256"),
        ],
    )
    response = Redirect(url, status_code=303)
    response.set_cookie(
        COOKIE,
        browser,
        path=COOKIE_PATH,
        max_age=int(FLOW_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back, not on sub-requests
        secure=settings.secure_cookies,
    )
    return response


async def _finish(
    request: Request, settings: Settings, clinic: ClinicRef, bus: EventBus, client: str
) -> Response:
    state = request.query_params.get("state", "")
    if not state or len(state) > 128:
        raise Refused("no state")
    async with write_transaction():  # used once: gone before anything else happens
        rows = (
            await OidcSignIn.delete()
            .where((OidcSignIn.state_digest == _digest(state)) & (OidcSignIn.clinic == clinic.id))
            .returning(
                OidcSignIn.browser_digest,
                OidcSignIn.nonce,
                OidcSignIn.code_verifier,
                OidcSignIn.invitation,
                OidcSignIn.next_page,
                OidcSignIn.created_at,
            )
        )
    if not rows:
        raise Refused("unknown or used state")
    flow = rows[0]
    browser = request.cookies.get(COOKIE, "")
    if not browser or not secrets.compare_digest(_digest(browser), flow["browser_digest"]):
        raise Refused("another browser")
    if flow["created_at"] + FLOW_LIFETIME < clock.now():
        raise Refused("flow expired")
    code = request.query_params.get("code", "")
    if request.query_params.get("error") or not code or len(code) > 2048:
        raise Refused("the provider said no")
    provider = await clinic_provider(clinic.id)
    if provider is None:
        raise Refused("single sign-on removed meanwhile")
    try:
        meta = await metadata(provider.issuer)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": _callback_url(request, settings),
            "code_verifier": flow["code_verifier"],
        }
        auth = None
        if _auth_method(meta) == "client_secret_basic":
            auth = httpx.BasicAuth(quote(provider.client_id), quote(provider.client_secret))
        else:
            form |= {"client_id": provider.client_id, "client_secret": provider.client_secret}
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
            answer = await http.post(
                meta["token_endpoint"], data=form, auth=auth, headers={"Accept": "application/json"}
            )
        if answer.status_code != 200:
            raise Refused(f"token endpoint answered {answer.status_code}")
        token: dict[str, Any] = answer.json()
    except Refused:
        raise
    except Exception as exc:  # the provider's refusal, a network failure, a malformed answer
        raise Refused(f"token exchange: {exc}") from exc
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise Refused("no ID token")
    claims, issuer = await validated_claims(
        id_token, meta=meta, provider=provider, nonce=flow["nonce"]
    )
    async with write_transaction():
        account = await account_for(
            clinic_id=clinic.id,
            claims=claims,
            issuer=issuer,
            provider=provider,
            invitation_id=flow["invitation"],
            bus=bus,
            client=client,
        )
        response = await signed_in(
            request,
            settings,
            clinic,
            bus,
            account,
            client=client,
            method="oidc",
            next_page=safe_next(flow["next_page"]),
        )
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


def _auth_method(meta: dict) -> str:
    supported = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    return "client_secret_basic" if "client_secret_basic" in supported else "client_secret_post"
