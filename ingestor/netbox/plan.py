"""Plan the NetBox writes for one email's effect on one event — pure: no server needed.

Input: the notices this email states for the event, the email itself, what NetBox holds now
(`EventSnapshot`, None for a new event) and the provider's circuits (`CircuitIndex`).
Output: an `EventPlan`, a short ordered list of writes that `write.py` sends. The order matters because
the plugin refuses impact writes on COMPLETED/CANCELLED/RESOLVED events: impacts are written while the
event is open, and a closing status is set last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from parsers.models import CLOSED_STATUSES, EmailMeta, Notice

from .fold import PROVISIONAL_STATUS, EventTarget, fold
from .records import ContentKey, EmailRecord, Identity, content_key
from .rows import EventKey, EventRef, EventTags, SinkEmail

NAME_MAX = 100
SUMMARY_MAX = 200
SUBJECT_MAX = 100
TIMEZONE_MAX = 63
FALLBACK_SENDER = "unknown@unknown.invalid"
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def event_name(event_id: str) -> str:
    """The event's NetBox name (<= 100 characters): used both to look the event up and to create it."""
    return truncate(event_id, NAME_MAX)


def _normalise_cid(cid: str) -> str:
    return "".join(cid.split()).casefold()


class CircuitIndex:
    """The circuits NetBox knows for one provider: cid -> circuit id, exact first, then loose."""

    def __init__(self, circuits: dict[str, int]):
        self._exact = dict(circuits)
        self._loose = {_normalise_cid(cid): pk for cid, pk in circuits.items()}

    def match(self, cid: str) -> int | None:
        found = self._exact.get(cid)
        return found if found is not None else self._loose.get(_normalise_cid(cid))

    def find_in_text(self, text: str) -> list[str]:
        """Known cids that stand in the text as whole tokens (for outages that list none by label)."""
        found = []
        for cid in sorted(self._exact, key=len, reverse=True):
            if re.search(rf"(?<![\w/-]){re.escape(cid)}(?![\w/-])", text, flags=re.IGNORECASE):
                found.append(cid)
        return sorted(found)


@dataclass
class EventSnapshot:
    """One event as NetBox holds it now."""

    id: int
    status: str | None
    start: datetime | None
    end: datetime | None
    estimated_time_to_repair: datetime | None
    summary: str
    original_timezone: str
    impact_text: str
    acknowledged: bool | None
    tags: EventTags = EventTags()
    impacts: dict[int, tuple[int, str | None]] = field(
        default_factory=dict
    )  # circuit pk -> (impact pk, level)
    stored_notices: list[Notice] = field(default_factory=list)  # from earlier emails' records
    notified_emails: set[Identity] = field(default_factory=set)  # (Message-ID, body digest)
    notifications: dict[int, Identity | None] = field(default_factory=dict)  # notification pk -> its email
    # Notifications whose record is missing, by content, oldest first. Two different emails can read the
    # same (one notice sent twice with other HTML): each orphan is adopted by one email at most.
    orphans: dict[ContentKey, list[int]] = field(default_factory=dict)


@dataclass
class NotificationPlan:
    """One email's EventNotification and the journal record that names it (records.py)."""

    email_key: int
    fields: dict
    record: EmailRecord
    adopt: int | None = None  # an orphan notification of this very email: only its record is missing
    id: int | None = None  # set once written
    superseded: bool = False  # another writer recorded this email first: ours was given up (settle.py)


