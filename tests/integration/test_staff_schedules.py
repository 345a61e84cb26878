"""Opening schedules, closing free slots and editing schedule templates from the staff
area (issue 11), through HTTP with a signed-in secretary; what patients then see on the
portal; the engine's refusals next to their field; who may; another clinic's ids.

The clock is frozen on tests.moments.NOW (Monday 23 November 2026, 07:00 in Montreal);
every slot opened here is weeks ahead of it."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest

from app.booking.services import BookingDetails, BookingService
from app.booking.tables import Source
from app.events import Actor
from app.listeners import make_bus
from app.scheduling.events import ScheduleChange, ScheduleChanged
from app.scheduling.services import SchedulingService
from app.scheduling.tables import ScheduleOpening, ScheduleTemplate, ScheduleTemplateBlock, Slot
from app.scheduling.templates import TemplateBlock, TemplateService
from tests.integration import demo_lookup
from tests.integration.portal_helpers import MARIE, choose_service, identify, slot_ids, text
from tests.integration.staff_helpers import csrf, signed_in
from tests.moments import NOW, freeze

MONDAY = date(2026, 12, 7)  # two weeks after NOW
FOLLOW_UP = "Suivi avec mon médecin de famille"  # Dre Julie Roy's follow-ups, for Marie


@pytest.fixture
async def ids(demo_data):
    freeze()
    demo = await demo_lookup.clinic_id("demo")
    return {
        "clinic": demo,
        "roy": await demo_lookup.practitioner_id(demo, "Dre Julie Roy"),
        "gagnon": await demo_lookup.practitioner_id(demo, "Dr Marc Gagnon"),
        "lavoie": await demo_lookup.practitioner_id(demo, "Sophie Lavoie, IPS"),
        "centre": await demo_lookup.site_id(demo, "centre-ville"),
        "laval": await demo_lookup.site_id(demo, "laval"),
        "suivi": await demo_lookup.activity_id(demo, "Suivi"),
        "urgent": await demo_lookup.activity_id(demo, "Consultation urgente"),
    }


@pytest.fixture
async def week_template(ids) -> int:
    """Julie Roy's week, as the demo seeds it: Mon-Fri follow-ups 08:00-12:00 (30 min),
    urgent consultations 12:00-15:00 (15 min)."""
    blocks = [
        TemplateBlock(day, start, end, activity)
        for day in range(5)
        for start, end, activity in (
            (time(8), time(12), ids["suivi"]),
            (time(12), time(15), ids["urgent"]),
        )
    ]
    return await TemplateService(clinic_id=ids["clinic"], bus=make_bus()).save(
        template_id=None, name="Julie Roy, semaine", blocks=blocks, actor=Actor.system("test")
    )


@pytest.fixture
async def secretary(demo, ids, week_template):
    return await signed_in(demo, "secretariat@demo.localhost")


async def token(client, path: str = "/staff/schedules/open") -> str:
    return csrf((await client.get(path)).text)


async def post(client, path: str, data: dict, page: str = "/staff/schedules/open"):
    return await client.post(path, data={**data, "_csrf_token": await token(client, page)})


def manual(ids, **changes) -> dict:
    data = {
        "manual-practitioner": ids["roy"],
        "manual-site": ids["centre"],
        "manual-activity": ids["suivi"],
        "manual-day": MONDAY.isoformat(),
        "manual-start": "09:00",
        "manual-end": "10:00",
        "manual-publish_at": "",
    }
    return {**data, **changes}


def recurrence(ids, **changes) -> dict:
    data = {
        "recurrence-practitioner": ids["roy"],
        "recurrence-site": ids["centre"],
        "recurrence-activity": ids["suivi"],
        "recurrence-weekday-0": "on",
        "recurrence-weekday-3": "on",
        "recurrence-start": "13:00",
        "recurrence-end": "14:00",
        "recurrence-first_day": MONDAY.isoformat(),
        "recurrence-until": (MONDAY + timedelta(days=13)).isoformat(),
    }
    return {**data, **changes}


async def slot_count(**where) -> int:
    query = Slot.count()
    for column, value in where.items():
        query = query.where(getattr(Slot, column) == value)
    return await query


async def offered_to_marie(client) -> list[int]:
    """The follow-up slots the portal offers Marie (her family doctor is Dre Julie Roy)."""
    identified = await identify(client, MARIE)
    service_url = identified.headers["location"]
    await choose_service(client, service_url, FOLLOW_UP)
    listing = await client.get(service_url.replace("/service", "/slots"))
    return slot_ids(listing.text)


def selected(response, select_id: str) -> str | None:
    block = re.search(rf'<select id="{select_id}".*?</select>', response.text, re.S)
    assert block, f"no select {select_id}"
    found = re.search(r'<option value="(\d+)" selected>', block.group(0))
    return found.group(1) if found else None


def error_of(response, field: str) -> str:
    found = re.search(rf'<p class="error" id="{field}-error">([^<]+)</p>', text(response))
    assert found, f"no error next to {field}"
    return found.group(1)


def value_of(response, field: str) -> str:
    found = re.search(rf'id="{field}" name="{field}" type="[a-z-]+" value="([^"]*)"', response.text)
    assert found, f"no input {field}"
    return found.group(1)


# -- opening, each way --------------------------------------------------------


async def test_the_agenda_link_prefills_every_form(secretary, ids):
    page = await secretary.get(
        f"/staff/schedules/open?practitioner={ids['gagnon']}&site={ids['laval']}&day=2026-12-09"
    )
    assert page.status_code == 200 and "Ouvrir un horaire" in text(page)
    assert value_of(page, "manual-day") == "2026-12-09"
    assert value_of(page, "template-first_day") == "2026-12-09"
    assert value_of(page, "recurrence-first_day") == "2026-12-09"
    for way in ("manual", "template", "recurrence"):
        assert selected(page, f"{way}-practitioner") == str(ids["gagnon"])
        assert selected(page, f"{way}-site") == str(ids["laval"])


async def test_a_manual_opening_is_published_and_offered_on_the_portal(secretary, ids, heard):
    response = await post(secretary, "/staff/schedules/open/manual", manual(ids))
    assert response.status_code == 200
    assert "2 disponibilités ouvertes." in text(response)
    assert f'href="/staff/agenda/practitioner/{ids["roy"]}/week/2026-12-07"' in response.text
    opened = [r["id"] for r in await Slot.select(Slot.id).where(Slot.origin == "manual")]
    assert len(opened) == 2
    assert sorted(await offered_to_marie(secretary)) == sorted(opened)
    assert [e.kind for e in heard] == [ScheduleChange.OPENED]
    assert heard[0].actor.label == "Secrétariat Démo" and heard[0].after.slot_count == 2


async def test_a_publication_time_keeps_the_slots_off_the_portal_until_then(secretary, ids):
    later = manual(ids, **{"manual-publish_at": "2026-12-01T08:00"})
    assert (await post(secretary, "/staff/schedules/open/manual", later)).status_code == 200
    slot = await Slot.select(Slot.publish_at).first()
    assert slot["publish_at"] == datetime(2026, 12, 1, 13, 0, tzinfo=slot["publish_at"].tzinfo)
    assert await offered_to_marie(secretary) == []


async def test_a_template_opens_a_week_published_on_the_portal(secretary, ids, week_template):
    response = await post(
        secretary,
        "/staff/schedules/open/template",
        {
            "template-template": week_template,
            "template-practitioner": ids["roy"],
            "template-site": ids["centre"],
            "template-first_day": MONDAY.isoformat(),
            "template-last_day": (MONDAY + timedelta(days=6)).isoformat(),
            "template-publish_at": "",
        },
    )
    # Mon-Fri: 8 follow-ups (08:00-12:00) and 12 urgent consultations (12:00-15:00) a day.
    assert response.status_code == 200 and "100 disponibilités ouvertes." in text(response)
    assert await slot_count(origin="template") == 100
    follow_ups = await Slot.select(Slot.id).where(Slot.activity == ids["suivi"])
    offered = await offered_to_marie(secretary)
    assert offered and set(offered) <= {r["id"] for r in follow_ups}


async def test_a_recurrence_is_stored_as_an_rrule_and_never_offered_online(secretary, ids):
    response = await post(secretary, "/staff/schedules/open/recurrence", recurrence(ids))
    assert response.status_code == 200 and "8 disponibilités ouvertes." in text(response)
    opening = await ScheduleOpening.select(ScheduleOpening.rrule, ScheduleOpening.origin).first()
    assert opening == {"rrule": "FREQ=WEEKLY;UNTIL=20261220;BYDAY=MO,TH", "origin": "recurrence"}
    days = {r["local_date"] for r in await Slot.select(Slot.local_date)}
    assert days == {MONDAY, date(2026, 12, 10), date(2026, 12, 14), date(2026, 12, 17)}
    assert await offered_to_marie(secretary) == []


async def test_htmx_gets_only_the_form_back(secretary, ids):
    response = await secretary.post(
        "/staff/schedules/open/manual",
        data={**manual(ids), "_csrf_token": await token(secretary)},
        headers={"HX-Request": "true", "HX-Target": "manual-form"},
    )
    assert response.status_code == 200
    assert response.text.count('<section id="manual-form"') == 1
    assert "staff-nav" not in response.text and 'id="template-form"' not in response.text


# -- refusals -----------------------------------------------------------------


async def test_the_overlap_refusal_is_next_to_the_start_time_and_opens_nothing(secretary, ids):
    await post(secretary, "/staff/schedules/open/manual", manual(ids))
    again = manual(ids, **{"manual-start": "09:30", "manual-end": "11:00"})
    response = await post(secretary, "/staff/schedules/open/manual", again)
    assert response.status_code == 422
    assert error_of(response, "manual-start") == (
        "Rien n'a été ouvert : Dre Julie Roy a déjà une disponibilité le lundi 7 décembre 2026 "
        "de 09:30 à 10:00."
    )
    assert value_of(response, "manual-start") == "09:30"
    assert await slot_count() == 2


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"manual-practitioner": ""}, "manual-practitioner", "Choisissez un professionnel."),
        ({"manual-site": "abc"}, "manual-site", "Choisissez un site."),
        ({"manual-activity": "99999"}, "manual-activity", "Choisissez une activité."),
        ({"manual-day": "2026-02-30"}, "manual-day", "Entrez une date, par exemple 2027-01-11."),
        ({"manual-start": "25:00"}, "manual-start", "Entrez une heure, par exemple 08:30."),
        ({"manual-end": "08:00"}, "manual-end", "La fin doit venir après le début."),
        (
            {"manual-publish_at": "demain"},
            "manual-publish_at",
            "Entrez une date et une heure, par exemple 2027-01-11 08:00.",
        ),
        ({"manual-end": "09:10"}, "manual-end", "Ces heures n'ouvrent aucune disponibilité."),
    ],
)
async def test_bad_manual_input_is_shown_next_to_its_field(secretary, ids, changes, field, message):
    response = await post(secretary, "/staff/schedules/open/manual", manual(ids, **changes))
    assert response.status_code == 422
    assert error_of(response, field) == message
    assert 'class="error-summary"' in response.text
    if field not in ("manual-practitioner", "manual-site", "manual-activity"):
        assert value_of(response, field) == next(iter(changes.values()))
    assert await slot_count() == 0


async def test_a_site_the_practitioner_does_not_work_at_is_refused_next_to_the_site(secretary, ids):
    response = await post(
        secretary, "/staff/schedules/open/manual", manual(ids, **{"manual-site": ids["laval"]})
    )
    assert response.status_code == 422
    assert error_of(response, "manual-site") == "Dre Julie Roy ne travaille pas à ce site."
    assert await slot_count() == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"recurrence-weekday-0": "", "recurrence-weekday-3": ""},
            "recurrence-weekdays",
            "Cochez au moins un jour de la semaine.",
        ),
        (
            {"recurrence-until": "2026-12-01"},
            "recurrence-until",
            "Le dernier jour précède le premier jour.",
        ),
        (
            {"recurrence-until": "2028-12-01"},
            "recurrence-until",
            "Ouvrez au plus une année à la fois.",
        ),
        ({"recurrence-end": "12:00"}, "recurrence-end", "La fin doit venir après le début."),
    ],
)
async def test_bad_recurrence_input_is_shown_next_to_its_field(
    secretary, ids, changes, field, message
):
    response = await post(secretary, "/staff/schedules/open/recurrence", recurrence(ids, **changes))
    assert response.status_code == 422 and error_of(response, field) == message
    assert await slot_count() == 0


async def test_bad_template_opening_input_is_shown_next_to_its_field(secretary, ids, week_template):
    response = await post(
        secretary,
        "/staff/schedules/open/template",
        {
            "template-template": "",
            "template-practitioner": ids["roy"],
            "template-site": ids["centre"],
            "template-first_day": "2026-12-14",
            "template-last_day": "2026-12-07",
        },
    )
    assert response.status_code == 422
    assert error_of(response, "template-template") == "Choisissez un modèle d'horaire."
    assert value_of(response, "template-first_day") == "2026-12-14"
    backwards = await post(
        secretary,
        "/staff/schedules/open/template",
        {
            "template-template": week_template,
            "template-practitioner": ids["roy"],
            "template-site": ids["centre"],
            "template-first_day": "2026-12-14",
            "template-last_day": "2026-12-07",
        },
    )
    assert error_of(backwards, "template-last_day") == "Le dernier jour précède le premier jour."
    assert await slot_count() == 0


@pytest.mark.parametrize(
    "path",
    [
        "/staff/schedules/open/manual",
        "/staff/schedules/open/template",
        "/staff/schedules/open/recurrence",
        "/staff/schedules/close",
        "/staff/schedules/templates/new",
    ],
)
async def test_a_post_without_the_csrf_token_is_refused(secretary, ids, path):
    await post(secretary, "/staff/schedules/open/manual", manual(ids))
    data = {**manual(ids, **{"manual-day": "2026-12-08"}), **recurrence(ids)}
    data.update(practitioner=ids["roy"], first_day="2026-12-07", last_day="2026-12-07")
    data.update(template_form(ids))
    response = await secretary.post(path, data=data)
    assert response.status_code == 403
    assert await slot_count(state="open") == 2 and await ScheduleTemplate.count() == 1


# -- closing ------------------------------------------------------------------


async def test_closing_a_range_keeps_booked_slots_and_lists_their_appointments(
    secretary, ids, heard
):
    await post(secretary, "/staff/schedules/open/manual", manual(ids))
    slots = await Slot.select(Slot.id).order_by(Slot.starts_at)
    booking = BookingService(clinic_id=ids["clinic"], bus=make_bus())
    patient = await demo_lookup.patient_id(ids["clinic"], "Tremblay")
    booked = await booking.staff_book(
        slot_id=slots[0]["id"],
        details=BookingDetails(source=Source.STAFF, patient_id=patient, reason="Suivi"),
        actor=Actor.system("test"),
    )
    assert booked.ok
    response = await post(
        secretary,
        "/staff/schedules/close",
        {
            "practitioner": ids["roy"],
            "first_day": MONDAY.isoformat(),
            "last_day": MONDAY.isoformat(),
            "start": "",
            "end": "",
        },
        page="/staff/schedules/close",
    )
    assert response.status_code == 200
    page = text(response)
    assert "1 disponibilité libre fermée." in page and "Marie Tremblay" in page
    assert f'href="/staff/slots/{slots[0]["id"]}"' in response.text
    states = [r["state"] for r in await Slot.select(Slot.state).order_by(Slot.starts_at)]
    assert states == ["booked", "closed"]
    assert await offered_to_marie(secretary) == []
    closing = heard[-1]
    assert closing.kind is ScheduleChange.CLOSED and closing.after.slot_count == 1
    assert closing.actor.label == "Secrétariat Démo"


async def test_a_booked_slot_in_a_closed_range_closes_when_its_appointment_is_cancelled(
    secretary, ids
):
    """The practitioner is away: the patient cancelling must not put the slot back online."""
    await post(secretary, "/staff/schedules/open/manual", manual(ids))
    slots = await Slot.select(Slot.id).order_by(Slot.starts_at)
    booking = BookingService(clinic_id=ids["clinic"], bus=make_bus())
    patient = await demo_lookup.patient_id(ids["clinic"], "Tremblay")
    booked = await booking.staff_book(
        slot_id=slots[0]["id"],
        details=BookingDetails(source=Source.STAFF, patient_id=patient, reason="Suivi"),
        actor=Actor.system("test"),
    )
    closing = {
        "practitioner": ids["roy"],
        "first_day": MONDAY.isoformat(),
        "last_day": MONDAY.isoformat(),
        "start": "",
        "end": "",
    }
    await post(secretary, "/staff/schedules/close", closing, page="/staff/schedules/close")
    cancelled = await booking.cancel(
        appointment_id=booked.appointment_id, actor=Actor.system("test")
    )
    assert cancelled.ok
    states = [r["state"] for r in await Slot.select(Slot.state).order_by(Slot.starts_at)]
    assert states == ["closed", "closed"]
    assert await offered_to_marie(secretary) == []


async def test_closing_between_two_times_leaves_the_rest_of_the_day(secretary, ids):
    await post(secretary, "/staff/schedules/open/manual", manual(ids, **{"manual-end": "11:00"}))
    response = await post(
        secretary,
        "/staff/schedules/close",
        {
            "practitioner": ids["roy"],
            "first_day": MONDAY.isoformat(),
            "last_day": MONDAY.isoformat(),
            "start": "09:30",
            "end": "10:30",
        },
        page="/staff/schedules/close",
    )
    assert "2 disponibilités libres fermées." in text(response)
    states = [r["state"] for r in await Slot.select(Slot.state).order_by(Slot.starts_at)]
    assert states == ["open", "closed", "closed", "open"]
    assert len(await offered_to_marie(secretary)) == 2


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"last_day": "2026-12-01"}, "last_day", "Le dernier jour précède le premier jour."),
        (
            {"start": "09:00"},
            "end",
            "Donnez les deux heures, ou aucune pour fermer des journées entières.",
        ),
        ({"start": "10:00", "end": "09:00"}, "end", "La fin doit venir après le début."),
        ({"first_day": "hier"}, "first_day", "Entrez une date, par exemple 2027-01-11."),
    ],
)
async def test_bad_closing_input_is_shown_next_to_its_field(
    secretary, ids, changes, field, message
):
    await post(secretary, "/staff/schedules/open/manual", manual(ids))
    data = {
        "practitioner": ids["roy"],
        "first_day": MONDAY.isoformat(),
        "last_day": MONDAY.isoformat(),
        "start": "",
        "end": "",
        **changes,
    }
    response = await post(secretary, "/staff/schedules/close", data, page="/staff/schedules/close")
    assert response.status_code == 422 and error_of(response, field) == message
    assert await slot_count(state="open") == 2


async def test_closing_emits_schedule_changed(ids):
    bus = make_bus()
    heard: list[ScheduleChanged] = []

    async def listen(event):
        heard.append(event)

    bus.on(ScheduleChanged, listen)
    service = SchedulingService(clinic_id=ids["clinic"], bus=bus)
    await service.open_manual(
        practitioner_id=ids["roy"],
        site_id=ids["centre"],
        activity_id=ids["suivi"],
        day=MONDAY,
        start=time(9),
        end=time(10),
        actor=Actor.system("test"),
    )
    closed = await service.close_free_slots(
        practitioner_id=ids["roy"], first_day=MONDAY, last_day=MONDAY, actor=Actor.system("t")
    )
    assert closed.slot_count == 2 and closed.booked == ()
    assert [e.kind for e in heard] == [ScheduleChange.OPENED, ScheduleChange.CLOSED]
    assert heard[1].after.slot_count == 2 and heard[1].after.practitioner_id == ids["roy"]


# -- templates ----------------------------------------------------------------


def template_form(ids, name="Lundi matin", **rows) -> dict:
    data = {
        "name": name,
        "block-0-weekday": "0",
        "block-0-start": "08:00",
        "block-0-end": "12:00",
        "block-0-activity": ids["suivi"],
    }
    return {**data, **rows}


@pytest.fixture
def heard(web_app):
    """ScheduleChanged events, heard on the app's own bus."""
    events: list[ScheduleChanged] = []

    async def listen(event):
        events.append(event)

    web_app.dependencies["bus"].dependency().on(ScheduleChanged, listen)
    return events


