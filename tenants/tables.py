"""Clinics (tenants), the hosts that reach them, and their work sites."""

from datetime import time

from piccolo.columns import Boolean, ForeignKey, Integer, Text, Time, Varchar
from piccolo.table import Table


class Clinic(Table):
    slug = Varchar(length=63, unique=True)
    name = Varchar(length=200)
    time_zone = Varchar(length=64, default="America/Montreal")
    default_language = Varchar(length=2, default="fr")
    country = Varchar(length=2, default="CA")  # default region for phone numbers
    phone = Varchar(length=32)
    status = Varchar(length=16, default="active")  # active | suspended
    min_booking_notice_minutes = Integer(default=60)  # patients cannot book sooner than this
    # Origins allowed to embed the portal (CSP frame-ancestors), space-separated,
    # e.g. "https://www.clinique-demo.ca https://clinique-demo.ca".
    embed_origins = Text(default="")
    # How patients' health insurance numbers are checked: qc_ramq (Quebec: 4 letters,
    # 8 digits), fr_nir (French social security number) or any (not checked).
    hin_format = Varchar(length=16, default="qc_ramq")
    # Automated communications: which channels, SMS price, and the night during
    # which reminders wait for morning (clinic time).
    notify_by_email = Boolean(default=True)
    notify_by_sms = Boolean(default=True)
    sms_price_cents = Integer(default=5)
    quiet_hours_start = Time(default=time(21, 0))
    quiet_hours_end = Time(default=time(8, 0))
    # Staff sign-in: whether every account must use a second factor (TOTP), and the
    # clinic's own identity provider by OpenID Connect (no issuer: none).
    require_two_factor = Boolean(default=False)
    oidc_provider_name = Varchar(length=100, default="")  # "Sign in with {name}"
    oidc_issuer = Varchar(length=300, default="")
    oidc_client_id = Varchar(length=300, default="")
    oidc_client_secret = Text(default="", secret=True)  # write-only in the administration
    # Who may link their account by a verified email on first sign-in, space-separated:
    # email domains, Microsoft Entra tenant ids (tid), Google Workspace domains (hd).
    oidc_email_domains = Text(default="")
    oidc_tenant_ids = Text(default="")
    oidc_hosted_domains = Text(default="")


class ClinicDomain(Table):
    """A custom domain a clinic points at the platform (CNAME)."""

    host = Varchar(length=253, unique=True)
    clinic = ForeignKey(references=Clinic, null=False)


class WorkSite(Table):
    clinic = ForeignKey(references=Clinic, null=False)
    slug = Varchar(length=63)  # unique within its clinic: see migration 0002
    name_fr = Varchar(length=200)
    name_en = Varchar(length=200)
    address = Text()
    phone = Varchar(length=32)
    contact_details = Text()  # shown to patients at the end of booking
    patient_message_fr = Text()
    patient_message_en = Text()
    portal_active = Boolean(default=True)
    patient_can_cancel = Boolean(default=True)
    patient_can_check_in = Boolean(default=False)
    questionnaire_url = Varchar(length=500)


class SiteSlugRedirect(Table):
    """A work site's previous portal slug: links to it (the clinic's website, the widget's
    script tag) keep leading to the site under its current slug. Unique per clinic
    (migration 0009): an old slug names one site."""

    clinic = ForeignKey(references=Clinic, null=False)
    site = ForeignKey(references=WorkSite, null=False)
    old_slug = Varchar(length=63)
