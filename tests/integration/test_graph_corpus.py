"""The shared maintenance corpus through the Microsoft Graph source into the real NetBox: `run --once`
(the real CLI in a subprocess) against the Graph stand-in and the token endpoint stand-in (msal's code),
ending in NetBox exactly as through IMAP, with dispositions applied in the stand-in and a second run adding
nothing. Graph itself is unreachable here; see tests/graph_standin.py for the contract it implements."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.graph_standin import GraphStandIn
from tests.oauth_standin import Client, TokenEndpoint

from .helpers import (
    MAINTENANCE_CORPUS,
    corpus_manifest,
    maintenance_circuits,
    object_counts,
    prepare_netbox,
    run_cli,
)
from .test_maintenance_corpus import assert_netbox_matches

pytestmark = pytest.mark.integration

USER = "noc-shared@example.net"


@pytest.fixture
def servers(stack):
    from cryptography.hazmat.primitives import serialization

    signing = Path(stack["NIS_OAUTH2_SIGNING_KEY"]).read_bytes()
    tokens = TokenEndpoint(
        signing,
        stack["NIS_OAUTH2_KID"],
        stack["NIS_OAUTH2_ISSUER"],
        stack["NIS_TLS_CERT"],
        stack["NIS_TLS_KEY"],
    ).start()
    tokens.add_client(Client("graph-app", USER, secret="graph-app-secret"))
    public = serialization.load_pem_private_key(signing, password=None).public_key()
    graph = GraphStandIn(public, stack["NIS_TLS_CERT"], stack["NIS_TLS_KEY"]).start()
    yield tokens, graph
    tokens.stop()
    graph.stop()


def test_graph_run_once_ingests_corpus_and_disposes(netbox_api, stack, tmp_path, servers, monkeypatch):
    tokens, graph = servers
    manifest = corpus_manifest(MAINTENANCE_CORPUS)
    config = prepare_netbox(netbox_api, stack, tmp_path, maintenance_circuits(manifest))
    config.write_text(
        config.read_text()
        + (
            f'[[mailboxes]]\nname = "graph-box"\nkind = "graph"\nuser = "{USER}"\ngraph_url = "{graph.url}"\n'
            f'tls_ca_file = "{stack.ca_file}"\non_duplicate = "keyword:Duplicate+seen+move:Processed"\n'
            f'[mailboxes.oauth2]\nprovider = "microsoft"\ntenant_id = "nis-tenant"\nclient_id = "graph-app"\n'
            f'client_secret_env = "NIS_GRAPH_SECRET"\nauthority_host = "{tokens.url}"\n'
            f'ca_file = "{stack.ca_file}"\n'
        )
    )
    store = graph.mailbox(USER)
    for entry in manifest:
        store.deliver((MAINTENANCE_CORPUS / entry["file"]).read_bytes())
    graph.throttle(1)  # the first request is throttled (Retry-After: 1) and retried

    monkeypatch.setenv("NIS_GRAPH_SECRET", "graph-app-secret")  # the CLI subprocess inherits it
    run = run_cli(config, "run", "--once")
    assert run.returncode == 1, run.stderr[-3000:]  # the corpus's error emails fail
    assert '"event": "graph_throttled"' in run.stderr
    assert_netbox_matches(netbox_api, manifest)
    errors = [e for e in manifest if e["outcome"] == "error"]
    counts = {name: len(store.in_folder_named(name)) for name in ("Inbox", "Processed", "Failed")}
    assert counts == {"Inbox": 0, "Processed": len(manifest) - len(errors), "Failed": len(errors)}
    failed_ids = {m.internetMessageId for m in store.in_folder_named("Failed")}
    assert failed_ids == {e["message_id"] for e in errors}

    # A second run reads nothing new (delta link kept) and changes nothing.
    before = object_counts(netbox_api)
    second = run_cli(config, "run", "--once")
    assert second.returncode == 0, second.stderr[-3000:]
    assert '"count": 0' in second.stderr and object_counts(netbox_api) == before

    # The same emails delivered again are duplicates: category, isRead, moved; NetBox unchanged.
    for entry in manifest[:5]:
        store.deliver((MAINTENANCE_CORPUS / entry["file"]).read_bytes())
    third = run_cli(config, "run", "--once")
    assert object_counts(netbox_api) == before, third.stderr[-3000:]
    duplicates = [m for m in store.in_folder_named("Processed") if "Duplicate" in m.categories]
    assert len(duplicates) == len([e for e in manifest[:5] if e["outcome"] != "error"])
    assert all(m.isRead for m in duplicates)
