"""Planning is pure: these tests need no server."""

from __future__ import annotations

import copy
import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest

from ingestor.netbox import plan as plan_module
from ingestor.netbox.fold import fold
from ingestor.netbox.plan import (
    CircuitIndex,
    EventKey,
    EventPlan,
    EventSnapshot,
    event_name,
    group_by_event,
    notification_fields,
    plan_batch,
    plan_event,
)
from ingestor.netbox.rows import SinkEmail
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


PROVIDER = 5


def writes_nothing(plan: EventPlan) -> bool:
    return not plan.has_event_writes and not plan.notifications


def key_of(notices: list[Notice]) -> EventKey:
    return EventKey(notices[0].kind, PROVIDER, event_name(notices[0].event_id))


def plan1(notices, mail=None, snapshot=None, circuits=None, key=0) -> EventPlan:
    """The plan for one email (batch key ``key``) stating ``notices`` about one event."""
    notices = list(notices)
    share = SinkEmail(key, mail or email(), notices)
    return plan_event(key_of(notices), [share], snapshot, circuits or CIRCUITS)


def applied(plan: EventPlan, snapshot: EventSnapshot | None = None, event_id=7) -> EventSnapshot:
    """What NetBox holds once ``plan`` is written on top of ``snapshot`` (None: the plan creates the
    event); impact ids are 100 + the circuit's id."""
    if snapshot is None:
        fields = plan.create
        snap = EventSnapshot(
            id=event_id,
            status=fields["status"],
            start=fields["start"],
            end=fields.get("end"),
            estimated_time_to_repair=fields.get("estimated_time_to_repair"),
            summary=fields["summary"],
            original_timezone=fields["original_timezone"],
            impact_text=fields["impact"],
            acknowledged=False,
        )
    else:
        snap = copy.deepcopy(snapshot)
    for name, value in plan.update.items():
        setattr(snap, "impact_text" if name == "impact" else name, value)
    for pk, level in plan.impacts_create:
        snap.impacts[pk] = (100 + pk, level)
    by_impact = {impact_id: pk for pk, (impact_id, _level) in snap.impacts.items()}
    for impact_id, level in plan.impacts_update:
        snap.impacts[by_impact[impact_id]] = (impact_id, level)
    for notification in plan.notifications:
        snap.stored_notices += [Notice.model_validate(n) for n in notification.record.notices]
        snap.notified_emails.add(notification.record.identity)
    return snap


def snapshot_of(plan: EventPlan, event_id=7, **overrides) -> EventSnapshot:
    """What NetBox would hold after writing a create plan: its fields, impacts, and the notices and
    identities of its notifications' records."""
    snap = applied(plan, None, event_id)
    for name, value in overrides.items():
        setattr(snap, name, value)
    return snap


def final_state(snap: EventSnapshot) -> tuple:
    """What an event shows, and the notices and emails it holds, whatever order they were stored in."""
    notices = sorted(json.dumps(n.model_dump(mode="json"), sort_keys=True) for n in snap.stored_notices)
    fields = (snap.status, snap.start, snap.end, snap.estimated_time_to_repair, snap.summary)
    return (
        *fields,
        snap.impact_text,
        tuple(sorted(snap.impacts.items())),
        tuple(notices),
        frozenset(snap.notified_emails),
    )


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
    plan = plan1([maint("CONFIRMED")], email(), None, CIRCUITS)
    assert plan.create["name"] == "MAINT-1" and plan.create["provider"] == 5
    assert plan.create["status"] == "CONFIRMED"
    assert plan.impacts_create == [(1, "OUTAGE")]
    assert plan.update == {}
    [notification] = plan.notifications
    assert notification.email_key == 0 and notification.adopt is None
    assert notification.fields["subject"] == "Subject"
    assert notification.record.identity == ("<a@x>", "")
    assert [n["event_id"] for n in notification.record.notices] == ["MAINT-1"]
    assert plan.duplicates == [] and plan.failed == {}


def test_closed_new_event_is_created_open_and_closed_after_impacts():
    plan = plan1([maint("COMPLETED")], email(), None, CIRCUITS)
    assert plan.create["status"] == "CONFIRMED"
    assert plan.update == {"status": "COMPLETED"}
    assert plan.impacts_create


