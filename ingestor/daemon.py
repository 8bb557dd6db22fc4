"""The daemon: one APScheduler job per mailbox; each poll claims new emails, runs the pipeline and
disposes of each email only after NetBox holds its effect.

Faults, and what a poll does about them:
- one email fails transiently (DEFERRED) while NetBox answers its status probe: that email goes back
  to the folder and the poll goes on with the others; after ``max_attempts`` such failures (counted in
  state_dir) it is a poison email and goes to ``on_failed`` with the last error as its reason. Only
  failures of the email's own writes count (the pipeline splits a batch that fails as a whole down to
  the emails at fault, ``EmailReport.counted``);
- NetBox does not answer: the email goes back, the poll stops, what is still claimed goes back too, and
  polls of every mailbox wait with exponential backoff (no hot loop) until NetBox answers again;
- the IMAP connection drops (server restart, network): re-open it with backoff, up to
  ``reconnect_attempts`` times per poll; what was claimed is in the claim folder and is read first.

News without waiting for the next poll: where the server offers IMAP IDLE, one more connection per
mailbox waits in IDLE (``IdleWatcher``) and asks for a poll as soon as mail arrives. Polls of one
mailbox never overlap, and a request that comes during a poll makes that poll go round once more, so
no arrival waits for the safety-net interval.
"""

from __future__ import annotations

import hashlib
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice

import structlog
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from ingestor import metrics
from ingestor.config import Config, MailboxConfig
from ingestor.pipeline import EmailReport, Pipeline
from ingestor.sources import RawMessage, mailbox_source
from ingestor.sources.imap import ImapMailbox, MailboxError, MailboxLoginError, MailboxTLSError
from ingestor.state import MailboxState, StateStore
from parsers.models import Outcome

log = structlog.get_logger(__name__)

BACKOFF_FIRST_SECONDS = 5.0
BACKOFF_MAX_SECONDS = 300.0
RECONNECT_FIRST_SECONDS = 1.0


@dataclass
class PollResult:
    mailbox: str
    reports: list[EmailReport] = field(default_factory=list)
    error: str | None = None  # the mailbox or NetBox could not be used this time

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.reports if r.outcome == outcome)

    @property
    def failed(self) -> int:
        return self.count(Outcome.FAILED)


class NetBoxDown(Exception):
    """NetBox does not answer at all: stop the poll, keep every email for later."""


class Backoff:
    """Exponential backoff shared by every mailbox's polls while NetBox is down."""

    def __init__(self, first: float = BACKOFF_FIRST_SECONDS, limit: float = BACKOFF_MAX_SECONDS):
        self.first, self.limit = first, limit
        self.delay = 0.0
        self.until = 0.0

    def failed(self, now: float) -> float:
        self.delay = min(self.limit, self.delay * 2 if self.delay else self.first)
        self.until = now + self.delay
        return self.delay

    def succeeded(self) -> None:
        self.delay, self.until = 0.0, 0.0

    def waiting(self, now: float) -> float:
        return max(0.0, self.until - now)


