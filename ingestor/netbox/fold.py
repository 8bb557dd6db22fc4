"""Fold every notice of one event into the state NetBox should hold — pure, order-independent.

Notices are ordered by (stamp, sequence, lifecycle rank); each field takes its value from the newest
notice that states it, so a NO-CHANGE notice keeps the status, an outage's ETR survives a resolution
email that does not repeat it, and an older notice arriving late fills only what no newer one stated.
Impacts are the union of every circuit any notice named, at the level of the newest notice naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from parsers.models import CLOSED_STATUSES, Notice

FOLDED_FIELDS = ("status", "start", "end", "estimated_time_to_repair", "summary", "original_timezone")

# Status used when no notice of the event ever stated one.
DEFAULT_STATUS = {"maintenance": "UNKNOWN", "outage": "REPORTED"}
# An open status to hold while impacts are written to an event whose status must end closed.
PROVISIONAL_STATUS = {"maintenance": "CONFIRMED", "outage": "INVESTIGATING"}


@dataclass
class EventTarget:
    kind: str
    provider: str
    event_id: str
    status: str
    start: datetime | None
    end: datetime | None
    estimated_time_to_repair: datetime | None
    summary: str | None
    original_timezone: str | None
    first_reported: datetime
    circuits: dict[str, str] = field(default_factory=dict)  # circuit id as written -> impact level
    newest_open_status: str | None = None
    notes: list[str] = field(default_factory=list)  # derived values worth a changelog line

    @property
    def closed(self) -> bool:
        return self.status in CLOSED_STATUSES


def fold(notices: list[Notice]) -> EventTarget:
    if not notices:
        raise ValueError("fold needs at least one notice")
    ordered = sorted(notices, key=Notice.order_key)
    first = ordered[0]
    values: dict[str, Any] = dict.fromkeys(FOLDED_FIELDS)  # each as the newest notice stating it says
    circuits: dict[str, str] = {}
    newest_open = None
    for notice in ordered:
        for name in FOLDED_FIELDS:
            value = getattr(notice, name)
            if value not in (None, ""):
                values[name] = value
        for circuit in notice.circuits:
            circuits[circuit.circuit_id] = circuit.impact
        if notice.status and notice.status not in CLOSED_STATUSES:
            newest_open = notice.status
    target = EventTarget(
        kind=first.kind,
        provider=first.provider,
        event_id=first.event_id,
        status=values["status"] or DEFAULT_STATUS[first.kind],
        start=values["start"],
        end=values["end"],
        estimated_time_to_repair=values["estimated_time_to_repair"],
        summary=values["summary"],
        original_timezone=values["original_timezone"],
        first_reported=first.stamp,
        circuits=circuits,
        newest_open_status=newest_open,
    )
    if target.kind == "outage" and target.status == "RESOLVED" and target.end is None:
        # The plugin requires an end on a RESOLVED outage: the resolving email's date is the best we know.
        resolving = next(n for n in reversed(ordered) if n.status == "RESOLVED")
        target.end = resolving.stamp
        target.notes.append("end taken from the resolving email's date (no end time stated)")
    return target
