"""Settings read once from the environment, with defaults that work on a laptop."""

from __future__ import annotations

import ipaddress
import math
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from app.numbers import whole_number

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
MAX_CLOCK_OFFSET = timedelta(days=36500)  # beyond, datetime arithmetic overflows
MAX_SETTING = 10**9  # a count or a number of seconds: anything larger is a typo


class SettingsError(Exception):
    """A setting is wrong; the message names the variable and is one line."""


@dataclass(frozen=True)
class Database:
    kind: str  # "sqlite" or "postgres"
    path: str = ""  # SQLite file
    dsn: str = ""  # PostgreSQL DSN


@dataclass(frozen=True)
class Settings:
    database: Database
    redis_url: str | None
    base_domain: str
    host: str
    port: int
    secret_key: str
    smtp_url: str | None
    debug: bool
    hold_duration: timedelta = timedelta(minutes=5)  # how long a patient's slot is held
    public_scheme: str = "http"  # how links in messages reach the platform
    # The port those links name on plain http (PUBLIC_PORT): a load balancer's, when the
    # instances listen on others; by default the instance's own PORT.
    public_port: int | None = None
    email_from: str = "rendez-vous@localhost"
    sms: "SmsSettings | None" = None  # no provider: SMS go to the dev outbox
    # Test-only. app.clock reads it itself at import; it is here so that a wrong value
    # stops start-up with one line like any other setting.
    clock_offset: timedelta = timedelta(0)
    # Proxies whose X-Forwarded-For is believed (see app.client_address); none by default.
    # As normalised networks ("10.0.0.5/32"): plain text keeps the settings a simple value.
    trusted_proxies: tuple[str, ...] = ()
    staff_idle: timedelta = timedelta(hours=12)  # a staff session left unused this long ends
    oidc: "OidcSettings | None" = None  # the demo seed's single sign-on (OIDC_*), if set
    # Video calls (app.video.turn): STUN/TURN URLs, and the secret shared with coturn
    # (use-auth-secret) from which each call's TURN credentials are minted.
    ice_servers: tuple[str, ...] = ()
    turn_secret: str | None = None
    turn_ttl: timedelta = timedelta(hours=2)
    payment: "PaymentProvider | None" = None  # none: the dev payment page (localhost only)
    # The external integrated video platform (app.platforms): its API, key and webhook
    # secret. Unset on the embedded default, `make run` starts the local simulator.
    video_platform: "PlatformSettings | None" = None
    # Operations (app.request_log, app.metrics, app.health): "json" is one JSON line per
    # request, for production's log collector; "text" is uvicorn's access log, for a
    # terminal (the default on localhost). /metrics answers only with METRICS_TOKEN set,
    # to that bearer token, on the platform host. /healthz says "degraded" when the
    # oldest due message has waited longer than outbox_lag_limit.
    log_format: str = "text"
    metrics_token: str | None = None
    outbox_lag_limit: timedelta = timedelta(minutes=5)

    @property
    def dev_payments(self) -> bool:
        """Whether "Pay" leads to our own page that marks the request paid: only with no
        provider and where no one else can reach it (the embedded default)."""
        return self.payment is None and self.base_domain == "localhost"

    @property
    def dev_outbox(self) -> bool:
        """Whether /dev/outbox shows the messages sent: only where none can leave the
        machine (no mail or SMS provider) and no one else can reach it (localhost)."""
        return self.smtp_url is None and self.sms is None and self.base_domain == "localhost"

    @property
    def secure_cookies(self) -> bool:
        return self.public_scheme == "https"

    def clinic_url(self, slug: str) -> str:
        """The address of a clinic's pages, for links in emails and SMS."""
        public = self.public_port or self.port
        port = f":{public}" if self.public_scheme == "http" and public != 80 else ""
        return f"{self.public_scheme}://{slug}.{self.base_domain}{port}"


@dataclass(frozen=True)
class OidcSettings:
    """The demo clinic's single sign-on, for the demo seed only (each clinic keeps its own
    in its row; the administration edits it)."""

    issuer: str
    client_id: str
    client_secret: str
    provider_name: str = "OpenID"
    email_domains: str = ""  # space-separated, as in the Clinic row
    tenant_ids: str = ""
    hosted_domains: str = ""


@dataclass(frozen=True)
class PaymentProvider:
    """The payment provider's API (Checkout Sessions) and the secret of its webhooks."""

    api_base: str
    secret_key: str
    webhook_secret: str


@dataclass(frozen=True)
class PlatformSettings:
    url: str  # VIDEO_PLATFORM_URL
    key: str  # VIDEO_PLATFORM_KEY
    webhook_secret: str  # VIDEO_PLATFORM_WEBHOOK_SECRET


@dataclass(frozen=True)
class SmsSettings:
    url: str
    account_sid: str
    auth_token: str
    sender: str


def load_database(env: Mapping[str, str] | None = None) -> Database:
    """The database of these settings (piccolo_conf reads it too, before any app exists)."""
    env = os.environ if env is None else env
    return parse_database_url(env.get("DATABASE_URL") or "sqlite:///var/clinic.db")


