"""The triage of failed emails: why each email in a mailbox's failed folder failed (the reason record),
what ``notices-ingestor failed`` lists and what ``retry`` moves back for the next poll.

Where the reason lives, and why there: the daemon logs it (``email_processed``), but a journal rotates
and is read by grepping; an IMAP keyword cannot hold text, and a message in a mailbox cannot be edited
(a rewritten copy would be another email, with other bytes). So the reason is kept in ``state_dir``, in
``failed-<mailbox>.json``, which this module owns:

- it is written by the daemon (``record_failure``) right *before* it moves a failed email: a crash
  between the two leaves a record of an email that is still to be tried, never an email in the failed
  folder without its reason; a record that cannot be written (disk full) is logged and the email moved
  all the same — the record helps, the email must never wait for it;
- an email is found again by its identity as NetBox keys it (Message-ID + body digest,
  ``parsers.email``), read from its bytes each time: the failed copy gets a new UID (a new message id on
  Graph) when it is moved, and the digest leaves out the header block, which a server may rewrite (Graph
  renders the MIME again); two emails that reuse one Message-ID (providers do) are told apart by it;
- an email without a record (state_dir lost, an email moved there by hand, one too large to read,
  whose reason the source gives again) is listed with "reason not recorded", never left out;
- ``retry`` drops the records of the emails it moved back once they are moved; an email that fails
  again gets a new record. The file keeps at most ``MAX_RECORDS`` (the oldest go first: an email
  deleted by hand from the failed folder leaves its record until then).
Two processes write the file (the daemon, ``retry``), each under ``StateStore.locked``.

No keyword of our own marks the failed copy: the folder already says it failed, and whoever wants a
keyword too says so in ``on_failed`` (``keyword:$NoticesFailed+move:Failed``), which ``retry`` takes off
again.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.message import Message
from typing import TYPE_CHECKING, NamedTuple

import structlog

from ingestor.disposition import moved_to
from ingestor.state import StateFile, StateStore, typed
from parsers.email import body_digest, header_block, header_text, message_id

if TYPE_CHECKING:
    from ingestor.config import AnyMailboxConfig
    from ingestor.sources import FailedFolder, FolderEmail, RawMessage

log = structlog.get_logger(__name__)

FAILURES_FILE = StateFile("failed")
MAX_RECORDS = 5000
NOT_RECORDED = "reason not recorded"


@dataclass(frozen=True)
class FailureRecord:
    """Why an email failed, when, and where the daemon read it (mailbox, folder and UID or id)."""

    reason: str
    failed_at: float  # Unix time
    source: str


class Headers(NamedTuple):
    """What a person recognises an email by; "" where the header is absent or unreadable."""

    date: str
    sender: str
    subject: str
    message_id: str  # as parsers.email reads it: a hash of the bytes when absent


def read_headers(data: bytes) -> Headers:
    """The headers of raw email bytes; never raises (an unreadable header block gives empty fields)."""
    try:
        msg = header_block(data)
        date, sender, subject = (header_text(msg, name) for name in ("Date", "From", "Subject"))
        return Headers(date, sender, subject, message_id(msg, data))
    except Exception:  # noqa: BLE001 - whatever a sender wrote, the email is still listed
        return Headers("", "", "", message_id(Message(), data))


def identity_key(data: bytes, headers: Headers) -> str:
    """The record key of an email: its Message-ID and body digest (a Message-ID holds no whitespace)."""
    return f"{headers.message_id} {body_digest(data)}"


def failed_folder_of(mailbox: AnyMailboxConfig) -> str | None:
    """The folder ``on_failed`` moves emails into; None when it moves none (nothing to triage)."""
    return moved_to(mailbox.on_failed)


# -- the reason records ---------------------------------------------------------------------------------


class FailureRecords:
    """The reason records of one mailbox (``failed-<name>.json``), by identity key."""

    def __init__(self, store: StateStore, mailbox: str):
        self._store, self._mailbox = store, mailbox

    def load(self) -> dict[str, FailureRecord]:
        return self._store.read(FAILURES_FILE, self._mailbox, _decode_records, {})

    def add(self, key: str, record: FailureRecord) -> None:
        """Keep ``record`` for ``key`` (replacing an older one), at most MAX_RECORDS, the newest."""
        with self._store.locked(FAILURES_FILE, self._mailbox):
            records = self.load() | {key: record}
            newest = sorted(records.items(), key=lambda item: item[1].failed_at)[-MAX_RECORDS:]
            self._save(dict(newest))

    def drop(self, keys: Iterable[str]) -> None:
        gone = set(keys)
        if not gone:
            return
        with self._store.locked(FAILURES_FILE, self._mailbox):
            records = self.load()
            if gone & set(records):
                self._save({key: record for key, record in records.items() if key not in gone})

    def _save(self, records: Mapping[str, FailureRecord]) -> None:
        data = {"failures": {key: asdict(record) for key, record in records.items()}}
        self._store.write(FAILURES_FILE, self._mailbox, data)


def _decode_records(raw: dict) -> dict[str, FailureRecord]:
    return {
        str(key): FailureRecord(
            typed(item["reason"], str), float(item["failed_at"]), typed(item["source"], str)
        )
        for key, item in (raw.get("failures") or {}).items()
    }


def record_failure(
    store: StateStore, mailbox: AnyMailboxConfig, message: RawMessage, reason: str, now: float | None = None
) -> None:
    """Keep why ``message`` failed, before the daemon moves it into the failed folder. Nothing when
    ``on_failed`` moves nothing, or the email was not read (too large: the source says so again when
    it is listed). Never raises for the file: the email is moved whether or not its reason is kept."""
    if failed_folder_of(mailbox) is None or message.error is not None:
        return
    record = FailureRecord(reason, time.time() if now is None else now, message.source)
    key = identity_key(message.data, read_headers(message.data))
    try:
        FailureRecords(store, mailbox.name).add(key, record)
    except OSError as exc:
        error = str(exc)
        log.warning("failure_reason_not_recorded", mailbox=mailbox.name, source=message.source, error=error)


# -- listing and retrying -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FailedEmail:
    """One email of a failed folder as ``failed`` shows it, with its reason when one is recorded."""

    mailbox: str
    handle: str  # how ``retry`` names it (FolderEmail.handle)
    headers: Headers
    reason: str | None  # None: not recorded
    failed_at: datetime | None
    key: str  # of its reason record; "" when the email could not be read
    names: tuple[str, ...]  # what ``retry`` accepts for it: the handle and its aliases

    @classmethod
    def of(cls, mailbox: str, item: FolderEmail, records: Mapping[str, FailureRecord]) -> FailedEmail:
        message = item.message
        names = (item.handle, *item.aliases)
        if message.error is not None:  # too large to read: the source's reason is the reason
            headers = Headers("", "", "", "")
            return cls(mailbox, item.handle, headers, message.error, None, "", names)
        headers = read_headers(message.data)
        key = identity_key(message.data, headers)
        record = records.get(key)
        if record is None:
            return cls(mailbox, item.handle, headers, None, None, key, names)
        failed_at = datetime.fromtimestamp(record.failed_at, UTC)
        return cls(mailbox, item.handle, headers, record.reason, failed_at, key, names)

    def as_dict(self) -> dict:
        """One JSON line of ``failed --format json``."""
        return {
            "mailbox": self.mailbox,
            "handle": self.handle,
            "date": self.headers.date,
            "from": self.headers.sender,
            "subject": self.headers.subject,
            "message_id": self.headers.message_id,
            "failed_at": self.failed_at.isoformat(timespec="seconds") if self.failed_at else None,
            "reason": self.reason,
        }

    def as_text(self) -> str:
        """The readable block of ``failed``."""
        when = f"failed {self.failed_at:%Y-%m-%d %H:%M:%S} UTC" if self.failed_at else "failed (time unknown)"
        fields = [
            ("Date", self.headers.date),
            ("From", self.headers.sender),
            ("Subject", self.headers.subject),
            ("Message-ID", self.headers.message_id),
            ("Reason", self.reason or NOT_RECORDED),
        ]
        lines = [f"  {name + ':':<12}{value}" for name, value in fields]
        return "\n".join([f"{self.mailbox} {self.handle}  {when}", *lines])


class UnknownEmails(LookupError):
    """``retry`` was given names that are not emails of the failed folder; nothing was moved."""

    def __init__(self, mailbox: str, folder: str, names: Sequence[str]):
        super().__init__(f"mailbox {mailbox}: no email {', '.join(names)} in folder {folder!r}")
        self.names = list(names)


def list_failed(source: FailedFolder, mailbox: AnyMailboxConfig, store: StateStore) -> Iterator[FailedEmail]:
    """The emails of ``mailbox``'s failed folder (an open session of it), with their reasons;
    nothing when ``on_failed`` moves none."""
    folder = failed_folder_of(mailbox)
    if folder is None:
        return
    records = FailureRecords(store, mailbox.name).load()
    for item in source.list_folder(folder):
        yield FailedEmail.of(mailbox.name, item, records)


class Retried(NamedTuple):
    """What ``retry_failed`` did: the emails moved back, and those chosen but gone meanwhile."""

    moved: list[FailedEmail]
    missed: list[FailedEmail]


def retry_failed(
    source: FailedFolder, mailbox: AnyMailboxConfig, store: StateStore, names: Sequence[str] | None
) -> Retried:
    """Move the emails ``names`` (None: all) of the failed folder back into the folder read, so the
    next poll ingests them; drop their reason records once moved. UnknownEmails, before anything
    moves, when a name is not an email of the folder."""
    folder = failed_folder_of(mailbox)
    if folder is None:
        return Retried([], [])
    listed = list(list_failed(source, mailbox, store))
    chosen = listed if names is None else _chosen(listed, names, mailbox.name, folder)
    moved = set(source.move_back(folder, [email.handle for email in chosen]))
    done = [email for email in chosen if email.handle in moved]
    try:
        FailureRecords(store, mailbox.name).drop(email.key for email in done if email.key)
    except OSError as exc:  # a record left behind names an email that is no longer there: harmless
        log.warning("failure_records_not_dropped", mailbox=mailbox.name, error=str(exc))
    return Retried(done, [email for email in chosen if email.handle not in moved])


def _chosen(listed: list[FailedEmail], names: Sequence[str], mailbox: str, folder: str) -> list[FailedEmail]:
    by_name = {name: email for email in listed for name in email.names}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise UnknownEmails(mailbox, folder, unknown)
    chosen = {by_name[name].handle: by_name[name] for name in names}  # one email named twice moves once
    return list(chosen.values())
