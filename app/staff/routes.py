"""The staff area, at /staff on the clinic's host, routes named staff:*. Everything but the
sign-in pages needs a signed-in staff member (the signed_in guard on the inner router);
each area adds the roles it is for (app/staff/guards.py)."""

from litestar import Router
from litestar.di import Provide

from app.audit.routes import AuditLog
from app.live.stream import live
from app.payments.admin import PaymentsAdministration
from app.payments.call_routes import CallPayment, appointment_payment
from app.payments.report import payments_page
from app.platforms.staff_routes import PlatformSession
from app.staff.admin_accounts import AccountsAdministration
from app.staff.admin_catalogue import admin_catalogue
from app.staff.admin_clinic import ClinicAdministration
from app.staff.admin_embed import EmbedAdministration
from app.staff.admin_reminders import NoShowsAdministration, RemindersAdministration
from app.staff.admin_services import AdminServices
from app.staff.admin_sites import SitesAdministration
from app.staff.admin_sms import SmsUsageAdministration
from app.staff.administration import Administration
from app.staff.agenda.routes import ROUTES as AGENDA
from app.staff.appointments.routes import route_handlers as appointments
from app.staff.appointments.video_link import route_handlers as video_link
from app.staff.guards import provide_staff, signed_in
from app.staff.home import home
from app.staff.oidc import SingleSignOn
from app.staff.pages import count_badges
from app.staff.patients.routes import Patients
from app.staff.reconcile.routes import Reconcile
from app.staff.schedules.routes import CloseSchedules, OpenSchedules
from app.staff.schedules.template_routes import ScheduleTemplates
from app.staff.set_password import SetPassword
from app.staff.sign_in import SignIn
from app.staff.two_factor import AccountSecurity, SecondFactor
from app.video.chat_routes import StaffChat
from app.video.staff_routes import CallWindow, call_socket
from app.video.waiting_room_routes import WaitingRoom
from app.waitlist.staff_routes import WaitingList

signed_in_area = Router(
    path="/staff",
    route_handlers=[
        home,
        *AGENDA,
        live,
        AccountSecurity,
        Administration,
        AdminServices,
        admin_catalogue,
        ClinicAdministration,
        SitesAdministration,
        AccountsAdministration,
        EmbedAdministration,
        SmsUsageAdministration,
        RemindersAdministration,
        NoShowsAdministration,
        AuditLog,
        OpenSchedules,
        CloseSchedules,
        ScheduleTemplates,
        *appointments,
        *video_link,
        Reconcile,
        Patients,
        CallWindow,
        WaitingRoom,
        StaffChat,
        CallPayment,
        appointment_payment,
        PlatformSession,
        PaymentsAdministration,
        payments_page,
        WaitingList,
    ],
    guards=[signed_in],
    before_request=count_badges,
    dependencies={"staff": Provide(provide_staff, sync_to_thread=False)},
)

router = Router(
    path="/",
    route_handlers=[SignIn, SecondFactor, SingleSignOn, SetPassword, signed_in_area, call_socket],
)
