"""The front desk's patient search benchmark: 100,000 files in one clinic (and 10,000 in
another, with the same names, which no query may return), each kind of query asked
through the search function (app.staff.patients.search) and through the page
(/staff/patients, ASGI, a signed-in secretary); p50/p95 per kind, in ms.

python -m bench.patients --backend sqlite|postgres  (figures as JSON on stdout)

Kinds: a name prefix with a first name ("trem marie"), a date of birth ("1985-04-12"),
a health insurance number typed in groups ("TREM 8554 1219"), a phone number as people
write it ("(514) 204-1234"). Every answer is checked: the file asked for is among the
results, and every result is the clinic's. patient_search_p95_ms is the worst kind."""

from __future__ import annotations

import random
import statistics
import time as timer
from datetime import date, datetime, timedelta, timezone

from bench import database
from bench.database import log

FILES = 100_000
OTHER_FILES = 10_000
NOW = datetime(2030, 1, 7, 12, tzinfo=timezone.utc)
PASSWORD = "bench-password-not-secret"
EMAIL = "secretariat@patients-bench.localhost"
SLUG = "patients-bench"
KINDS = ("name", "birth_date", "hin", "phone")

LAST = (
    "Tremblay Gagnon Roy Côté Bouchard Gauthier Morin Lavoie Fortin Gagné Ouellet Pelletier "
    "Bélanger Lévesque Bergeron Leblanc Paquette Girard Simard Boucher Caron Beaulieu Cloutier "
    "Dubé Poirier Fournier Lapointe Leclerc Lefebvre Poulin Thibault St-Pierre Nadeau Martin "
    "Landry Martel Bédard Grenier Lessard Bernier Richard Michaud Hébert Desjardins Couture "
    "Turcotte Lachance Parent Blais Gosselin Savard Proulx Beaudoin Demers Perron Boudreau "
    "Lemieux Cyr Perreault Dufour Dion Mercier Bolduc Bérubé Boisvert Langlois Ménard Labbé "
    "Plante Vachon Dumont Marchand Leduc Rousseau Dupuis Larose Giroux Tessier Jacques Roberge "
    "O'Brien Nguyen Tran Chen Singh Haddad Khoury Diallo Traoré Rodríguez García Da Silva"
).split()
FIRST = (
    "Marie Jean Éloïse Léa Chloé Émile Noah Liam William Zoé Olivia Emma Alice Béatrice "
    "Florence Rosalie Charlotte Juliette Raphaël Thomas Nathan Jacob Félix Samuel Louis "
    "Gabriel Mathis Loïc Hélène Josée Sylvie Nathalie Isabelle Stéphane Martin François "
    "Pierre Michel André Luc Daniel Claude Geneviève Mélanie Valérie Catherine Anne-Marie "
    "Marc-André Jean-Philippe Maëlle Anaïs Océane Amélie Noémie Inès Sofía Ahmed Fatima Mamadou"
).split()


def person(n: int) -> tuple[str, str, date, str, str]:
    """The n-th file's names, date of birth, HIN (RAMQ-like, unique) and cell phone (E.164)."""
    rng = random.Random(n)
    last, first = rng.choice(LAST), rng.choice(FIRST)
    born = date(1930, 1, 1) + timedelta(days=rng.randrange(33_000))
    from app.patients.normalise import fold_name

    plain = "".join(c for c in fold_name(last + "xxx") if "a" <= c <= "z")
    hin = f"{(plain[:3] + fold_name(first)[0]).upper()}{n:08d}"
    phone = f"+1514{2000000 + n}"  # 514-200-0000 onwards: valid Montréal numbers
    return first, last, born, hin, phone


async def generate() -> dict:
    from app.patients.normalise import fold_name
    from app.staff.accounts import create
    from app.staff.tables import StaffRole
    from tenants.tables import Clinic

    ids = {}
    for slug, name in ((SLUG, "Clinique Dossiers"), (f"{SLUG}-autre", "Autre clinique")):
        clinic = Clinic(slug=slug, name=name, time_zone="America/Montreal", phone="514 555 0198")
        await clinic.save()
        ids[slug] = clinic.id
    patients, contacts = [], []
    next_id = 1
    for slug, count in ((SLUG, FILES), (f"{SLUG}-autre", OTHER_FILES)):
        for n in range(count):
            first, last, born, hin, phone = person(n)
            if slug != SLUG:  # the same people, other numbers: never found from the first
                hin, phone = hin[:4] + f"9{n:07d}", f"+1438{2000000 + n}"
            patients.append(
                (
                    next_id,
                    ids[slug],
                    first,
                    last,
                    born,
                    "FM"[n % 2],
                    hin,
                    None,
                    None,
                    "active",
                    NOW,
                    fold_name(first),
                    fold_name(last),
                )
            )
            contacts.append((next_id, ids[slug], next_id, "cell", phone, 1, True))
            next_id += 1
    await database.bulk_insert(
        "patient",
        (
            "id",
            "clinic",
            "first_name",
            "last_name",
            "date_of_birth",
            "sex",
            "health_insurance_number",
            "file_number",
            "family_doctor",
            "status",
            "created_at",
            "folded_first",
            "folded_last",
        ),
        patients,
    )
    await database.bulk_insert(
        "contact_detail",
        ("id", "clinic", "patient", "kind", "value", "position", "verified"),
        contacts,
    )
    await create(
        clinic_id=ids[SLUG],
        email=EMAIL,
        name="Secrétariat Banc",
        role=StaffRole.SECRETARY,
        password=PASSWORD,
    )
    return {"clinic_id": ids[SLUG]}


