"""Config of OAuth2 mailboxes and Graph mailboxes: errors name the key; secrets read like passwords."""

from __future__ import annotations

import pytest

from ingestor.config import ConfigError, GraphMailboxConfig, MailboxConfig, load_config
from ingestor.disposition import Move
from ingestor.outcome import Outcome
from ingestor.sources.imap_oauth import choose_mechanism

BASE = '[netbox]\nurl = "https://nb"\ntoken = "t"\n'
IMAP_OAUTH = """
[[mailboxes]]
name = "m365"
host = "outlook.office365.com"
port = 993
username = "noc@contoso.example"
auth = "oauth2"
[mailboxes.oauth2]
provider = "microsoft"
tenant_id = "t-1"
client_id = "c-1"
client_secret_env = "NIS_UNIT_SECRET"
"""
GRAPH = """
[[mailboxes]]
name = "graph"
kind = "graph"
user = "noc@contoso.example"
[mailboxes.oauth2]
provider = "generic"
token_url = "https://idp.example/token"
client_id = "c"
client_secret_file = "$CREDENTIALS_DIRECTORY/secret"
"""


def load(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(BASE + text)
    return load_config(path)


def test_oauth2_imap_mailbox_with_secret_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("NIS_UNIT_SECRET", "s3cret-value")
    mailbox = load(tmp_path, IMAP_OAUTH).mailboxes[0]
    assert isinstance(mailbox, MailboxConfig) and mailbox.auth == "oauth2"
    assert mailbox.oauth2.client_secret.get_secret_value() == "s3cret-value"
    assert "s3cret-value" not in repr(mailbox)


def test_graph_mailbox_with_secret_from_credentials_dir(tmp_path, monkeypatch):
    (tmp_path / "secret").write_text("from-file\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    mailbox = load(tmp_path, GRAPH).mailboxes[0]
    assert isinstance(mailbox, GraphMailboxConfig)
    assert mailbox.oauth2.client_secret.get_secret_value() == "from-file"
    assert mailbox.graph_url == "https://graph.microsoft.com/v1.0"
    assert mailbox.disposition(Outcome.DUPLICATE) == (Move("Processed"),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (IMAP_OAUTH.replace('tenant_id = "t-1"\n', ""), "mailboxes.0.oauth2: Value error, tenant_id: requ"),
        (IMAP_OAUTH.split("[mailboxes.oauth2]")[0], "mailboxes.0: Value error, auth = 'oauth2' needs"),
        (IMAP_OAUTH.replace('provider = "microsoft"', 'provider = "yahoo"'), "mailboxes.0.oauth2.provider"),
        (IMAP_OAUTH.replace("port = 993", "port = 0"), "mailboxes.0.port: Input should be greater than 0"),
        (GRAPH.replace('user = "noc@contoso.example"\n', ""), "mailboxes.0.user: Field required"),
        (GRAPH.replace('kind = "graph"', 'kind = "pop3"'), "mailboxes.0: Input tag 'pop3'"),
        (GRAPH.replace("https://idp.example/token", "idp.example/token"), "mailboxes.0.oauth2.token_url"),
        (
            GRAPH.replace("on_success", "x").replace("user = ", 'on_success = "move:INBOX"\nuser = '),
            "cannot move into the folder being read",
        ),
    ],
)
def test_errors_name_the_key(tmp_path, monkeypatch, text, message):
    monkeypatch.setenv("NIS_UNIT_SECRET", "x")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    (tmp_path / "secret").write_text("x")
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    assert message in str(info.value)


def test_password_mailbox_unchanged(tmp_path):
    text = IMAP_OAUTH.split("auth =")[0] + 'password = "pw"\n'
    mailbox = load(tmp_path, text).mailboxes[0]
    assert mailbox.auth == "password" and mailbox.password.get_secret_value() == "pw"


@pytest.mark.parametrize(
    ("preference", "capabilities", "expected"),
    [
        ("auto", {b"AUTH=XOAUTH2", b"AUTH=OAUTHBEARER"}, "XOAUTH2"),
        ("auto", {b"AUTH=OAUTHBEARER"}, "OAUTHBEARER"),
        ("auto", set(), "XOAUTH2"),
        ("oauthbearer", {b"AUTH=XOAUTH2"}, "OAUTHBEARER"),
    ],
)
def test_choose_mechanism(preference, capabilities, expected):
    assert choose_mechanism(preference, frozenset(capabilities)) == expected
