import json
import time

from ingestor.sources.graph import DeltaState, load_delta, save_delta
from ingestor.sources.imap_claims import load_leases, save_leases
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


NOW = time.time()


def attempts(count: int) -> MailboxState:
    return MailboxState(attempts={"k": Attempts(count, "x", NOW)})


def test_mailboxes_are_independent(tmp_path):
    store = StateStore(tmp_path)
    store.save("a", attempts(1))
    assert store.load("b") == MailboxState()
    assert store.load("a") == attempts(1)
    save_leases(store, "a", {"P-a@h/1/5": 100.0})
    assert load_leases(store, "b") == {}
    assert load_leases(store, "a") == {"P-a@h/1/5": 100.0}


def test_save_replaces_atomically_and_leaves_no_temp_files(tmp_path):
    store = StateStore(tmp_path)
    store.save("noc", attempts(1))
    store.save("noc", attempts(2))
    save_leases(store, "noc", {"k": 1.0})
    save_leases(store, "noc", {"k": 2.0})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["attempts-noc.json", "leases-noc.json"]
    assert store.load("noc").attempts["k"].count == 2
    assert load_leases(store, "noc") == {"k": 2.0}


def test_each_file_has_one_owner_and_says_what_it_holds(tmp_path):
    """The daemon's attempt counts, the IMAP claim leases and the Graph position: a file each."""
    store = StateStore(tmp_path)
    store.save("noc", attempts(1))
    save_leases(store, "noc", {"k": 1.0})
    save_delta(store, "noc", DeltaState("folder", "https://graph.example/delta?token=1"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "attempts-noc.json",
        "graph-noc.json",
        "leases-noc.json",
    ]
    assert store.load("noc") == attempts(1)  # each reads back only what it wrote
    assert load_leases(store, "noc") == {"k": 1.0}
    assert load_delta(store, "noc") == DeltaState("folder", "https://graph.example/delta?token=1")


def test_an_upgrade_reads_the_legacy_file_until_the_new_one_is_written(tmp_path):
    """Versions before kept attempts and leases together in imap-<name>.json, Graph mailboxes too."""
    updated = time.time()
    legacy = {
        "attempts": {"abc": {"count": 3, "last_error": "HTTP 502", "updated": updated}},
        "foreign_claims": {"Processing-noc@b/7/5": 100.0},
    }
    (tmp_path / "imap-noc.json").write_text(json.dumps(legacy))
    store = StateStore(tmp_path)
    assert store.load("noc") == MailboxState(attempts={"abc": Attempts(3, "HTTP 502", updated)})
    assert load_leases(store, "noc") == {"Processing-noc@b/7/5": 100.0}
    store.save("noc", store.load("noc").forget("abc"))
    save_leases(store, "noc", {})
    assert store.load("noc") == MailboxState()  # the new files win over the legacy one
    assert load_leases(store, "noc") == {}
    assert load_delta(store, "noc") == DeltaState()  # the Graph position was never in it


def test_corrupt_or_old_files_start_fresh(tmp_path):
    store = StateStore(tmp_path)
    for text in ("{not json", '{"attempts": {"k": {"count": "x"}}}', "[]"):
        store.path_for("noc").write_text(text)
        assert store.load("noc") == MailboxState()
    # a file of the previous version (UID bookkeeping) reads as a fresh state
    store.path_for("noc").write_text(json.dumps({"folder": "INBOX", "uidvalidity": 1, "last_uid": 7}))
    assert store.load("noc") == MailboxState()
    # so does a corrupt legacy file, and a corrupt new file does not fall back to the legacy one
    (tmp_path / "imap-other.json").write_text("{not json")
    assert store.load("other") == MailboxState()
    store.path_for("other").write_text("[]")
    (tmp_path / "imap-other.json").write_text(
        json.dumps({"attempts": {"k": {"count": 1, "last_error": "x", "updated": time.time()}}})
    )
    assert store.load("other") == MailboxState()
