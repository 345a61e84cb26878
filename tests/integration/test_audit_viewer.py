"""The audit log's viewer and CSV export, for administrators of the clinic only: readable
rows newest first, filters in the URL, bad filters answered next to the field, formulas
defused in the CSV, another clinic's rows never shown, other roles refused."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta

from app import clock
from app.audit.export import cell
from app.db import write_transaction
from app.events import PATIENT, Actor
from app.listeners import make_bus
from app.staff.tables import StaffAccount
from tenants.events import SettingChanged
from tests.integration.audit_helpers import entries
from tests.integration.demo_lookup import clinic_id, patient_id
from tests.integration.engine_fixtures import STAFF, open_slots
from tests.integration.staff_helpers import signed_in
from tests.moments import NOW


async def account(email: str) -> dict:
    return await StaffAccount.select().where(StaffAccount.email == email).first()


def page_text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def rows_shown(response) -> list[str]:
    return re.findall(r'<tr id="entry-(\d+)"', response.text)


async def setting(clinic: int, actor: Actor, name: str, before: str, after: str) -> None:
    async with write_transaction():
        await make_bus().emit(SettingChanged(clinic, actor, name, before, after))


async def test_an_administrator_reads_each_change_newest_first(world, demo):
    demo_clinic = world.demo
    admin = await account("admin@demo.localhost")
    actor = Actor.staff(admin["id"], admin["name"]).at("198.51.100.4")
    slots = await open_slots(demo_clinic, who="roy", site="centre-ville", activity="urgent")
    booked = await demo_clinic.booking().staff_book(slot_id=slots[0], details=STAFF, actor=actor)
    await demo_clinic.booking().cancel(appointment_id=booked.appointment_id, actor=actor)
    await signed_in(demo, "admin@demo.localhost")

    page = await demo.get("/staff/audit?lang=en")
    assert page.status_code == 200
    text = page_text(page)
    assert "Audit log" in text
    # Newest first: the sign-in, the cancellation, the booking, the opening.
    order = [
        text.index(s)
        for s in ("Signed in", "Appointment cancelled", "Appointment booked", "Schedule opened")
    ]
    assert order == sorted(order)
    cancelled = text[text.index("Appointment cancelled") :]
    assert f"Appointment #{booked.appointment_id}" in cancelled
    assert "Status Booked → Cancelled" in cancelled.replace("becomes ", "")
    assert "198.51.100.4" in cancelled and admin["name"] in text
    assert "Dre Julie Roy" in text  # the practitioner by name, not by id
    # The navigation leads here, and French is the clinic's default.
    assert 'href="/staff/audit"' in page.text
    french = page_text(await demo.get("/staff/audit?lang=fr"))
    assert "Journal d'audit" in french and "Rendez-vous annulé" in french


async def test_filters_by_date_actor_patient_and_appointment_stay_in_the_url(world, demo):
    demo_clinic = world.demo
    admin = await account("admin@demo.localhost")
    secretary = await account("secretariat@demo.localhost")
    marie = await patient_id(demo_clinic.id, "Tremblay")
    slots = await open_slots(demo_clinic, who="roy", site="centre-ville", activity="urgent")
    from app.booking.services import BookingDetails

    first = await demo_clinic.booking().staff_book(
        slot_id=slots[0],
        details=BookingDetails(source="staff", patient_id=marie),
        actor=Actor.staff(secretary["id"], secretary["name"]),
    )
    clock.advance(timedelta(days=3))
    second = await demo_clinic.booking().staff_book(
        slot_id=slots[1], details=STAFF, actor=Actor.staff(admin["id"], admin["name"])
    )
    await demo_clinic.booking().cancel(appointment_id=second.appointment_id, actor=PATIENT)
    await signed_in(demo, "admin@demo.localhost")

    def ids(*appointments) -> set[str]:
        return {str(r["id"]) for r in found if r["appointment_id"] in appointments}

    found = await entries(demo_clinic.id)
    day = NOW.date()
    by_date = await demo.get(f"/staff/audit?from={day}&to={day}&lang=en")
    shown = set(rows_shown(by_date))
    assert ids(first.appointment_id) <= shown and not ids(second.appointment_id) & shown
    assert f'value="{day}"' in by_date.text  # the filter kept in the form

    by_secretary = await demo.get(f"/staff/audit?actor=staff:{secretary['id']}")
    assert set(rows_shown(by_secretary)) == ids(first.appointment_id)
    assert f'<option value="staff:{secretary["id"]}" selected>' in by_secretary.text

    by_patient_actor = await demo.get("/staff/audit?actor=patient")
    [cancel] = [r for r in found if r["action"] == "appointment.cancelled"]
    assert rows_shown(by_patient_actor) == [str(cancel["id"])]

    by_system = set(rows_shown(await demo.get("/staff/audit?actor=system")))
    assert by_system == {str(r["id"]) for r in found if r["actor_kind"] == "system"}

    for typed in (str(marie), "tremblay", "Marie Trem"):
        by_file = await demo.get("/staff/audit", params={"patient": typed})
        assert set(rows_shown(by_file)) == ids(first.appointment_id), typed
    nobody = await demo.get("/staff/audit?patient=Zzyzx&lang=en")
    assert rows_shown(nobody) == [] and "No change matches these filters." in page_text(nobody)

    by_appointment = await demo.get(f"/staff/audit?appointment={second.appointment_id}")
    assert set(rows_shown(by_appointment)) == ids(second.appointment_id)
    assert len(ids(second.appointment_id)) == 2  # booked, then cancelled by the patient


async def test_bad_filters_get_a_message_next_to_the_field_and_keep_what_was_typed(demo):
    await signed_in(demo, "admin@demo.localhost")
    cases = {
        "from": ("2026-13-45", "Enter a date like 2026-12-07."),
        "to": ("yesterday", "Enter a date like 2026-12-07."),
        "actor": ("staff:999999", "Choose someone from the list."),
        "patient": ("%", "Enter a file number, or at least two letters of a name."),
        "appointment": ("12abc", "Enter an appointment number, like 1234."),
    }
    for field, (typed, message) in cases.items():
        for url in ("/staff/audit", "/staff/audit/export.csv"):
            page = await demo.get(url, params={field: typed, "lang": "en"})
            assert page.status_code == 422, (field, url)
            assert page.headers["content-type"].startswith("text/html")
            error = re.search(rf'<p class="error" id="{field}-error">([^<]+)</p>', page.text)
            assert error and html.unescape(error.group(1)) == message, (field, url)
            assert f'aria-describedby="{field}-error"' in page.text or f"{field}-error" in page.text
            if field != "actor":
                assert f'value="{html.escape(typed)}"' in page.text, field
    # The same through HTMX (the form swaps the results in place): the fragment, with the message.
    swapped = await demo.get(
        "/staff/audit?appointment=x&lang=en", headers={"HX-Request": "true", "HX-Target": "audit"}
    )
    assert swapped.status_code == 422 and "<html" not in swapped.text
    assert 'id="appointment-error"' in swapped.text
    fine = await demo.get("/staff/audit?lang=en", headers={"HX-Request": "true"})
    assert fine.status_code == 200 and '<div id="audit"' in fine.text and "<html" not in fine.text
    backwards = await demo.get("/staff/audit?from=2026-12-10&to=2026-12-01&lang=en")
    assert backwards.status_code == 422
    assert "The end date must be on or after the start date." in page_text(backwards)
    huge = await demo.get("/staff/audit", params={"appointment": "9" * 5000, "page": "9" * 5000})
    assert huge.status_code == 422


async def test_the_csv_has_the_same_filters_and_defuses_formulas(demo):
    demo_id = await clinic_id("demo")
    admin = await account("admin@demo.localhost")
    await setting(demo_id, Actor.staff(admin["id"], '=HYPERLINK("http://evil")'), "phone", "1", "2")
    await setting(demo_id, Actor.system("import"), "name", "@A", "-B")
    await signed_in(demo, "admin@demo.localhost")

    export = await demo.get(f"/staff/audit/export.csv?actor=staff:{admin['id']}&lang=en")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    header, rows = lines[0], lines[1:]
    assert header[:3] == ["When", "Actor kind", "Who"]
    # Only the staff account's rows: its setting change and its sign-in.
    assert sorted(r[header.index("action")] for r in rows) == [
        "setting.changed",
        "sign_in.signed_in",
    ]
    [changed] = [r for r in rows if r[header.index("action")] == "setting.changed"]
    assert changed[header.index("Who")] == '\'=HYPERLINK("http://evil")'
    assert changed[header.index("Changes")] == "phone: 1 → 2"
    everything = await demo.get("/staff/audit/export.csv")
    assert "import" in everything.text and "'=HYPERLINK" in everything.text
    for row in csv.reader(io.StringIO(everything.text.lstrip("\ufeff"))):
        assert not any(value.startswith(("=", "+", "-", "@", "\t", "\r")) for value in row), row
    for risky in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert cell(risky) == "'" + risky
    assert cell("Marie") == "Marie" and cell(None) == "" and cell(12) == "12"


async def test_paging_fifty_rows_at_a_time(demo):
    demo_id = await clinic_id("demo")
    actor = Actor.system("import")
    async with write_transaction():
        bus = make_bus()
        for n in range(60):
            await bus.emit(SettingChanged(demo_id, actor, "phone", str(n), str(n + 1)))
    await signed_in(demo, "admin@demo.localhost")  # the 61st row
    first = await demo.get("/staff/audit?actor=system&lang=en")
    assert len(rows_shown(first)) == 50 and 'rel="next"' in first.text
    assert 'rel="prev"' not in first.text
    second = await demo.get("/staff/audit?actor=system&page=2&lang=en")
    assert len(rows_shown(second)) == 10 and 'rel="prev"' in second.text
    assert "actor=system" in re.search(r'rel="prev" href="([^"]+)"', second.text).group(1)
    assert not set(rows_shown(first)) & set(rows_shown(second))


async def test_one_clinic_never_sees_another_clinics_rows(world, demo, autre):
    demo_clinic = world.demo
    marie = await patient_id(demo_clinic.id, "Tremblay")
    slots = await open_slots(demo_clinic, who="roy", site="centre-ville", activity="urgent")
    from app.booking.services import BookingDetails

    booked = await demo_clinic.booking().staff_book(
        slot_id=slots[0], details=BookingDetails(source="staff", patient_id=marie), actor=PATIENT
    )
    demo_admin = await account("admin@demo.localhost")
    await signed_in(autre, "admin@autre.localhost")
    autre_rows = {str(r["id"]) for r in await entries(world.autre.id)}
    for query in (
        "",
        f"?appointment={booked.appointment_id}",
        f"?patient={marie}",
        "?patient=Tremblay",
        "?actor=patient",
    ):
        page = await autre.get("/staff/audit" + query)
        assert page.status_code == 200
        assert set(rows_shown(page)) <= autre_rows, query
        assert "Marie" not in page.text and "Dre Julie Roy" not in page.text
        export = await autre.get("/staff/audit/export.csv" + query)
        assert "Marie" not in export.text and "Julie" not in export.text
    # The demo clinic's staff are not offered as actors at autre, nor accepted.
    refused = await autre.get(f"/staff/audit?actor=staff:{demo_admin['id']}")
    assert refused.status_code == 422 and rows_shown(refused) == []
    assert f"staff:{demo_admin['id']}" not in (await autre.get("/staff/audit")).text


async def test_only_administrators_may_read_the_audit_log(demo):
    anonymous = await demo.get("/staff/audit")
    assert anonymous.status_code in (302, 303, 401)
    assert "sign-in" in anonymous.headers.get("location", "") or anonymous.status_code == 401
    await signed_in(demo, "secretariat@demo.localhost")
    for url in ("/staff/audit?lang=en", "/staff/audit/export.csv?lang=en"):
        page = await demo.get(url)
        assert page.status_code == 403
        assert "This page is for: administrator." in page_text(page)
        assert '<tr id="entry-' not in page.text
    home = await demo.get("/staff/?lang=en")
    assert 'href="/staff/audit"' not in home.text


async def test_each_row_links_to_the_history_of_its_appointment_file_and_author(world, demo):
    demo_clinic = world.demo
    marie = await patient_id(demo_clinic.id, "Tremblay")
    admin = await account("admin@demo.localhost")
    slots = await open_slots(demo_clinic, who="roy", site="centre-ville", activity="urgent")
    from app.booking.services import BookingDetails

    booked = await demo_clinic.booking().staff_book(
        slot_id=slots[0],
        details=BookingDetails(source="staff", patient_id=marie),
        actor=Actor.staff(admin["id"], admin["name"]),
    )
    await signed_in(demo, "admin@demo.localhost")
    page = (await demo.get("/staff/audit?lang=en")).text
    assert f'href="/staff/audit?appointment={booked.appointment_id}"' in page
    assert f'href="/staff/audit?patient={marie}"' in page
    assert f'href="/staff/audit?actor=staff%3A{admin["id"]}"' in page
    followed = await demo.get(f"/staff/audit?actor=staff%3A{admin['id']}")
    assert followed.status_code == 200 and rows_shown(followed)


async def test_every_kind_of_row_renders_in_both_languages_and_in_the_csv(demo):
    from datetime import date

    from app.patients.events import PatientChange, PatientChanged, PatientSnapshot
    from app.scheduling.events import ScheduleChange, ScheduleChanged, ScheduleSnapshot
    from app.staff.events import AccountChange, AccountChanged, AccountSnapshot

    demo_id = await clinic_id("demo")
    admin = await account("admin@demo.localhost")
    actor = Actor.staff(admin["id"], admin["name"])
    marie = await patient_id(demo_id, "Tremblay")
    person = PatientSnapshot("Marie", "Tremblay", date(1985, 4, 12), "F", "TREM", None, ("a",))
    template = ScheduleSnapshot(None, None, None, None, "template", name="Lundi", blocks=("b",))
    staff = AccountSnapshot("x@demo.localhost", "X", "secretary", None, True, False, None, None)
    async with write_transaction():
        bus = make_bus()
        await bus.emit(PatientChanged(demo_id, marie, actor, PatientChange.CREATED, None, person))
        await bus.emit(
            ScheduleChanged(demo_id, actor, ScheduleChange.TEMPLATE_DELETED, 4, template, None)
        )
        await bus.emit(SettingChanged(demo_id, actor, "require_two_factor", None, "on"))
        await bus.emit(AccountChanged(demo_id, 77, actor, AccountChange.CREATED, None, staff))
    await signed_in(demo, "admin@demo.localhost")
    english = page_text(await demo.get("/staff/audit?lang=en"))
    for said in (
        "Patient file created",
        "Patient file #",
        "Schedule template deleted",
        "Setting changed",
        "Account created",
        "Secretary",
    ):
        assert said in english, said
    french = await demo.get("/staff/audit?lang=fr")
    assert french.status_code == 200 and "Dossier patient créé" in page_text(french)
    export = await demo.get("/staff/audit/export.csv?lang=fr")
    assert export.status_code == 200 and "Modèle d'horaire supprimé" in export.text