@dataclass
class EventPlan:
    kind: str
    event_name: str
    provider_id: int
    event_id: int | None = None  # the existing event (None: ``create`` makes it)
    create: dict | None = None  # fields of a new event
    reopen_status: str | None = None  # an open status to set before writing impacts on a closed event
    impacts_create: list[tuple[int, str]] = field(default_factory=list)  # (circuit pk, level)
    impacts_update: list[tuple[int, str]] = field(default_factory=list)  # (impact pk, level)
    update: dict = field(default_factory=dict)  # field changes, sent after the impacts
    notifications: list[NotificationPlan] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)  # keys of emails NetBox holds for this event
    failed: dict[int, str] = field(default_factory=dict)  # key of an email that cannot be applied -> why
    unmatched_circuits: list[str] = field(default_factory=list)
    # Circuits the fold names that NetBox did not know when planned, while the event stays open: the
    # event carries the unmatched-circuits tag, and each poll matches them again (relink.py).
    awaits_circuits: bool = False
    tags_now: EventTags | None = None  # the event's tags when planned (None: a new event)
    linked: list[str] = field(default_factory=list)  # cids of the impacts this plan creates
    changes: list[str] = field(default_factory=list)  # human summary for changelog and logs
    known_emails: set[Identity] = field(default_factory=set)  # emails NetBox held when planned
    seen_notifications: set[int] = field(default_factory=set)  # the event's notifications when planned
    message_ids: list[str] = field(default_factory=list)  # the emails this plan writes, for messages
    journal: tuple[int, int] | None = None  # set once written: (journal entry id, its notification id)

    @property
    def key(self) -> EventKey:
        return EventKey(self.kind, self.provider_id, self.event_name)

    @property
    def ref(self) -> EventRef | None:
        """The event in NetBox (None until it exists)."""
        return EventRef(self.kind, self.event_id) if self.event_id is not None else None

    @property
    def has_event_writes(self) -> bool:
        return bool(
            self.create or self.reopen_status or self.impacts_create or self.impacts_update or self.update
        )

    @property
    def closes(self) -> bool:
        return self.update.get("status") in CLOSED_STATUSES


def _impact_text(target: EventTarget, unmatched: list[str]) -> str:
    lines = ["Circuits named by the provider's notices:"]
    lines += [f"- {cid}: {level}" for cid, level in sorted(target.circuits.items())]
    if unmatched:
        lines.append(f"Not found in NetBox (linked once they exist): {', '.join(sorted(unmatched))}")
    return "\n".join(lines) if target.circuits else ""


def _event_fields(target: EventTarget, impact_text: str) -> dict:
    fields = {
        "status": target.status,
        "start": target.start,
        "summary": truncate(target.summary or f"{target.kind.title()} {target.event_id}", SUMMARY_MAX),
        "original_timezone": truncate(target.original_timezone or "", TIMEZONE_MAX),
        "impact": impact_text,
    }
    if target.kind == "maintenance" or target.end is not None:
        fields["end"] = target.end
    if target.kind == "outage":
        fields["estimated_time_to_repair"] = target.estimated_time_to_repair
    return fields


def _changed(snapshot: EventSnapshot, wanted: dict) -> dict:
    current = {
        "status": snapshot.status,
        "start": snapshot.start,
        "end": snapshot.end,
        "estimated_time_to_repair": snapshot.estimated_time_to_repair,
        "summary": snapshot.summary,
        "original_timezone": snapshot.original_timezone,
        "impact": snapshot.impact_text,
    }
    return {name: value for name, value in wanted.items() if current.get(name) != value}


def _describe(name: str, value) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    if name == "impact":
        return "impact text"
    return f"{name}={value}"


def notification_fields(email: EmailMeta) -> dict:
    sender = email.sender if _ADDRESS.match(email.sender or "") else FALLBACK_SENDER
    return {
        "subject": truncate(email.subject or "(no subject)", SUBJECT_MAX),
        "email_from": sender,
        "email_received": email.arrived or email.received,  # a time that happened (parse.py)
        "email_body": email.body.strip() or "(no text body)",
    }


def plan_event(
    key: EventKey, shares: list[SinkEmail], snapshot: EventSnapshot | None, circuits: CircuitIndex
) -> EventPlan:
    """The writes that bring the event to the fold of what NetBox holds plus these emails' notices.

    An email NetBox already holds for this event (or that came twice in the batch) is a duplicate. An
    email whose notices cannot make a valid event together with the others fails alone: emails are
    taken in batch order and each is kept only if the fold with it is still valid — what processing
    them one by one would have done.
    """
    plan = EventPlan(kind=key.kind, event_name=key.name, provider_id=key.provider_id)
    plan.known_emails = set(snapshot.notified_emails) if snapshot else set()
    if snapshot is not None:
        plan.event_id = snapshot.id
        plan.seen_notifications = set(snapshot.notifications)
        plan.tags_now = snapshot.tags
    fresh = _fresh_shares(plan, shares)
    if not fresh:
        return plan
    fresh = [
        SinkEmail(s.key, s.email, _with_circuits_found_in_text(s.notices, s.email, circuits)) for s in fresh
    ]
    stored = snapshot.stored_notices if snapshot else []
    accepted = _acceptable(plan, stored, fresh)
    if not accepted:
        return plan
    _plan_writes(plan, stored + [n for s in accepted for n in s.notices], snapshot, circuits)
    orphans = {key: list(ids) for key, ids in snapshot.orphans.items()} if snapshot else {}
    for share in accepted:
        fields = notification_fields(share.email)
        record = EmailRecord(
            share.email.message_id,
            share.email.body_digest,
            [n.model_dump(mode="json") for n in share.notices],
        )
        plan.notifications.append(
            NotificationPlan(share.key, fields, record, _adopt(orphans, content_key(fields)))
        )
        plan.message_ids.append(share.email.message_id)
    return plan


