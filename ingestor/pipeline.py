"""One email through the stages: source message → parse → plan → apply → an EmailReport.

Disposition (what happens to the email in its mailbox) is the caller's job, done only after this
returns: a report means NetBox holds the email's effect (or the email is ignored/failed for good) —
except a DEFERRED report: NetBox failed transiently (faults.py decides what is transient, wherever the
failure was raised), and the email is left to be tried again later. `ParserUnavailable` (no parse
worker could start) escapes: the poll stops and the email stays for the next one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import structlog

from ingestor import metrics
from ingestor.config import Config
from ingestor.netbox.apply import EventRaceLost, apply_plan
from ingestor.netbox.client import NetBoxGateway
from ingestor.netbox.faults import Fault, NetBoxRejected, NetBoxUnavailable, classify, describe
from ingestor.netbox.plan import EventPlan, PlanError, event_name, group_by_event, plan_event
from ingestor.sources import RawMessage
from parsers.models import Outcome, ParseResult
from parsers.worker import ParserUnavailable, ParseWorkerPool

log = structlog.get_logger(__name__)

# Another writer creating the same event at the same moment makes us plan again; more than a few rounds
# would mean something else is wrong.
PLAN_ROUNDS = 3


@dataclass
class EmailReport:
    source: str
    message_id: str | None
    outcome: Outcome
    reason: str = ""
    subject: str = ""
    provider: str | None = None
    events: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "message_id": self.message_id,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "subject": self.subject,
            "provider": self.provider,
            "events": self.events,
        }


class Pipeline:
    def __init__(self, config: Config, gateway: NetBoxGateway, dry_run: bool = False):
        self.config = config
        self.gateway = gateway
        self.dry_run = dry_run
        self.parser_options = config.parser_options()
        # Each email is parsed in a worker process under a time and a memory limit (parsers.worker);
        # parser.restarts counts the workers killed and replaced.
        self.parser = ParseWorkerPool(self.parser_options)
        metrics.set_worker_restarts_source(lambda: self.parser.restarts)  # metrics (issue 8)
        # One email at a time reaches NetBox, whichever mailbox it came from: two emails about the same
        # event must not both decide to create it.
        self._netbox_lock = threading.Lock()

    def close(self) -> None:
        """Stop the parse workers (they also stop when the process exits)."""
        self.parser.close()

    def process(self, message: RawMessage) -> EmailReport:
        report = EmailReport(message.source, None, Outcome.FAILED)
        try:
            self._process(message, report)
        except NetBoxUnavailable as exc:
            report.outcome, report.reason = Outcome.DEFERRED, f"NetBox unavailable: {exc}"
        except ParserUnavailable:  # not the email's fault: it stays for the next poll
            raise
        except Exception as exc:  # noqa: BLE001 - a bug met by one email must not block the mailbox
            if classify(exc) is Fault.TRANSIENT:  # raised outside the gateway: still not the email's fault
                report.outcome, report.reason = Outcome.DEFERRED, f"NetBox unavailable: {describe(exc)}"
            else:
                log.exception("email_crashed", source=message.source, message_id=report.message_id)
                report.outcome = Outcome.FAILED
                report.reason = f"internal error: {type(exc).__name__}: {exc}"
        event = (
            log.info
            if report.outcome in (Outcome.INGESTED, Outcome.DUPLICATE, Outcome.IGNORED)
            else log.warning
        )
        event(
            "email_processed",
            outcome=report.outcome.value,
            message_id=report.message_id,
            source=report.source,
            subject=report.subject,
            provider=report.provider,
            reason=report.reason or None,
            events=[f"{e['kind']}:{e['name']}#{e['id']}" for e in report.events] or None,
        )
        return report

    def _process(self, message: RawMessage, report: EmailReport) -> None:
        """Fill in the report as the email goes through the stages (so a crash still names it)."""
        if message.error:
            report.reason = message.error
            return
        with metrics.parse_timer():
            parsed = self.parser.parse(message.data, message.received)
        report.message_id = parsed.email.message_id
        report.subject = parsed.email.subject
        report.provider = parsed.provider
        if parsed.final_outcome is not None:  # ignored or failed: NetBox has nothing to do with it
            report.outcome, report.reason = parsed.final_outcome, parsed.reason
            return
        with self._netbox_lock:
            try:
                self._to_netbox_rounds(parsed, report)
            except (PlanError, NetBoxRejected) as exc:
                report.outcome = Outcome.FAILED
                report.reason = f"NetBox: {exc}"

    def _to_netbox_rounds(self, parsed: ParseResult, report: EmailReport) -> None:
        for round_ in range(1, PLAN_ROUNDS + 1):
            report.events.clear()
            try:
                return self._to_netbox(parsed, report)
            except EventRaceLost as exc:
                if round_ == PLAN_ROUNDS:
                    raise NetBoxUnavailable(f"{exc} (still racing after {PLAN_ROUNDS} rounds)") from exc
                self.gateway.refresh()

    def _to_netbox(self, parsed: ParseResult, report: EmailReport) -> None:
        gateway = self.gateway
        # Read and plan everything first, so an email that fails for one event writes nothing at all.
        plans: list[tuple[EventPlan, int | None, str]] = []
        for (kind, provider, _event_id), notices in group_by_event(parsed.notices).items():
            slug = self.config.netbox_provider_slug(provider)
            provider_id = gateway.provider_id(slug)
            if provider_id is None:
                raise PlanError(
                    f"no NetBox provider with slug '{slug}' (parsed as provider '{provider}'); create it, "
                    f'or map it with [providers.{provider}] netbox_provider = "<slug>"'
                )
            record = gateway.find_event(kind, provider_id, event_name(notices[0].event_id))
            snapshot = gateway.snapshot(kind, record) if record else None
            plan = plan_event(notices, parsed.email, snapshot, gateway.circuits(provider_id), provider_id)
            plans.append((plan, record["id"] if record else None, slug))

        for plan, event_id, slug in plans:
            if plan.unmatched_circuits:
                log.warning(
                    "circuits_not_in_netbox",
                    message_id=plan.message_id,
                    event_name=plan.event_name,
                    circuits=plan.unmatched_circuits,
                )
            if self.dry_run:
                applied_id, duplicate = event_id, plan.duplicate
            else:
                applied = apply_plan(gateway, plan, event_id)
                applied_id, duplicate = applied.id, applied.duplicate
            report.events.append(
                {
                    "kind": plan.kind,
                    "id": applied_id,
                    "name": plan.event_name,
                    "provider": slug,
                    "duplicate": duplicate,
                    "changes": plan.changes,
                    "unmatched_circuits": plan.unmatched_circuits,
                }
            )
        all_duplicates = all(event["duplicate"] for event in report.events)
        report.outcome = Outcome.DUPLICATE if all_duplicates else Outcome.INGESTED
