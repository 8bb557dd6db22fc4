import io
import mailbox
import sys
from pathlib import Path
from types import SimpleNamespace

from ingestor.sources import RawMessage
from ingestor.sources.files import iter_file_messages


def email(subject: str, body: str = "Maintenance window.\r\n") -> bytes:
    # CRLF and a non-ASCII byte: both must come through untouched
    return (
        f"From: noc@provider.example\r\nSubject: {subject}\r\nMessage-ID: <{subject}@provider.example>\r\n"
        f"\r\n{body}"
    ).encode() + b"caf\xc3\xa9\r\n"


def read(paths, **kwargs) -> list[RawMessage]:
    return list(iter_file_messages([str(p) for p in paths], **kwargs))


def test_eml_file_bytes_untouched(tmp_path):
    path = tmp_path / "a.eml"
    path.write_bytes(email("a"))
    [message] = read([path])
    assert message == RawMessage(data=email("a"), source=str(path))
    assert message.uid is None and message.mailbox is None and message.error is None


def test_any_file_is_one_message(tmp_path):
    path = tmp_path / "notice.txt"
    path.write_bytes(email("txt"))
    assert [m.data for m in read([path])] == [email("txt")]


def test_nested_directory_sorted_and_hidden_skipped(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.eml").write_bytes(email("b2"))
    (tmp_path / "b" / "1.eml").write_bytes(email("b1"))
    (tmp_path / "a.eml").write_bytes(email("a"))
    (tmp_path / ".hidden.eml").write_bytes(email("hidden"))
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.eml").write_bytes(email("git"))
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "d").mkdir()
    (tmp_path / "c" / "d" / "deep.eml").write_bytes(email("deep"))
    messages = read([tmp_path])
    assert [m.source for m in messages] == [
        str(tmp_path / "a.eml"),
        str(tmp_path / "b" / "1.eml"),
        str(tmp_path / "b" / "2.eml"),
        str(tmp_path / "c" / "d" / "deep.eml"),
    ]
    assert [m.data for m in messages] == [email("a"), email("b1"), email("b2"), email("deep")]


def test_symlink_loop_does_not_recurse_forever(tmp_path):
    (tmp_path / "a.eml").write_bytes(email("a"))
    (tmp_path / "loop").symlink_to(tmp_path)
    assert [m.data for m in read([tmp_path])] == [email("a")]


def write_mbox(path, bodies: list[bytes]) -> None:
    # written by hand so the expected bytes are known exactly: "From " line, message, blank line
    with open(path, "wb") as file:
        for body in bodies:
            file.write(b"From noc@provider.example Mon Jan  1 00:00:00 2024\n" + body + b"\n")


def test_mbox_with_three_messages(tmp_path):
    bodies = [
        b"Subject: one\n\nfirst\n",
        b"Subject: two\n\nsecond, with a quoted\n>From line\n",
        b"Subject: three\n\nthird\n",
    ]
    path = tmp_path / "box.mbox"
    write_mbox(path, bodies)
    messages = read([path])
    assert [m.source for m in messages] == [f"{path}#1", f"{path}#2", f"{path}#3"]
    assert [m.data for m in messages] == bodies
    assert all(m.error is None for m in messages)


def test_mbox_detected_by_content_not_name(tmp_path):
    path = tmp_path / "archive"
    write_mbox(path, [b"Subject: one\n\nx\n", b"Subject: two\n\ny\n"])
    assert len(read([path])) == 2


def test_mbox_in_a_directory(tmp_path):
    write_mbox(tmp_path / "box", [b"Subject: one\n\nx\n", b"Subject: two\n\ny\n"])
    (tmp_path / "z.eml").write_bytes(email("z"))
    assert [m.source for m in read([tmp_path])] == [
        f"{tmp_path / 'box'}#1",
        f"{tmp_path / 'box'}#2",
        str(tmp_path / "z.eml"),
    ]


