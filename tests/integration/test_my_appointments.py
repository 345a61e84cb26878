""" "My appointments" (SPEC §7b): a contact of the file and a date of birth bring a
one-time code; the code opens, for 30 minutes, the patient's appointments at this clinic
on every site (not those of a type hidden from the portal), their dependants' marked
with their name. A stranger, another clinic's patient and a patient get the same pages.

The clock stands on Wednesday 25 November 2026, 10:00 in Montreal: Marie's visit of
Tuesday the 24th is past, Monday the 30th's is to come."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

from app import clock, retention
from app.booking.links import my_path
from app.messaging.tables import Message
from app.patient_space.tables import PatientSpaceSession
from app.patients import dependants
from app.patients.tables import IdentificationAttempt
from app.scheduling.tables import PractitionerSite
from app.settings import load
from tests.integration.messaging_helpers import MARIE_CELL, MARIE_EMAIL, body, local
from tests.integration.portal_helpers import (
    book_marie_follow_up,
    form_token,
    open_follow_ups,
    text,
)

TUESDAY, WEDNESDAY, THURSDAY, NEXT_MONDAY = (date(2026, 11, d) for d in (24, 25, 26, 30))
MARIE_BORN = "1985-04-12"
SEEN_AT = local(WEDNESDAY, time(10))
IDLE = load().staff_idle


def code_in(message: str) -> str:
    return re.search(r"\b(\d{6})\b", message).group(1)


async def ask(client, contact: str, born: str = MARIE_BORN, site: str = "centre-ville", **query):
    page = await client.get(f"/{site}/my", params=query)
    return await client.post(
        f"/{site}/my",
        params=query,
        data={"contact": contact, "date_of_birth": born, "form_token": form_token(page.text)},
    )


async def type_code(client, code_url: str, code: str):
    page = await client.get(code_url)
    return await client.post(code_url, data={"code": code, "form_token": form_token(page.text)})


async def marie_signs_in(comms, client, contact: str = MARIE_EMAIL, **query) -> str:
    """Her list's URL, after the code sent to `contact`."""
    asked = await ask(client, contact, **query)
    assert asked.status_code == 303
    await comms.deliver()
    if "@" in contact:
        sent = body(comms.emails(contact)[-1])
    else:
        sent = comms.texts(MARIE_CELL)[-1]
    entered = await type_code(client, asked.headers["location"], code_in(sent))
    assert entered.status_code == 303, entered.text
    return entered.headers["location"]


async def marie_visits(comms) -> dict[str, int]:
    """Tuesday's (past), Monday's at Laval (to come), and Thursday's of a hidden type."""
    clock.freeze(local(TUESDAY - timedelta(days=2), time(9)))
    # Dre Roy also sees patients at Laval: the list covers every site of the clinic.
    await PractitionerSite.insert(
        PractitionerSite(
            clinic=comms.clinic, practitioner=comms.practitioner, site=comms.sites["laval"]
        )
    )
    hidden = await comms.activity("Expertise", type_fr="Confidentiel", hidden_from_portal=True)
    booked = {
        "past": await comms.staff_book(local(TUESDAY, time(9))),
        "upcoming": await comms.staff_book(local(NEXT_MONDAY, time(14)), site="laval"),
        "hidden": await comms.staff_book(local(THURSDAY, time(11)), activity=hidden),
    }
    await comms.deliver()
    clock.freeze(SEEN_AT)
    return booked


async def sessions_count() -> int:
    return await PatientSpaceSession.count()


