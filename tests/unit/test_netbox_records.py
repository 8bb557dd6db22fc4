"""records.py: a journal entry's records, in this version's form and in the previous version's."""

from ingestor.netbox.records import EmailRecord, journal_entry, read_journal

NOTICES = [{"kind": "maintenance", "event_id": "MW-1"}]


def test_an_entry_holds_the_records_of_several_notifications_and_reads_back():
    records = [(17, EmailRecord("<a@x>", "d1", NOTICES)), (19, EmailRecord("<b@x>", "d2", []))]
    entry = journal_entry(records)
    assert entry["assigned_object_id"] == 17
    assert entry["comments"].startswith("notices-ingestor: parsed from emails `<a@x>`, `<b@x>`\n")
    assert read_journal(entry["comments"], 17) == dict(records)


def test_the_previous_versions_entry_is_the_record_of_its_own_notification():
    comments = (
        "notices-ingestor: parsed from email `<a@x>`\n```json\n"
        '{"email_digest": "d1", "message_id": "<a@x>", "notices": []}\n```'
    )
    assert read_journal(comments, 5) == {5: EmailRecord("<a@x>", "d1", [])}


def test_an_entry_that_is_not_ours_holds_nothing():
    assert read_journal("called the provider, window confirmed", 5) == {}
    assert read_journal('```json\n{"records": [{"nope": 1}]}\n```', 5) == {}
