"""A patient file created at the front desk, inline while booking: the portal's identity
rules (app.patients.forms: names, date of birth, sex, the clinic's health insurance
number format, a cell phone in E.164 or an email), then the file and its contacts in the
caller's write transaction, with PatientChanged(CREATED) emitted there for the audit log."""

from __future__ import annotations

from typing import Mapping

from app import clock, i18n
from app.events import Actor, EventBus
from app.i18n import N_
from app.patients.contacts import typed_contacts
from app.patients.events import PatientChange, PatientChanged, PatientSnapshot
from app.patients.forms import IdentityForm, parse_identity
from app.patients.tables import ContactDetail, Patient

FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "sex",
    "health_insurance_number",
    "cell_phone",
    "email",
)

# The portal speaks to the patient ("your date of birth"); the front desk reads of the
# patient. The same checks, said for staff.
STAFF_WORDING = {
    N_("Enter your first name."): N_("Enter the patient's first name."),
    N_("Enter your last name."): N_("Enter the patient's last name."),
    N_("Choose your sex."): N_("Choose the patient's sex."),
    N_("Enter your date of birth as YYYY-MM-DD."): N_("Enter the date of birth as YYYY-MM-DD."),
    N_("Your date of birth cannot be in the future."): N_(
        "The date of birth cannot be in the future."
    ),
    N_("Check the year of your date of birth."): N_("Check the year of the date of birth."),
    N_("Enter a cell phone or an email."): N_("Enter the patient's cell phone or email."),
    N_("Enter your health insurance number with letters and digits only."): N_(
        "Enter the health insurance number with letters and digits only."
    ),
    N_(
        "Enter your health insurance number as on your card: "
        "4 letters then 8 digits, e.g. ABCD 8554 1219."
    ): N_(
        "Enter the health insurance number as on the card: "
        "4 letters then 8 digits, e.g. ABCD 8554 1219."
    ),
    N_("This health insurance number does not match your date of birth."): N_(
        "This health insurance number does not match the date of birth."
    ),
    N_("Enter your social security number: 15 characters, as on your Carte Vitale."): N_(
        "Enter the social security number: 15 characters, as on the Carte Vitale."
    ),
}


def _for_staff(errors: dict[str, str]) -> dict[str, str]:
    said = {i18n.gettext(portal): i18n.gettext(staff) for portal, staff in STAFF_WORDING.items()}
    return {field: said.get(message, message) for field, message in errors.items()}


def parse_new_file(
    data: Mapping[str, str], *, country: str, hin_format: str
) -> tuple[IdentityForm | None, dict[str, str]]:
    """The portal's validation; staff accept no terms on the patient's behalf, so that
    check is left out."""
    typed = {name: data.get(name, "") for name in FIELDS}
    form, errors = parse_identity(
        {**typed, "accept_terms": "on"}, country=country, hin_format=hin_format
    )
    return form, _for_staff(errors)


async def create_file(
    *,
    clinic_id: int,
    form: IdentityForm,
    actor: Actor,
    bus: EventBus,
    file_number: str | None = None,
    family_doctor_id: int | None = None,
) -> int:
    """Call inside a write transaction. Contacts typed by staff are vouched for (the
    patient gave them to the clinic), in the form's order: the cell phone is the main one.
    The file number and family doctor come from the patients page's form (checked there)."""
    created = await Patient.insert(
        Patient(
            clinic=clinic_id,
            first_name=form.first_name,
            last_name=form.last_name,
            date_of_birth=form.date_of_birth,
            sex=form.sex,
            health_insurance_number=form.health_insurance_number,
            file_number=file_number,
            family_doctor=family_doctor_id,
            created_at=clock.now(),
        )
    ).returning(Patient.id)
    patient_id = created[0]["id"]
    contacts = typed_contacts(form)
    if contacts:
        await ContactDetail.insert(
            *[
                ContactDetail(
                    clinic=clinic_id,
                    patient=patient_id,
                    kind=contact.kind,
                    value=contact.value,
                    position=position,
                    verified=True,
                )
                for position, contact in enumerate(contacts, start=1)
            ]
        )
    await bus.emit(
        PatientChanged(
            clinic_id=clinic_id,
            patient_id=patient_id,
            actor=actor,
            kind=PatientChange.CREATED,
            before=None,
            after=PatientSnapshot(
                first_name=form.first_name,
                last_name=form.last_name,
                birth_date=form.date_of_birth,
                sex=form.sex,
                hin=form.health_insurance_number,
                file_number=file_number,
                contacts=tuple(f"{c.kind}:{c.value}" for c in contacts),
            ),
        )
    )
    return patient_id
