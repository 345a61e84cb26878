"""Each domain package is a Piccolo app: its tables and its migrations folder."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig, table_finder


def domain_app(name: str, package_file: str, *, depends_on: list[str]) -> AppConfig:
    """The AppConfig of the package `app.<name>`, given its piccolo_app.py's __file__."""
    return AppConfig(
        app_name=name,
        migrations_folder_path=os.path.join(os.path.dirname(package_file), "migrations"),
        table_classes=table_finder(modules=[f"app.{name}.tables"], exclude_imported=True),
        migration_dependencies=depends_on,
        commands=[],
    )
