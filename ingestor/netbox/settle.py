"""Settling with other writers after a batch's writes: one notification and one record per email.

Two writers of the same email (two instances, a replay beside the daemon, two replays) may both write a
notification and a journal record for it. Each writer, after its records are written, reads the
notifications of the events it wrote and keeps its own only where it holds the *first claim* of that
email: the record in the oldest journal entry (lowest id), ties by the lowest notification id. Every
writer computes the same winner, and each removes only what is its own: a losing notification it created
(deleted, after its journal entry is made to hold only what stays), or — for a notification it adopted
(records.py) that another writer recorded first — its redundant record. The email then counts as a
``duplicate`` for the writer that lost.

Why the journal entry's id and not the notification's: NetBox commits a bulk create at the end of its
request, so a notification with a lower id can become visible after a writer holding a higher one has
already looked. A writer's journal entries are created only after its notifications are committed, and
PostgreSQL hands out ids in time order, so the writer whose entry is newer always finds the other's
notification when it reads. It may find it still without its record — the other writer between its
notifications and its journal entry — and then waits for that record (``record_wait_seconds``) before it
decides: a notification that reads as ours may be the same email or another that reads the same.

Notices another writer stored meanwhile make the writer fold every stored notice again and write what
differs (``reconcile``): of two concurrent writers the one that reads last has seen both.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from .catalog import Catalog
from .plan import CircuitIndex, EventPlan, NotificationPlan, plan_reconcile
from .records import ContentKey, Identity, content_key
from .rows import EventKey, EventRef, NotificationRow
from .view import find_copies, read_notifications, read_snapshots, read_until
from .write import BatchWriter

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Claim:
    """One writer's record of one email on one notification of an event."""

    notification: int
    identity: Identity
    entry: int  # the journal entry holding the record; 0 for one NetBox held before this batch


@dataclass
class Verdict:
    """What a writer gives up for one event: notifications to delete, records to drop."""

    delete: set[int]  # our notifications of emails another writer recorded first
    drop: set[int]  # our adopted notifications that another writer recorded first (the record goes)

    @property
    def lost(self) -> set[int]:
        return self.delete | self.drop


def first_claims(claims: list[Claim]) -> dict[Identity, Claim]:
    """Each email's winning claim: the oldest journal entry, then the lowest notification id."""
    first: dict[Identity, Claim] = {}
    for claim in sorted(claims, key=lambda c: (c.entry, c.notification)):
        first.setdefault(claim.identity, claim)
    return first


def verdict(ours: list[Claim], theirs: list[Claim]) -> Verdict:
    """Pure: which of ``ours`` lose to a claim of the same email (``theirs``: every other claim read)."""
    first = first_claims(ours + theirs)
    out = Verdict(set(), set())
    for claim in ours:
        winner = first[claim.identity]
        if winner == claim:
            continue
        (out.drop if winner.notification == claim.notification else out.delete).add(claim.notification)
    return out


