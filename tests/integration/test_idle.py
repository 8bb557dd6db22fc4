"""IMAP IDLE against the real Dovecot: new mail reaches NetBox long before the safety-net poll, IDLE
survives a server restart, and SIGTERM still stops the daemon cleanly."""

from __future__ import annotations

import time

import pytest

from tests.faults.scenarios import restart_imap
from tests.live import CIRCUITS, LiveDaemon, notification_arrival, outage_email

from .helpers import prepare_netbox

pytestmark = pytest.mark.integration

INTERVAL = 600  # the safety-net poll: nothing in these tests may wait for it


@pytest.fixture
def daemon(netbox_api, stack, tmp_path, imap_append):
    config = prepare_netbox(netbox_api, stack, tmp_path, CIRCUITS, mailbox_user="noc")
    config.write_text(config.read_text().replace("interval_seconds = 5", f"interval_seconds = {INTERVAL}"))
    running = LiveDaemon(config, tmp_path / "daemon.log")
    running.wait_for("imap_idle_started")
    running.wait_for("poll_done")  # the start-up poll
    yield running
    running.stop()


def deliver(imap_append, ticket: str) -> str:
    message_id, raw = outage_email(ticket)
    imap_append("noc", "INBOX", raw)
    return message_id


def test_new_mail_reaches_netbox_without_waiting_for_the_interval(daemon, netbox_api, imap_append):
    for n in range(3):
        message_id = deliver(imap_append, f"NW-IDLE-{n}")
        assert notification_arrival(netbox_api, message_id, timeout=30) is not None
        time.sleep(1)
    assert len(daemon.events("email_processed")) == 3


def test_idle_comes_back_after_the_server_restarts(daemon, netbox_api, imap_append):
    restart_imap()
    daemon.wait_for("imap_idle_started", count=2, timeout=60)
    message_id = deliver(imap_append, "NW-IDLE-RESTART")
    assert notification_arrival(netbox_api, message_id, timeout=30) is not None
    assert daemon.events("imap_idle_reconnecting")


def test_sigterm_stops_the_daemon_while_it_idles(daemon):
    assert daemon.stop(timeout=30) == 0
    assert daemon.events("daemon_stopped")
