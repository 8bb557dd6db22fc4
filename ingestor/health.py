"""One small HTTP server for operators: /metrics (Prometheus), /healthz (alive), /readyz (ready).

It runs in one daemon thread (an asyncio loop; HealthServer says how it is bounded) next to the
scheduler and only reads in-memory state (ingestor.metrics), so a scrape never touches NetBox or a
mailbox. It binds 127.0.0.1 unless `[metrics] listen` names a host.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections import OrderedDict

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ingestor import metrics

log = structlog.get_logger(__name__)
DEFAULT_HOST = "127.0.0.1"


def parse_listen(value: str) -> tuple[str, int]:
    """ "host:port", ":port", "port" or "[v6]:port" -> (host, port); host defaults to 127.0.0.1."""
    host, sep, port = value.strip().rpartition(":")
    if not sep:
        host, port = "", value.strip()
    host = host.strip("[]") or DEFAULT_HOST
    if not port.isdigit() or not 0 <= int(port) < 65536:  # 0: any free port (tests)
        raise ValueError(f"not host:port with a port number: {value!r}")
    return host, int(port)


# A port scan, a stuck scraper or a flood of idle connections must not tie the server up (nor the unit's
# TasksMax): one thread serves every connection (asyncio), at most MAX_CONNECTIONS are held — past it the
# oldest is dropped, so a new probe is always read — and a request must arrive within REQUEST_TIMEOUT.
MAX_CONNECTIONS = 64
REQUEST_TIMEOUT = 5.0
MAX_REQUEST_BYTES = 8192
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 503: "Unavailable"}


def answer(path: str) -> tuple[int, bytes, str]:
    """(status, body, content type) for a GET of ``path``; only in-memory state is read."""
    path = path.split("?", 1)[0]
    if path == "/metrics":
        return 200, generate_latest(metrics.REGISTRY), CONTENT_TYPE_LATEST
    if path == "/healthz":
        return 200, b"ok\n", "text/plain"
    if path == "/readyz":
        ready, problems = metrics.HEALTH.ready()
        body = json.dumps({"ready": ready, "problems": problems}).encode() + b"\n"
        return (200 if ready else 503), body, "application/json"
    return 404, b"not found: try /metrics, /healthz or /readyz\n", "text/plain"


def _respond(head: bytes) -> tuple[int, bytes, str]:
    """The answer to a request head (request line and headers); only GET of a path is served."""
    parts = head.split(b"\r\n", 1)[0].decode("latin-1").split()
    if len(parts) != 3 or not parts[1].startswith("/"):
        return 400, b"bad request\n", "text/plain"
    if parts[0] != "GET":
        return 405, b"only GET\n", "text/plain"
    return answer(parts[1])


def _encode(code: int, body: bytes, content_type: str) -> bytes:
    head = (
        f"HTTP/1.1 {code} {_REASONS.get(code, 'Error')}\r\nServer: notices-ingestor\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


class HealthServer:
    """The operators' endpoint: one event-loop thread, bounded connections, a deadline per request.

    ``shutdown()`` stops it; ``server_port`` is the bound port (0 in the listen address: any free one).
    """

    def __init__(self, host: str, port: int, *, max_connections: int = MAX_CONNECTIONS):
        self.max_connections = max_connections
        self.request_timeout = REQUEST_TIMEOUT
        self._sock = socket.create_server((host, port), family=_family(host), backlog=128)
        self.server_port: int = self._sock.getsockname()[1]
        self._open: OrderedDict[asyncio.StreamWriter, None] = OrderedDict()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="metrics-http", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, sock=self._sock, limit=MAX_REQUEST_BYTES)
        )
        try:
            self._loop.run_forever()
        finally:
            server.close()
            tasks = asyncio.all_tasks(self._loop)  # connections still held: end them before the loop
            for task in tasks:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._admit(writer)
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.request_timeout)
            writer.write(_encode(*_respond(head)))
            await asyncio.wait_for(writer.drain(), self.request_timeout)
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass  # silent, too slow, too long or gone: dropped, never waited for
        finally:
            self._open.pop(writer, None)
            writer.transport.abort()

    def _admit(self, writer: asyncio.StreamWriter) -> None:
        """Hold the new connection; past the cap, drop the oldest (an idle one: answers are immediate)."""
        self._open[writer] = None
        while len(self._open) > self.max_connections:
            oldest, _ = self._open.popitem(last=False)
            oldest.transport.abort()

    @property
    def open_connections(self) -> int:
        return len(self._open)

    def shutdown(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def serve(listen: str) -> HealthServer:
    """Start the server in its thread; raises OSError when the address cannot be bound."""
    host, port = parse_listen(listen)
    server = HealthServer(host, port)
    log.info("metrics_listening", address=f"http://{host}:{server.server_port}/metrics")
    return server
