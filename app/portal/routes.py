"""The patient portal's routes, named portal:*: the clinic's home, the booking wizard,
the widget, "My appointments" and the appointment details page."""

from litestar import Router

from app.payments.patient_routes import PatientPay
from app.payments.webhook import webhook as payment_webhook
from app.portal.details import AppointmentDetails
from app.portal.home import home
from app.portal.my import MyAppointments
from app.portal.widget import widget_js
from app.portal.wizard import BookingSteps, IdentifyStep
from app.video.chat_routes import PatientChat
from app.video.patient_routes import PatientRoom
from app.waitlist.routes import AskEarlier, EarlierLinks

router = Router(
    path="/",
    route_handlers=[
        home,
        IdentifyStep,
        BookingSteps,
        MyAppointments,
        widget_js,
        AppointmentDetails,
        PatientRoom,
        PatientChat,
        PatientPay,
        payment_webhook,
        AskEarlier,
        EarlierLinks,
    ],
)
