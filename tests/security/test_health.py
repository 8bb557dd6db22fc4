"""The metrics/health server cannot be tied up: 500 idle connections (a port scan, a stuck scraper) hold
no thread and do not stop /healthz from answering; a request that never completes is dropped.
The latency figure (each /healthz within 1 s throughout) is printed by scripts/health_flood.py."""

from __future__ import annotations

import contextlib
import socket
import threading
import urllib.request

import pytest

from ingestor.health import serve

IDLE = 500
TASKS_MAX = 64


@pytest.fixture
def server():
    server = serve("127.0.0.1:0")
    yield server
    server.shutdown()


def _healthz(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
        return response.status


def test_500_idle_connections_hold_no_thread_and_healthz_answers(server, monkeypatch) -> None:
    """As under the unit's TasksMax=64: starting a thread past 64 fails (the old thread-per-connection
    server then stopped answering /healthz)."""
    threads_before = threading.active_count()
    start = threading.Thread.start

    def capped_start(thread: threading.Thread) -> None:
        if threading.active_count() >= TASKS_MAX:
            raise RuntimeError("can't start new thread")
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", capped_start)
    with contextlib.ExitStack() as stack:
        for _ in range(IDLE):
            stack.enter_context(socket.create_connection(("127.0.0.1", server.server_port), timeout=10))
        assert _healthz(server.server_port) == 200
        assert threading.active_count() == threads_before  # one loop thread, started before
        assert server.open_connections <= server.max_connections


def test_a_request_that_never_completes_is_dropped(server) -> None:
    server.request_timeout = 0.2
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as slow:
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # the blank line never comes
        assert slow.recv(1024) == b""  # closed by the server, unanswered


def test_only_get_of_a_path_is_served(server) -> None:
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as client:
        client.sendall(b"POST /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert client.recv(1024).startswith(b"HTTP/1.1 405")
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as client:
        client.sendall(b"garbage\r\n\r\n")
        assert client.recv(1024).startswith(b"HTTP/1.1 400")
