"""NetBoxGateway and the batched sink through faults and races, on an in-memory NetBox
(tests/unit/memory_netbox.py).

What must hold: a transient fault is retried and a rejection is not; a request NetBox refuses is split
until only the emails of the event at fault fail, and one that keeps failing while NetBox answers defers
only its event's emails; a create whose answer was lost is never duplicated; two writers of one event
converge on the oldest event, on one notification per email, and on the fold of every stored notice; an
email's identity is read from its journal record, from an earlier version's custom fields, or adopted
from the content of a notification whose record was never written; and a batch costs a handful of
requests, whatever its size.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from ingestor.netbox.catalog import Catalog
from ingestor.netbox.client import NetBoxRejected, NetBoxUnavailable
from ingestor.netbox.fold import fold
from ingestor.netbox.records import EmailRecord, journal_entry
from ingestor.netbox.sink import NetBoxSink, SinkEmail
from ingestor.netbox.write import EVENTS_PER_CREATE
from ingestor.outcome import Outcome
from parsers.models import CircuitImpact, EmailMeta, Notice

from .memory_netbox import OBJECT_TYPES, MemoryGateway, MemoryNetBox, lost_answer
from .test_netbox_faults import request_error

WINDOW = datetime(2026, 12, 1, 22, tzinfo=UTC)
JOURNAL = "extras.journal_entries"
NOTIFICATION = "eventnotification"


def notice(status: str | None, stamp_hour: int, event: str = "MW-1", moved_hours: int = 0, **extra) -> Notice:
    return Notice(
        kind="maintenance",
        provider="acme",
        event_id=event,
        status=status,
        start=WINDOW + timedelta(hours=moved_hours),
        end=WINDOW + timedelta(hours=moved_hours + 6),
        circuits=[{"circuit_id": "ACME-1", "impact": "OUTAGE"}],
        stamp=datetime(2026, 11, 20, stamp_hour, tzinfo=UTC),
        **extra,
    )


def email(n: int, event: str = "MW-1") -> EmailMeta:
    return EmailMeta(
        message_id=f"<mail-{n}@acme.example>",
        subject=f"Maintenance {event} #{n}",
        sender="noc@acme.example",
        received=datetime(2026, 11, 20, tzinfo=UTC) + timedelta(minutes=n),
        body=f"body {n}",
        body_digest=f"digest-{n}",
    )


def mail(n: int, *notices: Notice) -> SinkEmail:
    """Email ``n`` (its key in the batch) stating ``notices``."""
    return SinkEmail(n, email(n, notices[0].event_id), list(notices))


@pytest.fixture
def db() -> MemoryNetBox:
    db = MemoryNetBox()
    provider = db.insert("circuits.providers", {"name": "Acme", "slug": "acme"})
    db.insert("circuits.circuits", {"cid": "ACME-1", "provider": provider["id"]})
    return db


def provider_id(db: MemoryNetBox) -> int:
    return db.rows("circuits.providers")[0]["id"]


def sink(db: MemoryNetBox, retries: int = 3) -> NetBoxSink:
    return NetBoxSink(Catalog(MemoryGateway(db, retries)), slug_for=lambda provider: provider)


def outcomes(results) -> dict[int, Outcome]:
    return {key: result.outcome for key, result in results.items()}


def recorded(db: MemoryNetBox, twice: bool = False) -> dict[int, str]:
    """Message-ID each notification's journal record names (a plain parse of the fenced JSON block: one
    entry per event and batch, on the first of its notifications); a notification must not have two
    records (``twice``: two that name the same email are allowed)."""
    found: dict[int, str] = {}
    for entry in db.rows(JOURNAL):
        assert entry["assigned_object_type"] == "notices.eventnotification"
        data = json.loads(re.search(r"```json\n(.*?)\n```", entry["comments"], re.DOTALL).group(1))
        assert data["records"][0]["notification"] == entry["assigned_object_id"], (
            "not on its first notification"
        )
        for item in data["records"]:
            notification = item["notification"]
            if notification in found:
                assert twice, "two records on one notification"
                assert found[notification] == item["message_id"], "records naming two emails"
            found[notification] = item["message_id"]
    return found


def stored_emails(db: MemoryNetBox, twice: bool = False) -> list[str]:
    """Message-IDs of the notifications NetBox holds, each checked to have its record."""
    records = recorded(db, twice)
    notifications = [row["id"] for row in db.rows(NOTIFICATION)]
    assert sorted(records) == sorted(notifications), "every notification has exactly one record"
    return sorted(records.values())


def event(db: MemoryNetBox, name: str = "MW-1") -> dict:
    [row] = [row for row in db.rows("maintenance") if row["name"] == name]
    return row


def their_notification(db: MemoryNetBox, event_id: int, n: int) -> dict:
    """Another instance's notification of email ``n``, without its record (yet)."""
    meta = email(n)
    return db.insert(
        NOTIFICATION,
        {
            "event_content_type": OBJECT_TYPES["notices.maintenance"],
            "event_object_id": event_id,
            "subject": meta.subject,
            "email_from": meta.sender,
            "email_received": meta.received.isoformat(),
            "email_body": meta.body,
        },
    )


