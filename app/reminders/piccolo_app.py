from app.piccolo_apps import domain_app

APP_CONFIG = domain_app("reminders", __file__, depends_on=["app.booking.piccolo_app"])
