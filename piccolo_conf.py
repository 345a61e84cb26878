"""Piccolo's configuration: the database the settings name (app.settings.load_database).
create_app(settings) points Piccolo at its own settings' database (app.db.configure)."""

from piccolo.conf.apps import AppRegistry

from app.db import make_engine
from app.settings import load_database

DB = make_engine(load_database())

APP_REGISTRY = AppRegistry(
    apps=[
        "tenants.piccolo_app",
        "app.scheduling.piccolo_app",
        "app.patients.piccolo_app",
        "app.online_services.piccolo_app",
        "app.booking.piccolo_app",
        "app.reminders.piccolo_app",
        "app.messaging.piccolo_app",
        "app.staff.piccolo_app",
        "app.audit.piccolo_app",
        "app.video.piccolo_app",
        "app.payments.piccolo_app",
        "app.platforms.piccolo_app",
        "app.patient_space.piccolo_app",
        "app.waitlist.piccolo_app",
    ]
)
