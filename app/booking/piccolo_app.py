from app.piccolo_apps import domain_app

APP_CONFIG = domain_app(
    "booking", __file__, depends_on=["app.patients.piccolo_app", "app.scheduling.piccolo_app"]
)
