"""Read what a batch needs from NetBox in bulk: a few requests per batch, not a few per email.

For the events a batch names: the events by name (one request per kind), then their impacts and
notifications (one request each, both kinds at once) and the journal records of those notifications
(one request) — each paginated and split into several only when a URL would get too long. The result
is one `EventSnapshot` per event that exists, which the pure planner (plan.py) works from.

NetBox's JSON is parsed here, into the rows of rows.py: nothing past this module reads its keys.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import structlog

from .catalog import UNMATCHED_TAG, Catalog
from .client import NetBoxGateway, ref_id, required_id
from .plan import EventSnapshot
from .records import JOURNAL_MODEL, NOTIFICATION_TYPE, EmailRecord, content_key, read_journal, read_legacy
from .rows import EVENT_KINDS, EventKey, EventRef, EventRow, EventTags, ImpactRow, NotificationRow

_FIRST_WAIT, _LONGEST_WAIT = 0.25, 2.0
T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
log = structlog.get_logger(__name__)


def parse_datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def choice_value(choice: Any) -> str | None:
    """Choice fields come back as {'value': ..., 'label': ...}."""
    return choice.get("value") if isinstance(choice, dict) else choice


def event_row(kind: str, row: dict) -> EventRow:
    """An event of a listing (the fields client.READ_FIELDS asks for)."""
    return EventRow(
        id=row["id"],
        key=EventKey(kind, required_id(row["provider"]), row["name"]),
        status=choice_value(row.get("status")),
        start=parse_datetime(row.get("start")),
        end=parse_datetime(row.get("end")),
        estimated_time_to_repair=parse_datetime(row.get("estimated_time_to_repair")),
        summary=row.get("summary") or "",
        original_timezone=row.get("original_timezone") or "",
        impact_text=row.get("impact") or "",
        acknowledged=row.get("acknowledged"),
        tags=event_tags(row.get("tags") or []),
    )


def event_tags(tags: list[dict]) -> EventTags:
    """An event's nested tags (id, slug, …): their ids, and which of them is the unmatched-circuits tag."""
    unmatched = next((tag["id"] for tag in tags if tag.get("slug") == UNMATCHED_TAG), None)
    return EventTags(tuple(sorted(required_id(tag) for tag in tags)), unmatched)


def find_events(gateway: NetBoxGateway, keys: Iterable[EventKey]) -> dict[EventKey, list[EventRow]]:
    """The events named by ``keys`` (one request per kind), each key's rows oldest first."""
    wanted = set(keys)
    found: dict[EventKey, list[EventRow]] = defaultdict(list)
    for kind in EVENT_KINDS:
        names = sorted({key.name for key in wanted if key.kind == kind})
        for row in gateway.list(kind, name=names) if names else []:
            event = event_row(kind, row)
            if event.key in wanted:
                found[event.key].append(event)
    return {key: sorted(rows, key=lambda row: row.id) for key, rows in found.items()}


def read_notifications(
    catalog: Catalog, events: Mapping[K, EventRef], known: Collection[int] = ()
) -> dict[K, list[NotificationRow]]:
    """The notifications of these events (one request), each with its ``record`` (None when it has
    none); records are read (one more request) only for events with a notification not in ``known``."""
    rows = read_related(catalog, "eventnotification", events)
    # An event's records may sit in a journal entry of another of its notifications (records.py): read
    # for every notification of an event that has one not known.
    unknown = [rows_ for rows_ in rows.values() if any(row["id"] not in known for row in rows_)]
    records = read_records(catalog.gateway, [row for rows_ in unknown for row in rows_])
    return {
        key: [
            NotificationRow(row["id"], events[key], content_key(row), records.get(row["id"])) for row in rows_
        ]
        for key, rows_ in rows.items()
    }


def read_records(gateway: NetBoxGateway, notifications: list[dict]) -> dict[int, EmailRecord]:
    """Each notification's email record: from the journal entries of these notifications (one request;
    pass all of an event's notifications), else legacy custom fields."""
    records = {row["id"]: record for row in notifications if (record := read_legacy(row))}
    ids = [row["id"] for row in notifications if row["id"] not in records]
    wanted = set(ids)
    # in id order: a notification recorded twice (two writers) takes the record of the older entry
    for entry in gateway.list(JOURNAL_MODEL, assigned_object_type=NOTIFICATION_TYPE, assigned_object_id=ids):
        for notification, record in read_journal(
            entry.get("comments") or "", entry["assigned_object_id"]
        ).items():
            if notification in wanted:
                record.entry = entry["id"]
                records.setdefault(notification, record)
    return records


def read_related(catalog: Catalog, model: str, events: Mapping[K, EventRef]) -> dict[K, list[dict]]:
    """Impacts or notifications of several events of either kind, in one request."""
    types = catalog.event_type_ids()
    by_ref: dict[tuple[int | None, int], K] = {(types[ref.kind], ref.id): key for key, ref in events.items()}
    out: dict[K, list[dict]] = {key: [] for key in events}
    for row in catalog.gateway.list(model, event_object_id=sorted({ref.id for ref in events.values()})):
        key = by_ref.get((ref_id(row.get("event_content_type")), row["event_object_id"]))
        if key is not None:
            out[key].append(row)
    return out