def test_closed_event_without_impact_changes_is_created_closed():
    plan = plan1([maint("CANCELLED", circuits=())], email(), None, CIRCUITS)
    assert plan.create["status"] == "CANCELLED" and not plan.update


def test_same_email_again_is_a_duplicate():
    first = plan1([maint("CONFIRMED")], email(), None, CIRCUITS)
    again = plan1([maint("CONFIRMED")], email(), snapshot_of(first), CIRCUITS, key=3)
    assert again.duplicates == [3] and writes_nothing(again)


def test_the_same_email_twice_in_one_batch_is_written_once():
    shares = [SinkEmail(k, email(), [maint("CONFIRMED")]) for k in (0, 1)]
    plan = plan_event(key_of([maint("CONFIRMED")]), shares, None, CIRCUITS)
    assert [n.email_key for n in plan.notifications] == [0]
    assert plan.duplicates == [1]


def test_another_email_reusing_a_message_id_is_not_a_duplicate():
    first = plan1([maint("CONFIRMED", 0)], email(digest="aaaa"), None, CIRCUITS)
    completed = plan1([maint("COMPLETED", 1)], email(digest="bbbb"), snapshot_of(first), CIRCUITS)
    assert not completed.duplicates and len(completed.notifications) == 1
    assert completed.update["status"] == "COMPLETED"


def test_older_notice_arriving_late_adds_impacts_but_changes_nothing_else():
    newer = plan1([maint("CONFIRMED", 5, start_h=40, end_h=44)], email("<new@x>"), None, CIRCUITS)
    older = maint("TENTATIVE", 1, circuits=[("C2", "DEGRADED")])
    plan = plan1([older], email("<old@x>"), snapshot_of(newer), CIRCUITS)
    assert plan.impacts_create == [(2, "DEGRADED")]
    assert set(plan.update) == {"impact"}  # only the daemon's impact text lists the new circuit


def test_moved_schedule_resets_acknowledged():
    first = plan1([maint("CONFIRMED", 0)], email("<1@x>"), None, CIRCUITS)
    snap = snapshot_of(first, acknowledged=True)
    plan = plan1([maint("RE-SCHEDULED", 1, start_h=48, end_h=50)], email("<2@x>"), snap, CIRCUITS)
    assert plan.update["acknowledged"] is False
    assert plan.update["status"] == "RE-SCHEDULED"


def test_impacts_on_a_closed_event_reopen_it_first():
    first = plan1([maint("COMPLETED", 5, circuits=[("C1", "OUTAGE")])], email("<1@x>"), None, CIRCUITS)
    snap = snapshot_of(first)
    assert snap.status == "COMPLETED"
    plan = plan1([maint("CONFIRMED", 1, circuits=[("C2", "OUTAGE")])], email("<2@x>"), snap, CIRCUITS)
    assert plan.reopen_status == "CONFIRMED"
    assert plan.update["status"] == "COMPLETED"
    assert plan.impacts_create == [(2, "OUTAGE")]


def test_cancellation_listing_no_circuits_keeps_impacts():
    first = plan1([maint("CONFIRMED", 0)], email("<1@x>"), None, CIRCUITS)
    plan = plan1([maint("CANCELLED", 1, circuits=())], email("<2@x>"), snapshot_of(first), CIRCUITS)
    assert plan.update == {"status": "CANCELLED"}
    assert not plan.impacts_create and not plan.impacts_update


def test_unmatched_circuits_go_to_the_impact_text_and_link_later():
    plan = plan1([maint("CONFIRMED", circuits=[("C9", "OUTAGE")])], email(), None, CIRCUITS)
    assert plan.unmatched_circuits == ["C9"]
    assert "C9" in plan.create["impact"] and "Not found in NetBox" in plan.create["impact"]
    later = CircuitIndex({"C1": 1, "C9": 9})
    plan2 = plan1([maint("CONFIRMED", 1, circuits=[])], email("<2@x>"), snapshot_of(plan), later)
    assert plan2.impacts_create == [(9, "OUTAGE")]
    assert "Not found" not in plan2.update["impact"]