def another_writers_notification(db: MemoryNetBox, event_id: int, n: int, *notices: Notice) -> int:
    """What another instance stores for email ``n``: the notification, then its journal record."""
    meta = email(n)
    row = their_notification(db, event_id, n)
    record = EmailRecord(meta.message_id, meta.body_digest, [n.model_dump(mode="json") for n in notices])
    db.insert(JOURNAL, journal_entry([(row["id"], record)]))
    return row["id"]


# -- the gateway: one classifier, retries, bulk reads ------------------------------------------------------


def test_transient_faults_are_retried_until_they_pass(db):
    gateway = MemoryGateway(db, retries=3)
    db.inject("circuits.providers", "GET", request_error(502), times=2)
    assert gateway.list("circuits.providers", slug="acme")[0]["id"] == provider_id(db)
    assert db.count("circuits.providers", "GET") == 3


def test_transient_faults_past_the_retries_make_netbox_unavailable(db):
    gateway = MemoryGateway(db, retries=2)
    db.inject("circuits.providers", "GET", request_error(500), times=3)
    with pytest.raises(NetBoxUnavailable, match="HTTP 500"):
        gateway.list("circuits.providers", slug="acme")
    assert db.count("circuits.providers", "GET") == 3


def test_a_rejection_is_not_retried(db):
    gateway = MemoryGateway(db, retries=3)
    db.inject("maintenance", "POST", request_error(400, {"end": ["must be after start"]}))
    with pytest.raises(NetBoxRejected, match="must be after start"):
        gateway.create("maintenance", [{"name": "MW-1", "provider": provider_id(db)}], "")
    assert db.count("maintenance", "POST") == 1
    assert db.rows("maintenance") == []


def test_a_listing_asks_for_any_of_a_filters_values_in_url_sized_chunks(db):
    gateway = MemoryGateway(db)
    names = [f"MAINTENANCE-WINDOW-{i:04d}" for i in range(400)]
    for name in names:
        db.insert("maintenance", {"name": name, "provider": provider_id(db)})
    rows = gateway.list("maintenance", name=names[:3] + ["NOT-THERE"])
    assert sorted(row["name"] for row in rows) == names[:3]
    assert gateway.list("maintenance", name=[]) == []  # any of no values: nothing, and no request
    assert db.count("maintenance", "GET") == 1
    every = gateway.list("maintenance", name=names)
    assert sorted(row["name"] for row in every) == names
    assert db.count("maintenance", "GET") > 2  # one URL would be too long: several requests


# -- one batch: what fails, fails alone -------------------------------------------------------------------


def test_a_transient_fault_on_a_write_is_retried_and_the_email_ingested(db):
    db.inject(NOTIFICATION, "POST", request_error(502), times=2)
    results = sink(db).write([mail(1, notice("CONFIRMED", 1))])
    assert outcomes(results) == {1: Outcome.INGESTED}
    assert db.count(NOTIFICATION, "POST") == 3
    assert stored_emails(db) == ["<mail-1@acme.example>"]


def test_a_refused_event_fails_only_its_own_emails_and_is_not_retried(db):
    """NetBox refuses the bulk create for one event: the request is split until that event is alone; the
    other event of the batch is ingested, and the refusal is sent no more than the split needs, plus once
    on a fresh read (a refusal may be a race's)."""
    db.refuse(
        "maintenance",
        "POST",
        lambda item: request_error(400, {"end": ["must be after start"]}) if item["name"] == "MW-2" else None,
    )
    batch = [
        mail(1, notice("CONFIRMED", 1)),
        mail(2, notice("CONFIRMED", 2, event="MW-2")),
        mail(3, notice("CONFIRMED", 3)),
    ]
    results = sink(db).write(batch)
    assert outcomes(results) == {1: Outcome.INGESTED, 2: Outcome.FAILED, 3: Outcome.INGESTED}
    assert "must be after start" in results[2].reason
    # the whole request, then each half once: MW-1 stored, MW-2 refused again; then MW-2 planned on a
    # fresh read, refused a third time and given up
    assert db.count("maintenance", "POST") == 4
    assert [row["name"] for row in db.rows("maintenance")] == ["MW-1"]
    assert stored_emails(db) == ["<mail-1@acme.example>", "<mail-3@acme.example>"]
    assert len(db.rows("impact")) == 1


