"""migrate_legacy_records on the in-memory NetBox: records kept in custom fields by versions before 0.5
move into journal entries (one per event), once, even when NetBox's answer to the write is lost; the
custom fields go only when asked. tests/integration/test_migrate_records.py runs it on the real NetBox."""

from __future__ import annotations

from ingestor.netbox.migrate import migrate_legacy_records
from ingestor.netbox.records import read_journal

from .memory_netbox import OBJECT_TYPES, MemoryGateway, MemoryNetBox, lost_answer

JOURNAL = "extras.journal_entries"
FIELDS = ("ingestor_message_id", "ingestor_email_digest", "ingestor_notices")


def legacy_netbox() -> MemoryNetBox:
    """Two events; three notifications with records in custom fields, one without (another tool's)."""
    db = MemoryNetBox()
    for name in FIELDS:
        db.insert("extras.custom_fields", {"name": name})
    for n, event in ((1, 10), (2, 10), (3, 11), (4, 11)):
        custom = (
            {
                "ingestor_message_id": f"<m{n}@x>",
                "ingestor_email_digest": f"d{n}",
                "ingestor_notices": [{"n": n}],
            }
            if n != 4
            else {}
        )
        db.insert(
            "eventnotification",
            {
                "event_content_type": OBJECT_TYPES["notices.maintenance"],
                "event_object_id": event,
                "custom_fields": custom,
            },
        )
    return db


def records(db: MemoryNetBox) -> dict[int, tuple]:
    found = {}
    for entry in db.rows(JOURNAL):
        for nid, record in read_journal(entry["comments"], entry["assigned_object_id"]).items():
            assert nid not in found, "two records of one notification"
            found[nid] = (record.message_id, record.email_digest, record.notices)
    return found


def test_records_move_into_one_entry_per_event_and_the_fields_go_when_asked():
    db = legacy_netbox()
    report = migrate_legacy_records(MemoryGateway(db))
    assert (report.notifications, report.moved, report.already) == (3, 3, 0)
    assert records(db) == {
        1: ("<m1@x>", "d1", [{"n": 1}]),
        2: ("<m2@x>", "d2", [{"n": 2}]),
        3: ("<m3@x>", "d3", [{"n": 3}]),
    }
    assert sorted(entry["assigned_object_id"] for entry in db.rows(JOURNAL)) == [1, 3]
    assert len(db.rows("extras.custom_fields")) == 3  # not asked to delete them

    again = migrate_legacy_records(MemoryGateway(db), delete_fields=True)
    assert (again.moved, again.already) == (0, 3)
    assert len(db.rows(JOURNAL)) == 2
    assert db.rows("extras.custom_fields") == []
    assert migrate_legacy_records(MemoryGateway(db)).legacy_fields == []


def test_a_lost_answer_writes_no_second_entry():
    db = legacy_netbox()
    db.inject(JOURNAL, "POST", lost_answer(), after=True)
    report = migrate_legacy_records(MemoryGateway(db))
    assert report.moved == 3
    assert len(db.rows(JOURNAL)) == 2
    assert sorted(records(db)) == [1, 2, 3]
