"""The triage of failed emails (ingestor.triage) on the in-memory IMAP server (memory_imap): the reason
kept with each email of the failed folder, ``failed`` listing it, ``retry`` moving it back for the
next poll; and the two commands through the command line. The Graph side is in test_graph_source."""

from __future__ import annotations

import json
import uuid

import pytest

from ingestor.cli import main
from ingestor.outcome import Outcome
from ingestor.sources import failed_folder
from ingestor.sources.imap import ImapMailbox
from ingestor.sources.imap_claims import HANDLED_KEYWORD
from ingestor.state import StateStore
from ingestor.triage import (
    NOT_RECORDED,
    FailureRecords,
    UnknownEmails,
    list_failed,
    record_failure,
    retry_failed,
)

from .memory_imap import Server, config, install

REASON = "no NetBox provider with slug 'acme' (parser provider acme)"


@pytest.fixture
def server(monkeypatch) -> Server:
    return install(monkeypatch)


def email(subject: str, body: str = "Maintenance window.") -> bytes:
    return (
        f"From: Acme NOC <noc@acme.example>\r\nDate: Mon, 01 Jun 2026 10:00:00 +0000\r\n"
        f"Subject: {subject}\r\nMessage-ID: <{uuid.uuid4().hex}@acme.example>\r\n\r\n{body}\r\n"
    ).encode()


def fail_all(store: StateStore, reasons: dict[bytes, str], **overrides) -> list[bytes]:
    """One poll as the daemon makes it when every email fails: the reason recorded (when ``reasons``
    has one for its bytes), then on_failed applied."""
    cfg = config(**overrides)
    seen = []
    with ImapMailbox(cfg, store) as box:
        for message in box.fetch_new():
            seen.append(message.data)
            if message.data in reasons:
                record_failure(store, cfg, message, reasons[message.data])
            box.dispose(message, cfg.disposition(Outcome.FAILED))
    return seen


def listed(store: StateStore, **overrides):
    cfg = config(**overrides)
    with failed_folder(cfg, store) as box:
        return list(list_failed(box, cfg, store))


def test_failed_lists_each_email_with_its_reason_or_says_it_is_not_recorded(server, tmp_path):
    store = StateStore(tmp_path)
    first, second = email("Maintenance 1"), email("Maintenance 2")
    for data in (first, second):
        server.folders["INBOX"].add(data, set())
    fail_all(store, {first: REASON})
    one, two = listed(store)
    uidvalidity = server.folders["Failed"].uidvalidity
    assert (one.handle, two.handle) == (f"{uidvalidity}:1", f"{uidvalidity}:2")
    assert one.reason == REASON and one.failed_at is not None
    assert one.headers.subject == "Maintenance 1" and one.headers.sender == "Acme NOC <noc@acme.example>"
    assert one.headers.date == "Mon, 01 Jun 2026 10:00:00 +0000" and one.headers.message_id.endswith(
        "acme.example>"
    )
    assert two.reason is None and two.failed_at is None
    assert f"Reason:     {REASON}" in one.as_text() and f"Reason:     {NOT_RECORDED}" in two.as_text()
    row = one.as_dict()
    assert set(row) == {"mailbox", "handle", "date", "from", "subject", "message_id", "failed_at", "reason"}
    assert row["mailbox"] == "noc" and row["reason"] == REASON and row["failed_at"].endswith("+00:00")
    assert [data for data, _ in server.folders["Failed"].messages.values()] == [first, second]  # untouched


def test_retry_moves_back_drops_the_record_and_the_next_poll_claims_it(server, tmp_path):
    store = StateStore(tmp_path)
    data = email("Maintenance 1")
    server.folders["INBOX"].add(data, set())
    on_failed = "keyword:$NoticesFailed+move:Failed"
    fail_all(store, {data: REASON}, on_failed=on_failed)
    server.folders["Failed"].messages[1][1].add(HANDLED_KEYWORD)  # it would not be claimed with it
    cfg = config(on_failed=on_failed)
    with failed_folder(cfg, store) as box:
        moved, missed = retry_failed(box, cfg, store, ["1"])  # the bare UID names it too
    assert [email.headers.subject for email in moved] == ["Maintenance 1"] and missed == []
    assert server.folders["Failed"].messages == {}
    assert FailureRecords(store, "noc").load() == {}
    [(_data, flags)] = server.folders["INBOX"].messages.values()
    assert flags == set()  # neither the handled mark nor on_failed's keyword
    assert fail_all(store, {data: "still no provider"}) == [data]  # the next poll reads it...
    [again] = listed(store)
    assert again.reason == "still no provider"  # ...and failing again, it is back with the new reason


