"""What the daemon shows its operators while it runs: metrics/health server, systemd readiness,
watchdog and status, and a periodic NetBox probe so /readyz knows NetBox is there even when no email
arrives.

`ServiceSignals(config, netbox).install(scheduler)` is the one call the daemon makes, before it starts
its scheduler. Everything periodic runs as APScheduler jobs: the watchdog ping is dispatched by the
scheduler's own loop, so it stops — and systemd restarts the service — when that loop hangs.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

import structlog
from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN, EVENT_SCHEDULER_STARTED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.triggers.interval import IntervalTrigger

from ingestor import metrics
from ingestor.config import Config
from ingestor.notify import notify, watchdog_interval

if TYPE_CHECKING:  # imported when serving: health pulls in asyncio
    from ingestor.health import HealthServer

log = structlog.get_logger(__name__)

MAX_PROBE_SECONDS = 30.0  # NetBox is probed at least this often, more often for short poll intervals
STATUS_SECONDS = 10.0  # STATUS= refresh when no watchdog asks for more frequent pings
MISSED_INTERVALS = 3  # a target is unready when not reached within this many of its intervals


class StartupError(Exception):
    """The daemon cannot do its job as configured (state dir not writable, metrics address taken)."""


def readiness_windows(config: Config) -> tuple[float, dict[str, float], float]:
    """(NetBox probe interval, mailbox -> readiness window, NetBox readiness window), in seconds.

    A window allows for a poll or a request in flight: several intervals plus the network timeout.
    """
    intervals = [m.interval_seconds for m in config.mailboxes] or [MAX_PROBE_SECONDS]
    probe = min(MAX_PROBE_SECONDS, *intervals)
    mailboxes = {m.name: MISSED_INTERVALS * m.interval_seconds + m.timeout_seconds for m in config.mailboxes}
    return probe, mailboxes, MISSED_INTERVALS * probe + config.netbox.timeout_seconds


class NetBoxProbe(Protocol):
    """What the periodic probe asks: the pipeline (the daemon hands it in) or a NetBoxGateway."""

    def healthy(self) -> bool: ...


class ServiceSignals:
    def __init__(self, config: Config, netbox: NetBoxProbe):
        self.config = config
        self.netbox = netbox
        self.server: HealthServer | None = None

    def install(self, scheduler) -> None:
        """Start-up checks, the HTTP server, then the periodic jobs; READY=1 once the scheduler runs."""
        self._check_state_dir()
        probe, mailbox_windows, netbox_window = readiness_windows(self.config)
        metrics.expect(mailbox_windows, netbox_window)
        if self.config.metrics.listen:
            self._serve(self.config.metrics.listen)
        # Own threads: mailbox polls filling the default pool must not delay the probe or the pings.
        scheduler.add_executor(ThreadPoolExecutor(2), alias="service")
        scheduler.add_job(
            self.probe_netbox,
            IntervalTrigger(seconds=probe),
            id="service:netbox-probe",
            executor="service",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
        ping = watchdog_interval()
        if ping is not None or os.environ.get("NOTIFY_SOCKET"):
            every = min(ping or STATUS_SECONDS, STATUS_SECONDS)
            scheduler.add_job(
                self.heartbeat,
                IntervalTrigger(seconds=every),
                id="service:heartbeat",
                executor="service",
                args=[ping is not None],
                max_instances=1,
                coalesce=True,
            )
        scheduler.add_listener(self._on_started, EVENT_SCHEDULER_STARTED)
        scheduler.add_listener(self._on_shutdown, EVENT_SCHEDULER_SHUTDOWN)

    def _check_state_dir(self) -> None:
        try:
            os.makedirs(self.config.state_dir, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.config.state_dir):
                pass
        except OSError as exc:
            raise StartupError(f"state_dir {self.config.state_dir} is not writable: {exc.strerror}") from None

    def _serve(self, listen: str) -> None:
        from ingestor.health import serve

        try:
            self.server = serve(listen)
        except (OSError, ValueError) as exc:
            raise StartupError(f"metrics.listen {listen}: {exc}") from None

    def probe_netbox(self) -> None:
        """GET /api/status/ with the token (the gateway's health check; the request hook records it)."""
        if not self.netbox.healthy():
            metrics.netbox_unreachable()  # it may have answered, but not 200 (e.g. a revoked token)
            log.warning("netbox_probe_failed", url=self.config.netbox.url)

    def heartbeat(self, watchdog: bool) -> None:
        fields = [f"STATUS={metrics.status_line()}"]
        if watchdog:
            fields.append("WATCHDOG=1")
        notify(*fields)

    def _on_started(self, _event) -> None:
        notify("READY=1", f"STATUS={metrics.status_line()}")
        log.info("service_ready", metrics=self.config.metrics.listen, watchdog_seconds=watchdog_interval())

    def _on_shutdown(self, _event) -> None:
        notify("STOPPING=1", "STATUS=stopping")
        if self.server is not None:
            self.server.shutdown()
