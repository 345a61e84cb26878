"""The online service form: what an administrator typed, read into a ServiceForm or a
message per field; and who may book a service, said in words (the preview).

Multi-choices are one checkbox per id (`activity-12`, `include-3`, `sex-F`), so the form
reads as text fields only (app.form_fields) and works without JavaScript."""

from __future__ import annotations

from dataclasses import dataclass

from app.i18n import N_, ngettext
from app.i18n import gettext as _
from app.online_services.eligibility import Rules
from app.patients.forms import SEXES

MAX_NAME = 200
MAX_DESCRIPTION = 2000
MAX_AGE = 130
FLAGS = (
    "requires_file",
    "requires_file_number",
    "requires_family_doctor",
    "with_own_family_doctor",
)
ROLES = ("include", "exclude", "family_doctor")  # app.online_services.tables.PRACTITIONER_ROLES


@dataclass(frozen=True)
class Choice:
    id: int | str  # a row id, or a code (the sexes)
    label: str
    active: bool = True


@dataclass(frozen=True)
class ServiceChoices:
    """The clinic's activities and practitioners, the only ids a form may name."""

    activities: tuple[Choice, ...]
    practitioners: tuple[Choice, ...]

    def practitioner_names(self, ids: frozenset[int]) -> list[str]:
        return [p.label for p in self.practitioners if p.id in ids]

    def activity_names(self, ids: frozenset[int]) -> list[str]:
        return [a.label for a in self.activities if a.id in ids]


@dataclass(frozen=True)
class ServiceForm:
    name_fr: str
    name_en: str
    description_fr: str
    description_en: str
    active: bool
    activities: frozenset[int]
    include: frozenset[int]
    exclude: frozenset[int]
    rules: Rules

    @property
    def sexes(self) -> str:
        return "".join(s for s in SEXES if s in self.rules.sexes)


def checked(data: dict[str, str], prefix: str, ids: tuple[int, ...]) -> frozenset[int]:
    return frozenset(i for i in ids if data.get(f"{prefix}-{i}") == "on")


def _age(data: dict[str, str], name: str, errors: dict[str, str]) -> int | None:
    raw = data.get(name, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 3 or int(raw) > MAX_AGE:
        errors[name] = _("Enter an age in years, from 0 to %(max)d.", max=MAX_AGE)
        return None
    return int(raw)


def read_rules(data: dict[str, str], choices: ServiceChoices, errors: dict[str, str]) -> Rules:
    """The eligibility criteria as typed; a wrong age is left out (and its message added)."""
    min_age, max_age = _age(data, "min_age", errors), _age(data, "max_age", errors)
    if min_age is not None and max_age is not None and min_age > max_age:
        errors["max_age"] = _("The maximum age cannot be below the minimum age.")
    return Rules(
        **{flag: data.get(flag) == "on" for flag in FLAGS},
        family_doctors=checked(data, "family_doctor", tuple(p.id for p in choices.practitioners)),
        min_age=min_age,
        max_age=max_age,
        sexes=frozenset(s for s in SEXES if data.get(f"sex-{s}") == "on"),
    )


def parse_service(
    data: dict[str, str], choices: ServiceChoices
) -> tuple[ServiceForm | None, dict[str, str]]:
    errors: dict[str, str] = {}
    texts = {}
    for name, limit, required in (
        ("name_fr", MAX_NAME, True),
        ("name_en", MAX_NAME, True),
        ("description_fr", MAX_DESCRIPTION, False),
        ("description_en", MAX_DESCRIPTION, False),
    ):
        value = data.get(name, "").strip()
        if required and not value:
            errors[name] = _("Enter the name.")
        elif len(value) > limit:
            errors[name] = _("At most %(max)d characters.", max=limit)
        texts[name] = value
    activity_ids = tuple(a.id for a in choices.activities)
    people = tuple(p.id for p in choices.practitioners)
    activities = checked(data, "activity", activity_ids)
    if not activities:
        errors["activities"] = _("Choose at least one activity.")
    include, exclude = checked(data, "include", people), checked(data, "exclude", people)
    if include & exclude:
        errors["exclude"] = _(
            "A practitioner cannot be both included and excluded: %(names)s.",
            names=", ".join(choices.practitioner_names(include & exclude)),
        )
    rules = read_rules(data, choices, errors)
    if errors:
        return None, errors
    return (
        ServiceForm(
            **texts,
            active=data.get("active") == "on",
            activities=activities,
            include=include,
            exclude=exclude,
            rules=rules,
        ),
        {},
    )


def form_values(form: ServiceForm) -> dict[str, str]:
    """The fields that show `form` again (the edit page of a saved service)."""
    values = {
        "name_fr": form.name_fr,
        "name_en": form.name_en,
        "description_fr": form.description_fr,
        "description_en": form.description_en,
        "min_age": "" if form.rules.min_age is None else str(form.rules.min_age),
        "max_age": "" if form.rules.max_age is None else str(form.rules.max_age),
    }
    on = {
        "active": form.active,
        **{flag: getattr(form.rules, flag) for flag in FLAGS},
        **{f"activity-{i}": True for i in form.activities},
        **{f"include-{i}": True for i in form.include},
        **{f"exclude-{i}": True for i in form.exclude},
        **{f"family_doctor-{i}": True for i in form.rules.family_doctors},
        **{f"sex-{s}": True for s in form.rules.sexes},
    }
    values.update({name: "on" for name, is_on in on.items() if is_on})
    return values


SEX_WORDS = {"F": N_("female"), "M": N_("male"), "X": N_("another sex")}


def who_can_book(rules: Rules, choices: ServiceChoices) -> list[str]:
    """The criteria in words, one line each (they combine with AND); an empty list means
    open to everyone, identified or not (SPEC §4)."""
    if rules.open_to_all:
        return []
    lines = []
    if rules.requires_file:
        lines.append(_("Has a file at the clinic"))
    if rules.requires_file_number:
        lines.append(_("Has a file number"))
    if rules.requires_family_doctor:
        lines.append(_("Has a family doctor at the clinic"))
    if rules.family_doctors:
        names = choices.practitioner_names(rules.family_doctors)
        lines.append(_("Family doctor is one of: %(names)s", names=", ".join(names)))
    if rules.min_age is not None and rules.max_age is not None:
        lines.append(_("Aged %(min)d to %(max)d", min=rules.min_age, max=rules.max_age))
    elif rules.min_age is not None:
        lines.append(
            ngettext("Aged %(num)d year or more", "Aged %(num)d years or more", rules.min_age)
        )
    elif rules.max_age is not None:
        lines.append(
            ngettext("Aged %(num)d year or less", "Aged %(num)d years or less", rules.max_age)
        )
    if rules.sexes:
        words = [_(SEX_WORDS[s]) for s in SEXES if s in rules.sexes]
        lines.append(_("Sex: %(sexes)s", sexes=", ".join(words)))
    if rules.with_own_family_doctor:
        lines.append(_("Only their own family doctor's slots"))
    # Any criterion turns away whoever the portal did not identify (eligibility.is_eligible).
    return lines if rules.requires_file else [_("Identified patients only"), *lines]
