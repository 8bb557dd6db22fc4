"""An in-memory IMAP server: it answers the few imapclient calls ImapSession makes as imapclient would,
so the IMAP source's rules (claims, dispositions, the failed folder) are checked in the unit run. The
real server (Dovecot) is the integration suite's."""

from __future__ import annotations

from dataclasses import dataclass, field

from imapclient.exceptions import IMAPClientError

from ingestor.config import MailboxConfig
from ingestor.sources import imap_session as session_module


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

    def remove_flags(self, uids, flags, silent=False):
        for uid in uids:
            self.selected.messages[uid][1].difference_update(flags)

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


def install(monkeypatch) -> Server:
    """A fresh server that every ImapSession of the test connects to (the ``server`` fixtures)."""
    server = Server()
    monkeypatch.setattr(session_module, "IMAPClient", server.client)
    return server


def config(**overrides) -> MailboxConfig:
    fields = {"name": "noc", "host": "localhost", "port": 143, "security": "plain", "username": "noc"}
    return MailboxConfig(**fields | {"password": "secret"} | overrides)