def test_mbox_oversize_message_is_an_error_and_others_still_read(tmp_path):
    path = tmp_path / "box.mbox"
    write_mbox(path, [b"Subject: small\n\nx\n", b"Subject: big\n\n" + b"x" * 500 + b"\n", b"Subject: s\n\n"])
    messages = read([path], max_bytes=100)
    assert [m.error is None for m in messages] == [True, False, True]
    assert messages[1].data == b""
    assert f"{path}#2" in messages[1].error and "too large" in messages[1].error


def make_maildir(path) -> None:
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True)


def test_maildir_reads_cur_and_new(tmp_path):
    maildir = tmp_path / "Maildir"
    make_maildir(maildir)
    # written by hand (mailbox.add would rewrite line endings): one seen by a mail client, one new
    (maildir / "cur" / "1700000000.M1P1.host:2,S").write_bytes(email("one"))
    (maildir / "new" / "1700000001.M2P2.host").write_bytes(email("two"))
    (maildir / "tmp" / "1700000002.M3P3.host").write_bytes(email("being delivered"))
    messages = read([tmp_path])  # found as a Maildir while walking its parent
    assert [m.data for m in messages] == [email("one"), email("two")]
    assert [m.source for m in messages] == [
        f"{maildir}#1700000000.M1P1.host",
        f"{maildir}#1700000001.M2P2.host",
    ]


def test_maildir_written_by_the_mailbox_module(tmp_path):
    box = mailbox.Maildir(tmp_path / "md", create=True)
    box.add(b"Subject: x\n\nbody\n")
    assert [m.data for m in read([tmp_path / "md"])] == [b"Subject: x\n\nbody\n"]


def test_maildir_oversize(tmp_path):
    box = mailbox.Maildir(tmp_path / "md", create=True)
    box.add(email("big", "x" * 1000))
    [message] = read([tmp_path], max_bytes=100)
    assert message.error and "too large" in message.error and message.data == b""


def test_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(email("piped"))))
    assert list(iter_file_messages(["-"])) == [RawMessage(data=email("piped"), source="-")]


def test_stdin_oversize_is_drained(monkeypatch):
    stream = io.BytesIO(b"x" * 5000)
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=stream))
    [message] = iter_file_messages(["-"], max_bytes=100)
    assert message.source == "-" and "too large" in message.error
    assert stream.read() == b""  # all consumed, so the writer does not see a broken pipe


def test_stdin_empty(monkeypatch):
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(b"")))
    [message] = iter_file_messages(["-"])
    assert message.error == "stdin: no input"


def test_missing_path_is_an_error_not_a_crash(tmp_path):
    missing = tmp_path / "nope.eml"
    (tmp_path / "ok.eml").write_bytes(email("ok"))
    messages = read([missing, tmp_path / "ok.eml"])
    assert messages[0].source == str(missing)
    assert messages[0].error == f"{missing}: no such file or directory"
    assert messages[0].data == b""
    assert messages[1].data == email("ok")


def test_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "secret.eml"
    path.write_bytes(email("x"))
    real_open = Path.open

    def refuse(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)  # chmod 0 does not stop root, who runs these in CI
    [message] = read([path])
    assert message == RawMessage(data=b"", source=str(path), error=f"{path}: Permission denied")


def test_oversize_file_is_not_read(tmp_path):
    path = tmp_path / "big.eml"
    path.write_bytes(b"x" * 1001)
    [message] = read([path], max_bytes=1000)
    assert message.data == b""
    assert message.error == f"{path}: message too large (1001 bytes; limit is 1000 bytes)"
    path.write_bytes(b"x" * 1000)
    assert read([path], max_bytes=1000)[0].error is None


def test_empty_file(tmp_path):
    path = tmp_path / "empty.eml"
    path.write_bytes(b"")
    assert read([path])[0].error == f"{path}: empty file"


def test_streams_lazily(tmp_path):
    (tmp_path / "a.eml").write_bytes(email("a"))
    (tmp_path / "b.eml").write_bytes(email("b"))
    messages = iter_file_messages([str(tmp_path)])
    assert next(messages).data == email("a")
    (tmp_path / "b.eml").unlink()  # gone before it is reached
    assert "no such file" in next(messages).error
