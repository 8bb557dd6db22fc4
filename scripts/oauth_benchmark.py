"""Figures, not a test: OAuth2 IMAP logins on the dev stack's Dovecot and the Graph source on its stand-in.

    flock /tmp/nis-stack.lock .venv/bin/python scripts/oauth_benchmark.py

Prints medians/p95 of: a token from the local token endpoint (generic, msal, google-auth), an IMAP session
(connect + login + SELECT + logout) by password and by XOAUTH2 with a cached token, a refused XOAUTH2 login
(refresh once, then the error), and the Graph source reading + disposing of N messages on the stand-in.
Needs `scripts/dev-stack up` (uses its Dovecot, TLS certificate and OAuth2 test key).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives import serialization  # noqa: E402

from ingestor.config import GraphMailboxConfig, MailboxConfig, OAuth2Config  # noqa: E402
from ingestor.disposition import Move  # noqa: E402
from ingestor.sources.errors import MailboxLoginError  # noqa: E402
from ingestor.sources.graph import GraphMailbox  # noqa: E402
from ingestor.sources.imap import ImapMailbox  # noqa: E402
from ingestor.sources.oauth import build_source  # noqa: E402
from ingestor.state import StateStore  # noqa: E402
from tests.graph_standin import GraphStandIn  # noqa: E402
from tests.oauth_standin import Client, TokenEndpoint  # noqa: E402
from tests.stack import start_stack  # noqa: E402

RUNS = 30


def timed(action, runs: int = RUNS) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def report(name: str, times: list[float]) -> None:
    ordered = sorted(times)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    print(f"{name:58} median {statistics.median(times):7.1f} ms  p95 {p95:7.1f} ms  (n={len(times)})")


def main() -> None:
    stack = start_stack()
    domain = stack["NIS_IMAP_OAUTH2_DOMAIN"]
    signing = Path(stack["NIS_OAUTH2_SIGNING_KEY"]).read_bytes()
    tokens = TokenEndpoint(signing, stack["NIS_OAUTH2_KID"], stack["NIS_OAUTH2_ISSUER"],
                           stack["NIS_TLS_CERT"], stack["NIS_TLS_KEY"]).start()
    tokens.add_client(Client("bench", f"noc@{domain}", secret="bench-secret"))
    work = Path(tempfile.mkdtemp(prefix="nis-oauth-bench-"))
    try:
        token_figures(tokens, stack, work)
        imap_figures(tokens, stack, work, domain)
        graph_figures(tokens, stack, work, signing)
    finally:
        tokens.stop()


def token_figures(tokens: TokenEndpoint, stack, work: Path) -> None:
    ca = stack.ca_file
    generic = OAuth2Config(provider="generic", token_url=tokens.url + "/token", client_id="bench",
                           client_secret="bench-secret", scope="imap", ca_file=ca)
    source = build_source(generic, kind="imap", subject="noc")
    report("token, generic client credentials (https)", timed(lambda: source.fetch(fresh=False)))
    microsoft = OAuth2Config(provider="microsoft", tenant_id="t", client_id="bench",
                             client_secret="bench-secret", authority_host=tokens.url, ca_file=ca)
    msal_source = build_source(microsoft, kind="imap", subject="noc")
    report("token, msal client credentials, fresh (cache bypassed)",
           timed(lambda: msal_source.fetch(fresh=True)))
    key = tokens.add_service_account("bench@nis.iam.example", "example.net", tokens.url + "/google/token")
    (work / "sa.json").write_text(json.dumps(key))
    google = OAuth2Config(provider="google", service_account_file=str(work / "sa.json"), ca_file=ca)
    google_source = build_source(google, kind="imap", subject="noc@example.net")
    report("token, google-auth service account (jwt-bearer)", timed(lambda: google_source.fetch(fresh=False)))


def imap_figures(tokens: TokenEndpoint, stack, work: Path, domain: str) -> None:
    common = {"host": stack.imap_host, "port": stack.imaps_port, "tls_ca_file": stack.ca_file,
              "folder": "INBOX"}
    password = MailboxConfig(name="bench-pw", username="noc", password=stack.imap_users["noc"], **common)
    oauth = MailboxConfig(name="bench-oauth", username=f"noc@{domain}", auth="oauth2", **common, oauth2={
        "provider": "generic", "token_url": tokens.url + "/token", "client_id": "bench",
        "client_secret": "bench-secret", "scope": "imap", "ca_file": stack.ca_file})
    state = StateStore(work / "state")

    def session(config):
        with ImapMailbox(config, state):
            pass

    report("IMAP session by password (connect+login+SELECT+logout)", timed(lambda: session(password)))
    report("IMAP session by XOAUTH2, cached token", timed(lambda: session(oauth)))
    wrong = MailboxConfig(name="bench-wrong", username=f"ops@{domain}", auth="oauth2", **common,
                          oauth2=oauth.oauth2.model_dump() | {"client_secret": "bench-secret"})

    def refused():
        try:
            session(wrong)
        except MailboxLoginError:
            return
        raise AssertionError("the wrong user logged in")

    report("XOAUTH2 refused: refresh once, then the login error", timed(refused, runs=10))


def graph_figures(tokens: TokenEndpoint, stack, work: Path, signing: bytes) -> None:
    public = serialization.load_pem_private_key(signing, password=None).public_key()
    graph = GraphStandIn(public, stack["NIS_TLS_CERT"], stack["NIS_TLS_KEY"]).start()
    user = "bench@example.net"
    tokens.add_client(Client("graph-bench", user, secret="graph-secret"))
    try:
        store = graph.mailbox(user)
        count = 200
        for n in range(count):
            store.deliver(f"From: a@p.example\r\nSubject: {n}\r\nMessage-ID: <{uuid.uuid4().hex}@p>\r\n\r\n"
                          f"{'x' * 2000}\r\n".encode())
        config = GraphMailboxConfig.model_validate({
            "name": "graph-bench", "kind": "graph", "user": user, "graph_url": graph.url,
            "tls_ca_file": stack.ca_file, "oauth2": {
                "provider": "microsoft", "tenant_id": "t", "client_id": "graph-bench",
                "client_secret": "graph-secret", "authority_host": tokens.url, "ca_file": stack.ca_file}})
        start = time.perf_counter()
        with GraphMailbox(config, StateStore(work / "state")) as box:
            for message in box.fetch_new():
                box.dispose(message, [Move("Processed")])
        elapsed = time.perf_counter() - start
        print(f"{'Graph stand-in: read + move ' + str(count) + ' messages (page size 50)':58} "
              f"{elapsed:7.2f} s total, {count / elapsed:6.1f} messages/s, {len(graph.requests)} requests")
    finally:
        graph.stop()


if __name__ == "__main__":
    main()
