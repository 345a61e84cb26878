"""Staff accounts in the administration: an administrator creates one (an email with a
single-use, expiring link to choose a password), changes its role and practitioner,
resets its two-factor and deactivates it (its open session refused at its next request).
Each change is audited; bad input keeps what was typed and saves nothing; the last
administrator cannot be removed; a secretary gets the 403 page; another clinic's ids 404."""

from __future__ import annotations

import re
from datetime import timedelta

from app import clock
from app.audit.tables import AuditEntry
from app.messaging.tables import Message
from app.staff.events import AccountChange, AccountChanged
from app.staff.tables import StaffAccount
from tests.integration import demo_lookup
from tests.integration.portal_helpers import text
from tests.integration.staff_helpers import csrf, sign_in, signed_in
from tests.moments import freeze

ADMIN, SECRETARY, JULIE = (
    "admin@demo.localhost",
    "secretariat@demo.localhost",
    "julie.roy@demo.localhost",
)
ACCOUNTS = "/staff/administration/accounts"


async def account(email: str) -> dict:
    return await StaffAccount.select().where(StaffAccount.email == email).first()


async def create(client, **fields) -> object:
    page = await client.get(ACCOUNTS)
    return await client.post(ACCOUNTS, data={"_csrf_token": csrf(page.text), **fields})


async def invitation_link(email: str) -> str:
    row = (
        await Message.select(Message.body)
        .where((Message.kind == "staff_invitation") & (Message.recipient == email))
        .first()
    )
    return re.search(r"http://\S+/staff/set-password/\S+", row["body"]).group(0)


async def test_a_new_account_gets_an_email_and_sets_its_password_once(recorded, demo):
    await signed_in(demo, ADMIN)
    created = await create(
        demo, email="Nadia.Lee@demo.localhost", name="Nadia Lee", role="secretary"
    )
    assert created.status_code == 303
    listed = await demo.get(created.headers["location"])
    assert "Nadia Lee" in text(listed) and "Invité" in text(listed)
    [event] = recorded.of(AccountChanged)
    assert event.kind is AccountChange.CREATED and event.before is None
    assert event.after.email == "nadia.lee@demo.localhost" and all(recorded.in_transaction)

    link = await invitation_link("nadia.lee@demo.localhost")
    path = "/staff/set-password/" + link.rsplit("/", 1)[1]
    form = await demo.get(path)
    assert form.status_code == 200 and "Nadia Lee" in text(form)
    short = await demo.post(
        path, data={"password": "short", "password_again": "short", "_csrf_token": csrf(form.text)}
    )
    assert short.status_code == 422 and "au moins 12 caractères" in text(short)
    assert (await account("nadia.lee@demo.localhost"))["password_hash"] is None
    differ = await demo.post(
        path,
        data={
            "password": "a long enough one",
            "password_again": "another long one",
            "_csrf_token": csrf(form.text),
        },
    )
    assert differ.status_code == 422 and "Les deux mots de passe diffèrent" in text(differ)
    done = await demo.post(
        path,
        data={
            "password": "a long enough one",
            "password_again": "a long enough one",
            "_csrf_token": csrf(form.text),
        },
    )
    assert done.status_code == 303
    demo.cookies.clear()  # the invitee's own browser, not the administrator's
    told = await demo.get(done.headers["location"])
    assert "Votre mot de passe est enregistré" in text(told)
    assert (await account("nadia.lee@demo.localhost"))["password_hash"].startswith("$argon2id$")
    assert (await demo.get(path)).status_code == 404  # used once
    demo.cookies.clear()
    signed = await sign_in(demo, "nadia.lee@demo.localhost", "a long enough one")
    assert signed.status_code == 303 and (await demo.get("/staff/")).status_code == 200


async def test_an_expired_link_and_a_link_on_another_clinic_open_nothing(demo, autre):
    freeze()
    await signed_in(demo, ADMIN)
    await create(demo, email="late@demo.localhost", name="Late", role="secretary")
    path = "/staff/set-password/" + (await invitation_link("late@demo.localhost")).rsplit("/", 1)[1]
    assert (await autre.get(path)).status_code == 404
    assert (await demo.get(path)).status_code == 200
    clock.advance(timedelta(hours=73))
    assert (await demo.get(path)).status_code == 404