def read_impacts(catalog: Catalog, events: Mapping[K, EventRef]) -> dict[K, list[ImpactRow]]:
    """The impacts of these events (one request)."""
    return {
        key: [
            ImpactRow(
                id=row["id"],
                event=events[key],
                target_type=ref_id(row.get("target_content_type")),
                target_id=row["target_object_id"],
                level=choice_value(row.get("impact")),
            )
            for row in rows
        ]
        for key, rows in read_related(catalog, "impact", events).items()
    }


def read_snapshots(catalog: Catalog, records: dict[EventKey, EventRow]) -> dict[EventKey, EventSnapshot]:
    """Snapshots of existing events: their impacts, notifications and records in three requests."""
    if not records:
        return {}
    refs = {key: EventRef(key.kind, row.id) for key, row in records.items()}
    impacts = read_impacts(catalog, refs)
    notifications = read_notifications(catalog, refs)
    circuit_type = catalog.object_type_id("circuits", "circuit")
    return {
        key: snapshot(row, impacts[key], notifications[key], circuit_type) for key, row in records.items()
    }


def snapshot(
    record: EventRow, impacts: list[ImpactRow], notifications: list[NotificationRow], circuit_type: int
) -> EventSnapshot:
    """One event as NetBox holds it (``notifications`` carry their ``record``, see read_notifications)."""
    snap = EventSnapshot(
        id=record.id,
        status=record.status,
        start=record.start,
        end=record.end,
        estimated_time_to_repair=record.estimated_time_to_repair,
        summary=record.summary,
        original_timezone=record.original_timezone,
        impact_text=record.impact_text,
        acknowledged=record.acknowledged,
        tags=record.tags,
        impacts={imp.target_id: (imp.id, imp.level) for imp in impacts if imp.target_type == circuit_type},
    )
    for row in sorted(notifications, key=lambda row: row.id):
        stored = row.record
        snap.notifications[row.id] = stored.identity if stored else None
        if stored is None:
            snap.orphans.setdefault(row.content, []).append(row.id)
            continue
        snap.notified_emails.add(stored.identity)
        snap.stored_notices += stored.parsed_notices(f"notification {row.id}")
    return snap


def read_until(
    read: Callable[[], T],
    pending: Callable[[T], set[int]],
    limit: float,
    sleep: Callable[[float], None] = time.sleep,
    what: str = "",
) -> T:
    """``read()``, and again (0.25 s, doubling to 2 s) while ``pending`` names notifications whose
    record is on its way, for at most ``limit`` seconds (``[netbox] record_wait_seconds``): past that
    they are orphans (their writer died between its notification and its record), and the caller goes
    on with what it read."""
    got, waited, wait = read(), 0.0, _FIRST_WAIT
    while waiting := pending(got):
        if waited + wait > limit:
            log.warning(
                "notification_record_missing", notifications=sorted(waiting), waited=waited, what=what
            )
            break
        sleep(wait)
        waited, wait = waited + wait, min(wait * 2, _LONGEST_WAIT)
        got = read()
    return got


@dataclass
class Copies:
    """The copies of some events (two writers can create one event at the same moment), and which copy
    of each is the event: the copy whose records sit in the oldest journal entry (``claims``), then the
    oldest copy. Every writer, in planning, in its check after the writes and in its re-fold, chooses
    by this one rule, so none writes onto a copy another will remove."""

    found: dict[EventKey, list[EventRow]]
    claims: dict[int, float] = field(default_factory=dict)  # copy id -> its oldest journal entry
    abandoned: set[int] = field(default_factory=set)  # copies that never got a notification

    def winner(self, key: EventKey) -> EventRow:
        return min(self.found[key], key=lambda row: (self.claims.get(row.id, math.inf), row.id))

    def winners(self) -> dict[EventKey, EventRow]:
        return {key: self.winner(key) for key in self.found}


def find_copies(
    catalog: Catalog, keys: Iterable[EventKey], sleep: Callable[[float], None] = time.sleep
) -> Copies:
    """The events named by ``keys``; where one has several copies, each copy's claim: the oldest journal
    entry holding a record of one of its notifications. A writer's entries are created after its event
    was committed, and PostgreSQL hands out ids in time order, so the writer whose claim is newer always
    sees the other copy here. A copy still without notifications or records (its writer between two
    requests) is read again, for at most ``record_wait_seconds``; one that never gets a record ranks
    last, and one that never gets a notification is returned as abandoned. One request when no event
    has a second copy."""
    keys = list(keys)
    found = find_events(catalog.gateway, keys)
    if not any(len(rows) > 1 for rows in found.values()):
        return Copies(found)

    def read() -> tuple[dict[EventKey, list[EventRow]], dict[EventRef, list[NotificationRow]]]:
        found = find_events(catalog.gateway, keys)
        copies = [EventRef(key.kind, row.id) for key, rows in found.items() if len(rows) > 1 for row in rows]
        return found, read_notifications(catalog, {ref: ref for ref in copies})

    def pending(got: tuple[object, dict[EventRef, list[NotificationRow]]]) -> set[int]:
        """Copies without notifications, and notifications without records."""
        waiting = set()
        for copy, rows in got[1].items():
            waiting |= {row.id for row in rows if row.record is None} if rows else {copy.id}
        return waiting

    found, notes = read_until(
        read, pending, catalog.gateway.config.record_wait_seconds, sleep, "event copies"
    )
    claims = {
        copy.id: float(min(row.record.entry or 0 for row in rows if row.record is not None))
        for copy, rows in notes.items()
        if any(row.record is not None for row in rows)
    }
    return Copies(found, claims, {copy.id for copy, rows in notes.items() if not rows})
