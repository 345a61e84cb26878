"""Opening schedules through SchedulingService: the slots each opening creates, in
the clinic's zone; overlaps and bad input refused with a clear message and nothing
created; publication states."""

import asyncio
from contextlib import asynccontextmanager
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from app import clock, i18n
from app.scheduling.services import ScheduleError, ScheduleRefusal, publication_state
from app.scheduling.tables import (
    Activity,
    ScheduleOpening,
    ScheduleTemplate,
    ScheduleTemplateBlock,
    Slot,
)
from tests.integration.engine_fixtures import (
    NOW,
    RECEPTION,
    STAFF,
    TUESDAY,
    open_slots,
    slot_count,
)

MONTREAL = ZoneInfo("America/Montreal")
PARIS = ZoneInfo("Europe/Paris")


async def slots_of(opening_id: int) -> list[dict]:
    return await Slot.select().where(Slot.opening == opening_id).order_by(Slot.starts_at)


def wall(row: dict, zone: ZoneInfo) -> str:
    return row["starts_at"].astimezone(zone).strftime("%Y-%m-%d %H:%M")


async def make_template(tenant, blocks: list[tuple[int, str, str, str]]) -> int:
    template = ScheduleTemplate(clinic=tenant.id, name="semaine")
    await template.save()
    await ScheduleTemplateBlock.insert(
        *[
            ScheduleTemplateBlock(
                clinic=tenant.id,
                template=template.id,
                weekday=weekday,
                start_time=time.fromisoformat(start),
                end_time=time.fromisoformat(end),
                activity=tenant.activities[activity],
            )
            for weekday, start, end, activity in blocks
        ]
    )
    return template.id


async def totals(clinic_id: int) -> tuple[int, int]:
    return await slot_count(clinic_id), await ScheduleOpening.count().where(
        ScheduleOpening.clinic == clinic_id
    )


@asynccontextmanager
async def nothing_opened(world, match: str | None = None):
    """The opening inside is refused with ScheduleError, and no slot or opening of
    either clinic was created."""
    before = (await totals(world.demo.id), await totals(world.autre.id))
    with pytest.raises(ScheduleError, match=match) as refusal:
        yield refusal
    assert (await totals(world.demo.id), await totals(world.autre.id)) == before


def roy_urgent(world) -> dict:
    """Dre Roy, centre-ville, urgent, 09:00–10:00: arguments a test then changes."""
    demo = world.demo
    return dict(
        practitioner_id=demo.practitioners["roy"],
        site_id=demo.sites["centre-ville"],
        activity_id=demo.activities["urgent"],
        start=time(9, 0),
        end=time(10, 0),
    )


def manual(world, **changes):
    return world.demo.scheduling.open_manual(
        actor=RECEPTION, **{**roy_urgent(world), "day": TUESDAY, **changes}
    )


def recurrence(world, **changes):
    monday = dict(
        rule="FREQ=WEEKLY;BYDAY=MO", first_day=date(2026, 11, 23), last_day=date(2026, 12, 22)
    )
    return world.demo.scheduling.open_recurrence(
        actor=RECEPTION, **{**roy_urgent(world), **monday, **changes}
    )


def roy_template(
    world,
    template_id: int,
    first_day: date = date(2026, 11, 23),
    last_day: date = date(2026, 11, 29),
):
    demo = world.demo
    return demo.scheduling.apply_template(
        actor=RECEPTION,
        template_id=template_id,
        practitioner_id=demo.practitioners["roy"],
        site_id=demo.sites["centre-ville"],
        first_day=first_day,
        last_day=last_day,
    )


def lavoie_tuesdays_and_thursdays(world, last_day: date):
    demo = world.demo
    return recurrence(
        world,
        practitioner_id=demo.practitioners["lavoie"],
        site_id=demo.sites["laval"],
        activity_id=demo.activities["followup"],
        rule="FREQ=WEEKLY;BYDAY=TU,TH",
        last_day=last_day,
        start=time(13, 0),
        end=time(14, 0),
    )


# -- what each opening creates -------------------------------------------------------------


