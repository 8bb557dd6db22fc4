"""Metrics, /healthz and /readyz, systemd notify and the watchdog, without the stack: a real HTTP
server on 127.0.0.1, a real unix datagram socket as NOTIFY_SOCKET, a real APScheduler loop."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_SUBMITTED
from apscheduler.schedulers.blocking import BlockingScheduler
from prometheus_client.parser import text_string_to_metric_families

from ingestor import metrics
from ingestor.config import Config
from ingestor.health import parse_listen, serve
from ingestor.logs import configure_logging
from ingestor.notify import notify, watchdog_interval
from ingestor.outcome import Outcome
from ingestor.service import ServiceSignals, readiness_windows

REPO = Path(__file__).resolve().parents[2]


def sample(name: str, **labels) -> float | None:
    return metrics.REGISTRY.get_sample_value(name, labels)


@pytest.fixture
def notify_socket(tmp_path, monkeypatch):
    """A unix datagram socket bound where $NOTIFY_SOCKET points, as systemd's would be."""
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(5)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    yield sock
    sock.close()


def received(sock: socket.socket, until: str, timeout: float = 10) -> list[str]:
    """Datagrams until one contains `until` (AssertionError naming what came when it never does)."""
    got: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            got.append(sock.recv(4096).decode())
        except TimeoutError:
            continue
        if until in got[-1]:
            return got
    raise AssertionError(f"no datagram with {until!r} within {timeout}s; got {got}")


def test_parse_listen_defaults_to_localhost():
    assert parse_listen("127.0.0.1:9464") == ("127.0.0.1", 9464)
    assert parse_listen(":9464") == ("127.0.0.1", 9464)
    assert parse_listen("9464") == ("127.0.0.1", 9464)
    assert parse_listen("[::1]:9464") == ("::1", 9464)
    with pytest.raises(ValueError, match="port number"):
        parse_listen("localhost:http")


def test_config_key_named_on_a_bad_listen_address(tmp_path):
    with pytest.raises(ValueError, match="metrics.listen"):
        Config.model_validate({"netbox": {"url": "https://x", "token": "t"}, "metrics": {"listen": "a:b"}})


def test_netbox_timer_counts_answers_and_errors():
    before_5xx = sample("notices_ingestor_netbox_errors_total", kind="http_5xx") or 0
    before_conn = sample("notices_ingestor_netbox_errors_total", kind="connection") or 0
    with metrics.netbox_timer("get") as timed:
        timed.status = 200
    assert metrics.HEALTH.netbox_ok
    with metrics.netbox_timer("post") as timed:
        timed.status = 503
    assert not metrics.HEALTH.netbox_ok
    with pytest.raises(ConnectionError), metrics.netbox_timer("get"):
        raise ConnectionError("refused")
    assert sample("notices_ingestor_netbox_errors_total", kind="http_5xx") == before_5xx + 1
    assert sample("notices_ingestor_netbox_errors_total", kind="connection") == before_conn + 1
    assert sample("notices_ingestor_netbox_requests_total", method="POST", status="5xx") >= 1
    assert sample("notices_ingestor_netbox_request_seconds_count", method="GET") >= 2


def test_readiness_needs_netbox_and_every_mailbox_within_its_window():
    health = metrics.Health(netbox_window=10, mailbox_window={"noc": 30, "ops": 30})
    ready, problems = health.ready(now=100)
    assert not ready and set(problems) == {"netbox", "mailbox:noc", "mailbox:ops"}
    health.netbox_ok, health.netbox_at = True, 95
    health.mailbox_at = {"noc": 90, "ops": 60}
    ready, problems = health.ready(now=100)
    assert not ready and problems == {"mailbox:ops": "no successful poll for 40s"}
    health.mailbox_at["ops"] = 99
    assert health.ready(now=100) == (True, {})
    assert health.ready(now=106)[1] == {"netbox": "not reached for 11s"}


def test_windows_follow_intervals_and_timeouts():
    config = Config.model_validate(
        {
            "netbox": {"url": "https://x", "token": "t", "timeout_seconds": 5},
            "mailboxes": [
                {
                    "name": "noc",
                    "host": "h",
                    "port": 1,
                    "username": "u",
                    "password": "p",
                    "interval_seconds": 60,
                    "timeout_seconds": 20,
                }
            ],
        }
    )
    assert readiness_windows(config) == (30.0, {"noc": 200.0}, 95.0)


def test_http_server_serves_metrics_health_and_readiness():
    server = serve("127.0.0.1:0")
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        metrics.expect({"unit-box": 60}, 60)
        metrics.set_known_providers_source(lambda: frozenset({"zayo"}))
        metrics.emails_waiting("unit-box", 2)
        metrics.email_done(Outcome.INGESTED, "zayo", "unit-box")
        metrics.poll_done("unit-box", 0.5, ok=True)
        with urllib.request.urlopen(f"{base}/metrics", timeout=5) as resp:
            text = resp.read().decode()
        families = {f.name: f for f in text_string_to_metric_families(text)}
        emails = [s for s in families["notices_ingestor_emails"].samples if s.name.endswith("_total")]
        wanted = {"outcome": "ingested", "provider": "zayo", "mailbox": "unit-box"}
        assert [s.value for s in emails if s.labels == wanted] == [1.0]
        assert sample("notices_ingestor_emails_waiting", mailbox="unit-box") == 1
        assert "notices_ingestor_parse_worker_restarts_total" in text
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as resp:
            assert resp.status == 200
        metrics.netbox_unreachable()
        with pytest.raises(urllib.error.HTTPError) as unready:
            urllib.request.urlopen(f"{base}/readyz", timeout=5)
        assert unready.value.code == 503
        assert json.loads(unready.value.read())["problems"]["netbox"] == "last request failed"
        with metrics.netbox_timer("get") as timed:
            timed.status = 200
        with urllib.request.urlopen(f"{base}/readyz", timeout=5) as resp:
            assert resp.status == 200 and json.loads(resp.read()) == {"ready": True, "problems": {}}
    finally:
        server.shutdown()


