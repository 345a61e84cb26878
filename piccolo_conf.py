"""Piccolo's configuration: SQLite (embedded default) or PostgreSQL, from DATABASE_URL."""

import os

from piccolo.conf.apps import AppRegistry

from app.db import make_engine
from app.settings import parse_database_url

DB = make_engine(parse_database_url(os.environ.get("DATABASE_URL") or "sqlite:///var/clinic.db"))

APP_REGISTRY = AppRegistry(
    apps=[
        "tenants.piccolo_app",
        "app.scheduling.piccolo_app",
        "app.patients.piccolo_app",
        "app.online_services.piccolo_app",
        "app.booking.piccolo_app",
        "app.messaging.piccolo_app",
    ]
)
