"""The NetBox stage as one batched sink: parsed emails in, one result per email out.

``NetBoxSink.write(emails)`` takes a batch (a poll's claimed emails, a replay chunk) and:

1. reads what the batch needs in bulk: providers and circuits (catalog.py, which creates the providers
   it does not find, with ``create_missing_providers``, before the rest is read), the events it names,
   their impacts, notifications and records (view.py) — a handful of requests for the whole batch;
2. plans every event purely (plan.py): the fold of what NetBox holds plus every email of the batch about
   that event, so one event gets one set of writes however many of its emails came together;
3. writes in phases, one bulk request per endpoint and phase (write.py);
4. settles with other writers (a second instance, a replay beside the daemon): checks again that no
   older copy of an event it created has shown up, and reads the notifications of the events it wrote
   again; a second notification of one email is removed by its newer writer, and notifications it did
   not know of make it re-fold every stored notice and write what differs;
5. reports per email: INGESTED, DUPLICATE, FAILED (with the reason) or DEFERRED (NetBox failed
   transiently: try the email again later).

An email's identity (Message-ID + body digest) and the notices it stated are kept in NetBox, in a journal
entry on its notification (records.py), so losing the daemon's state directory is safe.
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import structlog

from ingestor.outcome import Outcome
from parsers.senders import domain_label, sender_domain

from .catalog import Catalog
from .faults import NetBoxDown, NetBoxUnavailable, unavailable
from .plan import (
    CircuitIndex,
    EventPlan,
    EventSnapshot,
    event_name,
    group_by_event,
    notification_fields,
    plan_batch,
)
from .providers import ProviderMatch, Providers
from .records import Identity, content_key
from .rows import EventKey, EventRow, SinkEmail
from .settle import Settler
from .view import find_copies, read_snapshots, read_until
from .write import BatchWriter

log = structlog.get_logger(__name__)

# Another writer creating the same event at the same moment makes us plan again; more than a few rounds
# would mean something else is wrong.
PLAN_ROUNDS = 3
# Worst first: what an email's result is when its events ended differently.
_SEVERITY = (Outcome.DEFERRED, Outcome.FAILED, Outcome.INGESTED, Outcome.DUPLICATE)


@dataclass
class EventResult:
    """What an email's report tells of one event it named (and the replay prints, ``as_dict``)."""

    kind: str
    id: int | None
    name: str
    provider: str | None  # the NetBox provider's slug
    changes: list[str]
    unmatched_circuits: list[str]
    duplicate: bool = False  # NetBox held this email for the event already

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def held(self) -> EventResult:
        """The event as a duplicate email's report tells it: nothing changed."""
        return dataclasses.replace(self, duplicate=True, changes=[])


@dataclass
class SinkResult:
    outcome: Outcome = Outcome.DUPLICATE
    reason: str = ""
    events: dict[EventKey, EventResult] = field(default_factory=dict)
    # A DEFERRED that counts towards max_attempts (a poison email): this email's own writes kept failing
    # while NetBox answered. A batch that waited for NetBox as a whole is no email's fault.
    counted: bool = False

    def worsen(self, outcome: Outcome, reason: str = "") -> None:
        if _SEVERITY.index(outcome) < _SEVERITY.index(self.outcome):
            self.outcome, self.reason = outcome, reason or self.reason
        elif outcome is self.outcome and reason and not self.reason:
            self.reason = reason


@dataclass
class _Batch:
    """The batch's events, each with the emails' shares of it and what NetBox holds of it."""

    shares: dict[EventKey, list[SinkEmail]]  # each email's share of the event: its notices about it
    snapshots: dict[EventKey, EventSnapshot]
    circuits: dict[int, CircuitIndex]
    slugs: dict[int, str]


