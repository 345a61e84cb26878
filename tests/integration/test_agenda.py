"""The staff agenda (SPEC §3, §10): day and week views of a practitioner and of a site,
in the clinic's time zone; each slot's time, activity, icons and appointment; the
navigation links and the date field; another clinic's ids answer 404; a practitioner
reads others' agendas without "Open a schedule"; and each view is a fixed number of
queries, however many slots it shows.

The clock is frozen on tests.moments.NOW (Monday 23 November 2026, 07:00 in Montreal);
the slots are opened on the Wednesday after it, or in the DST week of March 2027."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from html import unescape

import pytest

from app.booking.services import BookingDetails, BookingService
from app.booking.tables import Appointment, AppointmentStatus, Source
from app.events import PATIENT
from app.listeners import make_bus
from app.scheduling.services import SchedulingService
from app.scheduling.tables import Slot
from tests.integration import demo_lookup
from tests.integration.engine_fixtures import RECEPTION
from tests.integration.portal_helpers import text
from tests.integration.query_log import recorded_statements
from tests.integration.staff_helpers import signed_in
from tests.integration.web import clinic_client
from tests.moments import NOW

WEDNESDAY = date(2026, 11, 25)
MONDAY = date(2026, 11, 23)
DST_MONDAY = date(2027, 3, 8)  # Montreal springs forward on Sunday 14 March 2027


@dataclass(frozen=True)
class Demo:
    clinic: int
    julie: int
    marc: int
    centre: int
    laval: int
    suivi: int
    tele: int
    urgent: int

    def scheduling(self) -> SchedulingService:
        return SchedulingService(clinic_id=self.clinic, bus=make_bus())

    def booking(self) -> BookingService:
        return BookingService(clinic_id=self.clinic, bus=make_bus())

    async def open(self, practitioner, site, activity, day, start, end, **extra) -> list[int]:
        opened = await self.scheduling().open_manual(
            practitioner_id=practitioner,
            site_id=site,
            activity_id=activity,
            day=day,
            start=start,
            end=end,
            actor=RECEPTION,
            **extra,
        )
        rows = (
            await Slot.select(Slot.id)
            .where(Slot.opening == opened.opening_id)
            .order_by(Slot.starts_at)
        )
        return [row["id"] for row in rows]


@pytest.fixture
async def world(demo_id) -> Demo:
    clinic = demo_id
    return Demo(
        clinic=clinic,
        julie=await demo_lookup.practitioner_id(clinic, "Dre Julie Roy"),
        marc=await demo_lookup.practitioner_id(clinic, "Dr Marc Gagnon"),
        centre=await demo_lookup.site_id(clinic, "centre-ville"),
        laval=await demo_lookup.site_id(clinic, "laval"),
        suivi=await demo_lookup.activity_id(clinic, "Suivi"),
        tele=await demo_lookup.activity_id(clinic, "Téléconsultation"),
        urgent=await demo_lookup.activity_id(clinic, "Consultation urgente"),
    )


def practitioner_url(pid: int, view: str, day: date) -> str:
    return f"/staff/agenda/practitioner/{pid}/{view}/{day.isoformat()}"


def site_url(sid: int, view: str, day: date) -> str:
    return f"/staff/agenda/site/{sid}/{view}/{day.isoformat()}"


def slot_ids(html: str) -> list[int]:
    return [
        int(i) for i in re.findall(r'<a class="slot[^"]*"[^>]* href="/staff/slots/(\d+)"', html)
    ]


def slot_html(html: str, slot_id: int) -> str:
    """The markup of one slot's link."""
    found = re.search(rf'<a class="slot[^>]*href="/staff/slots/{slot_id}".*?</a>', html, re.S)
    assert found, f"slot {slot_id} is not on the page"
    return unescape(found.group(0)).replace("\xa0", " ")