def test_retry_of_an_unknown_uid_names_it_and_moves_nothing(server, tmp_path):
    store = StateStore(tmp_path)
    server.folders["INBOX"].add(email("Maintenance 1"), set())
    fail_all(store, {})
    cfg = config()
    stale = f"{server.folders['Failed'].uidvalidity + 1}:1"  # a folder since re-created: names nothing
    with failed_folder(cfg, store) as box, pytest.raises(UnknownEmails) as raised:
        retry_failed(box, cfg, store, ["1", "99", stale])
    assert str(raised.value) == f"mailbox noc: no email 99, {stale} in folder 'Failed'"
    assert len(server.folders["Failed"].messages) == 1


def test_a_mailbox_whose_on_failed_moves_nothing_has_nothing_to_list_or_record(server, tmp_path):
    store = StateStore(tmp_path)
    data = email("Maintenance 1")
    server.folders["INBOX"].add(data, set())
    fail_all(store, {data: REASON}, on_failed="keyword:$Failed")
    assert listed(store, on_failed="keyword:$Failed") == []
    assert not (tmp_path / "failed-noc.json").exists()


def test_a_reason_that_cannot_be_recorded_never_holds_the_email_up(server, tmp_path):
    (tmp_path / "state").write_text("a file where the directory should be")
    store = StateStore(tmp_path / "state")
    data = email("Maintenance 1")
    server.folders["INBOX"].add(data, set())
    assert fail_all(store, {data: REASON}) == [data]
    assert len(server.folders["Failed"].messages) == 1


def test_an_email_too_large_to_read_is_listed_with_the_sources_reason(server, tmp_path):
    store = StateStore(tmp_path)
    server.folders["INBOX"].add(email("Big", "x" * 5000), set())
    fail_all(store, {}, max_message_bytes=1000)  # failed unread: the daemon has no bytes to key a record by
    [big] = listed(store, max_message_bytes=1000)
    assert big.reason is not None and "message too large" in big.reason and "/Failed;UID=1" in big.reason


def test_records_keep_the_newest_and_tell_apart_emails_that_share_a_message_id(tmp_path, monkeypatch):
    from ingestor import triage
    from ingestor.sources import RawMessage

    monkeypatch.setattr(triage, "MAX_RECORDS", 2)
    store, cfg = StateStore(tmp_path), config()
    head = b"Message-ID: <same@acme.example>\r\n\r\n"
    for n, body in enumerate((b"one", b"two", b"three")):
        record_failure(store, cfg, RawMessage(head + body, f"imap://x;UID={n}"), f"reason {n}", now=n)
    records = FailureRecords(store, "noc").load()
    assert sorted(record.reason for record in records.values()) == ["reason 1", "reason 2"]
    assert all(key.startswith("<same@acme.example> ") for key in records)


# -- the commands ---------------------------------------------------------------------------------------


def write_config(tmp_path, mailboxes: int = 1) -> str:
    lines = [f'state_dir = "{tmp_path / "state"}"\n', '[netbox]\nurl = "https://nb.invalid"\ntoken = "t"\n']
    for n in range(mailboxes):
        name = "noc" if n == 0 else f"noc{n}"
        lines.append(
            f'[[mailboxes]]\nname = "{name}"\nhost = "localhost"\nport = 143\nsecurity = "plain"\n'
            'username = "noc"\npassword = "secret"\n'
        )
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines))
    return str(path)


def test_the_failed_and_retry_commands(server, tmp_path, capsys):
    path = write_config(tmp_path)
    data = email("Maintenance 1")
    server.folders["INBOX"].add(data, set())
    fail_all(StateStore(tmp_path / "state"), {data: REASON})
    capsys.readouterr()
    assert main(["-c", path, "failed", "--format", "json"]) == 0
    out = capsys.readouterr()
    [row] = [json.loads(line) for line in out.out.splitlines()]
    assert row["reason"] == REASON and row["subject"] == "Maintenance 1"
    assert "mailbox noc: 1 emails in folder 'Failed'" in out.err
    assert main(["-c", path, "failed"]) == 0
    assert f"Reason:     {REASON}" in capsys.readouterr().out
    assert main(["-c", path, "retry", "42"]) == 2
    assert "no email 42 in folder 'Failed'" in capsys.readouterr().err
    assert main(["-c", path, "retry", "--all"]) == 0
    assert f"moved {row['handle']} back into 'INBOX': Maintenance 1" in capsys.readouterr().out
    assert server.folders["Failed"].messages == {} and len(server.folders["INBOX"].messages) == 1


def test_the_commands_refuse_what_they_cannot_use(server, tmp_path, capsys):
    path = write_config(tmp_path, mailboxes=2)
    assert main(["-c", path, "retry"]) == 2  # neither handles nor --all
    assert main(["-c", path, "retry", "1"]) == 2  # handles, but of which mailbox?
    assert "--mailbox NAME" in capsys.readouterr().err
    assert main(["-c", path, "failed", "--mailbox", "other"]) == 2
    assert "--mailbox other: no such mailbox (configured: noc, noc1)" in capsys.readouterr().err
