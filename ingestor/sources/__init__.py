"""Where emails come from: the one type every source yields and the rest of the pipeline consumes, and
the one contract every mailbox source keeps (``MailboxSource``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, Self

if TYPE_CHECKING:  # config imports the parsers; only the types are needed here
    from ingestor.config import GraphMailboxConfig, MailboxConfig
    from ingestor.disposition import Action
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


def mailbox_source(
    config: MailboxConfig | GraphMailboxConfig, state_store: StateStore, instance_name: str = "localhost"
) -> MailboxSource:
    """The source for one configured mailbox: a GraphMailbox for ``kind = "graph"``, else an ImapMailbox."""
    if config.kind == "graph":
        from ingestor.sources.graph import GraphMailbox

        return GraphMailbox(config, state_store)
    from ingestor.sources.imap import ImapMailbox

    return ImapMailbox(config, state_store, instance_name)
