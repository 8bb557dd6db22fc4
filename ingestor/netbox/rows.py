"""The typed values that cross the NetBox package's modules: what the sink takes, how an event is named,
and NetBox's rows as the read parses them (view.py) — once, so that no module past the read reads a key
of NetBox's JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from parsers.models import EmailMeta, Notice

from .records import ContentKey, EmailRecord

EVENT_KINDS = ("maintenance", "outage")


class EventKey(NamedTuple):
    """An event as the batch names it: one per (kind, NetBox provider, event name), whatever its id."""

    kind: str
    provider_id: int
    name: str


class EventRef(NamedTuple):
    """An event as NetBox's related objects point at it (impacts, notifications): its kind and its id."""

    kind: str
    id: int


@dataclass
class SinkEmail:
    """A parsed email, as the sink takes it, or its share of one event (the notices about that event):
    ``key`` is unique within the batch."""

    key: int
    email: EmailMeta
    notices: list[Notice]


class EventTags(NamedTuple):
    """An event's tags as the read finds them: their ids (ours, an admin's: a PATCH replaces the whole
    list) and the id of the unmatched-circuits tag when the event carries it (catalog.UNMATCHED_TAG)."""

    ids: tuple[int, ...] = ()
    unmatched: int | None = None


@dataclass
class EventRow:
    """One event (one copy of it: two writers may create one event at once) as NetBox's listing holds it."""

    id: int
    key: EventKey
    status: str | None
    start: datetime | None = None
    end: datetime | None = None
    estimated_time_to_repair: datetime | None = None
    summary: str = ""
    original_timezone: str = ""
    impact_text: str = ""
    acknowledged: bool | None = None
    tags: EventTags = EventTags()


@dataclass
class ImpactRow:
    """One impact of an event on an object (a circuit, when ``target_type`` is the circuit type)."""

    id: int
    event: EventRef
    target_type: int | None
    target_id: int
    level: str | None


@dataclass
class NotificationRow:
    """One EventNotification of an event, with its email's record (None: it has none, an *orphan*)."""

    id: int
    event: EventRef
    content: ContentKey  # what identifies its email without the record (records.content_key)
    record: EmailRecord | None = field(default=None)


__all__ = [
    "EVENT_KINDS",
    "EventKey",
    "EventRef",
    "EventRow",
    "EventTags",
    "ImpactRow",
    "NotificationRow",
    "SinkEmail",
]