async def test_marie_asks_for_a_code_by_email_and_sees_her_appointments(comms, demo):
    booked = await marie_visits(comms)
    asked = await ask(demo, "Marie.Tremblay@Example.org ")
    assert asked.status_code == 303
    code_url = asked.headers["location"]
    assert re.fullmatch(r"/centre-ville/my/[A-Za-z0-9_-]{43}/code", code_url)
    await comms.deliver()
    [email] = [m for m in comms.emails() if m["Subject"] == "Votre code de vérification"]
    entered = await type_code(demo, code_url, code_in(body(email)))
    assert entered.status_code == 303
    list_url = entered.headers["location"]
    # The code page's token dies: the open session has a new one.
    assert list_url != code_url.removesuffix("/code")
    assert (await demo.get(code_url)).status_code == 404

    page = await demo.get(list_url, params={"lang": "en"})
    assert page.status_code == 200
    shown = text(page)
    upcoming, past = shown.split("Past appointments")
    assert "Monday, November 30, 2026, 2:00 PM" in upcoming and "Laval" in upcoming
    assert "Tuesday, November 24, 2026, 9:00 AM" in past
    assert "Thursday, November 26, 2026" not in shown  # the hidden type's
    # The upcoming one opens its details page; the past one has no link (it died).
    links = re.findall(r'href="(/a/[^"]+)"', page.text)
    assert len(links) == 1
    details = await demo.get(links[0])
    assert details.status_code == 200 and "November 30, 2026" in text(details)
    assert '<a class="my-link" href="/laval/my">' in details.text  # its site's
    assert links[0].startswith(f"/a/{booked['upcoming']}.")
    assert page.headers["cache-control"] == "no-store"


async def test_marie_can_ask_by_cell_phone_as_she_writes_it(comms, demo):
    await marie_visits(comms)
    list_url = await marie_signs_in(comms, demo, "514 555-0101")
    assert comms.texts(MARIE_CELL)
    assert "Tuesday, November 24, 2026" in text(await demo.get(list_url, params={"lang": "en"}))


async def test_bad_input_is_answered_next_to_the_field_and_creates_nothing(comms, demo):
    for contact, born, field in (
        ("", MARIE_BORN, "contact"),
        ("marie@", MARIE_BORN, "contact"),
        ("123", MARIE_BORN, "contact"),
        ("1 800 555 0199", MARIE_BORN, "contact"),  # no text message reaches a toll-free number
        ("x" * 300 + "@example.org", MARIE_BORN, "contact"),
        (MARIE_EMAIL, "", "date_of_birth"),
        (MARIE_EMAIL, "1985-02-30", "date_of_birth"),
        (MARIE_EMAIL, "2999-01-01", "date_of_birth"),
        (MARIE_EMAIL, "12/04/1985", "date_of_birth"),
    ):
        answer = await ask(demo, contact, born, lang="en")
        assert answer.status_code == 422, (contact, born)
        assert f'id="{field}-error"' in answer.text, (contact, born)
        assert f'value="{contact}"' in answer.text or len(contact) > 254
    assert await sessions_count() == 0
    assert await Message.count().where(Message.kind == "one_time_code") == 0
    page = await demo.get("/centre-ville/my")
    bad_token = await demo.post(
        "/centre-ville/my", data={"contact": MARIE_EMAIL, "date_of_birth": MARIE_BORN}
    )
    assert bad_token.status_code == 422 and "form_token" in page.text
    assert await sessions_count() == 0


async def test_five_wrong_codes_lock_the_session_even_the_right_code_then(comms, demo):
    await marie_visits(comms)
    asked = await ask(demo, MARIE_EMAIL, lang="en")
    code_url = asked.headers["location"]
    await comms.deliver()
    right = code_in(body(comms.emails()[-1]))
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    signed = form_token((await demo.get(code_url)).text)
    for left in (4, 3, 2, 1):
        answer = await type_code(demo, code_url, wrong)
        assert answer.status_code == 422
        assert 'id="code-error"' in answer.text
        assert f"You have {left} more tr" in text(answer)
    fifth = await type_code(demo, code_url, wrong)
    assert fifth.status_code == 422
    assert "This code is no longer valid. Ask for a new code." in text(fifth)
    assert 'name="code"' not in fifth.text
    after = await demo.post(code_url, data={"code": right, "form_token": signed})
    assert after.status_code == 422 and "/my/" not in after.headers.get("location", "")
    assert "no longer valid" in text(after)


