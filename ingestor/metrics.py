"""Prometheus metrics and the health state behind /readyz: one registry, small functions to call.

The rest of the daemon only calls the functions below (`email_done`, `netbox_request`, `poll_done`, …);
they are cheap and safe to call when no metrics listener is configured (the registry is simply never
scraped), so the hooks need no `if metrics_enabled` around them. `serve()` in ingestor/health.py exposes
the registry with /healthz and /readyz.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.core import CounterMetricFamily

from ingestor.outcome import FINAL_OUTCOMES, Outcome

PREFIX = "notices_ingestor"
REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)  # process_resident_memory_bytes, process_cpu_seconds_total, open fds

EMAILS = Counter(
    f"{PREFIX}_emails",
    "Emails handled, by outcome, provider and mailbox",
    ["outcome", "provider", "mailbox"],
    registry=REGISTRY,
)
PARSE_SECONDS = Histogram(
    f"{PREFIX}_parse_seconds",
    "Time to parse one email",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)
NETBOX_REQUESTS = Counter(
    f"{PREFIX}_netbox_requests",
    "NetBox API requests, by HTTP method and status (2xx, 4xx, 5xx, error)",
    ["method", "status"],
    registry=REGISTRY,
)
NETBOX_ERRORS = Counter(
    f"{PREFIX}_netbox_errors",
    "Failed NetBox requests, by kind (connection, timeout, http_4xx, http_5xx)",
    ["kind"],
    registry=REGISTRY,
)
NETBOX_SECONDS = Histogram(
    f"{PREFIX}_netbox_request_seconds",
    "NetBox API request latency",
    ["method"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
POLL_SECONDS = Histogram(
    f"{PREFIX}_poll_seconds",
    "Duration of one mailbox poll",
    ["mailbox"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
    registry=REGISTRY,
)
POLLS = Counter(
    f"{PREFIX}_polls", "Mailbox polls, by result (ok, error)", ["mailbox", "result"], registry=REGISTRY
)
LAST_POLL = Gauge(
    f"{PREFIX}_last_successful_poll_timestamp_seconds",
    "Unix time of the last poll that went through",
    ["mailbox"],
    registry=REGISTRY,
)
WAITING = Gauge(
    f"{PREFIX}_emails_waiting",
    "Emails found new in the mailbox and not yet disposed of",
    ["mailbox"],
    registry=REGISTRY,
)
LINKED_LATE = Counter(
    f"{PREFIX}_circuits_linked_late",
    "Impacts written for circuits added to NetBox after the email that named them (relink)",
    registry=REGISTRY,
)
POISON = Counter(
    f"{PREFIX}_poison_emails",
    "Emails set aside after failing again and again",
    ["mailbox"],
    registry=REGISTRY,
)


class _CallableCounter:
    """A counter whose value another module owns (the parse worker pool counts its own restarts)."""

    def __init__(self, name: str, doc: str):
        self.name, self.doc = name, doc
        self.source: Callable[[], float] | None = None

    def collect(self):
        metric = CounterMetricFamily(self.name, self.doc)
        metric.add_metric([], float(self.source()) if self.source else 0.0)
        yield metric

    def describe(self):
        return [CounterMetricFamily(self.name, self.doc)]


WORKER_RESTARTS = _CallableCounter(f"{PREFIX}_parse_worker_restarts", "Parse worker processes replaced")
REGISTRY.register(WORKER_RESTARTS)


# -- health state (what /readyz and the systemd STATUS= line report) ----------------------------------
@dataclass
class Health:
    """When NetBox and each mailbox were last reached; `ready()` judges against a window per target."""

    netbox_ok: bool = False
    netbox_at: float = 0.0  # monotonic time of the last answer or failure
    netbox_window: float = 90.0
    mailbox_at: dict[str, float] = field(default_factory=dict)  # last successful poll (monotonic)
    mailbox_window: dict[str, float] = field(default_factory=dict)
    outcomes: Tally[Outcome] = field(default_factory=Tally)
    waiting: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ready(self, now: float | None = None) -> tuple[bool, dict[str, str]]:
        """(ready, problem per target): NetBox answered and every mailbox polled within its window."""
        now = time.monotonic() if now is None else now
        problems: dict[str, str] = {}
        with self.lock:
            if not self.netbox_ok:
                problems["netbox"] = "not reached" if not self.netbox_at else "last request failed"
            elif now - self.netbox_at > self.netbox_window:
                problems["netbox"] = f"not reached for {now - self.netbox_at:.0f}s"
            for name, window in self.mailbox_window.items():
                seen = self.mailbox_at.get(name)
                if seen is None:
                    problems[f"mailbox:{name}"] = "not polled successfully yet"
                elif now - seen > window:
                    problems[f"mailbox:{name}"] = f"no successful poll for {now - seen:.0f}s"
        return not problems, problems


HEALTH = Health()


def expect(mailboxes: dict[str, float], netbox_window: float) -> None:
    """Declare the mailboxes (name -> readiness window in seconds) and NetBox's window (daemon start):
    nothing counts as reached until it is reached from now on."""
    with HEALTH.lock:
        HEALTH.netbox_ok, HEALTH.netbox_at, HEALTH.mailbox_at = False, 0.0, {}
        HEALTH.mailbox_window = dict(mailboxes)
        HEALTH.netbox_window = netbox_window
    for name in mailboxes:
        WAITING.labels(name).set(0)
        POISON.labels(name)
        for result in ("ok", "error"):
            POLLS.labels(name, result)  # series exist from the start: rate() needs no first event


# -- the hooks ------------------------------------------------------------------------------------------
def email_done(outcome: Outcome, provider: str | None, mailbox: str) -> None:
    """One email has its outcome (and, from a mailbox, its disposition)."""
    EMAILS.labels(outcome.value, provider_label(provider), mailbox).inc()
    with HEALTH.lock:
        HEALTH.outcomes[outcome] += 1
    with HEALTH.lock:
        HEALTH.waiting[mailbox] = max(0, HEALTH.waiting.get(mailbox, 0) - 1)
        WAITING.labels(mailbox).set(HEALTH.waiting[mailbox])


def emails_waiting(mailbox: str, count: int) -> None:
    """A poll found `count` new emails in the mailbox."""
    with HEALTH.lock:
        HEALTH.waiting[mailbox] = count
        WAITING.labels(mailbox).set(count)


def circuits_linked_late(count: int) -> None:
    LINKED_LATE.inc(count)


def poison_email(mailbox: str) -> None:
    POISON.labels(mailbox).inc()


def poll_done(mailbox: str, seconds: float, ok: bool) -> None:
    POLL_SECONDS.labels(mailbox).observe(seconds)
    POLLS.labels(mailbox, "ok" if ok else "error").inc()
    if ok:
        LAST_POLL.labels(mailbox).set(time.time())
        with HEALTH.lock:
            HEALTH.mailbox_at[mailbox] = time.monotonic()


def netbox_request(method: str, seconds: float, status: int | None, error_kind: str | None) -> None:
    """One HTTP request to NetBox: `status` when it answered, `error_kind` when it failed."""
    answered = status is not None and status < 500
    status_class = f"{status // 100}xx" if status is not None else "error"
    NETBOX_REQUESTS.labels(method.upper(), status_class).inc()
    NETBOX_SECONDS.labels(method.upper()).observe(seconds)
    if error_kind:
        NETBOX_ERRORS.labels(error_kind).inc()
    with HEALTH.lock:
        HEALTH.netbox_ok, HEALTH.netbox_at = answered, time.monotonic()


def netbox_unreachable() -> None:
    """A probe found NetBox not usable (it may answer, e.g. 403 for a revoked token)."""
    with HEALTH.lock:
        HEALTH.netbox_ok, HEALTH.netbox_at = False, time.monotonic()


def error_kind_of(status: int | None, exc: BaseException | None) -> str | None:
    if exc is not None:
        return "timeout" if "Timeout" in type(exc).__name__ else "connection"
    if status is not None and status >= 400:
        return f"http_{status // 100}xx"
    return None


@dataclass
class _Timed:
    status: int | None = None


@contextlib.contextmanager
def netbox_timer(method: str) -> Iterator[_Timed]:
    """Time one NetBox request; the caller sets `.status` from the response (an exception counts too)."""
    timed, start = _Timed(), time.monotonic()
    try:
        yield timed
    except Exception as exc:
        netbox_request(method, time.monotonic() - start, None, error_kind_of(None, exc))
        raise
    netbox_request(method, time.monotonic() - start, timed.status, error_kind_of(timed.status, None))


@contextlib.contextmanager
def parse_timer() -> Iterator[None]:
    start = time.monotonic()
    try:
        yield
    finally:
        PARSE_SECONDS.observe(time.monotonic() - start)


def provider_label(provider: str | None) -> str:
    """The ``provider`` label: a provider the parsers know (the library's, the config's), ``unknown``
    when none was found, else ``other`` — a name derived from a spammer's domain must not become a
    series of its own (every new name would be one more series, without bound)."""
    if not provider:
        return "unknown"
    return provider if provider in _known_providers() else "other"


def _unknown() -> frozenset[str]:
    return frozenset()


_known_providers: Callable[[], frozenset[str]] = _unknown


def set_known_providers_source(source: Callable[[], frozenset[str]]) -> None:
    """The pipeline hands in a callable returning the provider names the parsers can produce."""
    global _known_providers
    _known_providers = source


def set_worker_restarts_source(source: Callable[[], float]) -> None:
    """The parse worker pool hands in a callable returning how many workers it has replaced."""
    WORKER_RESTARTS.source = source


def status_line() -> str:
    """One line for systemd's STATUS= (what `systemctl status` shows)."""
    ready, problems = HEALTH.ready()
    with HEALTH.lock:
        counts = ", ".join(f"{HEALTH.outcomes[o]} {o}" for o in FINAL_OUTCOMES)
    state = "ready" if ready else "not ready (" + "; ".join(f"{k}: {v}" for k, v in problems.items()) + ")"
    return f"{state}; emails: {counts}"
