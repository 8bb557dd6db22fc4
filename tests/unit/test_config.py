from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingestor.cli import main
from ingestor.config import ConfigError, load_config
from ingestor.disposition import Move

REPO = Path(__file__).resolve().parents[2]
DEMO_EMAILS = REPO / "scripts" / "demo" / "emails"

MINIMAL = """
[netbox]
url = "https://netbox.example.com/"
token = "nbt_abc.def"
"""

MAILBOX = """
[[mailboxes]]
name = "noc"
host = "imap.example.com"
port = 993
username = "noc"
password_env = "TEST_IMAP_PASSWORD"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_minimal_config_for_replay(tmp_path):
    config = load_config(write(tmp_path, MINIMAL))
    assert config.netbox.url == "https://netbox.example.com"
    assert config.netbox.verify_tls is True
    assert config.netbox.token.get_secret_value() == "nbt_abc.def"
    assert "nbt_abc" not in repr(config)  # secrets never show up in reprs or logs


def test_token_from_env_and_file(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBOX_TOKEN", "from-env")
    config = load_config(write(tmp_path, '[netbox]\nurl = "https://nb"\n'))
    assert config.netbox.token.get_secret_value() == "from-env"
    (tmp_path / "token").write_text("from-file\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    config = load_config(
        write(tmp_path, '[netbox]\nurl = "https://nb"\ntoken_file = "$CREDENTIALS_DIRECTORY/token"\n')
    )
    assert config.netbox.token.get_secret_value() == "from-file"


def test_missing_token_names_the_key(tmp_path, monkeypatch):
    monkeypatch.delenv("NETBOX_TOKEN", raising=False)
    with pytest.raises(ConfigError, match=r"netbox: .*no token"):
        load_config(write(tmp_path, '[netbox]\nurl = "https://nb"\n'))


def test_mailbox_defaults_and_password_env(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_IMAP_PASSWORD", "s3cret")
    config = load_config(write(tmp_path, MINIMAL + MAILBOX))
    mailbox = config.mailboxes[0]
    assert mailbox.password.get_secret_value() == "s3cret"
    assert (mailbox.security, mailbox.folder, mailbox.on_success, mailbox.on_duplicate) == (
        "tls",
        "INBOX",
        (Move("Processed"),),
        (Move("Processed"),),
    )


@pytest.mark.parametrize(
    ("snippet", "key"),
    [
        ('port = 993\nsecurity = "ssl"', "mailboxes.0.security"),
        ("port = 0", "mailboxes.0.port"),
        ('port = 993\non_success = "explode"', "mailboxes.0.on_success"),
        ('port = 993\ncolour = "blue"', "mailboxes.0.colour"),
    ],
)
def test_errors_name_the_key(tmp_path, monkeypatch, snippet, key):
    monkeypatch.setenv("TEST_IMAP_PASSWORD", "x")
    text = MINIMAL + MAILBOX.replace("port = 993", snippet)
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text))
    assert key in str(error.value)


def test_unknown_outage_status_in_map_is_reported_at_load(tmp_path):
    text = MINIMAL + '[parsing.outage_status_map]\n"fixed" = "DONE"\n'
    with pytest.raises(ConfigError, match="parsing.outage_status_map"):
        load_config(write(tmp_path, text))


def test_provider_mapping_and_senders(tmp_path):
    text = MINIMAL + '[providers.zayo]\nnetbox_provider = "Zayo-Group"\nsenders = ["NOC@Forwarder.example"]\n'
    config = load_config(write(tmp_path, text))
    assert config.netbox_provider_slug("zayo") == "zayo-group"
    assert config.netbox_provider_slug("lumen") == "lumen"
    assert config.parser_options().sender_providers == {"noc@forwarder.example": "zayo"}


def test_cli_exit_code_2_on_bad_config(tmp_path, capsys):
    assert main(["-c", str(write(tmp_path, "[netbox\n")), "replay", "x.eml"]) == 2
    assert "not valid TOML" in capsys.readouterr().err
    assert main(["-c", str(tmp_path / "missing.toml"), "check"]) == 2


@pytest.mark.parametrize("command", [["replay", "x.eml"], ["parse", "x.eml"]])
def test_cli_exit_code_2_on_a_config_that_is_not_utf8(tmp_path, capsys, command):
    path = tmp_path / "latin1.toml"
    path.write_bytes(MINIMAL.encode() + "# Grüße\n".encode("latin-1"))
    assert main(["-c", str(path), *command]) == 2
    err = capsys.readouterr().err
    assert f"{path}: not valid UTF-8 (byte " in err and "Traceback" not in err


def test_parsing_limits_reach_the_parser_options(tmp_path):
    text = MINIMAL + (
        "[parsing]\ntimeout_seconds = 5\nmemory_limit_mb = 768\nworkers = 2\nmax_body_bytes = 4096\n"
        "max_notices = 7\nstamp_skew_seconds = 60\nmax_attachment_mb = 3\n"
    )
    options = load_config(write(tmp_path, text)).parser_options()
    assert (options.timeout_seconds, options.memory_limit_mb, options.workers) == (5, 768, 2)
    assert (options.max_body_bytes, options.max_notices, options.stamp_skew_seconds) == (4096, 7, 60)
    assert options.max_inflated_bytes == 3 * 1024 * 1024


def test_a_memory_limit_below_a_workers_baseline_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="parsing.memory_limit_mb"):
        load_config(write(tmp_path, MINIMAL + "[parsing]\nmemory_limit_mb = 100\n"))


def test_example_config_is_valid(tmp_path, monkeypatch):
    credentials = tmp_path / "creds"
    credentials.mkdir()
    (credentials / "netbox-token").write_text("t")
    (credentials / "imap-password").write_text("p")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    example = tmp_path / "example.toml"
    shutil.copy(REPO / "config" / "notices-ingestor.example.toml", example)
    config = load_config(example)
    assert config.mailboxes[0].name == "noc"


def test_parse_command_needs_no_config(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NOTICES_INGESTOR_CONFIG", str(tmp_path / "absent.toml"))
    code = main(["parse", str(DEMO_EMAILS / "03-northwind-outage-investigating.eml")])
    out = capsys.readouterr().out
    assert code == 0
    assert '"event_id": "NW-INC-88213"' in out and '"status": "INVESTIGATING"' in out
