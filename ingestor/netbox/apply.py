"""Send an EventPlan to NetBox, in the order that keeps the plugin's rules and our guarantees.

1. create the event, or reopen it when impacts must be written to a closed event;
2. impacts (one bulk create, then level changes);
3. the event's field changes (a closing status last of all the event writes);
4. the EventNotification, carrying the email's Message-ID — written last, so its presence means the
   email's whole effect is in NetBox. A crash before it just makes the next run redo the (idempotent)
   writes above and then add it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .client import DIGEST_FIELD, MESSAGE_ID_FIELD, NOTICES_FIELD, NetBoxGateway
from .plan import EventPlan


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
    summary = "; ".join(plan.changes) or "notification received"

    if plan.create is not None:
        record = gateway.create(plan.kind, plan.create, changelog_message(plan, summary))
        event_id = record.id
    elif plan.reopen_status:
        gateway.update(
            plan.kind,
            event_id,
            {"status": plan.reopen_status},
            changelog_message(plan, f"reopened as {plan.reopen_status} to record impacts"),
        )

    event_type = gateway.object_type_id("notices", plan.kind)
    circuit_type = gateway.object_type_id("circuits", "circuit")
    if plan.impacts_create:
        gateway.create(
            "impact",
            [
                {
                    "event_content_type": event_type,
                    "event_object_id": event_id,
                    "target_content_type": circuit_type,
                    "target_object_id": circuit,
                    "impact": level,
                }
                for circuit, level in plan.impacts_create
            ],
            changelog_message(plan, "impact recorded"),
        )
    for impact_id, level in plan.impacts_update:
        gateway.update("impact", impact_id, {"impact": level}, changelog_message(plan, f"impact now {level}"))

    if plan.update:
        gateway.update(plan.kind, event_id, plan.update, changelog_message(plan, summary))

    notification = dict(
        plan.notification,
        event_content_type=event_type,
        event_object_id=event_id,
        custom_fields={
            MESSAGE_ID_FIELD: plan.message_id,
            DIGEST_FIELD: plan.email_digest,
            NOTICES_FIELD: plan.notices,
        },
    )
    gateway.create("eventnotification", notification, changelog_message(plan, "notification received"))
    return AppliedEvent(
        plan.kind, event_id, plan.event_name, plan.provider_id, plan.create is not None, False, plan.changes
    )
