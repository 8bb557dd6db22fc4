"""Where each mailbox left off, as small JSON files: for IMAP the folder, UIDVALIDITY and the last UID
handled; for Microsoft Graph the folder's id and the delta link of the last completed round.

One file per mailbox (``imap-<name>.json`` or ``graph-<name>.json`` under the config's ``state_dir``), so
mailboxes polled in
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


@dataclass(frozen=True)
class DeltaState:
    folder_id: str | None = None
    delta_link: str | None = None  # opaque URL from Graph; None: the next round reads the whole folder


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
        self._write(self.path_for(mailbox), asdict(state))

    def load_delta(self, mailbox: str) -> DeltaState:
        """The saved Graph position of ``mailbox``; an empty one (read everything) if none is usable."""
        path = self.directory / f"graph-{mailbox}.json"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return DeltaState(_typed(raw["folder_id"], str), _typed(raw["delta_link"], str))
        except FileNotFoundError:
            return DeltaState()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("state_unreadable", mailbox=mailbox, path=str(path), error=str(exc))
            return DeltaState()

    def save_delta(self, mailbox: str, state: DeltaState) -> None:
        self._write(self.directory / f"graph-{mailbox}.json", asdict(state))

    def _write(self, path: Path, data: dict) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
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
