"""The Graph source against the local Graph stand-in (tests/graph_standin.py) and token endpoint stand-in,
both https on 127.0.0.1 with a throwaway certificate; tokens through the real msal code.

The first tests are contract tests of the stand-in itself: the documented request/response examples
(delta rounds with odata.maxpagesize=2 over 5 messages, $value, PATCH, move, folder creation, 429) must come
out as the documentation shows them, so the source tests below exercise the documented contract.
"""

from __future__ import annotations

import uuid

import pytest
import requests

from ingestor.config import GraphMailboxConfig
from ingestor.disposition import AddKeyword, MarkSeen, Move
from ingestor.http import HttpSession
from ingestor.outcome import Outcome
from ingestor.sources import failed_folder, mailbox_source
from ingestor.sources.errors import MailboxLoginError
from ingestor.sources.graph import GraphMailbox, load_delta
from ingestor.state import StateStore
from ingestor.triage import FailureRecords, UnknownEmails, list_failed, record_failure, retry_failed
from tests.graph_standin import GraphStandIn
from tests.oauth_standin import Client, TokenEndpoint, new_rsa_key, pem_private

USER = "noc@contoso.example"


@pytest.fixture
def servers(tls):
    key = new_rsa_key()
    tokens = TokenEndpoint(pem_private(key), "g-1", "https://issuer.test", str(tls[0]), str(tls[1])).start()
    tokens.add_client(Client("graph-app", USER, secret="graph-secret"))
    graph = GraphStandIn(key.public_key(), str(tls[0]), str(tls[1])).start()
    graph.mailbox(USER)
    yield tokens, graph
    tokens.stop()
    graph.stop()


def email(subject: str) -> bytes:
    return (
        f"From: noc@provider.example\r\nSubject: {subject}\r\nMessage-ID: <{uuid.uuid4().hex}@p>\r\n"
        "\r\nMaintenance window.\r\n"
    ).encode()


def token(tokens: TokenEndpoint, tls) -> str:
    response = requests.post(
        tokens.url + "/t/oauth2/v2.0/token",
        verify=str(tls[0]),
        data={
            "grant_type": "client_credentials",
            "client_id": "graph-app",
            "client_secret": "graph-secret",
            "scope": "https://graph.microsoft.com/.default",
        },
    )
    return response.json()["access_token"]


# -- contract tests of the stand-in (documented examples) -------------------------------------------------


def test_contract_delta_round_in_pages_then_only_new_messages(servers, tls):
    tokens, graph = servers
    for n in range(5):
        graph.mailbox(USER).deliver(email(f"m{n}"))
    session = HttpSession(ca_file=str(tls[0]))  # REQUESTS_CA_BUNDLE would beat Session.verify
    session.headers.update({"Authorization": f"Bearer {token(tokens, tls)}", "Prefer": "odata.maxpagesize=2"})
    url = f"{graph.url}/users/{USER}/mailFolders/inbox/messages/delta?$select=subject,sender,isRead"
    pages = []
    while url:
        body = session.get(url).json()
        pages.append(body)
        url = body.get("@odata.nextLink")
    assert [len(p["value"]) for p in pages] == [2, 2, 1]  # as in delta-query-messages, example 1
    assert all("@odata.nextLink" in p for p in pages[:2]) and "@odata.deltaLink" in pages[2]
    assert "$skiptoken=" in pages[0]["@odata.nextLink"] and "$deltatoken=" in pages[2]["@odata.deltaLink"]
    first = pages[0]["value"][0]
    assert first["@odata.type"] == "#microsoft.graph.message"
    assert set(first) >= {"id", "@odata.etag", "isRead"}
    assert "internetMessageId" not in first  # $select honoured
    graph.mailbox(USER).deliver(email("new"))
    again = session.get(pages[2]["@odata.deltaLink"]).json()
    assert [m["subject"] for m in again["value"]] == ["new"] and "@odata.deltaLink" in again
    graph.expire_delta_tokens()
    expired = session.get(pages[2]["@odata.deltaLink"])
    assert expired.status_code == 410 and expired.json()["error"]["code"] == "syncStateNotFound"