async def test_a_code_typed_badly_costs_no_try(comms, demo):
    await marie_visits(comms)
    code_url = (await ask(demo, MARIE_EMAIL, lang="en")).headers["location"]
    for typed in ("", "12345", "1234567", "abcdef", "²²²²²²", "12 34 5x"):
        answer = await type_code(demo, code_url, typed)
        assert answer.status_code == 422 and 'id="code-error"' in answer.text
    assert (await PatientSpaceSession.select(PatientSpaceSession.tries).first())["tries"] == 0


async def test_a_code_expires_after_ten_minutes_and_the_list_after_thirty(comms, demo):
    await marie_visits(comms)
    code_url = (await ask(demo, MARIE_EMAIL)).headers["location"]
    await comms.deliver()
    code = code_in(body(comms.emails()[-1]))
    page = await demo.get(code_url)
    clock.freeze(SEEN_AT + timedelta(minutes=10, seconds=1))
    late = await demo.post(code_url, data={"code": code, "form_token": form_token(page.text)})
    assert late.status_code == 404 and 'href="/centre-ville/my"' in late.text

    clock.freeze(SEEN_AT + timedelta(minutes=20))
    list_url = await marie_signs_in(comms, demo)
    clock.freeze(SEEN_AT + timedelta(minutes=49, seconds=59))
    assert (await demo.get(list_url)).status_code == 200
    assert (await retention.purge(staff_idle=IDLE)).space_sessions == 1  # the code's, expired
    assert await sessions_count() == 1
    clock.freeze(SEEN_AT + timedelta(minutes=50))
    gone = await demo.get(list_url)
    assert gone.status_code == 404 and "Tuesday" not in text(gone)
    # Deleted, not only closed, once expired: nobody's contact or file is kept for nothing.
    assert (await retention.purge(staff_idle=IDLE)).space_sessions == 1
    assert await sessions_count() == 0


async def test_another_clinics_patient_gets_what_a_stranger_gets(comms, demo):
    """Camille has a file at the other clinic, with this email and birthday: here she is
    a stranger. The pages (tokens aside) are the same as for a patient's, and no code
    goes anywhere but to a file of this clinic."""
    await marie_visits(comms)
    answers = []
    for contact, born in (
        ("camille.dubois@example.fr", "1990-05-14"),  # a file, at the other clinic
        ("personne@example.org", "1990-01-01"),  # nobody's
        (MARIE_EMAIL, "1985-04-13"),  # Marie's email, another birthday
        (MARIE_EMAIL, MARIE_BORN),  # Marie
    ):
        asked = await ask(demo, contact, born)
        assert asked.status_code == 303
        code_page = await demo.get(asked.headers["location"])
        wrong = await type_code(demo, asked.headers["location"], "000000")
        answers.append(
            [
                re.sub(r"/my/[A-Za-z0-9_-]{43}", "/my/TOKEN", form_token_free(r.text))
                for r in (code_page, wrong)
            ]
        )
    assert answers[0] == answers[1] == answers[2] == answers[3]
    await comms.deliver()
    codes = await Message.select(Message.recipient).where(Message.kind == "one_time_code")
    assert codes == [{"recipient": MARIE_EMAIL}]
    assert comms.emails("camille.dubois@example.fr") == []


def form_token_free(html: str) -> str:
    return re.sub(r'name="form_token" value="[^"]+"', "", html)


async def test_requests_are_rate_limited_like_identification(comms, demo):
    """Someone trying birthdays for one email: ten failures an hour, then a refusal that
    says to call (the same for a file or none)."""
    for day in range(1, 11):
        assert (await ask(demo, MARIE_EMAIL, f"1985-04-{day:02d}")).status_code == 303
    for born in ("1985-04-11", MARIE_BORN):
        refused = await ask(demo, MARIE_EMAIL, born, lang="en")
        assert refused.status_code == 429
        assert "Too many attempts" in text(refused) and "514 555 0100" in text(refused)
    assert await Message.count().where(Message.kind == "one_time_code") == 0


