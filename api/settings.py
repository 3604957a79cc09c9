"""Settings from the environment and `.env`.

The embedded default (SQLite in ./var) generates its own secrets on first run so a
newcomer needs nothing but `make run`; production must be given them explicitly.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import os
import secrets
import types
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings import SettingsError as SourceError

log = logging.getLogger("lantern.settings")

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/lantern.db"
# The project's own PWA build, wherever `lantern` is started from (api/ sits in the project root).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PWA_DIST = PROJECT_ROOT / "pwa" / "dist"


class SettingsError(Exception):
    """A setting is missing or wrong; the message is one line naming the variable."""


class OidcGroupGrant(BaseModel):
    """What membership of one of the provider's groups grants in Lantern."""

    model_config = ConfigDict(extra="forbid")

    roles: list[str] = Field(default_factory=list)
    teams: list[str] = Field(default_factory=list)  # team slugs


class Settings(BaseSettings):
    # List settings are read by `_lists_from_text` below (comma-separated or JSON), not by the
    # environment source's JSON-only decoding.
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, enable_decoding=False
    )

    env: Literal["development", "test", "production"] = Field("development", validation_alias="LANTERN_ENV")
    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
    var_dir: Path = Field(Path("./var"), validation_alias="LANTERN_VAR_DIR")
    secret_key: str | None = Field(None, validation_alias="LANTERN_SECRET_KEY")
    vapid_private_key: str | None = Field(None, validation_alias="LANTERN_VAPID_PRIVATE_KEY")
    vapid_subject: str = Field("mailto:lantern-ops@example.org", validation_alias="LANTERN_VAPID_SUBJECT")
    public_url: str = Field("http://127.0.0.1:8000", validation_alias="LANTERN_PUBLIC_URL")

    token_issuer: str = Field("lantern", validation_alias="LANTERN_TOKEN_ISSUER")
    token_audience: str = Field("lantern-api", validation_alias="LANTERN_TOKEN_AUDIENCE")
    access_token_minutes: int = Field(30, ge=1, le=720, validation_alias="LANTERN_ACCESS_TOKEN_MINUTES")

    # Sign-in throttling (api/auth/throttle.py), per (username, client address): this many
    # failures are free, then each further one doubles the wait from the base up to the cap.
    signin_max_failures: int = Field(5, ge=1, validation_alias="LANTERN_SIGNIN_MAX_FAILURES")
    # Failures are forgotten after this long without another (counted from the end of the wait).
    signin_window_seconds: int = Field(900, ge=1, validation_alias="LANTERN_SIGNIN_WINDOW_SECONDS")
    signin_backoff_base_seconds: float = Field(
        1.0, gt=0, validation_alias="LANTERN_SIGNIN_BACKOFF_BASE_SECONDS"
    )
    signin_backoff_cap_seconds: float = Field(
        300.0, gt=0, validation_alias="LANTERN_SIGNIN_BACKOFF_CAP_SECONDS"
    )
    # An address is slowed as a whole only once this many different usernames failed from it.
    signin_address_usernames: int = Field(10, ge=2, validation_alias="LANTERN_SIGNIN_ADDRESS_USERNAMES")
    # How stale a process's copy of the revoked sessions may be (other replicas' revocations).
    revocation_cache_seconds: float = Field(
        5.0, ge=0, le=60, validation_alias="LANTERN_REVOCATION_CACHE_SECONDS"
    )

    # The Argon2id cost new password hashes are made at (api/auth/passwords.py). Only the test
    # suite lowers it, for the `lantern` processes it starts; refused unless LANTERN_ENV=test.
    password_hash_cost: Literal["production", "test-minimum"] = Field(
        "production", validation_alias="LANTERN_PASSWORD_HASH_COST"
    )

    # Reverse proxies (addresses or networks, e.g. `10.0.0.5,172.28.0.0/24`) whose
    # X-Forwarded-For / X-Forwarded-Proto are believed. Empty: no forwarded header is trusted, so a
    # client cannot choose the address the sign-in throttle and the audit trail record.
    trusted_proxies: list[str] = Field(default_factory=list, validation_alias="LANTERN_TRUSTED_PROXIES")

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network") from None
        return value

    max_body_bytes: int = Field(1_048_576, ge=1024, validation_alias="LANTERN_MAX_BODY_BYTES")
    log_level: str = Field("INFO", validation_alias="LANTERN_LOG_LEVEL")
    pwa_dist: Path = Field(DEFAULT_PWA_DIST, validation_alias="LANTERN_PWA_DIST")

    # Worker loop
    run_worker: bool = Field(True, validation_alias="LANTERN_RUN_WORKER")
    worker_poll_seconds: float = Field(2.0, gt=0, validation_alias="LANTERN_WORKER_POLL_SECONDS")
    job_lease_seconds: float = Field(60.0, gt=0, validation_alias="LANTERN_JOB_LEASE_SECONDS")

    # Push
    push_allowed_hosts: list[str] = Field(
        default_factory=lambda: [
            "fcm.googleapis.com",
            "updates.push.services.mozilla.com",
            "*.notify.windows.com",
            "web.push.apple.com",
            "*.push.apple.com",
        ],
        validation_alias="LANTERN_PUSH_ALLOWED_HOSTS",
    )
    push_ttl_seconds: int = Field(3600, ge=1, validation_alias="LANTERN_PUSH_TTL_SECONDS")
    push_timeout_seconds: float = Field(10.0, gt=0, validation_alias="LANTERN_PUSH_TIMEOUT_SECONDS")

    # Paging and escalation (rota, paging, workers)
    default_ack_timeout_seconds: int = Field(
        300, ge=1, validation_alias="LANTERN_DEFAULT_ACK_TIMEOUT_SECONDS"
    )
    # The shortest ack timeout a policy may set through the API (tests lower it).
    min_ack_timeout_seconds: int = Field(30, ge=1, validation_alias="LANTERN_MIN_ACK_TIMEOUT_SECONDS")
    ack_token_hours: int = Field(12, ge=1, le=72, validation_alias="LANTERN_ACK_TOKEN_HOURS")
    worker_concurrency: int = Field(16, ge=1, le=256, validation_alias="LANTERN_WORKER_CONCURRENCY")
    job_backoff_base_seconds: float = Field(2.0, gt=0, validation_alias="LANTERN_JOB_BACKOFF_BASE_SECONDS")
    job_backoff_cap_seconds: float = Field(300.0, gt=0, validation_alias="LANTERN_JOB_BACKOFF_CAP_SECONDS")
    # Push attempts (5xx, timeouts, 429) before a delivery falls back to SMS or the log.
    delivery_max_attempts: int = Field(5, ge=1, le=20, validation_alias="LANTERN_DELIVERY_MAX_ATTEMPTS")
    # A device with this many failures in a row no longer counts as working (rota gaps).
    device_failure_threshold: int = Field(3, ge=1, validation_alias="LANTERN_DEVICE_FAILURE_THRESHOLD")
    auditor_interval_seconds: float = Field(15.0, gt=0, validation_alias="LANTERN_AUDITOR_INTERVAL_SECONDS")
    jobs_stuck_after_seconds: float = Field(120.0, gt=0, validation_alias="LANTERN_JOBS_STUCK_AFTER_SECONDS")
    # Test push to each person this long before their on-call shift starts; managers are alerted
    # when none of their devices answers.
    reachability_check_enabled: bool = Field(True, validation_alias="LANTERN_REACHABILITY_CHECK_ENABLED")
    reachability_lead_seconds: int = Field(900, ge=0, validation_alias="LANTERN_REACHABILITY_LEAD_SECONDS")

    # Support offers and live events (support, events)
    # An offer's phone time more than this far ahead of the server's clock is flagged, not trusted.
    support_future_tolerance_seconds: float = Field(
        300.0, ge=0, validation_alias="LANTERN_SUPPORT_FUTURE_TOLERANCE_SECONDS"
    )
    events_keepalive_seconds: float = Field(15.0, gt=0, validation_alias="LANTERN_EVENTS_KEEPALIVE_SECONDS")
    # The server ends a live event stream after this long; the client reconnects and refetches.
    events_max_age_seconds: float = Field(900.0, gt=0, validation_alias="LANTERN_EVENTS_MAX_AGE_SECONDS")
    events_retry_ms: int = Field(3000, ge=100, validation_alias="LANTERN_EVENTS_RETRY_MS")
    # Events queued for one slow client before its stream is dropped.
    events_queue_size: int = Field(100, ge=1, validation_alias="LANTERN_EVENTS_QUEUE_SIZE")
    events_listener_ping_seconds: float = Field(
        10.0, gt=0, validation_alias="LANTERN_EVENTS_LISTENER_PING_SECONDS"
    )

    # Sign-in through the organisation's OpenID provider (api/auth/oidc.py); off unless an issuer
    # and a client id are given. The group map is JSON: {"group": {"roles": [...], "teams": [...]}}.
    oidc_issuer: str | None = Field(None, validation_alias="LANTERN_OIDC_ISSUER")
    oidc_client_id: str | None = Field(None, validation_alias="LANTERN_OIDC_CLIENT_ID")
    # Lantern is a confidential client when a secret is given (client_secret_basic); PKCE either way.
    oidc_client_secret: str | None = Field(None, validation_alias="LANTERN_OIDC_CLIENT_SECRET")
    oidc_group_map: dict[str, OidcGroupGrant] = Field(
        default_factory=dict, validation_alias="LANTERN_OIDC_GROUP_MAP"
    )
    oidc_groups_claim: str = Field("groups", min_length=1, validation_alias="LANTERN_OIDC_GROUPS_CLAIM")
    oidc_scopes: str = Field("openid profile groups", validation_alias="LANTERN_OIDC_SCOPES")
    oidc_button_label: str = Field(
        "Sign in with your organisation", max_length=80, validation_alias="LANTERN_OIDC_BUTTON_LABEL"
    )
    # The PWA's page the provider sends the browser back to (below LANTERN_PUBLIC_URL).
    oidc_redirect_path: str = Field("/signin/oidc", validation_alias="LANTERN_OIDC_REDIRECT_PATH")
    oidc_timeout_seconds: float = Field(10.0, gt=0, validation_alias="LANTERN_OIDC_TIMEOUT_SECONDS")
    # How long the provider's discovery document and keys are kept (an unknown key id refetches).
    oidc_cache_seconds: float = Field(3600.0, ge=0, validation_alias="LANTERN_OIDC_CACHE_SECONDS")

    @field_validator("oidc_group_map", mode="before")
    @classmethod
    def _group_map_from_json(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                return {}
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not valid JSON ({exc.msg})") from None
        return value

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def oidc_redirect_uri(self) -> str:
        return self.public_url.rstrip("/") + "/" + self.oidc_redirect_path.lstrip("/")

    # SMS fallback (GOV.UK Notify); disabled unless an API key is given.
    notify_api_key: str | None = Field(None, validation_alias="LANTERN_NOTIFY_API_KEY")
    notify_sms_template_id: str | None = Field(None, validation_alias="LANTERN_NOTIFY_SMS_TEMPLATE_ID")
    notify_base_url: str | None = Field(None, validation_alias="LANTERN_NOTIFY_BASE_URL")

    @field_validator("*", mode="before")
    @classmethod
    def _lists_from_text(cls, value: Any, info: ValidationInfo) -> Any:
        """List settings: `a,b,c` as operators write them, or a JSON list."""
        if not isinstance(value, str) or info.field_name is None:
            return value
        if not _is_collection(cls.model_fields[info.field_name].annotation):
            return value
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not a valid JSON list ({exc.msg}); or write a,b,c") from None
        return [part.strip() for part in text.split(",") if part.strip()]

    # Retention (api.retention; the table, its defaults and their sources are in the README).
    # Placeholders for the data protection officer to confirm against the authority's schedule.
    retention_enabled: bool = Field(True, validation_alias="LANTERN_RETENTION_ENABLED")
    retention_interval_seconds: float = Field(
        3600.0, ge=60, validation_alias="LANTERN_RETENTION_INTERVAL_SECONDS"
    )
    # False: the schedule only tidies jobs, idempotency keys and revocations; children's
    # records then go only with `lantern purge`.
    retention_purge_records: bool = Field(True, validation_alias="LANTERN_RETENTION_PURGE_RECORDS")
    retention_jobs_done_days: float = Field(14.0, ge=1, validation_alias="LANTERN_RETENTION_JOBS_DONE_DAYS")
    retention_jobs_failed_days: float = Field(
        90.0, ge=1, validation_alias="LANTERN_RETENTION_JOBS_FAILED_DAYS"
    )
    retention_child_until_age: int = Field(
        25, ge=18, le=120, validation_alias="LANTERN_RETENTION_CHILD_UNTIL_AGE"
    )
    retention_child_years_after_last_involvement: int = Field(
        6, ge=1, le=100, validation_alias="LANTERN_RETENTION_CHILD_YEARS_AFTER_LAST_INVOLVEMENT"
    )
    retention_looked_after_until_age: int = Field(
        75, ge=18, le=120, validation_alias="LANTERN_RETENTION_LOOKED_AFTER_UNTIL_AGE"
    )
    retention_audit_years: int = Field(7, ge=1, le=100, validation_alias="LANTERN_RETENTION_AUDIT_YEARS")

    @model_validator(mode="after")
    def _password_cost_lowered_only_in_tests(self) -> Settings:
        if self.password_hash_cost != "production" and self.env != "test":
            raise ValueError(
                f"LANTERN_PASSWORD_HASH_COST={self.password_hash_cost} is only allowed with LANTERN_ENV=test"
            )
        return self

    @model_validator(mode="after")
    def _production_needs_explicit_secrets(self) -> Settings:
        if self.env == "production":
            missing = [
                name
                for name, value in (
                    ("LANTERN_SECRET_KEY", self.secret_key),
                    ("LANTERN_VAPID_PRIVATE_KEY", self.vapid_private_key),
                )
                if not value
            ]
            if missing:
                raise ValueError(f"production requires {', '.join(missing)}")
            if self.secret_key and len(self.secret_key) < 32:
                raise ValueError("LANTERN_SECRET_KEY must be at least 32 characters")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def ensure_secrets(self) -> Settings:
        """Fill missing secrets from ./var, generating them on the first run.

        Only outside production: there a missing secret is a configuration error
        (the validator above refuses to start).
        """
        if self.secret_key and self.vapid_private_key:
            return self
        self.var_dir.mkdir(parents=True, exist_ok=True)
        if not self.secret_key:
            self.secret_key = _read_or_create(self.var_dir / "secret_key", lambda: secrets.token_urlsafe(48))
        if not self.vapid_private_key:
            self.vapid_private_key = _read_or_create(
                self.var_dir / "vapid_private.pem", _new_vapid_private_pem
            )
        return self

    @property
    def vapid_public_key(self) -> str:
        """The VAPID public key as the browser's `applicationServerKey` (base64url)."""
        return vapid_public_key_b64(self.vapid_private_key or "")


def _read_or_create(path: Path, make) -> str:
    if path.exists():
        return path.read_text().strip()
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value)
    log.warning("generated secret %s for the embedded default; set it explicitly in production", path.name)
    return value