def test_a_persistent_server_error_on_one_event_defers_only_its_emails(db):
    """One event's notification keeps failing with 500 while NetBox answers its status probe: that
    event's email waits for a later try, the other is ingested; once the fault is gone it goes in."""
    poison = {"on": True}
    db.refuse(
        NOTIFICATION,
        "POST",
        lambda item: request_error(500) if poison["on"] and "MW-2" in item["subject"] else None,
    )
    batch = [mail(1, notice("CONFIRMED", 1)), mail(2, notice("CONFIRMED", 2, event="MW-2"))]
    results = sink(db, retries=1).write(batch)
    assert outcomes(results) == {1: Outcome.INGESTED, 2: Outcome.DEFERRED}
    assert "HTTP 500" in results[2].reason
    # whole request twice (one retry), then the halves: MW-1 once, MW-2 twice
    assert db.count(NOTIFICATION, "POST") == 5
    assert db.count("status", "GET") >= 1
    assert stored_emails(db) == ["<mail-1@acme.example>"]

    poison["on"] = False
    assert outcomes(sink(db).write([batch[1]])) == {2: Outcome.INGESTED}
    assert sorted(row["name"] for row in db.rows("maintenance")) == ["MW-1", "MW-2"]
    assert stored_emails(db) == ["<mail-1@acme.example>", "<mail-2@acme.example>"]


def test_netbox_not_answering_makes_the_whole_batch_wait(db):
    db.answering = False
    db.refuse("maintenance", "POST", lambda _item: request_error(503))
    batch = [mail(1, notice("CONFIRMED", 1)), mail(2, notice("CONFIRMED", 2, event="MW-2"))]
    with pytest.raises(NetBoxUnavailable, match="HTTP 503"):
        sink(db, retries=1).write(batch)
    assert db.count("maintenance", "POST") == 2  # retried, never split
    assert db.count("status", "GET") == 3  # the status probe asked, each time in vain
    assert db.writes() == [("maintenance", "POST")] * 2
    assert db.rows("maintenance") == []


def test_an_email_naming_an_unknown_provider_fails_alone(db):
    stranger = notice("CONFIRMED", 2).model_copy(update={"provider": "nobody"})
    from_stranger = SinkEmail(2, email(2).model_copy(update={"sender": "noc@nobody.example"}), [stranger])
    results = sink(db).write([mail(1, notice("CONFIRMED", 1)), from_stranger])
    assert outcomes(results) == {1: Outcome.INGESTED, 2: Outcome.FAILED}
    assert "no NetBox provider with slug 'nobody'" in results[2].reason
    assert "nor one for the sender's domain nobody.example" in results[2].reason
    assert stored_emails(db) == ["<mail-1@acme.example>"]


def test_an_email_that_cannot_make_its_event_fails_and_leaves_nothing_of_it(db):
    """Email 2 names MW-1 and MW-2, but no notice of MW-2 states a time: it fails, and its MW-1 notice is
    not stored either (an email's effect is all or nothing); email 1 goes in."""
    timeless = notice("CONFIRMED", 2, event="MW-2").model_copy(update={"start": None, "end": None})
    batch = [mail(1, notice("CONFIRMED", 1)), mail(2, notice("COMPLETED", 2), timeless)]
    results = sink(db).write(batch)
    assert outcomes(results) == {1: Outcome.INGESTED, 2: Outcome.FAILED}
    assert results[2].reason == "NetBox: maintenance MW-2: no notice states a start time"
    assert [row["name"] for row in db.rows("maintenance")] == ["MW-1"]
    assert event(db)["status"] == "CONFIRMED"  # not email 2's COMPLETED
    assert stored_emails(db) == ["<mail-1@acme.example>"]


def test_a_maintenance_and_an_outage_sharing_an_id_keep_their_own_notifications(db):
    outage = Notice(
        kind="outage",
        provider="acme",
        event_id="TT-1",
        status="INVESTIGATING",
        start=WINDOW,
        circuits=[{"circuit_id": "ACME-1"}],
        stamp=datetime(2026, 11, 20, 2, tzinfo=UTC),
    )
    first = sink(db).write([mail(1, notice("CONFIRMED", 1)), mail(2, outage)])
    assert outcomes(first) == {1: Outcome.INGESTED, 2: Outcome.INGESTED}
    assert db.rows("maintenance")[0]["id"] == db.rows("outage")[0]["id"]  # each table has its own ids
    resolved = outage.model_copy(
        update={"status": "RESOLVED", "stamp": datetime(2026, 11, 20, 3, tzinfo=UTC)}
    )
    db.requests.clear()
    again = sink(db).write([mail(1, notice("CONFIRMED", 1)), mail(2, outage), mail(3, resolved)])
    assert outcomes(again) == {1: Outcome.DUPLICATE, 2: Outcome.DUPLICATE, 3: Outcome.INGESTED}
    assert db.writes() == [("outage", "PATCH"), (NOTIFICATION, "POST"), (JOURNAL, "POST")]
    assert db.rows("outage")[0]["status"] == "RESOLVED"
    assert db.rows("maintenance")[0]["status"] == "CONFIRMED"


