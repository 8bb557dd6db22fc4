"""Emails from an IMAP folder: an ``ImapMailbox`` is one poll's session, opened as a context manager.

It composes the connection (``imap_session.ImapSession``: connect, TLS, login, the commands) and the
claims (``imap_claims.ImapClaims``: which emails this instance works on, and the leases of other
instances' claims), and does what is left to the mailbox itself:
- ``fetch_new`` reads what the claim folder still holds first (an earlier run that was killed, or lost its
  connection, left it there), then claims new emails of the folder in batches and reads those; bodies
  are downloaded in bounded batches, and an email over ``max_message_bytes`` is not downloaded at all;
- ``dispose`` applies a disposition: keywords and \\Seen on the claimed email, then it moves to its final
  folder, or (without a move) back into the folder, marked handled so it is not read again;
- ``release`` puts an email back into the folder untouched (NetBox failed transiently: try later);
- ``list_folder`` and ``move_back`` (``sources.FailedFolder``, for ``ingestor.triage``) read the failed
  folder as ``fetch_new`` reads, and move emails from it back into the folder without the keywords that
  would keep them from being claimed.
Waiting for news (IMAP IDLE) is ``imap_idle``'s, on a connection of its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog
from imapclient import SEEN

from ingestor.disposition import Action, AddKeyword, MarkSeen, Move, format_action, moved_to
from ingestor.sources import FolderEmail, RawMessage
from ingestor.sources.imap_claims import HANDLED_KEYWORD, ImapClaims
from ingestor.sources.imap_session import ImapSession
from ingestor.state import StateStore

if TYPE_CHECKING:  # config imports the parsers; only the type is needed here
    from ingestor.config import MailboxConfig

log = structlog.get_logger(__name__)

# UIDs whose sizes are asked for in one FETCH
SIZE_BATCH = 200
# bodies downloaded in one FETCH: at most this many messages and (unless a single message is larger)
# this many bytes, so a folder full of attachments does not sit in memory at once
BODY_BATCH_MESSAGES = 20
BODY_BATCH_BYTES = 8 * 1024 * 1024


class ImapMailbox:
    """One session on one configured mailbox folder; the config model is all it is built from (with
    the state directory and the name of this instance, which names its claim folder).

    Usage::

        with ImapMailbox(config, StateStore(state_dir), instance_name) as box:
            for message in box.fetch_new():
                ...  # process
                box.dispose(message, config.disposition(outcome))  # or box.release(message)
            box.release_all()  # when stopping early: what is still claimed goes back to the folder
    """

    def __init__(self, config: MailboxConfig, state_store: StateStore, instance_name: str = "localhost"):
        self.config = config
        self.session = ImapSession(config)
        self.claims = ImapClaims(self.session, config, state_store, instance_name)
        self.claim_folder = self.claims.folder
        self._message_count = 0
        self._uidvalidity: int | None = None
        self._claim_below = 0  # UIDNEXT when the session began: emails put back later wait for a new one
        self._log = log.bind(mailbox=config.name)

    # -- session ------------------------------------------------------------------------------------------

    def __enter__(self) -> ImapMailbox:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def open(self) -> None:
        """Connect, log in and select the folder; raises a MailboxError subclass saying what failed."""
        self.session.open()
        try:
            self._select_source()
        except BaseException:
            self.session.close()
            raise
        if not self.has_capability("MOVE"):
            self._log.warning(
                "imap_no_move", reason="claims are not atomic without MOVE: run one instance on this mailbox"
            )

    def close(self) -> None:
        self.session.close()

    @property
    def reconnect_attempts(self) -> int:
        """How often a poll re-opens a dropped connection (a new session each time)."""
        return self.config.reconnect_attempts

    @property
    def uidvalidity(self) -> int | None:
        return self._uidvalidity

    def has_capability(self, name: str) -> bool:
        return self.session.has_capability(name)

    def describe(self) -> str:
        """One line for `check`: where we are connected and how emails are claimed."""
        cfg = self.config
        move = "UID MOVE" if self.has_capability("MOVE") else "COPY+EXPUNGE (not atomic)"
        return (
            f"{cfg.security} {cfg.host}:{cfg.port} as {cfg.username} by {self.session.auth}, folder "
            f"{cfg.folder}: {self._message_count} messages, UIDVALIDITY {self.uidvalidity}, claims into "
            f"{self.claim_folder} by {move}"
        )

    def _select_source(self, *, again: bool = False) -> None:
        """Select the folder at the start of a session and note what the session needs of it."""
        selected = self.session.select(self.config.folder, again=again)
        self._uidvalidity = selected.uidvalidity
        self._claim_below = selected.uidnext or 2**32
        self._message_count = selected.exists
        if selected.read_only:
            self._log.warning("imap_folder_read_only", folder=self.config.folder)
        self._check_keywords_allowed(selected.permanent_flags)

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

    # -- reading ------------------------------------------------------------------------------------------

    def fetch_new(self) -> Iterator[RawMessage]:
        """Claimed messages, in UID order: first those the claim folder still holds, then new ones of the
        folder, claimed ``claim_batch`` at a time. Never sets \\Seen.

        A message over ``max_message_bytes`` is not downloaded: it is yielded with ``error`` set.
        """
        self.session.ensure_folder(self.claim_folder)
        if self.claims.return_expired():
            self._select_source(again=True)  # what came back is below the new UIDNEXT: claimable now
        while True:
            uids = self.claims.take_unread()
            for chunk in _chunks(uids, SIZE_BATCH):
                yield from self._read_chunk(chunk, self.claim_folder)
            if not self.claims.claim_batch(self._claim_below):
                return

    def _read_chunk(self, chunk: list[int], folder: str) -> Iterator[RawMessage]:
        """The messages ``chunk`` of ``folder``, which is selected."""
        sizes = self.session.fetch(chunk, ["RFC822.SIZE"], "FETCH sizes")
        batch: list[int] = []
        batch_bytes = 0
        for uid in chunk:
            size = sizes.get(uid, {}).get(b"RFC822.SIZE")
            if size is None:
                self._log.info("imap_message_gone", uid=uid)  # expunged by someone else meanwhile
                continue
            if size > self.config.max_message_bytes:
                yield from self._fetch_bodies(batch, folder)  # keep UID order
                batch, batch_bytes = [], 0
                yield self._too_large(uid, size, folder)
                continue
            if batch and (len(batch) >= BODY_BATCH_MESSAGES or batch_bytes + size > BODY_BATCH_BYTES):
                yield from self._fetch_bodies(batch, folder)
                batch, batch_bytes = [], 0
            batch.append(uid)
            batch_bytes += size
        yield from self._fetch_bodies(batch, folder)

    def _fetch_bodies(self, uids: list[int], folder: str) -> Iterator[RawMessage]:
        if not uids:
            return
        bodies = self.session.fetch(uids, ["BODY.PEEK[]", "INTERNALDATE"], "FETCH messages")
        for uid in uids:
            data = bodies.get(uid, {}).get(b"BODY[]")
            if data is None:
                self._log.info("imap_message_gone", uid=uid)
                continue
            # INTERNALDATE (when the server received it; imapclient gives naive local time) bounds the stamps
            arrived = bodies[uid].get(b"INTERNALDATE")
            received = arrived.astimezone(UTC) if isinstance(arrived, datetime) else None
            source = self._source(uid, folder)
            yield RawMessage(bytes(data), source, uid=uid, mailbox=self.config.name, received=received)

    def _too_large(self, uid: int, size: int, folder: str) -> RawMessage:
        limit = self.config.max_message_bytes
        self._log.warning("imap_message_too_large", uid=uid, size=size, max_bytes=limit)
        source = self._source(uid, folder)
        return RawMessage(
            data=b"",
            source=source,
            uid=uid,
            mailbox=self.config.name,
            error=f"{source}: message too large ({size} bytes; limit is {limit} bytes)",
        )

    def _source(self, uid: int, folder: str) -> str:
        cfg = self.config
        return f"imap://{cfg.username}@{cfg.host}:{cfg.port}/{folder};UID={uid}"

    # -- disposing ----------------------------------------------------------------------------------------

    def dispose(self, message: RawMessage, actions: Sequence[Action]) -> None:
        """Apply ``actions`` to a claimed message. Without a move it goes back into the folder, marked
        handled; with one it leaves the claim folder for the move's folder."""
        uid = self.claims.uid_of(message)
        self.session.select(self.claim_folder)
        for action in actions:
            if isinstance(action, AddKeyword):
                self.session.add_flags([uid], [action.name], f"STORE keyword {action.name}")
            elif isinstance(action, MarkSeen):
                self.session.add_flags([uid], [SEEN], "STORE \\Seen")
            elif not isinstance(action, Move):
                raise TypeError(f"unknown disposition action {action!r}")
        target = moved_to(actions)
        if target is None:
            target = self.config.folder
            self.session.add_flags([uid], [HANDLED_KEYWORD], f"STORE keyword {HANDLED_KEYWORD}")
        if self.claims.move_out(uid, target):
            self._log.info("imap_message_disposed", uid=uid, actions=[format_action(a) for a in actions])

    def release(self, message: RawMessage) -> None:
        """Put a claimed message back into the folder as it was, to be tried again by a later poll."""
        self.claims.release(message)

    def release_all(self) -> int:
        """Put everything still claimed back into the folder (stopping early); returns how many."""
        return self.claims.release_all()

    # -- the failed folder (sources.FailedFolder) ---------------------------------------------------------

    def list_folder(self, folder: str) -> Iterator[FolderEmail]:
        """The emails in ``folder``, in UID order, read as ``fetch_new`` reads (BODY.PEEK: no \\Seen)."""
        if not self.session.folder_exists(folder):
            return
        uidvalidity = self.session.select(folder).uidvalidity
        uids = sorted(self.session.search(["UNDELETED"], f"SEARCH {folder!r}"))
        for chunk in _chunks(uids, SIZE_BATCH):
            for message in self._read_chunk(chunk, folder):
                yield FolderEmail(f"{uidvalidity}:{message.uid}", message, aliases=(str(message.uid),))

    def move_back(self, folder: str, handles: Sequence[str]) -> list[str]:
        """UID MOVE the emails ``handles`` of ``folder`` into the folder, without the keywords that would
        keep them from being claimed (``ImapClaims.retry_keywords``); they get new UIDs there, above this
        session's UIDNEXT, so the next poll's session claims them. Returns the handles moved."""
        uidvalidity = self.session.select(folder).uidvalidity
        uids = {handle: uid for handle in handles if (uid := _uid_of(handle, uidvalidity)) is not None}
        if not uids:
            return []
        chosen = sorted(uids.values())
        self.session.remove_flags(chosen, self.claims.retry_keywords, "STORE -keywords")
        if not self.session.move(chosen, self.config.folder):
            return []
        self._log.info("imap_messages_moved_back", folder=folder, uids=chosen)
        return list(uids)


def _uid_of(handle: str, uidvalidity: int) -> int | None:
    """The UID a ``FolderEmail.handle`` names in a folder of this UIDVALIDITY; None when it names none."""
    validity, _, uid = handle.partition(":")
    if validity != str(uidvalidity) or not uid.isdigit():
        return None
    return int(uid)


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
