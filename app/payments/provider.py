"""The payment provider, through its official SDK (stripe): a Checkout Session per
payment request, created with the request's Idempotency-Key so that a retry (ours, or
the SDK's own after a lost answer) returns the same session instead of a second one.
The base URL and the key come from settings (PAYMENT_API_BASE, PAYMENT_SECRET_KEY):
the tests point them at a local server that speaks the same API."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import stripe

from app.settings import PaymentProvider

log = logging.getLogger("app.payments")
RETRIES = 2  # the SDK retries a lost connection itself, with the same Idempotency-Key
TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class CheckoutOrder:
    """What the patient is asked to pay, and where the provider sends them back."""

    payment_id: int
    clinic_id: int
    amount_cents: int
    currency: str
    description: str
    back_url: str  # our page, after paying or giving up
    idempotency_key: str


@dataclass(frozen=True)
class Checkout:
    session_id: str
    url: str


class ProviderUnavailable(Exception):
    """The provider could not be reached or refused the request; nothing was paid."""


def _client(provider: PaymentProvider) -> tuple[stripe.StripeClient, stripe.HTTPXClient]:
    # One per call: an httpx client belongs to the event loop that made it.
    http = stripe.HTTPXClient(timeout=TIMEOUT_SECONDS)
    client = stripe.StripeClient(
        provider.secret_key,
        base_addresses={"api": provider.api_base},
        http_client=http,
        max_network_retries=RETRIES,
    )
    return client, http


async def expire_checkout(provider: PaymentProvider, session_id: str) -> bool:
    """Close a session that a newer request replaces, so that its page can no longer be
    paid. False if the provider refused (it may be paid or expired already)."""
    client, http = _client(provider)
    try:
        await client.v1.checkout.sessions.expire_async(session_id)
        return True
    except stripe.StripeError as error:
        log.warning("payments: the provider did not expire a checkout session: %s", error)
        return False
    finally:
        await http.close_async()


async def create_checkout(provider: PaymentProvider, order: CheckoutOrder) -> Checkout:
    client, http = _client(provider)
    params = {
        "mode": "payment",
        "success_url": order.back_url,
        "cancel_url": order.back_url,
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": order.currency,
                    "unit_amount": order.amount_cents,
                    "product_data": {"name": order.description},
                },
            }
        ],
        # Read back from the webhook: which request, of which clinic (both checked there).
        "client_reference_id": str(order.payment_id),
        "metadata": {"payment_request": str(order.payment_id), "clinic": str(order.clinic_id)},
    }
    try:
        session = await client.v1.checkout.sessions.create_async(
            params, options={"idempotency_key": order.idempotency_key}
        )
    except stripe.StripeError as error:
        log.warning("payments: the provider refused a checkout session: %s", error)
        raise ProviderUnavailable(str(error)) from error
    finally:
        await http.close_async()
    if not session.id or not session.url:
        raise ProviderUnavailable("a session without an id or a URL")
    return Checkout(session.id, session.url)
