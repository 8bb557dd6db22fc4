"""Planning is pure: these tests need no server."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from ingestor.netbox.fold import fold
from ingestor.netbox.plan import (
    CircuitIndex,
    EventSnapshot,
    PlanError,
    event_name,
    group_by_event,
    notification_fields,
    plan_event,
)
from parsers.models import EmailMeta, Notice

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def maint(status, stamp_h=0, seq=1, circuits=(("C1", "OUTAGE"),), start_h=24, end_h=28, **kw):
    return Notice(
        kind="maintenance",
        provider="zayo",
        event_id="MAINT-1",
        status=status,
        start=T0 + timedelta(hours=start_h),
        end=T0 + timedelta(hours=end_h),
        stamp=T0 + timedelta(hours=stamp_h),
        sequence=seq,
        circuits=[{"circuit_id": c, "impact": i} for c, i in circuits],
        summary=kw.pop("summary", "fiber work"),
        **kw,
    )


def outage(status, stamp_h, etr_h=None, end_h=None, start_h=0, circuits=("C1",)):
    return Notice(
        kind="outage",
        provider="zayo",
        event_id="TT-1",
        status=status,
        start=None if start_h is None else T0 + timedelta(hours=start_h),
        estimated_time_to_repair=None if etr_h is None else T0 + timedelta(hours=etr_h),
        end=None if end_h is None else T0 + timedelta(hours=end_h),
        stamp=T0 + timedelta(hours=stamp_h),
        circuits=[{"circuit_id": c} for c in circuits],
    )


def email(mid="<a@x>", body="text", subject="Subject", digest=""):
    return EmailMeta(
        message_id=mid, subject=subject, sender="noc@zayo.com", received=T0, body=body, body_digest=digest
    )


def snapshot_of(plan, event_id=7, **overrides) -> EventSnapshot:
    """What NetBox would hold after applying a create plan."""
    fields = dict(plan.create)
    fields.update(plan.update)
    values = dict(
        id=event_id,
        status=fields["status"],
        start=fields["start"],
        end=fields.get("end"),
        estimated_time_to_repair=fields.get("estimated_time_to_repair"),
        summary=fields["summary"],
        original_timezone=fields["original_timezone"],
        impact_text=fields["impact"],
        acknowledged=False,
        impacts={pk: (100 + pk, level) for pk, level in plan.impacts_create},
        stored_notices=[Notice.model_validate(n) for n in plan.notices],
        notified_emails={(plan.message_id, plan.email_digest)},
    )
    values.update(overrides)
    return EventSnapshot(**values)


CIRCUITS = CircuitIndex({"C1": 1, "C2": 2, "OGYX/123456//ZYO": 3})


def test_fold_takes_each_field_from_the_newest_notice_that_states_it():
    target = fold(
        [outage("IDENTIFIED", 2, etr_h=8), outage("RESOLVED", 5, end_h=4), outage("INVESTIGATING", 1)]
    )
    assert target.status == "RESOLVED"
    assert target.estimated_time_to_repair == T0 + timedelta(hours=8)  # resolution did not repeat the ETR
    assert target.end == T0 + timedelta(hours=4)


def test_fold_is_independent_of_arrival_order():
    notices = [maint("TENTATIVE", 0), maint("CONFIRMED", 1), maint(None, 2, start_h=30, end_h=34)]
    results = {repr(vars(fold(list(p)))) for p in itertools.permutations(notices)}
    assert len(results) == 1
    target = fold(notices)
    assert target.status == "CONFIRMED"  # NO-CHANGE keeps the status
    assert target.start == T0 + timedelta(hours=30)


def test_exact_tie_is_broken_by_lifecycle_rank():
    for order in itertools.permutations([maint("COMPLETED", 1), maint("IN-PROCESS", 1)]):
        assert fold(list(order)).status == "COMPLETED"


def test_impacts_are_the_union_at_the_newest_level():
    target = fold(
        [
            maint("CONFIRMED", 0, circuits=[("C1", "OUTAGE"), ("C2", "DEGRADED")]),
            maint("CONFIRMED", 1, circuits=[("C1", "NO-IMPACT")]),
            maint("CANCELLED", 2, circuits=[]),
        ]
    )
    assert target.circuits == {"C1": "NO-IMPACT", "C2": "DEGRADED"}


def test_resolved_outage_without_end_uses_the_resolving_emails_date():
    target = fold([outage("INVESTIGATING", 1), outage("RESOLVED", 3)])
    assert target.end == T0 + timedelta(hours=3)
    assert any("resolving email" in note for note in target.notes)


def test_new_event_plan_creates_event_impacts_and_notification():
    plan = plan_event([maint("CONFIRMED")], email(), None, CIRCUITS, provider_id=5)
    assert plan.create["name"] == "MAINT-1" and plan.create["provider"] == 5
    assert plan.create["status"] == "CONFIRMED"
    assert plan.impacts_create == [(1, "OUTAGE")]
    assert plan.update == {}
    assert plan.notification["subject"] == "Subject"
    assert plan.notices[0]["event_id"] == "MAINT-1"


def test_closed_new_event_is_created_open_and_closed_after_impacts():
    plan = plan_event([maint("COMPLETED")], email(), None, CIRCUITS, 5)
    assert plan.create["status"] == "CONFIRMED"
    assert plan.update == {"status": "COMPLETED"}
    assert plan.impacts_create


def test_closed_event_without_impact_changes_is_created_closed():
    plan = plan_event([maint("CANCELLED", circuits=())], email(), None, CIRCUITS, 5)
    assert plan.create["status"] == "CANCELLED" and not plan.update


def test_same_email_again_is_a_duplicate():
    first = plan_event([maint("CONFIRMED")], email(), None, CIRCUITS, 5)
    again = plan_event([maint("CONFIRMED")], email(), snapshot_of(first), CIRCUITS, 5)
    assert again.duplicate and not again.has_event_writes


def test_another_email_reusing_a_message_id_is_not_a_duplicate():
    first = plan_event([maint("CONFIRMED", 0)], email(digest="aaaa"), None, CIRCUITS, 5)
    completed = plan_event([maint("COMPLETED", 1)], email(digest="bbbb"), snapshot_of(first), CIRCUITS, 5)
    assert not completed.duplicate
    assert completed.update["status"] == "COMPLETED"


def test_older_notice_arriving_late_adds_impacts_but_changes_nothing_else():
    newer = plan_event([maint("CONFIRMED", 5, start_h=40, end_h=44)], email("<new@x>"), None, CIRCUITS, 5)
    older = maint("TENTATIVE", 1, circuits=[("C2", "DEGRADED")])
    plan = plan_event([older], email("<old@x>"), snapshot_of(newer), CIRCUITS, 5)
    assert plan.impacts_create == [(2, "DEGRADED")]
    assert set(plan.update) == {"impact"}  # only the daemon's impact text lists the new circuit


def test_moved_schedule_resets_acknowledged():
    first = plan_event([maint("CONFIRMED", 0)], email("<1@x>"), None, CIRCUITS, 5)
    snap = snapshot_of(first, acknowledged=True)
    plan = plan_event([maint("RE-SCHEDULED", 1, start_h=48, end_h=50)], email("<2@x>"), snap, CIRCUITS, 5)
    assert plan.update["acknowledged"] is False
    assert plan.update["status"] == "RE-SCHEDULED"


def test_impacts_on_a_closed_event_reopen_it_first():
    first = plan_event(
        [maint("COMPLETED", 5, circuits=[("C1", "OUTAGE")])], email("<1@x>"), None, CIRCUITS, 5
    )
    snap = snapshot_of(first)
    assert snap.status == "COMPLETED"
    plan = plan_event([maint("CONFIRMED", 1, circuits=[("C2", "OUTAGE")])], email("<2@x>"), snap, CIRCUITS, 5)
    assert plan.reopen_status == "CONFIRMED"
    assert plan.update["status"] == "COMPLETED"
    assert plan.impacts_create == [(2, "OUTAGE")]


def test_cancellation_listing_no_circuits_keeps_impacts():
    first = plan_event([maint("CONFIRMED", 0)], email("<1@x>"), None, CIRCUITS, 5)
    plan = plan_event([maint("CANCELLED", 1, circuits=())], email("<2@x>"), snapshot_of(first), CIRCUITS, 5)
    assert plan.update == {"status": "CANCELLED"}
    assert not plan.impacts_create and not plan.impacts_update


def test_unmatched_circuits_go_to_the_impact_text_and_link_later():
    plan = plan_event([maint("CONFIRMED", circuits=[("C9", "OUTAGE")])], email(), None, CIRCUITS, 5)
    assert plan.unmatched_circuits == ["C9"]
    assert "C9" in plan.create["impact"] and "Not found in NetBox" in plan.create["impact"]
    later = CircuitIndex({"C1": 1, "C9": 9})
    plan2 = plan_event([maint("CONFIRMED", 1, circuits=[])], email("<2@x>"), snapshot_of(plan), later, 5)
    assert plan2.impacts_create == [(9, "OUTAGE")]
    assert "Not found" not in plan2.update["impact"]


def test_circuits_match_case_and_whitespace_insensitively():
    index = CircuitIndex({"OGYX/123456//ZYO": 3})
    assert index.match("ogyx/123456//zyo") == 3
    assert index.match(" OGYX/123456 //ZYO") == 3
    assert index.match("OGYX/1234") is None


def test_outage_without_labelled_circuits_finds_known_cids_in_the_text():
    notice = outage("REPORTED", 0, circuits=())
    plan = plan_event([notice], email(body="Your service OGYX/123456//ZYO is down"), None, CIRCUITS, 5)
    assert plan.impacts_create == [(3, "OUTAGE")]


def test_maintenance_without_times_is_a_plan_error():
    notice = maint("CONFIRMED").model_copy(update={"start": None})
    with pytest.raises(PlanError, match="start"):
        plan_event([notice], email(), None, CIRCUITS, 5)


def test_notification_fields_respect_plugin_limits():
    meta = EmailMeta(message_id="<m>", subject="x" * 150, sender="not an address", received=T0, body="  ")
    fields = notification_fields(meta)
    assert len(fields["subject"]) == 100 and fields["subject"].endswith("…")
    assert fields["email_from"] == "unknown@unknown.invalid"
    assert fields["email_body"] == "(no text body)"


def test_an_email_with_two_events_gets_two_groups():
    other = maint("CONFIRMED").model_copy(update={"event_id": "MAINT-2"})
    assert len(group_by_event([maint("CONFIRMED"), other, maint(None, 1)])) == 2


def test_every_arrival_order_plans_to_the_same_final_fields():
    notices = [
        maint("TENTATIVE", 0, circuits=[("C1", "DEGRADED")]),
        maint("CONFIRMED", 1, circuits=[("C2", "OUTAGE")], start_h=30, end_h=31),
        maint("COMPLETED", 2, circuits=[]),
    ]
    finals = set()
    for order in itertools.permutations(range(3)):
        snap = None
        for i in order:
            plan = plan_event([notices[i]], email(f"<{i}@x>"), snap, CIRCUITS, 5)
            if snap is None:
                snap = snapshot_of(plan)
            else:
                for field_name, value in plan.update.items():
                    if field_name == "impact":
                        snap.impact_text = value
                    elif field_name != "acknowledged":
                        setattr(snap, field_name, value)
                for pk, level in plan.impacts_create:
                    snap.impacts[pk] = (100 + pk, level)
                snap.stored_notices += [Notice.model_validate(x) for x in plan.notices]
                snap.notified_emails.add((f"<{i}@x>", ""))
        finals.add((snap.status, snap.start, snap.end, tuple(sorted(snap.impacts.items())), snap.impact_text))
    assert len(finals) == 1
    status, start, _end, impacts, _text = finals.pop()
    assert status == "COMPLETED" and start == T0 + timedelta(hours=24)  # the newest notice's window
    assert dict(impacts) == {1: (101, "DEGRADED"), 2: (102, "OUTAGE")}


def test_notices_tied_on_stamp_sequence_and_status_fold_to_the_later_window():
    a = maint("CANCELLED", 1, start_h=24, end_h=28)
    b = maint("CANCELLED", 1, start_h=48, end_h=52)
    assert fold([a, b]).start == fold([b, a]).start == T0 + timedelta(hours=48)


def test_a_long_event_id_is_named_the_same_way_for_lookup_and_creation():
    long_id = "X" * 150
    notice = maint("CONFIRMED").model_copy(update={"event_id": long_id})
    plan = plan_event([notice], email(), None, CIRCUITS, 5)
    assert plan.create["name"] == event_name(long_id)
    assert len(event_name(long_id)) == 100
