import os

from piccolo.conf.apps import AppConfig, table_finder

APP_CONFIG = AppConfig(
    app_name="messaging",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=table_finder(modules=["app.messaging.tables"], exclude_imported=True),
    migration_dependencies=["app.booking.piccolo_app"],
    commands=[],
)
