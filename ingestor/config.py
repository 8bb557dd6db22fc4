"""The one configuration model: read from TOML, validated once at start-up, passed down.

Secrets come from the file, a file next to it (``*_file``, which may use ``$CREDENTIALS_DIRECTORY`` for
systemd credentials) or the environment (``*_env``); they are held as SecretStr so they never reach logs.
"""

from __future__ import annotations

import os
import socket
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from ingestor.disposition import check_dispositions, parse_disposition
from parsers.declarative import ParserDefinition
from parsers.options import ParserOptions
from parsers.statuses import OutageStatusMap

DEFAULT_CONFIG_PATH = Path("/etc/notices-ingestor/config.toml")
CONFIG_ENV = "NOTICES_INGESTOR_CONFIG"


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _read_secret(value: SecretStr | None, file: str | None, env: str | None, what: str) -> SecretStr | None:
    if value is not None:
        return value
    if file:
        path = Path(os.path.expandvars(file))
        try:
            return SecretStr(path.read_text().strip())
        except OSError as exc:
            raise ValueError(f"cannot read {what} file {path}: {exc.strerror}") from None
    if env:
        if env not in os.environ:
            raise ValueError(f"environment variable {env} (for {what}) is not set")
        return SecretStr(os.environ[env])
    return None


class NetBoxConfig(_Strict):
    url: str
    token: SecretStr | None = None
    token_file: str | None = None
    verify_tls: bool = True
    ca_file: str | None = None
    timeout_seconds: float = Field(default=30.0, gt=0)
    retries: int = Field(default=4, ge=0, description="retries of a request on 5xx/timeouts, with backoff")
    retry_backoff_seconds: float = Field(default=0.5, gt=0, description="first wait; doubles per retry")
    retry_backoff_max_seconds: float = Field(default=10.0, gt=0)
    tag: str = Field(default="notices-ingestor", min_length=1)
    create_missing_providers: bool = False

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _resolve_token(self) -> NetBoxConfig:
        self.token = _read_secret(self.token, self.token_file, None, "netbox token")
        if self.token is None and os.environ.get("NETBOX_TOKEN"):
            self.token = SecretStr(os.environ["NETBOX_TOKEN"])
        if self.token is None:
            raise ValueError("no token: set token, token_file or the environment variable NETBOX_TOKEN")
        return self


def _valid_disposition(spec: str) -> str:
    parse_disposition(spec)  # raises a ValueError that says what is wrong with the spec
    return spec


DispositionSpec = Annotated[str, AfterValidator(_valid_disposition)]


class MailboxConfig(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    host: str
    port: int = Field(gt=0, lt=65536)
    security: Literal["tls", "starttls", "plain"] = "tls"
    username: str
    password: SecretStr | None = None
    password_file: str | None = None
    password_env: str | None = None
    folder: str = "INBOX"
    tls_ca_file: str | None = None
    verify_tls: bool = True
    interval_seconds: float = Field(default=300, gt=0)
    timeout_seconds: float = Field(default=60, gt=0)
    max_message_bytes: int = Field(default=25 * 1024 * 1024, gt=0)
    # What happens to an email once NetBox holds its effect (or it was ignored/failed). Actions joined by
    # "+": "move:Folder", "keyword:$Flag", "seen", "none". A move comes last.
    on_success: DispositionSpec = "move:Processed"
    on_duplicate: DispositionSpec | None = None  # default: as on_success
    on_ignored: DispositionSpec = "move:Ignored"
    on_failed: DispositionSpec = "move:Failed"
    # An email that keeps failing transiently while NetBox answers (a poison email) goes to on_failed
    # after this many attempts (counted in state_dir).
    max_attempts: int = Field(default=5, ge=1)
    # Claims (two instances on one mailbox): an email is moved into <claim_prefix><instance_name> before
    # it is worked on; only one client's MOVE of a message succeeds. Emails left in another instance's
    # claim folder longer than claim_lease_seconds are put back into `folder`.
    claim_prefix: str = Field(default="Processing-", min_length=1, pattern=r"^[^\s*%/]+$")
    claim_lease_seconds: float = Field(default=900, gt=0)
    claim_batch: int = Field(default=20, ge=1, le=500)
    # Within one poll, a dropped IMAP connection is re-opened this many times (with backoff).
    reconnect_attempts: int = Field(default=3, ge=0)
    # IMAP IDLE: when the server offers it, a connection waits in IDLE and new mail is polled at once;
    # interval_seconds stays the safety-net poll. IDLE is re-issued every idle_renew_seconds (RFC 2177:
    # servers may drop an IDLE after 30 minutes).
    idle: bool = True
    idle_renew_seconds: float = Field(default=1500, gt=0, le=1740)

    @model_validator(mode="after")
    def _resolve_password(self) -> MailboxConfig:
        self.password = _read_secret(self.password, self.password_file, self.password_env, "mailbox password")
        if self.password is None:
            raise ValueError("no password: set password, password_file or password_env")
        if self.on_duplicate is None:
            self.on_duplicate = self.on_success
        check_dispositions(self)
        return self


class ProviderConfig(_Strict):
    # slug of the NetBox provider for this parser provider name (default: the same name)
    netbox_provider: str | None = None
    # extra sender addresses or domains that belong to this provider
    senders: list[str] = Field(default_factory=list)


class ParsingConfig(_Strict):
    timeout_seconds: float = Field(default=30.0, gt=0)
    outage_status_map: OutageStatusMap = Field(default_factory=dict)


class LoggingConfig(_Strict):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["auto", "json", "console"] = "auto"


class MetricsConfig(_Strict):
    # "host:port" (host defaults to 127.0.0.1) for /metrics, /healthz and /readyz; unset: no listener
    listen: str | None = None

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value is not None:
            from ingestor.health import parse_listen

            parse_listen(value)  # raises a ValueError that says what is wrong
        return value


class Config(_Strict):
    netbox: NetBoxConfig
    mailboxes: list[MailboxConfig] = Field(default_factory=list)
    providers: dict[str, ProviderConfig] = Field(default_factory=dict)
    parsing: ParsingConfig = Field(default_factory=ParsingConfig)
    parsers: list[ParserDefinition] = Field(default_factory=list)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    state_dir: str = "/var/lib/notices-ingestor"
    # Names this instance's claim folders; two instances on one mailbox need different names.
    instance_name: str = Field(default_factory=lambda: _default_instance(), min_length=1)

    @model_validator(mode="after")
    def _unique_mailbox_names(self) -> Config:
        names = [m.name for m in self.mailboxes]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"mailbox names must be unique: {', '.join(duplicated)}")
        return self

    def parser_options(self) -> ParserOptions:
        senders = {
            sender.lower(): name for name, provider in self.providers.items() for sender in provider.senders
        }
        return ParserOptions(
            sender_providers=senders,
            timeout_seconds=self.parsing.timeout_seconds,
            parsers=self.parsers,
            outage_status_map=self.parsing.outage_status_map,
        )

    def netbox_provider_slug(self, provider: str) -> str:
        override = self.providers.get(provider)
        return (override.netbox_provider if override and override.netbox_provider else provider).lower()


def _default_instance() -> str:
    return socket.gethostname().split(".")[0] or "localhost"


def config_path(cli_value: str | None) -> Path:
    return Path(cli_value or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_PATH)


def _format_errors(path: Path, exc: ValidationError) -> str:
    lines = [f"{path}: invalid configuration"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"  {key}: {error['msg']}")
    return "\n".join(lines)


def load_config(path: Path) -> Config:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(path, exc)) from None