def test_worker_restarts_come_from_the_callable_the_worker_pool_hands_in():
    metrics.set_worker_restarts_source(lambda: 3)
    try:
        assert sample("notices_ingestor_parse_worker_restarts_total") == 3
    finally:
        metrics.set_worker_restarts_source(lambda: 0)


def test_notify_sends_one_datagram_and_is_silent_without_a_socket(notify_socket, monkeypatch):
    assert notify("READY=1", "STATUS=starting")
    assert notify_socket.recv(4096) == b"READY=1\nSTATUS=starting"
    monkeypatch.delenv("NOTIFY_SOCKET")
    assert notify("READY=1") is False


def test_watchdog_interval_is_half_of_watchdog_usec_for_this_pid(monkeypatch):
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert watchdog_interval() is None
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    assert watchdog_interval() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", "1")  # another process's watchdog
    assert watchdog_interval() is None


def _service_config(tmp_path) -> Config:
    return Config.model_validate(
        {
            "state_dir": str(tmp_path / "state"),
            "netbox": {"url": "http://127.0.0.1:9", "token": "t", "timeout_seconds": 1, "retries": 0},
        }
    )


def test_ready_watchdog_and_stopping_from_a_real_scheduler(tmp_path, notify_socket, monkeypatch):
    from ingestor.netbox.client import NetBoxGateway

    monkeypatch.setenv("WATCHDOG_USEC", "400000")  # ping every 0.2 s
    config = _service_config(tmp_path)
    scheduler = BlockingScheduler(timezone="UTC")
    ServiceSignals(config, NetBoxGateway(config.netbox)).install(scheduler)
    hang = threading.Event()
    # A listener of job submissions runs in the scheduler's own loop: blocking it hangs that loop.
    scheduler.add_listener(lambda e: hang.wait() if e.job_id == "hang" else None, EVENT_JOB_SUBMITTED)
    thread = threading.Thread(target=scheduler.start, daemon=True)
    thread.start()
    got = received(notify_socket, "READY=1")
    assert got[-1].startswith("READY=1\nSTATUS=not ready (netbox: ")
    pings = received(notify_socket, "WATCHDOG=1")
    assert "STATUS=not ready" in pings[-1]

    scheduler.add_job(lambda: None, id="hang")
    time.sleep(1.0)  # the hang takes hold; pings already queued are drained below
    notify_socket.settimeout(0.1)
    while True:
        try:
            notify_socket.recv(4096)
        except TimeoutError:
            break
    notify_socket.settimeout(1.5)
    with pytest.raises(TimeoutError):  # no WATCHDOG=1 while the loop hangs: systemd would restart us
        notify_socket.recv(4096)

    hang.set()
    received(notify_socket, "WATCHDOG=1")  # the loop runs again, so do the pings
    scheduler.shutdown(wait=True)
    received(notify_socket, "STOPPING=1")
    thread.join(5)


def test_startup_check_names_an_unwritable_state_dir(tmp_path):
    from ingestor.service import StartupError

    blocker = tmp_path / "file"
    blocker.write_text("")
    config = _service_config(tmp_path).model_copy(update={"state_dir": str(blocker / "state")})
    with pytest.raises(StartupError, match="state_dir .* is not writable"):
        ServiceSignals(config, None).install(BlockingScheduler(timezone="UTC"))


def test_library_log_records_are_json_lines_like_ours(capsys):
    configure_logging("info", "json")
    logging.getLogger("some.library").warning("disk %s", "full")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["event"] == "disk full" and record["level"] == "warning"
    assert record["logger"] == "some.library" and record["timestamp"].endswith("Z")


def test_worker_restarts_metric_follows_the_pipelines_parse_workers(tmp_path):
    from ingestor.netbox.client import NetBoxGateway
    from ingestor.pipeline import Pipeline
    from ingestor.sources import RawMessage

    config = _service_config(tmp_path)
    config.parsing.workers = 1  # the worker killed below is the one the next email meets
    pipeline = Pipeline(config, NetBoxGateway(config.netbox))
    newsletter = (REPO / "scripts" / "demo" / "emails" / "05-newsletter.eml").read_bytes()
    # without a sender: no domain to ask NetBox about (an ignored email's domain may be a NetBox
    # provider's, issue 17), and NetBox is unreachable here
    newsletter = newsletter.replace(b"From: Acme Transit Marketing <news@acme-transit.example>\n", b"")
    try:
        assert pipeline.process_batch([RawMessage(newsletter, "a.eml")]).reports[0].outcome == "ignored"
        assert sample("notices_ingestor_parse_worker_restarts_total") == 0
        worker = pipeline.parser._workers[0].process
        worker.kill()  # a worker lost between two emails is replaced before the next one
        worker.join()
        assert pipeline.process_batch([RawMessage(newsletter, "b.eml")]).reports[0].outcome == "ignored"
        assert sample("notices_ingestor_parse_worker_restarts_total") == 1
    finally:
        pipeline.close()
