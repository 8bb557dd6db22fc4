"""The daemon uses a mailbox only through the MailboxSource contract: reconnects as often as the source
says, and never on a setup error (a refused login, TLS), whichever source raised it."""

from __future__ import annotations

import threading
import types

import pytest
import structlog

from ingestor import daemon as daemon_module
from ingestor.sources.errors import GraphLoginError, MailboxConnectError, MailboxError, MailboxTLSError


class FailingSource:
    """A source whose session never opens."""

    def __init__(self, error: MailboxError, reconnect_attempts: int, opened: list):
        self.error, self.reconnect_attempts, self.opened = error, reconnect_attempts, opened

    def __enter__(self):
        self.opened.append(1)
        raise self.error

    def __exit__(self, *exc_info):
        pass


def reconnect(monkeypatch, error: MailboxError, attempts: int) -> int:
    opened: list = []
    monkeypatch.setattr(daemon_module, "mailbox_source", lambda *a: FailingSource(error, attempts, opened))
    monkeypatch.setattr(daemon_module, "RECONNECT_FIRST_SECONDS", 0.0)
    daemon = types.SimpleNamespace(
        state=None, config=types.SimpleNamespace(instance_name="a"), stopping=threading.Event()
    )
    mailbox = types.SimpleNamespace(name="noc")
    with pytest.raises(type(error)):
        daemon_module.Daemon._poll_with_reconnects(daemon, mailbox, None, structlog.get_logger())
    return len(opened)


def test_a_dropped_connection_is_reopened_as_often_as_the_source_says(monkeypatch):
    assert reconnect(monkeypatch, MailboxConnectError("mailbox noc: connection reset"), 3) == 4
    assert reconnect(monkeypatch, MailboxConnectError("mailbox noc: connection reset"), 0) == 1


@pytest.mark.parametrize("error", [MailboxTLSError("untrusted"), GraphLoginError("HTTP 403", 403)])
def test_a_setup_error_is_not_retried_whichever_source_raised_it(monkeypatch, error):
    assert reconnect(monkeypatch, error, 3) == 1
