"""ImapMailbox as its parts compose it (session, claims, leases, IDLE), against the in-memory IMAP
server (memory_imap)."""

from __future__ import annotations

import time

import pytest

from ingestor.disposition import AddKeyword, Move
from ingestor.sources import MailboxSource, mailbox_source
from ingestor.sources.errors import MailboxConnectError, MailboxLoginError, MailboxSetupError
from ingestor.sources.imap import ImapMailbox
from ingestor.sources.imap_claims import HANDLED_KEYWORD, load_leases
from ingestor.sources.imap_idle import ImapIdle
from ingestor.state import StateStore

from .memory_imap import Server, config, install


@pytest.fixture
def server(monkeypatch) -> Server:
    return install(monkeypatch)


PROCESSED = (Move("Processed"),)


def poll(box: MailboxSource, actions=PROCESSED) -> list[bytes]:
    with box:
        seen = []
        for message in box.fetch_new():
            seen.append(message.data)
            box.dispose(message, list(actions))
        return seen


def test_claims_then_disposes_and_nothing_comes_twice(server, tmp_path):
    for n in range(3):
        server.folders["INBOX"].add(b"Subject: %d" % n, set())
    store = StateStore(tmp_path)
    box = mailbox_source(config(claim_batch=2), store, "host-a")
    assert isinstance(box, ImapMailbox) and box.reconnect_attempts == 3
    assert poll(box) == [b"Subject: 0", b"Subject: 1", b"Subject: 2"]
    assert len(server.folders["Processed"].messages) == 3
    assert server.folders["Processing-noc@host-a"].messages == {}
    assert poll(ImapMailbox(config(), store, "host-a")) == []


def test_without_a_move_an_email_goes_back_marked_handled(server, tmp_path):
    server.folders["INBOX"].add(b"kept", set())
    box = ImapMailbox(config(on_success="keyword:$Ingested"), StateStore(tmp_path))
    assert poll(box, [AddKeyword("$Ingested")]) == [b"kept"]
    [(_data, flags)] = server.folders["INBOX"].messages.values()
    assert flags == {"$Ingested", HANDLED_KEYWORD}
    assert poll(ImapMailbox(config(), StateStore(tmp_path))) == []


def test_released_emails_wait_for_the_next_session(server, tmp_path):
    server.folders["INBOX"].add(b"later", set())
    box = ImapMailbox(config(), StateStore(tmp_path))
    with box:
        for message in box.fetch_new():
            box.release(message)
    assert [data for data, _ in server.folders["INBOX"].messages.values()] == [b"later"]
    assert poll(ImapMailbox(config(), StateStore(tmp_path))) == [b"later"]


def test_what_a_stopped_session_left_claimed_is_read_first(server, tmp_path):
    server.folders["INBOX"].add(b"first", set())
    with ImapMailbox(config(), StateStore(tmp_path)) as box:
        next(box.fetch_new())  # claimed, then the poll stops without disposing of it
    assert poll(ImapMailbox(config(), StateStore(tmp_path))) == [b"first"]


def test_a_dead_instances_claims_come_back_after_the_lease(server, tmp_path):
    server.folders["INBOX"].add(b"orphan", set())
    with ImapMailbox(config(), StateStore(tmp_path / "a"), "host-a") as dead:
        next(dead.fetch_new())
    survivor = StateStore(tmp_path / "b")
    assert poll(ImapMailbox(config(claim_lease_seconds=3600), survivor, "host-b")) == []  # lease running
    uidvalidity = server.folders["Processing-noc@host-a"].uidvalidity
    assert list(load_leases(survivor, "noc")) == [f"Processing-noc@host-a/{uidvalidity}/1"]
    time.sleep(0.05)  # past the 0.01 s lease below: two polls of an in-memory server take less
    assert poll(ImapMailbox(config(claim_lease_seconds=0.01), survivor, "host-b")) == [b"orphan"]
    assert load_leases(survivor, "noc") == {}


def test_one_instance_wins_a_contended_claim(server, tmp_path):
    server.folders["INBOX"].add(b"contended", set())
    store = StateStore(tmp_path)
    with ImapMailbox(config(), store, "host-a") as a, ImapMailbox(config(), store, "host-b") as b:
        a.session.ensure_folder(a.claim_folder)
        b.session.select("INBOX")
        a.session.select("INBOX")
        assert a.session.move([1], a.claim_folder) is True
        assert b.session.move([1], b.claim_folder) is False  # EXPUNGEISSUED: the other one has it


def test_a_refused_login_is_a_setup_error(server, tmp_path):
    server.password = "changed"
    with pytest.raises(MailboxLoginError, match="mailbox noc .*login as 'noc' failed") as raised:
        ImapMailbox(config(), StateStore(tmp_path)).open()
    assert isinstance(raised.value, MailboxSetupError)  # the daemon does not reconnect on it
    assert "secret" not in str(raised.value)


def test_idle_reports_news_and_a_closed_connection(server, tmp_path):
    with ImapMailbox(config(), StateStore(tmp_path)) as box:
        idle = ImapIdle(box.session)
        server.idle_responses = [(3, b"EXISTS")]
        assert idle.wait_for_news(1.0) is True
        server.idle_responses = [(b"BYE", b"shutting down")]
        with pytest.raises(MailboxConnectError, match="closed the connection during IDLE"):
            idle.wait_for_news(1.0)
        idle.stop()