def parse_database_url(url: str) -> Database:
    if url.startswith("sqlite:///"):
        rest = url[len("sqlite:///") :]
        if not rest or rest == "/":
            raise SettingsError(f"DATABASE_URL: no file in {url!r}")
        # sqlite:////abs/path.db is absolute; sqlite:///rel.db is relative to the project.
        path = Path(rest) if rest.startswith("/") else ROOT / rest
        return Database(kind="sqlite", path=str(path))
    parts = urlsplit(url)
    if parts.scheme in ("postgresql", "postgres"):
        if not parts.hostname or not parts.path.strip("/"):
            raise SettingsError(f"DATABASE_URL: needs a host and a database name, got {url!r}")
        return Database(kind="postgres", dsn=url)
    raise SettingsError(f"DATABASE_URL: expected sqlite:///file.db or postgresql://…, got {url!r}")


def _secret_key(env: Mapping[str, str]) -> str:
    if key := env.get("SECRET_KEY"):
        if len(key) < 16:
            raise SettingsError("SECRET_KEY: must be at least 16 characters")
        return key
    return key_file(VAR / "secret_key")


def key_file(path: Path) -> str:
    """The key kept in `path`, generated there the first time, so sessions and signed
    links survive restarts. Processes starting together (the web server and the worker)
    must agree: the key is written to a private file of this process (0600 from its
    creation, never the umask's 0644), then linked into place, which fails if another
    process won; the winner's complete file is then read."""
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as out:
                out.write(secrets.token_urlsafe(48))
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def _port(env: Mapping[str, str], name: str = "PORT") -> int:
    raw = env.get(name, "8000")
    port = whole_number(raw, maximum=65535)
    if not port:
        raise SettingsError(f"{name}: expected a number from 1 to 65535, got {raw!r}")
    return port


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, str(default))
    value = whole_number(raw, maximum=MAX_SETTING)
    if not value:
        raise SettingsError(f"{name}: expected a positive whole number, got {raw!r}")
    return value


