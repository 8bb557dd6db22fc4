"""Where emails come from: the one type every source yields and the rest of the pipeline consumes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


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


def mailbox_source(config: Any, state_store: Any, instance_name: str = "localhost") -> Any:
    """The source for one configured mailbox: a GraphMailbox for ``kind = "graph"``, else an ImapMailbox.

    Both are context managers with ``fetch_new()``, ``dispose(message, actions)``, ``release(message)``,
    ``release_all()`` and ``describe()``.
    """
    if getattr(config, "kind", "imap") == "graph":
        from ingestor.sources.graph import GraphMailbox

        return GraphMailbox(config, state_store)
    from ingestor.sources.imap import ImapMailbox

    return ImapMailbox(config, state_store, instance_name)
