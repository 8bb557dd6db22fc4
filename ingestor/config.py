"""The one configuration model: read from TOML, validated once at start-up, passed down.

Secrets come from the file, a file next to it (``*_file``, which may use ``$CREDENTIALS_DIRECTORY`` for
systemd credentials) or the environment (``*_env``); they are held as SecretStr so they never reach logs.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import tomllib
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    PlainValidator,
    SecretStr,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ingestor import redact
from ingestor.disposition import Disposition, Move, format_disposition, parse_disposition
from ingestor.outcome import FINAL_OUTCOMES, Outcome
from parsers.declarative import ParserDefinition
from parsers.definitions import DateOrder
from parsers.options import ParserOptions
from parsers.senders import IgnoreRule, clean_senders, compile_patterns
from parsers.statuses import OutageStatusMap

DEFAULT_CONFIG_PATH = Path("/etc/notices-ingestor/config.toml")
CONFIG_ENV = "NOTICES_INGESTOR_CONFIG"


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and the key."""


class _Strict(BaseModel):
    # inf/nan would pass every "> 0" check and then overflow a timer or hang a sleep: numbers are finite
    # and every one has an upper bound below.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


SecretKind = Literal["token", "password", "blob"]


def _checked_secret(value: str, what: str, kind: SecretKind = "token") -> SecretStr:
    """A secret with a control character inside (a second line in its file, a \r) would go into an
    HTTP header or an IMAP command and be quoted back in the error: refused here, without its value.
    Tokens hold no whitespace at all; a password may hold spaces; a key file (``blob``) anything."""
    if kind == "password" and not value.isprintable():
        raise ValueError(f"the {what} holds control characters (a second line?): not used")
    if kind == "token" and any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ValueError(f"the {what} holds whitespace or control characters (a second line?): not used")
    return SecretStr(value)


