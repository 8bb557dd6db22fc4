"""Access tokens for mailboxes that log in with OAuth2: Microsoft (msal), Google (google-auth), generic.

A ``TokenSource`` fetches a token from its identity provider; a ``TokenCache`` in front of it keeps the
token in memory and fetches a new one shortly before it expires, or at once after the server refused it
(``invalidate``). Caches live as long as the process (one per mailbox config, see ``token_cache_for``),
so a daemon polling every few minutes asks the provider about once an hour, not once per poll.

Tokens and secrets never reach a log line or an exception message.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote

import requests
import structlog

from ingestor import redact
from ingestor.http import HttpSession, ResponseTooLarge, json_object

if TYPE_CHECKING:  # config imports the parsers; only the types are needed here
    from ingestor.config import OAuth2Config

log = structlog.get_logger(__name__)

MICROSOFT_AUTHORITY_HOST = "https://login.microsoftonline.com"
DEFAULT_SCOPES = {
    ("microsoft", "imap"): "https://outlook.office365.com/.default",
    ("microsoft", "graph"): "https://graph.microsoft.com/.default",
    ("google", "imap"): "https://mail.google.com/",
}
# fetch a new token this long before the old one expires (at most half its lifetime)
REFRESH_MARGIN_SECONDS = 120.0
# a token response without expires_in (RFC 6749 only recommends it) is trusted this long
DEFAULT_LIFETIME_SECONDS = 3600.0
# a token answer is a few KiB; anything near this is a broken or hostile endpoint
TOKEN_MAX_BYTES = 1024 * 1024


class TokenError(Exception):
    """No token could be had. ``transient``: worth retrying later (network, 5xx); else fix the config."""

    def __init__(self, message: str, *, transient: bool):
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class AccessToken:
    value: str = field(repr=False)
    expires_at: float  # time.time() scale
    lifetime: float


class TokenSource(Protocol):
    description: str

    def fetch(self, *, fresh: bool) -> AccessToken:
        """A token from the provider; ``fresh`` bypasses any cache the library itself keeps."""
        ...


def _token(value: str, expires_in: float | None) -> AccessToken:
    redact.register([value])  # from now on no output of this process can carry it
    lifetime = float(expires_in) if expires_in is not None else DEFAULT_LIFETIME_SECONDS
    return AccessToken(value=value, expires_at=time.time() + lifetime, lifetime=lifetime)


def _scope(config: OAuth2Config, kind: str) -> str | None:
    return config.scope or DEFAULT_SCOPES.get((config.provider, kind))


def _secret(value) -> str:
    return value.get_secret_value() if value is not None else ""


# -- generic: any RFC 6749 token endpoint --------------------------------------------------------------


class GenericTokenSource:
    """Client credentials (RFC 6749 §4.4) or a refresh token (§6) at a configured token endpoint."""

    def __init__(self, config: OAuth2Config, kind: str, session: requests.Session):
        self.config = config
        self.scope = _scope(config, kind)
        self.session = session
        grant = "refresh token" if config.refresh_token is not None else "client credentials"
        self.description = f"generic, {grant} at {config.token_url}"
        self._refresh_token = _secret(config.refresh_token) or None

    def fetch(self, *, fresh: bool) -> AccessToken:
        cfg = self.config
        data = (
            {"grant_type": "refresh_token", "refresh_token": self._refresh_token}
            if self._refresh_token
            else {"grant_type": "client_credentials"}
        )
        if self.scope:
            data["scope"] = self.scope
        auth = None
        secret = _secret(cfg.client_secret)
        if cfg.client_auth == "basic" and secret:
            # RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding
            auth = (quote(cfg.client_id or "", safe=""), quote(secret, safe=""))
        else:
            data["client_id"] = cfg.client_id or ""
            if secret:
                data["client_secret"] = secret
        try:
            response = self.session.post(
                cfg.token_url or "", data=data, auth=auth, headers={"Accept": "application/json"}
            )
        except requests.RequestException as exc:
            raise TokenError(f"token endpoint {cfg.token_url}: {_failure(exc)}", transient=True) from None
        body = json_object(response)
        if response.status_code != 200 or not isinstance(body.get("access_token"), str):
            raise TokenError(
                f"token endpoint {cfg.token_url} answered {response.status_code}: {_oauth_error(body)}",
                transient=response.status_code >= 500 or response.status_code == 429,
            )
        if isinstance(body.get("refresh_token"), str):
            self._refresh_token = body["refresh_token"]  # rotated: the old one may no longer work
            redact.register([self._refresh_token])
        return _token(body["access_token"], body.get("expires_in"))


def _failure(exc: requests.RequestException) -> str:
    """What went wrong with a request that got no usable answer, in a few words."""
    if isinstance(exc, ResponseTooLarge):
        return str(exc)
    return f"unreachable: {type(exc).__name__}"


def _oauth_error(body: dict) -> str:
    error = str(body.get("error") or "no OAuth2 error in the response")
    description = str(body.get("error_description") or "").splitlines()
    return f"{error}: {description[0]}" if description else error


# -- microsoft: msal, app-only client credentials ---------------------------------------------------------


class MicrosoftTokenSource:
    """msal's ConfidentialClientApplication for one tenant; a secret or a certificate."""

    def __init__(self, config: OAuth2Config, kind: str, session: requests.Session):
        self.config = config
        self.scope = _scope(config, kind) or ""
        self.session = session
        self.authority = f"{config.authority_host}/{config.tenant_id}"
        self.description = f"microsoft, tenant {config.tenant_id}, client {config.client_id}"
        self._app = None  # built on first use: msal asks the authority for its endpoints right away

    def _credential(self):
        cfg = self.config
        if cfg.client_certificate_file is None:
            return _secret(cfg.client_secret)
        try:
            pem = Path(cfg.client_certificate_file).read_text(encoding="ascii")
        except OSError as exc:
            raise TokenError(
                f"cannot read client_certificate_file {cfg.client_certificate_file}: {exc.strerror}",
                transient=False,
            ) from None
        return {"private_key": pem, "public_certificate": pem}

    def _application(self):
        if self._app is None:
            import msal

            try:
                self._app = msal.ConfidentialClientApplication(
                    self.config.client_id,
                    client_credential=self._credential(),
                    authority=self.authority,
                    # discovery asks login.microsoftonline.com about the host: only for Microsoft's own
                    instance_discovery=self.config.authority_host == MICROSOFT_AUTHORITY_HOST,
                    http_client=self.session,
                    token_cache=msal.TokenCache(),
                    timeout=self.config.timeout_seconds,
                )
            except requests.RequestException as exc:
                raise TokenError(
                    f"authority {self.authority} unreachable: {type(exc).__name__}", transient=True
                ) from None
            except ValueError as exc:
                raise TokenError(f"authority {self.authority}: {exc}", transient=False) from None
        return self._app

    def fetch(self, *, fresh: bool) -> AccessToken:
        app = self._application()
        if fresh:
            app.remove_tokens_for_client()
        try:
            result = app.acquire_token_for_client(scopes=[self.scope])
        except requests.RequestException as exc:
            raise TokenError(
                f"authority {self.authority} unreachable: {type(exc).__name__}", transient=True
            ) from None
        if "access_token" not in result:
            raise TokenError(
                f"authority {self.authority} refused: {_oauth_error(result)}",
                transient=result.get("error") == "temporarily_unavailable",
            )
        return _token(result["access_token"], result.get("expires_in"))


