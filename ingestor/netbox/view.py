"""Read what a batch needs from NetBox in bulk: a few requests per batch, not a few per email.

For the events a batch names: the events by name (one request per kind), then their impacts and
notifications (one request each, both kinds at once) and the journal records of those notifications
(one request) — each paginated and split into several only when a URL would get too long. The result
is one `EventSnapshot` per event that exists, which the pure planner (plan.py) works from.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

import structlog

from .client import NetBoxGateway, ref_id
from .plan import EventKey, EventSnapshot
from .records import JOURNAL_MODEL, NOTIFICATION_TYPE, EmailRecord, content_key, read_journal, read_legacy

EVENT_KINDS = ("maintenance", "outage")
_FIRST_WAIT, _LONGEST_WAIT = 0.25, 2.0
T = TypeVar("T")
log = structlog.get_logger(__name__)


def parse_datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def choice_value(choice) -> str | None:
    """Choice fields come back as {'value': ..., 'label': ...}."""
    return choice.get("value") if isinstance(choice, dict) else choice


def find_events(gateway: NetBoxGateway, keys: Iterable[EventKey]) -> dict[EventKey, list[dict]]:
    """The events named by ``keys`` (one request per kind), each key's rows oldest first."""
    wanted = set(keys)
    found: dict[EventKey, list[dict]] = defaultdict(list)
    for kind in EVENT_KINDS:
        names = sorted({name for k, _pid, name in wanted if k == kind})
        for row in gateway.list(kind, name=names) if names else []:
            key = (kind, ref_id(row["provider"]), row["name"])
            if key in wanted:
                found[key].append(row)
    return {key: sorted(rows, key=lambda row: row["id"]) for key, rows in found.items()}


def event_type_ids(gateway: NetBoxGateway) -> dict[str, int]:
    return {kind: gateway.object_type_id("notices", kind) for kind in EVENT_KINDS}


def read_notifications(
    gateway: NetBoxGateway, events: dict[EventKey, int], known: Collection[int] = ()
) -> dict[EventKey, list[dict]]:
    """The notifications of these events (one request), each with its ``record`` (None when it has
    none); records are read (one more request) only for events with a notification not in ``known``."""
    rows = read_related(gateway, "eventnotification", events)
    # An event's records may sit in a journal entry of another of its notifications (records.py): read
    # for every notification of an event that has one not known.
    unknown = [rows_ for rows_ in rows.values() if any(row["id"] not in known for row in rows_)]
    records = read_records(gateway, [row for rows_ in unknown for row in rows_])
    for rows_ in rows.values():
        for row in rows_:
            row["record"] = records.get(row["id"])
    return rows


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


def read_related(
    gateway: NetBoxGateway, model: str, events: dict[EventKey, int]
) -> dict[EventKey, list[dict]]:
    """Impacts or notifications of several events of either kind, in one request."""
    types = event_type_ids(gateway)
    by_ref = {(types[key[0]], event_id): key for key, event_id in events.items()}
    out: dict[EventKey, list[dict]] = {key: [] for key in events}
    for row in gateway.list(model, event_object_id=sorted({event_id for event_id in events.values()})):
        key = by_ref.get((ref_id(row.get("event_content_type")), row["event_object_id"]))
        if key is not None:
            out[key].append(row)
    return out


def read_snapshots(gateway: NetBoxGateway, records: dict[EventKey, dict]) -> dict[EventKey, EventSnapshot]:
    """Snapshots of existing events: their impacts, notifications and records in three requests."""
    if not records:
        return {}
    ids = {key: row["id"] for key, row in records.items()}
    impacts = read_related(gateway, "impact", ids)
    notifications = read_notifications(gateway, ids)
    circuit_type = gateway.object_type_id("circuits", "circuit")
    return {
        key: snapshot(row, impacts[key], notifications[key], circuit_type) for key, row in records.items()
    }