def _read_secret(
    value: SecretStr | None, file: str | None, env: str | None, what: str, kind: SecretKind = "token"
) -> SecretStr | None:
    """The secret from the value, its file or its environment variable, checked (``_checked_secret``)."""
    if value is not None:
        return _checked_secret(value.get_secret_value(), what, kind)
    if file:
        path = Path(os.path.expandvars(file))
        _regular_file(str(path))
        try:
            return _checked_secret(path.read_text().strip(), f"{what} in {path}", kind)
        except OSError as exc:
            raise ValueError(f"cannot read {what} file {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise ValueError(f"{what} file {path}: not valid UTF-8") from None
    if env:
        if env not in os.environ:
            raise ValueError(f"environment variable {env} (for {what}) is not set")
        return _checked_secret(os.environ[env], f"{what} in ${env}", kind)
    return None


def _regular_file(value: str) -> str:
    """A path the config names must be a regular file that exists: a missing CA bundle is an error at
    load, not an OSError traceback at the first request, and a FIFO is never opened (it would block)."""
    path = Path(os.path.expandvars(value))
    if not path.is_file():
        raise ValueError(f"{path}: {'not a regular file' if path.exists() else 'no such file'}")
    return value


ExistingFile = Annotated[str, AfterValidator(_regular_file)]


def is_loopback(url: str) -> bool:
    """Does the URL name this host (127.0.0.0/8, ::1, localhost)? Clear text there never leaves it."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _transport(url: str | None, allow_insecure: bool, what: str) -> None:
    """http:// sends the token (or client secret) in clear text: only to loopback, or when the operator
    said ``allow_insecure = true``."""
    if url and url.startswith("http://") and not allow_insecure and not is_loopback(url):
        raise ValueError(
            f"{what} is http:// to another host: the credentials would travel in clear text "
            "(use https://, or set allow_insecure = true)"
        )


def transport_warnings(config: Config) -> list[str]:
    """Every place where the config lowers transport security, for the log and for `check`."""
    found = []
    for what, url, verify in _transports(config):
        if url and url.startswith("http://"):
            found.append(f"{what}: {url} is http:// (no TLS: credentials and data in clear text)")
        elif not verify:
            found.append(f"{what}: verify_tls = false (the server's certificate is not checked)")
    return found


def _transports(config: Config) -> list[tuple[str, str | None, bool]]:
    items: list[tuple[str, str | None, bool]] = [("netbox", config.netbox.url, config.netbox.verify_tls)]
    for mailbox in config.mailboxes:  # IMAP's security = "plain" warns where the connection is made
        items.append((f"mailbox {mailbox.name}", getattr(mailbox, "graph_url", None), mailbox.verify_tls))
    return items


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value.rstrip("/")


HttpUrl = Annotated[str, AfterValidator(_http_url)]


class NetBoxConfig(_Strict):
    url: HttpUrl
    token: SecretStr | None = None
    token_file: str | None = None
    verify_tls: bool = True
    ca_file: ExistingFile | None = None
    # http:// to a host other than this one is refused unless this is set (the token would be in clear)
    allow_insecure: bool = False
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    retries: int = Field(default=4, ge=0, le=20, description="retries of a request on 5xx/timeouts")
    retry_backoff_seconds: float = Field(default=0.5, gt=0, le=60, description="first wait; doubles")
    retry_backoff_max_seconds: float = Field(default=10.0, gt=0, le=600)
    # NetBox answers larger than this are refused (a listing page of 1,000 notifications with 64 KiB
    # bodies is ~64 MiB): a broken or hostile server cannot make the daemon hold gigabytes.
    max_response_mb: int = Field(default=256, ge=1, le=4096)
    tag: str = Field(default="notices-ingestor", min_length=1)
    create_missing_providers: bool = False
    # Bulk writes of a batch are sent as up to this many requests at once (split by event): NetBox
    # spends ~20-40 ms per object written, and its workers can write in parallel.
    write_concurrency: int = Field(default=3, ge=1, le=16)
    # How long a writer waits for another writer's record of a notification that reads as one of its
    # emails (that writer is between two requests of a batch); past it the notification is an orphan.
    record_wait_seconds: float = Field(default=20.0, ge=0, le=600)

    @model_validator(mode="after")
    def _resolve_token(self) -> NetBoxConfig:
        self.token = _read_secret(self.token, self.token_file, None, "netbox token")
        if self.token is None and os.environ.get("NETBOX_TOKEN"):
            self.token = SecretStr(os.environ["NETBOX_TOKEN"])
        if self.token is None:
            raise ValueError("no token: set token, token_file or the environment variable NETBOX_TOKEN")
        self.token = _checked_secret(self.token.get_secret_value(), "netbox token")
        _transport(self.url, self.allow_insecure, "netbox url")
        return self


def _parsed_disposition(spec: object, info: ValidationInfo) -> Disposition:
    """A spec from the file becomes its actions here, once: a typo fails at load (the error's location
    names the key), and an email later only looks its actions up."""
    if not isinstance(spec, str):
        raise ValueError("a disposition is a string of actions joined by '+', like 'seen+move:Processed'")
    try:
        return parse_disposition(spec)
    except ValueError as exc:  # pydantic keeps the location; add the mailbox's name to the index
        name = info.data.get("name")
        raise ValueError(f"mailbox {name}: {exc}" if name else str(exc)) from None


# A mailbox's ``on_*`` key: written as a spec string, held as the parsed actions, dumped as a spec again.
DispositionSpec = Annotated[
    Disposition,
    PlainValidator(_parsed_disposition, json_schema_input_type=str),
    PlainSerializer(format_disposition, return_type=str),
]

# The key that holds the disposition of each final outcome (FINAL_OUTCOMES; DEFERRED has none).
DISPOSITION_KEYS: dict[Outcome, str] = {
    Outcome.INGESTED: "on_success",
    Outcome.DUPLICATE: "on_duplicate",
    Outcome.IGNORED: "on_ignored",
    Outcome.FAILED: "on_failed",
}


class OAuth2Config(_Strict):
    """``[mailboxes.oauth2]``: where a mailbox's access tokens come from (IMAP XOAUTH2/OAUTHBEARER, Graph).

    Secrets (client secret, refresh token, service-account key) are read like passwords: the value, a
    ``*_file`` (``$CREDENTIALS_DIRECTORY`` works) or a ``*_env`` variable.
    """

    provider: Literal["microsoft", "google", "generic"]
    client_id: str | None = None
    client_secret: SecretStr | None = None
    client_secret_file: str | None = None
    client_secret_env: str | None = None
    # microsoft: app-only client credentials for one tenant, by secret or by certificate
    tenant_id: str | None = None
    client_certificate_file: ExistingFile | None = None  # PEM with the private key and the certificate
    authority_host: HttpUrl = "https://login.microsoftonline.com"
    # google: a service-account key (JSON) with domain-wide delegation; it impersonates the mailbox
    service_account_file: ExistingFile | None = None
    service_account_env: str | None = None
    # generic: any RFC 6749 token endpoint, client credentials or a refresh token
    token_url: HttpUrl | None = None
    refresh_token: SecretStr | None = None
    refresh_token_file: str | None = None
    refresh_token_env: str | None = None
    client_auth: Literal["basic", "post"] = "basic"
    # all: scopes (space-separated; default per provider), CA bundle for the token endpoint, SASL mechanism
    scope: str | None = None
    ca_file: ExistingFile | None = None
    mechanism: Literal["auto", "xoauth2", "oauthbearer"] = "auto"
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    allow_insecure: bool = False  # an http:// token endpoint on another host (secrets in clear text)
    # the key JSON once read (never in reprs)
    service_account_info: SecretStr | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _check_provider(self) -> OAuth2Config:
        self.client_secret = _read_secret(
            self.client_secret, self.client_secret_file, self.client_secret_env, "oauth2 client secret"
        )
        self.refresh_token = _read_secret(
            self.refresh_token, self.refresh_token_file, self.refresh_token_env, "oauth2 refresh token"
        )
        self.service_account_info = _read_secret(
            None,
            self.service_account_file,
            self.service_account_env,
            "google service-account key",
            "blob",
        )
        _transport(self.token_url, self.allow_insecure, "oauth2 token_url")
        _transport(self.authority_host, self.allow_insecure, "oauth2 authority_host")
        {"microsoft": self._check_microsoft, "google": self._check_google, "generic": self._check_generic}[
            self.provider
        ]()
        return self

    def _require(self, *keys: str) -> None:
        missing = [key for key in keys if getattr(self, key) is None]
        if missing:
            raise ValueError(f"{', '.join(missing)}: required for provider {self.provider!r}")

    def _check_microsoft(self) -> None:
        self._require("tenant_id", "client_id")
        if (self.client_secret is None) == (self.client_certificate_file is None):
            raise ValueError(
                "provider 'microsoft' needs exactly one of client_secret (or client_secret_file/_env) "
                "and client_certificate_file"
            )

    def _check_google(self) -> None:
        if self.service_account_info is None:
            raise ValueError("service_account_file or service_account_env: required for provider 'google'")

    def _check_generic(self) -> None:
        self._require("token_url", "client_id")
        if self.refresh_token is None and self.client_secret is None:
            raise ValueError(
                "provider 'generic' needs client_secret (client credentials grant) or refresh_token"
            )


class _MailboxBase(_Strict):
    """What every kind of mailbox has: a name, a folder, a schedule and the dispositions."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    folder: str = "INBOX"
    tls_ca_file: ExistingFile | None = None
    verify_tls: bool = True
    interval_seconds: float = Field(default=300, gt=0, le=86400)
    timeout_seconds: float = Field(default=60, gt=0, le=3600)
    max_message_bytes: int = Field(default=25 * 1024 * 1024, gt=0, le=1024 * 1024 * 1024)
    oauth2: OAuth2Config | None = None
    # What happens to an email once NetBox holds its effect (or it was ignored/failed). Actions joined by
    # "+": "move:Folder", "keyword:$Flag", "seen", "none". A move comes last. Parsed at load (disposition
    # below gives an outcome's actions).
    on_success: DispositionSpec = Field("move:Processed", validate_default=True)
    on_duplicate: DispositionSpec | None = None  # unset: as on_success (filled in at load)
    on_ignored: DispositionSpec = Field("move:Ignored", validate_default=True)
    on_failed: DispositionSpec = Field("move:Failed", validate_default=True)
    # An email that keeps failing transiently while NetBox answers (a poison email) goes to on_failed
    # after this many attempts (counted in state_dir).
    max_attempts: int = Field(default=5, ge=1, le=1000)

    @model_validator(mode="after")
    def _complete_dispositions(self) -> _MailboxBase:
        """on_duplicate defaults to on_success. No disposition may move into the folder being read: the
        moved copy would get a new UID and be fetched again on every poll."""
        if self.on_duplicate is None:
            self.on_duplicate = self.on_success
        for outcome, key in DISPOSITION_KEYS.items():
            if Move(self.folder) in self.disposition(outcome):
                raise ValueError(
                    f"mailbox {self.name}: {key}: cannot move into the folder being read ({self.folder!r})"
                )
        return self

    def disposition(self, outcome: Outcome) -> Disposition:
        """The actions for an email of this mailbox that ended with ``outcome``, as parsed at load."""
        if outcome not in DISPOSITION_KEYS:
            raise ValueError(f"a {outcome} email has no disposition: it stays to be tried again")
        return getattr(self, DISPOSITION_KEYS[outcome])

    def dispositions(self) -> dict[Outcome, Disposition]:
        """Every final outcome's actions, for what the sources derive from all of them (done keywords)."""
        return {outcome: self.disposition(outcome) for outcome in FINAL_OUTCOMES}


class MailboxConfig(_MailboxBase):
    """An IMAP mailbox (``kind = "imap"``, the default)."""

    kind: Literal["imap"] = "imap"
    host: str
    port: int = Field(gt=0, lt=65536)
    security: Literal["tls", "starttls", "plain"] = "tls"
    username: str
    auth: Literal["password", "oauth2"] = "password"
    password: SecretStr | None = None
    password_file: str | None = None
    password_env: str | None = None
    # Claims (two instances on one mailbox): an email is moved into <claim_prefix><instance_name> before
    # it is worked on; only one client's MOVE of a message succeeds. Emails left in another instance's
    # claim folder longer than claim_lease_seconds are put back into `folder`.
    claim_prefix: str = Field(default="Processing-", min_length=1, pattern=r"^[^\s*%/]+$")
    claim_lease_seconds: float = Field(default=900, gt=0, le=7 * 86400)
    claim_batch: int = Field(default=20, ge=1, le=500)
    # Within one poll, a dropped IMAP connection is re-opened this many times (with backoff).
    reconnect_attempts: int = Field(default=3, ge=0, le=20)
    # IMAP IDLE: when the server offers it, a connection waits in IDLE and new mail is polled at once;
    # interval_seconds stays the safety-net poll. IDLE is re-issued every idle_renew_seconds (RFC 2177:
    # servers may drop an IDLE after 30 minutes).
    idle: bool = True
    idle_renew_seconds: float = Field(default=1500, gt=0, le=1740)

    @model_validator(mode="after")
    def _resolve_password(self) -> MailboxConfig:
        if self.auth == "oauth2":
            if self.oauth2 is None:
                raise ValueError("auth = 'oauth2' needs an [mailboxes.oauth2] table (oauth2.provider, ...)")
            if self.password or self.password_file or self.password_env:
                raise ValueError("auth = 'oauth2' takes no password, password_file or password_env")
        else:
            self.password = _read_secret(
                self.password, self.password_file, self.password_env, "mailbox password", "password"
            )
            if self.password is None:
                raise ValueError("no password: set password, password_file or password_env")
        return self


class GraphMailboxConfig(_MailboxBase):
    """A user or shared mailbox's folder read through Microsoft Graph (``kind = "graph"``)."""

    kind: Literal["graph"]
    user: str = Field(min_length=1, description="the mailbox: user principal name, address or object id")
    graph_url: HttpUrl = "https://graph.microsoft.com/v1.0"
    page_size: int = Field(default=50, gt=0, le=1000)
    retries: int = Field(default=4, ge=0, le=20, description="retries of a throttled (429/503) request")
    max_retry_after_seconds: float = Field(default=120, gt=0, le=3600)
    allow_insecure: bool = False  # an http:// graph_url on another host (the token in clear text)

    @model_validator(mode="after")
    def _check(self) -> GraphMailboxConfig:
        if self.oauth2 is None or self.oauth2.provider == "google":
            raise ValueError("kind = 'graph' needs [mailboxes.oauth2] with provider 'microsoft' or 'generic'")
        _transport(self.graph_url, self.allow_insecure, f"mailbox {self.name}: graph_url")
        return self


MAILBOX_KINDS = ("imap", "graph")


def _mailbox_kind(value: object) -> str:
    if isinstance(value, dict):
        return str(value.get("kind", "imap"))
    return getattr(value, "kind", "imap")


AnyMailboxConfig = Annotated[
    Annotated[MailboxConfig, Tag("imap")] | Annotated[GraphMailboxConfig, Tag("graph")],
    Discriminator(_mailbox_kind),
]


class ProviderConfig(_Strict):
    # slug of the NetBox provider for this parser provider name (default: the same name)
    netbox_provider: str | None = None
    # extra sender addresses or domains that belong to this provider
    senders: list[str] = Field(default_factory=list)
    # how this provider writes ambiguous slashed dates (03/05/2026): "DMY" or "MDY" (parsers.dateorder)
    date_order: DateOrder | None = None
    # this provider's email that parses to nothing fails ("from provider X but not understood"), unless
    # it comes from one of these addresses/domains or its subject matches one of these regexes (any case):
    # newsletters, marketing (parsers.senders.IgnoreRule)
    ignore_senders: list[str] = Field(default_factory=list)
    ignore_subjects: list[str] = Field(default_factory=list)

    @field_validator("ignore_senders")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        return clean_senders(value)

    @field_validator("ignore_subjects")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        compile_patterns(value)  # a ValueError naming the pattern that does not compile
        return value

    def ignore_rule(self, name: str) -> IgnoreRule | None:
        if not (self.ignore_senders or self.ignore_subjects):
            return None
        return IgnoreRule(
            provider=name, senders=self.ignore_senders, subjects=compile_patterns(self.ignore_subjects)
        )


class ParsingConfig(_Strict):
    # Each email is parsed in a worker process under these limits (parsers.worker); see README, Parsing.
    timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    memory_limit_mb: int = Field(default=1024, ge=512, le=65536)
    # Parsing is CPU-bound: by default one worker per core, at most 4 (each is a process of ~100 MB).
    workers: int = Field(default_factory=lambda: min(4, os.cpu_count() or 1), ge=1, le=64)
    outage_status_map: OutageStatusMap = Field(default_factory=dict)
    # Bounds on what reaches NetBox.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=16 * 1024 * 1024)
    max_notices: int = Field(default=50, ge=1, le=10000)
    stamp_skew_seconds: float = Field(default=3600.0, ge=0, le=7 * 86400)
    max_attachment_mb: int = Field(default=50, ge=1, le=1024)


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
    mailboxes: list[AnyMailboxConfig] = Field(default_factory=list)
    providers: dict[str, ProviderConfig] = Field(default_factory=dict)
    parsing: ParsingConfig = Field(default_factory=ParsingConfig)
    parsers: list[ParserDefinition] = Field(default_factory=list)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    state_dir: str = "/var/lib/notices-ingestor"
    # Names this instance's claim folders; two instances on one mailbox need different names.
    instance_name: str = Field(default_factory=lambda: _default_instance(), min_length=1)
    # Emails handed to the NetBox stage at once (a poll's claimed emails, a replay's chunk): NetBox is read
    # and written in bulk per batch, so larger batches need fewer requests per email.
    batch_size: int = Field(default=100, ge=1, le=1000)

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
        parsing = self.parsing
        return ParserOptions(
            sender_providers=senders,
            timeout_seconds=parsing.timeout_seconds,
            memory_limit_mb=parsing.memory_limit_mb,
            workers=parsing.workers,
            parsers=self.parsers,
            outage_status_map=parsing.outage_status_map,
            date_orders={name: p.date_order for name, p in self.providers.items() if p.date_order},
            max_body_bytes=parsing.max_body_bytes,
            max_notices=parsing.max_notices,
            stamp_skew_seconds=parsing.stamp_skew_seconds,
            max_inflated_bytes=parsing.max_attachment_mb * 1024 * 1024,
            ignore_rules=self._ignore_rules(),
        )

    def _ignore_rules(self) -> dict[str, IgnoreRule]:
        """Each provider's ignore rule under its config name and its NetBox slug: the provider an email is
        known as may be either (the library's name, or the NetBox provider its domain belongs to)."""
        rules: dict[str, IgnoreRule] = {}
        for name, provider in self.providers.items():
            rule = provider.ignore_rule(name)
            if rule is not None:
                rules |= {name.lower(): rule, self.netbox_provider_slug(name): rule}
        return rules

    def netbox_provider_slug(self, provider: str) -> str:
        override = self.providers.get(provider)
        return (override.netbox_provider if override and override.netbox_provider else provider).lower()


def _default_instance() -> str:
    return socket.gethostname().split(".")[0] or "localhost"


def config_path(cli_value: str | None) -> Path:
    return Path(cli_value or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_PATH)


def _without_kind_tag(loc: tuple) -> tuple:
    # a mailbox's errors carry its kind ("mailboxes", 0, "imap", "port"); users wrote no such key
    if len(loc) > 2 and loc[0] == "mailboxes" and loc[2] in MAILBOX_KINDS:
        return loc[:2] + loc[3:]
    return loc


def _format_errors(path: Path, exc: ValidationError) -> str:
    """One line per wrong key, each naming the file: the first line alone says what to fix. Only the
    message: pydantic's ``input_value`` (the value as written, which may be a secret) is never shown."""
    lines = []
    for error in exc.errors():
        key = ".".join(str(part) for part in _without_kind_tag(error["loc"])) or "(top level)"
        lines.append(f"{path}: invalid configuration: {key}: {error['msg']}")
    return "\n".join(lines)


def read_toml(path: Path) -> dict:
    """The file as TOML data; a ConfigError naming the file and what is wrong otherwise."""
    if path.exists() and not path.is_file():  # a FIFO would block the read, a device never end
        raise ConfigError(f"{path}: not a regular file")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid UTF-8 (byte {exc.start}): TOML files are UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def load_config(path: Path) -> Config:
    data = read_toml(path)
    config = validate_config(path, data)
    redact.register(secret.get_secret_value() for secret in _secrets(config))
    return config


def validate_config(path: Path, data: dict) -> Config:
    """The Config; a ConfigError naming each wrong key and why, never the value (it may be a secret)."""
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(path, exc)) from None


def _secrets(model: BaseModel) -> list[SecretStr]:
    """Every SecretStr in the config, however deep, for the redaction of every output."""
    found = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, SecretStr):
                found.append(item)
            elif isinstance(item, BaseModel):
                found += _secrets(item)
    return found