async def test_bad_input_keeps_what_was_typed_and_saves_nothing(demo):
    await signed_in(demo, ADMIN)
    before = await StaffAccount.count()
    bad = await create(demo, email="not an email", name="Typed Name", role="boss")
    assert bad.status_code == 422
    page = text(bad)
    assert 'value="not an email"' in bad.text and 'value="Typed Name"' in bad.text
    assert "Choisissez un rôle." in page and 'id="email-error"' in bad.text
    page = await demo.get(ACCOUNTS)
    fragment = await demo.post(
        ACCOUNTS,
        data={"email": "", "name": "Kept", "role": "secretary", "_csrf_token": csrf(page.text)},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 422 and 'id="email-error"' in fragment.text
    assert 'value="Kept"' in fragment.text and "<html" not in fragment.text
    taken = await create(demo, email=SECRETARY, name="Again", role="secretary")
    assert taken.status_code == 422 and "Un compte a déjà cette adresse." in text(taken)
    no_doctor = await create(demo, email="dr@demo.localhost", name="Dr", role="practitioner")
    assert no_doctor.status_code == 422 and 'id="practitioner-error"' in no_doctor.text
    assert await StaffAccount.count() == before


async def test_role_and_practitioner_change_and_two_factor_reset_are_audited(recorded, demo):
    await signed_in(demo, ADMIN)
    julie = await account(JULIE)
    await StaffAccount.update({StaffAccount.totp_secret: "JBSWY3DPEHPK3PXP"}).where(
        StaffAccount.id == julie["id"]
    )
    page = await demo.get(f"{ACCOUNTS}/{julie['id']}")
    assert page.status_code == 200
    changed = await demo.post(
        f"{ACCOUNTS}/{julie['id']}",
        data={"role": "secretary", "practitioner": "", "_csrf_token": csrf(page.text)},
    )
    assert changed.status_code == 303
    row = await account(JULIE)
    assert (row["role"], row["practitioner"]) == ("secretary", None)
    reset = await demo.post(
        f"{ACCOUNTS}/{julie['id']}/two-factor-reset", data={"_csrf_token": csrf(page.text)}
    )
    assert reset.status_code == 303 and (await account(JULIE))["totp_secret"] is None
    kinds = [(e.kind, e.before.role, e.after.role) for e in recorded.of(AccountChanged)]
    assert kinds == [
        (AccountChange.UPDATED, "practitioner", "secretary"),
        (AccountChange.TWO_FACTOR, "secretary", "secretary"),
    ]
    assert all(recorded.in_transaction)
    audited = await AuditEntry.select(AuditEntry.action).where(
        AuditEntry.entity_id == str(julie["id"])
    )
    assert len(audited) >= 2


async def test_deactivation_ends_the_open_session_at_its_next_request(demo, autre, web_app):
    from tests.integration.web import clinic_client

    async with clinic_client(web_app, "demo") as secretary:
        await signed_in(secretary, SECRETARY)
        assert (await secretary.get("/staff/")).status_code == 200
        await signed_in(demo, ADMIN)
        target = await account(SECRETARY)
        page = await demo.get(f"{ACCOUNTS}/{target['id']}")
        gone = await demo.post(
            f"{ACCOUNTS}/{target['id']}/deactivate", data={"_csrf_token": csrf(page.text)}
        )
        assert gone.status_code == 303
        refused = await secretary.get("/staff/")
        assert refused.status_code == 303 and "/staff/sign-in" in refused.headers["location"]
        assert (await sign_in(secretary, SECRETARY)).status_code != 303


async def test_the_last_administrator_can_be_neither_demoted_nor_deactivated(demo):
    await signed_in(demo, ADMIN)
    me = await account(ADMIN)
    page = await demo.get(f"{ACCOUNTS}/{me['id']}")
    demoted = await demo.post(
        f"{ACCOUNTS}/{me['id']}",
        data={"role": "secretary", "practitioner": "", "_csrf_token": csrf(page.text)},
    )
    assert demoted.status_code == 422 and "dernier administrateur" in text(demoted)
    off = await demo.post(
        f"{ACCOUNTS}/{me['id']}/deactivate", data={"_csrf_token": csrf(page.text)}
    )
    assert off.status_code == 422 and "dernier administrateur" in text(off)
    row = await account(ADMIN)
    assert (row["role"], row["active"]) == ("administrator", True)


async def test_a_secretary_gets_the_403_page_and_another_clinic_404(demo, autre):
    await signed_in(demo, SECRETARY)
    assert (await demo.get(ACCOUNTS)).status_code == 403
    await signed_in(autre, "admin@autre.localhost")
    julie = await account(JULIE)
    assert (await autre.get(f"{ACCOUNTS}/{julie['id']}")).status_code == 404
    page = await autre.get(ACCOUNTS)
    assert "Dre Julie Roy" not in text(page)
    posted = await autre.post(
        f"{ACCOUNTS}/{julie['id']}/deactivate", data={"_csrf_token": csrf(page.text)}
    )
    assert posted.status_code == 404 and (await account(JULIE))["active"]


async def test_a_post_without_the_csrf_token_is_refused(demo):
    await signed_in(demo, ADMIN)
    julie = await account(JULIE)
    refused = await demo.post(f"{ACCOUNTS}/{julie['id']}/deactivate", data={})
    assert refused.status_code == 403 and (await account(JULIE))["active"]
    clinic = await demo_lookup.clinic_id("demo")
    assert clinic


async def test_with_a_mail_server_the_link_is_emailed_and_not_kept_in_the_outbox(demo_data):
    from app.messaging.dispatch import DevSender, Senders
    from app.settings import load
    from app.staff import invitation_email

    class Smtp:  # stands for SmtpSender: takes the built email
        sent: list = []

        async def send(self, message) -> str:
            self.sent.append(message)
            return "smtp-1"

    smtp = Smtp()
    clinic = await demo_lookup.clinic_id("demo")
    link = "http://demo.localhost:8000/staff/set-password/secret-token"
    await invitation_email.send(
        settings=load(),
        clinic_id=clinic,
        clinic_name="Clinique Démo",
        to="nadia@demo.localhost",
        name="Nadia",
        link=link,
        hours=72,
        senders=Senders(email=smtp, sms=DevSender()),
    )
    [email] = smtp.sent
    assert (
        email["To"] == "nadia@demo.localhost" and link in email.get_body(("plain",)).get_content()
    )
    row = await Message.select().where(Message.recipient == "nadia@demo.localhost").first()
    assert (
        row["provider"] == "smtp" and row["status"] == "sent" and "secret-token" not in row["body"]
    )
