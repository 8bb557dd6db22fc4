"""What the daemon remembers per mailbox between polls, as small JSON files in ``state_dir``.

One file per mailbox (``imap-<name>.json``), so mailboxes polled in parallel never rewrite each other's
state. Writes are atomic (temp file + os.replace). Nothing here is needed for correctness — identity
lives in NetBox, and claimed emails live in the mailbox's claim folder — so a missing or corrupt file
just means starting afresh:
- ``attempts``: emails that failed transiently while NetBox was answering, by the SHA-256 of their bytes,
  with the count and the last error; at ``max_attempts`` such a poison email goes to ``on_failed``;
- ``foreign_claims``: when this instance first saw each email in another instance's claim folder
  (``folder/uidvalidity/uid`` → Unix time), for the claim lease.
A Microsoft Graph mailbox keeps its folder id and the delta link of the last completed round in
``graph-<name>.json`` (lost: the next round reads the whole folder; NetBox recognises what it holds).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

# an attempts entry not touched for this long is forgotten (the email was handled, or deleted by hand)
ATTEMPTS_TTL_SECONDS = 14 * 24 * 3600


@dataclass(frozen=True)
class Attempts:
    count: int
    last_error: str
    updated: float


@dataclass(frozen=True)
class MailboxState:
    attempts: dict[str, Attempts] = field(default_factory=dict)
    foreign_claims: dict[str, float] = field(default_factory=dict)

    def attempt_count(self, key: str) -> int:
        """The counted failed attempts of email ``key`` (0 when none)."""
        entry = self.attempts.get(key)
        return entry.count if entry else 0

    def with_attempts(self, key: str, count: int, error: str, now: float | None = None) -> MailboxState:
        """The state with email ``key`` at ``count`` failed attempts, the last with ``error`` (the count
        is poison.count_attempt's)."""
        attempts = dict(self.attempts)
        attempts[key] = Attempts(count, error, time.time() if now is None else now)
        return replace(self, attempts=attempts)

    def forget(self, key: str) -> MailboxState:
        if key not in self.attempts:
            return self
        return replace(self, attempts={k: v for k, v in self.attempts.items() if k != key})


@dataclass(frozen=True)
class DeltaState:
    folder_id: str | None = None
    delta_link: str | None = None  # opaque URL from Graph; None: the next round reads the whole folder


class StateStore:
    """Per-mailbox state, persisted under ``directory``."""

    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = Path(directory)

    def path_for(self, mailbox: str) -> Path:
        return self.directory / f"imap-{mailbox}.json"

    def load(self, mailbox: str) -> MailboxState:
        """The saved state of ``mailbox``, or a fresh one if there is none usable."""
        path = self.path_for(mailbox)
        try:
            return _decode(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return MailboxState()
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("state_unreadable", mailbox=mailbox, path=str(path), error=str(exc))
            return MailboxState()

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


def _decode(raw: dict) -> MailboxState:
    """Read a state file; keys of older versions (uidvalidity, last_uid) are ignored."""
    now = time.time()
    attempts = {}
    for key, item in (raw.get("attempts") or {}).items():
        entry = Attempts(int(item["count"]), str(item["last_error"]), float(item["updated"]))
        if now - entry.updated < ATTEMPTS_TTL_SECONDS:
            attempts[str(key)] = entry
    claims = {str(key): float(value) for key, value in (raw.get("foreign_claims") or {}).items()}
    return MailboxState(attempts=attempts, foreign_claims=claims)


def _typed(value: object, kind: type):
    # bool is an int in Python; a hand-edited "true" must not pass as a number
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"expected {kind.__name__}, got {value!r}")
    return value
