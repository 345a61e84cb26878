"""The call's chat and shared files over HTTP (issue 13): who may read and post, what is
refused (and then nothing is stored), how a file is served, what is audited, and what
the other side hears on the room's channel."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import time, timedelta

import pytest
from litestar.channels import ChannelsPlugin

from app import clock
from app.booking.tables import Appointment
from app.video.channels import room_channel
from app.video.tables import CallFile, CallMessage
from tests.integration.audit_helpers import entries
from tests.integration.chat_helpers import THURSDAY, book_teleconsultation, link_of
from tests.integration.demo_lookup import clinic_id
from tests.integration.messaging_helpers import local
from tests.integration.staff_helpers import csrf, signed_in
from tests.integration.web import clinic_client
from tests.moments import freeze

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
IN_THE_WINDOW = local(THURSDAY, time(14, 50))  # the call is at 15:00-15:30


def form_token(html: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', html).group(1)


@pytest.fixture
async def call(demo_data):
    freeze()
    appointment = await book_teleconsultation()
    clock.freeze(IN_THE_WINDOW)
    return appointment, await link_of(appointment)


@pytest.fixture
async def julie(web_app):
    async with clinic_client(web_app, "demo") as client:
        yield await signed_in(client, "julie.roy@demo.localhost")


async def patient_says(demo, link: str, text: str, **headers):
    panel = await demo.get(f"/a/{link}/room/chat")
    assert panel.status_code == 200, panel.text
    return await demo.post(
        f"/a/{link}/room/messages",
        data={"message": text, "form_token": form_token(panel.text)},
        headers=headers,
    )


async def patient_shares(demo, link: str, name: str, content: bytes, kind="application/pdf"):
    panel = await demo.get(f"/a/{link}/room/chat")
    return await demo.post(
        f"/a/{link}/room/files",
        data={"form_token": form_token(panel.text)},
        files={"file": (name, content, kind)},
    )


async def staff_says(client, appointment: int, text: str):
    panel = await client.get(f"/staff/calls/{appointment}/chat")
    return await client.post(
        f"/staff/calls/{appointment}/messages",
        data={"message": text, "_csrf_token": csrf(panel.text)},
    )


async def messages() -> list[dict]:
    return await CallMessage.select().order_by(CallMessage.id)


async def stored_files() -> list[dict]:
    return await CallFile.select(CallFile.name, CallFile.media_type, CallFile.size, CallFile.key)


async def test_both_sides_chat_and_each_reads_the_other(call, demo, julie):
    appointment, link = call
    said = await patient_says(demo, link, "  Bonjour docteure  ")
    assert said.status_code == 303 and said.headers["location"] == f"/a/{link}/room/chat"
    answered = await staff_says(julie, appointment, "Bonjour Marie")
    assert answered.status_code == 303
    assert [(m["side"], m["author"], m["body"]) for m in await messages()] == [
        ("patient", "Marie Tremblay", "Bonjour docteure"),  # trimmed
        ("staff", "Dre Julie Roy", "Bonjour Marie"),
    ]
    for page in (
        await demo.get(f"/a/{link}/room/chat"),
        await julie.get(f"/staff/calls/{appointment}/chat"),
    ):
        text = page.text
        assert text.index("Bonjour docteure") < text.index("Bonjour Marie")
        assert 'id="chat-message"' in text and 'type="file"' in text
    # With htmx, a post answers the panel itself, the new line in it.
    fragment = await patient_says(demo, link, "Je vous entends", **{"HX-Request": "true"})
    assert fragment.status_code == 200
    assert 'id="chat-panel"' in fragment.text and "<header" not in fragment.text
    assert "Je vous entends" in fragment.text


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("   \n ", "Écrivez un message."),
        ("x" * 2001, "Un message compte au plus 2000 caractères."),
        ("bon\x00jour", "Ce message contient un caractère qui ne peut pas être envoyé."),
    ],
)
async def test_a_bad_message_is_refused_next_to_the_field_and_nothing_is_stored(
    call, demo, text, error
):
    _appointment, link = call
    refused = await patient_says(demo, link, text)
    assert refused.status_code == 422
    assert error in refused.text and 'id="chat-message-error"' in refused.text
    assert await messages() == []


async def test_2000_characters_are_accepted(call, demo):
    _appointment, link = call
    assert (await patient_says(demo, link, "é" * 2000)).status_code == 303
    assert len((await messages())[0]["body"]) == 2000


async def test_a_shared_file_is_stored_audited_and_served_as_an_attachment(call, demo, julie):
    appointment, link = call
    shared = await patient_shares(demo, link, "C:\\Users\\marie\\Résultats sanguins.pdf", PDF)
    assert shared.status_code == 303, shared.text
    [row] = await stored_files()
    assert row["name"] == "Résultats sanguins.pdf" and row["media_type"] == "application/pdf"
    assert len(row["key"]) == 43 and row["size"] == len(PDF)
    demo_clinic = await clinic_id("demo")
    [audited] = await entries(demo_clinic, "call.file_shared")
    assert audited["after"] == {
        "name": "Résultats sanguins.pdf",
        "type": "application/pdf",
        "size": len(PDF),
    }
    assert audited["appointment_id"] == appointment and audited["actor_kind"] == "patient"

    for client, url in (
        (demo, f"/a/{link}/room/files/{row['key']}"),
        (julie, f"/staff/calls/{appointment}/files/{row['key']}"),
    ):
        got = await client.get(url)
        assert got.status_code == 200 and got.content == PDF
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["content-disposition"] == (
            'attachment; filename="Resultats sanguins.pdf"; '
            "filename*=UTF-8''R%C3%A9sultats%20sanguins.pdf"
        )
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["cache-control"] == "private, no-store"
    # Listed in both panels, with its download link.
    assert f"/a/{link}/room/files/{row['key']}" in (await demo.get(f"/a/{link}/room/chat")).text
    staff_panel = (await julie.get(f"/staff/calls/{appointment}/chat")).text
    assert f"/staff/calls/{appointment}/files/{row['key']}" in staff_panel


async def test_the_staff_share_a_file_too_and_the_type_comes_from_the_content(call, demo, julie):
    appointment, link = call
    panel = await julie.get(f"/staff/calls/{appointment}/chat")
    shared = await julie.post(
        f"/staff/calls/{appointment}/files",
        data={"_csrf_token": csrf(panel.text)},
        files={"file": ("ordonnance.pdf", PNG, "application/pdf")},  # a PNG named .pdf
    )
    assert shared.status_code == 303, shared.text
    [row] = await stored_files()
    assert (row["name"], row["media_type"]) == ("ordonnance.png", "image/png")
    [audited] = await entries(await clinic_id("demo"), "call.file_shared")
    assert audited["actor_kind"] == "staff" and audited["after"]["type"] == "image/png"
    assert "ordonnance.png" in (await demo.get(f"/a/{link}/room/chat")).text


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        (
            "rapport.pdf",
            b"<html><script>alert(1)</script></html>",
            "Seuls les fichiers PDF, PNG et JPEG",
        ),
        ("vide.pdf", b"", "Choisissez un fichier."),
        ("gros.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024 - 4), "Ce fichier est trop volumineux"),
    ],
)
async def test_a_wrong_or_empty_or_too_big_file_is_refused_and_nothing_is_stored(
    call, demo, name, content, error
):
    _appointment, link = call
    refused = await patient_shares(demo, link, name, content)
    assert refused.status_code == (413 if name == "gros.pdf" else 422)
    assert error in refused.text and 'id="chat-file-error"' in refused.text
    assert await stored_files() == []
    assert await entries(await clinic_id("demo"), "call.file_shared") == []


async def test_exactly_10_mb_is_accepted(call, demo):
    _appointment, link = call
    content = b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024 - 3)
    assert (
        await patient_shares(demo, link, "photo.jpeg", content, "image/jpeg")
    ).status_code == 303
    assert [row["size"] for row in await stored_files()] == [10 * 1024 * 1024]


async def test_a_body_over_the_limit_is_stopped_with_a_clear_message(call, demo, julie):
    appointment, link = call
    huge = b"%PDF-" + b"0" * (11 * 1024 * 1024)
    refused = await patient_shares(demo, link, "huge.pdf", huge)
    assert refused.status_code == 413 and "Ce fichier est trop volumineux" in refused.text
    # With htmx the panel says it (a 422 swaps the panel, a 413 the whole page).
    panel = await demo.get(f"/a/{link}/room/chat")
    fragment = await demo.post(
        f"/a/{link}/room/files",
        data={"form_token": form_token(panel.text)},
        files={"file": ("huge.pdf", huge, "application/pdf")},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 422 and 'id="chat-file-error"' in fragment.text
    # The staff's plain form: Litestar's CSRF check reads the body first; still a page that says so.
    staff_panel = await julie.get(f"/staff/calls/{appointment}/chat")
    plain = await julie.post(
        f"/staff/calls/{appointment}/files",
        data={"_csrf_token": csrf(staff_panel.text)},
        files={"file": ("huge.pdf", huge, "application/pdf")},
    )
    assert plain.status_code == 413 and "10 Mo" in plain.text
    with_header = await julie.post(
        f"/staff/calls/{appointment}/files",
        files={"file": ("huge.pdf", huge, "application/pdf")},
        headers={"HX-Request": "true", "x-csrftoken": julie.cookies["csrftoken"]},
    )
    assert with_header.status_code == 422 and "Ce fichier est trop volumineux" in with_header.text
    assert await stored_files() == []


async def test_another_appointments_file_key_is_404(call, demo, julie):
    appointment, link = call
    await patient_shares(demo, link, "a.pdf", PDF)
    [row] = await stored_files()
    other = await book_teleconsultation(local(THURSDAY, time(15, 30)), patient="jean")
    other_link = await link_of(other)
    assert (await demo.get(f"/a/{other_link}/room/files/{row['key']}")).status_code == 404
    assert (await julie.get(f"/staff/calls/{other}/files/{row['key']}")).status_code == 404
    assert (await demo.get(f"/a/{link}/room/files/{row['key'][:-1]}x")).status_code == 404
    # And the other appointment's panel shows none of it.
    assert "a.pdf" not in (await demo.get(f"/a/{other_link}/room/chat")).text


async def test_another_clinics_staff_get_404(call, demo, web_app):
    appointment, link = call
    await patient_shares(demo, link, "a.pdf", PDF)
    key = (await stored_files())[0]["key"]
    async with clinic_client(web_app, "autre") as autre:
        await signed_in(autre, "admin@autre.localhost")
        for url in (f"/staff/calls/{appointment}/chat", f"/staff/calls/{appointment}/files/{key}"):
            assert (await autre.get(url)).status_code == 404
        page = await autre.get("/staff/")
        posted = await autre.post(
            f"/staff/calls/{appointment}/messages",
            data={"message": "x", "_csrf_token": csrf(page.text)},
        )
        assert posted.status_code == 404
        # The patient's link on the other clinic's host: 404 too.
        assert (await autre.get(f"/a/{link}/room/chat")).status_code == 404
    assert len(await messages()) == 0


async def test_a_secretary_reads_the_chat_but_cannot_post(call, demo, web_app):
    appointment, link = call
    await patient_says(demo, link, "Allô")
    async with clinic_client(web_app, "demo") as desk:
        await signed_in(desk, "secretariat@demo.localhost")
        panel = await desk.get(f"/staff/calls/{appointment}/chat")
        assert panel.status_code == 200 and "Allô" in panel.text
        assert 'id="chat-message"' not in panel.text and 'type="file"' not in panel.text
        posted = await desk.post(
            f"/staff/calls/{appointment}/messages",
            data={"message": "Je peux ?", "_csrf_token": csrf(panel.text)},
        )
        assert posted.status_code == 403
        shared = await desk.post(
            f"/staff/calls/{appointment}/files",
            data={"_csrf_token": csrf(panel.text)},
            files={"file": ("a.pdf", PDF, "application/pdf")},
        )
        assert shared.status_code == 403
    assert [m["body"] for m in await messages()] == ["Allô"] and await stored_files() == []


async def test_a_tampered_or_expired_link_is_404_and_after_the_window_the_chat_is_read_only(
    call, demo
):
    appointment, link = call
    await patient_says(demo, link, "Merci")
    await patient_shares(demo, link, "a.pdf", PDF)
    key = (await stored_files())[0]["key"]
    tampered = link[:-2] + ("AA" if not link.endswith("AA") else "BB")
    assert (await demo.get(f"/a/{tampered}/room/chat")).status_code == 404
    # An hour after the end the room closes: still readable from the link, no more posts.
    clock.freeze(local(THURSDAY, time(16, 20)))
    panel = await demo.get(f"/a/{link}/room/chat")  # left open in a tab
    clock.freeze(local(THURSDAY, time(16, 31)))
    after = await demo.get(f"/a/{link}/room/chat")
    assert (
        after.status_code == 200 and "Merci" in after.text and 'id="chat-message"' not in after.text
    )
    assert (await demo.get(f"/a/{link}/room/files/{key}")).status_code == 200
    late = await demo.post(
        f"/a/{link}/room/messages", data={"message": "Encore", "form_token": form_token(panel.text)}
    )
    assert late.status_code == 409 and "fermée" in late.text
    assert [m["body"] for m in await messages()] == ["Merci"]
    # Once the link itself expires (12 hours after the end), nothing at all.
    clock.freeze(local(THURSDAY, time(15, 30)) + timedelta(hours=12, seconds=1))
    assert (await demo.get(f"/a/{link}/room/chat")).status_code == 404
    assert (await demo.get(f"/a/{link}/room/files/{key}")).status_code == 404


async def test_a_stale_or_missing_form_token_is_refused(call, demo):
    _appointment, link = call
    refused = await demo.post(
        f"/a/{link}/room/messages", data={"message": "Hop", "form_token": "1.x"}
    )
    assert refused.status_code == 409 and "Cette page a expiré" in refused.text
    assert await messages() == []


async def test_a_post_is_heard_on_the_rooms_channel(call, demo, julie, web_app):
    appointment, link = call
    channels = web_app.plugins.get(ChannelsPlugin)
    demo_clinic = await clinic_id("demo")
    async with channels.start_subscription([room_channel(demo_clinic, appointment)]) as subscriber:
        await patient_says(demo, link, "Vous m'entendez ?")
        await staff_says(julie, appointment, "Oui")
        panel = await julie.get(f"/staff/calls/{appointment}/chat")
        await julie.post(
            f"/staff/calls/{appointment}/files",
            data={"_csrf_token": csrf(panel.text)},
            files={"file": ("scan.jpg", JPEG, "image/jpeg")},
        )
        heard = []

        async def listen():
            async for raw in subscriber.iter_events():
                heard.append(json.loads(raw))
                if len(heard) == 3:
                    return

        await asyncio.wait_for(listen(), timeout=5)
    assert [(e["type"], e["side"]) for e in heard] == [
        ("chat", "patient"),
        ("chat", "staff"),
        ("file", "staff"),
    ]
    assert heard[0]["data"]["body"] == "Vous m'entendez ?"
    assert heard[0]["data"]["author"] == "Marie Tremblay"
    assert heard[2]["data"]["name"] == "scan.jpg" and "content" not in heard[2]["data"]
    assert len(heard[2]["data"]["key"]) == 43


async def test_not_a_video_room_is_404(demo_data, demo, julie):
    from tests.integration.chat_helpers import demo_world

    freeze()
    world = await demo_world()
    on_site = await world.staff_book(local(THURSDAY, time(10)))
    link = await link_of(on_site)
    clock.freeze(local(THURSDAY, time(9, 50)))
    assert (await demo.get(f"/a/{link}/room/chat")).status_code == 404
    assert (await julie.get(f"/staff/calls/{on_site}/chat")).status_code == 404


async def test_after_the_call_the_details_page_and_the_staff_view_list_the_chat_and_files(
    call, demo, julie, web_app
):
    appointment, link = call
    await patient_says(demo, link, "Voici mes résultats")
    clock.freeze(IN_THE_WINDOW + timedelta(minutes=1))
    await patient_shares(demo, link, "résultats.pdf", PDF)
    clock.freeze(IN_THE_WINDOW + timedelta(minutes=2))
    await staff_says(julie, appointment, "Merci, je les lis")
    key = (await stored_files())[0]["key"]
    clock.freeze(local(THURSDAY, time(17)))  # the room is closed; the link still works
    details = (await demo.get(f"/a/{link}")).text
    assert "Discussion et fichiers de la téléconsultation" in details
    assert details.index("Voici mes résultats") < details.index("résultats.pdf")
    assert details.index("résultats.pdf") < details.index("Merci, je les lis")
    assert f'href="/a/{link}/room/files/{key}"' in details
    slot = (await Appointment.select(Appointment.slot).where(Appointment.id == appointment))[0]
    for who in ("julie.roy@demo.localhost", "secretariat@demo.localhost"):
        async with clinic_client(web_app, "demo") as staff:
            await signed_in(staff, who)
            view = (await staff.get(f"/staff/slots/{slot['slot']}")).text
            assert "Voici mes résultats" in view and "Merci, je les lis" in view
            assert f'href="/staff/calls/{appointment}/files/{key}"' in view
    # An appointment without a call shows no such list.
    other = await book_teleconsultation(local(THURSDAY, time(15, 30)), patient="jean")
    assert "Discussion et fichiers" not in (await demo.get(f"/a/{await link_of(other)}")).text


async def test_the_panel_fragment_leaves_the_call_pages_address_and_title(call, demo):
    _appointment, link = call
    fragment = await demo.get(f"/a/{link}/room/chat", headers={"HX-Request": "true"})
    assert fragment.headers["hx-push-url"] == "false"
    assert fragment.text.lstrip().startswith('<div id="chat-panel"')


async def test_a_body_over_the_routes_limit_is_refused_even_when_the_file_fits(call, demo):
    _appointment, link = call
    panel = await demo.get(f"/a/{link}/room/chat")
    refused = await demo.post(
        f"/a/{link}/room/files",
        data={"form_token": form_token(panel.text), "padding": "x" * 100_000},
        files={"file": ("a.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024 - 5), "application/pdf")},
    )
    assert refused.status_code == 413 and "Ce fichier est trop volumineux" in refused.text
    assert await stored_files() == []


async def test_the_queries_read_only_the_given_clinics_rows(call, demo):
    """Behind the room pass, each query filters on the clinic too (fail closed)."""
    from app.video import chat, files

    appointment, link = call
    await patient_says(demo, link, "Allô")
    await patient_shares(demo, link, "a.pdf", PDF)
    key = (await stored_files())[0]["key"]
    demo_clinic, autre = await clinic_id("demo"), await clinic_id("autre")
    assert await files.download(clinic_id=demo_clinic, appointment_id=appointment, key=key)
    assert await files.download(clinic_id=autre, appointment_id=appointment, key=key) is None
    assert await files.shared_files(clinic_id=autre, appointment_id=appointment) == []
    assert len(await chat.lines(clinic_id=demo_clinic, appointment_id=appointment)) == 1
    assert await chat.lines(clinic_id=autre, appointment_id=appointment) == []


async def test_a_post_from_another_site_is_refused(call, demo):
    _appointment, link = call
    panel = await demo.get(f"/a/{link}/room/chat")
    refused = await demo.post(
        f"/a/{link}/room/messages",
        data={"message": "Hop", "form_token": form_token(panel.text)},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert refused.status_code == 403 and await messages() == []


async def test_a_cancelled_teleconsultation_keeps_its_chat_but_takes_no_more(call, demo, julie):
    from tests.integration.chat_helpers import demo_world

    appointment, link = call
    await patient_says(demo, link, "À bientôt")
    patient_panel = await demo.get(f"/a/{link}/room/chat")
    staff_panel = await julie.get(f"/staff/calls/{appointment}/chat")
    await (await demo_world()).cancel(appointment)
    late = await demo.post(
        f"/a/{link}/room/messages",
        data={"message": "Encore là ?", "form_token": form_token(patient_panel.text)},
    )
    assert late.status_code == 409
    refused = await julie.post(
        f"/staff/calls/{appointment}/messages",
        data={"message": "Annulé", "_csrf_token": csrf(staff_panel.text)},
    )
    assert refused.status_code == 409 and "fermée" in refused.text
    shared = await julie.post(
        f"/staff/calls/{appointment}/files",
        data={"_csrf_token": csrf(staff_panel.text)},
        files={"file": ("a.pdf", PDF, "application/pdf")},
    )
    assert shared.status_code == 409
    assert [m["body"] for m in await messages()] == ["À bientôt"]
    assert await stored_files() == []
    assert "À bientôt" in (await julie.get(f"/staff/calls/{appointment}/chat")).text


async def test_a_practitioner_neither_reads_nor_posts_in_another_practitioners_call(
    demo_data, demo, julie
):
    from tests.integration.chat_helpers import demo_world
    from tests.integration.demo_lookup import practitioner_id

    freeze()
    world = await demo_world()
    world.practitioner = await practitioner_id(world.clinic, "Dr Marc Gagnon")
    video = await world.activity("Téléconsultation", type_fr="Télémédecine")
    theirs = await world.staff_book(local(THURSDAY, time(16)), activity=video)
    link = await link_of(theirs)
    clock.freeze(local(THURSDAY, time(15, 55)))
    await patient_says(demo, link, "Bonjour Dr Gagnon")
    assert (await julie.get(f"/staff/calls/{theirs}/chat")).status_code == 404
    page = await julie.get("/staff/")
    posted = await julie.post(
        f"/staff/calls/{theirs}/messages", data={"message": "x", "_csrf_token": csrf(page.text)}
    )
    assert posted.status_code == 404
    # Nor in the slot's page, read-only for her.
    slot = (await Appointment.select(Appointment.slot).where(Appointment.id == theirs))[0]
    assert "Bonjour Dr Gagnon" not in (await julie.get(f"/staff/slots/{slot['slot']}")).text
