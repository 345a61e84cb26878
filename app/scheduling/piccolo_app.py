from app.piccolo_apps import domain_app

APP_CONFIG = domain_app("scheduling", __file__, depends_on=["tenants.piccolo_app"])
