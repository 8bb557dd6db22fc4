"""ImapMailbox against the real Dovecot of the dev stack (scripts/dev-stack up)."""

from __future__ import annotations

import subprocess
import uuid

import pytest
from imapclient import SEEN

from ingestor.config import MailboxConfig
from ingestor.disposition import AddKeyword, MarkSeen, Move
from ingestor.sources import imap as imap_module
from ingestor.sources.errors import MailboxError, MailboxLoginError, MailboxTLSError
from ingestor.sources.imap import ImapMailbox
from ingestor.state import StateStore

pytestmark = pytest.mark.integration


def email(subject: str, size: int = 0) -> bytes:
    # IMAP stores CRLF lines; a non-ASCII byte checks that nothing decodes and re-encodes the bytes
    return (
        (
            f"From: noc@provider.example\r\nTo: noc@example.net\r\nSubject: {subject}\r\n"
            f"Message-ID: <{uuid.uuid4().hex}@provider.example>\r\n\r\nMaintenance window.\r\n"
        ).encode()
        + b"caf\xc3\xa9 "
        + b"x" * size
        + b"\r\n"
    )


@pytest.fixture
def folder() -> str:
    # every test reads its own folder, so tests do not see each other's emails
    return f"T{uuid.uuid4().hex[:12]}"


@pytest.fixture
def make_config(stack, folder):
    def make(**overrides) -> MailboxConfig:
        fields = {
            "name": "noc",
            "host": stack["NIS_IMAP_HOST"],
            "port": int(stack["NIS_IMAPS_PORT"]),
            "security": "tls",
            "username": stack["NIS_IMAP_USER"],
            "password": stack["NIS_IMAP_PASSWORD"],
            "folder": folder,
            "tls_ca_file": stack["NIS_IMAP_CA_FILE"],
            "timeout_seconds": 10,
            "on_success": f"move:{folder}-Processed",
            "on_ignored": f"move:{folder}-Ignored",
            "on_failed": f"move:{folder}-Failed",
            "claim_prefix": f"{folder}-P-",  # each test its own claim folders
        }
        return MailboxConfig(**(fields | overrides))

    return make


@pytest.fixture
def store(tmp_path) -> StateStore:
    return StateStore(tmp_path / "state")


@pytest.fixture
def append(imap_append, stack, folder):
    def append_to(raw: bytes, flags=(), to: str | None = None) -> None:
        imap_append(stack["NIS_IMAP_USER"], to or folder, raw, flags=flags)

    return append_to


def fetch_all(config, store, instance: str = "localhost") -> list:
    with ImapMailbox(config, store, instance) as box:
        return list(box.fetch_new())


def flags_of(imap_client, folder: str) -> dict[int, tuple]:
    client = imap_client()
    client.select_folder(folder, readonly=True)
    uids = client.search("ALL")
    return {uid: data[b"FLAGS"] for uid, data in client.fetch(uids, ["FLAGS"]).items()} if uids else {}


# -- connecting --------------------------------------------------------------------------------------------


def test_starttls_with_ca_verification(make_config, store, append, stack):
    append(email("starttls"))
    config = make_config(security="starttls", port=int(stack["NIS_IMAP_PORT"]))
    with ImapMailbox(config, store) as box:
        assert box.has_capability("MOVE")  # announced only after login: asked again
        assert "starttls" in box.describe() and "1 messages" in box.describe()
        assert len(list(box.fetch_new())) == 1


def test_implicit_tls_with_ca_verification(make_config, store, append):
    append(email("tls"))
    with ImapMailbox(make_config(), store) as box:
        assert box.uidvalidity is not None
        assert len(list(box.fetch_new())) == 1


@pytest.fixture(scope="module")
def other_ca_file(tmp_path_factory) -> str:
    """A CA that did not sign the test server's certificate."""
    directory = tmp_path_factory.mktemp("other-ca")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=Other CA",
         "-keyout", str(directory / "ca.key"), "-out", str(directory / "ca.crt")],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(directory / "ca.crt")


@pytest.mark.parametrize("security", ["tls", "starttls"])
@pytest.mark.parametrize("ca", ["other CA file", "system CAs"])
def test_untrusted_certificate_is_a_clear_tls_error(make_config, store, stack, other_ca_file, security, ca):
    port = stack["NIS_IMAPS_PORT"] if security == "tls" else stack["NIS_IMAP_PORT"]
    ca_file = other_ca_file if ca == "other CA file" else None
    config = make_config(security=security, port=int(port), tls_ca_file=ca_file)
    with pytest.raises(MailboxTLSError, match=r"mailbox noc .*TLS certificate verification failed"):
        ImapMailbox(config, store).open()


def test_missing_ca_file_is_refused_when_the_config_is_read(make_config, tmp_path):
    """Checked at load (naming the key), not first met at the TLS handshake."""
    with pytest.raises(ValueError, match=r"tls_ca_file[\s\S]*nope\.crt: no such file"):
        make_config(tls_ca_file=str(tmp_path / "nope.crt"))


