"""ImapMailbox as its parts compose it (session, claims, leases, IDLE), against an in-memory IMAP server.

The real server (Dovecot) is the integration suite's; this one answers the few commands the session
sends as imapclient would, so the claim rules are checked in the unit run too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest
from imapclient.exceptions import IMAPClientError

from ingestor.config import MailboxConfig
from ingestor.disposition import AddKeyword, Move
from ingestor.sources import MailboxSource, mailbox_source
from ingestor.sources import imap_session as session_module
from ingestor.sources.errors import MailboxConnectError, MailboxLoginError, MailboxSetupError
from ingestor.sources.imap import ImapMailbox
from ingestor.sources.imap_claims import HANDLED_KEYWORD, load_leases
from ingestor.sources.imap_idle import ImapIdle
from ingestor.state import StateStore


@dataclass
class Folder:
    uidvalidity: int
    messages: dict[int, tuple[bytes, set]] = field(default_factory=dict)
    uidnext: int = 1

    def add(self, data: bytes, flags: set) -> None:
        self.messages[self.uidnext] = (data, flags)
        self.uidnext += 1


class Server:
    """Folders by name; what every connection to it sees."""

    def __init__(self):
        self.folders: dict[str, Folder] = {"INBOX": Folder(uidvalidity=7)}
        self.password = "secret"
        self.idle_responses: list[tuple] = []

    def client(self, *args, **kwargs) -> FakeClient:
        return FakeClient(self)


class FakeClient:
    """The imapclient.IMAPClient calls the session makes, on a Server."""

    def __init__(self, server: Server):
        self.server, self.selected = server, None

    def login(self, user, password):
        if password != self.server.password:
            raise session_module.LoginError("[AUTHENTICATIONFAILED] Authentication failed.")

    def capabilities(self):
        return (b"IMAP4REV1", b"MOVE", b"UIDPLUS", b"IDLE")

    def select_folder(self, name):
        folder = self.server.folders[name]
        self.selected = folder
        exists = len(folder.messages)
        return {b"UIDVALIDITY": folder.uidvalidity, b"UIDNEXT": folder.uidnext, b"EXISTS": exists}

    def search(self, criteria):
        unwanted = {criteria[i + 1] for i, word in enumerate(criteria) if word == "UNKEYWORD"}
        return [uid for uid, (_data, flags) in self.selected.messages.items() if not flags & unwanted]

    def fetch(self, uids, items):
        return {
            uid: {b"RFC822.SIZE": len(data), b"BODY[]": data}
            for uid, (data, _flags) in self.selected.messages.items()
            if uid in uids
        }

    def add_flags(self, uids, flags, silent=False):
        for uid in uids:
            self.selected.messages[uid][1].update(flags)

    def move(self, uids, folder):
        if any(uid not in self.selected.messages for uid in uids):
            raise IMAPClientError("UID MOVE failed: [EXPUNGEISSUED] Some of the messages no longer exist.")
        for uid in uids:
            self.server.folders[folder].add(*self.selected.messages.pop(uid))

    def folder_exists(self, name):
        return name in self.server.folders

    def create_folder(self, name):
        self.server.folders[name] = Folder(uidvalidity=len(self.server.folders) + 100)

    def subscribe_folder(self, name):
        pass

    def list_folders(self, pattern):
        prefix = pattern.rstrip("*")
        return [((), b"/", name) for name in self.server.folders if name.startswith(prefix)]

    def idle(self):
        pass

    def idle_check(self, timeout):
        responses, self.server.idle_responses = self.server.idle_responses, []
        return responses

    def idle_done(self):
        pass

    def logout(self):
        pass


@pytest.fixture
def server(monkeypatch) -> Server:
    server = Server()
    monkeypatch.setattr(session_module, "IMAPClient", server.client)
    return server


def config(**overrides) -> MailboxConfig:
    fields = {"name": "noc", "host": "localhost", "port": 143, "security": "plain", "username": "noc"}
    return MailboxConfig(**fields | {"password": "secret"} | overrides)


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