def _adopt(orphans: dict[ContentKey, list[int]], key: ContentKey) -> int | None:
    """The oldest orphan notification that reads as ``key``, taken (None when there is none left)."""
    ids = orphans.get(key)
    return ids.pop(0) if ids else None


def _fresh_shares(plan: EventPlan, shares: list[SinkEmail]) -> list[SinkEmail]:
    """The shares that are news for this event; the others are recorded as duplicates."""
    seen = set(plan.known_emails)
    fresh = []
    for share in shares:
        if share.email.identity in seen:
            plan.duplicates.append(share.key)
        else:
            seen.add(share.email.identity)
            fresh.append(share)
    return fresh


def _acceptable(plan: EventPlan, stored: list[Notice], fresh: list[SinkEmail]) -> list[SinkEmail]:
    """All of ``fresh`` when their fold is valid; else each in turn, kept only if the fold stays valid."""
    try:
        _folded_target(stored + [n for s in fresh for n in s.notices])
        return fresh
    except PlanError:
        pass
    accepted: list[SinkEmail] = []
    for share in fresh:
        try:
            _folded_target(stored + [n for s in accepted for n in s.notices] + share.notices)
        except PlanError as exc:
            plan.failed[share.key] = str(exc)
            continue
        accepted.append(share)
    return accepted


def plan_batch(
    inputs: list[tuple[EventKey, list[SinkEmail], EventSnapshot | None, CircuitIndex]],
) -> list[EventPlan]:
    """Plan every event of a batch. An email that fails for one event is taken out of all of them (its
    effect is all or nothing), so the events it touched are planned again without it."""
    excluded: dict[int, str] = {}
    while True:
        plans = [
            plan_event(key, [s for s in shares if s.key not in excluded], snapshot, circuits)
            for key, shares, snapshot, circuits in inputs
        ]
        newly = {k: reason for plan in plans for k, reason in plan.failed.items() if k not in excluded}
        if not newly:
            break
        excluded |= newly
    for plan, (_key, shares, _snapshot, _circuits) in zip(plans, inputs, strict=True):
        for share in shares:
            if share.key in excluded:
                plan.failed.setdefault(share.key, excluded[share.key])
    return plans


def plan_reconcile(snapshot: EventSnapshot, circuits: CircuitIndex, plan: EventPlan) -> EventPlan | None:
    """After another writer (a second instance, a replay) stored notifications for the same event
    meanwhile: the writes that bring the event to the fold of every notice NetBox now holds.

    No notification is written (``plan``'s own were stored already). None when nothing needs writing.
    """
    if not snapshot.stored_notices:
        return None
    again = EventPlan(plan.kind, plan.event_name, plan.provider_id, event_id=snapshot.id)
    again.message_ids = list(plan.message_ids)
    again.tags_now = snapshot.tags
    _plan_writes(again, snapshot.stored_notices, snapshot, circuits)
    return again if again.has_event_writes else None


def plan_relink(key: EventKey, snapshot: EventSnapshot, circuits: CircuitIndex) -> EventPlan:
    """An open event whose notices named circuits NetBox did not know (relink.py): the writes that bring
    it to the fold of its stored notices with the circuits NetBox knows now — the impacts of circuits
    added since, the impact text, the unmatched-circuits tag. No notification is written."""
    plan = EventPlan(key.kind, key.name, key.provider_id, event_id=snapshot.id, tags_now=snapshot.tags)
    if snapshot.stored_notices:
        _plan_writes(plan, snapshot.stored_notices, snapshot, circuits)
    if plan.linked:
        plan.changes.insert(0, f"circuits added to NetBox since the email linked: {', '.join(plan.linked)}")
    return plan


def _with_circuits_found_in_text(
    notices: list[Notice], email: EmailMeta, circuits: CircuitIndex
) -> list[Notice]:
    """An outage email naming no circuit ids by label: the cids NetBox knows that stand in its text."""
    if notices[0].kind != "outage" or any(n.circuits for n in notices):
        return notices
    found = circuits.find_in_text(email.body + "\n" + email.subject)
    circuits_found = [{"circuit_id": cid} for cid in found]
    return [Notice.model_validate({**n.model_dump(), "circuits": circuits_found}) for n in notices]


