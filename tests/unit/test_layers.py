"""Layers point one way (ARCHITECTURE, "Reacting to changes"): a module imports only from
its own layer or the ones below. The engine (booking) does not know who listens to it,
patient files do not know about appointments; the wiring at the top knows everyone.
A new package must be given its layer here."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Lowest first. A name stands for the module or package and everything under it.
LAYERS = [
    # what everything may use: no domain knowledge
    {
        "app.settings",
        "app.clock",
        "app.numbers",
        "app.signing",
        "app.i18n",
        "app.db",
        "app.sqlite_pool",
        "app.raw_sql",
        "app.handler_calls",
        "app.reverse_routes",
        "app.coalesced_writes",
        "app.events",
        "app.raw_migrations",
        "app.piccolo_apps",
        "app.bearer_paths",
        "app.security_headers",
        "app.assets",
        "app.form_fields",
        "app.client_address",
        "app.disconnects",
        "app.cookies",
        "app.path_ids",
        "app.metrics",  # counted where things happen (the engine, the dispatcher, calls)
        "app.request_log",
        "app.log_format",
    },
    {"tenants"},
    {"app.scheduling"},
    {"app.patients"},
    {"app.booking"},
    {"app.online_services"},
    # each clinic's reminder schedule, read by the messages planner
    {"app.reminders"},
    # what the calls left behind, read by the messages that follow them
    {
        "app.payments.tables",
        "app.payments.views",
        "app.video.tables",
        "app.waitlist.tables",  # the offers the earlier-slot messages are about
        "app.waitlist.links",
    },
    # how pages and messages are written
    {"app.templating", "app.htmx", "app.urls"},
    {"app.messaging"},
    # the web areas
    {
        "app.portal",
        "app.staff",
        "app.audit",
        "app.live",
        "app.video",  # teleconsultation rooms: both sides, the portal's and the staff's
        "app.payments",  # payment requests: the call's, the provider's webhook, the staff's page
        "app.platforms",  # external video platforms: sessions, their job, their webhook
        "app.patient_space",  # "My appointments": its sessions by one-time code, its list
        "app.waitlist",  # earlier-slot offers: requests, matching job, links, staff list
    },  # the audit log listens to every area below
    # the wiring: it knows every area
    {
        "app.main",
        "app.__main__",
        "app.providers",
        "app.listeners",
        "app.errors",
        "app.health",
        "app.metrics_route",
        "app.retention",
        "app.backup",
        "app.in_process_jobs",
        "app.tenancy_sync",  # the host cache forgotten on every instance
        "app.seed",
        "jobs",
    },
]


def layer_of(module: str) -> int | None:
    for index, names in enumerate(LAYERS):
        if any(module == name or module.startswith(name + ".") for name in names):
            return index
    return None


def modules() -> dict[str, Path]:
    found = {}
    for top in ("app", "tenants", "jobs"):
        for path in (ROOT / top).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imported(path: Path, package: str) -> set[str]:
    """Every module named by an import in the file, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + [node.module]
                )
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in names if name.split(".")[0] in ("app", "tenants", "jobs")}


def test_every_module_has_a_layer():
    assert [
        name
        for name in modules()
        if layer_of(name) is None and name not in ("app", "jobs", "tenants")
    ] == []


def test_no_module_imports_from_a_higher_layer():
    upward = []
    for name, path in modules().items():
        own = layer_of(name)
        if own is None:
            continue
        for target in imported(path, name):
            theirs = layer_of(target)
            if theirs is not None and theirs > own:
                upward.append(f"{name} imports {target}")
    assert upward == []