async def test_templates_are_created_edited_and_deleted_with_their_events(secretary, ids, heard):
    listing = await secretary.get("/staff/schedules/templates")
    assert listing.status_code == 200 and "Julie Roy, semaine" in text(listing)
    page = "/staff/schedules/templates/new"
    created = await post(secretary, page, template_form(ids), page=page)
    assert created.status_code == 303
    template_id = int(re.search(r"/templates/(\d+)\?saved=1", created.headers["location"])[1])
    shown = await secretary.get(created.headers["location"])
    assert "Modèle enregistré." in text(shown) and 'value="Lundi matin"' in shown.text
    edit = f"/staff/schedules/templates/{template_id}"
    edited = await post(
        secretary,
        edit,
        template_form(
            ids,
            name="Lundi et mardi",
            **{
                "block-1-weekday": "1",
                "block-1-start": "13:00",
                "block-1-end": "15:00",
                "block-1-activity": ids["urgent"],
            },
        ),
        page=edit,
    )
    assert edited.status_code == 303
    assert (
        await ScheduleTemplateBlock.count().where(ScheduleTemplateBlock.template == template_id)
        == 2
    )
    deleted = await post(secretary, f"{edit}/delete", {}, page=edit)
    assert deleted.status_code == 303
    assert not await ScheduleTemplate.exists().where(ScheduleTemplate.id == template_id)
    kinds = [(e.kind, e.entity_id) for e in heard]
    assert kinds == [
        (ScheduleChange.TEMPLATE_SAVED, template_id),
        (ScheduleChange.TEMPLATE_SAVED, template_id),
        (ScheduleChange.TEMPLATE_DELETED, template_id),
    ]
    assert heard[0].before is None and heard[0].after.name == "Lundi matin"
    assert heard[1].before.blocks == (f"0 08:00-12:00 {ids['suivi']}",)
    assert heard[1].after.name == "Lundi et mardi" and len(heard[1].after.blocks) == 2
    assert heard[2].after is None and heard[2].before.name == "Lundi et mardi"
    actor = heard[0].actor
    assert actor.label == "Secrétariat Démo"


