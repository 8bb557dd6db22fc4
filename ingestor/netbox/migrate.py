"""Move the email records of versions before 0.5 out of the notifications' custom fields.

Those versions kept each email's record (Message-ID, body digest, parsed notices) in three custom fields
of its EventNotification. They are still read (records.read_legacy), but while the fields exist the
plugin's event timeline prints their JSON in the entry of every new notification. Deleting the fields
without moving the records would lose them: an event's state is folded from its records, and
notifications without one add nothing to the fold.

``migrate_legacy_records`` writes each such record into a journal entry, the way records are kept now
(one entry per event, on its first migrated notification, records.py), skipping notifications that
have a journal record already; with ``delete_fields`` it then deletes the three custom fields. Running it
again writes nothing more.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import structlog

from .client import NetBoxGateway, required_id
from .records import EmailRecord, journal_entry, read_legacy
from .setup import LEGACY_FIELDS
from .view import read_records
from .write import record_sender

log = structlog.get_logger(__name__)

ENTRIES_PER_REQUEST = 100
MESSAGE = "notices-ingestor: email record moved from the custom fields of an earlier version"


@dataclass
class MigrationReport:
    legacy_fields: list[str] = field(default_factory=list)  # the custom fields found
    notifications: int = 0  # notifications holding a record in them
    moved: int = 0  # records written into journal entries now
    already: int = 0  # records a journal entry held already
    deleted_fields: list[str] = field(default_factory=list)


def migrate_legacy_records(gateway: NetBoxGateway, delete_fields: bool = False) -> MigrationReport:
    """Write every record still kept only in custom fields into journal entries; then, if asked, delete
    those custom fields (only once every record they hold is in a journal entry)."""
    report = MigrationReport()
    fields = gateway.list("extras.custom_fields", name=list(LEGACY_FIELDS))
    report.legacy_fields = sorted(row["name"] for row in fields)
    if not fields:
        return report
    legacy = _legacy_notifications(gateway)
    report.notifications = len(legacy)
    journaled = _journal_records(gateway, legacy)
    report.already = len(journaled)
    pending = {nid: item for nid, item in legacy.items() if nid not in journaled}
    _write_entries(gateway, pending)
    report.moved = len(pending)
    if delete_fields:
        for row in fields:
            gateway.delete("extras.custom_fields", row["id"])
            report.deleted_fields.append(row["name"])
        gateway.forget_legacy_records()
    log.info("legacy_records_migrated", **vars(report))
    return report


def _legacy_notifications(gateway: NetBoxGateway) -> dict[int, tuple[tuple[int, int], EmailRecord]]:
    """Notification id -> (its event reference, the record its custom fields hold)."""
    found = {}
    wanted = "id,event_content_type,event_object_id,custom_fields"
    for row in gateway.list("eventnotification", fields=wanted):
        record = read_legacy(row)
        if record is not None:
            found[row["id"]] = ((required_id(row["event_content_type"]), row["event_object_id"]), record)
    return found


def _journal_records(gateway: NetBoxGateway, legacy: dict) -> set[int]:
    """Those of ``legacy`` a journal entry holds a record of already (a run interrupted before)."""
    rows = [{"id": nid} for nid in legacy]  # without custom fields: only journal entries are read
    return set(read_records(gateway, rows))


def _write_entries(gateway: NetBoxGateway, pending: dict[int, tuple[tuple[int, int], EmailRecord]]) -> None:
    by_event: dict[tuple[int, int], list[tuple[int, EmailRecord]]] = defaultdict(list)
    for nid, (event, record) in sorted(pending.items()):
        by_event[event].append((nid, record))
    entries = [journal_entry(records) for records in by_event.values()]
    send = record_sender(gateway, MESSAGE)
    for start in range(0, len(entries), ENTRIES_PER_REQUEST):
        send(entries[start : start + ENTRIES_PER_REQUEST], False)