def test_implicit_tls_on_the_starttls_port_is_a_clear_tls_error(make_config, store, stack):
    config = make_config(port=int(stack["NIS_IMAP_PORT"]))
    with pytest.raises(MailboxTLSError, match="TLS handshake failed"):
        ImapMailbox(config, store).open()


def test_verification_off_only_when_configured(make_config, store, append):
    append(email("unverified"))
    config = make_config(tls_ca_file=None, verify_tls=False)
    with ImapMailbox(config, store) as box:
        assert len(list(box.fetch_new())) == 1


def test_wrong_password_names_the_mailbox_not_the_password(make_config, store):
    config = make_config(password="not-the-password-xyzzy")
    with pytest.raises(MailboxLoginError) as raised:
        ImapMailbox(config, store).open()
    message = str(raised.value)
    assert "mailbox noc" in message and "login as 'noc' failed" in message
    assert "xyzzy" not in message


def test_missing_folder_is_a_clear_error(make_config, store):
    with pytest.raises(MailboxError, match=r"mailbox noc .*SELECT 'NoSuchFolder\w*' failed"):
        ImapMailbox(make_config(folder=f"NoSuchFolder{uuid.uuid4().hex[:6]}"), store).open()


# -- reading: claims ---------------------------------------------------------------------------------


def claim_folder(folder: str, instance: str = "localhost") -> str:
    return f"{folder}-P-noc@{instance}"


def test_fetch_new_claims_then_returns_exact_bytes_in_uid_order_and_does_not_set_seen(
    make_config, store, append, imap_client, folder
):
    sent = [email("one"), email("two"), email("three")]
    for raw in sent:
        append(raw)
    messages = fetch_all(make_config(), store)
    assert [m.data for m in messages] == sent
    assert [m.uid for m in messages] == [1, 2, 3]  # UIDs in the claim folder
    assert all(m.mailbox == "noc" and m.error is None for m in messages)
    assert messages[0].source.endswith(f":{make_config().port}/{claim_folder(folder)};UID=1")
    assert flags_of(imap_client, folder) == {}  # claimed: moved out of the folder
    assert all(SEEN not in flags for flags in flags_of(imap_client, claim_folder(folder)).values())


def test_fetch_in_small_batches(make_config, store, append, monkeypatch):
    monkeypatch.setattr(imap_module, "SIZE_BATCH", 3)
    monkeypatch.setattr(imap_module, "BODY_BATCH_MESSAGES", 2)
    sent = [email(f"n{i}") for i in range(7)]
    for raw in sent:
        append(raw)
    assert [m.data for m in fetch_all(make_config(claim_batch=3), store)] == sent


def test_what_a_stopped_run_left_claimed_is_read_first_by_the_next(make_config, store, append):
    append(email("claimed, then the process was killed"))
    assert len(fetch_all(make_config(), store)) == 1  # nothing disposed: it stays claimed
    append(email("new"))
    assert [b"killed" in m.data for m in fetch_all(make_config(), store)] == [True, False]


def test_after_dispose_nothing_is_fetched_again(make_config, store, append, imap_client, folder):
    append(email("a"))
    append(email("b"))
    config = make_config(on_success="none")
    with ImapMailbox(config, store) as box:
        messages = list(box.fetch_new())
        for message in messages:
            box.dispose(message, [])
        assert list(box.fetch_new()) == []  # same session
    assert fetch_all(config, store) == []  # next poll
    # back in the folder, marked handled
    assert all(b"$NoticesHandled" in flags for flags in flags_of(imap_client, folder).values())
    assert len(flags_of(imap_client, folder)) == 2
    append(email("c"))
    assert [b"Subject: c" in m.data for m in fetch_all(config, store)] == [True]


def test_release_puts_an_email_back_untouched_for_a_later_poll(
    make_config, store, append, imap_client, folder
):
    append(email("deferred"))
    with ImapMailbox(make_config(), store) as box:
        [message] = box.fetch_new()
        box.release(message)
        assert list(box.fetch_new()) == []  # not claimed again in the same session
    [flags] = flags_of(imap_client, folder).values()
    assert b"$NoticesHandled" not in flags
    assert flags_of(imap_client, claim_folder(folder)) == {}
    assert len(fetch_all(make_config(), store)) == 1  # the next poll tries it again


def test_release_all_empties_the_claim_folder(make_config, store, append, imap_client, folder):
    for n in range(3):
        append(email(f"m{n}"))
    with ImapMailbox(make_config(), store) as box:
        next(box.fetch_new())
        assert box.release_all() == 3
    assert len(flags_of(imap_client, folder)) == 3
    assert flags_of(imap_client, claim_folder(folder)) == {}


