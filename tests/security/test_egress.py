"""No network from parsing, checked: a parse in the real parse worker of an email naming cities the
library's offline table lacks makes no connection and no name lookup. The worker's audit hook sees every
attempt (it logs each one, and the daemon logs the worker's records again), and the last test proves it
does: with the library's online geocoder put back, the same email's lookups are seen and refused."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from parsers.options import ParserOptions
from parsers.worker import ParseWorkerPool

REFUSED = "parse worker refused network access"
# Cogent's notices name the city of the work; the library looks its time zone up by that name (offline
# table first, then, unpatched, OpenStreetMap). The corpus email with its city renamed to one no table has.
CORPUS_EMAIL = (
    Path(__file__).resolve().parents[2].parent / "shared/corpus/maintenance/emails/cogent/cogent3.eml"
)
CITY = "Qwxzyville"


def unknown_city_email() -> bytes:
    raw = CORPUS_EMAIL.read_bytes()
    assert b"Minneapolis" in raw
    return raw.replace(b"Minneapolis", CITY.encode())


def test_parse_naming_unknown_cities_makes_no_network_attempt(caplog) -> None:
    pool = ParseWorkerPool(ParserOptions(workers=1, timeout_seconds=60))
    try:
        with caplog.at_level(logging.WARNING):
            result = pool.parse(unknown_city_email())
    finally:
        pool.close()
    assert result.provider == "cogent"
    # the library did look the city up, and was answered offline (its error, relayed from the worker)
    assert any(CITY in r.getMessage() for r in caplog.records), [r.getMessage() for r in caplog.records]
    attempts = [r for r in caplog.records if REFUSED in r.getMessage()]
    assert attempts == []  # 0 network connections and 0 name lookups


def test_the_worker_guard_refuses_and_reports_a_connection() -> None:
    """What the parse worker installs (parsers.egress.offline) refuses a connect and logs it."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    code = textwrap.dedent(
        f"""
        import logging, socket
        logging.basicConfig(level=logging.WARNING)
        from parsers.egress import offline, NetworkRefused
        offline()
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=5)
        except NetworkRefused:
            print("refused")
        from circuit_maintenance_parser.utils import Geolocator
        try:
            Geolocator().get_location("Qwxzyville Upper Nowhere")
        except ValueError as exc:
            print("offline:", exc)
        """
    )
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    finally:
        listener.close()
    assert "refused" in done.stdout, done.stderr
    assert REFUSED in done.stderr
    assert "online geolocation is off" in done.stdout


@pytest.mark.parametrize("event", ["socket.getaddrinfo", "socket.connect"])
def test_the_audit_events_the_guard_watches_exist(event) -> None:
    """The hook keys on these event names: were they renamed, the guard would see nothing."""
    seen = []

    def hook(name, args):
        if name == event:
            seen.append(name)

    sys.addaudithook(hook)
    with socket.socket() as sock:
        sock.settimeout(1)
        try:
            socket.getaddrinfo("127.0.0.1", 9)
            sock.connect(("127.0.0.1", 9))
        except OSError:
            pass
    assert seen
