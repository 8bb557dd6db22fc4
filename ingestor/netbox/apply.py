"""Send an EventPlan to NetBox, in the order that keeps the plugin's rules and our guarantees.

1. create the event, or reopen it when impacts must be written to a closed event;
2. impacts (one bulk create, then level changes);
3. the event's field changes (a closing status last of all the event writes);
4. the EventNotification, carrying the email's Message-ID — written last, so its presence means the
   email's whole effect is in NetBox. A crash before it just makes the next run redo the (idempotent)
   writes above and then add it.

Two writers on one event (two instances on one mailbox, a replay beside the daemon) converge:
- every create is looked up by identity before it is retried (event by provider + name, impact by
  event + circuit, notification by Message-ID + digest + event), so a lost answer never duplicates;
- right after creating an event we read the events of that provider + name again: the oldest wins, and
  a writer whose event is not the oldest deletes its own (nothing refers to it yet) and plans again;
- after writing its notification a writer reads the event's notifications again: a second notification
  of the same email is removed by whoever wrote the newer one, and notifications it did not know of
  (stored meanwhile by another writer) make it re-fold every stored notice and write what differs. Of two
  concurrent writers, the one that reads last has seen both notifications, so the event ends in the
  fold of all of them, as if the emails had come one after the other.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from .client import DIGEST_FIELD, MESSAGE_ID_FIELD, NOTICES_FIELD, NetBoxGateway, notification_identity
from .plan import EventPlan, plan_reconcile

log = structlog.get_logger(__name__)


class EventRaceLost(Exception):
    """Another writer created the same event first; ours was removed: plan the email again."""


@dataclass
class AppliedEvent:
    kind: str
    id: int | None
    name: str
    provider_id: int
    created: bool
    duplicate: bool
    changes: list[str]


def changelog_message(plan: EventPlan, what: str) -> str:
    return f"notices-ingestor: email {plan.message_id}: {what}"[:200]


def apply_plan(gateway: NetBoxGateway, plan: EventPlan, event_id: int | None) -> AppliedEvent:
    if plan.duplicate:
        return AppliedEvent(plan.kind, event_id, plan.event_name, plan.provider_id, False, True, [])
    known = {(plan.message_id, plan.email_digest)} | plan.known_emails
    event_id = _write_event(gateway, plan, event_id)
    notification_id = _write_notification(gateway, plan, event_id)
    _settle(gateway, plan, event_id, notification_id, known)
    return AppliedEvent(
        plan.kind, event_id, plan.event_name, plan.provider_id, plan.create is not None, False, plan.changes
    )


def _write_event(gateway: NetBoxGateway, plan: EventPlan, event_id: int | None) -> int:
    """Steps 1-3: the event, its impacts and its fields. Returns the event's id."""
    summary = "; ".join(plan.changes) or "notification received"
    if plan.create is not None:
        event_id = _create_event(gateway, plan, changelog_message(plan, summary))
    elif plan.reopen_status:
        gateway.update(
            plan.kind,
            event_id,
            {"status": plan.reopen_status},
            changelog_message(plan, f"reopened as {plan.reopen_status} to record impacts"),
        )
    _write_impacts(gateway, plan, event_id)
    if plan.update:
        gateway.update(plan.kind, event_id, plan.update, changelog_message(plan, summary))
    return event_id


def _create_event(gateway: NetBoxGateway, plan: EventPlan, message: str) -> int:
    def lookup() -> dict:
        found = gateway.find_event(plan.kind, plan.provider_id, plan.event_name)
        return {plan.event_name: found} if found else {}

    [created] = gateway.create(
        plan.kind, [plan.create], message, key=lambda item: item["name"], lookup=lookup
    )
    oldest = gateway.find_event(plan.kind, plan.provider_id, plan.event_name)
    if oldest is not None and oldest["id"] != created["id"]:
        # Another writer created the same event at the same moment: the oldest wins.
        log.info("event_race_lost", event_name=plan.event_name, ours=created["id"], winner=oldest["id"])
        gateway.delete(plan.kind, created["id"])
        raise EventRaceLost(f"{plan.kind} {plan.event_name}: created meanwhile as #{oldest['id']}")
    return created["id"]


def _write_impacts(gateway: NetBoxGateway, plan: EventPlan, event_id: int) -> None:
    event_type = gateway.object_type_id("notices", plan.kind)
    circuit_type = gateway.object_type_id("circuits", "circuit")
    if plan.impacts_create:
        items = [
            {
                "event_content_type": event_type,
                "event_object_id": event_id,
                "target_content_type": circuit_type,
                "target_object_id": circuit,
                "impact": level,
            }
            for circuit, level in plan.impacts_create
        ]
        gateway.create(
            "impact",
            items,
            changelog_message(plan, "impact recorded"),
            key=lambda item: item["target_object_id"],
            lookup=lambda: {row["target_object_id"]: row for row in gateway.impacts(plan.kind, event_id)},
        )
    for impact_id, level in plan.impacts_update:
        gateway.update("impact", impact_id, {"impact": level}, changelog_message(plan, f"impact now {level}"))


def _write_notification(gateway: NetBoxGateway, plan: EventPlan, event_id: int) -> int:
    identity = (plan.message_id, plan.email_digest)
    notification = dict(
        plan.notification,
        event_content_type=gateway.object_type_id("notices", plan.kind),
        event_object_id=event_id,
        custom_fields={
            MESSAGE_ID_FIELD: plan.message_id,
            DIGEST_FIELD: plan.email_digest,
            NOTICES_FIELD: plan.notices,
        },
    )

    def lookup() -> dict:
        rows = [r for r in gateway.notifications(plan.kind, event_id) if notification_identity(r) == identity]
        return {identity: min(rows, key=lambda r: r["id"])} if rows else {}

    [row] = gateway.create(
        "eventnotification",
        [notification],
        changelog_message(plan, "notification received"),
        key=lambda _item: identity,
        lookup=lookup,
    )
    return row["id"]


def _settle(gateway: NetBoxGateway, plan: EventPlan, event_id: int, notification_id: int, known: set) -> None:
    """Step 5: converge with writers we did not know of (see the module's docstring)."""
    rows = gateway.notifications(plan.kind, event_id)
    identity = (plan.message_id, plan.email_digest)
    same_email = sorted(r["id"] for r in rows if notification_identity(r) == identity)
    if same_email and same_email[0] != notification_id and notification_id in same_email:
        log.info("notification_race_lost", event_id=event_id, ours=notification_id, winner=same_email[0])
        gateway.delete("eventnotification", notification_id)
    others = {notification_identity(r) for r in rows} - {None} - known
    if not others:
        return
    record = gateway.find_event(plan.kind, plan.provider_id, plan.event_name)
    if record is None:
        return
    snapshot = gateway.snapshot(plan.kind, record)
    again = plan_reconcile(snapshot, gateway.circuits(plan.provider_id), plan)
    if again is not None:
        log.info("event_reconciled", event_id=event_id, other_emails=len(others), changes=again.changes)
        again.changes.insert(0, "re-folded with notices stored meanwhile by another writer")
        _write_event(gateway, again, record["id"])
