"""Settling with other writers (ingestor/netbox/settle.py): the first claim of an email wins, whatever
the order in which the writers' requests commit; the writer that loses gives up only what is its own.

The pure rule is tested over every order of the claims; the interleavings that a real NetBox produces
(a notification visible before its record, a copy committed late) on the in-memory NetBox.
"""

from __future__ import annotations

import itertools

from ingestor.netbox.catalog import Catalog
from ingestor.netbox.records import EmailRecord, journal_entry
from ingestor.netbox.settle import Claim, first_claims, verdict
from ingestor.netbox.sink import NetBoxSink
from ingestor.outcome import Outcome

from .memory_netbox import MemoryGateway, lost_answer
from .test_netbox_sink import (
    JOURNAL,
    NOTIFICATION,
    email,
    mail,
    notice,
    outcomes,
    provider_id,
    recorded,
    sink,
    stored_emails,
    their_notification,
)
from .test_netbox_sink import db as _db

db = _db  # the fixture

A, B = ("<a>", "d1"), ("<b>", "d2")


def test_the_oldest_journal_entry_wins_not_the_lowest_notification_id():
    """A lower notification id can commit after a writer with a higher one has looked: the entry decides."""
    ours = [Claim(notification=10, identity=A, entry=7)]
    theirs = [Claim(notification=9, identity=A, entry=8)]
    assert verdict(ours, theirs).lost == set()
    assert verdict(theirs, ours).delete == {9}


def test_every_order_of_the_claims_gives_one_winner_per_email_and_each_writer_agrees():
    claims = [
        Claim(3, A, 20),
        Claim(5, A, 11),
        Claim(4, B, 11),
        Claim(8, B, 30),
        Claim(6, A, 0),  # held before this batch: older than anything written now
    ]
    winners = {identity: claim.notification for identity, claim in first_claims(claims).items()}
    assert winners == {A: 6, B: 4}
    for order in itertools.permutations(claims):
        assert {i: c.notification for i, c in first_claims(list(order)).items()} == winners
        for mine in order:
            others = [c for c in order if c is not mine]
            lost = verdict([mine], others)
            assert (mine.notification in lost.delete) == (winners[mine.identity] != mine.notification)


def test_a_record_of_our_adopted_notification_in_an_older_entry_makes_ours_redundant():
    """Two writers recorded one notification: the newer entry drops its record, the notification stays."""
    lost = verdict([Claim(12, A, 40)], [Claim(12, A, 33)])
    assert (lost.drop, lost.delete) == ({12}, set())


def test_a_notification_seen_before_its_record_is_waited_for_and_the_older_record_wins(db):
    """Another writer of email 2 is between its notification and its journal entry when we settle (its
    entry id was taken before ours, its commit comes later): we wait, see its record win, delete ours and
    report the email a duplicate — the case two concurrent replays met."""
    assert outcomes(sink(db).write([mail(1, notice("CONFIRMED", 1))])) == {1: Outcome.INGESTED}
    event_id = db.rows("maintenance")[0]["id"]
    theirs: dict = {}

    def notification_first(_items):
        theirs["row"] = their_notification(db, event_id, 2)
        theirs["entry"] = next(db._ids[JOURNAL])  # its entry's id is taken now, committed later

    def their_record(_seconds):
        if "done" not in theirs:
            record = EmailRecord(email(2).message_id, email(2).body_digest, [])
            entry = journal_entry([(theirs["row"]["id"], record)])
            db.tables[JOURNAL].append(dict(entry, id=theirs["entry"]))
            db.tables[JOURNAL].sort(key=lambda row: row["id"])
            theirs["done"] = True

    db.before(NOTIFICATION, "POST", notification_first)
    gateway = MemoryGateway(db, record_wait=5)
    results = NetBoxSink(Catalog(gateway), lambda p: p, sleep=their_record).write(
        [mail(2, notice("CONFIRMED", 2))]
    )
    assert outcomes(results) == {2: Outcome.DUPLICATE}
    assert [row["id"] for row in db.rows(NOTIFICATION)][1:] == [theirs["row"]["id"]]
    assert stored_emails(db) == ["<mail-1@acme.example>", "<mail-2@acme.example>"]
    assert len(db.rows(JOURNAL)) == 2  # ours went with our notification


