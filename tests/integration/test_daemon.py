"""The daemon against the real Dovecot and NetBox: nothing is lost when NetBox is down, bad emails end
in Failed with their reason, and SIGTERM stops it cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from tests.stack import reset_stack

from .helpers import (
    OUTAGE_CORPUS,
    REPO,
    corpus_manifest,
    netbox_event_state,
    run_cli,
    seed_providers,
    setup_netbox,
    write_config,
)

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _corpus():
    corpus_manifest(OUTAGE_CORPUS)  # skips, saying where it looked, when ../shared/corpus is absent


ZAYO_1 = OUTAGE_CORPUS / "zayo" / "zayo-outage-1-investigating.eml"
ZAYO_CIRCUITS = {"zayo": {"OGYX/123456//ZYO", "OGYX/654321//ZYO"}}


def folder_counts(client, *folders) -> dict[str, int]:
    existing = {f[2] for f in client.list_folders()}
    return {f: client.folder_status(f, ["MESSAGES"])[b"MESSAGES"] if f in existing else 0 for f in folders}


def test_netbox_down_leaves_the_email_for_the_next_poll(
    netbox_api, stack, tmp_path, imap_append, imap_client
):
    good = write_config(tmp_path / "good.toml", stack, mailbox_user="noc")
    setup_netbox(good)
    seed_providers(netbox_api, ZAYO_CIRCUITS)
    imap_append("noc", "INBOX", ZAYO_1.read_bytes())

    # Same mailbox and state, but NetBox unreachable (nothing listens on port 9 here).
    down = tmp_path / "down.toml"
    down.write_text(
        good.read_text().replace(stack.netbox_url, "http://127.0.0.1:9").replace("retries = 2", "retries = 0")
    )
    run = run_cli(down, "run", "--once")
    assert run.returncode == 1
    assert "NetBox unavailable" in run.stderr
    assert folder_counts(imap_client("noc"), "INBOX", "Processed", "Failed") == {
        "INBOX": 1,
        "Processed": 0,
        "Failed": 0,
    }

    check = run_cli(down, "check")
    assert check.returncode == 1 and "netbox: PROBLEM: http://127.0.0.1:9" in check.stdout
    check = run_cli(good, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "mailbox noc-box: ok" in check.stdout

    run = run_cli(good, "run", "--once")
    assert run.returncode == 0, run.stderr[-2000:]
    assert folder_counts(imap_client("noc"), "INBOX", "Processed") == {"INBOX": 0, "Processed": 1}
    assert netbox_event_state(netbox_api, "outage", "zayo", "TTN-0007654321")["status"] == "INVESTIGATING"


def test_unknown_provider_and_garbage_go_to_failed_with_reason(
    netbox_api, stack, tmp_path, imap_append, imap_client
):
    reset_stack()
    config = write_config(tmp_path / "config.toml", stack, mailbox_user="ops")
    setup_netbox(config)  # no provider "zayo" in this NetBox
    imap_append("ops", "INBOX", ZAYO_1.read_bytes())
    imap_append("ops", "INBOX", b"\xff\xfe not an email at all \x00\x01")
    run = run_cli(config, "run", "--once")
    assert run.returncode == 1
    assert "no NetBox provider with slug 'zayo'" in run.stderr
    assert "<zayo-out-1@corpus.invalid>" in run.stderr
    counts = folder_counts(imap_client("ops"), "INBOX", "Failed", "Ignored", "Processed")
    assert counts == {"INBOX": 0, "Failed": 1, "Ignored": 1, "Processed": 0}
    assert netbox_api.plugins.notices.outage.count() == 0


def test_sigterm_stops_the_daemon_cleanly(netbox_api, stack, tmp_path, imap_append, imap_client):
    reset_stack()
    config = write_config(tmp_path / "config.toml", stack, mailbox_user="noc")
    setup_netbox(config)
    seed_providers(netbox_api, ZAYO_CIRCUITS)
    log = open(tmp_path / "daemon.log", "wb")  # noqa: SIM115 - closed below
    daemon = subprocess.Popen(
        [sys.executable, "-m", "ingestor", "-c", str(config), "run"], stdout=log, stderr=log, cwd=REPO
    )
    try:
        imap_append("noc", "INBOX", ZAYO_1.read_bytes())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if folder_counts(imap_client("noc"), "Processed")["Processed"] == 1:
                break
            time.sleep(1)
        else:
            pytest.fail(
                "the daemon did not ingest the email within 60 s:\n" + (tmp_path / "daemon.log").read_text()
            )
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
        log.close()
    text = (tmp_path / "daemon.log").read_text()
    assert '"event": "daemon_stopped"' in text
    assert netbox_event_state(netbox_api, "outage", "zayo", "TTN-0007654321") is not None


def test_replay_reads_stdin_for_an_mta_pipe(netbox_api, stack, tmp_path):
    reset_stack()
    config = write_config(tmp_path / "config.toml", stack)
    setup_netbox(config)
    seed_providers(netbox_api, ZAYO_CIRCUITS)
    run = run_cli(config, "replay", "--format", "json", "-", stdin=ZAYO_1.read_bytes())
    assert run.returncode == 0, run.stdout + run.stderr[-2000:]
    result = run.json_lines()[0]
    assert (result["source"], result["outcome"]) == ("-", "ingested")
    assert netbox_event_state(netbox_api, "outage", "zayo", "TTN-0007654321")["notifications"] == 1
