"""python -m app serve | migrate | seed | audit verify | backup [FILE] | restore FILE
[--replace]: the commands behind make run, migrate, seed, backup and restore, and the audit
log's check."""

from __future__ import annotations

import asyncio
import sys

from app import settings as settings_module


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "serve"
    try:
        settings = settings_module.load()
    except settings_module.SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    if command == "migrate":
        from piccolo.apps.migrations.commands.forwards import run_forwards

        result = asyncio.run(run_forwards(app_name="all"))
        return 0 if result.success else 1
    if command == "seed":
        from app.seed import seed

        asyncio.run(seed())
        print("Demo data is in place.")
        return 0
    if command == "audit":
        from app.audit.cli import main as audit

        return audit(argv[2:])
    if command in ("backup", "restore"):
        return backup_or_restore(command, argv[2:], settings.database)
    if command == "serve":
        return serve(settings)
    print(
        f"unknown command {command!r}: use serve, migrate, seed, audit, backup or restore",
        file=sys.stderr,
    )
    return 2


def backup_or_restore(command: str, args: list[str], database) -> int:
    from pathlib import Path

    from app import backup

    replace = "--replace" in args
    files = [a for a in args if a != "--replace"]
    if len(files) > 1 or (command == "restore" and not files) or (command == "backup" and replace):
        print("usage: python -m app backup [FILE] | restore FILE [--replace]", file=sys.stderr)
        return 2
    try:
        if command == "backup":
            target = Path(files[0]) if files else backup.default_path(database)
            print(backup.backup(database, target).describe("Wrote"))
        else:
            done = backup.restore(database, Path(files[0]), replace=replace)
            print(done.describe("Restored"))
            print("If it was taken on an older version, run `python -m app migrate` now.")
    except backup.BackupError as error:
        print(f"{command} failed: {error}", file=sys.stderr)
        return 1
    return 0


def banner(settings: settings_module.Settings) -> str:
    """What start-up prints: where the demo clinics are, and whether the dev outbox is
    mounted (it shows patients' messages and links, so it is said every time)."""
    demo, autre = settings.clinic_url("demo"), settings.clinic_url("autre")
    port = f":{settings.port}" if settings.port != 80 else ""
    jobs = f"arq on {settings.redis_url}" if settings.redis_url else "in-process"
    outbox = (
        f"mounted at {demo}/dev/outbox (no mail or SMS provider, base domain localhost)"
        if settings.dev_outbox
        else "not mounted (a mail or SMS provider is set, or the base domain is not localhost)"
    )
    return "\n".join(
        [
            "The demo clinics are up:",
            f"  {demo}/centre-ville/   (Clinique Démo, Centre-ville)",
            f"  {demo}/laval/          (Clinique Démo, Laval)",
            f"  {autre}/principal/      (Clinique Autre)",
            f"  {demo}/staff/   (staff sign-in; {autre}/staff/ for Clinique Autre)",
            "    accounts (password from DEMO_PASSWORD, default demo-password):",
            "      admin@demo.localhost (administrator), secretariat@demo.localhost (secretary),",
            "      julie.roy@demo.localhost (practitioner, Dre Julie Roy), admin@autre.localhost",
            f"  http://{settings.base_domain}{port}/healthz",
            f"Database: {settings.database.kind}; jobs: {jobs}",
            f"Dev outbox: {outbox}",
            f"Video platform (Reacts-style): {_platform_line(settings)}",
        ]
    )


SIMULATOR_PORT_OFFSET = 10  # the simulator listens on PORT + 10 (8010 by default)


def _platform_line(settings: settings_module.Settings) -> str:
    if settings.video_platform is None:
        return "none (VIDEO_PLATFORM_URL unset)"
    return settings.video_platform.url


def with_simulator(settings: settings_module.Settings):
    """On the embedded default (no VIDEO_PLATFORM_URL, base domain localhost), a local
    simulator of the external platform (app.platforms.simulator) and settings pointing
    at it; else the settings as they are and no simulator."""
    if settings.video_platform is not None or settings.base_domain != "localhost":
        return settings, None
    from dataclasses import replace

    from app.platforms.simulator import Simulator

    try:
        simulator = Simulator(port=settings.port + SIMULATOR_PORT_OFFSET).start()
    except OSError:  # that port is taken (several servers on one machine): any free one
        simulator = Simulator().start()
    platform = settings_module.PlatformSettings(
        simulator.url, simulator.api_key, simulator.webhook_secret
    )
    return replace(settings, video_platform=platform), simulator


KEEP_ALIVE_S = 75


def server_config(settings: settings_module.Settings):
    """The web server for these settings. It leaves X-Forwarded-For alone (uvicorn would
    otherwise believe it from 127.0.0.1): app.client_address reads it, for TRUSTED_PROXIES
    only. Tokens in the access log are redacted (app.bearer_paths); LOG_FORMAT chooses
    JSON lines or text (app.log_format)."""
    import uvicorn

    from app.coalesced_writes import CoalescingHttpToolsProtocol
    from app.live.server import GRACEFUL_SHUTDOWN_S
    from app.log_format import log_config
    from app.main import create_app

    return uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        proxy_headers=False,
        log_config=log_config(settings.log_format),
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        http=CoalescingHttpToolsProtocol,
        # Longer than HAProxy keeps an idle connection to an instance (deploy/haproxy.cfg):
        # the balancer, not the instance, closes one, and never sends on a closing one.
        timeout_keep_alive=KEEP_ALIVE_S,
    )


def serve(settings: settings_module.Settings) -> int:
    from app.live.server import Server  # ends the open agendas' streams on Ctrl-C

    settings, simulator = with_simulator(settings)
    print(f"\n{banner(settings)}\n")
    if simulator:
        print(f"  (simulator: POST {simulator.url}/_sim/down, /_sim/up, /_sim/fail?times=N)\n")
    server = Server(server_config(settings))
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn raises Ctrl-C again once it has shut down cleanly
        pass
    return 0 if server.started else 1  # e.g. the port was taken


if __name__ == "__main__":
    sys.exit(main(sys.argv))
