from app.piccolo_apps import domain_app

APP_CONFIG = domain_app("staff", __file__, depends_on=["app.scheduling.piccolo_app"])
