from app.piccolo_apps import domain_app

APP_CONFIG = domain_app("audit", __file__, depends_on=["app.staff.piccolo_app"])
