"""Availability search: each filter alone and combined, publication and holds,
ordering, paging, and tenant isolation.

Now is Monday 23 November 2026, 07:00 in Montreal (tests.moments.NOW). The slots opened by `agenda`:
  lavoie  laval         urgent    Mon 08:30, 08:45          (morning, today)
  roy     centre-ville  urgent    Mon 20:30, 20:45          (evening; Tuesday in UTC)
  roy     centre-ville  urgent    Tue 09:00 … 09:45         (morning)
  gagnon  laval         urgent    Tue 13:00, 13:15          (afternoon)
  gagnon  centre-ville  followup  Wed 17:00, 17:30          (evening)"""

import dataclasses
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app import clock
from app.booking.search import MAX_RESULTS, Criteria, results_for_page, search
from app.scheduling.tables import Slot
from tests.integration.engine_fixtures import (
    NOW,
    RECEPTION,
    STAFF,
    TUESDAY,
    open_slots,
)

MONTREAL = ZoneInfo("America/Montreal")
MONDAY, WEDNESDAY = date(2026, 11, 23), date(2026, 11, 25)


@pytest.fixture
async def agenda(world):
    demo = world.demo
    await open_slots(
        demo,
        who="lavoie",
        site="laval",
        activity="urgent",
        day=MONDAY,
        start=time(8, 30),
        end=time(9, 0),
    )
    await open_slots(
        demo,
        who="roy",
        site="centre-ville",
        activity="urgent",
        day=MONDAY,
        start=time(20, 30),
        end=time(21, 0),
    )
    await open_slots(
        demo, who="roy", site="centre-ville", activity="urgent", start=time(9, 0), end=time(10, 0)
    )
    await open_slots(
        demo, who="gagnon", site="laval", activity="urgent", start=time(13, 0), end=time(13, 30)
    )
    await open_slots(
        demo,
        who="gagnon",
        site="centre-ville",
        activity="followup",
        day=WEDNESDAY,
        start=time(17, 0),
        end=time(18, 0),
    )
    await open_slots(world.autre, who="martin", site="principal", activity="consult", day=TUESDAY)
    return world


def labels(results) -> list[str]:
    """'who day HH:MM' in Montreal time, in result order."""
    return [
        f"{r.practitioner_name.split()[1]} {r.starts_at.astimezone(MONTREAL):%a %H:%M}"
        for r in results
    ]


async def find(
    world, limit: int = MAX_RESULTS, min_notice: timedelta = timedelta(0), **criteria
) -> list[str]:
    demo = world.demo
    criteria.setdefault("activities", ("urgent", "followup"))
    activity_ids = tuple(demo.activities[a] for a in criteria.pop("activities"))
    for key in ("include_practitioners", "exclude_practitioners"):
        if key in criteria:
            criteria[key] = tuple(demo.practitioners[p] for p in criteria[key])
    if "site" in criteria:
        criteria["site_id"] = demo.sites[criteria.pop("site")]
    chosen = Criteria(activity_ids=activity_ids, **criteria)
    results = await search(clinic_id=demo.id, criteria=chosen, limit=limit, min_notice=min_notice)
    await _each_slot_alone_agrees(demo.id, chosen, min_notice, results, limit)
    return labels(results)


async def _each_slot_alone_agrees(clinic_id, criteria, min_notice, results, limit) -> None:
    """Asked about one slot (a form sent it back), the search finds it exactly when the
    listing offers it: every filter applies to the one-slot lookup too. Every slot of
    both clinics is asked about, the other clinic's included (when the listing is whole:
    never past its fifty)."""
    if limit < MAX_RESULTS or len(results) >= MAX_RESULTS:
        return
    offered = {r.slot_id for r in results}
    for row in await Slot.select(Slot.id):
        alone = await search(
            clinic_id=clinic_id,
            criteria=dataclasses.replace(criteria, slot_id=row["id"]),
            limit=1,
            min_notice=min_notice,
        )
        assert [r.slot_id for r in alone] == ([row["id"]] if row["id"] in offered else [])


ROY_TUESDAY = ["Julie Tue 09:00", "Julie Tue 09:15", "Julie Tue 09:30", "Julie Tue 09:45"]
ALL = [
    "Lavoie, Mon 08:30",
    "Lavoie, Mon 08:45",
    "Julie Mon 20:30",
    "Julie Mon 20:45",
    *ROY_TUESDAY,
    "Marc Tue 13:00",
    "Marc Tue 13:15",
    "Marc Wed 17:00",
    "Marc Wed 17:30",
]


async def test_everything_offered_in_start_order(agenda):
    assert await find(agenda) == ALL


async def test_results_carry_names_for_the_page(agenda):
    demo = agenda.demo
    [first] = await search(
        clinic_id=demo.id, criteria=Criteria(activity_ids=(demo.activities["urgent"],)), limit=1
    )
    assert (
        first.practitioner_name,
        first.site_name_fr,
        first.site_name_en,
        first.activity_name_fr,
    ) == (
        "Sophie Lavoie, IPS",
        "Laval",
        "Laval",
        "urgent",
    )
    assert (first.practitioner_id, first.site_id, first.activity_id) == (
        demo.practitioners["lavoie"],
        demo.sites["laval"],
        demo.activities["urgent"],
    )
    assert first.ends_at - first.starts_at == timedelta(minutes=15)