def test_a_dry_run_reports_without_writing(db):
    results = NetBoxSink(Catalog(MemoryGateway(db)), lambda p: p, dry_run=True).write(
        [mail(1, notice("CONFIRMED", 1))]
    )
    assert outcomes(results) == {1: Outcome.INGESTED}
    assert db.writes() == []


# -- lost answers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["maintenance", "impact", NOTIFICATION, JOURNAL])
@pytest.mark.parametrize("fault", [lambda: request_error(500), lost_answer], ids=["500", "timeout"])
def test_a_create_whose_answer_was_lost_is_not_duplicated(db, model, fault):
    db.inject(model, "POST", fault(), after=True)
    results = sink(db).write([mail(1, notice("CONFIRMED", 1))])
    assert outcomes(results) == {1: Outcome.INGESTED}
    assert [row["id"] for row in db.rows("maintenance")] == [e.id for e in results[1].events.values()]
    assert len(db.rows("impact")) == 1
    assert stored_emails(db) == ["<mail-1@acme.example>"]
    assert db.count(model, "POST") == 1  # the look-up found it: nothing was sent twice


def test_an_impact_another_writer_stored_first_is_found_after_the_integrity_error(db):
    """The plugin answers 500 to a second identical impact: the retry looks it up instead of sending it
    again."""
    assert outcomes(sink(db).write([mail(1, notice("CONFIRMED", 1))])) == {1: Outcome.INGESTED}
    row, [impact] = event(db), db.rows("impact")
    db.tables["impact"], db.requests = [], []
    db.before("impact", "POST", lambda _items: db.tables["impact"].append(impact))  # the other writer's
    results = sink(db).write([mail(2, notice("CONFIRMED", 2))])
    assert outcomes(results) == {2: Outcome.INGESTED}
    assert db.rows("impact") == [impact] and impact["event_object_id"] == row["id"]
    assert db.count("impact", "POST") == 1  # refused once, then found


# -- two writers ------------------------------------------------------------------------------------------


def another_writer_creates_the_event_just_before_ours(db: MemoryNetBox) -> dict:
    """Their event (filled in once it exists), older than the one our next create makes."""
    theirs: dict = {}
    db.before(
        "maintenance",
        "POST",
        lambda _items: theirs.update(
            db.insert("maintenance", {"name": "MW-1", "provider": provider_id(db), "status": "TENTATIVE"})
        ),
    )
    return theirs


def test_the_writer_whose_event_is_not_the_oldest_removes_it_and_plans_again(db):
    theirs = another_writer_creates_the_event_just_before_ours(db)
    results = sink(db).write([mail(1, notice("CONFIRMED", 1))])
    assert outcomes(results) == {1: Outcome.INGESTED}
    assert db.count("maintenance", "DELETE") == 1  # ours
    assert [row["id"] for row in db.rows("maintenance")] == [theirs["id"]]
    assert event(db)["status"] == "CONFIRMED"  # planned again on their event: our email's fold
    [impact] = db.rows("impact")
    assert impact["event_object_id"] == theirs["id"]
    [notification] = db.rows(NOTIFICATION)
    assert notification["event_object_id"] == theirs["id"]
    assert stored_emails(db) == ["<mail-1@acme.example>"]


def test_a_lost_answer_while_another_writer_created_the_event_first_still_converges(db):
    """Our create lands after theirs and its answer is lost: the look-up must not take their (older)
    event for ours, which would leave ours behind as a stray copy and theirs without our fold."""
    theirs = another_writer_creates_the_event_just_before_ours(db)
    db.inject("maintenance", "POST", lost_answer(), after=True)
    assert outcomes(sink(db).write([mail(1, notice("CONFIRMED", 1))])) == {1: Outcome.INGESTED}
    assert [row["id"] for row in db.rows("maintenance")] == [theirs["id"]]
    assert event(db)["status"] == "CONFIRMED"
    assert [n["event_object_id"] for n in db.rows(NOTIFICATION)] == [theirs["id"]]
    assert stored_emails(db) == ["<mail-1@acme.example>"]


FIRST, OURS, OTHER = notice("TENTATIVE", 1), notice("CONFIRMED", 3), notice("RE-SCHEDULED", 9, moved_hours=24)


def another_writer_between_our_read_and_our_writes(db: MemoryNetBox) -> dict:
    """Email 1 (TENTATIVE) is stored; then, while we write email 3 (CONFIRMED), another writer stores
    email 9 (RE-SCHEDULED, the newest, a moved window) just before our PATCH lands. Returns the event."""
    assert outcomes(sink(db).write([mail(1, FIRST)])) == {1: Outcome.INGESTED}
    row = event(db)

    def other_writer(_items):
        row.update(status="RE-SCHEDULED", start=OTHER.start.isoformat(), end=OTHER.end.isoformat())
        another_writers_notification(db, row["id"], 9, OTHER)

    db.before("maintenance", "PATCH", other_writer)
    return row


