"""A real OpenID provider for the single sign-on tests, test-only: the npm package
`oidc-provider`, run with Node by provider.js beside this file, on 127.0.0.1 and a free port.

Everything a relying party sees is the real provider (discovery, authorization with PKCE
required, login and consent pages, token, JWKS, userinfo), with the clients and accounts a
test session gives. The one test control, `tamper_next_id_token`, rewrites the ID token of
the next token response to produce the bad tokens a client must refuse.

    with running_provider([Client(...)], [Account(...)]) as provider:
        callback_url = await provider.sign_in(authorization_url, provider.accounts[0])

Without Node or the npm packages (`make install`) the tests that need it are skipped, and
fail under CI=true."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import httpx

from conftest import free_port, require
from tests.processes import stop_process

HERE = Path(__file__).resolve().parent
Tamper = Literal["wrong_audience", "other_key", "expired", "wrong_issuer", "nonce"]


@dataclass(frozen=True)
class Client:
    """A relying party registered at the provider (OpenID client metadata)."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    token_endpoint_auth_method: Literal["client_secret_basic", "client_secret_post"] = (
        "client_secret_basic"
    )


@dataclass(frozen=True)
class Account:
    """Someone who can sign in at the provider with `login` and `password`; `claims` is what
    the provider says about them (sub, email, email_verified, name, and e.g. hd or tid)."""

    login: str
    password: str
    claims: Mapping[str, Any]

    @property
    def sub(self) -> str:
        return self.claims["sub"]


@dataclass(frozen=True)
class OidcProvider:
    issuer: str
    clients: tuple[Client, ...]
    accounts: tuple[Account, ...]
    log: Path  # the provider's output while it runs (shown as a warning at the end, if any)

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    async def tamper_next_id_token(self, tamper: Tamper | None, **claims: Any) -> None:
        """Rewrite the ID token of the next token response (any client), once:
        - "wrong_audience": `aud` is another client's id (`azp` still names the client);
        - "wrong_issuer": `iss` is this issuer followed by "/other-tenant";
        - "nonce": `nonce` is not the one the client sent;
        - "expired": issued two hours ago, expired one hour ago;
        - "other_key": signed by a key that is not on the JWKS (under the provider's key id).
        `claims` then set any claim (e.g. exp=... for a test whose clock is frozen); every
        rewritten token but "other_key" is signed again with the provider's own key.
        `tamper_next_id_token(None)` clears a rewrite no token response has used."""
        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"{self.issuer}/__test/next-id-token", json={"tamper": tamper, "claims": claims}
            )
            response.raise_for_status()

    async def sign_in(
        self,
        authorization_url: str,
        account: Account | None,
        *,
        consent: bool = True,
        browser: httpx.AsyncClient | None = None,
    ) -> str:
        """Play the user's browser from `authorization_url`: sign in as `account` on the login
        page, answer the consent page (Continue, or Cancel when `consent` is false), and return
        the URL the provider redirects back to (with code and state, or an error) without
        following it. Pass `browser` (an httpx client that does not follow redirects) to keep the
        provider's session cookie across sign-ins: a signed-in user is sent straight back, and
        `account` may then be None."""
        async with contextlib.AsyncExitStack() as stack:
            if browser is None:
                browser = await stack.enter_async_context(httpx.AsyncClient())
            response = await browser.get(authorization_url)
            for _ in range(12):
                if response.is_redirect:
                    url = str(response.url.join(response.headers["location"]))
                    if not _same_origin(url, self.issuer):
                        return url
                    response = await browser.get(url)
                elif 'name="password"' in response.text and response.status_code == 200:
                    if account is None:
                        raise AssertionError("the provider asks to sign in; no account was given")
                    response = await browser.post(
                        _action(response, "login"),
                        data={"login": account.login, "password": account.password},
                    )
                elif "/confirm" in response.text and response.status_code == 200:
                    answer = "confirm" if consent else "abort"
                    response = await browser.post(_action(response, answer))
                else:
                    raise AssertionError(
                        f"the provider answered {response.status_code} at {response.url}:\n"
                        f"{response.text[:2000]}"
                    )
            raise AssertionError("the provider never redirected back to the client")


def _same_origin(url: str, other: str) -> bool:
    a, b = httpx.URL(url), httpx.URL(other)
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


def _action(page: httpx.Response, name: str) -> str:
    """The URL of a form action on provider.js's pages (its own markup, so a pattern will do)."""
    match = re.search(rf'action="(/interaction/[\w-]+/{name})"', page.text)
    if not match:
        raise AssertionError(f"no {name} form on the provider's page:\n{page.text[:2000]}")
    return str(page.url.join(match.group(1)))


@contextlib.contextmanager
def running_provider(
    clients: Sequence[Client], accounts: Sequence[Account]
) -> Iterator[OidcProvider]:
    """The provider on a free port with these clients and accounts, until the block ends."""
    node = shutil.which("node")
    require("Node.js (node on the PATH)", node is not None)
    require(
        "the test OpenID provider's npm packages (make install)",
        (HERE / "node_modules" / "oidc-provider").is_dir(),
    )
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    config = {
        "port": port,
        "clients": [asdict(client) for client in clients],
        "accounts": [asdict(account) for account in accounts],
    }
    descriptor, name = tempfile.mkstemp(prefix="oidc-provider-", suffix=".log")
    log = Path(name)
    with os.fdopen(descriptor, "w") as output:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [node, "provider.js"], cwd=HERE, stdin=subprocess.PIPE, stdout=output, stderr=output
        )
    started = False
    try:
        process.stdin.write(json.dumps(config).encode())
        process.stdin.close()
        _wait_for_discovery(process, issuer, log)
        started = True
        yield OidcProvider(issuer, tuple(clients), tuple(accounts), log)
    finally:
        stop_process(process)
        output = log.read_text()
        log.unlink()
        if started and output:  # it is quiet when all is well: an error or a warning is news
            warnings.warn(f"the test OpenID provider wrote:\n{output}", stacklevel=1)


def _wait_for_discovery(process: subprocess.Popen, issuer: str, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and process.poll() is None:
        try:
            response = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1)
            if response.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the test OpenID provider did not start; its output:\n{log.read_text()}")