def queries(rng: random.Random, count: int) -> dict[str, list[tuple[str, int]]]:
    """Per kind, (text typed, the file's id) for `count` files picked at random."""
    asked: dict[str, list[tuple[str, int]]] = {kind: [] for kind in KINDS}
    for _ in range(count):
        n = rng.randrange(FILES)
        first, last, born, hin, phone = person(n)
        patient_id = n + 1
        asked["name"].append((f"{last[:4].lower()} {first}", patient_id))
        asked["birth_date"].append((born.isoformat(), patient_id))
        asked["hin"].append((f"{hin[:4]} {hin[4:8]} {hin[8:]}", patient_id))
        asked["phone"].append((f"({phone[2:5]}) {phone[5:8]}-{phone[8:]}", patient_id))
    return asked


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94]


async def signed_in_client(app):
    import re

    import httpx

    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=f"http://{SLUG}.localhost"
    )
    page = await client.get("/staff/sign-in")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
    signed = await client.post(
        "/staff/sign-in",
        data={"email": EMAIL, "password": PASSWORD, "next": "", "_csrf_token": token},
    )
    assert signed.status_code == 303, signed.text
    return client


async def measure(args) -> dict:
    import logging
    import os
    from dataclasses import replace

    logging.getLogger("httpx").setLevel(logging.WARNING)
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production")
    os.environ["BASE_DOMAIN"] = "localhost"
    await database.reset()
    from app import clock, db
    from app.main import create_app
    from app.settings import load
    from app.staff.patients.search import search_patients
    from bench.agenda import _running

    await db.start()
    log(f"generating {FILES} files…")
    world = await generate()
    await database.analyze()
    clock.freeze(NOW)
    asked = queries(random.Random(12), args.searches)
    figures: dict = {"patient_files": FILES}
    worst = 0.0
    for kind, cases in asked.items():
        for text, _id in cases[:10]:  # warm up
            await search_patients(clinic_id=world["clinic_id"], text=text, country="CA")
        times = []
        for text, patient_id in cases:
            started = timer.perf_counter()
            found = await search_patients(clinic_id=world["clinic_id"], text=text, country="CA")
            times.append((timer.perf_counter() - started) * 1000)
            # A common name may have more than a page of files: then the next page exists.
            shown = {p.id for p in found.patients}
            assert patient_id in shown or (kind == "name" and found.more), f"{kind} {text!r}"
        figures[f"patient_search_{kind}_p50_ms"] = round(statistics.median(times), 2)
        figures[f"patient_search_{kind}_p95_ms"] = round(p95(times), 2)
        worst = max(worst, p95(times))
    app = create_app(replace(load(), redis_url=None))
    worst_page = 0.0
    async with _running(app):
        client = await signed_in_client(app)
        for kind, cases in asked.items():
            for text, _id in cases[:10]:
                await client.get("/staff/patients", params={"q": text})
            times = []
            for text, patient_id in cases:
                started = timer.perf_counter()
                response = await client.get(
                    "/staff/patients",
                    params={"q": text},
                    headers={"HX-Request": "true", "HX-Target": "patient-results"},
                )
                times.append((timer.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.status_code
                assert f'href="/staff/patients/{patient_id}"' in response.text or (
                    kind == "name" and 'rel="next"' in response.text
                ), (kind, text)
            figures[f"patient_page_{kind}_p95_ms"] = round(p95(times), 2)
            worst_page = max(worst_page, p95(times))
        await client.aclose()
    figures["patient_search_p95_ms"] = round(worst, 2)
    figures["patient_page_p95_ms"] = round(worst_page, 2)
    figures["patient_load_avg_1m"] = round(os.getloadavg()[0], 1)
    await db.stop()
    return figures


if __name__ == "__main__":
    database.main(__doc__, measure, searches=(200, "queries of each kind"))
