"""Tenant isolation, walked over every route: each route that takes an id or a token
answers 404 on another clinic's host, while the same request works on its own; and a
clinic's own pages (its home, its dev outbox) show nothing of the other's."""

from __future__ import annotations

import re
from datetime import time, timedelta

from app.booking.tables import Appointment
from app.events import Actor
from app.listeners import make_bus
from app.scheduling.templates import TemplateBlock, TemplateService
from tests.integration import demo_lookup
from tests.integration.platform_helpers import platform_values
from tests.integration.polling import until
from tests.integration.portal_helpers import (
    MARIE,
    book_marie_follow_up,
    choose_service,
    identify,
    my_sessions,
    open_follow_ups,
)
from tests.integration.staff_helpers import signed_in
from tests.integration.video_helpers import book_teleconsultation
from tests.integration.waitlist_helpers import earlier_offer
from tests.moments import NOW, freeze

# Routes that carry nothing of a clinic's (the platform page, health, assets).
HOST_FREE = {"/healthz", "/static/{file_path:path}"}
# Streams never end, which an in-memory client waits for: /staff/live's isolation (the
# session's clinic only) is tested through a real server in test_live_agenda.py.
STREAMS = {"/staff/live"}
SIGNS_OUT = {"/staff/sign-out"}  # walked last would do; skipped, the walk needs its session


async def demo_values(demo) -> dict[str, str]:
    """Real values of the demo clinic for every path parameter."""
    freeze()
    await open_follow_ups()
    done = await book_marie_follow_up(demo)
    link = re.search(r'href="/a/([^"]+)"', done).group(1)
    service_url = (await identify(demo, MARIE)).headers["location"]
    await choose_service(demo, service_url, "Suivi avec mon médecin de famille")
    session = service_url.split("/b/")[1].split("/")[0]
    booked = await Appointment.select(Appointment.id, Appointment.slot).first()
    invitation = await staff_invitation()
    clinic = await demo_lookup.clinic_id("demo")
    video = await book_teleconsultation(NOW + timedelta(minutes=10))
    my_code, my_list = await my_sessions(demo)
    return {
        "my_code": my_code,  # My appointments: a session waiting for its code, one open
        "my_list": my_list,
        "site_slug": "centre-ville",
        "session": session,
        "link": link,
        "action": "confirm",
        "slot_id": str(booked["slot"]),
        "appointment_id": str(booked["id"]),
        # A call's routes need a teleconsultation in its room's open window.
        "video_link": video.token,
        "video_appointment_id": str(video.appointment_id),
        "invitation": invitation,
        # The staff agenda's views (each clinic's staff signed in: see the test).
        "practitioner_id": str(await demo_lookup.practitioner_id(clinic, "Dre Julie Roy")),
        "site_id": str(await demo_lookup.site_id(clinic, "centre-ville")),
        "patient_id": str(await demo_lookup.patient_id(clinic, "Tremblay")),
        "contact_id": str(await demo_lookup.contact_id(clinic, "Tremblay")),
        "view": "week",
        "day": "2026-11-25",
        **await staff_values(),
        **await account_values(),
        **await shared_file(video),
        **await platform_values(),
        **dict(zip(("earlier_offer", "earlier_stop"), await earlier_offer(session))),
    }


async def shared_file(video) -> dict[str, str]:
    """A file shared in the teleconsultation's call, for the download routes."""
    from app.video.tables import CallFile

    await CallFile.insert(
        CallFile(
            clinic=video.clinic_id,
            appointment=video.appointment_id,
            side="patient",
            author="Marie Tremblay",
            name="a.pdf",
            media_type="application/pdf",
            size=5,
            content=b"%PDF-",
            key="k" * 43,
            shared_at=NOW,
        )
    )
    return {"file_key": "k" * 43}


