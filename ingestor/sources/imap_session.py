"""One IMAP connection: connect (implicit TLS, STARTTLS or plain), log in (password or OAuth2), select
folders, and the few commands the mailbox needs, as a thin façade over imapclient.

Every server or socket failure comes out as a ``sources.errors`` exception that names the mailbox and
what was being done ("mailbox noc (host:993): SELECT 'INBOX' failed: ..."), never the password. What the
commands are for (claims, reading, dispositions) is the business of ``imap_claims`` and ``imap``.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

import structlog
from imapclient import DELETED, IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from ingestor.sources.errors import MailboxConnectError, MailboxError, MailboxLoginError, MailboxTLSError

if TYPE_CHECKING:  # config imports the parsers; only the type is needed here
    from ingestor.config import MailboxConfig

log = structlog.get_logger(__name__)

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


class SelectedFolder(NamedTuple):
    """What SELECT said of a folder, parsed once."""

    name: str
    uidvalidity: int
    uidnext: int  # 0: the server did not say
    exists: int
    read_only: bool
    permanent_flags: tuple[bytes, ...]

    @classmethod
    def parse(cls, name: str, info: dict) -> SelectedFolder:
        return cls(
            name=name,
            uidvalidity=int(info[b"UIDVALIDITY"]),
            uidnext=int(info.get(b"UIDNEXT") or 0),
            exists=int(info.get(b"EXISTS", 0)),
            read_only=b"READ-ONLY" in info,
            permanent_flags=tuple(info.get(b"PERMANENTFLAGS", ())),
        )


class ImapSession:
    """A logged-in connection to the server of one configured mailbox, one folder selected at a time."""

    def __init__(self, config: MailboxConfig):
        self.config = config
        self.auth = "password"  # how the session logged in, for describe()
        self._client: IMAPClient | None = None
        self._capabilities: frozenset[bytes] = frozenset()
        self._known_folders: set[str] = set()
        self._selected: SelectedFolder | None = None
        self._log = log.bind(mailbox=config.name)

    @property
    def where(self) -> str:
        """How error messages name the mailbox."""
        return f"mailbox {self.config.name} ({self.config.host}:{self.config.port})"

    def open(self) -> None:
        """Connect and log in; raises a MailboxError subclass saying what failed."""
        client = self._connect()
        try:
            self._login(client)
            # servers announce some capabilities (MOVE, UIDPLUS) only once logged in: ask again
            with self.errors("CAPABILITY"):
                self._capabilities = frozenset(client.capabilities())
        except BaseException:
            _close_quietly(client)
            raise
        self._client = client

    def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            _close_quietly(client)

    def has_capability(self, name: str) -> bool:
        return name.upper().encode() in self._capabilities

    # -- commands -----------------------------------------------------------------------------------------

    def select(self, folder: str, *, again: bool = False) -> SelectedFolder:
        """Select ``folder`` (read-write) unless it is selected already (``again``: select it anyway, for
        a fresh UIDNEXT)."""
        client = self._require_client()
        if again or self._selected is None or self._selected.name != folder:
            self._selected = None
            with self.errors(f"SELECT {folder!r}"):
                info = client.select_folder(folder)
            self._selected = SelectedFolder.parse(folder, info)
        return self._selected

    def search(self, criteria: list[str], doing: str) -> list[int]:
        """UIDs of the selected folder matching ``criteria``."""
        with self.errors(doing):
            return list(self._require_client().search(criteria))

    def fetch(self, uids: list[int], items: list[str], doing: str) -> dict[int, dict[bytes, Any]]:
        with self.errors(doing):
            return self._require_client().fetch(uids, items)

    def add_flags(self, uids: list[int], flags: Sequence[str | bytes], doing: str) -> None:
        with self.errors(doing):
            self._require_client().add_flags(uids, list(flags), silent=True)

    def remove_flags(self, uids: list[int], flags: Sequence[str | bytes], doing: str) -> None:
        with self.errors(doing):
            self._require_client().remove_flags(uids, list(flags), silent=True)

    def folder_exists(self, folder: str) -> bool:
        """Whether ``folder`` exists (reading a folder must not create it)."""
        if folder in self._known_folders:
            return True
        with self.errors(f"look for folder {folder!r}"):
            return bool(self._require_client().folder_exists(folder))

    def list_folders(self, pattern: str, doing: str) -> list[str]:
        with self.errors(doing):
            return [name for _flags, _sep, name in self._require_client().list_folders(pattern=pattern)]

    def move(self, uids: list[int], folder: str) -> bool:
        """Move messages of the selected folder (created when missing); False when they were gone
        already (claimed, or taken back after a lease, by another instance) — not an error: whoever has
        them now handles them."""
        client = self._require_client()
        self.ensure_folder(folder)
        try:
            with self.errors(f"move to {folder!r}"):
                if self.has_capability("MOVE"):
                    client.move(uids, folder)
                    return True
                client.copy(uids, folder)
                client.add_flags(uids, [DELETED], silent=True)
                if self.has_capability("UIDPLUS"):
                    client.uid_expunge(uids)
                else:
                    # a plain EXPUNGE would also remove messages others flagged \Deleted; reading skips
                    # \Deleted messages, so leaving it flagged is enough
                    self._log.info("imap_message_left_deleted", uids=uids, reason="server lacks UIDPLUS")
                return True
        except MailboxError as exc:
            if _gone(exc.__cause__):
                self._log.info("imap_claim_lost", uids=uids, folder=folder)
                return False
            raise

    def ensure_folder(self, folder: str) -> None:
        """Create ``folder`` unless it exists (or another client creates it at the same time)."""
        if folder in self._known_folders:
            return
        client = self._require_client()
        with self.errors(f"create folder {folder!r}"):
            if not client.folder_exists(folder):
                try:
                    client.create_folder(folder)
                except IMAPClientError:
                    if not client.folder_exists(folder):  # else: created concurrently, fine
                        raise
                else:
                    self._log.info("imap_folder_created", folder=folder)
                    self._subscribe(client, folder)
        self._known_folders.add(folder)

    def _subscribe(self, client: IMAPClient, folder: str) -> None:
        try:  # so people see it in their mail clients; not needed by us
            client.subscribe_folder(folder)
        except IMAPClientError as exc:
            self._log.debug("imap_subscribe_failed", folder=folder, error=str(exc))

    # -- IDLE (RFC 2177), driven by imap_idle --------------------------------------------------------------

    def idle(self) -> None:
        with self.errors("IDLE"):
            self._require_client().idle()

    def idle_check(self, timeout: float) -> list[tuple]:
        with self.errors("IDLE wait"):
            return list(self._require_client().idle_check(timeout=timeout))

    def idle_done(self) -> None:
        with self.errors("DONE (end IDLE)"):
            self._require_client().idle_done()

    # -- connecting ---------------------------------------------------------------------------------------

    def _tls_context(self) -> ssl.SSLContext:
        cfg = self.config
        try:
            context = ssl.create_default_context(cafile=cfg.tls_ca_file)
        except OSError as exc:
            raise MailboxTLSError(
                f"{self.where}: cannot read tls_ca_file {cfg.tls_ca_file}: {exc.strerror or exc}"
            ) from None
        if not cfg.verify_tls:
            self._log.warning("imap_tls_verification_disabled", host=cfg.host)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _connect(self) -> IMAPClient:
        cfg = self.config
        context = self._tls_context() if cfg.security != "plain" else None
        if cfg.security == "plain" and cfg.host not in LOCAL_HOSTS:
            self._log.warning("imap_plaintext", host=cfg.host, reason="password is sent unencrypted")
        try:
            client = IMAPClient(
                cfg.host,
                port=cfg.port,
                ssl=cfg.security == "tls",
                ssl_context=context,
                timeout=cfg.timeout_seconds,
            )
        except ssl.SSLError as exc:
            raise self._tls_error(exc) from None
        except (OSError, IMAPClientError) as exc:
            raise MailboxConnectError(f"{self.where}: cannot connect: {_reason(exc)}") from None
        if cfg.security == "starttls":
            self._starttls(client, context)
        return client

    def _starttls(self, client: IMAPClient, context: ssl.SSLContext | None) -> None:
        try:
            client.starttls(ssl_context=context)
        except ssl.SSLError as exc:
            _close_quietly(client)
            raise self._tls_error(exc) from None
        except (OSError, IMAPClientError) as exc:
            _close_quietly(client)
            raise MailboxTLSError(f"{self.where}: STARTTLS failed: {_reason(exc)}") from None

    def _tls_error(self, exc: ssl.SSLError) -> MailboxTLSError:
        if isinstance(exc, ssl.SSLCertVerificationError):
            hint = "set tls_ca_file to the CA that signed it" if self.config.verify_tls else ""
            return MailboxTLSError(
                f"{self.where}: TLS certificate verification failed: {exc.verify_message}"
                + (f" ({hint})" if hint else "")
            )
        return MailboxTLSError(f"{self.where}: TLS handshake failed: {_reason(exc)}")

    def _login(self, client: IMAPClient) -> None:
        cfg = self.config
        if cfg.auth == "oauth2":
            self._oauth2_login(client)
            return
        self.auth = "password"
        password = cfg.password.get_secret_value() if cfg.password is not None else ""
        try:
            client.login(cfg.username, password)
        except LoginError as exc:
            reason = str(exc).replace(password, "***") if password else str(exc)
            raise MailboxLoginError(f"{self.where}: login as {cfg.username!r} failed: {reason}") from None
        except (OSError, IMAPClientError) as exc:
            raise MailboxConnectError(f"{self.where}: connection lost at login: {_reason(exc)}") from None

    def _oauth2_login(self, client: IMAPClient) -> None:
        from ingestor.sources.imap_oauth import OAuth2LoginRefused, oauth2_login
        from ingestor.sources.oauth import TokenError

        cfg = self.config
        try:
            mechanism = oauth2_login(client, cfg)
            self.auth = f"oauth2 ({cfg.oauth2.provider if cfg.oauth2 else '?'}, {mechanism})"
        except OAuth2LoginRefused as exc:
            raise MailboxLoginError(f"{self.where}: {exc}") from None
        except TokenError as exc:
            error = MailboxConnectError if exc.transient else MailboxLoginError
            raise error(f"{self.where}: no OAuth2 token for {cfg.username!r}: {exc}") from None
        except (OSError, IMAPClientError) as exc:
            raise MailboxConnectError(f"{self.where}: connection lost at login: {_reason(exc)}") from None

    # -- helpers ------------------------------------------------------------------------------------------

    def _require_client(self) -> IMAPClient:
        if self._client is None:
            raise RuntimeError("ImapMailbox is not open: use it as a context manager")
        return self._client

    @contextmanager
    def errors(self, doing: str) -> Iterator[None]:
        """Turn a server or socket failure into a MailboxError naming the mailbox and ``doing``."""
        try:
            yield
        except (OSError, IMAPClientError) as exc:  # includes socket timeouts and dropped connections
            raise MailboxError(f"{self.where}: {doing} failed: {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    # imapclient says "select failed: <server text>"; the caller already says what failed
    return re.sub(r"^\w+ failed: ", "", str(exc)) or type(exc).__name__


def _gone(exc: BaseException | None) -> bool:
    """The server says the messages no longer exist (another session moved or expunged them)."""
    text = str(exc or "")
    return "EXPUNGEISSUED" in text or "no longer exist" in text


def _close_quietly(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:
        try:
            client.shutdown()
        except Exception as exc:
            log.debug("imap_close_failed", error=str(exc))
