import os

from piccolo.conf.apps import AppConfig

from tenants.tables import Clinic, ClinicDomain, WorkSite

APP_CONFIG = AppConfig(
    app_name="tenants",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=[Clinic, ClinicDomain, WorkSite],
    migration_dependencies=[],
    commands=[],
)
