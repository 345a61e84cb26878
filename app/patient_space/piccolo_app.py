from app.piccolo_apps import domain_app

APP_CONFIG = domain_app(
    "patient_space", __file__, depends_on=["app.patients.piccolo_app", "tenants.piccolo_app"]
)