def test_circuits_match_case_and_whitespace_insensitively():
    index = CircuitIndex({"OGYX/123456//ZYO": 3})
    assert index.match("ogyx/123456//zyo") == 3
    assert index.match(" OGYX/123456 //ZYO") == 3
    assert index.match("OGYX/1234") is None


def test_outage_without_labelled_circuits_finds_known_cids_in_the_text():
    notice = outage("REPORTED", 0, circuits=())
    plan = plan1([notice], email(body="Your service OGYX/123456//ZYO is down"), None, CIRCUITS)
    assert plan.impacts_create == [(3, "OUTAGE")]


def test_maintenance_without_times_fails_the_email():
    notice = maint("CONFIRMED").model_copy(update={"start": None})
    plan = plan1([notice], email(), None, CIRCUITS, key=4)
    assert plan.failed == {4: "maintenance MAINT-1: no notice states a start time"}
    assert writes_nothing(plan)


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
            snap = applied(plan1([notices[i]], email(f"<{i}@x>"), snap, CIRCUITS), snap)
        finals.add(final_state(snap))
    assert len(finals) == 1
    status, start, _end, _etr, _summary, _text, impacts, stored, emails = finals.pop()
    assert status == "COMPLETED" and start == T0 + timedelta(hours=24)  # the newest notice's window
    assert dict(impacts) == {1: (101, "DEGRADED"), 2: (102, "OUTAGE")}
    assert len(stored) == 3 and emails == {(f"<{i}@x>", "") for i in range(3)}


LIFECYCLE = [
    maint("TENTATIVE", 0, circuits=[("C1", "DEGRADED")], summary="first word"),
    maint("CONFIRMED", 1, circuits=[("C2", "OUTAGE")], start_h=30, end_h=31),
    maint(None, 2, circuits=[("C1", "OUTAGE")], summary="later word"),
    maint("COMPLETED", 3, circuits=[], summary=None),
]


def one_by_one(order, snap=None) -> EventSnapshot:
    for i in order:
        snap = applied(plan1([LIFECYCLE[i]], email(f"<{i}@x>"), snap, CIRCUITS, key=i), snap)
    return snap


def in_one_batch(order, snap=None) -> tuple[EventPlan, EventSnapshot]:
    shares = [SinkEmail(i, email(f"<{i}@x>"), [LIFECYCLE[i]]) for i in order]
    plan = plan_event(key_of(LIFECYCLE), shares, snap, CIRCUITS)
    return plan, applied(plan, snap)


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))), ids=str)
def test_a_batch_of_an_events_emails_ends_as_applying_them_one_by_one(order):
    plan, batch = in_one_batch(order)
    assert final_state(batch) == final_state(one_by_one(order))
    assert [n.email_key for n in plan.notifications] == list(order)  # one notification per email
    assert plan.impacts_create == [(1, "OUTAGE"), (2, "OUTAGE")] and not plan.impacts_update
    assert batch.status == "COMPLETED" and batch.summary == "later word"


@pytest.mark.parametrize("split", [1, 2, 3])
def test_a_batch_on_top_of_stored_emails_ends_as_applying_them_one_by_one(split):
    stored = one_by_one(range(split))
    plan, batch = in_one_batch(range(split, 4), copy.deepcopy(stored))
    assert final_state(batch) == final_state(one_by_one(range(4)))
    assert plan.event_id == 7 and plan.create is None


def test_emails_that_together_cannot_make_a_valid_event_all_fail():
    timeless = maint("CONFIRMED").model_copy(update={"start": None, "end": None})
    shares = [SinkEmail(k, email(f"<{k}@x>"), [timeless]) for k in (0, 1)]
    plan = plan_event(key_of([timeless]), shares, None, CIRCUITS)
    assert plan.failed == dict.fromkeys((0, 1), "maintenance MAINT-1: no notice states a start time")
    assert writes_nothing(plan)


