"""A fault-injecting HTTP proxy to put between the ingestor and the real NetBox (127.0.0.1 only).

Each request draws one fault from a seeded mix (or none, and is forwarded untouched):

``reject``      answer 502/503/504 without forwarding (a load balancer with no backend);
``error_after`` forward, let NetBox do the work, then answer 500 instead (the write happened, the
                answer is lost);
``drop``        close the connection without an answer — before forwarding or, for half of them,
                after NetBox did the work;
``hold``        forward, then hold the answer past the client's timeout and close.

``delay_seconds`` slows every request down (a slow NetBox, so a poll is still running when a test
restarts the mail server).

``poison`` (a regex over the request body) answers 500 to every matching request, as the plugin does for
a write it can never accept; ``down`` answers every request, /api/status/ included, with 503. Counters
per fault say what happened, for the figures.

Run it alone: ``python -m tests.faults.proxy --upstream http://127.0.0.1:18000 --mix 0.1,0.08,0.08,0.04``.
"""

from __future__ import annotations

import argparse
import http.client
import random
import re
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}
FAULTS = ("reject", "error_after", "drop", "hold")


@dataclass
class FaultMix:
    """Probability of each fault per request (the rest are forwarded untouched)."""

    reject: float = 0.0
    error_after: float = 0.0
    drop: float = 0.0
    hold: float = 0.0
    hold_seconds: float = 3.0
    delay_seconds: float = 0.0  # added to every request: a slower NetBox
    seed: int = 1
    methods: frozenset[str] = field(
        default_factory=lambda: frozenset({"GET", "POST", "PATCH", "PUT", "DELETE"})
    )

    @classmethod
    def issue_mix(cls, scale: float = 1.0, **kwargs) -> FaultMix:
        """The 30% mix of the reliability issue: 10% 5xx unforwarded, 8% 500 after the write, 8% dropped,
        4% held past the timeout."""
        return cls(
            reject=0.10 * scale, error_after=0.08 * scale, drop=0.08 * scale, hold=0.04 * scale, **kwargs
        )


class FaultProxy:
    def __init__(self, upstream: str, mix: FaultMix | None = None, port: int = 0):
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.mix = mix or FaultMix()
        self.poison: re.Pattern[bytes] | None = None
        self.down = False
        self.counts: Counter[str] = Counter()
        self._random = random.Random(self.mix.seed)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def set_mix(self, mix: FaultMix) -> None:
        with self._lock:
            self.mix = mix
            self._random = random.Random(mix.seed)

    def draw(self, method: str, body: bytes) -> str | None:
        with self._lock:
            self.counts["requests"] += 1
            if self.down:
                fault = "down"
            elif self.poison is not None and self.poison.search(body):
                fault = "poison"
            else:
                fault = self._draw_mix(method)
            self.counts[fault or "forwarded"] += 1
            return fault

    def _draw_mix(self, method: str) -> str | None:
        if method not in self.mix.methods:
            return None
        roll = self._random.random()
        for name in FAULTS:
            probability = getattr(self.mix, name)
            if roll < probability:
                return name
            roll -= probability
        return None

    def coin(self) -> bool:
        with self._lock:
            return self._random.random() < 0.5

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes):
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=120)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            conn.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return type("Handler", (_Handler,), {"proxy": self})


class _Handler(BaseHTTPRequestHandler):
    """One request through the proxy: a fault drawn before it is forwarded, or one after (its answer
    lost or replaced)."""

    protocol_version = "HTTP/1.1"
    proxy: FaultProxy  # set per proxy (FaultProxy._handler)

    def log_message(self, *_args) -> None:  # quiet: the counters tell the story
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        fault = self.proxy.draw(self.command, body)
        if self.proxy.mix.delay_seconds:
            time.sleep(self.proxy.mix.delay_seconds)
        if self._fault_before(fault):
            return
        try:
            response = self.proxy.forward(self.command, self.path, headers, body)
        except OSError:
            return self._answer(502, [("Content-Type", "text/plain")], b"upstream unreachable\n")
        self._fault_after(fault, response)

    def _fault_before(self, fault: str | None) -> bool:
        """An answer instead of the upstream's, or a dropped connection (half the drops): nothing sent."""
        if fault in ("reject", "down", "poison"):
            status = {"down": 503, "poison": 500}.get(fault) or self.proxy._random.choice((502, 503, 504))
            self._answer(status, [("Content-Type", "text/plain")], f"injected {fault}\n".encode())
            return True
        if fault == "drop" and not self.proxy.coin():
            self._drop()
            return True
        return False

    def _fault_after(self, fault: str | None, response) -> None:
        """The write reached NetBox: its answer is replaced by a 500, dropped, or held and dropped."""
        if fault == "error_after":
            return self._answer(500, [("Content-Type", "text/html")], b"<h1>Server Error (500)</h1>")
        if fault == "hold":
            time.sleep(self.proxy.mix.hold_seconds)
        if fault in ("drop", "hold"):
            return self._drop()
        self._answer(*response)

    def _answer(self, status: int, headers, payload: bytes) -> None:
        self.send_response(status)
        for key, value in headers:
            if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_OPTIONS = do_HEAD = _serve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mix", default="0.10,0.08,0.08,0.04", help="reject,error_after,drop,hold")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    reject, error_after, drop, hold = (float(x) for x in args.mix.split(","))
    proxy = FaultProxy(args.upstream, FaultMix(reject, error_after, drop, hold, seed=args.seed), args.port)
    print(f"fault proxy on {proxy.url} -> {args.upstream}", flush=True)
    try:
        proxy.server.serve_forever()
    except KeyboardInterrupt:
        print(dict(proxy.counts))


if __name__ == "__main__":
    main()