def snapshot(
    record: dict, impacts: list[dict], notifications: list[dict], circuit_type: int
) -> EventSnapshot:
    """One event as NetBox holds it (``notifications`` carry their ``record``, see read_notifications)."""
    snap = EventSnapshot(
        id=record["id"],
        status=choice_value(record.get("status")),
        start=parse_datetime(record.get("start")),
        end=parse_datetime(record.get("end")),
        estimated_time_to_repair=parse_datetime(record.get("estimated_time_to_repair")),
        summary=record.get("summary") or "",
        original_timezone=record.get("original_timezone") or "",
        impact_text=record.get("impact") or "",
        acknowledged=record.get("acknowledged"),
        impacts={
            imp["target_object_id"]: (imp["id"], choice_value(imp.get("impact")))
            for imp in impacts
            if ref_id(imp.get("target_content_type")) == circuit_type
        },
    )
    for row in sorted(notifications, key=lambda row: row["id"]):
        stored: EmailRecord | None = row.get("record")
        snap.notifications[row["id"]] = stored.identity if stored else None
        if stored is None:
            snap.orphans.setdefault(content_key(row), []).append(row["id"])
            continue
        snap.notified_emails.add(stored.identity)
        snap.stored_notices += stored.parsed_notices(f"notification {row['id']}")
    return snap


def read_until(read: Callable[[], T], pending: Callable[[T], set[int]], limit: float, sleep=time.sleep) -> T:
    """``read()``, and again (0.25 s, doubling to 2 s) while ``pending`` names notifications whose
    record is on its way, for at most ``limit`` seconds (``[netbox] record_wait_seconds``): past that
    they are orphans (their writer died between its notification and its record), and the caller goes
    on with what it read."""
    got, waited, wait = read(), 0.0, _FIRST_WAIT
    while waiting := pending(got):
        if waited + wait > limit:
            log.warning("notification_record_missing", notifications=sorted(waiting), waited=waited)
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

    found: dict[EventKey, list[dict]]
    claims: dict[int, float] = field(default_factory=dict)  # copy id -> its oldest journal entry
    abandoned: set[int] = field(default_factory=set)  # copies that never got a notification

    def winner(self, key: EventKey) -> dict:
        return min(self.found[key], key=lambda row: (self.claims.get(row["id"], math.inf), row["id"]))

    def winners(self) -> dict[EventKey, dict]:
        return {key: self.winner(key) for key in self.found}


def find_copies(
    gateway: NetBoxGateway, keys: Iterable[EventKey], sleep: Callable[[float], None] = time.sleep
) -> Copies:
    """The events named by ``keys``; where one has several copies, each copy's claim: the oldest journal
    entry holding a record of one of its notifications. A writer's entries are created after its event
    was committed, and PostgreSQL hands out ids in time order, so the writer whose claim is newer always
    sees the other copy here. A copy still without notifications or records (its writer between two
    requests) is read again, for at most ``record_wait_seconds``; one that never gets a record ranks
    last, and one that never gets a notification is returned as abandoned. One request when no event
    has a second copy."""
    keys = list(keys)
    found = find_events(gateway, keys)
    if not any(len(rows) > 1 for rows in found.values()):
        return Copies(found)

    def read() -> tuple[dict[EventKey, list[dict]], dict[EventKey, list[dict]]]:
        found = find_events(gateway, keys)
        copies = {(k[0], row["id"], k[2]): row["id"] for k, rows in found.items() if len(rows) > 1
                  for row in rows}  # fmt: skip
        return found, read_notifications(gateway, copies)

    def pending(got: tuple[dict, dict[EventKey, list[dict]]]) -> set[int]:
        """Copies without notifications, and notifications without records."""
        waiting = set()
        for key, rows in got[1].items():
            waiting |= {row["id"] for row in rows if row["record"] is None} if rows else {key[1]}
        return waiting

    found, notes = read_until(read, pending, gateway.config.record_wait_seconds, sleep)
    claims = {
        key[1]: float(min(row["record"].entry or 0 for row in rows if row["record"] is not None))
        for key, rows in notes.items()
        if any(row["record"] is not None for row in rows)
    }
    return Copies(found, claims, {key[1] for key, rows in notes.items() if not rows})
