"""A daemon running for real (``python -m ingestor run``) next to a test or benchmark, and fresh emails
for it: what the IDLE tests and scripts/idle_latency.py share."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROVIDER = "northwind-fiber"
CIRCUITS = {PROVIDER: {"NWF-LON-000731", "NWF-LON-000732"}}


def outage_email(ticket: str) -> tuple[str, bytes]:
    """A new outage notice (its own ticket and Message-ID) that the generic outage reader parses."""
    message_id = f"<live-{uuid.uuid4().hex}@northwind-fiber.example>"
    now = datetime.now(UTC)
    text = (
        "From: Northwind Fiber NOC <noc@northwind-fiber.example>\r\n"
        "To: noc@example.net\r\n"
        f"Subject: Outage Notification - {ticket} - Investigating\r\n"
        f"Date: {format_datetime(now)}\r\n"
        f"Message-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\n\r\n'
        "We are investigating a service-affecting incident on the circuits listed below.\r\n\r\n"
        f"Ticket Number: {ticket}\r\n"
        f"Incident Start: {now:%Y-%m-%d %H:%M} UTC\r\n"
        "Current Status: Investigating\r\n\r\n"
        "Impacted Circuits:\r\n  NWF-LON-000731\r\n"
    )
    return message_id, text.encode()


class LiveDaemon:
    """``run`` in the background, its JSON log lines in a file, read as they come."""

    def __init__(self, config: Path, log: Path, *args: str):
        self.log = log
        self._file = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ingestor", "-c", str(config), "run", *args],
            stdout=subprocess.DEVNULL,
            stderr=self._file,
            stdin=subprocess.DEVNULL,
            cwd=REPO,
        )

    def events(self, name: str) -> list[dict]:
        found = []
        for line in self.log.read_text().splitlines():
            if line.startswith("{") and f'"{name}"' in line:
                record = json.loads(line)
                if record.get("event") == name:
                    found.append(record)
        return found

    def wait_for(self, name: str, count: int = 1, timeout: float = 60) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.events(name)
            if len(found) >= count:
                return found
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(
            f"no {count}x {name} within {timeout}s; log tail:\n{self.log.read_text()[-3000:]}"
        )

    def stop(self, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._file.close()


def notification_arrival(nb, message_id: str, timeout: float, step: float = 0.05) -> float | None:
    """Monotonic time when NetBox first shows the record of ``message_id``'s EventNotification (its
    journal entry, written right after it; None: not within)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(message_id in e.comments for e in nb.extras.journal_entries.filter(q=message_id)):
            return time.monotonic()
        time.sleep(step)
    return None
