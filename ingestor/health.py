"""One small HTTP server for operators: /metrics (Prometheus), /healthz (alive), /readyz (ready).

It runs in a daemon thread next to the scheduler and only reads in-memory state (ingestor.metrics), so a
scrape never touches NetBox or a mailbox. It binds 127.0.0.1 unless `[metrics] listen` names a host.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ingestor import metrics

log = structlog.get_logger(__name__)
DEFAULT_HOST = "127.0.0.1"


def parse_listen(value: str) -> tuple[str, int]:
    """"host:port", ":port", "port" or "[v6]:port" -> (host, port); host defaults to 127.0.0.1."""
    host, sep, port = value.strip().rpartition(":")
    if not sep:
        host, port = "", value.strip()
    host = host.strip("[]") or DEFAULT_HOST
    if not port.isdigit() or not 0 <= int(port) < 65536:  # 0: any free port (tests)
        raise ValueError(f"not host:port with a port number: {value!r}")
    return host, int(port)


class _Handler(BaseHTTPRequestHandler):
    server_version = "notices-ingestor"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self._send(200, generate_latest(metrics.REGISTRY), CONTENT_TYPE_LATEST)
        elif path == "/healthz":
            self._send(200, b"ok\n", "text/plain")
        elif path == "/readyz":
            ready, problems = metrics.HEALTH.ready()
            body = json.dumps({"ready": ready, "problems": problems}).encode() + b"\n"
            self._send(200 if ready else 503, body, "application/json")
        else:
            self._send(404, b"not found: try /metrics, /healthz or /readyz\n", "text/plain")

    def _send(self, code: int, body: bytes, content_type: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        """Scrapes every few seconds would flood the journal: no access log."""


def serve(listen: str) -> ThreadingHTTPServer:
    """Start the server in a daemon thread; raises OSError when the address cannot be bound."""
    host, port = parse_listen(listen)
    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True).start()
    log.info("metrics_listening", address=f"http://{host}:{server.server_port}/metrics")
    return server
