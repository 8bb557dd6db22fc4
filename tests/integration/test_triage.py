"""Issue 20, item 2 on the real Dovecot and NetBox: a failed email is listed with its reason, the cause is
fixed in NetBox, ``retry`` moves it back, and the next poll ingests it, leaving the failed folder empty.

The email is the outage corpus' first Zayo notice, in a NetBox without the provider "zayo": it fails
with "no NetBox provider with slug 'zayo'" (as in test_daemon) until the provider is created.
"""

from __future__ import annotations

import pytest

from tests.stack import reset_stack

from .helpers import netbox_event_state, run_cli, seed_providers, setup_netbox, write_config
from .test_daemon import (
    ZAYO_1,
    ZAYO_CIRCUITS,
    _corpus,  # noqa: F401 - autouse: skips, saying where it looked, without the corpus
    folder_counts,
)

pytestmark = pytest.mark.integration

USER = "ops"
MAILBOX = f"{USER}-box"  # as write_config names it


def test_a_failed_email_is_listed_with_its_reason_retried_after_the_fix_and_ingested(
    netbox_api, stack, tmp_path, imap_append, imap_client
):
    reset_stack()
    config = write_config(tmp_path / "config.toml", stack, mailbox_user=USER)
    setup_netbox(config)  # the tag; no provider "zayo" yet
    imap_append(USER, "INBOX", ZAYO_1.read_bytes())

    first = run_cli(config, "run", "--once")
    assert first.returncode == 1, first.stderr[-2000:]
    assert folder_counts(imap_client(USER), "INBOX", "Failed") == {"INBOX": 0, "Failed": 1}
    assert (tmp_path / "state" / f"failed-{MAILBOX}.json").exists()

    listed = run_cli(config, "failed", "--format", "json")
    assert listed.returncode == 0, listed.stderr[-2000:]
    [email] = listed.json_lines()
    assert email["mailbox"] == MAILBOX and email["message_id"] == "<zayo-out-1@corpus.invalid>"
    assert "no NetBox provider with slug 'zayo'" in email["reason"]
    assert email["failed_at"] is not None and email["subject"]
    text = run_cli(config, "failed", "--mailbox", MAILBOX)
    assert f"{MAILBOX} {email['handle']}" in text.stdout
    assert "no NetBox provider with slug 'zayo'" in text.stdout

    unknown = run_cli(config, "retry", "--mailbox", MAILBOX, "999999")
    assert unknown.returncode == 2 and "no email 999999 in folder 'Failed'" in unknown.stderr
    assert folder_counts(imap_client(USER), "INBOX", "Failed") == {"INBOX": 0, "Failed": 1}

    seed_providers(netbox_api, ZAYO_CIRCUITS)  # the fix: the provider and its circuits in NetBox
    retried = run_cli(config, "retry", "--mailbox", MAILBOX, email["handle"])
    assert retried.returncode == 0, retried.stdout + retried.stderr[-2000:]
    assert f"moved {email['handle']} back into 'INBOX'" in retried.stdout
    assert folder_counts(imap_client(USER), "INBOX", "Failed") == {"INBOX": 1, "Failed": 0}
    assert "<zayo-out-1@corpus.invalid>" not in (tmp_path / "state" / f"failed-{MAILBOX}.json").read_text()

    second = run_cli(config, "run", "--once")
    assert second.returncode == 0, second.stderr[-2000:]
    counts = folder_counts(imap_client(USER), "INBOX", "Failed", "Processed")
    assert counts == {"INBOX": 0, "Failed": 0, "Processed": 1}
    assert netbox_event_state(netbox_api, "outage", "zayo", "TTN-0007654321")["status"] == "INVESTIGATING"
    empty = run_cli(config, "failed", "--format", "json")
    assert empty.returncode == 0 and empty.json_lines() == []
    assert f"mailbox {MAILBOX}: 0 emails in folder 'Failed'" in empty.stderr