def _optional_url(env: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    value = env.get(name) or None
    if value and urlsplit(value).scheme not in schemes:
        raise SettingsError(
            f"{name}: expected a URL starting with {' or '.join(schemes)}, got {value!r}"
        )
    return value


def _base_domain(env: Mapping[str, str]) -> str:
    value = env.get("BASE_DOMAIN", "localhost").strip().lower().rstrip(".")
    if not value or "/" in value or ":" in value or " " in value:
        raise SettingsError(f"BASE_DOMAIN: expected a host name such as example.com, got {value!r}")
    return value


def load(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    return Settings(
        database=load_database(env),
        redis_url=_optional_url(env, "REDIS_URL", ("redis", "rediss", "unix")),
        base_domain=_base_domain(env),
        host=env.get("HOST", "127.0.0.1"),
        port=_port(env),
        secret_key=_secret_key(env),
        smtp_url=_optional_url(env, "SMTP_URL", ("smtp", "smtps")),
        debug=env.get("DEBUG", "") in ("1", "true"),
        hold_duration=timedelta(seconds=_positive_int(env, "HOLD_SECONDS", 300)),
        public_scheme=_public_scheme(env),
        public_port=_port(env, "PUBLIC_PORT") if env.get("PUBLIC_PORT") else None,
        email_from=env.get("EMAIL_FROM") or f"rendez-vous@{_base_domain(env)}",
        sms=_sms(env),
        clock_offset=clock_offset(env),
        trusted_proxies=_trusted_proxies(env),
        staff_idle=timedelta(minutes=_positive_int(env, "STAFF_IDLE_MINUTES", 12 * 60)),
        oidc=load_oidc(env),
        ice_servers=_ice_servers(env),
        turn_secret=_turn_secret(env),
        turn_ttl=timedelta(seconds=_positive_int(env, "TURN_TTL_SECONDS", 2 * 3600)),
        payment=_payment(env),
        video_platform=_video_platform(env),
        log_format=_log_format(env),
        metrics_token=_metrics_token(env),
        outbox_lag_limit=timedelta(seconds=_positive_int(env, "OUTBOX_LAG_SECONDS", 300)),
    )


def _log_format(env: Mapping[str, str]) -> str:
    default = "text" if _base_domain(env) in ("localhost", "127.0.0.1") else "json"
    value = env.get("LOG_FORMAT") or default
    if value not in ("json", "text"):
        raise SettingsError(f"LOG_FORMAT: expected json or text, got {value!r}")
    return value


def _metrics_token(env: Mapping[str, str]) -> str | None:
    token = env.get("METRICS_TOKEN") or None
    if token is not None and len(token) < 16:
        raise SettingsError("METRICS_TOKEN: must be at least 16 characters")
    return token


def _payment(env: Mapping[str, str]) -> PaymentProvider | None:
    """PAYMENT_SECRET_KEY and PAYMENT_WEBHOOK_SECRET together (PAYMENT_API_BASE: the
    provider's API, its public address by default), or none of them."""
    base = _optional_url(env, "PAYMENT_API_BASE", ("https", "http"))
    key, secret = env.get("PAYMENT_SECRET_KEY") or None, env.get("PAYMENT_WEBHOOK_SECRET") or None
    if key is None and secret is None:
        if base is not None:
            raise SettingsError("PAYMENT_SECRET_KEY: required when PAYMENT_API_BASE is set")
        return None
    if key is None or secret is None:
        missing = "PAYMENT_SECRET_KEY" if key is None else "PAYMENT_WEBHOOK_SECRET"
        raise SettingsError(f"{missing}: required with the other PAYMENT_ settings")
    return PaymentProvider((base or "https://api.stripe.com").rstrip("/"), key, secret)


def _video_platform(env: Mapping[str, str]) -> PlatformSettings | None:
    url = _optional_url(env, "VIDEO_PLATFORM_URL", ("http", "https"))
    if url is None:
        return None
    missing = [n for n in ("VIDEO_PLATFORM_KEY", "VIDEO_PLATFORM_WEBHOOK_SECRET") if not env.get(n)]
    if missing:
        raise SettingsError(f"{missing[0]}: required when VIDEO_PLATFORM_URL is set")
    return PlatformSettings(url, env["VIDEO_PLATFORM_KEY"], env["VIDEO_PLATFORM_WEBHOOK_SECRET"])


def _ice_servers(env: Mapping[str, str]) -> tuple[str, ...]:
    """ICE_SERVERS: space-separated stun:, turn: and turns: URLs (RFC 7064 / 7065)."""
    urls = tuple((env.get("ICE_SERVERS") or "").split())
    for url in urls:
        scheme, _, host = url.partition(":")
        if scheme not in ("stun", "stuns", "turn", "turns") or not host.strip(":/"):
            raise SettingsError(f"ICE_SERVERS: expected stun:, turn: or turns: URLs, got {url!r}")
    return urls


def _turn_secret(env: Mapping[str, str]) -> str | None:
    """TURN_SECRET: coturn's static-auth-secret. TURN URLs without it would be dropped from
    every call (no credentials can be minted), so that is a mistake said at start-up."""
    secret = env.get("TURN_SECRET") or None
    if secret is None and any(u.startswith(("turn:", "turns:")) for u in _ice_servers(env)):
        raise SettingsError("TURN_SECRET: required when ICE_SERVERS has turn: or turns: URLs")
    return secret


def load_oidc(env: Mapping[str, str] | None = None) -> OidcSettings | None:
    """OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET together, or none of them."""
    env = os.environ if env is None else env
    issuer = _optional_url(env, "OIDC_ISSUER", ("https", "http"))
    if issuer is None:
        return None
    missing = [name for name in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET") if not env.get(name)]
    if missing:
        raise SettingsError(f"{missing[0]}: required when OIDC_ISSUER is set")
    return OidcSettings(
        issuer=issuer.rstrip("/"),
        client_id=env["OIDC_CLIENT_ID"],
        client_secret=env["OIDC_CLIENT_SECRET"],
        provider_name=env.get("OIDC_PROVIDER_NAME") or "OpenID",
        email_domains=env.get("OIDC_EMAIL_DOMAINS", ""),
        tenant_ids=env.get("OIDC_TENANT_IDS", ""),
        hosted_domains=env.get("OIDC_HOSTED_DOMAINS", ""),
    )


def _trusted_proxies(env: Mapping[str, str]) -> tuple[str, ...]:
    networks = []
    for item in (part.strip() for part in env.get("TRUSTED_PROXIES", "").split(",")):
        if not item:
            continue
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise SettingsError(
                f"TRUSTED_PROXIES: expected IP addresses or networks separated by commas "
                f"(e.g. 10.0.0.5,10.1.0.0/16), got {item!r}"
            ) from None
    return tuple(networks)


def _public_scheme(env: Mapping[str, str]) -> str:
    default = "http" if _base_domain(env) in ("localhost", "127.0.0.1") else "https"
    value = env.get("PUBLIC_SCHEME", default)
    if value not in ("http", "https"):
        raise SettingsError(f"PUBLIC_SCHEME: expected http or https, got {value!r}")
    return value


def _sms(env: Mapping[str, str]) -> SmsSettings | None:
    url = _optional_url(env, "SMS_URL", ("http", "https"))
    if url is None:
        return None
    missing = [
        name for name in ("SMS_ACCOUNT_SID", "SMS_AUTH_TOKEN", "SMS_FROM") if not env.get(name)
    ]
    if missing:
        raise SettingsError(f"{missing[0]}: required when SMS_URL is set")
    return SmsSettings(url, env["SMS_ACCOUNT_SID"], env["SMS_AUTH_TOKEN"], env["SMS_FROM"])


def clock_offset(env: Mapping[str, str]) -> timedelta:
    """CLOCK_OFFSET_SECONDS, test-only: how far app.clock is moved from the machine's clock."""
    raw = env.get("CLOCK_OFFSET_SECONDS", "0")
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not abs(seconds) <= MAX_CLOCK_OFFSET.total_seconds():  # NaN and infinities too
        raise SettingsError(f"CLOCK_OFFSET_SECONDS: expected a number of seconds, got {raw!r}")
    return timedelta(seconds=seconds)
