"""Send a batch's EventPlans to NetBox in phases, each phase one bulk request per endpoint.

1. create events (one POST per kind, the kinds at once), then reopen closed events that get new impacts;
2. impacts: one POST of every new impact, one PATCH of every changed level;
3. event field changes: one PATCH per kind — impacts are in by now, so closing statuses are safe;
4. notifications (one POST), then their journal records (one POST; one entry per event, records.py) —
   last, so a record's presence means the email's whole effect on that event is in NetBox. A crash
   before it makes the next run redo the (idempotent) writes above and then add it.

NetBox runs a bulk write in one transaction: when it refuses one (4xx), nothing of it was stored, and the
writer splits the request in halves, by event, until the events at fault are isolated: only their emails
fail. A request that keeps failing transiently is split the same way while NetBox answers its status
probe (one poison event must not hold the others back); when NetBox does not answer, NetBoxDown escapes
and the whole batch waits.

A refusal is final only for an event planned on a fresh read: another writer may have changed the event
since we read it (closed it, so the plugin refuses its impacts), so the first refusal of an event makes
the sink plan it again (``refused``) and only a second one fails its emails.

Creates survive lost answers (see NetBoxGateway.create); a re-sent half looks NetBox up first. Two
writers creating one event converge on the oldest event: a writer whose event is not the oldest deletes
its own and plans again (``race_lost``). It checks right after the create and again after its writes:
NetBox commits a bulk create at its end, so an older event of a long request may only show later. Event
creates go a few to a request to keep that window short.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import structlog

from ingestor.halves import isolate
from ingestor.outcome import Outcome

from .catalog import Catalog
from .client import NetBoxGateway, ref_id
from .faults import NetBoxDown, NetBoxRejected, NetBoxUnavailable
from .plan import EventPlan, NotificationPlan
from .records import (
    JOURNAL_MODEL,
    NOTIFICATION_TYPE,
    EmailRecord,
    content_key,
    journal_entry,
    read_journal,
    render,
)
from .rows import EVENT_KINDS, EventKey
from .view import Copies, find_copies, find_events

log = structlog.get_logger(__name__)

MESSAGE_MAX = 200
CHANGE_MODEL = "core.object_changes"
WRITER_MARK = "writer "
CONCURRENT_MIN = 20  # objects per request below which one request is as fast as several
# Events per create request: NetBox commits a bulk create when the whole request is done, and until
# then another writer creating one of its events cannot see it (see check_races).
EVENTS_PER_CREATE = 5


@dataclass
class Item:
    """One object of a bulk request, the event plan it belongs to and what to tell when it is written."""

    plan: EventPlan
    data: dict
    target: Any = None


Send = Callable[[list[dict], bool], list | None]  # (items, re-sent?) -> created rows, or None
Done = Callable[[Item, dict], None]
NetBoxError = NetBoxRejected | NetBoxUnavailable


@dataclass
class Job:
    """Items for one endpoint, how to send them and what to do with each created row."""

    items: list[Item]
    send: Send
    done: Done | None = None
    most: int | None = None  # items per request at most


def changelog_message(plan: EventPlan, what: str, writer: str = "") -> str:
    """``writer`` (an event's create) marks the copy as ours, ahead of what may be cut off."""
    ids = plan.message_ids
    if not ids:  # no email: a late circuit link (relink.py)
        who = "late circuit link"
    elif len(ids) == 1:
        who = f"email {ids[0]}"
    else:
        who = f"emails {', '.join(ids[:2])}" + (f" (+{len(ids) - 2})" if len(ids) > 2 else "")
    return f"{_origin(writer)}: {who}: {what}"[:MESSAGE_MAX]


def _mark(writer: str) -> str:
    """What marks a process's creates in their changelog messages (``NetBoxGateway.writer_id``)."""
    return f"({WRITER_MARK}{writer})"


def _origin(writer: str = "") -> str:
    """Who wrote: notices-ingestor, with the writer's mark on creates a lost answer may need to find."""
    return f"notices-ingestor {_mark(writer)}" if writer else "notices-ingestor"


@dataclass
class BatchWriter:
    catalog: Catalog
    # Events whose refusal is planned again rather than failing their emails (not yet planned on a
    # fresh read after a refusal); by default every refusal is final.
    replannable: Callable[[EventKey], bool] = lambda _key: False
    aborted: dict[EventKey, tuple[Outcome, str]] = field(default_factory=dict)
    race_lost: set[EventKey] = field(default_factory=set)  # planned again in the sink's next round
    refused: set[EventKey] = field(default_factory=set)  # of race_lost: refused once, maybe a race
    created: set[EventKey] = field(default_factory=set)
    deleted: set[EventKey] = field(default_factory=set)  # of created: lost to an older copy, deleted
    sleep: Callable[[float], None] = time.sleep  # waits for another writer's records (view.read_until)
    down: NetBoxDown | None = None  # NetBox did not answer its status probe (_attempt)
    _probing: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def gateway(self) -> NetBoxGateway:
        return self.catalog.gateway

    def live(self, plans: list[EventPlan]) -> list[EventPlan]:
        return [p for p in plans if p.key not in self.aborted and p.key not in self.race_lost]

    def write(self, plans: list[EventPlan]) -> None:
        self.create_events(plans)
        self.write_event_changes(plans)
        self.write_notifications(plans)

    def write_event_changes(self, plans: list[EventPlan]) -> None:
        """Phases 1b-3: reopen, impacts, field changes (also what a reconcile needs)."""
        self._patch_events(
            plans,
            lambda p: {"status": p.reopen_status} if p.reopen_status else {},
            "reopened to record impacts",
        )
        self.write_impacts(plans)
        self._patch_events(plans, self._final_update, None)

    # -- the unmatched-circuits tag (catalog.UNMATCHED_TAG; relink.py) --------------------------------------
    def _extra_tags(self, plan: EventPlan) -> list[int]:
        """Tags of a new event besides ours: the unmatched-circuits tag while it awaits circuits."""
        return [self.catalog.ensure_unmatched_tag()] if plan.awaits_circuits else []

    def _final_update(self, plan: EventPlan) -> dict:
        """The event's field changes, and its tags when it starts or stops awaiting circuits (an admin's
        tags are kept: NetBox replaces the whole list)."""
        now = plan.tags_now
        if now is None or plan.awaits_circuits == (now.unmatched is not None):
            return plan.update
        if plan.awaits_circuits:
            tags = {*now.ids, self.catalog.ensure_unmatched_tag()}
        else:
            tags = set(now.ids) - {now.unmatched}
        return dict(plan.update, tags=sorted(tags))

    # -- sending, and splitting what NetBox refuses -----------------------------------------------------
    def send(self, items: list[Item], send: Send, done: Done | None = None) -> None:
        self.send_all([Job(items, send, done)])

    def send_all(self, jobs: list[Job]) -> None:
        """Send independent jobs (one per event kind, say) at once, each as one request, or as several
        (by event) when it is large: NetBox writes objects one by one inside a request, and its workers
        can write in parallel. At most ``write_concurrency`` requests are in flight; returns when every
        part is answered."""
        parts = [(part, job) for job in jobs for part in self._parts(job.items, job.most)]
        if len(parts) <= 1:
            for part, job in parts:
                self._send(part, job.send, job.done)
            return
        with ThreadPoolExecutor(
            min(len(parts), self.gateway.config.write_concurrency), "netbox-write"
        ) as pool:
            futures = [pool.submit(self._send, part, job.send, job.done) for part, job in parts]
            for future in futures:
                future.result()  # NetBoxDown escapes, as from one request

    def _parts(self, items: list[Item], most: int | None = None) -> list[list[Item]]:
        if not items:
            return []
        if most is not None:
            return [items[i : i + most] for i in range(0, len(items), most)]
        if len(items) < 2 * CONCURRENT_MIN:
            return [items]
        return _by_event(items, self.gateway.config.write_concurrency, CONCURRENT_MIN)

    def _send(self, items: list[Item], send: Send, done: Done | None = None) -> None:
        """One request; when it fails, its events in halves (ingestor.halves), down to those at fault."""
        if not items:
            return
        failure = self._attempt(items, send, done)
        if failure is None:
            return

        def again(keys: Sequence[EventKey]) -> NetBoxError | None:
            wanted = set(keys)
            return self._attempt([i for i in items if i.plan.key in wanted], send, done, resent=True)

        isolate(list(dict.fromkeys(item.plan.key for item in items)), failure, again, self._abort)

    def _attempt(
        self, items: list[Item], send: Send, done: Done | None, resent: bool = False
    ) -> NetBoxError | None:
        """Send ``items`` as one request: None when written, else why not (refused, or failing
        transiently while NetBox answers its status probe). NetBox not answering raises NetBoxDown: not
        one event's problem, the whole batch waits."""
        try:
            rows = send([item.data for item in items], resent)
        except NetBoxRejected as exc:
            return exc
        except NetBoxUnavailable as exc:
            with self._probing:  # decided once: the parts sent beside this one probe no more
                if self.down is None and not self.gateway.answers():
                    self.down = NetBoxDown(str(exc))
            if self.down is not None:
                raise self.down from exc
            return exc
        if done is not None and rows is not None:
            for item, row in zip(items, rows, strict=True):
                done(item, row)
        return None

    def _abort(self, key: EventKey, exc: NetBoxError) -> None:
        """Stop writing one event: plan it again when refused for the first time, else its emails fail
        (refused) or wait (still failing transiently while NetBox answers)."""
        transient = isinstance(exc, NetBoxUnavailable)
        if not transient and self.replannable(key):
            log.info("event_refused_planning_again", event_key=list(key), error=str(exc))
            self.refused.add(key)
            self.race_lost.add(key)
            return
        outcome = Outcome.DEFERRED if transient else Outcome.FAILED
        self.aborted[key] = (outcome, f"NetBox: {exc}")
        log.warning("event_write_failed", event_key=list(key), outcome=outcome.value, error=str(exc))

    # -- phase 1: events ----------------------------------------------------------------------------------
    def create_events(self, plans: list[EventPlan]) -> None:
        """One create request per kind, the kinds at once; then the race check for both."""
        jobs = [
            Job(
                [
                    Item(
                        p, dict(p.create, changelog_message=self._create_message(p), tags=self._extra_tags(p))
                    )
                    for p in self.live(plans)
                    if p.create is not None and p.kind == kind
                ],
                self._create_sender(kind),
                self._event_created,
                most=EVENTS_PER_CREATE,
            )
            for kind in EVENT_KINDS
        ]
        self.send_all(jobs)
        self.check_races([item.plan for job in jobs for item in job.items])

    def _create_message(self, plan: EventPlan) -> str:
        return changelog_message(plan, "; ".join(plan.changes), self.gateway.writer_id)

    def _create_sender(self, kind: str) -> Send:
        def ours(items: list[dict]) -> list[dict]:
            """After a lost answer: the copy of each event that our create made. One copy is taken for ours
            (a writer creating it later sees ours older and removes its own; when another writer's is
            older, check_races makes us plan again); of several, the one whose create carries our mark
            (``writer_id``): two writers' looks-ups must not both take one copy."""
            keys = [EventKey(kind, item["provider"], item["name"]) for item in items]
            found = find_events(self.gateway, keys)
            several = [row.id for rows in found.values() if len(rows) > 1 for row in rows]
            mine = self._created_by_us(kind, several)
            return [
                {"id": row.id, "provider": row.key.provider_id, "name": row.key.name}
                for rows in found.values()
                for row in rows
                if len(rows) == 1 or row.id in mine
            ]

        def send(items: list[dict], resent: bool) -> list:
            return self.gateway.create(
                kind,
                items,
                "",
                key=lambda item: (ref_id(item["provider"]), item["name"]),
                lookup=lambda: ours(items),
                tags=self.catalog.tag_ids(),
                lookup_first=resent,
            )

        return send

    def _created_by_us(self, model: str, ids: list[int]) -> set[int]:
        """Which of these objects of the plugin (events, notifications) our creates made: the changelog
        holds each create's message, with the writer's mark (one request; none for no ids)."""
        if not ids:
            return set()
        changes = self.gateway.list(
            CHANGE_MODEL, changed_object_type=f"notices.{model}", changed_object_id=ids, action="create"
        )
        mark = _mark(self.gateway.writer_id)
        return {row["changed_object_id"] for row in changes if mark in (row.get("message") or "")}

    def _event_created(self, item: Item, row: dict) -> None:
        item.plan.event_id = row["id"]
        self.created.add(item.plan.key)

    def check_races(self, plans: list[EventPlan], late: bool = False) -> None:
        """Another writer may have created the same event at the same moment: one copy wins. The loser
        deletes what it wrote of its event (the plugin deletes an event's impacts with it, not its
        notifications) and plans again on the winner's.

        Run right after the creates (the oldest copy wins), and again after the writes (``late``, the
        sink's settle): a bulk create is committed at the end of its request, so an older copy can show
        up only after our first check — even after our whole batch, when its request was slow. Then the
        copy whose records sit in the oldest journal entry wins (view.find_copies). Every event we
        created and still have is checked, also one whose writes stopped (refused, or failing): a copy
        of ours left beside the winner's would never be cleaned up."""
        created = [p for p in plans if p.key in self.created and p.key not in self.deleted]
        if not created:
            return
        keys = [p.key for p in created]
        if late:
            copies = find_copies(self.catalog, keys, self.sleep)
        else:
            copies = Copies(find_events(self.gateway, keys))
        for plan in created:
            if plan.event_id is None or plan.key not in copies.found:
                continue  # no copy found: ours is the only one
            rows, winner = copies.found[plan.key], copies.winner(plan.key)
            if winner.id != plan.event_id:
                self._lose_event(plan, plan.event_id, winner.id)
                continue
            if len(rows) > 1:  # theirs goes when its writer checks (now, or after its writes)
                log.info("event_race_won", event_name=plan.event_name, ours=plan.event_id,
                         others=[row.id for row in rows if row is not winner])  # fmt: skip
            self._remove_abandoned(plan, [row.id for row in rows if row.id in copies.abandoned])

    def _remove_abandoned(self, plan: EventPlan, copies: list[int]) -> None:
        """Copies that still have no notification after the wait were abandoned: their writer died, or
        took ours for its own after a lost answer (a create's look-up cannot tell two writers' copies
        apart). The winner removes them; a writer still at work on one is refused its next write and
        plans again on a fresh read."""
        for copy in copies:
            log.info("event_copy_abandoned", event_name=plan.event_name, removed=copy, ours=plan.event_id)
            self.delete(plan.kind, copy)

    def _lose_event(self, plan: EventPlan, ours: int, winner: int) -> None:
        written = [n.id for n in plan.notifications if n.id is not None]
        log.info(
            "event_race_lost",
            event_name=plan.event_name,
            ours=ours,
            winner=winner,
            notifications_removed=len(written),
        )
        for notification in written:
            self.delete("eventnotification", notification)
        self.delete(plan.kind, ours)
        self.deleted.add(plan.key)
        self.race_lost.add(plan.key)

    def _patch_events(
        self, plans: list[EventPlan], change: Callable[[EventPlan], dict], what: str | None
    ) -> None:
        """One PATCH per kind, the kinds at once; within a kind, closing statuses last."""
        jobs = []
        for kind in EVENT_KINDS:
            chosen = sorted(
                (p for p in self.live(plans) if p.kind == kind and change(p)), key=lambda p: p.closes
            )
            items = [
                Item(
                    p,
                    dict(
                        change(p), id=p.event_id, changelog_message=changelog_message(p, what or _summary(p))
                    ),
                )
                for p in chosen
            ]
            jobs.append(Job(items, self._updater(kind)))
        self.send_all(jobs)

    def _updater(self, model: str) -> Send:
        """PATCHes of objects that exist (the same data sent twice changes nothing: no look-up)."""

        def send(items: list[dict], _resent: bool) -> None:
            self.gateway.update_many(model, items)

        return send

    # -- phase 2: impacts ---------------------------------------------------------------------------------
    def write_impacts(self, plans: list[EventPlan]) -> None:
        types = self.catalog.event_type_ids()
        circuit_type = self.catalog.object_type_id("circuits", "circuit")
        new = [
            Item(
                p,
                {
                    "event_content_type": types[p.kind],
                    "event_object_id": p.event_id,
                    "target_content_type": circuit_type,
                    "target_object_id": circuit,
                    "impact": level,
                    "changelog_message": changelog_message(p, f"impact {level}"),
                },
            )
            for p in self.live(plans)
            for circuit, level in p.impacts_create
        ]
        self.send(new, self._impact_sender())
        changed = [
            Item(
                p,
                {
                    "id": impact_id,
                    "impact": level,
                    "changelog_message": changelog_message(p, f"impact now {level}"),
                },
            )
            for p in self.live(plans)
            for impact_id, level in p.impacts_update
        ]
        self.send(changed, self._updater("impact"))

    def _impact_sender(self) -> Send:
        return self._child_sender(
            "impact",
            lambda row: (ref_id(row["event_content_type"]), row["event_object_id"], row["target_object_id"]),
        )

    def _child_sender(
        self,
        model: str,
        key: Callable[[dict], Hashable],
        taken: Collection[int] = frozenset(),
        marked: bool = False,
    ) -> Send:
        """Creates of objects that belong to events (impacts, notifications): a lost answer is looked
        up among the events' objects of that model, apart from ``taken`` (there before we wrote); with
        ``marked``, only among those our creates made (``_created_by_us``): another writer's
        notification of the same email reads exactly like ours, and taking it for ours left both
        writers' notifications without the records each thought it had written."""

        def lookup(ids: list[int]) -> list[dict]:
            rows = [row for row in self.gateway.list(model, event_object_id=ids) if row["id"] not in taken]
            if not marked:
                return rows
            ours = self._created_by_us(model, [row["id"] for row in rows])
            return [row for row in rows if row["id"] in ours]

        def send(items: list[dict], resent: bool) -> list:
            ids = sorted({item["event_object_id"] for item in items})
            return self.gateway.create(
                model, items, "", key=key, lookup=lambda: lookup(ids), lookup_first=resent
            )

        return send

    # -- phase 4: notifications and their records ------------------------------------------------------
    def write_notifications(self, plans: list[EventPlan]) -> None:
        types = self.catalog.event_type_ids()
        new = []
        for plan in self.live(plans):
            for notification in plan.notifications:
                if notification.adopt is not None:
                    notification.id = notification.adopt
                    continue
                data = dict(
                    notification.fields,
                    event_content_type=types[plan.kind],
                    event_object_id=plan.event_id,
                    changelog_message=_received(notification, self.gateway.writer_id),
                )
                new.append(Item(plan, data, notification))
        # A notification there before we wrote is another email's, even when it reads the same as ours.
        taken = {nid for plan in self.live(plans) for nid in plan.seen_notifications}
        self.send(new, self._notification_sender(taken), _notification_written)
        self.write_records([(plan, plan.notifications) for plan in self.live(plans)])

    def write_records(self, groups: list[tuple[EventPlan, list[NotificationPlan]]]) -> None:
        """One journal entry per event for its written notifications' records (records.py)."""
        items = [
            Item(plan, journal_entry(records))
            for plan, notifications in groups
            if (records := _written_records(notifications))
        ]
        self.send(items, self._record_sender(), _journal_written)

    def keep_records(self, plan: EventPlan, keep: list[NotificationPlan], gone: Collection[int]) -> None:
        """The plan's journal entry again, for ``keep`` only (the plan's other records are given up, and
        the notifications in ``gone`` are about to be deleted): the same entry rewritten when it sits on
        the first kept notification, else a new entry there and the old one deleted (with its
        notification, when that goes)."""
        if plan.journal is None:  # no entry was written: write one for what stays
            if keep:
                self.write_records([(plan, keep)])
            return
        entry, host = plan.journal
        if keep and host == keep[0].id:
            comments = render(_written_records(keep))
            self.gateway.update_many(JOURNAL_MODEL, [{"id": entry, "comments": comments}])
            return
        if keep:
            self.write_records([(plan, keep)])
        if host not in gone:
            self.delete(JOURNAL_MODEL, entry)

    def delete(self, model: str, record_id: int) -> None:
        """Every delete of the sink goes through here (an object of ours; gone already is done)."""
        self.gateway.delete(model, record_id)

    def _notification_sender(self, taken: Collection[int]) -> Send:
        return self._child_sender(
            "eventnotification",
            lambda row: (ref_id(row["event_content_type"]), row["event_object_id"], *content_key(row)),
            taken,
            marked=True,
        )

    def _record_sender(self) -> Send:
        return record_sender(self.gateway)


def record_sender(gateway: NetBoxGateway, message: str = "notices-ingestor: email record") -> Send:
    """Creates of journal entries holding records (records.py): a lost answer is looked up among the
    entries of those notifications that hold records."""

    def lookup(items: list[dict]) -> list[dict]:
        rows = gateway.list(
            JOURNAL_MODEL,
            assigned_object_type=NOTIFICATION_TYPE,
            assigned_object_id=[item["assigned_object_id"] for item in items],
        )
        return [row for row in rows if read_journal(row.get("comments") or "", row["assigned_object_id"])]

    def send(items: list[dict], resent: bool) -> list:
        return gateway.create(
            JOURNAL_MODEL,
            items,
            message,
            key=lambda item: item["assigned_object_id"],
            lookup=lambda: lookup(items),
            lookup_first=resent,
        )

    return send


def _by_event(items: list[Item], most: int, least: int) -> list[list[Item]]:
    """``items`` in up to ``most`` parts of at least ``least`` items; an event's items stay together.

    Parts are balanced by item count (each event, largest first, to the lightest part so far): the parts
    go at once and the phase lasts as long as its largest part."""
    parts = max(1, min(most, len(items) // least))
    if parts == 1:
        return [items]
    by_key: dict[EventKey, list[Item]] = {}
    for item in items:
        by_key.setdefault(item.plan.key, []).append(item)
    out: list[list[Item]] = [[] for _ in range(parts)]
    for group in sorted(by_key.values(), key=len, reverse=True):
        min(out, key=len).extend(group)
    return [part for part in out if part]


def _written_records(notifications: list[NotificationPlan]) -> list[tuple[int, EmailRecord]]:
    """(notification id, record) of the notifications written."""
    return [(n.id, n.record) for n in notifications if n.id is not None]


def _journal_written(item: Item, row: dict) -> None:
    item.plan.journal = (row["id"], row["assigned_object_id"])


def _notification_written(item: Item, row: dict) -> None:
    notification: NotificationPlan = item.target
    notification.id = row["id"]


def _received(notification: NotificationPlan, writer: str) -> str:
    """Each notification's changelog names its own email (the event's writes name all of the batch's),
    after the writer's mark: a lost answer's look-up takes only notifications this process created."""
    email = notification.record.message_id
    return f"{_origin(writer)}: email {email}: notification received"[:MESSAGE_MAX]


def _summary(plan: EventPlan) -> str:
    return "; ".join(plan.changes) or "notification received"
