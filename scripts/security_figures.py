"""Figures, not a test (issue 18's closing note): what tests/security checks, measured.

1. The health server under 500 idle connections: /healthz latency (each of 50 probes while they are
   held), threads of the process before and during, connections the server holds.
2. The three regexes made linear: seconds on 60 KB crafted values, before and after.
3. A parse in the real parse worker of a Cogent notice naming a city no offline table has: network
   attempts the worker's audit hook saw (and refused), and the parse's duration.
    .venv/bin/python scripts/security_figures.py
"""

from __future__ import annotations

import contextlib
import logging
import socket
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

IDLE = 500
PROBES = 50


def health_flood() -> None:
    from ingestor.health import serve

    server = serve("127.0.0.1:0")
    url = f"http://127.0.0.1:{server.server_port}/healthz"
    before = threading.active_count()
    latencies, codes = [], []
    with contextlib.ExitStack() as stack:
        for _ in range(IDLE):
            stack.enter_context(socket.create_connection(("127.0.0.1", server.server_port), timeout=10))
        during = threading.active_count()
        for _ in range(PROBES):
            start = time.perf_counter()
            with urllib.request.urlopen(url, timeout=10) as response:
                codes.append(response.status)
            latencies.append(time.perf_counter() - start)
            time.sleep(0.02)
        held = server.open_connections
    server.shutdown()
    print(
        f"health: {IDLE} idle connections; /healthz x{PROBES}: {sorted(set(codes))}, "
        f"p50 {statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms; "
        f"threads {before} before, {during} during; connections held by the server {held} "
        f"(cap {server.max_connections})"
    )


def regexes() -> None:
    from tests.security.test_regex import AFTER, BEFORE

    values = {"has_date": "a" * 60_000, "parenthesis": " " * 60_000 + "x", "description": " " * 60_000 + "x"}
    for name, value in values.items():
        timings = []
        for pattern in (BEFORE[name], AFTER[name]):
            start = time.perf_counter()
            pattern.sub("", value)
            timings.append(time.perf_counter() - start)
        print(
            f"regex {name}: 60 KB crafted value {timings[0]:.2f} s before, {timings[1] * 1000:.1f} ms after"
        )


def egress() -> None:
    from parsers.options import ParserOptions
    from parsers.worker import ParseWorkerPool
    from tests.security.test_egress import CITY, REFUSED, unknown_city_email

    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    logging.getLogger().addHandler(Collect(logging.WARNING))
    pool = ParseWorkerPool(ParserOptions(workers=1, timeout_seconds=60))
    pool.parse(b"From: a@b\r\n\r\nwarm-up\r\n")
    start = time.perf_counter()
    result = pool.parse(unknown_city_email())
    took = time.perf_counter() - start
    pool.close()
    attempts = sum(REFUSED in line for line in seen)
    looked_up = any(CITY in line for line in seen)
    print(
        f"egress: parse of a notice naming {CITY!r} (looked up: {looked_up}): {attempts} network attempts, "
        f"{took:.2f} s, status {result.status}"
    )


if __name__ == "__main__":
    health_flood()
    regexes()
    egress()