def test_notifications_stored_meanwhile_are_folded_in(db):
    """Our PATCH (CONFIRMED, from the fold we planned) lands after the other writer's. Settling finds its
    notification and re-folds: the event ends in the fold of all three emails, as in
    one-after-the-other order."""
    row = another_writer_between_our_read_and_our_writes(db)
    assert outcomes(sink(db).write([mail(3, OURS)])) == {3: Outcome.INGESTED}
    target = fold([FIRST, OURS, OTHER])
    assert (row["status"], row["start"], row["end"]) == (
        target.status,
        target.start.isoformat(),
        target.end.isoformat(),
    )
    assert target.status == "RE-SCHEDULED"
    assert db.count("maintenance", "PATCH") == 2  # ours, then the re-fold
    assert stored_emails(db) == [f"<mail-{n}@acme.example>" for n in (1, 3, 9)]


def test_a_refold_netbox_refuses_leaves_the_stored_email_ingested(db):
    """Our email is stored whole before the re-fold: NetBox refusing the re-fold must not fail it (it
    would be quarantined while NetBox holds it). The next email about the event folds every notice."""
    row = another_writer_between_our_read_and_our_writes(db)
    refusing = {"on": True}
    db.refuse(
        "maintenance",
        "PATCH",
        lambda item: (
            request_error(400, {"status": ["refused"]})
            if refusing["on"] and item.get("status") == "RE-SCHEDULED"
            else None
        ),
    )
    results = sink(db).write([mail(3, OURS)])
    assert outcomes(results) == {3: Outcome.INGESTED} and results[3].reason == ""
    assert row["status"] == "CONFIRMED"  # the re-fold was refused
    assert stored_emails(db) == [f"<mail-{n}@acme.example>" for n in (1, 3, 9)]

    refusing["on"] = False
    assert outcomes(sink(db).write([mail(4, notice("TENTATIVE", 4))])) == {4: Outcome.INGESTED}
    assert (row["status"], row["start"]) == ("RE-SCHEDULED", OTHER.start.isoformat())


def test_a_second_notification_of_one_email_is_removed_by_its_newer_writer(db):
    """The writer that recorded the email second removes its notification and reports a duplicate."""
    assert outcomes(sink(db).write([mail(1, notice("CONFIRMED", 1))])) == {1: Outcome.INGESTED}
    first = db.rows(NOTIFICATION)[0]

    # a replay beside the daemon: both planned email 2 before either wrote its notification
    def other_writer(items):
        another_writers_notification(db, items[0]["event_object_id"], 2, notice("CONFIRMED", 2))

    db.before(NOTIFICATION, "POST", other_writer)
    results = sink(db).write([mail(2, notice("CONFIRMED", 2))])
    assert outcomes(results) == {2: Outcome.DUPLICATE}
    assert [event.duplicate for event in results[2].events.values()] == [True]
    rows = db.rows(NOTIFICATION)
    assert db.count(NOTIFICATION, "DELETE") == 1
    assert [r["id"] for r in rows] == [first["id"], first["id"] + 1]  # the other writer's (older) stays
    assert stored_emails(db) == ["<mail-1@acme.example>", "<mail-2@acme.example>"]


# -- where an email's identity is read from ----------------------------------------------------------------


def test_a_notification_whose_record_was_never_written_is_adopted(db):
    """NetBox stopped answering between the notification and its journal record: the email waits. Its
    next try finds the notification by content and writes only the record."""
    batch = [mail(1, notice("CONFIRMED", 1))]
    db.answering = False
    db.refuse(JOURNAL, "POST", lambda _item: request_error(503) if not db.answering else None)
    with pytest.raises(NetBoxUnavailable):
        sink(db, retries=1).write(batch)
    [orphan] = db.rows(NOTIFICATION)
    assert db.rows(JOURNAL) == []

    db.answering = True
    db.requests.clear()
    assert outcomes(sink(db).write(batch)) == {1: Outcome.INGESTED}
    assert db.writes() == [(JOURNAL, "POST")]
    assert recorded(db) == {orphan["id"]: "<mail-1@acme.example>"}
    assert db.rows(NOTIFICATION) == [orphan]


def twins() -> list[SinkEmail]:
    """Two different emails whose notifications read the same (subject, sender, date, text): one notice
    sent twice with other HTML, as Equinix does (the shared corpus' equinix7 and equinix8)."""
    first = email(1)
    second = first.model_copy(update={"message_id": "<mail-1-again@acme.example>", "body_digest": "other"})
    return [SinkEmail(1, first, [FIRST]), SinkEmail(2, second, [FIRST])]