class PollGate:
    """Serialises one mailbox's polls; a request made while a poll runs makes it go round once more."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pending = False

    def run(self, poll) -> None:
        self._pending = True
        while self._pending:
            if not self._lock.acquire(blocking=False):
                return  # the running poll sees _pending and goes round again
            try:
                while self._pending:
                    self._pending = False
                    poll()
            finally:
                self._lock.release()

    def wait_idle(self, timeout: float) -> bool:
        """Wait for a running poll to finish (a clean stop); False if it did not within ``timeout``."""
        if not self._lock.acquire(timeout=timeout):
            return False
        self._lock.release()
        return True


class Daemon:
    def __init__(self, config: Config, pipeline: Pipeline):
        self.config = config
        self.pipeline = pipeline
        self.state = StateStore(config.state_dir)
        self.stopping = threading.Event()
        self.netbox_backoff = Backoff()
        self._scheduler: BlockingScheduler | None = None
        self._gates = {mailbox.name: PollGate() for mailbox in config.mailboxes}

    def request_poll(self, mailbox: MailboxConfig) -> None:
        """Poll now, or right after the poll that is running (scheduler and IDLE watchers call this)."""
        if not self.stopping.is_set():
            self._gates[mailbox.name].run(lambda: self.poll(mailbox))

    # -- one poll ------------------------------------------------------------------------------------------

    def poll(self, mailbox: MailboxConfig) -> PollResult:
        result = PollResult(mailbox.name)
        started = time.monotonic()  # metrics (issue 8)
        bound = log.bind(mailbox=mailbox.name)
        wait = self.netbox_backoff.waiting(time.monotonic())
        if wait:
            result.error = f"NetBox unavailable: backing off, next try in {wait:.0f}s"
            bound.info("poll_skipped", reason=result.error)
            return result
        self.pipeline.catalog.refresh()  # new cache cycle: circuits added in NetBox are seen
        try:
            self._poll_with_reconnects(mailbox, result, bound)
        except NetBoxDown as exc:
            delay = self.netbox_backoff.failed(time.monotonic())
            result.error = f"NetBox unavailable: {exc}"
            bound.error("poll_interrupted", reason=result.error, backoff_seconds=delay)
        except Exception as exc:  # noqa: BLE001 - one mailbox's trouble must not stop the daemon
            result.error = f"{type(exc).__name__}: {exc}"
            bound.error("poll_failed", reason=result.error)
        counts = {o.value: result.count(o) for o in Outcome}
        bound.info("poll_done", error=result.error, **counts)
        metrics.poll_done(mailbox.name, time.monotonic() - started, ok=result.error is None)  # metrics
        return result

    def _poll_with_reconnects(self, mailbox: MailboxConfig, result: PollResult, bound) -> None:
        reconnects = getattr(mailbox, "reconnect_attempts", 0)  # IMAP only: Graph retries per request
        for attempt in range(reconnects + 1):
            try:
                with mailbox_source(mailbox, self.state, self.config.instance_name) as imap:
                    self._drain(imap, mailbox, result)
                return
            except (MailboxLoginError, MailboxTLSError):
                raise  # configuration problems: reconnecting will not help
            except MailboxError as exc:
                if attempt == reconnects or self.stopping.is_set():
                    raise
                delay = RECONNECT_FIRST_SECONDS * 2**attempt
                bound.warning("imap_reconnecting", error=str(exc), attempt=attempt + 1, delay_seconds=delay)
                self.stopping.wait(delay)

    def _drain(self, imap: ImapMailbox, mailbox: MailboxConfig, result: PollResult) -> None:
        """Work through the claimed emails, a batch at a time; on an early stop put what is still
        claimed back."""
        try:
            for batch in batches(imap.fetch_new(), self.config.batch_size):
                if self.stopping.is_set():
                    imap.release_all()
                    break
                reports = self.pipeline.process_batch(batch)
                result.reports += reports
                self._finish(imap, mailbox, batch, reports)
        except NetBoxDown:
            imap.release_all()
            raise
        except Exception:
            _release_quietly(imap)  # e.g. no parse worker could start: the emails wait for the next poll
            raise
        if self.stopping.is_set():
            imap.release_all()
        else:
            self.netbox_backoff.succeeded()

    def _finish(
        self, imap: ImapMailbox, mailbox: MailboxConfig, batch: list[RawMessage], reports: list[EmailReport]
    ):
        """Dispose of what is done; put back what waits (or quarantine it as poison after max_attempts)."""
        pairs = list(zip(batch, reports, strict=True))
        deferred = [report for _message, report in pairs if report.outcome == Outcome.DEFERRED]
        if deferred and not self.pipeline.gateway.answers():
            for message, report in pairs:
                if report.outcome != Outcome.DEFERRED:
                    self._dispose(imap, mailbox, message, report)
            raise NetBoxDown(deferred[0].reason)  # _drain puts the deferred emails back
        state = before = self.state.load(mailbox.name)
        for message, report in pairs:
            state = self._finish_one(imap, mailbox, message, report, state)
        if state != before:
            self.state.save(mailbox.name, state)

    def _finish_one(
        self,
        imap: ImapMailbox,
        mailbox: MailboxConfig,
        message: RawMessage,
        report: EmailReport,
        state: MailboxState,
    ) -> MailboxState:
        """One email of the batch: put back when it waits (its attempt counted only when the failure was
        its own, ``report.counted``), else disposed of; returns the mailbox's attempt counts after it."""
        key = hashlib.sha256(message.data).hexdigest()
        if report.outcome == Outcome.DEFERRED:
            count = None
            if report.counted:
                state, count = state.failed_attempt(key, report.reason)
            if count is None or count < mailbox.max_attempts:
                log.warning("email_deferred", source=message.source, attempt=count, reason=report.reason)
                imap.release(message)
                return state
            _poison(report, count, mailbox.name)
        self._dispose(imap, mailbox, message, report)
        return state.forget(key)

    def _dispose(self, imap: ImapMailbox, mailbox: MailboxConfig, message: RawMessage, report: EmailReport):
        imap.dispose(message, mailbox.disposition(report.outcome))
        metrics.email_done(report.outcome, report.provider, mailbox.name)  # metrics (issue 8)

    # -- scheduling ----------------------------------------------------------------------------------------

    def run_once(self) -> list[PollResult]:
        return [self.poll(mailbox) for mailbox in self.config.mailboxes]

    def run_forever(self) -> None:
        scheduler = BlockingScheduler(timezone="UTC")
        for mailbox in self.config.mailboxes:
            scheduler.add_job(
                self.request_poll,
                IntervalTrigger(seconds=mailbox.interval_seconds),
                args=[mailbox],
                id=f"mailbox:{mailbox.name}",
                max_instances=1,  # no overlapping polls of one mailbox
                coalesce=True,
                next_run_time=datetime.now(UTC),  # first poll at start-up
            )
        self._scheduler = scheduler
        from ingestor.service import ServiceSignals  # metrics, health, systemd notify (issue 8)

        ServiceSignals(self.config, self.pipeline.gateway).install(scheduler)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        for mailbox in self.config.mailboxes:
            if mailbox.idle and mailbox.kind == "imap":
                IdleWatcher(self, mailbox).start()
        log.info("daemon_started", mailboxes=[m.name for m in self.config.mailboxes])
        scheduler.start()
        for gate in self._gates.values():  # a poll an IDLE watcher started finishes its email too
            gate.wait_idle(timeout=120)
        log.info("daemon_stopped")

    def _on_signal(self, signum, _frame) -> None:
        log.info("stopping", signal=signal.Signals(signum).name)
        self.stopping.set()
        if self._scheduler is not None:
            # Finish the email in hand (its disposition too), then stop; from a signal handler the
            # shutdown must not block the main thread that runs the scheduler loop.
            threading.Thread(target=self._scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()


def batches(messages: Iterable[RawMessage], size: int) -> Iterator[list[RawMessage]]:
    """Consecutive lists of at most ``size`` messages (claimed lazily, as the batch fills)."""
    iterator = iter(messages)
    while batch := list(islice(iterator, size)):
        yield batch


def _poison(report: EmailReport, count: int, mailbox: str) -> None:
    """Failed transiently ``count`` times while NetBox answered: set it aside with its last error."""
    report.outcome = Outcome.FAILED
    report.reason = (
        f"poison email: failed {count} times while NetBox answered other requests; "
        f"last error: {report.reason}"
    )
    log.error("email_poison", message_id=report.message_id, source=report.source, reason=report.reason)
    metrics.poison_email(mailbox)  # metrics (issue 8)


def _release_quietly(imap: ImapMailbox) -> None:
    try:
        imap.release_all()
    except MailboxError as exc:  # the connection is what broke: the claims are read first next time
        log.info("imap_release_skipped", mailbox=imap.config.name, error=str(exc))


class IdleWatcher(threading.Thread):
    """Waits in IMAP IDLE on one mailbox and asks for a poll when mail arrives.

    Its own connection (the poll uses another). Re-issues IDLE every ``idle_renew_seconds``; after a
    dropped connection it reconnects with backoff and asks for a poll (mail may have come meanwhile).
    A server without IDLE ends the watcher: the interval polls go on as before.
    """

    CHECK_SECONDS = 1.0  # how often the wait looks at the stop flag

    def __init__(self, daemon: Daemon, mailbox: MailboxConfig):
        super().__init__(name=f"idle:{mailbox.name}", daemon=True)
        self.owner, self.mailbox = daemon, mailbox
        self.log = log.bind(mailbox=mailbox.name)
        self.failures = 0  # consecutive failed sessions, for the backoff

    def run(self) -> None:
        """Until the daemon stops. An unexpected error is logged (with its traceback) and retried with
        backoff like a dropped connection: the watcher never dies silently, leaving only interval polls."""
        while not self.owner.stopping.is_set():
            try:
                if not self._session():
                    return
            except (MailboxLoginError, MailboxTLSError) as exc:
                self.log.error("imap_idle_stopped", error=str(exc))
                return
            except MailboxError as exc:
                self._back_off("imap_idle_reconnecting", error=str(exc))
            except Exception:  # noqa: BLE001 - a bug or a library surprise: say so, keep watching
                self._back_off("imap_idle_crashed", exc_info=True)

    def _session(self) -> bool:
        """One IDLE connection until it drops; False when the server has no IDLE (the watcher ends)."""
        with ImapMailbox(self.mailbox, self.owner.state, self.owner.config.instance_name) as imap:
            if not imap.has_capability("IDLE"):
                self.log.info("imap_idle_unsupported", reason="polling every interval_seconds only")
                return False
            self.failures = 0
            self._watch(imap)
        return True

    def _back_off(self, event: str, **fields) -> None:
        self.failures += 1
        delay = min(BACKOFF_MAX_SECONDS, RECONNECT_FIRST_SECONDS * 2 ** min(self.failures, 8))
        level = self.log.error if event == "imap_idle_crashed" else self.log.warning
        level(event, delay_seconds=delay, **fields)
        self.owner.stopping.wait(delay)

    def _watch(self, imap: ImapMailbox) -> None:
        self.log.info("imap_idle_started")
        self._poll_soon()  # mail may have arrived while we were not watching
        renew_at = time.monotonic() + self.mailbox.idle_renew_seconds
        while not self.owner.stopping.is_set():
            if imap.wait_for_news(self.CHECK_SECONDS):
                self._poll_soon()
            if time.monotonic() >= renew_at:
                imap.stop_idle()  # the next wait re-issues IDLE
                renew_at = time.monotonic() + self.mailbox.idle_renew_seconds
        imap.stop_idle()

    def _poll_soon(self) -> None:
        threading.Thread(
            target=self.owner.request_poll,
            args=(self.mailbox,),
            name=f"poll:{self.mailbox.name}",
            daemon=True,
        ).start()
