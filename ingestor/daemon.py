"""The daemon: one APScheduler job per mailbox; each poll fetches new emails, runs the pipeline and
disposes of each email only after NetBox holds its effect."""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from ingestor.config import Config, MailboxConfig
from ingestor.disposition import actions_for
from ingestor.netbox.client import NetBoxUnavailable
from ingestor.pipeline import EmailReport, Pipeline
from ingestor.sources import mailbox_source
from ingestor.state import StateStore
from parsers.models import Outcome

log = structlog.get_logger(__name__)


@dataclass
class PollResult:
    mailbox: str
    reports: list[EmailReport] = field(default_factory=list)
    error: str | None = None  # the mailbox or NetBox could not be used this time

    @property
    def failed(self) -> int:
        return sum(1 for r in self.reports if r.outcome == Outcome.FAILED)


class Daemon:
    def __init__(self, config: Config, pipeline: Pipeline):
        self.config = config
        self.pipeline = pipeline
        self.state = StateStore(config.state_dir)
        self.stopping = threading.Event()
        self._scheduler: BlockingScheduler | None = None

    def poll(self, mailbox: MailboxConfig) -> PollResult:
        result = PollResult(mailbox.name)
        bound = log.bind(mailbox=mailbox.name)
        self.pipeline.gateway.refresh()  # new cache cycle: circuits added in NetBox are seen
        try:
            with mailbox_source(mailbox, self.state) as imap:
                for message in imap.fetch_new():
                    if self.stopping.is_set():
                        break
                    report = self.pipeline.process(message)
                    result.reports.append(report)
                    imap.dispose(message, actions_for(str(report.outcome), mailbox))
        except NetBoxUnavailable as exc:
            # Leave the email where it is: the next poll fetches it again.
            result.error = f"NetBox unavailable: {exc}"
            bound.error("poll_interrupted", reason=result.error)
        except Exception as exc:  # noqa: BLE001 - one mailbox's trouble must not stop the daemon
            result.error = f"{type(exc).__name__}: {exc}"
            bound.error("poll_failed", reason=result.error)
        counts = {o.value: sum(1 for r in result.reports if r.outcome == o) for o in Outcome}
        bound.info("poll_done", error=result.error, **counts)
        return result

    def run_once(self) -> list[PollResult]:
        return [self.poll(mailbox) for mailbox in self.config.mailboxes]

    def run_forever(self) -> None:
        scheduler = BlockingScheduler(timezone="UTC")
        for mailbox in self.config.mailboxes:
            scheduler.add_job(
                self.poll,
                IntervalTrigger(seconds=mailbox.interval_seconds),
                args=[mailbox],
                id=f"mailbox:{mailbox.name}",
                max_instances=1,  # no overlapping polls of one mailbox
                coalesce=True,
                next_run_time=datetime.now(UTC),  # first poll at start-up
            )
        self._scheduler = scheduler
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        log.info("daemon_started", mailboxes=[m.name for m in self.config.mailboxes])
        scheduler.start()
        log.info("daemon_stopped")

    def _on_signal(self, signum, _frame) -> None:
        log.info("stopping", signal=signal.Signals(signum).name)
        self.stopping.set()
        if self._scheduler is not None:
            # Finish the email in hand (its disposition too), then stop; from a signal handler the
            # shutdown must not block the main thread that runs the scheduler loop.
            threading.Thread(target=self._scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()
