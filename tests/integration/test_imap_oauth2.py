"""IMAP OAuth2 logins (XOAUTH2, OAUTHBEARER) against the real Dovecot of the dev stack, whose oauth2 passdb
validates JWTs locally; tokens come from the local token endpoint stand-in (tests/oauth_standin.py) through
the real msal, google-auth and generic code paths."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from ingestor.cli import main
from ingestor.config import MailboxConfig
from ingestor.sources.errors import MailboxLoginError
from ingestor.sources.imap import ImapMailbox
from ingestor.state import StateStore
from tests.oauth_standin import Client, TokenEndpoint, new_rsa_key, pem_private

pytestmark = pytest.mark.integration


@pytest.fixture
def endpoint(stack):
    server = TokenEndpoint(
        Path(stack["NIS_OAUTH2_SIGNING_KEY"]).read_bytes(),
        stack["NIS_OAUTH2_KID"],
        stack["NIS_OAUTH2_ISSUER"],
        stack["NIS_TLS_CERT"],
        stack["NIS_TLS_KEY"],
    ).start()
    server.add_client(Client("noc-app", f"noc@{stack['NIS_IMAP_OAUTH2_DOMAIN']}", secret="noc-app-secret"))
    yield server
    server.stop()


@pytest.fixture
def folder(imap_append) -> str:
    name = f"O{uuid.uuid4().hex[:12]}"
    imap_append("noc", name, email("first"))  # as noc by password: the OAuth2 user reads the same Maildir
    return name


def email(subject: str) -> bytes:
    return (
        f"From: a@provider.example\r\nSubject: {subject}\r\nMessage-ID: <{uuid.uuid4().hex}@p>\r\n\r\n"
        "body\r\n"
    ).encode()


@pytest.fixture
def make_config(stack, endpoint, folder):
    def make(user: str = "noc", oauth2: dict | None = None, **overrides) -> MailboxConfig:
        generic = {
            "provider": "generic",
            "token_url": endpoint.url + "/token",
            "client_id": "noc-app",
            "client_secret": "noc-app-secret",
            "scope": "imap",
            "ca_file": stack.ca_file,
        }
        return MailboxConfig(
            **{
                "name": f"oauth-{uuid.uuid4().hex[:6]}",
                "host": stack.imap_host,
                "port": stack.imaps_port,
                "username": f"{user}@{stack['NIS_IMAP_OAUTH2_DOMAIN']}",
                "auth": "oauth2",
                "oauth2": oauth2 or generic,
                "folder": folder,
                "tls_ca_file": stack.ca_file,
                "timeout_seconds": 20,
            }
            | overrides
        )

    return make


def poll(config: MailboxConfig, state_dir: Path) -> tuple[str, int]:
    with ImapMailbox(config, StateStore(state_dir)) as box:
        return box.describe(), len(list(box.fetch_new()))


def write_config(tmp_path: Path, stack, endpoint, config: MailboxConfig, secret: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'state_dir = "{tmp_path}"\n[netbox]\nurl = "{stack.netbox_url}"\ntoken = "{stack.netbox_token}"\n'
        f'[[mailboxes]]\nname = "{config.name}"\nhost = "{config.host}"\nport = {config.port}\n'
        f'username = "{config.username}"\nauth = "oauth2"\nfolder = "{config.folder}"\n'
        f'tls_ca_file = "{stack.ca_file}"\n[mailboxes.oauth2]\nprovider = "generic"\n'
        f'token_url = "{endpoint.url}/token"\nclient_id = "noc-app"\n{secret}\n'
        f'ca_file = "{stack.ca_file}"\nscope = "imap"\n'
    )
    return path


@pytest.fixture
def dovecot_log(stack):
    """() -> what Dovecot logged since the test started (the file keeps earlier runs' lines)."""
    path = Path(stack["NIS_STATE_DIR"]) / "logs" / "dovecot.log"
    start = path.stat().st_size if path.exists() else 0

    def since_start() -> str:
        with path.open("rb") as file:
            file.seek(start)
            return file.read().decode(errors="replace")

    return since_start


def test_xoauth2_login_with_a_token_from_the_endpoint(make_config, endpoint, tmp_path, imap_client):
    description, count = poll(make_config(), tmp_path)
    assert "by oauth2 (generic, XOAUTH2)" in description
    assert count == 1
    assert [r["grant_type"] for r in endpoint.requests] == ["client_credentials"]
    imap_client("noc").noop()  # password logins keep working next to the oauth2 passdb


def test_oauthbearer_and_starttls(make_config, stack, tmp_path):
    config = make_config()
    config.oauth2.mechanism = "oauthbearer"
    config.security, config.port = "starttls", stack.imap_port
    description, count = poll(config, tmp_path)
    assert "by oauth2 (generic, OAUTHBEARER)" in description and count == 1


def test_microsoft_provider_through_msal(make_config, endpoint, stack, tmp_path):
    config = make_config(
        oauth2={
            "provider": "microsoft",
            "tenant_id": "nis-tenant",
            "client_id": "noc-app",
            "client_secret": "noc-app-secret",
            "authority_host": endpoint.url,
            "ca_file": stack.ca_file,
        }
    )
    assert "by oauth2 (microsoft, XOAUTH2)" in poll(config, tmp_path)[0]
    assert endpoint.requests[-1]["path"] == "/nis-tenant/oauth2/v2.0/token"


def test_google_provider_through_google_auth(make_config, endpoint, stack, tmp_path):
    key = endpoint.add_service_account(
        "nis@nis.iam.example", stack["NIS_IMAP_OAUTH2_DOMAIN"], endpoint.url + "/google/token"
    )
    (tmp_path / "sa.json").write_text(json.dumps(key))
    config = make_config(
        oauth2={
            "provider": "google",
            "service_account_file": str(tmp_path / "sa.json"),
            "ca_file": stack.ca_file,
        }
    )
    assert "by oauth2 (google, XOAUTH2)" in poll(config, tmp_path)[0]
    assert endpoint.requests[-1]["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"


def test_expiry_then_refresh_then_the_next_poll_works(make_config, endpoint, tmp_path):
    endpoint.lifetime = 3
    config = make_config()
    poll(config, tmp_path)
    time.sleep(3.2)  # the cached token has expired: the next poll must fetch a new one before logging in
    with capture_logs() as logs:
        description, _ = poll(config, tmp_path)
    assert "XOAUTH2" in description
    assert len(endpoint.requests) == 2
    assert not [e for e in logs if e["event"] == "imap_oauth2_token_refused"]  # refreshed before, not after


def test_a_refused_token_is_refreshed_once(make_config, endpoint, tmp_path):
    endpoint.lifetime, endpoint.reported_lifetime = 2, 3600  # the token dies long before it says it will
    config = make_config()
    poll(config, tmp_path)
    endpoint.lifetime = 600  # the next token lives
    time.sleep(4)  # Dovecot still took a token 0.2 s past its exp here: leave it a clear margin
    with capture_logs() as logs:
        poll(config, tmp_path)  # cached token refused by Dovecot, a fresh one works
    assert [e["event"] for e in logs if e["event"].startswith("imap_oauth2")] == [
        "imap_oauth2_token_refused",
        "imap_oauth2_login_after_refresh",
    ]
    assert len(endpoint.requests) == 2


def test_wrong_key_is_refused_with_a_clear_error(make_config, endpoint, tmp_path, dovecot_log):
    endpoint.signing_key_pem = pem_private(new_rsa_key())  # same kid, another key
    config = make_config()
    with pytest.raises(
        MailboxLoginError,
        match="XOAUTH2 login as 'noc@example.net' refused, also with a "
        "fresh token from generic, client credentials",
    ):
        poll(config, tmp_path)
    assert len(endpoint.requests) == 2  # refreshed once, then gave up
    assert "oauth2 failed: Local validation failed: Bad signature" in dovecot_log()


def test_wrong_user_in_check_and_log(
    make_config, endpoint, stack, tmp_path, capsys, monkeypatch, dovecot_log
):
    # noc's app, logging in as ops: Dovecot compares the token's email claim with the login user
    config = make_config(user="ops", name="ops-oauth")
    path = write_config(tmp_path, stack, endpoint, config, 'client_secret_env = "NIS_TEST_SECRET"')
    monkeypatch.setenv("NIS_TEST_SECRET", "noc-app-secret")  # secrets from the environment, as documented
    code = main(["-c", str(path), "check"])
    out, err = capsys.readouterr()
    assert code == 1
    line = next(line for line in out.splitlines() if line.startswith("mailbox ops-oauth"))
    assert "PROBLEM" in line and "XOAUTH2 login as 'ops@example.net' refused" in line, out
    assert "noc-app-secret" not in out + err and "eyJ" not in out + err  # no secret, no token
    assert "imap_oauth2_token_refused" in err  # our log says a refused token was refreshed once
    assert "Username 'ops@example.net' did not match 'noc@example.net'" in dovecot_log()


def test_check_shows_the_auth_of_a_working_mailbox(make_config, endpoint, stack, tmp_path, capsys):
    config = make_config(name="noc-oauth")
    path = write_config(tmp_path, stack, endpoint, config, 'client_secret = "noc-app-secret"')
    main(["-c", str(path), "check"])
    out = capsys.readouterr().out
    assert "mailbox noc-oauth: ok (tls 127.0.0.1" in out and "by oauth2 (generic, XOAUTH2)" in out, out
