"""The stages, in order, for a batch of emails: source messages → parse → NetBox sink → EmailReports.

Parsing is CPU-bound and runs in the parse worker processes (parsers.worker), several emails at once;
the NetBox stage takes the whole batch (ingestor.netbox's NetBoxSink). Disposition (what happens to each email
in its mailbox) is the caller's job, done only after this returns: a report means NetBox holds the
email's effect (or the email is ignored/failed for good) — except a DEFERRED report: NetBox failed
transiently (faults.py decides what is transient, wherever the failure was raised), and the email is
left to be tried again later. `ParserUnavailable` (no parse worker could start) escapes: the poll stops
and the emails stay for the next one.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import structlog

from ingestor import metrics
from ingestor.config import Config
from ingestor.netbox import (
    Catalog,
    EventResult,
    Fault,
    NetBoxGateway,
    NetBoxRejected,
    NetBoxSink,
    NetBoxUnavailable,
    SinkEmail,
    SinkResult,
    classify,
    describe,
)
from ingestor.sources import RawMessage
from parsers.models import EmailMeta, Outcome, ParseResult, final_outcome
from parsers.senders import sender_domain, unparsed_verdict
from parsers.worker import ParserUnavailable, ParseWorkerPool

log = structlog.get_logger(__name__)

_QUIET = (Outcome.INGESTED, Outcome.DUPLICATE, Outcome.IGNORED)


@dataclass
class EmailReport:
    source: str
    message_id: str | None
    outcome: Outcome
    reason: str = ""
    subject: str = ""
    provider: str | None = None
    events: list[EventResult] = field(default_factory=list)
    counted: bool = False  # a DEFERRED that counts towards max_attempts (SinkResult.counted)

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "message_id": self.message_id,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "subject": self.subject,
            "provider": self.provider,
            "events": [event.as_dict() for event in self.events],
        }

    def log(self) -> None:
        (log.info if self.outcome in _QUIET else log.warning)(
            "email_processed",
            outcome=self.outcome.value,
            message_id=self.message_id,
            source=self.source,
            subject=self.subject,
            provider=self.provider,
            reason=self.reason or None,
            events=[f"{e.kind}:{e.name}#{e.id}" for e in self.events] or None,
        )


@dataclass
class ParsedBatch:
    """A batch after parsing: a report per email (final for those that go no further) and the emails
    that go on to NetBox, keyed by their position."""

    reports: list[EmailReport]
    ready: list[SinkEmail] = field(default_factory=list)
    # ignored by parsing, from a sender no parser knows: NetBox may know its domain (issue 17, item 5)
    strangers: dict[int, EmailMeta] = field(default_factory=dict)


class Pipeline:
    def __init__(self, config: Config, gateway: NetBoxGateway, dry_run: bool = False):
        self.config = config
        self.gateway = gateway
        self.dry_run = dry_run
        self.parser_options = config.parser_options()
        # Each email is parsed in a worker process under a time and a memory limit (parsers.worker);
        # parser.restarts counts the workers killed and replaced.
        self.parser = ParseWorkerPool(self.parser_options)
        self.parser.warm_up()
        self._parse_threads = ThreadPoolExecutor(max(1, self.parser_options.workers), "parse")
        metrics.set_worker_restarts_source(lambda: self.parser.restarts)  # metrics (issue 8)
        configured = frozenset(config.providers) | {definition.provider for definition in config.parsers}
        metrics.set_known_providers_source(lambda: configured | self.parser.library_providers)
        # What does not change per email (providers, circuits), read once per poll (daemon: refresh)
        self.catalog = Catalog(gateway)
        self.sink = NetBoxSink(self.catalog, config.netbox_provider_slug, dry_run=dry_run)
        # One batch at a time reaches NetBox, whichever mailbox it came from: two batches naming the same
        # event must not both decide to create it.
        self._netbox_lock = threading.Lock()

    def close(self) -> None:
        """Stop the parse workers (they also stop when the process exits)."""
        self._parse_threads.shutdown(wait=False, cancel_futures=True)
        self.parser.close()

    def process(self, message: RawMessage) -> EmailReport:
        return self.process_batch([message])[0]

    def process_batch(self, messages: list[RawMessage]) -> list[EmailReport]:
        """One report per message, in order (see the module docstring for what a report promises)."""
        return self.finish_batch(self.parse_batch(messages))

    def process_batches(self, batches: Iterable[list[RawMessage]]) -> Iterator[list[EmailReport]]:
        """``process_batch`` over many batches, parsing the next batch while NetBox takes this one: a
        backfill is bound by both, and they use different resources (cores, NetBox). A batch whose
        parse workers could not start is reported DEFERRED, and the next batches still go."""
        with ThreadPoolExecutor(1, "parse-ahead") as ahead:
            pending: tuple[list[RawMessage], Future] | None = None
            for batch in batches:
                future = ahead.submit(self.parse_batch, batch)
                if pending is not None:
                    yield self._finish_or_defer(*pending)
                pending = (batch, future)
            if pending is not None:
                yield self._finish_or_defer(*pending)

    def _finish_or_defer(self, batch: list[RawMessage], parsing: Future) -> list[EmailReport]:
        try:
            return self.finish_batch(parsing.result())
        except ParserUnavailable as exc:
            return [
                EmailReport(m.source, None, Outcome.DEFERRED, f"parser unavailable: {exc}") for m in batch
            ]

    def parse_batch(self, messages: list[RawMessage]) -> ParsedBatch:
        """Parse every message (in the worker processes, several at once); no NetBox yet."""
        batch = ParsedBatch([EmailReport(m.source, None, Outcome.FAILED) for m in messages])
        parsed = list(self._parse_threads.map(self._parse, messages))
        for key, (report, result) in enumerate(zip(batch.reports, parsed, strict=True)):
            if _parse_report(report, messages[key], result):
                batch.ready.append(SinkEmail(key, result.email, result.notices))
            elif report.outcome is Outcome.IGNORED and result is not None and result.provider is None:
                batch.strangers[key] = result.email
        return batch

    def finish_batch(self, batch: ParsedBatch) -> list[EmailReport]:
        """The NetBox stage for what parsed, then one log event per email."""
        if batch.strangers:
            with self._netbox_lock:
                self._ask_netbox_about(batch.strangers, batch.reports)
        if batch.ready:
            self._to_netbox(batch.ready, batch.reports)
        for report in batch.reports:
            report.log()
        return batch.reports

    def _parse(self, message: RawMessage) -> ParseResult | None:
        if message.error:
            return None
        with metrics.parse_timer():
            return self.parser.parse(message.data, message.received)

    def _ask_netbox_about(self, strangers: dict[int, EmailMeta], reports: list[EmailReport]) -> None:
        """Ignored emails whose sender's domain belongs to a NetBox provider (providers.py) are that
        provider's emails: decided by the same rule as the parse workers' (senders.unparsed_verdict), so
        they fail unless the config ignores them. NetBox not answering defers them: whether a provider
        sent them cannot be told."""
        try:
            found = self.catalog.providers_by_domain({sender_domain(m.sender) for m in strangers.values()})
        except Exception as exc:  # noqa: BLE001 - classified as the sink's failures are (_batch_failure)
            failure = _batch_failure(exc)  # DEFERRED when NetBox failed transiently, FAILED for a bug
            for key in strangers:
                reports[key].outcome, reports[key].reason = failure.outcome, failure.reason
            return
        rules = self.parser_options.ignore_rules
        for key, meta in strangers.items():
            match = found.get(sender_domain(meta.sender))
            if match is None:
                continue
            status, reason, provider = unparsed_verdict(meta, [match.slug], reports[key].reason, rules)
            report = reports[key]
            report.outcome, report.reason, report.provider = (
                final_outcome(status) or report.outcome,
                reason,
                provider,
            )

    def _to_netbox(self, ready: list[SinkEmail], reports: list[EmailReport]) -> None:
        with self._netbox_lock:
            results = self._write(ready)
        for key, result in results.items():
            report = reports[key]
            report.outcome, report.reason, report.counted = result.outcome, result.reason, result.counted
            report.events = list(result.events.values())

    def _write(self, ready: list[SinkEmail]) -> dict[int, SinkResult]:
        """The sink's results. A batch that fails transiently as a whole while NetBox answers is written
        again in halves, down to the emails at fault: a read NetBox cannot answer for one email (or a
        request too large to answer in time) must neither hold the others back nor count against them.
        One email failing so is a poison candidate (``counted``); when NetBox does not answer, every
        email waits and none is counted."""
        try:
            return self.sink.write(ready)
        except NetBoxRejected as exc:  # refused outside any one event's writes (e.g. a provider)
            return {e.key: SinkResult(Outcome.FAILED, f"NetBox: {exc}") for e in ready}
        except Exception as exc:  # noqa: BLE001 - a bug met by one batch must not stop the daemon
            failure = _batch_failure(exc)
        if failure.outcome is not Outcome.DEFERRED or not self.gateway.answers():
            return {e.key: dataclasses.replace(failure) for e in ready}
        if len(ready) == 1:
            return {ready[0].key: dataclasses.replace(failure, counted=True)}
        log.warning("netbox_batch_split", emails=len(ready), reason=failure.reason)
        half = len(ready) // 2
        return self._write(ready[:half]) | self._write(ready[half:])


def _parse_report(report: EmailReport, message: RawMessage, parsed: ParseResult | None) -> bool:
    """Fill in what parsing tells; True when the email goes on to NetBox."""
    if parsed is None:
        report.reason = message.error or "unreadable"
        return False
    report.message_id = parsed.email.message_id
    report.subject = parsed.email.subject
    report.provider = parsed.provider
    if parsed.final_outcome is not None:  # ignored or failed: NetBox has nothing to do with it
        report.outcome, report.reason = parsed.final_outcome, parsed.reason
        return False
    return True


def _batch_failure(exc: Exception) -> SinkResult:
    """What a batch whose sink write raised ``exc`` reports: DEFERRED when NetBox failed transiently
    (faults.py decides, wherever it was raised), FAILED for a bug."""
    if isinstance(exc, NetBoxUnavailable):
        return SinkResult(Outcome.DEFERRED, f"NetBox unavailable: {exc}")
    if classify(exc) is Fault.TRANSIENT:  # raised outside the gateway: still not the emails' fault
        return SinkResult(Outcome.DEFERRED, f"NetBox unavailable: {describe(exc)}")
    log.exception("batch_crashed")
    return SinkResult(Outcome.FAILED, f"internal error: {type(exc).__name__}: {exc}")
