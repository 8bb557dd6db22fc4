"""Emails from an IMAP folder: one thin façade over imapclient, opened per poll as a context manager.

Claims make two instances on one mailbox (an HA pair, or a second daemon by mistake) safe: an email is
moved (IMAP ``UID MOVE``, RFC 6851) from the folder into this instance's claim folder
``<claim_prefix><mailbox>@<instance>`` before anything is done with it. The server moves a message once:
the other instance's MOVE of the same UID fails (EXPUNGEISSUED) and it goes on with the next one. So:
- ``fetch_new`` reads what the claim folder still holds first (an earlier run that was killed, or lost its
  connection, left it there), then claims new emails of the folder in batches and reads those;
- ``dispose`` moves an email from the claim folder to its final folder, or applies the keywords and
  moves it back into the folder (marked handled, so it is not read again);
- ``release`` puts an email back into the folder untouched (NetBox failed transiently: try later);
- another instance's claim folder whose emails sit there longer than ``claim_lease_seconds`` (that
  instance died) is emptied back into the folder, where anyone may claim them again.
Nothing depends on the lease for correctness: NetBox writes are idempotent by (Message-ID, digest).
"""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog
from imapclient import DELETED, SEEN, IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from ingestor import metrics
from ingestor.disposition import Action, AddKeyword, MarkSeen, Move, done_keywords, format_action
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


# Marks an email that was handled and left in (moved back into) the folder, whatever the disposition: the
# folder is searched without it, so an email is not claimed again.
HANDLED_KEYWORD = "$NoticesHandled"


class MailboxError(Exception):
    """The mailbox cannot be used right now. The message names the mailbox, never the password."""


class MailboxConnectError(MailboxError):
    """The server cannot be reached, or the connection broke."""


class MailboxTLSError(MailboxConnectError):
    """TLS failed: certificate not trusted, wrong hostname, or TLS not spoken on that port."""


class MailboxLoginError(MailboxError):
    """The server refused the username and password (or the OAuth2 token), or no token could be had."""


