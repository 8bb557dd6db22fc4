"""NetBoxGateway and apply.py through faults and races, on an in-memory NetBox (tests/unit/memory_netbox.py).

What must hold: a transient fault is retried and a rejection is not; a create whose answer was lost is
never duplicated; two writers of one event converge on the oldest event, on one notification per email,
and on the fold of every stored notice.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingestor.netbox.apply import EventRaceLost, apply_plan
from ingestor.netbox.client import NOTICES_FIELD, NetBoxRejected, NetBoxUnavailable
from ingestor.netbox.plan import plan_event
from parsers.models import EmailMeta, Notice

from .memory_netbox import OBJECT_TYPES, MemoryGateway, MemoryNetBox, lost_answer
from .test_netbox_faults import request_error

PROVIDER = 7
CIRCUIT = 31


def notice(status: str, stamp_hour: int, **extra) -> Notice:
    return Notice(
        kind="maintenance",
        provider="acme",
        event_id="MW-1",
        status=status,
        start=datetime(2026, 12, 1, 22, tzinfo=UTC),
        end=datetime(2026, 12, 2, 4, tzinfo=UTC),
        circuits=[{"circuit_id": "ACME-1", "impact": "OUTAGE"}],
        stamp=datetime(2026, 11, 20, stamp_hour, tzinfo=UTC),
        **extra,
    )


def email(n: int) -> EmailMeta:
    return EmailMeta(
        message_id=f"<mail-{n}@acme.example>",
        subject=f"Maintenance MW-1 #{n}",
        sender="noc@acme.example",
        received=datetime(2026, 11, 20, n, tzinfo=UTC),
        body=f"body {n}",
        body_digest=f"digest-{n}",
    )


@pytest.fixture
def db() -> MemoryNetBox:
    db = MemoryNetBox()
    db.insert("circuits.circuits", {"cid": "ACME-1", "provider": PROVIDER})
    db.tables["circuits.circuits"][0]["id"] = CIRCUIT
    return db


def ingest(gateway: MemoryGateway, n: int, status: str, stamp_hour: int):
    record = gateway.find_event("maintenance", PROVIDER, "MW-1")
    snapshot = gateway.snapshot("maintenance", record) if record else None
    plan = plan_event([notice(status, stamp_hour)], email(n), snapshot, gateway.circuits(PROVIDER), PROVIDER)
    return apply_plan(gateway, plan, record["id"] if record else None)


# -- call: one classifier, retries ------------------------------------------------------------------------


def test_transient_faults_are_retried_until_they_pass(db):
    gateway = MemoryGateway(db, retries=3)
    db.inject("circuits.providers", "GET", request_error(502), times=2)
    db.insert("circuits.providers", {"slug": "acme"})
    assert gateway.provider_id("acme") is not None
    assert db.requests.count(("circuits.providers", "GET")) == 3


def test_transient_faults_past_the_retries_make_netbox_unavailable(db):
    gateway = MemoryGateway(db, retries=2)
    db.inject("circuits.providers", "GET", request_error(500), times=3)
    with pytest.raises(NetBoxUnavailable, match="HTTP 500"):
        gateway.provider_id("acme")


def test_a_rejection_is_not_retried(db):
    gateway = MemoryGateway(db, retries=3)
    db.inject("maintenance", "POST", request_error(400, {"end": ["must be after start"]}))
    with pytest.raises(NetBoxRejected, match="must be after start"):
        ingest(gateway, 1, "CONFIRMED", 1)
    assert db.requests.count(("maintenance", "POST")) == 1


# -- lost answers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["maintenance", "impact", "eventnotification"])
@pytest.mark.parametrize("fault", [lambda: request_error(500), lost_answer])
def test_a_create_whose_answer_was_lost_is_not_duplicated(db, model, fault):
    gateway = MemoryGateway(db)
    db.inject(model, "POST", fault(), after=True)
    applied = ingest(gateway, 1, "CONFIRMED", 1)
    assert [row["id"] for row in db.rows("maintenance")] == [applied.id]
    assert len(db.rows("impact")) == 1
    assert len(db.rows("eventnotification")) == 1
    assert db.requests.count((model, "POST")) == 1  # the look-up found it: nothing was sent twice


def test_a_lost_answer_then_a_refused_retry_is_still_found(db):
    """The plugin answers 500 to a second identical impact: the look-up before the retry avoids it."""
    gateway = MemoryGateway(db)
    db.inject("impact", "POST", request_error(500), after=True)
    db.inject("impact", "POST", request_error(500))  # would be the duplicate's integrity error
    ingest(gateway, 1, "CONFIRMED", 1)
    assert len(db.rows("impact")) == 1


# -- two writers ------------------------------------------------------------------------------------------


def test_the_writer_whose_event_is_not_the_oldest_removes_it_and_plans_again(db):
    gateway = MemoryGateway(db)
    # another instance creates the same event just before ours lands
    db.before_create["maintenance"] = [
        lambda _item: db.insert("maintenance", {"name": "MW-1", "provider": PROVIDER, "status": "TENTATIVE"})
    ]
    with pytest.raises(EventRaceLost):
        ingest(gateway, 2, "CONFIRMED", 2)
    assert [row["status"] for row in db.rows("maintenance")] == ["TENTATIVE"]  # ours is gone
    assert db.rows("impact") == [] and db.rows("eventnotification") == []


def test_notifications_stored_meanwhile_are_folded_in(db):
    """A (newer, CONFIRMED) writes its notification while B (older, TENTATIVE) is between its plan and
    its notification: B re-folds and the event ends CONFIRMED, as in one-after-the-other order."""
    gateway = MemoryGateway(db)
    ingest(gateway, 1, "TENTATIVE", 1)
    event = db.rows("maintenance")[0]

    def other_writer(_item):
        db.insert(
            "eventnotification",
            {
                "event_content_type": OBJECT_TYPES["notices.maintenance"],
                "event_object_id": event["id"],
                "custom_fields": {
                    "ingestor_message_id": "<mail-9@acme.example>",
                    "ingestor_email_digest": "digest-9",
                    NOTICES_FIELD: [notice("CONFIRMED", 9).model_dump(mode="json")],
                },
            },
        )
        event["status"] = "CONFIRMED"

    db.before_create["eventnotification"] = [other_writer]
    # B planned from the snapshot before A's notification: its plan says TENTATIVE (stamp 3 < 9)
    ingest(gateway, 3, "TENTATIVE", 3)
    assert event["status"] == "CONFIRMED"
    assert len(db.rows("eventnotification")) == 3


def test_a_second_notification_of_one_email_is_removed_by_its_writer(db):
    gateway = MemoryGateway(db)
    ingest(gateway, 1, "CONFIRMED", 1)
    event = db.rows("maintenance")[0]
    first = db.rows("eventnotification")[0]
    # a replay beside the daemon: both planned email 2 before either wrote its notification
    record = gateway.find_event("maintenance", PROVIDER, "MW-1")
    plan = plan_event(
        [notice("CONFIRMED", 2)],
        email(2),
        gateway.snapshot("maintenance", record),
        gateway.circuits(PROVIDER),
        PROVIDER,
    )
    db.before_create["eventnotification"] = [
        lambda item: db.insert(
            "eventnotification", {k: v for k, v in item.items() if k != "changelog_message"}
        )
    ]
    apply_plan(gateway, plan, event["id"])
    rows = db.rows("eventnotification")
    assert len(rows) == 2 and rows[0]["id"] == first["id"]
    assert rows[1]["custom_fields"]["ingestor_message_id"] == "<mail-2@acme.example>"


def test_a_settled_event_costs_one_extra_read(db):
    gateway = MemoryGateway(db)
    ingest(gateway, 1, "CONFIRMED", 1)
    assert db.requests.count(("eventnotification", "GET")) == 1  # the settle read; nothing else changed