async def test_open_manual_creates_local_slots_with_day_parts_and_publication(world):
    demo = world.demo
    publish_at = NOW + timedelta(days=1)
    opened = await demo.scheduling.open_manual(
        actor=RECEPTION,
        practitioner_id=demo.practitioners["roy"],
        site_id=demo.sites["centre-ville"],
        activity_id=demo.activities["urgent"],
        day=TUESDAY,
        start=time(11, 30),
        end=time(12, 30),
        publish_at=publish_at,
    )
    rows = await slots_of(opened.opening_id)
    assert opened.slot_count == len(rows) == 4
    assert [wall(r, MONTREAL) for r in rows] == [
        "2026-11-24 11:30",
        "2026-11-24 11:45",
        "2026-11-24 12:00",
        "2026-11-24 12:15",
    ]
    assert rows[0]["starts_at"] == datetime(
        2026, 11, 24, 16, 30, tzinfo=timezone.utc
    )  # EST is UTC-5
    assert [r["day_part"] for r in rows] == ["morning", "morning", "afternoon", "afternoon"]
    assert all(r["ends_at"] - r["starts_at"] == timedelta(minutes=15) for r in rows)
    assert {(r["origin"], r["local_date"], r["publish_at"], r["state"]) for r in rows} == {
        ("manual", TUESDAY, publish_at, "open")
    }
    assert {(r["practitioner"], r["site"], r["activity"], r["clinic"]) for r in rows} == {
        (demo.practitioners["roy"], demo.sites["centre-ville"], demo.activities["urgent"], demo.id)
    }
    opening = await ScheduleOpening.select().where(ScheduleOpening.id == opened.opening_id).first()
    assert (
        opening["origin"],
        opening["first_day"],
        opening["last_day"],
        opening["created_by"],
    ) == (
        "manual",
        TUESDAY,
        TUESDAY,
        RECEPTION.key(),
    )


async def test_apply_template_repeats_the_weekly_pattern_over_the_range(world):
    demo = world.demo
    template_id = await make_template(
        demo, [(0, "08:00", "09:00", "urgent"), (2, "16:30", "17:30", "followup")]
    )
    opened = await demo.scheduling.apply_template(
        actor=RECEPTION,
        template_id=template_id,
        practitioner_id=demo.practitioners["gagnon"],
        site_id=demo.sites["laval"],
        first_day=date(2026, 11, 23),
        last_day=date(2026, 12, 2),
    )
    rows = await slots_of(opened.opening_id)
    # Mondays 23 and 30 November (4 × 15 min), Wednesdays 25 November and 2 December (2 × 30 min).
    assert opened.slot_count == len(rows) == 12
    by_day: dict[date, list[str]] = {}
    for r in rows:
        by_day.setdefault(r["local_date"], []).append(
            r["starts_at"].astimezone(MONTREAL).strftime("%H:%M")
        )
    assert by_day == {
        date(2026, 11, 23): ["08:00", "08:15", "08:30", "08:45"],
        date(2026, 11, 25): ["16:30", "17:00"],
        date(2026, 11, 30): ["08:00", "08:15", "08:30", "08:45"],
        date(2026, 12, 2): ["16:30", "17:00"],
    }
    wednesday = [r for r in rows if r["local_date"] == date(2026, 11, 25)]
    assert [r["day_part"] for r in wednesday] == ["afternoon", "evening"]
    assert {r["activity"] for r in wednesday} == {demo.activities["followup"]}
    assert {(r["origin"], r["publish_at"]) for r in rows} == {("template", None)}
    opening = await ScheduleOpening.select().where(ScheduleOpening.id == opened.opening_id).first()
    assert (opening["origin"], opening["template"]) == ("template", template_id)


async def test_a_template_keeps_local_hours_across_the_paris_change(world):
    autre = world.autre
    template_id = await make_template(
        autre, [(4, "09:00", "09:20", "consult"), (0, "09:00", "09:20", "consult")]
    )
    opened = await autre.scheduling.apply_template(
        actor=RECEPTION,
        template_id=template_id,
        practitioner_id=autre.practitioners["martin"],
        site_id=autre.sites["principal"],
        first_day=date(2026, 10, 23),  # Friday before the change, Monday after
        last_day=date(2026, 10, 26),
    )
    rows = await slots_of(opened.opening_id)
    assert [wall(r, PARIS) for r in rows] == ["2026-10-23 09:00", "2026-10-26 09:00"]
    assert [r["starts_at"].hour for r in rows] == [7, 8]  # CEST then CET, in UTC