async def test_block_rows_are_added_and_removed_without_saving(secretary, ids):
    page = "/staff/schedules/templates/new"
    added = await post(secretary, page, {**template_form(ids), "action": "add"}, page=page)
    assert added.status_code == 200
    assert 'id="block-1-start"' in added.text and 'value="Lundi matin"' in added.text
    removed = await post(
        secretary,
        page,
        {**template_form(ids), "block-1-start": "", "action": "remove-0"},
        page=page,
    )
    assert 'id="block-0-start"' not in removed.text and 'id="block-1-start"' in removed.text
    assert await ScheduleTemplate.count() == 1  # the fixture's


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Donnez un nom au modèle."),
        ({"block-0-end": "07:00"}, "block-0-end", "La fin doit venir après le début."),
        ({"block-0-weekday": "9"}, "block-0-weekday", "Choisissez un jour de la semaine."),
        ({"block-0-activity": "0"}, "block-0-activity", "Choisissez une activité."),
        (
            {
                "block-1-weekday": "0",
                "block-1-start": "11:00",
                "block-1-end": "13:00",
                "block-1-activity": "SUIVI",
            },
            "block-1-start",
            "Ce bloc chevauche un autre bloc du même jour.",
        ),
    ],
)
async def test_bad_template_input_is_shown_next_to_its_field(
    secretary, ids, heard, changes, field, message
):
    changes = {k: (ids["suivi"] if v == "SUIVI" else v) for k, v in changes.items()}
    page = "/staff/schedules/templates/new"
    response = await post(secretary, page, template_form(ids, **changes), page=page)
    assert response.status_code == 422 and error_of(response, field) == message
    assert await ScheduleTemplate.count() == 1 and heard == []