# -- google: service account with domain-wide delegation ------------------------------------------------


class GoogleTokenSource:
    """google-auth's service-account credentials impersonating the mailbox (RFC 7523 JWT bearer grant)."""

    def __init__(self, config: OAuth2Config, kind: str, session: requests.Session, subject: str):
        from google.oauth2 import service_account

        self.scope = _scope(config, kind) or ""
        self.session = session
        try:
            info = json.loads(_secret(config.service_account_info))
            self.credentials = service_account.Credentials.from_service_account_info(
                info, scopes=self.scope.split(), subject=subject
            )
        except (ValueError, KeyError) as exc:  # the message names the missing field, never the key
            raise TokenError(
                f"service-account key unusable: {type(exc).__name__}: {exc}", transient=False
            ) from None
        self.description = f"google, service account {self.credentials.service_account_email} as {subject}"

    def fetch(self, *, fresh: bool) -> AccessToken:
        from google.auth import exceptions
        from google.auth.transport.requests import Request

        try:
            self.credentials.refresh(Request(session=self.session))
        except exceptions.RefreshError as exc:
            raise TokenError(f"token endpoint refused: {_first_line(exc)}", transient=exc.retryable) from None
        except exceptions.TransportError as exc:
            raise TokenError(f"token endpoint unreachable: {_first_line(exc)}", transient=True) from None
        expiry = self.credentials.expiry  # naive UTC
        expires_in = expiry.replace(tzinfo=UTC).timestamp() - time.time() if expiry else None
        return _token(self.credentials.token, expires_in)


def _first_line(exc: BaseException) -> str:
    text = str(exc.args[0]) if exc.args else type(exc).__name__
    return text.splitlines()[0] if text else type(exc).__name__


# -- the cache ----------------------------------------------------------------------------------------


class TokenCache:
    """The current token of one mailbox; a new one shortly before expiry or after ``invalidate()``."""

    def __init__(self, source: TokenSource, clock=time.time):
        self.source = source
        self._clock = clock
        self._token: AccessToken | None = None
        self._fresh = False
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        return self.source.description

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._due(self._token):
                fresh, self._fresh = self._fresh, False
                self._token = self.source.fetch(fresh=fresh)
                log.info(
                    "oauth2_token_fetched",
                    source=self.source.description,
                    expires_in=round(self._token.expires_at - self._clock()),
                )
            return self._token.value

    def invalidate(self) -> None:
        """The server refused the token: the next ``token()`` fetches a new one, past any library cache."""
        with self._lock:
            self._token = None
            self._fresh = True

    def _due(self, token: AccessToken) -> bool:
        margin = min(REFRESH_MARGIN_SECONDS, token.lifetime / 2)
        return self._clock() >= token.expires_at - margin


_caches: dict[int, tuple[object, TokenCache]] = {}
_caches_lock = threading.Lock()


def build_source(config: OAuth2Config, *, kind: str, subject: str) -> TokenSource:
    session = HttpSession(ca_file=config.ca_file, timeout=config.timeout_seconds, max_bytes=TOKEN_MAX_BYTES)
    if config.provider == "microsoft":
        return MicrosoftTokenSource(config, kind, session)
    if config.provider == "google":
        return GoogleTokenSource(config, kind, session, subject)
    return GenericTokenSource(config, kind, session)


def token_cache_for(config: OAuth2Config, *, kind: str, subject: str) -> TokenCache:
    """The process-wide cache for this mailbox's OAuth2 config (polls open a new session each time)."""
    with _caches_lock:
        entry = _caches.get(id(config))
        if entry is None or entry[0] is not config:
            entry = (config, TokenCache(build_source(config, kind=kind, subject=subject)))
            _caches[id(config)] = entry  # the entry keeps config alive, so its id is not reused
        return entry[1]