def claim_folder_name(prefix: str, mailbox: str, instance: str) -> str:
    """``Processing-noc@host1``: one per (mailbox, instance); ``@`` is in neither name."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", instance).strip("-") or "instance"
    return f"{prefix}{mailbox}@{slug}"


class ImapMailbox:
    """One session on one configured mailbox folder.

    Usage::

        with ImapMailbox(config, StateStore(state_dir), instance_name) as box:
            for message in box.fetch_new():
                ...  # process
                box.dispose(message, config.disposition(outcome))  # or box.release(message)
            box.release_all()  # when stopping early: what is still claimed goes back to the folder
    """

    def __init__(self, config: MailboxConfig, state_store: StateStore, instance_name: str = "localhost"):
        self.config = config
        self._store = state_store
        self._client: IMAPClient | None = None
        self._capabilities: frozenset[bytes] = frozenset()
        self._known_folders: set[str] = set()
        self._message_count = 0
        self._uidvalidity: int | None = None
        self._claim_below = 0  # UIDNEXT when the session began: emails put back later wait for a new one
        self._selected: str | None = None
        self._select_info: dict = {}
        self._handed_out: set[int] = set()  # claim-folder UIDs fetch_new yielded in this session
        self._idling = False
        self._uidvalidity_of: dict[str, int] = {}
        self.claim_folder = claim_folder_name(config.claim_prefix, config.name, instance_name)
        self._auth = "password"  # how the session logged in, for describe()
        # the config model parsed and checked the dispositions when it was loaded
        self._done_keywords = [HANDLED_KEYWORD, *done_keywords(config.dispositions().values())]
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
            self._client = client
            self._select_source()
        except BaseException:
            self._client = None
            _close_quietly(client)
            raise
        if not self.has_capability("MOVE"):
            self._log.warning(
                "imap_no_move", reason="claims are not atomic without MOVE: run one instance on this mailbox"
            )

    def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            _close_quietly(client)

    @property
    def uidvalidity(self) -> int | None:
        return self._uidvalidity

    def has_capability(self, name: str) -> bool:
        return name.upper().encode() in self._capabilities

    def describe(self) -> str:
        """One line for `check`: where we are connected and how emails are claimed."""
        cfg = self.config
        move = "UID MOVE" if self.has_capability("MOVE") else "COPY+EXPUNGE (not atomic)"
        return (
            f"{cfg.security} {cfg.host}:{cfg.port} as {cfg.username} by {self._auth}, folder {cfg.folder}: "
            f"{self._message_count} messages, UIDVALIDITY {self.uidvalidity}, claims into "
            f"{self.claim_folder} by {move}"
        )

    # -- reading ------------------------------------------------------------------------------------------

    def fetch_new(self) -> Iterator[RawMessage]:
        """Claimed messages, in UID order: first those the claim folder still holds, then new ones of the
        folder, claimed ``claim_batch`` at a time. Never sets \\Seen.

        A message over ``max_message_bytes`` is not downloaded: it is yielded with ``error`` set.
        """
        self._ensure_folder(self.claim_folder)
        if self._return_expired_claims():
            self._selected = None
            self._select_source()  # what came back is below the new UIDNEXT: claimable in this session
        while True:
            yield from self._read_claimed()
            if not self._claim_batch():
                return

    def _claim_batch(self) -> bool:
        """Move the next batch of unhandled emails into the claim folder; False when there are none."""
        client = self._select(self.config.folder)
        criteria: list[str] = ["UNDELETED"]
        for keyword in self._done_keywords:
            criteria += ["UNKEYWORD", keyword]
        with self._errors("SEARCH for new messages"):
            uids = sorted(uid for uid in client.search(criteria) if uid < self._claim_below)
        metrics.emails_waiting(self.config.name, len(uids))  # metrics (issue 8)
        if not uids:
            return False
        batch = uids[: self.config.claim_batch]
        self._log.info("imap_claiming", count=len(batch), waiting=len(uids), folder=self.config.folder)
        if not self._move_uids(batch, self.claim_folder):
            self._log.info("imap_claims_taken_by_another", uids=len(batch))
        return True

    def _read_claimed(self) -> Iterator[RawMessage]:
        client = self._select(self.claim_folder)
        with self._errors("SEARCH the claim folder"):
            # what this session handed out already and the caller left in place is not handed out again
            uids = sorted(set(client.search(["UNDELETED"])) - self._handed_out)
        self._handed_out.update(uids)
        for chunk in _chunks(uids, SIZE_BATCH):
            yield from self._read_chunk(chunk)

    def _read_chunk(self, chunk: list[int]) -> Iterator[RawMessage]:
        with self._errors("FETCH sizes"):
            sizes = self._require_client().fetch(chunk, ["RFC822.SIZE"])
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
            bodies = self._require_client().fetch(uids, ["BODY.PEEK[]", "INTERNALDATE"])
        for uid in uids:
            data = bodies.get(uid, {}).get(b"BODY[]")
            if data is None:
                self._log.info("imap_message_gone", uid=uid)
                continue
            # INTERNALDATE (when the server received it; imapclient gives naive local time) bounds the stamps
            arrived = bodies[uid].get(b"INTERNALDATE")
            received = arrived.astimezone(UTC) if isinstance(arrived, datetime) else None
            source = self._source(uid)
            yield RawMessage(bytes(data), source, uid=uid, mailbox=self.config.name, received=received)

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
        return f"imap://{cfg.username}@{cfg.host}:{cfg.port}/{self.claim_folder};UID={uid}"

    # -- waiting for news (IMAP IDLE, RFC 2177) --------------------------------------------------------------

    def wait_for_news(self, timeout: float) -> bool:
        """Block in IDLE for at most ``timeout`` seconds; True when the server announced new mail.

        The session stays in IDLE between calls (``stop_idle`` ends it); the caller re-issues it before
        the server's limit (RFC 2177: at most 29 minutes) by calling ``stop_idle`` now and then.
        """
        client = self._require_client()
        if not self._idling:
            with self._errors("IDLE"):
                client.idle()
            self._idling = True
        started = time.monotonic()
        with self._errors("IDLE wait"):
            responses = client.idle_check(timeout=timeout)
        # imapclient swallows EOF: a closed connection reads as "nothing" returned before the timeout
        closed = not responses and time.monotonic() - started < timeout * 0.9
        if closed or any(_is_eof(r) for r in responses):
            self._idling = False
            raise MailboxConnectError(f"{self._where()}: the server closed the connection during IDLE")
        return any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses)

    def stop_idle(self) -> None:
        if self._idling:
            self._idling = False
            with self._errors("DONE (end IDLE)"):
                self._require_client().idle_done()

    # -- disposing ----------------------------------------------------------------------------------------

    def dispose(self, message: RawMessage, actions: Sequence[Action]) -> None:
        """Apply ``actions`` to a claimed message. Without a move it goes back into the folder, marked
        handled; with one it leaves the claim folder for the move's folder."""
        uid = self._claimed_uid(message)
        client = self._select(self.claim_folder)
        for action in actions:
            if isinstance(action, AddKeyword):
                with self._errors(f"STORE keyword {action.name}"):
                    client.add_flags([uid], [action.name], silent=True)
            elif isinstance(action, MarkSeen):
                with self._errors("STORE \\Seen"):
                    client.add_flags([uid], [SEEN], silent=True)
            elif not isinstance(action, Move):
                raise TypeError(f"unknown disposition action {action!r}")
        moves = [action for action in actions if isinstance(action, Move)]
        if moves:
            target = moves[-1].folder
        else:
            target = self.config.folder
            with self._errors(f"STORE keyword {HANDLED_KEYWORD}"):
                client.add_flags([uid], [HANDLED_KEYWORD], silent=True)
        if self._move_uids([uid], target):
            self._log.info("imap_message_disposed", uid=uid, actions=[format_action(a) for a in actions])

    def release(self, message: RawMessage) -> None:
        """Put a claimed message back into the folder as it was, to be tried again by a later poll."""
        uid = self._claimed_uid(message)
        self._select(self.claim_folder)
        if self._move_uids([uid], self.config.folder):
            self._log.info("imap_message_released", uid=uid)

    def release_all(self) -> int:
        """Put everything still claimed back into the folder (stopping early); returns how many."""
        client = self._select(self.claim_folder)
        with self._errors("SEARCH the claim folder"):
            uids = client.search(["UNDELETED"])
        if uids:
            self._move_uids(sorted(uids), self.config.folder)
            self._log.info("imap_claims_released", count=len(uids))
        return len(uids)

    def _claimed_uid(self, message: RawMessage) -> int:
        if message.uid is None or message.mailbox != self.config.name:
            raise ValueError(f"{message.source} was not fetched from mailbox {self.config.name}")
        return message.uid

    def _move_uids(self, uids: list[int], folder: str) -> bool:
        """Move messages of the selected folder; False when they were gone already (claimed, or taken
        back after a lease, by another instance) — not an error: whoever has them now handles them."""
        client = self._require_client()
        self._ensure_folder(folder)
        try:
            with self._errors(f"move to {folder!r}"):
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

    def _return_expired_claims(self) -> int:
        """Empty other instances' claim folders of this mailbox whose emails outstayed the lease; returns
        how many emails came back into the folder."""
        client = self._require_client()
        pattern = f"{self.config.claim_prefix}{self.config.name}@*"
        with self._errors("LIST claim folders"):
            folders = [name for _flags, _sep, name in client.list_folders(pattern=pattern)]
        state = self._store.load(self.config.name)
        seen: dict[str, float] = {}
        now = time.time()
        returned = 0
        for folder in folders:
            if folder == self.claim_folder:
                continue
            expired = self._expired_claims(folder, state, seen, now)
            if expired and self._move_uids(expired, self.config.folder):
                self._log.warning("imap_claims_taken_back", folder=folder, count=len(expired))
                returned += len(expired)
        if seen != state.foreign_claims:
            self._store.save(self.config.name, replace(state, foreign_claims=seen))
        return returned

    def _expired_claims(
        self, folder: str, state: MailboxState, seen: dict[str, float], now: float
    ) -> list[int]:
        client = self._select(folder)
        with self._errors(f"SEARCH {folder!r}"):
            uids = client.search(["UNDELETED"])
        expired = []
        for uid in uids:
            key = f"{folder}/{self._uidvalidity_of[folder]}/{uid}"
            seen[key] = state.foreign_claims.get(key, now)
            if now - seen[key] >= self.config.claim_lease_seconds:
                expired.append(uid)
                del seen[key]
        return sorted(expired)

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

    def _select(self, folder: str) -> IMAPClient:
        """Select ``folder`` (read-write) unless it is selected already."""
        client = self._require_client()
        if self._selected != folder:
            self._selected = None
            with self._errors(f"SELECT {folder!r}"):
                info = client.select_folder(folder)
            self._selected = folder
            self._uidvalidity_of[folder] = int(info[b"UIDVALIDITY"])
            self._select_info = info
        return client

    def _select_source(self) -> None:
        """Select the folder at the start of a session and note what the session needs of it."""
        self._select(self.config.folder)
        info = self._select_info
        self._uidvalidity = int(info[b"UIDVALIDITY"])
        self._claim_below = int(info.get(b"UIDNEXT") or 0) or 2**32
        self._message_count = int(info.get(b"EXISTS", 0))
        if b"READ-ONLY" in info:
            self._log.warning("imap_folder_read_only", folder=self.config.folder)
        self._check_keywords_allowed(info.get(b"PERMANENTFLAGS", ()))

    def _check_keywords_allowed(self, permanent_flags: Sequence[bytes]) -> None:
        if b"\\*" in permanent_flags:
            return
        keywords = {
            action.name
            for actions in self.config.dispositions().values()
            for action in actions
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


def _is_eof(response: tuple) -> bool:
    """A server shutting down says BYE before it closes the connection."""
    return bool(response) and response[0] == b"BYE"


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