def test_a_notification_whose_record_never_comes_is_an_orphan_after_the_wait(db):
    """Its writer died between the two: after record_wait_seconds we keep ours (nothing is lost)."""
    assert outcomes(sink(db).write([mail(1, notice("CONFIRMED", 1))])) == {1: Outcome.INGESTED}
    event_id = db.rows("maintenance")[0]["id"]
    db.before(NOTIFICATION, "POST", lambda _items: their_notification(db, event_id, 2))
    waits: list[float] = []
    results = NetBoxSink(Catalog(MemoryGateway(db, record_wait=3)), lambda p: p, sleep=waits.append).write(
        [mail(2, notice("CONFIRMED", 2))]
    )
    assert outcomes(results) == {2: Outcome.INGESTED}
    assert sum(waits) <= 3 and len(waits) >= 2
    assert "<mail-2@acme.example>" in recorded(db).values()


def test_a_copy_with_an_older_id_but_newer_records_loses_to_ours(db):
    """Their create took its id before ours but committed after our writes, and their records come after
    ours: ours is the first claim, so we keep our event (their writer removes its copy when it looks)."""
    hidden: dict = {}
    db.before("maintenance", "POST", lambda _items: hidden.setdefault("id", next(db._ids["maintenance"])))

    def commit_theirs_later(_items):  # at our third read of events: the check after our writes
        hidden["reads"] = hidden.get("reads", 0) + 1
        if hidden["reads"] < 3:
            db.before("maintenance", "GET", commit_theirs_later)  # a hook runs once
            return
        db.tables["maintenance"].insert(
            0, {"id": hidden["id"], "name": "MW-1", "provider": provider_id(db), "status": "TENTATIVE"}
        )
        row = their_notification(db, hidden["id"], 2)
        record = EmailRecord(email(2).message_id, email(2).body_digest, [])
        db.insert(JOURNAL, journal_entry([(row["id"], record)]))  # after ours: a newer entry

    db.before("maintenance", "GET", commit_theirs_later)
    results = sink(db).write([mail(1, notice("CONFIRMED", 1))])
    assert outcomes(results) == {1: Outcome.INGESTED}
    ours = [row for row in db.rows("maintenance") if row["id"] != hidden["id"]]
    assert len(ours) == 1 and len(db.rows("maintenance")) == 2  # theirs stays for its writer to remove


def test_a_copy_that_never_gets_a_notification_is_removed_by_the_winner(db):
    """Two writers' creates with lost answers both take one copy for their own (a look-up cannot tell
    whose it is): the other copy stays without notifications. After the wait the winner removes it."""
    waits: list[float] = []

    def abandoned(_items):  # visible at our check after the writes; no writer will ever fill it
        if not waits:
            db.before("maintenance", "GET", abandoned)
            waits.append(0.0)
            return
        db.insert("maintenance", {"name": "MW-1", "provider": provider_id(db), "status": "TENTATIVE"})

    db.before("maintenance", "GET", lambda _items: db.before("maintenance", "GET", abandoned))
    results = NetBoxSink(Catalog(MemoryGateway(db, record_wait=2)), lambda p: p, sleep=waits.append).write(
        [mail(1, notice("CONFIRMED", 1))]
    )
    assert outcomes(results) == {1: Outcome.INGESTED}
    assert len(db.rows("maintenance")) == 1
    assert [n["event_object_id"] for n in db.rows(NOTIFICATION)] == [db.rows("maintenance")[0]["id"]]
    assert sum(waits) > 0  # it was waited for first


def test_deleting_what_another_writer_deleted_already_is_done(db):
    """Two writers that took one copy for their own both delete it: NetBox answers the second bulk delete
    with 400 "Object with ID N does not exist", which must not fail the batch."""
    row = db.insert("maintenance", {"name": "MW-1", "provider": provider_id(db), "status": "TENTATIVE"})
    gateway = MemoryGateway(db)
    gateway.delete("maintenance", row["id"])
    gateway.delete("maintenance", row["id"])  # raises without the rule
    assert db.rows("maintenance") == []