def test_notifications_that_read_the_same_are_adopted_one_email_each(db):
    """Both twins' notifications lost their records (NetBox stopped answering): on their next try each
    adopts one of them, never both the same one (kill -9 in the fault suite ended so)."""
    db.answering = False
    db.refuse(JOURNAL, "POST", lambda _item: request_error(503) if not db.answering else None)
    with pytest.raises(NetBoxUnavailable):
        sink(db, retries=1).write(twins())
    assert len(db.rows(NOTIFICATION)) == 2 and db.rows(JOURNAL) == []

    db.answering = True
    assert outcomes(sink(db).write(twins())) == {1: Outcome.INGESTED, 2: Outcome.INGESTED}
    assert len(db.rows(NOTIFICATION)) == 2
    assert stored_emails(db) == ["<mail-1-again@acme.example>", "<mail-1@acme.example>"]


@pytest.mark.parametrize("earlier", [False, True], ids=["alone", "after-an-earlier-twin"])
def test_a_lost_answer_for_notifications_that_read_the_same_finds_each_its_own(db, earlier):
    """The answer to the twins' notification POST is lost: the look-up finds two rows that read the same
    and gives one to each — and none of a notification that was there before (an earlier email that
    reads the same), which is another email's."""
    if earlier:
        earlier_twin = SinkEmail(
            3, twins()[0].email.model_copy(update={"message_id": "<m3@acme.example>"}), [FIRST]
        )
        assert outcomes(sink(db).write([earlier_twin])) == {3: Outcome.INGESTED}
    db.inject(NOTIFICATION, "POST", lost_answer(), after=True)
    assert set(outcomes(sink(db).write(twins())).values()) == {Outcome.INGESTED}
    assert len(db.rows(NOTIFICATION)) == 2 + earlier
    assert stored_emails(db) == sorted(
        ["<mail-1-again@acme.example>", "<mail-1@acme.example>"] + (["<m3@acme.example>"] if earlier else [])
    )


def test_records_an_earlier_version_kept_in_custom_fields_are_read(db):
    legacy = notice("CONFIRMED", 5)
    assert outcomes(sink(db).write([mail(1, legacy)])) == {1: Outcome.INGESTED}
    [notification] = db.rows(NOTIFICATION)
    notification["custom_fields"] = {
        "ingestor_message_id": "<mail-1@acme.example>",
        "ingestor_email_digest": "digest-1",
        "ingestor_notices": [legacy.model_dump(mode="json")],
    }
    db.tables[JOURNAL] = []
    db.requests.clear()

    again = sink(db).write([mail(1, legacy)])
    assert outcomes(again) == {1: Outcome.DUPLICATE}
    assert db.writes() == []
    assert db.count(JOURNAL, "GET") == 0  # every notification had its record in custom fields

    # an older notice arriving late folds with the legacy one: CONFIRMED (newer) stays
    late = sink(db).write([mail(2, notice("TENTATIVE", 2))])
    assert outcomes(late) == {2: Outcome.INGESTED}
    assert event(db)["status"] == "CONFIRMED"
    assert db.count("maintenance", "PATCH") == 0


# -- cost -------------------------------------------------------------------------------------------------


def test_a_batch_costs_a_few_requests_and_its_rerun_only_reads(db):
    """20 emails about 5 events: one request per endpoint and phase, not a few per email."""
    lifecycle = [("TENTATIVE", 1), ("CONFIRMED", 2), ("IN-PROCESS", 3), ("COMPLETED", 4)]
    batch = [
        mail(key, notice(status, hour, event=f"MW-{e}"))
        for key, ((status, hour), e) in enumerate(
            ((step, e) for step in lifecycle for e in range(5)),
        )
    ]
    catalog = Catalog(MemoryGateway(db))
    results = NetBoxSink(catalog, lambda p: p).write(batch)
    assert outcomes(results) == {key: Outcome.INGESTED for key in range(20)}
    assert sorted(row["name"] for row in db.rows("maintenance")) == [f"MW-{e}" for e in range(5)]
    assert {row["status"] for row in db.rows("maintenance")} == {"COMPLETED"}
    assert len(db.rows("impact")) == 5
    assert len(stored_emails(db)) == 20
    assert len(db.requests) <= 15, db.requests
    for model in ("maintenance", "impact", NOTIFICATION, JOURNAL):
        assert db.count(model, "POST") == 1

    db.requests.clear()
    catalog.refresh()  # the next poll: providers and circuits are read again
    again = NetBoxSink(catalog, lambda p: p).write(batch)
    assert outcomes(again) == {key: Outcome.DUPLICATE for key in range(20)}
    assert db.writes() == []
    assert len(db.requests) <= 7, db.requests


# -- two writers, interleaved anywhere -------------------------------------------------------------------

MOMENTS = [
    ("circuits.providers", "GET"),  # before our read: one after the other
    ("maintenance", "GET"),
    ("maintenance", "POST"),
    ("impact", "POST"),
    ("maintenance", "PATCH"),
    (NOTIFICATION, "POST"),
    (JOURNAL, "POST"),
    (NOTIFICATION, "GET"),  # our settle read
]
SECOND = notice("CONFIRMED", 5, moved_hours=3)


