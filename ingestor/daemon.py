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
mailbox waits in IDLE (``sources.imap_idle.IdleWatcher``) and asks for a poll as soon as mail arrives.
Polls of one mailbox never overlap, and a request that comes during a poll makes that poll go round
once more, so no arrival waits for the safety-net interval.
"""

from __future__ import annotations

import functools
import hashlib
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from ingestor import metrics
from ingestor.config import AnyMailboxConfig, Config, MailboxConfig
from ingestor.netbox import NetBoxDown
from ingestor.outcome import Outcome
from ingestor.pipeline import BatchResult, EmailReport, Pipeline, batches
from ingestor.poison import count_attempt
from ingestor.sources import MailboxSource, RawMessage, mailbox_source
from ingestor.sources.errors import MailboxError, MailboxSetupError
from ingestor.sources.imap import ImapMailbox
from ingestor.sources.imap_idle import IdleWatcher
from ingestor.state import MailboxState, StateStore
from ingestor.triage import record_failure

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

    def request_poll(self, mailbox: AnyMailboxConfig) -> None:
        """Poll now, or right after the poll that is running (scheduler and IDLE watchers call this)."""
        if not self.stopping.is_set():
            self._gates[mailbox.name].run(lambda: self.poll(mailbox))

    # -- one poll ------------------------------------------------------------------------------------------

    def poll(self, mailbox: AnyMailboxConfig) -> PollResult:
        result = PollResult(mailbox.name)
        started = time.monotonic()  # metrics (issue 8)
        bound = log.bind(mailbox=mailbox.name)
        wait = self.netbox_backoff.waiting(time.monotonic())
        if wait:
            result.error = f"NetBox unavailable: backing off, next try in {wait:.0f}s"
            bound.info("poll_skipped", reason=result.error)
            return result
        self.pipeline.new_cycle()  # circuits added in NetBox are seen
        self._relink(bound)
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

    def _relink(self, bound) -> None:
        """Circuits added to NetBox since their emails get their impacts (netbox/relink.py). Its failure
        is logged and the poll goes on: the next poll tries again, and the emails do not wait for it."""
        try:
            linked = self.pipeline.relink().linked
        except Exception as exc:  # noqa: BLE001 - a late link must not stop the mailbox's poll
            bound.warning("relink_failed", error=f"{type(exc).__name__}: {exc}")
            return
        if linked:
            metrics.circuits_linked_late(sum(len(cids) for cids in linked.values()))

    def _poll_with_reconnects(self, mailbox: AnyMailboxConfig, result: PollResult, bound) -> None:
        attempt = 0
        while True:
            source = mailbox_source(mailbox, self.state, self.config.instance_name)  # a new session
            try:
                with source as imap:
                    self._drain(imap, mailbox, result)
                return
            except MailboxSetupError:
                raise  # configuration problems: reconnecting will not help
            except MailboxError as exc:
                if attempt >= source.reconnect_attempts or self.stopping.is_set():
                    raise
                delay = RECONNECT_FIRST_SECONDS * 2**attempt
                bound.warning("imap_reconnecting", error=str(exc), attempt=attempt + 1, delay_seconds=delay)
                self.stopping.wait(delay)
                attempt += 1

    def _drain(self, imap: MailboxSource, mailbox: AnyMailboxConfig, result: PollResult) -> None:
        """Work through the claimed emails, a batch at a time; on an early stop put what is still
        claimed back."""
        try:
            for batch in batches(imap.fetch_new(), self.config.batch_size):
                if self.stopping.is_set():
                    imap.release_all()
                    break
                self._finish(imap, mailbox, batch, self.pipeline.process_batch(batch), result)
        except NetBoxDown:
            imap.release_all()
            raise
        except Exception:
            # e.g. no parse worker could start: the emails wait for the next poll
            _release_quietly(imap, mailbox.name)
            raise
        if self.stopping.is_set():
            imap.release_all()
        else:
            self.netbox_backoff.succeeded()

    def _finish(
        self,
        imap: MailboxSource,
        mailbox: AnyMailboxConfig,
        batch: list[RawMessage],
        done: BatchResult,
        result: PollResult,
    ) -> None:
        """Dispose of what is done; put back what waits (or quarantine it as poison after max_attempts).
        NetBox down (the pipeline says, ``netbox_down``): what waits goes back uncounted and the poll
        stops."""
        pairs = list(zip(batch, done.reports, strict=True))
        first = len(result.reports)
        result.reports += done.reports
        if done.netbox_down:
            for message, report in pairs:
                if report.outcome != Outcome.DEFERRED:
                    self._dispose(imap, mailbox, message, report)
            waiting = next(report for report in done.reports if report.outcome == Outcome.DEFERRED)
            raise NetBoxDown(waiting.reason)  # _drain puts the deferred emails back
        state = before = self.state.load(mailbox.name)
        for index, (message, report) in enumerate(pairs):  # a poison email's report is a new one
            result.reports[first + index], state = self._finish_one(imap, mailbox, message, report, state)
        if state != before:
            self.state.save(mailbox.name, state)

    def _finish_one(
        self,
        imap: MailboxSource,
        mailbox: AnyMailboxConfig,
        message: RawMessage,
        report: EmailReport,
        state: MailboxState,
    ) -> tuple[EmailReport, MailboxState]:
        """One email of the batch: put back when it waits (its attempt counted only when the failure was
        its own, ``report.counted``: poison.count_attempt), else disposed of; returns its report as
        acted on and the mailbox's attempt counts after it."""
        key = hashlib.sha256(message.data).hexdigest()
        if report.outcome == Outcome.DEFERRED:
            before = state.attempt_count(key)
            report, count = count_attempt(report, before, mailbox.max_attempts)
            if report.outcome == Outcome.DEFERRED:
                attempt = count if report.counted else None
                log.warning("email_deferred", source=message.source, attempt=attempt, reason=report.reason)
                imap.release(message)
                return report, state.with_attempts(key, count, report.reason) if count != before else state
            log.error(
                "email_poison", message_id=report.message_id, source=report.source, reason=report.reason
            )
            metrics.poison_email(mailbox.name)  # metrics (issue 8)
        self._dispose(imap, mailbox, message, report)
        return report, state.forget(key)

    def _dispose(
        self, imap: MailboxSource, mailbox: AnyMailboxConfig, message: RawMessage, report: EmailReport
    ):
        """Apply the outcome's disposition; a failed email's reason is recorded first (triage: it stays
        with the email in the failed folder, and never holds it up)."""
        if report.outcome == Outcome.FAILED:
            record_failure(self.state, mailbox, message, report.reason)
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

        ServiceSignals(self.config, self.pipeline).install(scheduler)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        for mailbox in self.config.mailboxes:
            if isinstance(mailbox, MailboxConfig) and mailbox.idle:
                self._watch_idle(mailbox)
        log.info("daemon_started", mailboxes=[m.name for m in self.config.mailboxes])
        scheduler.start()
        for gate in self._gates.values():  # a poll an IDLE watcher started finishes its email too
            gate.wait_idle(timeout=120)
        log.info("daemon_stopped")

    def _watch_idle(self, mailbox: MailboxConfig) -> None:
        """Start the IDLE watcher of an IMAP mailbox: its own sessions, polls asked for, stops with us."""
        open_mailbox = functools.partial(ImapMailbox, mailbox, self.state, self.config.instance_name)
        on_news = functools.partial(self.request_poll, mailbox)
        IdleWatcher(mailbox, open_mailbox, self.stopping, on_news).start()

    def _on_signal(self, signum, _frame) -> None:
        log.info("stopping", signal=signal.Signals(signum).name)
        self.stopping.set()
        if self._scheduler is not None:
            # Finish the email in hand (its disposition too), then stop; from a signal handler the
            # shutdown must not block the main thread that runs the scheduler loop.
            threading.Thread(target=self._scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()


def _release_quietly(imap: MailboxSource, mailbox: str) -> None:
    try:
        imap.release_all()
    except MailboxError as exc:  # the connection is what broke: the claims are read first next time
        log.info("imap_release_skipped", mailbox=mailbox, error=str(exc))
