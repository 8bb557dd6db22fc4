"""Where an email's identity and parsed notices live in NetBox: a journal entry on its EventNotification.

The plugin's event timeline (notices/timeline_utils.py) lists the changelog of the event itself and of
the objects whose changelog names the event as ``related_object`` — its Impacts and EventNotifications.
Every field of a created notification is shown there, custom fields included, so machine data stored on
the notification would print a JSON blob per email. A JournalEntry has no ``related_object``: one
assigned to a notification is out of the timeline, yet it is read back in one request per batch and is
visible to an admin on the notification's Journal tab.

One entry holds the records of every email a batch added to one event (a backfill often brings several
emails of an event together; NetBox's cost is per object). It is assigned to the first of those
notifications; the others are found with it, since the notifications of an event are always read
together. Its comments are Markdown for people, with one fenced JSON block for us::

    notices-ingestor: parsed from emails `<Message-ID>`, `<Message-ID>`
    ```json
    {"records": [{"notification": 17, "message_id": "...", "email_digest": "...", "notices": [...]}, ...]}
    ```

Entries of the previous version hold one record, for the notification they are assigned to
(``{"message_id": ..., "email_digest": ..., "notices": ...}``), and versions before that kept it in the
notification's custom fields (``ingestor_*``): both are still read, so an upgrade does not make old emails
look new.

A notification whose journal entry was never written (the process died in between) has no identity: it
is an *orphan*. Its content (subject, sender, date, body) still says which email it is, so the writer of
that email adopts it — writes the missing journal entry — instead of adding a second notification.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime

import structlog

from parsers.models import Notice

log = structlog.get_logger(__name__)

JOURNAL_MODEL = "extras.journal_entries"
NOTIFICATION_TYPE = "notices.eventnotification"
# Custom fields of earlier versions, read for compatibility (no longer written).
LEGACY_MESSAGE_ID_FIELD = "ingestor_message_id"
LEGACY_DIGEST_FIELD = "ingestor_email_digest"
LEGACY_NOTICES_FIELD = "ingestor_notices"
_BLOCK = re.compile(r"```json\s*\n(?P<data>.*?)\n```", re.DOTALL)

Identity = tuple[str, str]  # (Message-ID, body digest)
ContentKey = tuple[str, str, str, str]  # (subject, sender, received, sha256 of the body)


@dataclass
class EmailRecord:
    """What NetBox keeps of one email for one event: who it was and what it said."""

    message_id: str
    email_digest: str
    notices: list[dict] = field(default_factory=list)
    # The journal entry it was read from (None: not read from one). Of two writers' records of one email,
    # the one in the older entry wins (settle.py).
    entry: int | None = field(default=None, compare=False)

    @property
    def identity(self) -> Identity:
        return (self.message_id, self.email_digest)

    def parsed_notices(self, where: str) -> list[Notice]:
        """The stored notices; one an operator broke by hand is skipped with a warning, not fatal."""
        out = []
        for item in self.notices:
            try:
                out.append(Notice.model_validate(item))
            except ValueError as exc:
                log.warning("stored_notice_unreadable", where=where, error=str(exc))
        return out


def render(records: list[tuple[int, EmailRecord]]) -> str:
    """The comments of a journal entry holding these (notification id, record) pairs."""
    data = json.dumps(
        {
            "records": [
                {
                    "notification": notification,
                    "message_id": record.message_id,
                    "email_digest": record.email_digest,
                    "notices": record.notices,
                }
                for notification, record in records
            ]
        },
        sort_keys=True,
    )
    emails = ", ".join(f"`{record.message_id}`" for _, record in records)
    plural = "s" if len(records) > 1 else ""
    return f"notices-ingestor: parsed from email{plural} {emails}\n```json\n{data}\n```"


def read_journal(comments: str, assigned_to: int) -> dict[int, EmailRecord]:
    """The records in a journal entry's comments, by notification id; {} for an entry that is not ours."""
    match = _BLOCK.search(comments or "")
    if not match:
        return {}
    try:
        data = json.loads(match.group("data"))
        if "records" not in data:  # the previous version's entry: one record, for its own notification
            return {assigned_to: _record(data)}
        return {int(item["notification"]): _record(item) for item in data["records"]}
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}


def _record(data: dict) -> EmailRecord:
    return EmailRecord(
        str(data["message_id"]), str(data.get("email_digest") or ""), data.get("notices") or []
    )


def read_legacy(notification: dict) -> EmailRecord | None:
    """The record an earlier version stored in the notification's custom fields."""
    custom = notification.get("custom_fields") or {}
    if not custom.get(LEGACY_MESSAGE_ID_FIELD):
        return None
    return EmailRecord(
        custom[LEGACY_MESSAGE_ID_FIELD],
        custom.get(LEGACY_DIGEST_FIELD) or "",
        custom.get(LEGACY_NOTICES_FIELD) or [],
    )


def journal_entry(records: list[tuple[int, EmailRecord]]) -> dict:
    """A journal entry for the records of one event's emails of one batch, on the first notification."""
    return {
        "assigned_object_type": NOTIFICATION_TYPE,
        "assigned_object_id": records[0][0],
        "kind": "info",
        "comments": render(records),
    }


def _instant(value: datetime | str | None) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.isoformat() if value else ""


def content_key(notification: dict) -> ContentKey:
    """What identifies a notification's email without its journal entry (API row or planned fields)."""
    body = (notification.get("email_body") or "").encode()
    return (
        notification.get("subject") or "",
        notification.get("email_from") or "",
        _instant(notification.get("email_received")),
        hashlib.sha256(body).hexdigest(),
    )
