"""The stages, in order, for a batch of emails: source messages → parse → NetBox sink → EmailReports.

Parsing is CPU-bound and runs in the parse worker processes (parsers.worker), several emails at once;
the NetBox stage takes the whole batch (ingestor.netbox's NetBoxSink). Disposition (what happens to each email
in its mailbox) is the caller's job, done only after this returns: a report means NetBox holds the
email's effect (or the email is ignored/failed for good) — except a DEFERRED report: NetBox failed
transiently (faults.py decides what is transient, wherever the failure was raised), and the email is
left to be tried again later. Whether NetBox is down is decided once, by one status probe in the
NetBox stage (the writer's or the sink's: NetBoxDown), and handed on as ``BatchResult.netbox_down``:
the caller never asks NetBox itself. `ParserUnavailable` (no parse worker could start) escapes: the
poll stops and the emails stay for the next one.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice

import structlog

from ingestor import metrics
from ingestor.config import Config
from ingestor.halves import isolate
from ingestor.netbox import (
    Catalog,
    EventResult,
    NetBoxDown,
    NetBoxGateway,
    NetBoxRejected,
    NetBoxSink,
    RelinkResult,
    SinkEmail,
    SinkResult,
    relink,
    unavailable,
)
from ingestor.outcome import Outcome
from ingestor.sources import RawMessage
from parsers.models import EmailMeta, ParseResult, ParseStatus
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
class BatchResult:
    """What became of a batch: a report per message, in order, and whether NetBox was found down while
    the batch was at it (the sink's status probe, made once): then its DEFERRED emails wait for NetBox
    as a whole, none counts towards ``max_attempts``, and the daemon stops the poll."""

    reports: list[EmailReport]
    netbox_down: bool = False


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

    def new_cycle(self) -> None:
        """A poll (or a replay run) begins: what NetBox's reads cache is read afresh (circuits added in
        NetBox meanwhile are seen)."""
        self.catalog.refresh()

    def relink(self) -> RelinkResult:
        """Circuits added to NetBox since the emails that named them: their impacts written now
        (netbox/relink.py; one request when no open event awaits a circuit). Like a batch, it holds
        NetBox to itself while it writes."""
        with self._netbox_lock:
            return relink(self.catalog, datetime.now(UTC))

    @property
    def netbox_requests(self) -> int:
        """Requests sent to NetBox so far (replay's summary)."""
        return self.gateway.request_count

    def healthy(self) -> bool:
        """Does NetBox answer its status probe right now (one request, no retries)? The service's
        readiness probe (service.py), not a decision about a batch."""
        return self.gateway.healthy()

    def process_batch(self, messages: list[RawMessage]) -> BatchResult:
        """One report per message, in order (see the module docstring for what a report promises)."""
        return self.finish_batch(self.parse_batch(messages))

    def process_batches(self, batches: Iterable[list[RawMessage]]) -> Iterator[BatchResult]:
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

    def _finish_or_defer(self, batch: list[RawMessage], parsing: Future) -> BatchResult:
        try:
            return self.finish_batch(parsing.result())
        except ParserUnavailable as exc:
            reason = f"parser unavailable: {exc}"
            return BatchResult([EmailReport(m.source, None, Outcome.DEFERRED, reason) for m in batch])

    def parse_batch(self, messages: list[RawMessage]) -> ParsedBatch:
        """Parse every message (in the worker processes, several at once); no NetBox yet."""
        batch = ParsedBatch([EmailReport(m.source, None, Outcome.FAILED) for m in messages])
        parsed = list(self._parse_threads.map(self._parse, messages))
        for key, (report, result) in enumerate(zip(batch.reports, parsed, strict=True)):
            if (ready := _parse_report(report, messages[key], result)) is not None:
                batch.ready.append(SinkEmail(key, ready.email, ready.notices))
            elif report.outcome is Outcome.IGNORED and result is not None and result.provider is None:
                batch.strangers[key] = result.email
        return batch

    def finish_batch(self, batch: ParsedBatch) -> BatchResult:
        """The NetBox stage for what parsed, then one log event per email. Once NetBox is found down,
        the batch asks it nothing more: what is left of it waits with the same reason."""
        down: SinkResult | None = None
        if batch.strangers:
            with self._netbox_lock:
                down = self._ask_netbox_about(batch.strangers, batch.reports)
        if batch.ready:
            down = self._to_netbox(batch.ready, batch.reports, down)
        for report in batch.reports:
            report.log()
        return BatchResult(batch.reports, netbox_down=down is not None)

    def _parse(self, message: RawMessage) -> ParseResult | None:
        if message.error:
            return None
        with metrics.parse_timer():
            return self.parser.parse(message.data, message.received)

    def _ask_netbox_about(
        self, strangers: dict[int, EmailMeta], reports: list[EmailReport]
    ) -> SinkResult | None:
        """Ignored emails whose sender's domain belongs to a NetBox provider (providers.py) are that
        provider's emails: decided by the same rule as the parse workers' (senders.unparsed_verdict), so
        they fail unless the config ignores them. NetBox failing defers them: whether a provider sent
        them cannot be told. Returns their failure when NetBox is down."""
        try:
            found = self.sink.providers_by_domain({sender_domain(m.sender) for m in strangers.values()})
        except Exception as exc:  # noqa: BLE001 - classified as the sink's failures are (_batch_failure)
            failure = _batch_failure(exc)  # DEFERRED when NetBox failed transiently, FAILED for a bug
            for key in strangers:
                reports[key].outcome, reports[key].reason = failure.outcome, failure.reason
            return failure if isinstance(exc, NetBoxDown) else None
        rules = self.parser_options.ignore_rules
        for key, meta in strangers.items():
            match = found.get(sender_domain(meta.sender))
            if match is None:
                continue
            status, reason, provider = unparsed_verdict(meta, [match.slug], reports[key].reason, rules)
            report = reports[key]
            report.outcome, report.reason, report.provider = (
                parse_outcome(status) or report.outcome,
                reason,
                provider,
            )
        return None

    def _to_netbox(
        self, ready: list[SinkEmail], reports: list[EmailReport], down: SinkResult | None
    ) -> SinkResult | None:
        """Write what parsed; returns the emails' failure when NetBox is down (``down``: found down
        before, by this batch: nothing is sent)."""
        results = {email.key: dataclasses.replace(down) for email in ready} if down is not None else {}
        if down is None:
            with self._netbox_lock:
                down = self._write(ready, results)
        _apply(reports, results)
        return down

    def _write(self, ready: list[SinkEmail], results: dict[int, SinkResult]) -> SinkResult | None:
        """The sink's results, into ``results``. A batch that fails transiently as a whole while NetBox
        answers is written again in halves (ingestor.halves), down to the emails at fault: a read NetBox
        cannot answer for one email (or a request too large to answer in time) must neither hold the
        others back nor count against them. One email failing so is a poison candidate (``counted``).
        NetBox down (NetBoxDown: the sink probed) stops the writes: every email without a result waits,
        none counted, and their failure is returned."""

        def alone(email: SinkEmail, failure: SinkResult) -> None:
            results[email.key] = dataclasses.replace(failure, counted=True)

        try:
            failure = self._attempt(ready, results)
            if failure is not None:
                isolate(ready, failure, lambda part: self._attempt(part, results), alone)
        except NetBoxDown as exc:
            down = _batch_failure(exc)
            results |= {e.key: dataclasses.replace(down) for e in ready if e.key not in results}
            return down
        return None

    def _attempt(self, part: Sequence[SinkEmail], results: dict[int, SinkResult]) -> SinkResult | None:
        """Write ``part`` as one batch: None when its results are in ``results``, else the transient
        failure to split it by. Refused outside any one event's writes (e.g. a provider) or a bug: every
        email of the part fails."""
        try:
            results |= self.sink.write(list(part))
            return None
        except NetBoxDown:
            raise
        except NetBoxRejected as exc:
            failure = SinkResult(Outcome.FAILED, f"NetBox: {exc}")
        except Exception as exc:  # noqa: BLE001 - a bug met by one batch must not stop the daemon
            failure = _batch_failure(exc)
            if failure.outcome is Outcome.DEFERRED:  # NetBox answers (the sink probed): split it
                if len(part) > 1:
                    log.warning("netbox_batch_split", emails=len(part), reason=failure.reason)
                return failure
        results |= {e.key: dataclasses.replace(failure) for e in part}
        return None


def _apply(reports: list[EmailReport], results: dict[int, SinkResult]) -> None:
    """The sink's results into the reports of those emails."""
    for key, result in results.items():
        report = reports[key]
        report.outcome, report.reason, report.counted = result.outcome, result.reason, result.counted
        report.events = list(result.events.values())


def batches(messages: Iterable[RawMessage], size: int) -> Iterator[list[RawMessage]]:
    """Consecutive lists of at most ``size`` messages (claimed lazily, as the batch
    fills): what the daemon and `replay` hand to ``Pipeline.process_batch(es)``."""
    iterator = iter(messages)
    while batch := list(islice(iterator, size)):
        yield batch


def _parse_report(report: EmailReport, message: RawMessage, parsed: ParseResult | None) -> ParseResult | None:
    """Fill in what parsing tells; returns the result when the email goes on to NetBox."""
    if parsed is None:
        report.reason = message.error or "unreadable"
        return None
    report.message_id = parsed.email.message_id
    report.subject = parsed.email.subject
    report.provider = parsed.provider
    outcome = parse_outcome(parsed.status)
    if outcome is not None:  # ignored or failed: NetBox has nothing to do with it
        report.outcome, report.reason = outcome, parsed.reason
        return None
    return parsed


_FINAL_PARSE_OUTCOMES = {ParseStatus.IGNORED: Outcome.IGNORED, ParseStatus.FAILED: Outcome.FAILED}


def parse_outcome(status: ParseStatus) -> Outcome | None:
    """The one place a parse status becomes an outcome: the Outcome it is by itself (IGNORED, FAILED:
    the email never reaches NetBox), None for PARSED (NetBox decides)."""
    return _FINAL_PARSE_OUTCOMES.get(status)


def _batch_failure(exc: Exception) -> SinkResult:
    """What a batch whose sink write raised ``exc`` reports: DEFERRED when NetBox failed transiently
    (faults.py decides, wherever it was raised), FAILED for a bug."""
    reason = unavailable(exc)
    if reason is not None:  # also when raised outside the gateway: still not the emails' fault
        return SinkResult(Outcome.DEFERRED, f"NetBox unavailable: {reason}")
    log.exception("batch_crashed")
    return SinkResult(Outcome.FAILED, f"internal error: {type(exc).__name__}: {exc}")
