"""Where emails come from: the one type every source yields and the rest of the pipeline consumes, the
one contract every mailbox source keeps (``MailboxSource``), and what the triage of failed emails uses
of a mailbox (``FailedFolder``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple, Protocol, Self

if TYPE_CHECKING:  # config imports the parsers; only the types are needed here
    from ingestor.config import GraphMailboxConfig, MailboxConfig
    from ingestor.disposition import Action
    from ingestor.sources.graph import GraphMailbox
    from ingestor.sources.imap import ImapMailbox
    from ingestor.state import StateStore


@dataclass(frozen=True)
class RawMessage:
    """One email as read from its source, bytes untouched.

    ``error`` is set instead of ``data`` when the message could not be read (too large, unreadable file):
    the pipeline then fails it with that reason, so it is quarantined and never silently dropped.
    """

    data: bytes
    # human-readable origin: "imap://noc@host:993/INBOX;UID=42", "/path/a.eml", "/path/box.mbox#3", "-"
    source: str
    uid: int | None = None  # IMAP UID, for disposition; None for files
    mailbox: str | None = None  # config name of the mailbox it came from
    error: str | None = None
    # when the source received it (IMAP INTERNALDATE), if it says: bounds the stamps the email may carry
    received: datetime | None = None

    def __repr__(self) -> str:  # never dump a whole email into a log line
        state = f"error={self.error!r}" if self.error else f"{len(self.data)} bytes"
        return f"RawMessage({self.source!r}, {state})"


class MailboxSource(Protocol):
    """What the daemon and ``check`` use of a mailbox, whichever kind serves it (ImapMailbox,
    GraphMailbox). One instance is one session: ``with`` opens and closes it; after a dropped connection
    the caller makes a new one (up to ``reconnect_attempts`` times a poll). What a source raises is a
    ``sources.errors.MailboxError``."""

    @property
    def reconnect_attempts(self) -> int:
        """How often a poll re-opens a dropped connection (0: the source retries per request itself)."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc_info: object) -> None: ...

    def describe(self) -> str:
        """One line for ``check``: where the session is connected and what it found."""
        ...

    def fetch_new(self) -> Iterator[RawMessage]:
        """The emails to work on now, each to be disposed of or released."""
        ...

    def dispose(self, message: RawMessage, actions: Sequence[Action]) -> None:
        """Apply a disposition to an email fetch_new yielded: it is done and not read again."""
        ...

    def release(self, message: RawMessage) -> None:
        """Leave an email to be tried again by a later poll."""
        ...

    def release_all(self) -> int:
        """Leave every email not disposed of to a later poll (stopping early); returns how many."""
        ...


class FolderEmail(NamedTuple):
    """One email of a folder the mailbox disposes into (its failed folder), as ``list_folder`` reads it."""

    # how ``move_back`` addresses it, stable while it stays in that folder: "UIDVALIDITY:UID" (IMAP; a
    # re-created folder has a new UIDVALIDITY, so an old handle names nothing), the message id (Graph)
    handle: str
    message: RawMessage  # its bytes (or ``error``: too large to read), ``source`` names that folder
    aliases: tuple[str, ...] = ()  # shorter names a person may type for it (IMAP: the bare UID)


class FailedFolder(Protocol):
    """What the triage of failed emails (``ingestor.triage``) uses of a mailbox: read a folder the
    mailbox disposes into, and move emails from it back into the folder the mailbox reads, so that the
    next poll fetches them as new. ImapMailbox and GraphMailbox keep it; ``with`` opens a session."""

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc_info: object) -> None: ...

    def list_folder(self, folder: str) -> Iterator[FolderEmail]:
        """The emails in ``folder``, oldest first, read without changing them (nothing when the folder
        does not exist)."""
        ...

    def move_back(self, folder: str, handles: Sequence[str]) -> list[str]:
        """Move the emails of ``folder`` that ``list_folder`` named ``handles`` (in this session) into
        the mailbox's own folder, without the marks that would make the next poll skip them; returns
        the handles moved (one gone meanwhile is not)."""
        ...


def mailbox_source(
    config: MailboxConfig | GraphMailboxConfig, state_store: StateStore, instance_name: str = "localhost"
) -> MailboxSource:
    """The source for one configured mailbox: a GraphMailbox for ``kind = "graph"``, else an ImapMailbox."""
    return _mailbox(config, state_store, instance_name)


def failed_folder(
    config: MailboxConfig | GraphMailboxConfig, state_store: StateStore, instance_name: str = "localhost"
) -> FailedFolder:
    """The same mailbox, as the triage of its failed emails uses it."""
    return _mailbox(config, state_store, instance_name)


def _mailbox(
    config: MailboxConfig | GraphMailboxConfig, state_store: StateStore, instance_name: str
) -> GraphMailbox | ImapMailbox:
    if config.kind == "graph":
        from ingestor.sources.graph import GraphMailbox

        return GraphMailbox(config, state_store)
    from ingestor.sources.imap import ImapMailbox

    return ImapMailbox(config, state_store, instance_name)
