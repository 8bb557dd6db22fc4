"""News without waiting for the next poll: IMAP IDLE (RFC 2177) on a connection of its own.

``IdleWatcher`` is one thread per mailbox whose server offers IDLE; it asks for a poll (``on_news``) as
soon as mail arrives. The daemon starts it and stops it with its ``stopping`` event; polling itself
stays the daemon's (a poll's session is another connection).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import structlog

from ingestor.sources.errors import MailboxConnectError, MailboxError, MailboxSetupError
from ingestor.sources.imap_session import ImapSession

if TYPE_CHECKING:
    from ingestor.config import MailboxConfig
    from ingestor.sources.imap import ImapMailbox

log = structlog.get_logger(__name__)

# the watcher's backoff after a failed session: doubling from the first delay, up to the limit
IDLE_BACKOFF_FIRST_SECONDS = 1.0
IDLE_BACKOFF_MAX_SECONDS = 300.0


class ImapIdle:
    """IDLE on an open session: waits in it, re-issued by the caller now and then."""

    def __init__(self, session: ImapSession):
        self._session = session
        self._idling = False

    def wait_for_news(self, timeout: float) -> bool:
        """Block in IDLE for at most ``timeout`` seconds; True when the server announced new mail.

        The session stays in IDLE between calls (``stop`` ends it); the caller re-issues it before
        the server's limit (RFC 2177: at most 29 minutes) by calling ``stop`` now and then.
        """
        if not self._idling:
            self._session.idle()
            self._idling = True
        started = time.monotonic()
        responses = self._session.idle_check(timeout)
        # imapclient swallows EOF: a closed connection reads as "nothing" returned before the timeout
        closed = not responses and time.monotonic() - started < timeout * 0.9
        if closed or any(_is_eof(r) for r in responses):
            self._idling = False
            raise MailboxConnectError(f"{self._session.where}: the server closed the connection during IDLE")
        return any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses)

    def stop(self) -> None:
        if self._idling:
            self._idling = False
            self._session.idle_done()


def _is_eof(response: tuple) -> bool:
    """A server shutting down says BYE before it closes the connection."""
    return bool(response) and response[0] == b"BYE"


class IdleWatcher(threading.Thread):
    """Waits in IMAP IDLE on one mailbox and asks for a poll when mail arrives.

    Its own connection (``open_mailbox`` makes a new session; the poll uses another). Re-issues IDLE
    every ``idle_renew_seconds``; after a dropped connection it reconnects with backoff and asks for a
    poll (mail may have come meanwhile). A server without IDLE ends the watcher: the interval polls go
    on as before.
    """

    CHECK_SECONDS = 1.0  # how often the wait looks at the stop flag

    def __init__(
        self,
        mailbox: MailboxConfig,
        open_mailbox: Callable[[], ImapMailbox],
        stopping: threading.Event,
        on_news: Callable[[], Any],
    ):
        super().__init__(name=f"idle:{mailbox.name}", daemon=True)
        self.mailbox = mailbox
        self.stopping = stopping
        self._open_mailbox = open_mailbox
        self._on_news = on_news
        self.log = log.bind(mailbox=mailbox.name)
        self.failures = 0  # consecutive failed sessions, for the backoff

    def run(self) -> None:
        """Until the daemon stops. An unexpected error is logged (with its traceback) and retried with
        backoff like a dropped connection: the watcher never dies silently, leaving only interval polls."""
        while not self.stopping.is_set():
            try:
                if not self._session():
                    return
            except MailboxSetupError as exc:  # a refused login, TLS: reconnecting will not help
                self.log.error("imap_idle_stopped", error=str(exc))
                return
            except MailboxError as exc:
                self._back_off("imap_idle_reconnecting", error=str(exc))
            except Exception:  # noqa: BLE001 - a bug or a library surprise: say so, keep watching
                self._back_off("imap_idle_crashed", exc_info=True)

    def _session(self) -> bool:
        """One IDLE connection until it drops; False when the server has no IDLE (the watcher ends)."""
        with self._open_mailbox() as imap:
            if not imap.has_capability("IDLE"):
                self.log.info("imap_idle_unsupported", reason="polling every interval_seconds only")
                return False
            self.failures = 0
            self._watch(ImapIdle(imap.session))
        return True

    def _back_off(self, event: str, **fields: Any) -> None:
        self.failures += 1
        delay = min(IDLE_BACKOFF_MAX_SECONDS, IDLE_BACKOFF_FIRST_SECONDS * 2 ** min(self.failures, 8))
        level = self.log.error if event == "imap_idle_crashed" else self.log.warning
        level(event, delay_seconds=delay, **fields)
        self.stopping.wait(delay)

    def _watch(self, idle: ImapIdle) -> None:
        self.log.info("imap_idle_started")
        self._poll_soon()  # mail may have arrived while we were not watching
        renew_at = time.monotonic() + self.mailbox.idle_renew_seconds
        while not self.stopping.is_set():
            if idle.wait_for_news(self.CHECK_SECONDS):
                self._poll_soon()
            if time.monotonic() >= renew_at:
                idle.stop()  # the next wait re-issues IDLE
                renew_at = time.monotonic() + self.mailbox.idle_renew_seconds
        idle.stop()

    def _poll_soon(self) -> None:
        """Ask for a poll on a thread of its own: the poll must not hold up the watching."""
        threading.Thread(target=self._on_news, name=f"poll:{self.mailbox.name}", daemon=True).start()
