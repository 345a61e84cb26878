"""Signing staff in from tests: the demo accounts' password, the CSRF token of a page."""

from __future__ import annotations

import re

PASSWORD = "demo-password"


def csrf(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


async def sign_in(client, email: str, password: str = PASSWORD, next_page: str = ""):
    page = await client.get("/staff/sign-in")
    return await client.post(
        "/staff/sign-in",
        data={
            "email": email,
            "password": password,
            "next": next_page,
            "_csrf_token": csrf(page.text),
        },
    )


async def signed_in(client, email: str):
    """The client, signed in as this account (one without a second factor)."""
    response = await sign_in(client, email)
    assert response.status_code == 303, response.text
    return client