async def test_activities_filter(agenda):
    assert await find(agenda, activities=("followup",)) == ["Marc Wed 17:00", "Marc Wed 17:30"]
    assert len(await find(agenda, activities=("urgent",))) == 10
    assert await find(agenda, activities=()) == []


async def test_include_and_exclude_practitioners(agenda):
    assert await find(agenda, include_practitioners=("gagnon",)) == [
        "Marc Tue 13:00",
        "Marc Tue 13:15",
        "Marc Wed 17:00",
        "Marc Wed 17:30",
    ]
    assert await find(agenda, exclude_practitioners=("roy", "gagnon")) == [
        "Lavoie, Mon 08:30",
        "Lavoie, Mon 08:45",
    ]
    # Both lists at once: the included ones minus the excluded ones.
    assert await find(
        agenda, include_practitioners=("roy", "lavoie"), exclude_practitioners=("roy",)
    ) == [
        "Lavoie, Mon 08:30",
        "Lavoie, Mon 08:45",
    ]


async def test_a_long_include_list_gives_the_same_answer(agenda):
    # Enough chosen practitioners that the search filters on them instead of
    # querying each one separately: the answer must not change.
    demo = agenda.demo
    unknown = tuple(range(900_000, 900_020))
    for chosen in (("gagnon",), ("roy", "lavoie")):
        ids = tuple(demo.practitioners[p] for p in chosen)
        criteria = Criteria(
            activity_ids=tuple(demo.activities.values()), include_practitioners=ids + unknown
        )
        assert labels(await search(clinic_id=demo.id, criteria=criteria, limit=50)) == await find(
            agenda, include_practitioners=chosen
        )


async def test_site_filter(agenda):
    assert await find(agenda, site="laval") == [
        "Lavoie, Mon 08:30",
        "Lavoie, Mon 08:45",
        "Marc Tue 13:00",
        "Marc Tue 13:15",
    ]
    # Gagnon works at both sites; his centre-ville slots only.
    assert await find(agenda, site="centre-ville", include_practitioners=("gagnon",)) == [
        "Marc Wed 17:00",
        "Marc Wed 17:30",
    ]


async def test_from_date_is_the_clinic_local_date(agenda):
    # Roy's Monday 20:30 and 20:45 are already Tuesday in UTC, yet stay Monday slots.
    assert await find(agenda, from_date=TUESDAY) == ALL[4:]
    assert await find(agenda, from_date=MONDAY) == ALL
    assert await find(agenda, from_date=WEDNESDAY) == ["Marc Wed 17:00", "Marc Wed 17:30"]
    assert await find(agenda, from_date=date(2026, 11, 26)) == []


async def test_day_part_filter(agenda):
    assert await find(agenda, day_part="morning") == [
        "Lavoie, Mon 08:30",
        "Lavoie, Mon 08:45",
        *ROY_TUESDAY,
    ]
    assert await find(agenda, day_part="afternoon") == ["Marc Tue 13:00", "Marc Tue 13:15"]
    assert await find(agenda, day_part="evening") == [
        "Julie Mon 20:30",
        "Julie Mon 20:45",
        "Marc Wed 17:00",
        "Marc Wed 17:30",
    ]
    assert await find(agenda, day_part="night") == []


async def test_min_notice(agenda):
    # Now is 07:00: a 90-minute notice still allows 08:30, 105 minutes does not.
    assert (await find(agenda, min_notice=timedelta(minutes=90)))[:2] == [
        "Lavoie, Mon 08:30",
        "Lavoie, Mon 08:45",
    ]
    assert (await find(agenda, min_notice=timedelta(minutes=105)))[0] == "Lavoie, Mon 08:45"
    assert await find(agenda, min_notice=timedelta(hours=27)) == ALL[8:]
    clock.advance(timedelta(minutes=91))  # 08:31: the 08:30 slot has started
    assert (await find(agenda))[0] == "Lavoie, Mon 08:45"


async def test_filters_combined(agenda):
    assert (
        await find(
            agenda,
            activities=("urgent",),
            site="centre-ville",
            day_part="morning",
            from_date=TUESDAY,
            exclude_practitioners=("gagnon",),
            min_notice=timedelta(hours=2),
        )
        == ROY_TUESDAY
    )
    assert await find(agenda, activities=("followup",), site="laval") == []
    assert await find(agenda, include_practitioners=("lavoie",), day_part="afternoon") == []


