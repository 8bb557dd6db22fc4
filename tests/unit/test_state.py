import json
import os

from ingestor.state import MailboxState, StateStore


def test_missing_file_starts_fresh(tmp_path):
    store = StateStore(tmp_path / "not-yet")
    assert store.load("noc", "INBOX") == MailboxState(folder="INBOX", uidvalidity=None, last_uid=0)


def test_save_and_load_round_trip(tmp_path):
    store = StateStore(tmp_path / "state")  # created on first save
    store.save("noc", MailboxState("INBOX", 1700000000, 42))
    assert StateStore(tmp_path / "state").load("noc", "INBOX") == MailboxState("INBOX", 1700000000, 42)
    data = json.loads(store.path_for("noc").read_text())
    assert data == {"folder": "INBOX", "uidvalidity": 1700000000, "last_uid": 42}


def test_mailboxes_are_independent(tmp_path):
    store = StateStore(tmp_path)
    store.save("a", MailboxState("INBOX", 1, 5))
    store.save("b", MailboxState("Notices", 2, 7))
    assert store.load("a", "INBOX").last_uid == 5
    assert store.load("b", "Notices") == MailboxState("Notices", 2, 7)


def test_save_replaces_atomically_and_leaves_no_temp_files(tmp_path):
    store = StateStore(tmp_path)
    store.save("noc", MailboxState("INBOX", 1, 1))
    inode_before = os.stat(store.path_for("noc")).st_ino
    store.save("noc", MailboxState("INBOX", 1, 2))
    assert os.stat(store.path_for("noc")).st_ino != inode_before  # a new file renamed over the old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["imap-noc.json"]
    assert store.load("noc", "INBOX").last_uid == 2


def test_corrupt_file_starts_fresh(tmp_path):
    store = StateStore(tmp_path)
    for text in [
        "{not json",
        "[]",
        '"x"',
        '{"folder": "INBOX"}',
        '{"folder": "INBOX", "uidvalidity": 1, "last_uid": "7"}',
        '{"folder": "INBOX", "uidvalidity": true, "last_uid": 7}',
        '{"folder": "INBOX", "uidvalidity": 1, "last_uid": -1}',
        "\xff",
    ]:
        store.path_for("noc").write_text(text, encoding="latin-1")
        assert store.load("noc", "INBOX") == MailboxState("INBOX"), text


def test_null_uidvalidity_is_accepted(tmp_path):
    store = StateStore(tmp_path)
    store.save("noc", MailboxState("INBOX"))
    assert store.load("noc", "INBOX") == MailboxState("INBOX", None, 0)