def _folded_target(notices: list[Notice]) -> EventTarget:
    target = fold(notices)
    if target.start is None:
        if target.kind == "maintenance":
            raise PlanError(f"maintenance {target.event_id}: no notice states a start time")
        target.start = target.first_reported
        target.notes.append("start taken from the first report's date (no start time stated)")
    if target.kind == "maintenance" and target.end is None:
        raise PlanError(f"maintenance {target.event_id}: no notice states an end time")
    return target


def _plan_impacts(
    plan: EventPlan, target: EventTarget, snapshot: EventSnapshot | None, circuits: CircuitIndex
):
    wanted_levels: dict[int, str] = {}
    unmatched = []
    for cid, level in target.circuits.items():
        pk = circuits.match(cid)
        if pk is None:
            unmatched.append(cid)
        else:
            wanted_levels[pk] = level
    plan.unmatched_circuits = sorted(unmatched)
    existing = snapshot.impacts if snapshot else {}
    cids = {pk: cid for cid in target.circuits if (pk := circuits.match(cid)) is not None}
    for pk, level in sorted(wanted_levels.items()):
        if pk not in existing:
            plan.impacts_create.append((pk, level))
            plan.linked.append(cids[pk])
        elif existing[pk][1] != level:
            plan.impacts_update.append((existing[pk][0], level))
    if plan.impacts_create or plan.impacts_update:
        plan.changes.append(f"impacts +{len(plan.impacts_create)} ~{len(plan.impacts_update)}")


def _plan_create(plan: EventPlan, target: EventTarget, wanted: dict, open_status: str) -> None:
    plan.create = dict(wanted, name=plan.event_name, provider=plan.provider_id)
    if target.kind == "outage":
        plan.create["reported_at"] = target.first_reported
    plan.changes.insert(0, f"created with status {target.status}")
    if (plan.impacts_create or plan.impacts_update) and target.closed:
        # The plugin refuses impacts on a closed event: open first, close after the impacts.
        plan.create["status"] = open_status
        plan.update["status"] = target.status
        plan.changes.append(f"status {target.status} set after the impacts were written")


def _plan_update(
    plan: EventPlan, target: EventTarget, wanted: dict, snapshot: EventSnapshot, open_status: str
) -> None:
    plan.update = _changed(snapshot, wanted)
    if (plan.impacts_create or plan.impacts_update) and snapshot.status in CLOSED_STATUSES:
        plan.reopen_status = open_status
        plan.update["status"] = target.status
        plan.changes.append(
            f"reopened as {open_status} to record impacts, then status {target.status} set again"
        )
    moved = {"start", "end"} & plan.update.keys()
    if moved and snapshot.acknowledged:
        plan.update["acknowledged"] = False
        plan.changes.append("acknowledged reset (schedule moved)")
    plan.changes += [_describe(name, plan.update[name]) for name in plan.update if name != "acknowledged"]
    plan.changes = list(dict.fromkeys(plan.changes))


def _plan_writes(
    plan: EventPlan, notices: list[Notice], snapshot: EventSnapshot | None, circuits: CircuitIndex
) -> None:
    """Fold ``notices`` and fill in ``plan`` with the event, impact and field writes that reach it."""
    target = _folded_target(notices)
    _plan_impacts(plan, target, snapshot, circuits)
    wanted = _event_fields(target, _impact_text(target, plan.unmatched_circuits))
    open_status = target.newest_open_status or PROVISIONAL_STATUS[target.kind]
    if snapshot is None:
        _plan_create(plan, target, wanted, open_status)
    else:
        _plan_update(plan, target, wanted, snapshot, open_status)
    if plan.unmatched_circuits:
        plan.changes.append(f"circuits not in NetBox: {', '.join(plan.unmatched_circuits)}")
    plan.awaits_circuits = bool(plan.unmatched_circuits) and not target.closed
    plan.changes += target.notes


class PlanError(Exception):
    """The notices cannot make a valid event (a permanent failure of this email)."""


def group_by_event(notices: list[Notice]) -> dict[tuple[str, str, str], list[Notice]]:
    """An email may announce several events; each gets its own plan (and its own notification)."""
    groups: dict[tuple[str, str, str], list[Notice]] = {}
    for notice in notices:
        groups.setdefault((notice.kind, notice.provider, notice.event_id), []).append(notice)
    return groups
