"""Where each IMAP mailbox left off: folder, UIDVALIDITY and the last UID handled, as small JSON files.

One file per mailbox (``imap-<name>.json`` under the config's ``state_dir``), so mailboxes polled in
parallel never rewrite each other's state. Writes are atomic (temp file + os.replace). A missing or corrupt
file means starting from scratch, which is safe: NetBox-side idempotency (by Message-ID) catches emails
read again.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

import structlog

log = structlog.get_logger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class MailboxState:
    folder: str
    uidvalidity: int | None = None
    last_uid: int = 0


class StateStore:
    """Per-mailbox position in its folder, persisted under ``directory``."""

    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = Path(directory)

    def path_for(self, mailbox: str) -> Path:
        return self.directory / f"imap-{mailbox}.json"

    def load(self, mailbox: str, folder: str) -> MailboxState:
        """The saved state of ``mailbox``, or a fresh one for ``folder`` if there is none usable."""
        path = self.path_for(mailbox)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            state = MailboxState(
                folder=_typed(raw["folder"], str),
                uidvalidity=None if raw["uidvalidity"] is None else _typed(raw["uidvalidity"], int),
                last_uid=_typed(raw["last_uid"], int),
            )
            if state.last_uid < 0:
                raise ValueError("negative last_uid")
        except FileNotFoundError:
            return MailboxState(folder=folder)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("state_unreadable", mailbox=mailbox, path=str(path), error=str(exc))
            return MailboxState(folder=folder)
        return state

    def save(self, mailbox: str, state: MailboxState) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path_for(mailbox)
        text = json.dumps(asdict(state), indent=2, sort_keys=True) + "\n"
        fd, temp = tempfile.mkstemp(dir=self.directory, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


def _typed(value: object, kind: type[T]) -> T:
    # bool is an int in Python; a hand-edited "true" must not pass as a UID
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"expected {kind.__name__}, got {value!r}")
    return value