def test_a_message_is_claimed_by_one_instance_only(make_config, store, append, imap_client, folder):
    append(email("contended"))
    config = make_config()
    with ImapMailbox(config, store, "host-a") as a, ImapMailbox(config, store, "host-b") as b:
        a.session.ensure_folder(a.claim_folder)
        b.session.select(config.folder)
        a.session.select(config.folder)
        assert a.session.move([1], a.claim_folder) is True
        assert b.session.move([1], b.claim_folder) is False  # EXPUNGEISSUED: the other one has it
    assert len(flags_of(imap_client, claim_folder(folder, "host-a"))) == 1
    assert flags_of(imap_client, claim_folder(folder, "host-b")) == {}


def test_another_instances_claims_come_back_after_the_lease(
    make_config, store, append, imap_client, folder, tmp_path
):
    append(email("claimed by an instance that died"))
    assert len(fetch_all(make_config(), StateStore(tmp_path / "a"), "host-a")) == 1
    survivor = StateStore(tmp_path / "b")
    assert fetch_all(make_config(claim_lease_seconds=3600), survivor, "host-b") == []  # lease running
    [message] = fetch_all(make_config(claim_lease_seconds=0.01), survivor, "host-b")
    assert b"died" in message.data
    assert flags_of(imap_client, claim_folder(folder, "host-a")) == {}


def test_oversize_message_is_an_error_not_downloaded(make_config, store, append):
    append(email("small"))
    append(email("big", size=5000))
    append(email("small again"))
    messages = fetch_all(make_config(max_message_bytes=2000), store)
    assert [m.uid for m in messages] == [1, 2, 3]
    assert [m.error is None for m in messages] == [True, False, True]
    assert messages[1].data == b""
    assert "too large" in messages[1].error and "limit is 2000 bytes" in messages[1].error


def test_lost_state_refetches_but_skips_messages_carrying_the_done_keyword(
    make_config, store, append, tmp_path
):
    append(email("done"), flags=["$Ingested"])
    append(email("new"))
    config = make_config(on_success="keyword:$Ingested")
    assert [b"Subject: new" in m.data for m in fetch_all(config, StateStore(tmp_path / "fresh"))] == [True]


# -- disposing ---------------------------------------------------------------------------------------------


def test_move_to_a_missing_folder_creates_it(make_config, store, append, imap_client, folder):
    raw = email("to move")
    append(raw)
    target = f"{folder}-Processed"
    with ImapMailbox(make_config(), store) as box:
        [message] = box.fetch_new()
        box.dispose(message, [Move(target)])
    client = imap_client()
    assert client.folder_exists(target)
    assert flags_of(imap_client, folder) == {}
    assert flags_of(imap_client, claim_folder(folder)) == {}
    client.select_folder(target, readonly=True)
    [(_, data)] = client.fetch(client.search("ALL"), ["BODY.PEEK[]"]).items()
    assert data[b"BODY[]"] == raw


def test_move_without_the_move_capability_copies_and_expunges(
    make_config, store, append, imap_client, folder, monkeypatch
):
    monkeypatch.setattr(ImapMailbox, "has_capability", lambda self, name: name.upper() != "MOVE")
    append(email("a"))
    append(email("b"))
    target = f"{folder}-Copied"
    with ImapMailbox(make_config(), store) as box:
        first, _second = box.fetch_new()
        box.dispose(first, [Move(target)])
    assert flags_of(imap_client, folder) == {}  # both claimed (copied, then expunged)
    assert list(flags_of(imap_client, claim_folder(folder))) == [2]  # only the disposed one left it
    assert len(flags_of(imap_client, target)) == 1


def test_keyword_and_seen_disposition(make_config, store, append, imap_client, folder):
    append(email("keep"))
    config = make_config(on_success="keyword:$Ingested+seen")
    with ImapMailbox(config, store) as box:
        [message] = box.fetch_new()
        box.dispose(message, [AddKeyword("$Ingested"), MarkSeen()])
    [flags] = flags_of(imap_client, folder).values()
    assert b"$Ingested" in flags and SEEN in flags
    assert fetch_all(config, store) == []


def test_keyword_then_move_keeps_the_keyword(make_config, store, append, imap_client, folder):
    append(email("both"))
    target = f"{folder}-Done"
    with ImapMailbox(make_config(), store) as box:
        [message] = box.fetch_new()
        box.dispose(message, [AddKeyword("$Ingested"), Move(target)])
    [flags] = flags_of(imap_client, target).values()
    assert b"$Ingested" in flags


def test_second_user_is_separate(make_config, store, append, stack, imap_append, folder):
    append(email("for noc"))
    imap_append(stack["NIS_IMAP_USER2"], folder, email("for the other user"))
    config = make_config(name="other", username=stack["NIS_IMAP_USER2"], password=stack["NIS_IMAP_PASSWORD2"])
    [message] = fetch_all(config, store)
    assert b"for the other user" in message.data and message.mailbox == "other"