def plain(response) -> str:
    """The page's words, tags dropped, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


def icon_names(fragment: str) -> list[str]:
    return re.findall(r'role="img" aria-label="([^"]+)"', fragment)


async def admin(demo):
    return await signed_in(demo, "admin@demo.localhost")


# -- what each view shows ------------------------------------------------------------------


async def test_a_practitioners_day_shows_her_slots_of_that_day_in_clinic_time(world, demo):
    ours = await world.open(world.julie, world.centre, world.suivi, WEDNESDAY, time(9), time(10))
    other_day = await world.open(
        world.julie, world.centre, world.suivi, WEDNESDAY + timedelta(1), time(9), time(10)
    )
    someone_else = await world.open(
        world.marc, world.centre, world.suivi, WEDNESDAY, time(9), time(10)
    )
    client = await admin(demo)
    page = await client.get(practitioner_url(world.julie, "day", WEDNESDAY))
    assert page.status_code == 200
    assert slot_ids(page.text) == ours
    assert not set(other_day + someone_else) & set(slot_ids(page.text))
    shown = text(page)
    assert "Dre Julie Roy · mercredi 25 novembre 2026" in shown
    # 09:00 in Montreal (14:00 UTC), as the clinic reads its clock.
    first = slot_html(page.text, ours[0])
    assert "09:00" in first and "09:30" in first and "Suivi" in first and "Libre" in first


async def test_a_practitioners_week_runs_monday_to_friday_with_a_column_per_day(world, demo):
    monday = await world.open(world.julie, world.centre, world.suivi, MONDAY, time(13), time(14))
    friday = await world.open(
        world.julie, world.centre, world.suivi, MONDAY + timedelta(4), time(13), time(14)
    )
    next_monday = await world.open(
        world.julie, world.centre, world.suivi, MONDAY + timedelta(7), time(13), time(14)
    )
    client = await admin(demo)
    page = await client.get(practitioner_url(world.julie, "week", WEDNESDAY))
    assert page.status_code == 200
    assert sorted(slot_ids(page.text)) == sorted(monday + friday)
    assert not set(next_monday) & set(slot_ids(page.text))
    headings = re.findall(r'<th scope="col"[^>]*><a [^>]*>([^<]+)</a>', page.text)
    assert headings == [
        "lun. 23 nov.",
        "mar. 24 nov.",
        "mer. 25 nov.",
        "jeu. 26 nov.",
        "ven. 27 nov.",
    ]
    assert "Semaine du 23 novembre 2026" in text(page)


async def test_a_week_across_the_spring_dst_change_keeps_every_slot_at_its_local_time(world, demo):
    before = await world.open(
        world.julie, world.centre, world.suivi, DST_MONDAY + timedelta(4), time(9), time(10)
    )
    sunday = await world.open(
        world.julie, world.centre, world.suivi, DST_MONDAY + timedelta(6), time(9), time(10)
    )
    after = await world.open(
        world.julie, world.centre, world.suivi, DST_MONDAY + timedelta(7), time(9), time(10)
    )
    client = await admin(demo)
    page = await client.get(practitioner_url(world.julie, "week", DST_MONDAY + timedelta(6)))
    assert sorted(slot_ids(page.text)) == sorted(before + sunday)
    # Friday (UTC−5) and Sunday (UTC−4, after the change) both start at 09:00 on the clinic's
    # clock, so they share the 09:00 row.
    assert "09:00" in slot_html(page.text, before[0]) and "09:00" in slot_html(page.text, sunday[0])
    rows = re.findall(r'<th scope="row" class="time-col">([^<]+)</th>', page.text)
    assert rows == ["09:00", "09:30"]
    assert "dim. 14 mars" in text(page)  # a weekend day with slots is shown
    week = await client.get(practitioner_url(world.julie, "week", DST_MONDAY + timedelta(7)))
    assert slot_ids(week.text) == after


async def test_a_sites_day_shows_its_practitioners_side_by_side(world, demo):
    julie = await world.open(world.julie, world.centre, world.suivi, WEDNESDAY, time(9), time(10))
    marc = await world.open(world.marc, world.centre, world.urgent, WEDNESDAY, time(9), time(9, 30))
    elsewhere = await world.open(
        world.marc, world.laval, world.urgent, WEDNESDAY, time(13), time(14)
    )
    client = await admin(demo)
    page = await client.get(site_url(world.centre, "day", WEDNESDAY))
    assert page.status_code == 200
    assert sorted(slot_ids(page.text)) == sorted(julie + marc)
    assert not set(elsewhere) & set(slot_ids(page.text))
    columns = re.findall(r'<th scope="col"><a [^>]*>([^<]+)</a></th>', page.text)
    assert columns == ["Dr Marc Gagnon", "Dre Julie Roy", "Luc Bergeron, inf."]
    # One row per boundary: 09:00, 09:15 (Marc's urgent slots), 09:30…
    rows = re.findall(r'<th scope="row" class="time-col">([^<]+)</th>', page.text)
    assert rows == ["09:00", "09:15", "09:30"]
    assert 'rowspan="2"' in page.text  # Julie's 30-minute follow-ups span two 15-minute rows


async def test_a_sites_week_lists_each_days_practitioners(world, demo):
    monday = await world.open(world.julie, world.centre, world.suivi, MONDAY, time(9), time(10))
    thursday = await world.open(
        world.marc, world.centre, world.urgent, MONDAY + timedelta(3), time(9), time(9, 30)
    )
    client = await admin(demo)
    page = await client.get(site_url(world.centre, "week", WEDNESDAY))
    assert sorted(slot_ids(page.text)) == sorted(monday + thursday)
    shown = plain(page)
    assert "Centre-ville · Semaine du 23 novembre 2026" in shown
    assert "lundi 23 novembre 2026" in shown and "Dre Julie Roy 2 plages" in shown
    assert "jeudi 26 novembre 2026" in shown and "Dr Marc Gagnon 2 plages" in shown


async def test_english_labels(world, demo):
    await world.open(world.julie, world.centre, world.suivi, WEDNESDAY, time(9), time(10))
    client = await admin(demo)
    page = await client.get(practitioner_url(world.julie, "day", WEDNESDAY) + "?lang=en")
    shown = text(page)
    for label in (
        "Day",
        "Week",
        "Previous",
        "Next",
        "Today",
        "Open a schedule",
        "Follow-up",
        "Free",
    ):
        assert label in shown
    assert "Published online" in icon_names(page.text)
    french = await client.get(practitioner_url(world.julie, "day", WEDNESDAY) + "?lang=fr")
    for label in ("Jour", "Semaine", "Précédent", "Suivant", "Aujourd'hui", "Ouvrir un horaire"):
        assert label in text(french)
    assert "Publié en ligne" in icon_names(french.text)


# -- icons, appointments, holds ---------------------------------------------------------------


async def test_icons_say_where_each_slot_stands_online(world, demo):
    published = await world.open(
        world.julie, world.centre, world.suivi, WEDNESDAY, time(9), time(9, 30)
    )
    later = NOW + timedelta(days=3)
    scheduled = await world.open(
        world.julie, world.centre, world.tele, WEDNESDAY, time(14), time(14, 20), publish_at=later
    )
    recurring = await world.scheduling().open_recurrence(
        practitioner_id=world.julie,
        site_id=world.centre,
        activity_id=world.suivi,
        rule="FREQ=WEEKLY;BYDAY=WE",
        first_day=WEDNESDAY,
        last_day=WEDNESDAY,
        start=time(16),
        end=time(16, 30),
        actor=RECEPTION,
    )
    recurrence = [
        r["id"] for r in await Slot.select(Slot.id).where(Slot.opening == recurring.opening_id)
    ]
    client = await admin(demo)
    page = (await client.get(practitioner_url(world.julie, "day", WEDNESDAY) + "?lang=en")).text
    assert icon_names(slot_html(page, published[0])) == ["Published online"]
    names = icon_names(slot_html(page, scheduled[0]))
    # Thursday 26 November 2026 at 07:00 in Montreal, in the tooltip too.
    assert names == [
        "Scheduled for publication: November 26, 2026, 7:00\u202fAM",
        "Teleconsultation",
    ]
    assert "<title>Scheduled for publication: November 26, 2026" in slot_html(page, scheduled[0])
    assert icon_names(slot_html(page, recurrence[0])) == ["Not offered online"]


async def test_appointments_show_patient_type_status_and_who_booked(world, demo):
    slots = await world.open(world.julie, world.centre, world.suivi, WEDNESDAY, time(9), time(11))
    marie = await demo_lookup.patient_id(world.clinic, "Tremblay")
    booking = world.booking()
    staff = await booking.staff_book(
        slot_id=slots[0],
        details=BookingDetails(source=Source.STAFF, patient_id=marie),
        actor=RECEPTION,
    )
    # An unidentified patient books online: provisional, under the name she typed.
    assert (await booking.hold(slot_id=slots[1], token="t" * 32)).ok
    online = await booking.book(
        slot_id=slots[1],
        token="t" * 32,
        details=BookingDetails(
            source=Source.ONLINE,
            provisional={
                "first_name": "Chloé",
                "last_name": "Nouvelle",
                "date_of_birth": "1990-01-01",
            },
            contact_email="chloe@example.org",
        ),
        actor=PATIENT,
    )
    arrived = await booking.staff_book(
        slot_id=slots[2],
        details=BookingDetails(source=Source.STAFF, patient_id=marie),
        actor=RECEPTION,
    )
    await booking.set_status(
        appointment_id=arrived.appointment_id,
        status=AppointmentStatus.ARRIVED,
        from_statuses=(AppointmentStatus.BOOKED,),
        actor=RECEPTION,
    )
    cancelled = await booking.staff_book(
        slot_id=slots[3],
        details=BookingDetails(source=Source.STAFF, patient_id=marie),
        actor=RECEPTION,
    )
    await booking.cancel(appointment_id=cancelled.appointment_id, actor=RECEPTION)
    assert staff.ok and online.ok and arrived.ok
    client = await admin(demo)
    page = (await client.get(practitioner_url(world.julie, "day", WEDNESDAY))).text
    first = slot_html(page, slots[0])
    assert "Marie Tremblay" in first and "Sur place" in first and "Réservé" in first
    assert "state-booked" in first and icon_names(first) == []
    second = slot_html(page, slots[1])
    assert "Provisoire" in second and "Chloé Nouvelle" in second
    assert icon_names(second) == ["Réservé en ligne"]
    assert "Arrivé" in slot_html(page, slots[2]) and "status-arrived" in slot_html(page, slots[2])
    fourth = slot_html(page, slots[3])
    assert "Libre" in fourth and "Annulé : Marie Tremblay" in fourth.replace("\u202f", " ")


async def test_a_live_hold_is_shown_until_it_lapses(world, demo):
    slots = await world.open(
        world.julie, world.centre, world.suivi, WEDNESDAY, time(9), time(9, 30)
    )
    booking = world.booking()
    assert (await booking.hold(slot_id=slots[0], token="h" * 32)).ok  # 5 minutes from 07:00
    client = await admin(demo)
    page = (await client.get(practitioner_url(world.julie, "day", WEDNESDAY))).text
    assert "Bloqué en ligne jusqu'à 07:05" in slot_html(page, slots[0])
    from app import clock

    clock.advance(timedelta(minutes=6))
    page = (await client.get(practitioner_url(world.julie, "day", WEDNESDAY))).text
    assert "Bloqué" not in slot_html(page, slots[0]) and "Libre" in slot_html(page, slots[0])


async def test_a_closed_slot_says_so(world, demo):
    slots = await world.open(world.julie, world.centre, world.suivi, WEDNESDAY, time(9), time(10))
    await Slot.update({Slot.state: "closed"}).where(Slot.id == slots[0])
    client = await admin(demo)
    page = (await client.get(practitioner_url(world.julie, "day", WEDNESDAY))).text
    closed = slot_html(page, slots[0])
    assert "Fermé" in closed and "state-closed" in closed and icon_names(closed) == []
    assert "Libre" in slot_html(page, slots[1])


# -- navigation -----------------------------------------------------------------------------


def link(html: str, element_id: str) -> str:
    return re.search(rf'id="{element_id}"[^>]* href="([^"]+)"', html).group(1)


async def test_navigation_links_name_their_views(world, demo):
    client = await admin(demo)
    day = (await client.get(practitioner_url(world.julie, "day", WEDNESDAY))).text
    assert link(day, "agenda-previous") == practitioner_url(
        world.julie, "day", WEDNESDAY - timedelta(1)
    )
    assert link(day, "agenda-next") == practitioner_url(
        world.julie, "day", WEDNESDAY + timedelta(1)
    )
    assert link(day, "agenda-today") == practitioner_url(world.julie, "day", MONDAY)
    assert link(day, "agenda-to-week") == practitioner_url(world.julie, "week", WEDNESDAY)
    week = (await client.get(practitioner_url(world.julie, "week", WEDNESDAY))).text
    assert link(week, "agenda-next") == practitioner_url(
        world.julie, "week", WEDNESDAY + timedelta(7)
    )
    assert 'hx-get="' + practitioner_url(world.julie, "week", WEDNESDAY - timedelta(7)) in week
    assert 'hx-push-url="true"' in week


async def test_the_date_field_goes_to_that_day_and_refuses_a_bad_date(world, demo):
    client = await admin(demo)
    url = practitioner_url(world.julie, "week", WEDNESDAY)
    moved = await client.get(url, params={"date": "2026-12-09"})
    assert moved.status_code == 303
    assert moved.headers["location"] == practitioner_url(world.julie, "week", date(2026, 12, 9))
    bad = await client.get(url, params={"date": "2026-02-31"})
    assert bad.status_code == 422
    assert "Entrez une date au format AAAA-MM-JJ" in text(bad)
    assert 'value="2026-02-31"' in bad.text and 'aria-invalid="true"' in bad.text
    assert "Semaine du 23 novembre 2026" in text(bad)  # the same view, unchanged


async def test_a_bad_date_or_view_in_the_address_is_not_a_500(world, demo):
    client = await admin(demo)
    assert (
        await client.get(f"/staff/agenda/practitioner/{world.julie}/month/2026-11-25")
    ).status_code == 404
    bad = await client.get(f"/staff/agenda/practitioner/{world.julie}/day/2026-13-45")
    assert bad.status_code in (400, 404)
    for far in ("9999-12-31", "0001-01-01"):
        url = practitioner_url(world.julie, "week", date.fromisoformat(far))
        assert (await client.get(url)).status_code == 404
    typed = await client.get(
        practitioner_url(world.julie, "day", WEDNESDAY), params={"date": "9999-12-31"}
    )
    assert typed.status_code == 422 and "Choisissez une date entre 1900 et 2200." in text(typed)
    huge = await client.get("/staff/agenda/practitioner/99999999999999999999/day/2026-11-25")
    assert huge.status_code == 404


async def test_the_picker_goes_to_a_site_or_a_practitioner(world, demo):
    client = await admin(demo)
    to_site = await client.get(
        "/staff/agenda", params={"show": f"site-{world.laval}", "view": "week", "day": "2026-11-25"}
    )
    assert to_site.headers["location"] == site_url(world.laval, "week", WEDNESDAY)
    to_marc = await client.get(
        "/staff/agenda", params={"show": f"practitioner-{world.marc}", "view": "day", "day": "x"}
    )
    assert to_marc.headers["location"] == practitioner_url(world.marc, "day", MONDAY)


async def test_the_default_view(world, demo, web_app):
    client = await admin(demo)
    home = await client.get("/staff/agenda")
    assert home.headers["location"] == site_url(
        world.centre, "day", MONDAY
    )  # the first site, today
    async with clinic_client(web_app, "demo") as browser:
        julie = await signed_in(browser, "julie.roy@demo.localhost")
        own = await julie.get("/staff/agenda")
    assert own.headers["location"] == practitioner_url(world.julie, "week", MONDAY)


async def test_an_htmx_navigation_gets_the_agenda_alone(world, demo):
    client = await admin(demo)
    url = practitioner_url(world.julie, "week", WEDNESDAY)
    fragment = await client.get(url, headers={"HX-Request": "true", "HX-Target": "agenda-view"})
    assert fragment.status_code == 200
    assert fragment.text.count('id="agenda-view"') == 1 and "staff-nav" not in fragment.text
    assert fragment.headers["HX-Push-Url"] == url
    assert fragment.text.startswith("<title>Dre Julie Roy · Semaine du 23 novembre 2026")


async def test_the_live_section_names_what_it_shows(world, demo):
    client = await admin(demo)
    page = (await client.get(site_url(world.centre, "week", WEDNESDAY))).text
    section = re.search(r'<section id="agenda"[^>]*>', page).group(0)
    assert "data-live-agenda" in section
    assert f'data-live-sites="{world.centre}"' in section
    assert (
        'data-live-days="2026-11-23,2026-11-24,2026-11-25,2026-11-26,2026-11-27,2026-11-28,2026-11-29"'
        in section
    )
    people = re.search(r'data-live-practitioners="([^"]*)"', section).group(1).split(",")
    assert str(world.julie) in people and str(world.marc) in people
    assert "/static/js/live.js" in page
    assert '<dialog id="slot-dialog"' in page


async def test_the_print_list(world, demo):
    slots = await world.open(world.julie, world.centre, world.suivi, WEDNESDAY, time(9), time(10))
    marie = await demo_lookup.patient_id(world.clinic, "Tremblay")
    await world.booking().staff_book(
        slot_id=slots[0],
        details=BookingDetails(source=Source.STAFF, patient_id=marie),
        actor=RECEPTION,
    )
    client = await admin(demo)
    for url in (
        practitioner_url(world.julie, "day", WEDNESDAY) + "/print",
        site_url(world.centre, "day", WEDNESDAY) + "/print",
    ):
        page = await client.get(url)
        assert page.status_code == 200
        shown = text(page)
        assert "Marie Tremblay" in shown and "09:00–09:30" in shown and "Libre" in shown
        assert "staff-nav" not in page.text and "agenda-toolbar" not in page.text


# -- who may see and change what --------------------------------------------------------------


async def test_not_signed_in_goes_to_the_sign_in(world, demo):
    for url in ("/staff/agenda", practitioner_url(world.julie, "day", WEDNESDAY)):
        response = await demo.get(url)
        assert response.status_code == 303 and response.headers["location"].startswith(
            "/staff/sign-in"
        )


async def test_a_practitioner_reads_others_agendas_without_changing_them(world, demo, web_app):
    julie = await signed_in(demo, "julie.roy@demo.localhost")
    own = await julie.get(practitioner_url(world.julie, "day", WEDNESDAY))
    assert "Ouvrir un horaire" in text(own)
    assert f"/staff/schedules/open?practitioner={world.julie}&amp;site={world.centre}" in own.text
    others = await julie.get(practitioner_url(world.marc, "day", WEDNESDAY))
    assert others.status_code == 200 and "Ouvrir un horaire" not in text(others)
    laval = await julie.get(site_url(world.laval, "day", WEDNESDAY))
    assert laval.status_code == 200 and "Ouvrir un horaire" not in text(laval)
    async with clinic_client(web_app, "demo") as browser:
        secretary = await signed_in(browser, "secretariat@demo.localhost")
        marc = await secretary.get(practitioner_url(world.marc, "day", WEDNESDAY))
    assert "Ouvrir un horaire" in text(marc)


async def test_another_clinics_ids_are_404(world, demo, autre):
    other = await signed_in(autre, "admin@autre.localhost")
    for url in (
        practitioner_url(world.julie, "day", WEDNESDAY),
        practitioner_url(world.julie, "week", WEDNESDAY) + "/print",
        site_url(world.centre, "day", WEDNESDAY),
        site_url(world.centre, "week", WEDNESDAY) + "/print",
    ):
        response = await other.get(url)
        assert response.status_code == 404, url
        assert "Dre Julie Roy" not in response.text and "Centre-ville" not in response.text


# -- a few queries, whatever the number of slots -------------------------------------------------


async def test_a_week_is_a_fixed_number_of_queries(world, demo):
    client = await admin(demo)
    await world.open(world.julie, world.centre, world.suivi, WEDNESDAY, time(9), time(10))
    url = practitioner_url(world.julie, "week", WEDNESDAY)
    with recorded_statements() as few:
        assert (await client.get(url)).status_code == 200
    for offset in range(5):
        await world.open(
            world.julie, world.centre, world.urgent, MONDAY + timedelta(offset), time(13), time(17)
        )
    slots = await Slot.select(Slot.id).where(Slot.practitioner == world.julie)
    marie = await demo_lookup.patient_id(world.clinic, "Tremblay")
    for row in slots[::2]:
        await world.booking().staff_book(
            slot_id=row["id"],
            details=BookingDetails(source=Source.STAFF, patient_id=marie),
            actor=RECEPTION,
        )
    with recorded_statements() as many:
        page = await client.get(url)
    assert len(slot_ids(page.text)) == len(slots) > 80
    # The session's, then the directory (with what is online) and the slots with their
    # appointments: the same few statements for one slot or a hundred.
    assert len(many) == len(few) <= 5, [s.sql[:60] for s in many]
    assert sum("FROM slot s" in s.sql for s in many) == 1
    assert await Appointment.count() > 40