async def test_a_template_with_another_clinics_activity_is_refused(secretary, ids):
    autre = await demo_lookup.clinic_id("autre")
    theirs = await demo_lookup.activity_id(autre, "Consultation")
    page = "/staff/schedules/templates/new"
    response = await post(
        secretary, page, template_form(ids, **{"block-0-activity": theirs}), page=page
    )
    assert response.status_code == 422
    assert error_of(response, "block-0-activity") == "Choisissez une activité."
    assert await ScheduleTemplate.count() == 1


# -- who may ------------------------------------------------------------------


async def test_a_practitioner_opens_only_their_own_agenda(demo, ids):
    julie = await signed_in(demo, "julie.roy@demo.localhost")
    page = await julie.get("/staff/schedules/open")
    assert page.status_code == 200
    offered = set(re.findall(r'<option value="(\d+)"', page.text.split('id="manual-site"')[0]))
    assert str(ids["roy"]) in offered and str(ids["gagnon"]) not in offered
    own = await post(julie, "/staff/schedules/open/manual", manual(ids))
    assert own.status_code == 200 and await slot_count() == 2
    forged = await post(
        julie,
        "/staff/schedules/open/manual",
        manual(ids, **{"manual-practitioner": ids["gagnon"]}),
    )
    assert forged.status_code == 403 and "Vous ne pouvez pas faire ceci" in text(forged)
    closing = await post(
        julie,
        "/staff/schedules/close",
        {"practitioner": ids["gagnon"], "first_day": "2026-12-07", "last_day": "2026-12-07"},
        page="/staff/schedules/close",
    )
    assert closing.status_code == 403
    assert (await julie.get("/staff/schedules/templates")).status_code == 403
    assert await slot_count() == 2