async def test_open_recurrence_follows_the_rule_and_is_never_published(world):
    opened = await lavoie_tuesdays_and_thursdays(world, last_day=date(2026, 12, 6))
    rows = await slots_of(opened.opening_id)
    assert opened.slot_count == len(rows) == 8
    assert sorted({r["local_date"] for r in rows}) == [
        date(2026, 11, 24),
        date(2026, 11, 26),
        date(2026, 12, 1),
        date(2026, 12, 3),
    ]
    assert {(r["origin"], r["day_part"], r["publish_at"]) for r in rows} == {
        ("recurrence", "afternoon", None)
    }
    opening = await ScheduleOpening.select().where(ScheduleOpening.id == opened.opening_id).first()
    assert (opening["origin"], opening["rrule"]) == ("recurrence", "FREQ=WEEKLY;BYDAY=TU,TH")


# -- overlaps ------------------------------------------------------------------------------


async def test_an_overlapping_manual_opening_is_refused_naming_the_conflict(world):
    demo = world.demo
    await open_slots(
        demo, who="roy", site="centre-ville", activity="urgent", start=time(9, 0), end=time(10, 0)
    )
    i18n.activate("fr")
    async with nothing_opened(world) as refused:
        await open_slots(
            demo,
            who="roy",
            site="centre-ville",
            activity="followup",
            start=time(9, 50),
            end=time(11, 0),
        )
    message = str(refused.value)
    assert "Dre Julie Roy" in message
    assert "mardi 24 novembre 2026" in message
    # The existing slot it collides with (09:45–10:00), not the requested one.
    assert "09:45" in message and "10:00" in message


async def test_the_conflict_message_follows_the_staff_language(world):
    demo = world.demo
    await open_slots(
        demo, who="roy", site="centre-ville", activity="urgent", start=time(14, 0), end=time(14, 15)
    )
    with pytest.raises(ScheduleError) as refused:
        await open_slots(
            demo,
            who="roy",
            site="centre-ville",
            activity="urgent",
            start=time(13, 0),
            end=time(15, 0),
        )
    assert refused.value.code is ScheduleRefusal.OVERLAP
    # The refusal is a code; the page says it in the staff member's language.
    i18n.activate("en")
    try:
        message = refused.value.text()
    finally:
        i18n.activate("fr")
    assert "Dre Julie Roy" in message and "Tuesday, November 24, 2026" in message
    assert "2:00" in message and "2:15" in message and "PM" in message


async def test_adjacent_openings_and_other_practitioners_are_not_conflicts(world):
    demo = world.demo
    await open_slots(
        demo,
        who="gagnon",
        site="centre-ville",
        activity="urgent",
        start=time(9, 0),
        end=time(10, 0),
    )
    after = await open_slots(
        demo,
        who="gagnon",
        site="centre-ville",
        activity="urgent",
        start=time(10, 0),
        end=time(10, 30),
    )
    before = await open_slots(
        demo,
        who="gagnon",
        site="centre-ville",
        activity="urgent",
        start=time(8, 30),
        end=time(9, 0),
    )
    other = await open_slots(
        demo, who="roy", site="centre-ville", activity="urgent", start=time(9, 0), end=time(10, 0)
    )
    assert (len(after), len(before), len(other)) == (2, 2, 4)


async def test_a_practitioner_cannot_be_opened_at_two_sites_at_once(world):
    demo = world.demo
    await open_slots(
        demo,
        who="gagnon",
        site="centre-ville",
        activity="followup",
        start=time(9, 0),
        end=time(12, 0),
    )
    async with nothing_opened(world, "Dr Marc Gagnon"):
        await open_slots(
            demo, who="gagnon", site="laval", activity="urgent", start=time(11, 45), end=time(13, 0)
        )