@pytest.mark.parametrize("existing", [False, True], ids=["new", "existing"])
@pytest.mark.parametrize("lost", [None, "maintenance", "impact", NOTIFICATION, JOURNAL])
@pytest.mark.parametrize("moment", MOMENTS, ids="{0[0]}-{0[1]}".format)
def test_two_writers_interleaved_anywhere_converge(db, moment, lost, existing):
    """Another writer (a replay beside the daemon) writes emails 3 and 2 at any moment of our writing
    emails 1 and 2, with an answer of ours lost or not: NetBox ends with one event in the fold of every
    email, one impact, and one notification per email, each with its record. (Two records of one email
    on one notification can happen: the other writer adopts our notification as an orphan just before
    our record lands.)"""
    notices = {1: FIRST, 2: SECOND, 3: OTHER}
    if existing:
        notices[4] = notice("TENTATIVE", 0)
        assert outcomes(sink(db).write([mail(4, notices[4])])) == {4: Outcome.INGESTED}
    theirs = {}

    def other_writer(_items=None):
        theirs.update(sink(db).write([mail(3, OTHER), mail(2, SECOND)]))

    db.before(*moment, other_writer)
    if lost:
        db.inject(lost, "POST", lost_answer(), after=True)
    ours = sink(db).write([mail(1, FIRST), mail(2, SECOND)])
    if not theirs:  # we made no such request (e.g. no PATCH): the other writer comes after us
        db.hooks.clear()
        other_writer()
    assert ours[1].outcome is Outcome.INGESTED and ours[2].outcome in (Outcome.INGESTED, Outcome.DUPLICATE)
    assert {result.outcome for result in theirs.values()} <= {Outcome.INGESTED, Outcome.DUPLICATE}
    assert stored_emails(db, twice=True) == sorted(f"<mail-{n}@acme.example>" for n in notices)
    target = fold(list(notices.values()))
    row = event(db)
    assert (row["status"], row["start"], row["end"]) == (
        target.status,
        target.start.isoformat(),
        target.end.isoformat(),
    )
    assert [impact["event_object_id"] for impact in db.rows("impact")] == [row["id"]]


def test_one_journal_entry_holds_the_records_of_an_events_emails_of_one_batch(db):
    assert outcomes(sink(db).write([mail(1, FIRST), mail(2, SECOND), mail(3, OTHER)])) == {
        1: Outcome.INGESTED,
        2: Outcome.INGESTED,
        3: Outcome.INGESTED,
    }
    [entry] = db.rows(JOURNAL)
    first = min(row["id"] for row in db.rows(NOTIFICATION))
    assert entry["assigned_object_id"] == first
    assert stored_emails(db) == [f"<mail-{n}@acme.example>" for n in (1, 2, 3)]
    # read back as the records of all three: the same emails again are duplicates, nothing written
    before = db.writes()
    again = sink(db).write([mail(2, SECOND), mail(3, OTHER)])
    assert outcomes(again) == {2: Outcome.DUPLICATE, 3: Outcome.DUPLICATE}
    assert db.writes() == before


def test_a_deleted_first_notification_hands_its_journal_entry_on(db):
    """Another writer stores email 1 while we write notifications for emails 1 and 2: ours of email 1 is
    the second of that email and goes, and with it the journal entry it held; the record of email 2 is
    written again, on its own notification, before that."""
    db.before(NOTIFICATION, "POST", lambda _items=None: sink(db).write([mail(1, FIRST)]))
    ours = sink(db).write([mail(1, FIRST), mail(2, SECOND)])
    assert (ours[1].outcome, ours[2].outcome) == (Outcome.DUPLICATE, Outcome.INGESTED)
    assert stored_emails(db) == ["<mail-1@acme.example>", "<mail-2@acme.example>"]
    assert len(db.rows(NOTIFICATION)) == 2
    assert len(db.rows(JOURNAL)) == 2  # the other writer's for email 1, ours now on email 2's notification


