import subprocess
import sys
from datetime import timedelta

import pytest

from app.settings import ROOT, SettingsError, load, parse_database_url

GOOD = {"SECRET_KEY": "x" * 32}


def test_defaults_work_on_a_laptop():
    settings = load(GOOD)
    assert settings.database.kind == "sqlite"
    assert settings.database.path == str(ROOT / "var" / "clinic.db")
    assert (settings.base_domain, settings.host, settings.port) == ("localhost", "127.0.0.1", 8000)
    assert settings.redis_url is None and settings.dev_outbox
    assert settings.clock_offset == timedelta(0)


def test_the_clock_offset_is_seconds_either_way():
    assert load({**GOOD, "CLOCK_OFFSET_SECONDS": "-3600.5"}).clock_offset == -timedelta(
        hours=1, milliseconds=500
    )


def test_links_name_the_load_balancers_port_when_the_instance_listens_on_another():
    behind = load({**GOOD, "PORT": "8001", "PUBLIC_PORT": "8000"})
    assert behind.clinic_url("demo") == "http://demo.localhost:8000"
    assert load({**GOOD, "PORT": "8001"}).clinic_url("demo") == "http://demo.localhost:8001"
    public = load({**GOOD, "PORT": "8001", "PUBLIC_PORT": "80"})
    assert public.clinic_url("demo") == "http://demo.localhost"


def test_database_urls():
    assert parse_database_url("sqlite:///data/x.db").path == str(ROOT / "data" / "x.db")
    assert parse_database_url("sqlite:////tmp/x.db").path == "/tmp/x.db"
    pg = parse_database_url("postgresql://u@db.example:5432/clinic")
    assert (pg.kind, pg.dsn) == ("postgres", "postgresql://u@db.example:5432/clinic")


@pytest.mark.parametrize(
    "name, value",
    [
        ("DATABASE_URL", "mysql://x/y"),
        ("DATABASE_URL", "sqlite:///"),
        ("DATABASE_URL", "postgresql:///nohost"),
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("PUBLIC_PORT", "0"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("SMTP_URL", "mail.example.org"),
        ("BASE_DOMAIN", "http://example.com"),
        ("SECRET_KEY", "short"),
        ("CLOCK_OFFSET_SECONDS", "next monday"),
        ("CLOCK_OFFSET_SECONDS", "nan"),
        ("CLOCK_OFFSET_SECONDS", "1e300"),
    ],
)
def test_bad_settings_name_the_variable(name, value):
    with pytest.raises(SettingsError) as error:
        load({**GOOD, name: value})
    assert str(error.value).startswith(name + ":")


def test_bad_setting_stops_start_up_with_one_line():
    result = subprocess.run(
        [sys.executable, "-m", "app", "serve"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PORT": "eighty", "SECRET_KEY": "x" * 32},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == ["Configuration error: PORT: expected a number from 1 to 65535, got 'eighty'"]
    assert "Traceback" not in result.stdout