async def test_a_booked_slot_also_blocks_an_overlapping_opening(world):
    demo = world.demo
    [slot_id] = await open_slots(
        demo,
        who="roy",
        site="centre-ville",
        activity="followup",
        start=time(15, 0),
        end=time(15, 30),
    )
    assert (
        await demo.booking().staff_book(actor=RECEPTION, slot_id=slot_id, details=STAFF)
    ).code == "booked"
    async with nothing_opened(world, "Dre Julie Roy"):
        await open_slots(
            demo,
            who="roy",
            site="centre-ville",
            activity="urgent",
            start=time(15, 15),
            end=time(15, 30),
        )


async def test_a_template_overlapping_one_existing_slot_opens_nothing_on_any_day(world):
    demo = world.demo
    # One slot on Wednesday 2 December, in the middle of a two-week template.
    await open_slots(
        demo,
        who="roy",
        site="centre-ville",
        activity="urgent",
        day=date(2026, 12, 2),
        start=time(10, 30),
        end=time(10, 45),
    )
    template_id = await make_template(demo, [(d, "08:00", "12:00", "followup") for d in range(5)])
    async with nothing_opened(world) as refused:
        await roy_template(world, template_id, last_day=date(2026, 12, 4))
    assert "2 décembre 2026" in str(refused.value) and "10:30" in str(refused.value)


async def test_a_recurrence_overlapping_an_existing_slot_opens_nothing(world):
    demo = world.demo
    await open_slots(
        demo,
        who="lavoie",
        site="laval",
        activity="urgent",
        day=date(2026, 12, 3),
        start=time(13, 30),
        end=time(13, 45),
    )
    async with nothing_opened(world, "Sophie Lavoie"):
        await lavoie_tuesdays_and_thursdays(world, last_day=date(2026, 12, 22))


async def test_overlapping_blocks_within_one_template_are_refused(world):
    demo = world.demo
    template_id = await make_template(
        demo, [(1, "09:00", "11:00", "followup"), (1, "10:30", "12:00", "urgent")]
    )
    async with nothing_opened(world, "Dre Julie Roy"):
        await roy_template(world, template_id)


async def test_two_overlapping_openings_racing_open_only_one(world):
    demo = world.demo

    async def attempt(start: time, end: time):
        try:
            return await open_slots(
                demo, who="roy", site="centre-ville", activity="urgent", start=start, end=end
            )
        except ScheduleError as error:
            return error

    results = await asyncio.gather(
        *[attempt(time(9, 0 + 30 * (n % 2)), time(10, 0 + 30 * (n % 2))) for n in range(6)]
    )
    opened = [r for r in results if isinstance(r, list)]
    assert len(opened) == 1
    assert all(isinstance(r, ScheduleError) for r in results if not isinstance(r, list))
    assert await slot_count(demo.id) == len(opened[0]) == 4


# -- bad input -----------------------------------------------------------------------------


async def refused(world, message: str, call) -> None:
    async with nothing_opened(world) as error:
        await call
    i18n.activate("en")
    try:
        assert error.value.text() == message
    finally:
        i18n.activate("fr")


async def test_another_clinics_activity_practitioner_or_site_is_refused(world):
    autre = world.autre
    await refused(
        world,
        "This activity does not exist.",
        manual(world, activity_id=autre.activities["consult"]),
    )
    await refused(
        world,
        "This practitioner or site does not exist.",
        manual(world, practitioner_id=autre.practitioners["martin"]),
    )
    await refused(
        world,
        "This practitioner or site does not exist.",
        manual(world, site_id=autre.sites["principal"]),
    )
    await refused(
        world, "This practitioner or site does not exist.", manual(world, practitioner_id=999_999)
    )


async def test_an_inactive_activity_is_refused(world):
    await Activity.update({Activity.active: False}).where(
        Activity.id == world.demo.activities["urgent"]
    )
    await refused(world, "This activity does not exist.", manual(world))


async def test_a_practitioner_who_does_not_work_at_the_site_is_refused(world):
    await refused(
        world,
        "Dre Julie Roy does not work at this site.",
        manual(world, site_id=world.demo.sites["laval"]),
    )