async def test_a_slot_published_later_is_hidden_until_the_clock_passes_publish_at(world):
    demo = world.demo
    await open_slots(
        demo,
        who="roy",
        site="centre-ville",
        activity="urgent",
        start=time(9, 0),
        end=time(9, 15),
        publish_at=NOW + timedelta(hours=3),
    )
    assert await find(world) == []
    clock.advance(timedelta(hours=2, minutes=59))
    assert await find(world) == []
    clock.advance(timedelta(minutes=1))
    assert await find(world) == ["Julie Tue 09:00"]


async def test_recurrence_slots_are_never_shown(world):
    demo = world.demo
    await demo.scheduling.open_recurrence(
        actor=RECEPTION,
        practitioner_id=demo.practitioners["roy"],
        site_id=demo.sites["centre-ville"],
        activity_id=demo.activities["urgent"],
        rule="FREQ=DAILY",
        first_day=TUESDAY,
        last_day=WEDNESDAY,
        start=time(9, 0),
        end=time(10, 0),
    )
    assert await Slot.count().where(Slot.clinic == demo.id) == 8
    assert await find(world) == []
    assert await find(world, include_practitioners=("roy",), from_date=TUESDAY) == []


async def test_booked_and_held_slots_are_skipped_but_a_holder_sees_their_own_hold(agenda):
    demo = agenda.demo
    booking = demo.booking(hold_for=timedelta(minutes=5))
    roy = await search(
        clinic_id=demo.id,
        criteria=Criteria(
            activity_ids=(demo.activities["urgent"],),
            include_practitioners=(demo.practitioners["roy"],),
            from_date=TUESDAY,
        ),
        limit=50,
    )
    assert (
        await booking.staff_book(actor=RECEPTION, slot_id=roy[0].slot_id, details=STAFF)
    ).code == "booked"
    assert (await booking.hold(slot_id=roy[1].slot_id, token="patient-a")).code == "held"
    others = await find(agenda, include_practitioners=("roy",), from_date=TUESDAY)
    assert others == ROY_TUESDAY[2:]
    own = await find(agenda, include_practitioners=("roy",), from_date=TUESDAY, holder="patient-a")
    assert own == ROY_TUESDAY[1:]
    assert (
        await find(agenda, include_practitioners=("roy",), from_date=TUESDAY, holder="patient-b")
        == ROY_TUESDAY[2:]
    )
    # The hold lapses by time alone: after five minutes everyone sees the slot again.
    clock.advance(timedelta(minutes=5))
    assert (
        await find(agenda, include_practitioners=("roy",), from_date=TUESDAY) == ROY_TUESDAY[2:]
    )  # still live at its last instant
    clock.advance(timedelta(seconds=1))
    assert await find(agenda, include_practitioners=("roy",), from_date=TUESDAY) == ROY_TUESDAY[1:]


async def test_another_clinics_slots_are_never_returned(agenda):
    demo, autre = agenda.demo, agenda.autre
    consult = autre.activities["consult"]
    # The other clinic's activity, practitioner or site asked of this clinic: nothing.
    assert (
        await search(clinic_id=demo.id, criteria=Criteria(activity_ids=(consult,)), limit=50) == []
    )
    assert (
        await search(
            clinic_id=demo.id,
            criteria=Criteria(
                activity_ids=(demo.activities["urgent"],),
                include_practitioners=(autre.practitioners["martin"],),
            ),
            limit=50,
        )
        == []
    )
    assert (
        await search(
            clinic_id=demo.id,
            criteria=Criteria(
                activity_ids=(demo.activities["urgent"],), site_id=autre.sites["principal"]
            ),
            limit=50,
        )
        == []
    )
    # Everything at once from the other side: only its own slots.
    mixed = tuple(demo.activities.values()) + (consult,)
    theirs = await search(clinic_id=autre.id, criteria=Criteria(activity_ids=mixed), limit=50)
    assert len(theirs) == 3 and {r.practitioner_name for r in theirs} == {"Dr Claire Martin"}


def test_pages_grow_by_five_up_to_fifty():
    assert [results_for_page(page) for page in range(0, 13)] == [
        5,
        5,
        10,
        15,
        20,
        25,
        30,
        35,
        40,
        45,
        50,
        50,
        50,
    ]
    assert results_for_page(-3) == 5


async def test_paging_from_five_to_fifty(world):
    demo = world.demo
    # 64 slots over two days: more than one can ever see.
    for day in (TUESDAY, WEDNESDAY):
        await open_slots(
            demo,
            who="roy",
            site="centre-ville",
            activity="urgent",
            day=day,
            start=time(8, 0),
            end=time(16, 0),
        )
    everything = await find(world, limit=1000)
    assert len(everything) == MAX_RESULTS
    previous: list[str] = []
    for page in range(1, 12):
        shown = await find(world, limit=results_for_page(page))
        assert len(shown) == min(5 * page, MAX_RESULTS)
        assert shown[: len(previous)] == previous  # "see more" keeps what was shown
        previous = shown
    assert previous == everything
    starts = [
        r.starts_at
        for r in await search(
            clinic_id=demo.id,
            criteria=Criteria(activity_ids=(demo.activities["urgent"],)),
            limit=50,
        )
    ]
    assert starts == sorted(starts)