async def staff_values() -> dict[str, str]:
    """Ids of the demo clinic's staff pages: two schedule templates, one for the delete
    route (which really deletes on its own clinic) and one for the others."""
    demo = await demo_lookup.clinic_id("demo")
    templates = TemplateService(clinic_id=demo, bus=make_bus())
    block = TemplateBlock(0, time(9), time(12), await demo_lookup.activity_id(demo, "Suivi"))
    ids = [
        await templates.save(
            template_id=None, name=name, blocks=[block], actor=Actor.system("test")
        )
        for name in ("Isolation", "Isolation, deleted")
    ]
    from app.online_services.tables import OnlineService
    from app.scheduling.tables import AppointmentType

    service = (
        await OnlineService.select(OnlineService.id).where(OnlineService.clinic == demo).first()
    )
    return {
        "template": str(ids[0]),
        "doomed_template": str(ids[1]),
        "service": str(service["id"]),  # the administration's online services
        # The administration's catalogue: one `row_id` per kind, told apart by the path.
        "row:activities": str(await demo_lookup.activity_id(demo, "Suivi")),
        "row:appointment-types": str(
            (
                await AppointmentType.select(AppointmentType.id)
                .where(AppointmentType.clinic == demo)
                .first()
            )["id"]
        ),
        "row:practitioners": str(await demo_lookup.practitioner_id(demo, "Dre Julie Roy")),
        "preset": str(await _preset_id(demo)),  # a predefined amount (payments administration)
    }


async def _preset_id(clinic: int) -> int:
    from app.payments.options import payment_options

    return (await payment_options(clinic_id=clinic)).presets[-1].id


async def account_values() -> dict[str, str]:
    """A staff account of the demo clinic, and a link to set its password."""
    from app.staff import password_invitations
    from app.staff.tables import StaffAccount

    julie = await (
        StaffAccount.select(StaffAccount.id, StaffAccount.clinic)
        .where(StaffAccount.email == "julie.roy@demo.localhost")
        .first()
    )
    token = await password_invitations.create(
        clinic_id=julie["clinic"], account_id=julie["id"], by=julie["id"]
    )
    return {"account_id": str(julie["id"]), "password_invitation": token}


async def staff_invitation() -> str:
    """An administrator's invitation to link the secretary to the clinic's provider."""
    from app.staff import invitations
    from app.staff.tables import StaffAccount

    def account(email: str):
        return StaffAccount.select(StaffAccount.id, StaffAccount.clinic).where(
            StaffAccount.email == email
        )

    secretary = await account("secretariat@demo.localhost").first()
    admin = await account("admin@demo.localhost").first()
    return await invitations.create(
        clinic_id=secretary["clinic"], account_id=secretary["id"], by=admin["id"]
    )


def concrete(path: str, values: dict[str, str]) -> str:
    if path.startswith("/staff/platform-sessions/"):
        values = {**values, "appointment_id": values["platform_appointment_id"]}
    if "/room" in path or path.startswith(("/staff/calls/", "/staff/waiting-room/")):
        values = {
            **values,
            "link": values["video_link"],
            "appointment_id": values["video_appointment_id"],
        }
    token = (
        values["link"]
        if path.startswith("/a/")
        else values["earlier_stop"]
        if path.startswith("/{site_slug:str}/earlier/stop/")
        else values["earlier_offer"]
        if path.startswith("/{site_slug:str}/earlier/")
        else values["invitation"]
        if path.startswith("/staff/sign-in/oidc/invitation/")
        else values["password_invitation"]
        if path.startswith("/staff/set-password/")
        else (values["my_code"] if path.endswith("/code") else values["my_list"])
        if "/my/" in path
        else values["session"]
    )
    template = values["doomed_template"] if path.endswith("/delete") else values["template"]
    if "{row_id:int}" in path:
        kind = path.split("/catalogue/")[1].split("/")[0]
        path = path.replace("{row_id:int}", values[f"row:{kind}"])
    return (
        path.replace("{template_id:int}", template)
        .replace("{site_slug:str}", values["site_slug"])
        .replace("{token:str}", token)
        .replace("{action:str}", values["action"])
        .replace("{slot_id:int}", values["slot_id"])
        .replace("{appointment_id:int}", values["appointment_id"])
        .replace("{practitioner_id:int}", values["practitioner_id"])
        .replace("{site_id:int}", values["site_id"])
        .replace("{patient_id:int}", values["patient_id"])
        .replace("{contact_id:int}", values["contact_id"])
        .replace("{view:str}", values["view"])
        .replace("{day:date}", values["day"])
        .replace("{service_id:int}", values["service"])
        .replace("{account_id:int}", values["account_id"])
        .replace("{key:str}", values["file_key"])
        .replace("{preset_id:int}", values["preset"])
    )