async def test_times_that_open_no_slot_are_refused(world):
    await refused(
        world, "These times open no slot.", manual(world, start=time(10, 0), end=time(9, 0))
    )
    await refused(
        world, "These times open no slot.", manual(world, start=time(9, 0), end=time(9, 10))
    )
    await refused(
        world,
        "These times open no slot.",
        recurrence(world, rule="FREQ=WEEKLY;BYDAY=MO;COUNT=1", first_day=TUESDAY, last_day=TUESDAY),
    )


async def test_bad_ranges_are_refused(world):
    await refused(
        world,
        "The last day comes before the first day.",
        recurrence(world, last_day=date(2026, 11, 22)),
    )
    await refused(
        world,
        "Open at most one year at a time.",
        recurrence(world, last_day=date(2026, 11, 23) + timedelta(days=366)),
    )
    template_id = await make_template(world.demo, [(0, "09:00", "10:00", "urgent")])
    await refused(
        world,
        "The last day comes before the first day.",
        roy_template(world, template_id, first_day=date(2026, 11, 30), last_day=date(2026, 11, 29)),
    )
    await refused(
        world,
        "Open at most one year at a time.",
        roy_template(world, template_id, last_day=date(2027, 11, 24)),
    )


async def test_a_full_year_is_accepted(world):
    opened = await recurrence(
        world, rule="FREQ=MONTHLY;BYMONTHDAY=23", last_day=date(2026, 11, 23) + timedelta(days=365)
    )
    assert opened.slot_count == 13 * 4  # 23 November 2026 to 23 November 2027, four 15-minute slots


@pytest.mark.parametrize(
    "rule",
    ["garbage", "FREQ=WEEKLY;BYDAY=XX", "FREQ=MINUTELY", "FREQ=DAILY;COUNT=2;UNTIL=20261202"],
)
async def test_a_bad_recurrence_rule_is_refused(world, rule):
    await refused(world, "The recurrence rule is not valid.", recurrence(world, rule=rule))


async def test_another_clinics_template_is_refused(world):
    template_id = await make_template(world.autre, [(0, "09:00", "10:00", "consult")])
    await refused(
        world,
        "This schedule template does not exist or has no blocks.",
        roy_template(world, template_id),
    )


# -- publication ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "origin, publish_at, offered, state",
    [
        ("manual", None, True, "published"),
        ("manual", NOW - timedelta(minutes=1), True, "published"),
        ("manual", NOW, True, "published"),  # due now
        ("manual", NOW + timedelta(minutes=1), True, "scheduled"),
        ("template", None, True, "published"),
        ("template", NOW + timedelta(days=3), True, "scheduled"),
        ("template", NOW - timedelta(days=3), True, "published"),
        ("recurrence", None, True, "not_online"),
        ("recurrence", NOW - timedelta(days=1), True, "not_online"),
        ("recurrence", NOW + timedelta(days=1), True, "not_online"),
        ("manual", None, False, "not_online"),
        ("manual", NOW + timedelta(days=1), False, "not_online"),
        ("template", None, False, "not_online"),
        ("template", NOW - timedelta(days=1), False, "not_online"),
        ("recurrence", None, False, "not_online"),
    ],
)
def test_publication_state(origin, publish_at, offered, state):
    assert (
        publication_state(origin=origin, publish_at=publish_at, activity_offered=offered, now=NOW)
        == state
    )


async def test_a_scheduled_slot_becomes_published_when_the_clock_passes_publish_at(world):
    publish_at = NOW + timedelta(hours=2)
    [first, *_] = await open_slots(
        world.demo, who="roy", site="centre-ville", activity="urgent", publish_at=publish_at
    )
    row = await Slot.select(Slot.origin, Slot.publish_at).where(Slot.id == first).first()

    def state() -> str:
        return publication_state(
            origin=row["origin"],
            publish_at=row["publish_at"],
            activity_offered=True,
            now=clock.now(),
        )

    assert state() == "scheduled"
    clock.advance(timedelta(hours=2))
    assert state() == "published"
