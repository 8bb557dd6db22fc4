"""Emails from an IMAP folder: one thin façade over imapclient, opened per poll as a context manager.

Where the folder was left off lives in the state store (UIDVALIDITY + last UID handled). ``fetch_new``
reads messages with UID above it, without setting \\Seen; ``dispose`` applies the configured actions to one
message and only then advances the last UID. So a run that stops early (NetBox down) simply reads the same
emails again next poll: the NetBox stage is idempotent (Message-ID + body digest).
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

import structlog
from imapclient import DELETED, SEEN, IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from ingestor.disposition import (
    OUTCOMES,
    Action,
    AddKeyword,
    MarkSeen,
    Move,
    actions_for,
    check_dispositions,
    done_keywords,
)
from ingestor.sources import RawMessage
from ingestor.state import MailboxState, StateStore

if TYPE_CHECKING:  # config imports the parsers; only the type is needed here
    from ingestor.config import MailboxConfig

log = structlog.get_logger(__name__)

# UIDs whose sizes are asked for in one FETCH
SIZE_BATCH = 200
# bodies downloaded in one FETCH: at most this many messages and (unless a single message is larger)
# this many bytes, so a folder full of attachments does not sit in memory at once
BODY_BATCH_MESSAGES = 20
BODY_BATCH_BYTES = 8 * 1024 * 1024


class MailboxError(Exception):
    """The mailbox cannot be used right now. The message names the mailbox, never the password."""


class MailboxConnectError(MailboxError):
    """The server cannot be reached, or the connection broke."""


class MailboxTLSError(MailboxConnectError):
    """TLS failed: certificate not trusted, wrong hostname, or TLS not spoken on that port."""


class MailboxLoginError(MailboxError):
    """The server refused the username and password (or the OAuth2 token), or no token could be had."""


class ImapMailbox:
    """One session on one configured mailbox folder.

    Usage::

        with ImapMailbox(config, StateStore(state_dir)) as box:
            for message in box.fetch_new():
                ...  # process; on a transient error stop here, without disposing
                box.dispose(message, actions_for(outcome, config))

    Messages must be disposed of in the order they were fetched: disposing of one records every lower UID
    as handled too.
    """

    def __init__(self, config: MailboxConfig, state_store: StateStore):
        self.config = config
        self._store = state_store
        self._client: IMAPClient | None = None
        self._state = MailboxState(folder=config.folder)
        self._capabilities: frozenset[bytes] = frozenset()
        self._known_folders: set[str] = set()
        self._message_count = 0
        self._auth = "password"  # how the session logged in, for describe()
        check_dispositions(config)  # a bad spec fails here, before any email is read
        self._done_keywords = done_keywords(config)
        self._log = log.bind(mailbox=config.name)

    # -- session ------------------------------------------------------------------------------------------

    def __enter__(self) -> ImapMailbox:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def open(self) -> None:
        """Connect, log in and select the folder; raises a MailboxError subclass saying what failed."""
        client = self._connect()
        try:
            self._login(client)
            # servers announce some capabilities (MOVE, UIDPLUS) only once logged in: ask again
            with self._errors("CAPABILITY"):
                self._capabilities = frozenset(client.capabilities())
            self._select(client)
        except BaseException:
            _close_quietly(client)
            raise
        self._client = client

    def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            _close_quietly(client)

    @property
    def uidvalidity(self) -> int | None:
        return self._state.uidvalidity

    @property
    def last_uid(self) -> int:
        return self._state.last_uid

    def has_capability(self, name: str) -> bool:
        return name.upper().encode() in self._capabilities

    def describe(self) -> str:
        """One line for `check`: where we are connected and where the folder was left off."""
        cfg = self.config
        move = "UID MOVE" if self.has_capability("MOVE") else "COPY+EXPUNGE"
        return (
            f"{cfg.security} {cfg.host}:{cfg.port} as {cfg.username} by {self._auth}, folder {cfg.folder}: "
            f"{self._message_count} messages, UIDVALIDITY {self.uidvalidity}, last UID handled "
            f"{self.last_uid}, moves by {move}"
        )

    # -- reading ------------------------------------------------------------------------------------------

    def fetch_new(self) -> Iterator[RawMessage]:
        """Messages with a UID above the last one handled, in UID order; never sets \\Seen.

        A message over ``max_message_bytes`` is not downloaded: it is yielded with ``error`` set.
        """
        client = self._require_client()
        last_uid = self._state.last_uid
        criteria: list[str] = ["UID", f"{last_uid + 1}:*", "UNDELETED"]
        for keyword in self._done_keywords:
            criteria += ["UNKEYWORD", keyword]
        with self._errors("SEARCH for new messages"):
            # "N:*" always matches the highest UID, even when it is below N: filter
            uids = sorted(uid for uid in client.search(criteria) if uid > last_uid)
        self._log.info("imap_new_messages", count=len(uids), folder=self.config.folder, after_uid=last_uid)

        for chunk in _chunks(uids, SIZE_BATCH):
            with self._errors("FETCH sizes"):
                sizes = client.fetch(chunk, ["RFC822.SIZE"])
            batch: list[int] = []
            batch_bytes = 0
            for uid in chunk:
                size = sizes.get(uid, {}).get(b"RFC822.SIZE")
                if size is None:
                    self._log.info("imap_message_gone", uid=uid)  # expunged by someone else meanwhile
                    continue
                if size > self.config.max_message_bytes:
                    yield from self._fetch_bodies(batch)  # keep UID order
                    batch, batch_bytes = [], 0
                    yield self._too_large(uid, size)
                    continue
                if batch and (len(batch) >= BODY_BATCH_MESSAGES or batch_bytes + size > BODY_BATCH_BYTES):
                    yield from self._fetch_bodies(batch)
                    batch, batch_bytes = [], 0
                batch.append(uid)
                batch_bytes += size
            yield from self._fetch_bodies(batch)

    def _fetch_bodies(self, uids: list[int]) -> Iterator[RawMessage]:
        if not uids:
            return
        with self._errors("FETCH messages"):
            bodies = self._require_client().fetch(uids, ["BODY.PEEK[]"])
        for uid in uids:
            data = bodies.get(uid, {}).get(b"BODY[]")
            if data is None:
                self._log.info("imap_message_gone", uid=uid)
                continue
            yield RawMessage(data=bytes(data), source=self._source(uid), uid=uid, mailbox=self.config.name)

    def _too_large(self, uid: int, size: int) -> RawMessage:
        limit = self.config.max_message_bytes
        self._log.warning("imap_message_too_large", uid=uid, size=size, max_bytes=limit)
        return RawMessage(
            data=b"",
            source=self._source(uid),
            uid=uid,
            mailbox=self.config.name,
            error=f"{self._source(uid)}: message too large ({size} bytes; limit is {limit} bytes)",
        )

    def _source(self, uid: int) -> str:
        cfg = self.config
        return f"imap://{cfg.username}@{cfg.host}:{cfg.port}/{cfg.folder};UID={uid}"

    # -- disposing ----------------------------------------------------------------------------------------

    def dispose(self, message: RawMessage, actions: Sequence[Action]) -> None:
        """Apply ``actions`` to the message, then record its UID as handled (persisted at once)."""
        client = self._require_client()
        if message.uid is None or message.mailbox != self.config.name:
            raise ValueError(f"{message.source} was not fetched from mailbox {self.config.name}")
        uid = message.uid
        for action in actions:
            if isinstance(action, AddKeyword):
                with self._errors(f"STORE keyword {action.name}"):
                    client.add_flags([uid], [action.name], silent=True)
            elif isinstance(action, MarkSeen):
                with self._errors("STORE \\Seen"):
                    client.add_flags([uid], [SEEN], silent=True)
            elif isinstance(action, Move):
                self._move(uid, action.folder)
            else:
                raise TypeError(f"unknown disposition action {action!r}")
        self._mark_handled(uid)
        self._log.info("imap_message_disposed", uid=uid, actions=[_describe(a) for a in actions])

    def _move(self, uid: int, folder: str) -> None:
        client = self._require_client()
        self._ensure_folder(folder)
        with self._errors(f"move to {folder!r}"):
            if self.has_capability("MOVE"):
                client.move([uid], folder)
                return
            client.copy([uid], folder)
            client.add_flags([uid], [DELETED], silent=True)
            if self.has_capability("UIDPLUS"):
                client.uid_expunge([uid])
            else:
                # a plain EXPUNGE would also remove messages others flagged \Deleted; fetch_new skips
                # \Deleted messages, so leaving it flagged is enough
                self._log.info("imap_message_left_deleted", uid=uid, reason="server lacks UIDPLUS")

    def _ensure_folder(self, folder: str) -> None:
        if folder in self._known_folders:
            return
        client = self._require_client()
        with self._errors(f"create folder {folder!r}"):
            if not client.folder_exists(folder):
                try:
                    client.create_folder(folder)
                except IMAPClientError:
                    if not client.folder_exists(folder):  # else: created concurrently, fine
                        raise
                else:
                    self._log.info("imap_folder_created", folder=folder)
                    try:  # so people see it in their mail clients; not needed by us
                        client.subscribe_folder(folder)
                    except IMAPClientError as exc:
                        self._log.debug("imap_subscribe_failed", folder=folder, error=str(exc))
        self._known_folders.add(folder)

    def _mark_handled(self, uid: int) -> None:
        state = replace(self._state, last_uid=max(self._state.last_uid, uid))
        self._store.save(self.config.name, state)
        self._state = state

    # -- connecting ---------------------------------------------------------------------------------------

    def _where(self) -> str:
        cfg = self.config
        return f"mailbox {cfg.name} ({cfg.host}:{cfg.port})"

    def _tls_context(self) -> ssl.SSLContext:
        cfg = self.config
        try:
            context = ssl.create_default_context(cafile=cfg.tls_ca_file)
        except OSError as exc:
            raise MailboxTLSError(
                f"{self._where()}: cannot read tls_ca_file {cfg.tls_ca_file}: {exc.strerror or exc}"
            ) from None
        if not cfg.verify_tls:
            self._log.warning("imap_tls_verification_disabled", host=cfg.host)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _connect(self) -> IMAPClient:
        cfg = self.config
        context = self._tls_context() if cfg.security != "plain" else None
        if cfg.security == "plain" and cfg.host not in ("localhost", "127.0.0.1", "::1"):
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
            raise MailboxConnectError(f"{self._where()}: cannot connect: {_reason(exc)}") from None
        if cfg.security == "starttls":
            try:
                client.starttls(ssl_context=context)
            except ssl.SSLError as exc:
                _close_quietly(client)
                raise self._tls_error(exc) from None
            except (OSError, IMAPClientError) as exc:
                _close_quietly(client)
                raise MailboxTLSError(f"{self._where()}: STARTTLS failed: {_reason(exc)}") from None
        return client

    def _tls_error(self, exc: ssl.SSLError) -> MailboxTLSError:
        if isinstance(exc, ssl.SSLCertVerificationError):
            hint = "set tls_ca_file to the CA that signed it" if self.config.verify_tls else ""
            return MailboxTLSError(
                f"{self._where()}: TLS certificate verification failed: {exc.verify_message}"
                + (f" ({hint})" if hint else "")
            )
        return MailboxTLSError(f"{self._where()}: TLS handshake failed: {_reason(exc)}")

    def _login(self, client: IMAPClient) -> None:
        cfg = self.config
        if cfg.auth == "oauth2":
            self._oauth2_login(client)
            return
        self._auth = "password"
        password = cfg.password.get_secret_value() if cfg.password is not None else ""
        try:
            client.login(cfg.username, password)
        except LoginError as exc:
            reason = str(exc).replace(password, "***") if password else str(exc)
            raise MailboxLoginError(f"{self._where()}: login as {cfg.username!r} failed: {reason}") from None
        except (OSError, IMAPClientError) as exc:
            raise MailboxConnectError(f"{self._where()}: connection lost at login: {_reason(exc)}") from None

    def _oauth2_login(self, client: IMAPClient) -> None:
        from ingestor.sources.imap_oauth import OAuth2LoginRefused, oauth2_login
        from ingestor.sources.oauth import TokenError

        cfg = self.config
        try:
            mechanism = oauth2_login(client, cfg)
            self._auth = f"oauth2 ({cfg.oauth2.provider if cfg.oauth2 else '?'}, {mechanism})"
        except OAuth2LoginRefused as exc:
            raise MailboxLoginError(f"{self._where()}: {exc}") from None
        except TokenError as exc:
            error = MailboxConnectError if exc.transient else MailboxLoginError
            raise error(f"{self._where()}: no OAuth2 token for {cfg.username!r}: {exc}") from None
        except (OSError, IMAPClientError) as exc:
            raise MailboxConnectError(f"{self._where()}: connection lost at login: {_reason(exc)}") from None

    def _select(self, client: IMAPClient) -> None:
        cfg = self.config
        with self._errors(f"SELECT {cfg.folder!r}"):
            info = client.select_folder(cfg.folder)
        uidvalidity = int(info[b"UIDVALIDITY"])
        uidnext = info.get(b"UIDNEXT")
        self._message_count = int(info.get(b"EXISTS", 0))
        if b"READ-ONLY" in info:
            self._log.warning("imap_folder_read_only", folder=cfg.folder)
        self._check_keywords_allowed(info.get(b"PERMANENTFLAGS", ()))

        saved = self._store.load(cfg.name, cfg.folder)
        state = saved
        if saved.folder != cfg.folder:
            self._log.info("imap_folder_changed", old=saved.folder, new=cfg.folder)
            state = MailboxState(cfg.folder, uidvalidity, 0)
        elif saved.uidvalidity != uidvalidity:
            if saved.uidvalidity is not None:
                # UIDs were renumbered: read the folder again; NetBox catches the ones already ingested
                self._log.warning(
                    "imap_uidvalidity_changed", folder=cfg.folder, old=saved.uidvalidity, new=uidvalidity
                )
            state = MailboxState(cfg.folder, uidvalidity, 0)
        elif uidnext is not None and saved.last_uid >= int(uidnext):
            self._log.warning("imap_last_uid_ahead", last_uid=saved.last_uid, uidnext=int(uidnext))
            state = MailboxState(cfg.folder, uidvalidity, 0)
        if state != saved:
            self._store.save(cfg.name, state)
        self._state = state

    def _check_keywords_allowed(self, permanent_flags: Sequence[bytes]) -> None:
        if b"\\*" in permanent_flags:
            return
        keywords = {
            action.name
            for outcome in OUTCOMES
            for action in actions_for(outcome, self.config)
            if isinstance(action, AddKeyword)
        }
        missing = sorted(k for k in keywords if k.encode() not in permanent_flags)
        if missing:
            self._log.warning("imap_keywords_not_permanent", folder=self.config.folder, keywords=missing)

    # -- helpers ------------------------------------------------------------------------------------------

    def _require_client(self) -> IMAPClient:
        if self._client is None:
            raise RuntimeError("ImapMailbox is not open: use it as a context manager")
        return self._client

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except (OSError, IMAPClientError) as exc:  # includes socket timeouts and dropped connections
            raise MailboxError(f"{self._where()}: {doing} failed: {_reason(exc)}") from exc


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _reason(exc: BaseException) -> str:
    # imapclient says "select failed: <server text>"; the caller already says what failed
    return re.sub(r"^\w+ failed: ", "", str(exc)) or type(exc).__name__


def _describe(action: Action) -> str:
    if isinstance(action, Move):
        return f"move:{action.folder}"
    if isinstance(action, AddKeyword):
        return f"keyword:{action.name}"
    return "seen"


def _close_quietly(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:
        try:
            client.shutdown()
        except Exception as exc:
            log.debug("imap_close_failed", error=str(exc))
