"""What the daemon remembers between polls, as small JSON files in ``state_dir``.

Each file is ``<kind>-<mailbox>.json`` and has one owner, the module that reads and writes it, so
mailboxes polled in parallel, and the parts of one poll, never rewrite each other's state:
- ``attempts-<name>.json`` (this module, written by the daemon; every kind of mailbox): emails that
  failed transiently while NetBox was answering, by the SHA-256 of their bytes, with the count and the
  last error; at ``max_attempts`` such a poison email goes to ``on_failed``;
- ``leases-<name>.json`` (``sources.imap_claims``; IMAP): when this instance first saw each email in
  another instance's claim folder, for the claim lease;
- ``graph-<name>.json`` (``sources.graph``; Microsoft Graph): the folder id and the delta link of the
  last completed round;
- ``failed-<name>.json`` (``triage``, written by the daemon and by ``retry``; every kind of mailbox):
  why each email in the failed folder failed, and when. Two processes write it, so they do under
  ``locked`` (an exclusive lock on ``.failed-<name>.lock`` beside it).
Versions before kept attempts and lease timers together in ``imap-<name>.json`` (for Graph mailboxes
too); that file is read while the new one is absent, so an upgrade keeps both, and may be deleted once
the new files exist. Writes are atomic (temp file + os.replace). Nothing here is needed for
correctness — identity lives in NetBox, and claimed emails live in the mailbox's claim folder — so a
missing or corrupt file just means starting afresh.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import structlog

log = structlog.get_logger(__name__)

# an attempts entry not touched for this long is forgotten (the email was handled, or deleted by hand)
ATTEMPTS_TTL_SECONDS = 14 * 24 * 3600

T = TypeVar("T")


@dataclass(frozen=True)
class StateFile:
    """One kind of state file: ``<kind>-<mailbox>.json``, or, while that is absent, the file an earlier
    version kept the same data in (``<legacy>-<mailbox>.json``)."""

    kind: str
    legacy: str | None = None

    def names(self, mailbox: str) -> list[str]:
        """The file names to read, newest first."""
        kinds = [self.kind] + ([self.legacy] if self.legacy else [])
        return [f"{kind}-{mailbox}.json" for kind in kinds]


# the file of versions before the split: attempts and lease timers of one mailbox, whatever its kind
LEGACY_KIND = "imap"
ATTEMPTS_FILE = StateFile("attempts", legacy=LEGACY_KIND)


@dataclass(frozen=True)
class Attempts:
    count: int
    last_error: str
    updated: float


@dataclass(frozen=True)
class MailboxState:
    """The daemon's memory of one mailbox: the attempt counts of the emails that keep failing."""

    attempts: dict[str, Attempts] = field(default_factory=dict)

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


class StateStore:
    """The state directory: reads and writes the files its owners describe with a ``StateFile``.

    ``load``/``save`` are the attempt counts (``attempts-<name>.json``), which this module owns.
    """

    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = Path(directory)

    def path_for(self, mailbox: str, file: StateFile = ATTEMPTS_FILE) -> Path:
        """Where ``file`` of ``mailbox`` is written."""
        return self.directory / file.names(mailbox)[0]

    def load(self, mailbox: str) -> MailboxState:
        """The saved attempt counts of ``mailbox``, or a fresh state if there are none usable."""
        return self.read(ATTEMPTS_FILE, mailbox, _decode_attempts, MailboxState())

    def save(self, mailbox: str, state: MailboxState) -> None:
        self.write(ATTEMPTS_FILE, mailbox, asdict(state))

    def read(self, file: StateFile, mailbox: str, decode: Callable[[Any], T], fresh: T) -> T:
        """``decode`` of the JSON in ``file`` (the legacy name when the new one is absent); ``fresh``
        when neither exists or the content is unusable (logged: starting afresh is safe)."""
        for name in file.names(mailbox):
            path = self.directory / name
            try:
                return decode(json.loads(path.read_text(encoding="utf-8")))
            except FileNotFoundError:
                continue
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                log.warning("state_unreadable", mailbox=mailbox, path=str(path), error=str(exc))
                return fresh
        return fresh

    @contextmanager
    def locked(self, file: StateFile, mailbox: str) -> Iterator[None]:
        """Hold the exclusive lock of ``file`` of ``mailbox`` (for a read-modify-write by a file more
        than one process writes); waits while another process holds it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / f".{file.kind}-{mailbox}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def write(self, file: StateFile, mailbox: str, data: dict) -> None:
        """Replace ``file`` of ``mailbox`` atomically with ``data``."""
        path = self.path_for(mailbox, file)
        self.directory.mkdir(parents=True, exist_ok=True)
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
        fd, temp = tempfile.mkstemp(dir=self.directory, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


def _decode_attempts(raw: dict) -> MailboxState:
    """Read an attempts file (or a legacy file: its other keys, lease timers or the UID bookkeeping of
    older versions, are ignored); entries older than the TTL are dropped."""
    now = time.time()
    attempts = {}
    for key, item in (raw.get("attempts") or {}).items():
        entry = Attempts(int(item["count"]), str(item["last_error"]), float(item["updated"]))
        if now - entry.updated < ATTEMPTS_TTL_SECONDS:
            attempts[str(key)] = entry
    return MailboxState(attempts=attempts)


def typed(value: object, kind: type[T]) -> T:
    """``value`` if it is a ``kind``, else TypeError (the file is unusable). bool is an int in Python: a
    hand-edited ``true`` must not pass as a number."""
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"expected {kind.__name__}, got {value!r}")
    return value