def test_an_impact_refused_because_another_writer_closed_the_event_meanwhile_is_planned_again(db):
    """We read the event open and add an impact; another writer cancels it just before our impact lands,
    and the plugin refuses impacts of a closed event (400). That refusal is the race's, not the email's:
    the event is planned again from a fresh read (reopened for the impact, then closed), and the email is
    ingested rather than quarantined."""
    db.insert("circuits.circuits", {"cid": "ACME-2", "provider": provider_id(db)})
    first = notice("CONFIRMED", 1)
    assert outcomes(sink(db).write([mail(1, first)])) == {1: Outcome.INGESTED}
    row = event(db)
    cancel = notice("CANCELLED", 9)
    both = notice("CONFIRMED", 2).model_copy(
        update={"circuits": [CircuitImpact(circuit_id=c, impact="OUTAGE") for c in ("ACME-1", "ACME-2")]}
    )

    def other_writer(_items):
        row.update(status="CANCELLED")
        another_writers_notification(db, row["id"], 9, cancel)

    db.before("impact", "POST", other_writer)
    results = sink(db).write([mail(2, both)])
    assert outcomes(results) == {2: Outcome.INGESTED}, results[2].reason
    target = fold([first, both, cancel])
    assert row["status"] == target.status == "CANCELLED"
    assert sorted(i["target_object_id"] for i in db.rows("impact")) == sorted(
        c["id"] for c in db.rows("circuits.circuits") if c["cid"] in target.circuits
    )
    assert stored_emails(db) == [f"<mail-{n}@acme.example>" for n in (1, 2, 9)]


def test_a_refusal_that_holds_on_a_fresh_read_fails_the_email(db):
    """Planning again is for races: an email NetBox refuses on a fresh read as well fails, with the reason."""
    db.refuse(NOTIFICATION, "POST", lambda item: request_error(400, {"subject": ["refused"]}))
    results = sink(db).write([mail(1, notice("CONFIRMED", 1))])
    assert outcomes(results) == {1: Outcome.FAILED}
    assert "refused" in results[1].reason
    assert db.count(NOTIFICATION, "POST") == 2  # the first try, and one on a fresh read


def an_older_event_committed_late(db: MemoryNetBox, model: str, method: str) -> dict:
    """Another writer's event, inserted (its id taken) just before our create but committed — visible —
    only when our next (model, method) request arrives, as a long bulk create does; its writer then
    writes its email's notification and record at once (before our records: its claim is the older).
    Returns {"id": ...}."""
    hidden: dict = {}

    def reserve_an_older_id(_items):
        hidden["id"] = next(db._ids["maintenance"])

    def commit_theirs(_items):
        db.tables["maintenance"].append(
            {"id": hidden["id"], "name": "MW-1", "provider": provider_id(db), "status": "TENTATIVE"}
        )
        db.tables["maintenance"].sort(key=lambda row: row["id"])
        another_writers_notification(db, hidden["id"], 7, notice("TENTATIVE", 0))

    db.before("maintenance", "POST", reserve_an_older_id)
    db.before(model, method, commit_theirs)
    return hidden


def test_an_older_event_that_shows_up_only_after_our_writes_still_wins(db):
    """Another writer's bulk create began before ours (its event is older) but committed after our race
    check, as a long request does: the check after our writes finds it, and we move to it — our event, its
    impact and our notification (which the plugin would leave behind) are deleted, and our email is
    written on theirs."""
    hidden = an_older_event_committed_late(db, JOURNAL, "POST")
    results = sink(db).write([mail(1, notice("CONFIRMED", 1))])
    assert outcomes(results) == {1: Outcome.INGESTED}
    assert [row["id"] for row in db.rows("maintenance")] == [hidden["id"]]
    assert event(db)["status"] == "CONFIRMED"
    assert [i["event_object_id"] for i in db.rows("impact")] == [hidden["id"]]
    assert [n["event_object_id"] for n in db.rows(NOTIFICATION)] == [hidden["id"]] * 2
    assert stored_emails(db) == ["<mail-1@acme.example>", "<mail-7@acme.example>"]


def test_events_are_created_a_few_to_a_request(db):
    """A bulk create is committed at its end: until then another writer cannot see its events, so they go
    a few to a request (write.EVENTS_PER_CREATE), however many the batch has."""
    batch = [mail(n, notice("CONFIRMED", 1, event=f"MW-{n}")) for n in range(2 * EVENTS_PER_CREATE + 1)]
    assert set(outcomes(sink(db).write(batch)).values()) == {Outcome.INGESTED}
    assert db.count("maintenance", "POST") == 3
    assert len(db.rows("maintenance")) == len(batch)


def test_our_event_whose_writes_were_refused_is_removed_when_an_older_one_shows_up(db):
    """Our create lands, the impact is refused once (planned again), and meanwhile an older event of
    another writer committed: the check after the writes also covers the event whose writes stopped, so
    our copy does not stay beside theirs."""
    hidden, refusals = an_older_event_committed_late(db, "impact", "POST"), []

    def refuse_once(_item):
        if refusals:
            return None
        refusals.append(1)
        return request_error(400, {"impact": ["refused once"]})

    db.refuse("impact", "POST", refuse_once)
    results = sink(db).write([mail(1, notice("CONFIRMED", 1))])
    assert outcomes(results) == {1: Outcome.INGESTED}
    assert [row["id"] for row in db.rows("maintenance")] == [hidden["id"]]
    assert [i["event_object_id"] for i in db.rows("impact")] == [hidden["id"]]
    assert stored_emails(db) == ["<mail-1@acme.example>", "<mail-7@acme.example>"]