async def test_another_clinics_ids_open_nothing(secretary, ids):
    autre = await demo_lookup.clinic_id("autre")
    martin = await demo_lookup.practitioner_id(autre, "Dr Claire Martin")
    principal = await demo_lookup.site_id(autre, "principal")
    response = await post(
        secretary,
        "/staff/schedules/open/manual",
        manual(ids, **{"manual-practitioner": martin, "manual-site": principal}),
    )
    assert response.status_code == 422
    assert error_of(response, "manual-practitioner") == "Choisissez un professionnel."
    theirs = await TemplateService(clinic_id=autre, bus=make_bus()).save(
        template_id=None,
        name="Claire Martin, semaine",
        blocks=[
            TemplateBlock(
                0, time(9), time(12), await demo_lookup.activity_id(autre, "Consultation")
            )
        ],
        actor=Actor.system("test"),
    )
    edit = f"/staff/schedules/templates/{theirs}"
    assert (await secretary.get(edit)).status_code == 404
    page = "/staff/schedules/templates"
    assert (await post(secretary, f"{edit}/delete", {}, page=page)).status_code == 404
    assert (await post(secretary, edit, template_form(ids), page=page)).status_code == 404
    assert await slot_count() == 0
    assert await ScheduleTemplate.exists().where(ScheduleTemplate.id == theirs)


