import json
import time

from ingestor.state import Attempts, MailboxState, StateStore


def test_missing_file_starts_fresh(tmp_path):
    assert StateStore(tmp_path).load("noc") == MailboxState()


def test_attempts_count_up_round_trip_and_are_forgotten(tmp_path):
    store = StateStore(tmp_path)
    state = MailboxState().with_attempts("abc", 1, "NetBox unavailable: HTTP 500", now=time.time())
    state = state.with_attempts("abc", state.attempt_count("abc") + 1, "NetBox unavailable: HTTP 502")
    assert state.attempt_count("abc") == 2 and MailboxState().attempt_count("abc") == 0
    store.save("noc", state)
    loaded = store.load("noc")
    assert loaded.attempts["abc"].count == 2
    assert loaded.attempts["abc"].last_error == "NetBox unavailable: HTTP 502"
    assert loaded.forget("abc").attempts == {}


def test_stale_attempts_are_dropped_on_load(tmp_path):
    store = StateStore(tmp_path)
    old = MailboxState(attempts={"old": Attempts(3, "x", time.time() - 30 * 24 * 3600)})
    store.save("noc", old)
    assert store.load("noc").attempts == {}


def test_mailboxes_are_independent(tmp_path):
    store = StateStore(tmp_path)
    store.save("a", MailboxState(foreign_claims={"P-a@h/1/5": 100.0}))
    assert store.load("b") == MailboxState()
    assert store.load("a").foreign_claims == {"P-a@h/1/5": 100.0}


def test_save_replaces_atomically_and_leaves_no_temp_files(tmp_path):
    store = StateStore(tmp_path)
    store.save("noc", MailboxState(foreign_claims={"k": 1.0}))
    store.save("noc", MailboxState(foreign_claims={"k": 2.0}))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["imap-noc.json"]
    assert store.load("noc").foreign_claims == {"k": 2.0}


def test_corrupt_or_old_files_start_fresh(tmp_path):
    store = StateStore(tmp_path)
    for text in ("{not json", '{"attempts": {"k": {"count": "x"}}}', "[]"):
        store.path_for("noc").write_text(text)
        assert store.load("noc") == MailboxState()
    # a file of the previous version (UID bookkeeping) reads as a fresh state
    store.path_for("noc").write_text(json.dumps({"folder": "INBOX", "uidvalidity": 1, "last_uid": 7}))
    assert store.load("noc") == MailboxState()
