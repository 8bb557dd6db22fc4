"""The daemon as operators see it, against the real stack: /metrics after real emails went through
Dovecot and NetBox, /readyz following NetBox away and back, systemd notify messages on a test
NOTIFY_SOCKET; and the demo NetBox's stylesheet served by the stack's nginx.

NetBox is taken away by the fault proxy (tests/faults/proxy.py) between the daemon and the stack's
front end, in its `down` mode: every request, /api/status/ included, answers 503 — what nginx answers
when NetBox's gunicorn is stopped — without stopping the shared NetBox under anyone else's run.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.faults.proxy import FaultProxy

from .helpers import OUTAGE_CORPUS, REPO, corpus_manifest, seed_providers, setup_netbox, write_config

pytestmark = pytest.mark.integration

ZAYO_1 = OUTAGE_CORPUS / "zayo" / "zayo-outage-1-investigating.eml"
NEWSLETTER = REPO / "scripts" / "demo" / "emails" / "05-newsletter.eml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def scrape(base: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} from /metrics, parsed with the Prometheus text parser."""
    status, body = get(f"{base}/metrics")
    assert status == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


def total(samples: dict, name: str, **labels) -> float:
    """Sum of a metric's samples whose labels include `labels`."""
    return sum(v for (n, lab), v in samples.items() if n == name and set(labels.items()) <= set(lab))


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"not within {timeout}s: {what}")


class NotifyListener:
    """The unix datagram socket systemd would bind: collects what the daemon sends."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.5)
        self.messages: list[str] = []

    def wait_for(self, *parts: str, timeout: float = 60) -> str:
        """The first message (in arrival order) that contains every one of `parts`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages:
                if all(part in message for part in parts):
                    self.messages.remove(message)
                    return message
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except TimeoutError:
                pass
        raise AssertionError(f"no message with {parts} within {timeout}s; got {self.messages}")


@pytest.fixture
def daemon(stack, netbox_api, tmp_path, imap_append):
    """`notices-ingestor run` under a test NOTIFY_SOCKET and watchdog, NetBox reached through a proxy."""
    corpus_manifest(OUTAGE_CORPUS)
    proxy = FaultProxy(stack.netbox_url).start()
    listen = f"127.0.0.1:{free_port()}"
    config = write_config(
        tmp_path / "config.toml", stack, mailbox_user="noc", extra=f'[metrics]\nlisten = "{listen}"\n'
    )
    setup_netbox(config)
    seed_providers(netbox_api, {"zayo": {"OGYX/123456//ZYO", "OGYX/654321//ZYO"}})
    text = config.read_text().replace(stack.netbox_url, proxy.url)
    config.write_text(text.replace("interval_seconds = 5", "interval_seconds = 2"))
    imap_append("noc", "INBOX", ZAYO_1.read_bytes())
    imap_append("noc", "INBOX", NEWSLETTER.read_bytes())

    notify = NotifyListener(tmp_path / "notify.sock")
    env = dict(os.environ, NOTIFY_SOCKET=str(tmp_path / "notify.sock"), WATCHDOG_USEC="2000000")
    env.pop("WATCHDOG_PID", None)
    log = open(tmp_path / "daemon.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "ingestor", "-c", str(config), "run"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield proc, f"http://{listen}", proxy, notify
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        log.close()
        proxy.stop()
        notify.sock.close()
        print((tmp_path / "daemon.log").read_text()[-3000:])


def test_metrics_readiness_and_notify_of_the_running_daemon(daemon):
    proc, base, proxy, notify = daemon

    ready = notify.wait_for("READY=1")
    assert "STATUS=" in ready
    samples = wait_until(
        lambda: (s := scrape(base)) and total(s, "notices_ingestor_emails_total") >= 2 and s,
        90,
        "both emails counted in /metrics",
    )
    assert (
        total(
            samples, "notices_ingestor_emails_total", outcome="ingested", provider="zayo", mailbox="noc-box"
        )
        == 1
    )
    assert total(samples, "notices_ingestor_emails_total", outcome="ignored", mailbox="noc-box") == 1
    assert total(samples, "notices_ingestor_parse_seconds_count") == 2
    assert total(samples, "notices_ingestor_netbox_requests_total", status="2xx") >= 5
    assert total(samples, "notices_ingestor_netbox_request_seconds_count") == total(
        samples, "notices_ingestor_netbox_requests_total"
    )
    assert total(samples, "notices_ingestor_polls_total", mailbox="noc-box", result="ok") >= 1
    assert total(samples, "notices_ingestor_poll_seconds_count", mailbox="noc-box") >= 1
    last_poll = total(samples, "notices_ingestor_last_successful_poll_timestamp_seconds", mailbox="noc-box")
    assert time.time() - 60 < last_poll <= time.time()
    assert total(samples, "notices_ingestor_emails_waiting", mailbox="noc-box") == 0
    assert samples[("notices_ingestor_poison_emails_total", (("mailbox", "noc-box"),))] == 0
    assert "notices_ingestor_parse_worker_restarts_total" in {name for name, _ in samples}

    notify.wait_for("WATCHDOG=1", "STATUS=ready; emails: 1 ingested, 0 duplicate, 1 ignored, 0 failed")
    assert get(f"{base}/healthz")[0] == 200
    wait_until(lambda: get(f"{base}/readyz")[0] == 200, 30, "/readyz 200 with NetBox and the mailbox up")

    print(
        "figures:",
        {
            k: total(samples, f"notices_ingestor_{k}")
            for k in (
                "netbox_requests_total",
                "netbox_request_seconds_sum",
                "parse_seconds_sum",
                "poll_seconds_count",
            )
        },
    )
    proxy.down = True  # NetBox goes away
    went = time.monotonic()
    code, body = wait_until(lambda: (r := get(f"{base}/readyz"))[0] == 503 and r, 30, "/readyz 503")
    print(f"figures: /readyz 503 {time.monotonic() - went:.1f}s after NetBox went away")
    assert "netbox" in json.loads(body)["problems"]
    assert get(f"{base}/healthz")[0] == 200  # alive all the same
    errors = total(scrape(base), "notices_ingestor_netbox_errors_total", kind="http_5xx")
    assert errors >= 1
    notify.wait_for("WATCHDOG=1", "STATUS=not ready (netbox: ", timeout=10)

    proxy.down = False  # and comes back
    back = time.monotonic()
    wait_until(lambda: get(f"{base}/readyz")[0] == 200, 30, "/readyz 200 again once NetBox is back")
    print(f"figures: /readyz 200 {time.monotonic() - back:.1f}s after NetBox came back")
    assert proc.poll() is None

    proc.send_signal(signal.SIGTERM)
    notify.wait_for("STOPPING=1", timeout=60)
    assert proc.wait(60) == 0


def test_demo_netbox_stylesheet_through_the_front_end(stack):
    """The UI's pages link their stylesheet under /static/; nginx serves it from the collected files."""
    status, page = get(f"{stack.netbox_url}/login/")
    assert status == 200
    links = re.findall(r'<link[^>]+href="(/static/[^"]+\.css[^"]*)"', page.decode())
    assert links, "the login page links no stylesheet under /static/"
    with urllib.request.urlopen(f"{stack.netbox_url}{links[0]}", timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/css")
        assert resp.headers["Server"].startswith("nginx")
        assert len(resp.read()) > 10_000