async def test_signed_out_the_pages_ask_to_sign_in(demo, ids):
    for path in ("/staff/schedules/open", "/staff/schedules/close", "/staff/schedules/templates"):
        response = await demo.get(path)
        assert response.status_code == 303 and "/staff/sign-in" in response.headers["location"]


def test_now_is_before_every_slot_opened_here():
    assert NOW.date() < MONDAY


async def test_a_slot_a_patient_holds_is_left_open_and_said(secretary, ids):
    await post(secretary, "/staff/schedules/open/manual", manual(ids))
    slots = await Slot.select(Slot.id).order_by(Slot.starts_at)
    booking = BookingService(clinic_id=ids["clinic"], bus=make_bus(), hold_for=timedelta(minutes=5))
    assert (await booking.hold(slot_id=slots[1]["id"], token="patient-hold")).ok
    response = await post(
        secretary,
        "/staff/schedules/close",
        {"practitioner": ids["roy"], "first_day": "2026-12-07", "last_day": "2026-12-07"},
        page="/staff/schedules/close",
    )
    page = text(response)
    assert "1 disponibilité libre fermée." in page
    assert "1 disponibilité bloquée par un patient en ce moment est restée ouverte." in page
    states = [r["state"] for r in await Slot.select(Slot.state).order_by(Slot.starts_at)]
    assert states == ["closed", "open"]