def test_a_batch_is_planned_onto_the_copy_with_the_oldest_claim_not_the_oldest_copy(db):
    """Two copies of one event, left by two writers racing: the newer copy holds the older journal entry,
    so it is the one every writer keeps. A third writer that plans now must write onto that copy; the
    oldest copy would be removed by its writer's check and take our notification with it."""
    older = db.insert("maintenance", {"name": "MW-1", "provider": provider_id(db), "status": "TENTATIVE"})
    newer = db.insert("maintenance", {"name": "MW-1", "provider": provider_id(db), "status": "TENTATIVE"})
    for copy, n in ((newer, 1), (older, 2)):  # the newer copy's record is written first
        row = their_notification(db, copy["id"], n)
        record = EmailRecord(email(n).message_id, email(n).body_digest, [])
        db.insert(JOURNAL, journal_entry([(row["id"], record)]))
    theirs = {row["id"] for row in db.rows(NOTIFICATION)}
    results = sink(db).write([mail(3, notice("CONFIRMED", 3))])
    assert outcomes(results) == {3: Outcome.INGESTED}
    ours = [n["event_object_id"] for n in db.rows(NOTIFICATION) if n["id"] not in theirs]
    assert ours == [newer["id"]]


def test_after_a_lost_create_answer_the_look_up_takes_the_copy_our_create_made(db):
    """Our create reached NetBox but its answer was lost; meanwhile another writer created the same event
    (a newer copy) and recorded email 2 on it. The look-up must take ours by the mark in its changelog
    message, not the newest copy: taking theirs, we removed it as the newer copy in our race check, with
    their notification left on a deleted event."""
    theirs: dict = {}

    def their_copy(_filters):
        row = db.insert("maintenance", {"name": "MW-1", "provider": provider_id(db), "status": "TENTATIVE"})
        db.insert("core.object_changes", {"changed_object_type": "notices.maintenance", "action": "create",
                                          "changed_object_id": row["id"],
                                          "message": "notices-ingestor (writer other): created"})  # fmt: skip
        note = their_notification(db, row["id"], 2)
        db.insert(
            JOURNAL, journal_entry([(note["id"], EmailRecord(email(2).message_id, email(2).body_digest, []))])
        )
        theirs["id"] = row["id"]

    db.inject("maintenance", "POST", lost_answer(), after=True)
    db.before("maintenance", "GET", lambda _items: db.before("maintenance", "GET", their_copy))
    deleted: list[int] = []
    db.before("maintenance", "DELETE", lambda items: deleted.extend(item["id"] for item in items))
    results = sink(db).write([mail(1, notice("CONFIRMED", 1))])
    assert outcomes(results) == {1: Outcome.INGESTED}
    assert theirs["id"] not in deleted, "took their copy for ours and deleted it as the newer copy"
    # their record is the older claim: their copy is the event, and ours went (we planned again on theirs)
    assert [row["id"] for row in db.rows("maintenance")] == [theirs["id"]]
    assert {n["event_object_id"] for n in db.rows(NOTIFICATION)} == {theirs["id"]}
    assert stored_emails(db) == ["<mail-1@acme.example>", "<mail-2@acme.example>"]


def test_after_a_lost_notification_answer_the_look_up_takes_ours_not_another_writers(db):
    """Our notification of email 2 reached NetBox but its answer was lost; another writer's notification of
    the same email (it reads exactly like ours) is there too, with its record. Taking theirs for ours left
    our own notification without a record for good, and both writers waiting for each other's records."""
    assert outcomes(sink(db).write([mail(1, notice("CONFIRMED", 1))])) == {1: Outcome.INGESTED}
    event_id = db.rows("maintenance")[0]["id"]

    def theirs_first(_items):
        row = their_notification(db, event_id, 2)
        change = {"changed_object_type": "notices.eventnotification", "action": "create"}
        db.insert("core.object_changes", dict(change, changed_object_id=row["id"], message="(writer other)"))
        record = EmailRecord(email(2).message_id, email(2).body_digest, [])
        db.insert(JOURNAL, journal_entry([(row["id"], record)]))

    db.before(NOTIFICATION, "POST", theirs_first)
    db.inject(NOTIFICATION, "POST", lost_answer(), after=True)
    results = sink(db).write([mail(2, notice("CONFIRMED", 2))])
    assert outcomes(results) == {2: Outcome.DUPLICATE}  # theirs holds the older record: ours goes
    assert stored_emails(db) == ["<mail-1@acme.example>", "<mail-2@acme.example>"]  # none without record