class NetBoxSink:
    def __init__(
        self,
        catalog: Catalog,
        slug_for: Callable[[str], str],
        dry_run: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.catalog = catalog
        self.gateway = catalog.gateway
        self.slug_for = slug_for
        self.dry_run = dry_run
        self.sleep = sleep  # waits for another writer's records (settle.read_until)

    def write(self, emails: list[SinkEmail]) -> dict[int, SinkResult]:
        """Each email's result, by key. Raises NetBoxDown when NetBox stopped answering (then nothing of
        the batch is known to be stored, and every email of it waits); another transient failure
        (NetBoxUnavailable, or one faults.py calls transient) when NetBox still answers."""
        with self._down_when_silent():
            return self._write(emails)

    def providers_by_domain(self, domains: set[str]) -> dict[str, ProviderMatch | None]:
        """The providers whose contacts' domains these are (providers.py), for emails no parser knew;
        a failure is raised as ``write`` raises it."""
        with self._down_when_silent():
            return self.catalog.providers_by_domain(domains)

    @contextmanager
    def _down_when_silent(self) -> Iterator[None]:
        """Where it is decided that NetBox is down: a transient failure that escapes is NetBoxDown when
        NetBox does not answer its status probe right after (one probe), else raised as it is. A
        NetBoxDown from below (the writer probed already) passes untouched."""
        try:
            yield
        except NetBoxDown:
            raise
        except Exception as exc:
            reason = unavailable(exc)
            if reason is not None and not self.gateway.answers():
                raise NetBoxDown(reason) from exc
            raise

    def _write(self, emails: list[SinkEmail]) -> dict[int, SinkResult]:
        results = {email.key: SinkResult() for email in emails}
        pending = list(emails)
        refused: set[EventKey] = set()  # events refused once: a second refusal fails their emails
        for round_ in range(1, PLAN_ROUNDS + 1):
            pending = self._round(pending, results, refused)
            if not pending:
                break
            if round_ == PLAN_ROUNDS:
                for email in pending:
                    results[email.key].worsen(Outcome.DEFERRED, f"still racing after {PLAN_ROUNDS} rounds")
        return results

    # -- one round: read, plan, write, settle -------------------------------------------------------------
    def _round(
        self, emails: list[SinkEmail], results: dict[int, SinkResult], refused: set[EventKey]
    ) -> list[SinkEmail]:
        """Returns the emails to plan again: another writer created one of their events first, or NetBox
        refused a write of one for the first time (``refused`` grows by those events)."""
        batch = self._read(emails, self._providers(emails), results)
        inputs = [
            (key, shares, batch.snapshots.get(key), batch.circuits[key.provider_id])
            for key, shares in batch.shares.items()
        ]
        plans = plan_batch(inputs)
        writer = BatchWriter(self.catalog, replannable=lambda key: key not in refused, sleep=self.sleep)
        if not self.dry_run:
            writer.write(plans)
            self._settle(writer, plans, batch)
            refused |= writer.refused
        for plan in plans:
            self._report(plan, writer, batch, results)
        again = {s.key for plan in plans if plan.key in writer.race_lost for s in batch.shares[plan.key]}
        return [email for email in emails if email.key in again]

    def _providers(self, emails: list[SinkEmail]) -> Providers:
        """The providers of the emails' notices, looked up (catalog.py, cached for the poll); then, with
        ``create_missing_providers``, those found neither by slug nor by sender domain are created — a
        write of its own, before the batch's reads."""
        wanted: list[tuple[str, str | None]] = [
            (e.email.sender, n.provider) for e in emails for n in e.notices
        ]
        providers = self.catalog.find_providers(wanted, self.slug_for)
        self.catalog.create_providers(providers)
        return providers

    def _read(self, emails: list[SinkEmail], providers: Providers, results: dict[int, SinkResult]) -> _Batch:
        shares: dict[EventKey, list[SinkEmail]] = defaultdict(list)
        for email in emails:
            for (kind, provider, event_id), notices in group_by_event(email.notices).items():
                found = providers.of(email.email.sender, provider)
                if found is None:
                    reason = _no_provider(self.slug_for(provider), provider, email.email.sender)
                    results[email.key].worsen(Outcome.FAILED, reason)
                    continue
                key = EventKey(kind, found.id, event_name(event_id))
                shares[key].append(SinkEmail(email.key, email.email, notices))
        failed = {key for key, result in results.items() if result.outcome is Outcome.FAILED}
        shares = {k: [s for s in v if s.key not in failed] for k, v in shares.items()}
        shares = {k: v for k, v in shares.items() if v}
        circuits = self.catalog.circuit_indexes({key.provider_id for key in shares})
        events = find_copies(self.catalog, shares, self.sleep).winners()
        return _Batch(shares, self._snapshots(events, shares), circuits, providers.slugs)

    def _snapshots(
        self, events: dict[EventKey, EventRow], shares: dict[EventKey, list[SinkEmail]]
    ) -> dict[EventKey, EventSnapshot]:
        """The events as NetBox holds them. A notification without its record that reads as one of our
        emails is read again until its record shows (settle.read_until): its writer may be between the
        two, and adopting it would record one email twice; one whose record never comes is adopted."""
        ours = {
            key: {content_key(notification_fields(share.email)) for share in shares[key]} for key in events
        }

        def pending(snapshots: dict[EventKey, EventSnapshot]) -> set[int]:
            return {
                nid
                for key, snap in snapshots.items()
                for content, ids in snap.orphans.items()
                if content in ours[key]
                for nid in ids
            }

        return read_until(
            lambda: read_snapshots(self.catalog, events),
            pending,
            self.gateway.config.record_wait_seconds,
            self.sleep,
            "planning",
        )

    # -- settling with other writers ----------------------------------------------------------------------
    def _settle(self, writer: BatchWriter, plans: list[EventPlan], batch: _Batch) -> None:
        """settle.py: one notification and one record per email, whoever else wrote it meanwhile."""
        known: dict[int, Identity] = {}
        for snapshot in batch.snapshots.values():
            known |= {nid: ident for nid, ident in snapshot.notifications.items() if ident is not None}
        for plan in plans:
            known |= {n.id: n.record.identity for n in plan.notifications if n.id is not None}
        Settler(self.catalog, writer, known, batch.circuits).settle(plans)

    # -- results ------------------------------------------------------------------------------------------
    def _report(
        self, plan: EventPlan, writer: BatchWriter, batch: _Batch, results: dict[int, SinkResult]
    ) -> None:
        if plan.key in writer.race_lost:
            return  # planned again next round
        if plan.unmatched_circuits:
            log.warning(
                "circuits_not_in_netbox", event_name=plan.event_name, circuits=plan.unmatched_circuits
            )
        event = EventResult(
            plan.kind,
            plan.event_id,
            plan.event_name,
            batch.slugs.get(plan.provider_id),
            plan.changes,
            plan.unmatched_circuits,
        )
        for key in plan.duplicates:
            results[key].events.setdefault(plan.key, event.held())
        for key, reason in plan.failed.items():
            results[key].worsen(Outcome.FAILED, f"NetBox: {reason}")
        aborted = writer.aborted.get(plan.key)
        for notification in plan.notifications:
            result = results[notification.email_key]
            if notification.superseded:  # another writer stored this email first (settle.py)
                result.events.setdefault(plan.key, event.held())
                continue
            result.events[plan.key] = dataclasses.replace(event)
            if aborted:
                result.worsen(*aborted)
                result.counted = result.counted or aborted[0] is Outcome.DEFERRED
            else:
                result.worsen(Outcome.INGESTED)


def _no_provider(slug: str, provider: str, sender: str) -> str:
    domain = sender_domain(sender) or "(none)"
    return (
        f"NetBox: no NetBox provider with slug '{slug}' (parsed as provider '{provider}'), nor one for the "
        f"sender's domain {domain} (a contact with an address there, or the slug or name "
        f"'{domain_label(domain)}'); create it, add its NOC contact to the provider in NetBox, "
        f'or map it with [providers.{provider}] netbox_provider = "<slug>"'
    )


__all__ = ["EventResult", "NetBoxDown", "NetBoxSink", "NetBoxUnavailable", "SinkEmail", "SinkResult"]