@dataclass
class Settler:
    """Step 4 of the sink for one round's plans (see the module docstring)."""

    catalog: Catalog
    writer: BatchWriter
    known: dict[int, Identity]  # notification -> email, as our read and our writes know them
    circuits: dict[int, CircuitIndex]

    def settle(self, plans: list[EventPlan]) -> None:
        self.writer.check_races(plans, late=True)  # a copy whose create committed after our first check
        live = self.writer.live(plans)
        events = {p.key: ref for p in live if p.notifications and (ref := p.ref) is not None}
        written = [p for p in live if p.key in events]
        if not written:
            return
        rows = self._await_records(events, written)
        stale = [p for p in written if self._settle_event(p, rows.get(p.key, []))]
        if stale:
            self._reconcile(stale)

    # -- reading, and waiting for records that are on their way --------------------------------------------
    def _read(self, events: dict[EventKey, EventRef]) -> dict[EventKey, list[NotificationRow]]:
        """The events' notifications, each with its ``record``; records are read only for events with a
        notification we do not know (usually none: no request). A notification our read saw without
        its record is not known: another writer may have written it since."""
        return read_notifications(self.catalog, events, known=self.known.keys())

    def _await_records(
        self, events: dict[EventKey, EventRef], plans: list[EventPlan]
    ) -> dict[EventKey, list[NotificationRow]]:
        """Read the notifications; while one that reads as ours has no record yet, read again."""
        ours = {p.key: {content_key(n.fields) for n in _written(p)} for p in plans}
        return read_until(
            lambda: self._read(events),
            lambda rows: self._pending(rows, ours),
            self.catalog.gateway.config.record_wait_seconds,
            self.writer.sleep,
            "settling",
        )

    def _pending(
        self, rows: dict[EventKey, list[NotificationRow]], ours: dict[EventKey, set[ContentKey]]
    ) -> set[int]:
        return {
            row.id
            for key, rows_ in rows.items()
            for row in rows_
            if row.id not in self.known and row.record is None and row.content in ours[key]
        }

    # -- deciding, per event -------------------------------------------------------------------------------
    def _settle_event(self, plan: EventPlan, rows: list[NotificationRow]) -> bool:
        """Give up what another writer recorded first; True when others stored notices we did not fold."""
        entry = plan.journal[0] if plan.journal else 0
        ours = {
            nid: Claim(nid, n.record.identity, entry) for n in _written(plan) if (nid := n.id) is not None
        }
        theirs = [claim for row in rows if (claim := self._claim(row, ours)) is not None]
        lost = verdict(list(ours.values()), theirs)
        if lost.lost:
            self._give_up(plan, lost, first_claims(list(ours.values()) + theirs))
        stored = {claim.identity for claim in theirs}
        return bool(stored - plan.known_emails - {claim.identity for claim in ours.values()})

    def _claim(self, row: NotificationRow, ours: dict[int, Claim]) -> Claim | None:
        """Another writer's claim in ``row``: the record read now, else the one our read knew (older than
        anything of ours). On a notification of ours, only a record in another journal entry counts (a
        writer that adopted ours, or whose orphan we adopted)."""
        record = row.record
        mine = ours.get(row.id)
        if mine is not None:
            if record is None or not record.entry or record.entry == mine.entry:
                return None
            return Claim(row.id, record.identity, record.entry)
        if record is not None:
            return Claim(row.id, record.identity, record.entry or 0)
        identity = self.known.get(row.id)
        return None if identity is None else Claim(row.id, identity, 0)

    def _give_up(self, plan: EventPlan, lost: Verdict, first: dict[Identity, Claim]) -> None:
        """Our journal entry first holds only what stays, then our losing notifications are deleted."""
        keep = [n for n in _written(plan) if n.id not in lost.lost]
        self.writer.keep_records(plan, keep, gone=lost.delete)
        for notification in _written(plan):
            if notification.id not in lost.lost:
                continue
            notification.superseded = True
            winner = first[notification.record.identity].notification
            log.info("notification_race_lost", event_id=plan.event_id, ours=notification.id, winner=winner,
                     deleted=notification.id in lost.delete)  # fmt: skip
            if notification.id in lost.delete:
                self.writer.delete("eventnotification", notification.id)

    def _reconcile(self, stale: list[EventPlan]) -> None:
        """Re-fold every notice NetBox now holds for these events and write what differs.

        The emails' own writes are stored by now: a re-fold NetBox refuses is logged and does not fail
        them (the next email about the event is planned from every stored notice again)."""
        events = find_copies(self.catalog, [p.key for p in stale], self.writer.sleep).winners()
        snapshots = read_snapshots(self.catalog, events)
        again = []
        for plan in stale:
            snapshot = snapshots.get(plan.key)
            fixed = plan_reconcile(snapshot, self.circuits[plan.provider_id], plan) if snapshot else None
            if fixed is not None:
                log.info("event_reconciled", event_id=plan.event_id, changes=fixed.changes)
                fixed.changes.insert(0, "re-folded with notices stored meanwhile by another writer")
                again.append(fixed)
        refold = BatchWriter(self.catalog)
        refold.write_event_changes(again)
        for key, (outcome, reason) in refold.aborted.items():
            log.warning("event_refold_failed", event_key=list(key), outcome=str(outcome), error=reason)


def _written(plan: EventPlan) -> list[NotificationPlan]:
    return [n for n in plan.notifications if n.id is not None]