def concrete_routes(routes, values: dict[str, str]):
    """(route, its concrete path) for each route; a route with a parameter no value is
    known for stops the sweep, so a new route cannot go unwalked."""
    for route in routes:
        path = concrete(route.path, values)
        if "{" in path:
            raise AssertionError(f"no value for a parameter of {route.path}: add it to demo_values")
        yield route, path


async def delivered(demo, link: str) -> None:
    """Until the demo clinic's outbox shows Marie's confirmation, which the app's own
    dispatcher sends (the laptop default: no mail server, no Redis)."""

    async def shown() -> bool:
        return link in (await demo.get("/dev/outbox")).text

    await until(shown, what="the confirmation in the dev outbox", timeout=10)


async def test_every_route_with_an_id_is_404_on_another_clinics_host(web_app, demo, autre):
    values = await demo_values(demo)
    # Staff routes are walked signed in on each host (else both answer the sign-in page),
    # posts carrying each host's own CSRF token.
    await signed_in(demo, "secretariat@demo.localhost")
    await signed_in(autre, "admin@autre.localhost")
    for client in (demo, autre):
        client.headers["x-csrftoken"] = client.cookies["csrftoken"]
    routes = [
        route for route in web_app.routes if route.path not in HOST_FREE | SIGNS_OUT | STREAMS
    ]
    if "/dev/outbox" in {route.path for route in routes}:  # mounted on the embedded default only
        await delivered(demo, values["link"])
    walked = 0
    for route, path in concrete_routes(routes, values):
        for method in sorted(set(route.methods) & {"GET", "POST"}):
            own = await demo.request(method, path)
            other = await autre.request(method, path)
            if "{" not in route.path:
                # A page of each clinic's own: the other clinic's shows none of it.
                assert (
                    "marie.tremblay@example.org" not in other.text
                    and "Clinique Démo" not in other.text
                )
                assert values["link"] not in other.text, (
                    f"{method} {path} shows the demo clinic's link"
                )
                continue
            assert own.status_code != 404, f"{method} {path} should work on its own clinic"
            assert other.status_code == 404, (
                f"{method} {path} answered {other.status_code} on another clinic"
            )
            assert "Dre Julie Roy" not in other.text and "Centre-ville" not in other.text
            walked += 1
    assert walked >= 12  # every id-bearing route, GET and POST


async def test_the_list_to_reconcile_is_the_clinics_own(demo, autre):
    """A stranger's online booking at the demo clinic: listed and counted there only;
    the other clinic's staff cannot attach it or make a file of it (404)."""
    from tests.integration.portal_helpers import STRANGER
    from tests.integration.test_identity_takeover import open_urgent_consultations

    freeze()
    await open_urgent_consultations(NOW.date() + timedelta(days=1))
    await book_marie_follow_up(demo, STRANGER, service="Consultation urgente")
    appointment = (await Appointment.select(Appointment.id).first())["id"]
    await signed_in(demo, "secretariat@demo.localhost")
    await signed_in(autre, "admin@autre.localhost")
    own = await demo.get("/staff/reconcile")
    other = await autre.get("/staff/reconcile")
    assert f'id="appointment-{appointment}"' in own.text and "Inconnu" in own.text
    assert "Inconnu" not in other.text and 'id="nav-count-staff-reconcile"' not in other.text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', other.text).group(1)
    for action in ("attach", "create"):
        response = await autre.post(
            f"/staff/reconcile/{appointment}/{action}", data={"patient": "1", "_csrf_token": token}
        )
        assert response.status_code == 404 and "Inconnu" not in response.text
    row = await Appointment.select(Appointment.patient).where(Appointment.id == appointment).first()
    assert row["patient"] is None