async def test_the_right_code_forgets_the_attempt(comms, demo):
    await marie_visits(comms)
    await marie_signs_in(comms, demo)
    assert await IdentificationAttempt.count() == 0


async def test_the_code_pages_token_opens_nothing_but_the_code_page(comms, demo):
    """The code page's address is handed to whoever asks, a file's or not: it must not
    open the list, book again or sign out, before the code or after it."""
    await marie_visits(comms)
    code_url = (await ask(demo, MARIE_EMAIL)).headers["location"]
    waiting = code_url.removesuffix("/code")
    page = await demo.get(code_url)

    async def opens_nothing() -> None:
        answer = await demo.get(waiting)
        assert answer.status_code == 404 and "Monday" not in text(answer)
        for action in ("again", "out"):
            posted = await demo.post(
                f"{waiting}/{action}", data={"form_token": form_token(page.text)}
            )
            assert posted.status_code == 404

    await opens_nothing()
    await comms.deliver()
    list_url = (await type_code(demo, code_url, code_in(body(comms.emails()[-1])))).headers[
        "location"
    ]
    assert list_url != waiting and (await demo.get(list_url)).status_code == 200
    await opens_nothing()  # the old token died with the right code
    assert (await demo.get(code_url)).status_code == 404


async def test_a_tampered_or_odd_token_is_no_session(comms, demo):
    await marie_visits(comms)
    list_url = await marie_signs_in(comms, demo)
    token = list_url.rsplit("/", 1)[1]
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for odd in (flipped, token[:-1], token + "A", "%00" * 43, "..%2F..%2Fa", "é" * 43):
        for path in ("", "/code"):
            answer = await demo.get(f"/centre-ville/my/{odd}{path}")
            assert answer.status_code == 404, odd
            assert "Tuesday" not in text(answer) and "mardi" not in text(answer)
        posted = await demo.post(f"/centre-ville/my/{odd}/out", data={"form_token": "x"})
        assert posted.status_code == 404
    assert (await demo.get(list_url)).status_code == 200


async def test_a_session_works_on_its_own_site_only_never_at_another_clinic(comms, demo, autre):
    await marie_visits(comms)
    list_url = await marie_signs_in(comms, demo)
    token = list_url.rsplit("/", 1)[1]
    assert (await demo.get(f"/laval/my/{token}")).status_code == 404
    elsewhere = await autre.get(f"/principal/my/{token}")
    assert elsewhere.status_code == 404 and "Tremblay" not in elsewhere.text
    page = await demo.get(list_url)
    posted = await autre.post(
        f"/principal/my/{token}/out", data={"form_token": form_token(page.text)}
    )
    assert posted.status_code == 404
    assert (await demo.get(list_url)).status_code == 200


async def test_the_list_shows_dependants_appointments_with_their_name(comms, demo):
    await marie_visits(comms)
    clock.freeze(local(TUESDAY - timedelta(days=2), time(9)))
    jeans = await comms.staff_book(local(NEXT_MONDAY, time(9)), patient="jean")
    assert await dependants.link(
        clinic_id=comms.clinic,
        guardian_id=comms.patients["marie"],
        dependant_id=comms.patients["jean"],
        by="test",
    )
    clock.freeze(SEEN_AT)
    list_url = await marie_signs_in(comms, demo)
    page = await demo.get(list_url, params={"lang": "en"})
    cards = re.findall(r'<li class="card my-appointment[^"]*">.*?</li>', page.text, re.S)
    [for_jean] = [c for c in cards if "for-dependant" in c]
    assert "For Jean Côté" in text_of(for_jean) and "9:00 AM" in text_of(for_jean)
    assert "Monday, November 30, 2026" in text_of(for_jean)
    assert len(cards) == 3
    assert f"/a/{jeans}." in for_jean  # it opens its details page like her own


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).replace("\u202f", " ")