async def test_the_pages_speak_english_too(secretary, ids):
    opening = text(await secretary.get("/staff/schedules/open?lang=en"))
    for label in ("Open a schedule", "Manually", "From a schedule template", "As a recurrence"):
        assert label in opening
    assert "Close free slots" in text(await secretary.get("/staff/schedules/close"))
    refused = await post(
        secretary, "/staff/schedules/open/manual", manual(ids, **{"manual-end": "08:00"})
    )
    assert error_of(refused, "manual-end") == "The end must come after the start."


async def test_closed_hours_open_again_with_the_same_times_only(secretary, ids):
    await post(secretary, "/staff/schedules/open/manual", manual(ids))
    closing = {"practitioner": ids["roy"], "first_day": "2026-12-07", "last_day": "2026-12-07"}
    await post(secretary, "/staff/schedules/close", closing, page="/staff/schedules/close")
    shifted = manual(ids, **{"manual-start": "09:15", "manual-end": "10:15"})
    refused = await post(secretary, "/staff/schedules/open/manual", shifted)
    assert refused.status_code == 422
    assert "a une disponibilité fermée le lundi 7 décembre 2026 de 09:00 à 09:30" in (
        error_of(refused, "manual-start")
    )
    again = await post(secretary, "/staff/schedules/open/manual", manual(ids))
    assert again.status_code == 200 and "2 disponibilités ouvertes." in text(again)
    states = [r["state"] for r in await Slot.select(Slot.state)]
    assert states == ["open", "open"]  # the same two rows, open again
    assert len(await offered_to_marie(secretary)) == 2