def test_contract_value_patch_move_folders_throttling(servers, tls):
    tokens, graph = servers
    message = graph.mailbox(USER).deliver(email("one"))
    session = HttpSession(ca_file=str(tls[0]))  # REQUESTS_CA_BUNDLE would beat Session.verify
    session.headers["Authorization"] = f"Bearer {token(tokens, tls)}"
    base = f"{graph.url}/users/{USER}"
    assert session.get(f"{base}/messages/{message.id}/$value").content == message.mime
    patched = session.patch(f"{base}/messages/{message.id}", json={"isRead": True, "categories": ["Done"]})
    assert patched.status_code == 200 and patched.json()["isRead"] is True
    created = session.post(f"{base}/mailFolders", json={"displayName": "Processed"})
    assert created.status_code == 201
    duplicate = session.post(f"{base}/mailFolders", json={"displayName": "Processed"})
    assert duplicate.json()["error"]["code"] == "ErrorFolderExists"
    old_id = message.id
    moved = session.post(f"{base}/messages/{old_id}/move", json={"destinationId": created.json()["id"]})
    assert moved.status_code == 201 and moved.json()["id"] != old_id  # a move makes a new copy
    assert moved.json()["parentFolderId"] == created.json()["id"]
    assert session.get(f"{base}/messages/{old_id}/$value").status_code == 404
    graph.throttle(1, retry_after="7")
    throttled = session.get(f"{base}/mailFolders/inbox")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"
    assert session.get(f"{base}/mailFolders/inbox", headers={"Authorization": "Bearer x"}).status_code == 401


# -- the source ----------------------------------------------------------------------------------------


@pytest.fixture
def make_config(servers, tls):
    tokens, graph = servers

    def make(**overrides) -> GraphMailboxConfig:
        return GraphMailboxConfig.model_validate(
            {
                "name": "graph-noc",
                "kind": "graph",
                "user": USER,
                "graph_url": graph.url,
                "tls_ca_file": str(tls[0]),
                "page_size": 2,
                "oauth2": {
                    "provider": "microsoft",
                    "tenant_id": "contoso",
                    "client_id": "graph-app",
                    "client_secret": "graph-secret",
                    "authority_host": tokens.url,
                    "ca_file": str(tls[0]),
                },
            }
            | overrides
        )

    return make


def run(config, state, dispose_with=lambda message: [Move("Processed")], sleeps=None):
    box = GraphMailbox(config, state, sleep=(sleeps.append if sleeps is not None else lambda s: None))
    with box:
        seen = []
        for message in box.fetch_new():
            seen.append(message)
            box.dispose(message, dispose_with(message))
        return seen, box.describe()


def test_reads_all_then_only_new_and_applies_dispositions(servers, make_config, tmp_path):
    _, graph = servers
    store = graph.mailbox(USER)
    for n in range(3):
        store.deliver(email(f"m{n}"))
    state = StateStore(tmp_path)
    assert isinstance(mailbox_source(make_config(), state), GraphMailbox)
    seen, description = run(make_config(), state)
    assert sorted(m.data.split(b"Subject: ")[1][:2] for m in seen) == [b"m0", b"m1", b"m2"]
    assert "by oauth2 (microsoft)" in description and "folder INBOX" in description
    assert [m.subject for m in store.in_folder("inbox")] == []
    processed = next(f for f in store.folders.values() if f.displayName == "Processed")
    assert len([m for m in store.messages.values() if m.folder == processed.id]) == 3
    assert run(make_config(), state)[0] == []  # second run: nothing new
    store.deliver(email("later"))
    assert [b"later" in m.data for m in run(make_config(), state)[0]] == [True]


def test_keywords_become_categories_and_seen_is_read(servers, make_config, tmp_path):
    _, graph = servers
    store = graph.mailbox(USER)
    message = store.deliver(email("k"))
    config = make_config(on_success="keyword:$Ingested+seen")
    run(config, StateStore(tmp_path), dispose_with=lambda m: [AddKeyword("$Ingested"), MarkSeen()])
    assert message.categories == ["$Ingested"] and message.isRead is True
    # the state lost: the initial round lists it again, but its done category skips it
    assert run(config, StateStore(tmp_path / "fresh"))[0] == []


def test_nested_destination_folder_created_once(servers, make_config, tmp_path):
    _, graph = servers
    for n in range(2):
        graph.mailbox(USER).deliver(email(f"n{n}"))
    run(make_config(), StateStore(tmp_path), dispose_with=lambda m: [Move("Done/2026")])
    folder_posts = ("mailFolders", "childFolders")
    posts = [p for method, p in graph.requests if method == "POST" and p.endswith(folder_posts)]
    assert len(posts) == 2  # Done, then Done/2026; the second message reuses them
    folders = graph.mailbox(USER).folders.values()
    parent = next(f for f in folders if f.displayName == "Done")
    assert any(f.displayName == "2026" and f.parentFolderId == parent.id for f in folders)