async def test_book_again_starts_the_wizard_at_the_service_with_the_same_one(comms, demo):
    clock.freeze(local(date(2026, 11, 23), time(7)))
    await open_follow_ups()
    await book_marie_follow_up(demo)
    await comms.deliver()
    list_url = await marie_signs_in(comms, demo)
    page = await demo.get(list_url, params={"lang": "en"})
    assert "Book again" in page.text
    chosen = re.search(r'name="appointment" value="(\d+)"', page.text).group(1)
    again = await demo.post(
        f"{list_url}/again", data={"appointment": chosen, "form_token": form_token(page.text)}
    )
    assert again.status_code == 303
    assert re.fullmatch(r"/centre-ville/b/[A-Za-z0-9_-]{43}/service", again.headers["location"])
    step2 = await demo.get(again.headers["location"])
    [selected] = re.findall(r'<option value="\d+" [^>]*selected>([^<]+)<', step2.text)
    assert selected.strip() == "Follow-up with my family doctor"
    # Another appointment's id, a foreign one, or garbage: nothing starts.
    for other in ("999999", "", "-1", "1e3"):
        refused = await demo.post(
            f"{list_url}/again", data={"appointment": other, "form_token": form_token(page.text)}
        )
        assert refused.status_code == 422 and "cannot be booked again" in text(refused)


async def test_signing_out_ends_the_session(comms, demo):
    await marie_visits(comms)
    list_url = await marie_signs_in(comms, demo)
    page = await demo.get(list_url)
    out = await demo.post(f"{list_url}/out", data={"form_token": form_token(page.text)})
    assert out.status_code == 303 and out.headers["location"] == "/centre-ville/my?ended=1"
    assert (await demo.get(list_url)).status_code == 404
    assert await sessions_count() == 0


async def test_a_form_without_its_token_changes_nothing(comms, demo):
    await marie_visits(comms)
    list_url = await marie_signs_in(comms, demo)
    for action in ("out", "again"):
        answer = await demo.post(f"{list_url}/{action}", data={"form_token": "1.abc"})
        assert answer.status_code == 422
    assert (await demo.get(list_url)).status_code == 200


async def test_every_portal_page_and_every_email_links_to_my_appointments(comms, demo):
    """French labels: they pass once the integrator has compiled FR.txt's translations."""
    await marie_visits(comms)
    assert my_path("centre-ville") == "/centre-ville/my"
    for url in ("/centre-ville/", "/laval/", "/centre-ville/my"):
        page = await demo.get(url)
        link = f'<a class="my-link" href="{my_path(url.split("/")[1])}">Mes rendez-vous</a>'
        assert link in page.text, url
    english = await demo.get("/centre-ville/", params={"lang": "en"})
    assert ">My appointments</a>" in english.text
    confirmations = [m for m in comms.emails() if m["Subject"] == "Votre rendez-vous est confirmé"]
    assert len(confirmations) == 2  # the hidden type's has none
    site_of = {"centre-ville", "laval"}
    for email in confirmations:
        [line] = [x for x in body(email).splitlines() if x.startswith("Mes rendez-vous")]
        slug = re.fullmatch(r"Mes rendez-vous : https?://demo\.[^/\s]+/([a-z-]+)/my", line)
        assert slug and slug.group(1) in site_of, line
        html = email.get_body(("html",)).get_content()
        assert re.search(
            r'<a href="https?://demo\.[^"]+/[a-z-]+/my"[^>]*>Mes rendez-vous</a>', html
        )
    # A text message keeps its one link: the details page.
    assert all("/my" not in sms for sms in comms.texts(MARIE_CELL))
