import os

from piccolo.conf.apps import AppConfig

from tenants.tables import Clinic, ClinicDomain, SiteSlugRedirect, WorkSite

APP_CONFIG = AppConfig(
    app_name="tenants",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=[Clinic, ClinicDomain, WorkSite, SiteSlugRedirect],
    migration_dependencies=[],
    commands=[],
)
