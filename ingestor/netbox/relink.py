"""Late circuit links: a circuit an email named before NetBox had it gets its impact as soon as NetBox has
it — at each poll (the daemon) and with ``notices-ingestor relink``.

Which events to look at is kept in NetBox, not in our state: an open event whose notices name circuits
NetBox does not know carries the tag ``notices-unmatched-circuits`` (catalog.UNMATCHED_TAG), which the
writer sets and clears with the event's other writes (write.py, ``_final_update``). So a poll with
nothing unmatched costs one request (the tagged objects), two instances see the same list, and a NOC
finds those events in NetBox by the tag. The tagged events are folded again from their stored notices
with the circuits NetBox knows now (plan.plan_relink): the impacts of circuits added since are written,
before any closing status as always, with a changelog message that says why. A tagged event that is over
(closed, or a maintenance whose window has ended) only loses the tag.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import structlog

from parsers.models import CLOSED_STATUSES

from .catalog import Catalog
from .plan import EventPlan, plan_relink
from .rows import EventKey, EventRow
from .view import event_row, read_snapshots
from .write import BatchWriter

log = structlog.get_logger(__name__)


@dataclass
class RelinkResult:
    """What one relink did: the events looked at, the circuits linked per event, the events that were
    over (their tag removed), and the events NetBox refused (with why)."""

    looked_at: int = 0
    linked: dict[EventKey, list[str]] = field(default_factory=dict)
    over: list[EventKey] = field(default_factory=list)
    failed: dict[EventKey, str] = field(default_factory=dict)


def relink(catalog: Catalog, now: datetime) -> RelinkResult:
    """Match the tagged events' unknown circuits against NetBox again and write what that changes."""
    tagged = catalog.unmatched_events()
    if not tagged:
        return RelinkResult()
    rows = _events(catalog, tagged)
    live = {row.key: row for row in rows if not _over(row, now)}
    snapshots = read_snapshots(catalog, live)
    circuits = catalog.circuit_indexes({key.provider_id for key in snapshots})
    plans = [plan_relink(key, snap, circuits[key.provider_id]) for key, snap in snapshots.items()]
    over = [row for row in rows if row.key not in live]
    plans += [_untag(row) for row in over]
    writer = BatchWriter(catalog)
    writer.write_event_changes(plans)
    result = RelinkResult(looked_at=len(rows), over=[row.key for row in over])
    result.failed = {key: reason for key, (_outcome, reason) in writer.aborted.items()}
    for plan in plans:
        if plan.linked and plan.key not in result.failed:
            result.linked[plan.key] = plan.linked
            log.info("circuits_linked_late", event_name=plan.event_name, kind=plan.kind, circuits=plan.linked)
    return result


def _events(catalog: Catalog, ids: dict[str, list[int]]) -> list[EventRow]:
    """The tagged events, one request per kind that has some."""
    return [
        event_row(kind, row) for kind, wanted in ids.items() for row in catalog.gateway.list(kind, id=wanted)
    ]


def _over(row: EventRow, now: datetime) -> bool:
    """Closed, or a maintenance whose window has ended: its circuits matter no more for planning."""
    if row.status in CLOSED_STATUSES:
        return True
    return row.key.kind == "maintenance" and row.end is not None and row.end < now


def _untag(row: EventRow) -> EventPlan:
    """A plan that only takes the unmatched-circuits tag off an event that is over."""
    return EventPlan(row.key.kind, row.key.name, row.key.provider_id, event_id=row.id, tags_now=row.tags)


__all__ = ["RelinkResult", "relink"]