def test_an_email_lacking_times_is_taken_when_another_of_the_batch_states_them():
    """The fold of the whole batch is valid: every email is kept, as in the order valid email first."""
    timeless = maint("COMPLETED", 2).model_copy(update={"start": None, "end": None})
    shares = [SinkEmail(0, email("<0@x>"), [timeless]), SinkEmail(1, email("<1@x>"), [maint("CONFIRMED")])]
    plan = plan_event(key_of([timeless]), shares, None, CIRCUITS)
    assert plan.failed == {} and [n.email_key for n in plan.notifications] == [0, 1]
    assert plan.update == {"status": "COMPLETED"} and plan.create["start"] == T0 + timedelta(hours=24)


def test_an_email_that_would_make_the_fold_invalid_fails_alone(monkeypatch):
    """Greedy acceptance: when the whole batch does not fold into a valid event, emails are taken in
    batch order and each is kept only if the fold with it stays valid. Today's rules (a maintenance
    needs a start and an end) only grow more valid with more notices, so this stands in a rule that an
    email can break (a poisoned summary) to pin the algorithm down."""
    real = plan_module._folded_target

    def folded_target(notices):
        if any(n.summary == "poison" for n in notices):
            raise plan_module.PlanError("poisoned summary")
        return real(notices)

    monkeypatch.setattr(plan_module, "_folded_target", folded_target)
    poisoned = maint("COMPLETED", 2, summary="poison")
    shares = [
        SinkEmail(0, email("<0@x>"), [maint("TENTATIVE", 0)]),
        SinkEmail(1, email("<1@x>"), [poisoned]),
        SinkEmail(2, email("<2@x>"), [maint("CONFIRMED", 1)]),
    ]
    plan = plan_event(key_of([poisoned]), shares, None, CIRCUITS)
    assert plan.failed == {1: "poisoned summary"}
    assert [n.email_key for n in plan.notifications] == [0, 2]
    assert plan.create["status"] == "CONFIRMED"  # the fold of the emails kept, not the poisoned COMPLETED
    assert plan.message_ids == ["<0@x>", "<2@x>"]


def test_plan_batch_takes_an_email_failing_for_one_event_out_of_all_its_events():
    """Email 1 names MAINT-1 (valid) and MAINT-2 (no times): it fails for both, so MAINT-1 is planned
    from email 0 alone; email 2 names only MAINT-2 and fails there with it."""
    m2 = maint("CONFIRMED").model_copy(update={"event_id": "MAINT-2", "start": None, "end": None})
    completing = maint("COMPLETED", 3, circuits=[("C2", "OUTAGE")])
    inputs = [
        (
            key_of([completing]),
            [
                SinkEmail(0, email("<0@x>"), [maint("CONFIRMED")]),
                SinkEmail(1, email("<1@x>"), [completing]),
            ],
            None,
            CIRCUITS,
        ),
        (
            key_of([m2]),
            [SinkEmail(1, email("<1@x>"), [m2]), SinkEmail(2, email("<2@x>"), [m2])],
            None,
            CIRCUITS,
        ),
    ]
    first, second = plan_batch(inputs)
    reason = "maintenance MAINT-2: no notice states a start time"
    assert second.failed == {1: reason, 2: reason} and writes_nothing(second)
    assert first.failed == {1: reason}
    assert [n.email_key for n in first.notifications] == [0]
    assert first.create["status"] == "CONFIRMED" and first.update == {}  # not email 1's COMPLETED
    assert first.impacts_create == [(1, "OUTAGE")]  # nor its circuit C2
    alone = plan1([maint("CONFIRMED")], email("<0@x>"), None, CIRCUITS)
    assert (first.create, first.impacts_create, first.update) == (
        alone.create,
        alone.impacts_create,
        alone.update,
    )


def test_notices_tied_on_stamp_sequence_and_status_fold_to_the_later_window():
    a = maint("CANCELLED", 1, start_h=24, end_h=28)
    b = maint("CANCELLED", 1, start_h=48, end_h=52)
    assert fold([a, b]).start == fold([b, a]).start == T0 + timedelta(hours=48)


def test_a_long_event_id_is_named_the_same_way_for_lookup_and_creation():
    long_id = "X" * 150
    notice = maint("CONFIRMED").model_copy(update={"event_id": long_id})
    plan = plan1([notice], email(), None, CIRCUITS)
    assert plan.create["name"] == event_name(long_id)
    assert len(event_name(long_id)) == 100