def test_throttling_honours_retry_after(servers, make_config, tmp_path):
    _, graph = servers
    graph.mailbox(USER).deliver(email("t"))
    graph.throttle(2, retry_after="3")
    sleeps: list[float] = []
    seen, _ = run(make_config(), StateStore(tmp_path), sleeps=sleeps)
    assert len(seen) == 1 and sleeps == [3.0, 3.0]
    graph.throttle(10, retry_after="600")  # longer than max_retry_after_seconds: the poll gives up
    with pytest.raises(Exception, match="throttled for 600 s"):
        run(make_config(), StateStore(tmp_path))


def test_interrupted_round_keeps_the_old_delta_link(servers, make_config, tmp_path):
    _, graph = servers
    for n in range(2):
        graph.mailbox(USER).deliver(email(f"i{n}"))
    state = StateStore(tmp_path)
    config = make_config(on_success="keyword:Seen-By-Ingestor", on_duplicate="keyword:Seen-By-Ingestor")
    with GraphMailbox(config, state) as box:
        first = next(iter(box.fetch_new()))
        box.dispose(first, [AddKeyword("Other")])  # one of two disposed, then the poll stops
    assert load_delta(state, "noc").delta_link is None
    seen, _ = run(config, state, dispose_with=lambda m: [AddKeyword("Other")])
    assert len(seen) == 2  # the round again; NetBox's idempotency makes the repeat harmless


def test_expired_delta_link_reads_the_folder_again(servers, make_config, tmp_path):
    _, graph = servers
    graph.mailbox(USER).deliver(email("e"))
    state = StateStore(tmp_path)
    run(make_config(), state)
    graph.expire_delta_tokens()
    graph.mailbox(USER).deliver(email("f"))
    seen, _ = run(make_config(), state)
    assert [b"Subject: f" in m.data for m in seen] == [True]


def test_too_large_message_is_yielded_with_an_error(servers, make_config, tmp_path):
    _, graph = servers
    graph.mailbox(USER).deliver(email("big") + b"x" * 5000)
    seen, _ = run(make_config(max_message_bytes=1000), StateStore(tmp_path))
    assert seen[0].error and "too large" in seen[0].error and seen[0].data == b""


def test_token_refused_then_refreshed_once_and_wrong_role(servers, make_config, tmp_path, tls):
    tokens, graph = servers
    graph.mailbox(USER).deliver(email("r"))
    config = make_config()
    run(config, StateStore(tmp_path))
    graph.public_key = new_rsa_key().public_key()  # Graph no longer accepts the cached token...
    graph.mailbox(USER).deliver(email("s"))
    with pytest.raises(MailboxLoginError, match="HTTP 401 InvalidAuthenticationToken"):
        run(config, StateStore(tmp_path))
    fetched = [r for r in tokens.requests if r["path"].endswith("/token")]
    assert len(fetched) == 2  # ...so one fresh token was fetched, then the mailbox reported the error


# -- the failed folder (ingestor.triage) -------------------------------------------------------------------


def test_failed_folder_lists_with_reasons_and_retry_moves_back_for_the_next_round(
    servers, make_config, tmp_path
):
    _, graph = servers
    store, state = graph.mailbox(USER), StateStore(tmp_path)
    store.deliver(email("fails"))
    config = make_config(on_failed="keyword:NoticesFailed+move:Failed")

    def fail(message):
        record_failure(state, config, message, "no NetBox provider with slug 'acme'")
        return config.disposition(Outcome.FAILED)

    run(config, state, dispose_with=fail)
    assert load_delta(state, "graph-noc").delta_link is not None  # the round is done
    with failed_folder(config, state) as box:
        [failed] = list(list_failed(box, config, state))
        assert failed.handle == store.in_folder_named("Failed")[0].id
        assert failed.reason == "no NetBox provider with slug 'acme'" and failed.headers.subject == "fails"
        with pytest.raises(UnknownEmails, match="no email M-unknown in folder 'Failed'"):
            retry_failed(box, config, state, ["M-unknown"])
        moved, missed = retry_failed(box, config, state, [failed.handle])
    assert [email.handle for email in moved] == [failed.handle] and missed == []
    assert store.in_folder_named("Failed") == [] and FailureRecords(state, "graph-noc").load() == {}
    [back] = store.in_folder("inbox")
    assert back.categories == []  # on_failed's category is off again
    seen, _ = run(config, state)  # the saved delta link lists the moved-back message as created
    assert [b"Subject: fails" in m.data for m in seen] == [True]


def test_a_failed_folder_that_does_not_exist_lists_nothing(servers, make_config, tmp_path):
    config = make_config()
    with failed_folder(config, StateStore(tmp_path)) as box:
        assert list(list_failed(box, config, StateStore(tmp_path))) == []
    _, graph = servers
    assert not [p for method, p in graph.requests if method == "POST"]  # listing creates no folder
