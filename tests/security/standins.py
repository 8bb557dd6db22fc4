"""Local stand-ins for the security suite: misbehaving servers on 127.0.0.1 only, each started in a
thread for one test (or one row of the bad-input table) and stopped after it.

- ``http_standin(answer)``: an HTTP server whose every request is answered by ``answer(handler)``
  (a NetBox that echoes the Authorization header, a token endpoint that echoes its form, a non-JSON
  OPTIONS answer, an oversized body).
- ``imap_standin()``: an IMAP server that refuses LOGIN and quotes the command back (as some servers'
  error texts do), so the IMAP-quoted password reaches the error message.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCALHOST = "127.0.0.1"
Answer = Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]]


def _handler_for(answer: Answer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.body = self.rfile.read(length) if length else b""
            code, headers, body = answer(self)
            self.send_response(code)
            for key, value in {"Content-Length": str(len(body)), **headers}.items():
                self.send_header(key, value)
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(body)

        do_GET = do_POST = do_OPTIONS = do_PATCH = _any  # noqa: N815 - http.server's naming

        def log_message(self, *_args) -> None:
            pass

    return Handler


@contextlib.contextmanager
def http_standin(answer: Answer) -> Iterator[str]:
    """The stand-in's base URL (http://127.0.0.1:<port>) while the block runs."""
    server = ThreadingHTTPServer((LOCALHOST, 0), _handler_for(answer))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{LOCALHOST}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


class _ImapHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self.wfile.write(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2] stand-in ready\r\n")
        for line in self.rfile:
            tag, _, command = line.decode("latin-1").rstrip("\r\n").partition(" ")
            if command.upper().startswith("CAPABILITY"):
                self.wfile.write(
                    f"* CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2\r\n{tag} OK done\r\n".encode()
                )
            elif command.upper().startswith("LOGOUT"):
                self.wfile.write(f"* BYE\r\n{tag} OK bye\r\n".encode())
                return
            else:  # LOGIN (or anything else): refused, quoting what was sent
                self.wfile.write(f"{tag} NO [AUTHENTICATIONFAILED] refused: {command}\r\n".encode("latin-1"))


class _ThreadingTCP(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    address_family = socket.AF_INET


@contextlib.contextmanager
def imap_standin() -> Iterator[int]:
    """The port of an IMAP stand-in on 127.0.0.1 that refuses every LOGIN, quoting it back."""
    server = _ThreadingTCP((LOCALHOST, 0), _ImapHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def echo_request(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
    """A broken server: 400 quoting the request's headers and body back (JSON, as NetBox's errors are)."""
    import json

    quoted = {"detail": f"{handler.command} {handler.path} {dict(handler.headers)} {handler.body!r}"}
    return 400, {"Content-Type": "application/json"}, json.dumps(quoted).encode()


def netbox_with_html_options(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
    """NetBox's GETs as JSON (the plugin installed, empty listings), its OPTIONS answers an HTML page."""
    import json

    if handler.command == "OPTIONS":
        return 200, {"Content-Type": "text/html"}, b"<html><body>proxy login page</body></html>"
    body = {"netbox-version": "4.7.3", "plugins": {"notices": "1.3.0"}}
    if not handler.path.startswith("/api/status"):
        body = {"count": 0, "next": None, "previous": None, "results": []}
    return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


def huge_answer(size: int) -> Answer:
    """Answers every request with ``size`` bytes (declared), the way a broken endpoint might."""

    def answer(_handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        return 200, {"Content-Type": "application/json"}, b" " * size

    return answer
