"""The earlier-slot messages (app.waitlist): "an earlier appointment is free, take it"
and "it went to someone else". Not about an appointment of the patient's: about an
offer, named by the message's idempotency key (`earlier:<offer id>:<what>:<channel>`).
Read when it goes, like every message: an offer whose slot went meanwhile, or whose
request was stopped, is dropped rather than sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jinja2 import Environment

from app import i18n
from app.i18n import N_, localized
from app.scheduling.tables import Slot
from app.templating import local_day, local_time
from app.waitlist.links import make_token, offer_path, stop_path
from app.waitlist.tables import Offer, OfferOutcome, WaitStatus

OFFER = "earlier_slot_offer"
TAKEN = "earlier_slot_taken"
KINDS = (OFFER, TAKEN)
SUBJECTS = {
    OFFER: N_("An earlier appointment is free"),
    TAKEN: N_("The earlier appointment has been taken"),
}


def key(offer_id: int, kind: str, channel: str) -> str:
    return f"earlier:{offer_id}:{kind}:{channel}"


def offer_of(idempotency_key: str) -> int | None:
    parts = idempotency_key.split(":")
    if len(parts) == 4 and parts[0] == "earlier" and parts[1].isdigit():
        return int(parts[1])
    return None


@dataclass(frozen=True)
class OfferFacts:
    offer_id: int
    offer_nonce: str
    outcome: str
    request_id: int
    request_nonce: str
    request_status: str
    address: str
    site_slug: str
    site_name_fr: str
    site_name_en: str
    starts_at: datetime
    slot_state: str
    practitioner_name: str


async def offer_facts(clinic_id: int, offer_ids: list[int]) -> dict[int, OfferFacts]:
    if not offer_ids:
        return {}
    request = Offer.request
    rows = await Offer.select(
        Offer.id,
        Offer.nonce,
        Offer.outcome,
        Offer.slot,
        request.id.as_alias("request_id"),
        request.nonce.as_alias("request_nonce"),
        request.status.as_alias("request_status"),
        request.address.as_alias("address"),
        request.site.slug.as_alias("site_slug"),
        request.site.name_fr.as_alias("site_name_fr"),
        request.site.name_en.as_alias("site_name_en"),
    ).where((Offer.clinic == clinic_id) & Offer.id.is_in(offer_ids))
    slots = {
        row["id"]: row
        for row in await Slot.select(
            Slot.id,
            Slot.starts_at,
            Slot.state,
            Slot.practitioner.name.as_alias("practitioner_name"),
        ).where((Slot.clinic == clinic_id) & Slot.id.is_in([r["slot"] for r in rows]))
    }
    found = {}
    for row in rows:
        slot = slots.get(row["slot"])
        if slot is None:
            continue
        found[row["id"]] = OfferFacts(
            offer_id=row["id"],
            offer_nonce=row["nonce"],
            outcome=row["outcome"],
            request_id=row["request_id"],
            request_nonce=row["request_nonce"],
            request_status=row["request_status"],
            address=row["address"],
            site_slug=row["site_slug"],
            site_name_fr=row["site_name_fr"] or "",
            site_name_en=row["site_name_en"] or "",
            starts_at=slot["starts_at"],
            slot_state=slot["state"],
            practitioner_name=slot["practitioner_name"] or "",
        )
    return found


def stale(kind: str, facts: OfferFacts | None, now: datetime) -> str:
    """Why the message no longer makes sense, or ''."""
    if facts is None:
        return "offer not found"
    if facts.request_status == WaitStatus.STOPPED:
        return "messages stopped"
    if kind == OFFER:
        if facts.outcome != OfferOutcome.OPEN or facts.slot_state != "open":
            return "slot no longer free"
        if facts.starts_at <= now:
            return "slot already started"
    return ""


@dataclass(frozen=True)
class EarlierRendered:
    subject: str
    text: str
    html: str
    sms: str


def render(
    env: Environment,
    *,
    kind: str,
    facts: OfferFacts,
    clinic: dict,
    language: str,
    base_url: str,
    secret: str,
) -> EarlierRendered:
    i18n.activate(language)
    zone = clinic["time_zone"]
    offer_url = base_url + offer_path(
        facts.site_slug, make_token(secret, "offer", facts.offer_id, facts.offer_nonce)
    )
    stop_url = base_url + stop_path(
        facts.site_slug, make_token(secret, "stop", facts.request_id, facts.request_nonce)
    )
    when = {
        "day": local_day(facts.starts_at, zone),
        "time": local_time(facts.starts_at, zone),
        "site": localized(facts, "site_name", language),
        "clinic": clinic["name"],
    }
    subject = i18n.gettext(SUBJECTS[kind])
    if kind == OFFER:
        lines = [
            i18n.gettext(
                "An earlier appointment is free at %(clinic)s: %(day)s at %(time)s, %(site)s.",
                **when,
            ),
            i18n.gettext(
                "It goes to the first person who books it. To take it in one step: %(url)s",
                url=offer_url,
            ),
        ]
    else:
        lines = [
            i18n.gettext(
                "The appointment of %(day)s at %(time)s at %(clinic)s has been taken by "
                "someone else. You stay on the list: we will tell you if another one opens.",
                **when,
            )
        ]
    stop = i18n.gettext("Stop these messages: %(url)s", url=stop_url)
    context = {
        "subject": subject,
        "lines": lines,
        "action_url": offer_url if kind == OFFER else "",
        "stop_url": stop_url,
        "clinic": clinic,
        "language": language,
    }
    return EarlierRendered(
        subject=subject,
        text="\n\n".join([*lines, stop]) + "\n",
        html=env.get_template("emails/earlier_slot.html").render(**context),
        sms=" ".join([*lines, stop]),
    )