def _new_vapid_private_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def vapid_public_key_b64(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    raw = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _is_collection(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    if origin in (Union, types.UnionType):
        return any(_is_collection(arg) for arg in get_args(annotation))
    return False


def _variable(cls: type[BaseSettings], loc: tuple) -> str:
    if not loc:
        return ""
    name = str(loc[0])
    field = cls.model_fields.get(name)
    if field is not None and isinstance(field.validation_alias, str):
        return field.validation_alias
    return name  # already the variable (pydantic reports the alias it read)


def describe_error(exc: ValidationError, cls: type[BaseSettings]) -> str:
    """One line: each bad variable and what is wrong with it (never its value: it may be a secret)."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False):
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        variable = _variable(cls, tuple(error.get("loc", ())))
        parts.append(f"{variable}: {message}" if variable else message)
    return "; ".join(parts).replace("\n", " ")


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, or SettingsError with one line naming what is wrong."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(describe_error(exc, Settings)) from None
    except SourceError as exc:
        raise SettingsError(str(exc).splitlines()[0]) from None


@lru_cache
def get_settings() -> Settings:
    settings = load_settings()
    try:
        return settings.ensure_secrets()
    except OSError as exc:
        raise SettingsError(
            f"LANTERN_VAR_DIR: cannot keep the generated secrets there ({exc.strerror})"
        ) from None
