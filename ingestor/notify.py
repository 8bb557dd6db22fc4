"""systemd's notification protocol (sd_notify(3)): READY=1, WATCHDOG=1, STATUS=…, STOPPING=1.

About twenty lines of socket code instead of a dependency: the protocol is one datagram of
newline-separated KEY=VALUE lines to the unix socket named in $NOTIFY_SOCKET (a leading "@" means the
abstract namespace), documented and stable; the PyPI `sdnotify` package has not been released since
2017, and `systemd-python` needs libsystemd headers to build. Without $NOTIFY_SOCKET (not under systemd,
or Type=simple) every call does nothing.
"""

from __future__ import annotations

import os
import socket

import structlog

log = structlog.get_logger(__name__)


def notify(*fields: str) -> bool:
    """Send "KEY=VALUE" fields in one datagram; True when sent. Never raises: systemd may be gone."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address or not fields:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall("\n".join(fields).encode())
        return True
    except OSError as exc:
        log.warning("sd_notify_failed", error=str(exc))
        return False


def watchdog_interval() -> float | None:
    """Seconds between WATCHDOG=1 pings (half of WatchdogSec=), or None when no watchdog is asked for.

    As sd_watchdog_enabled(3): $WATCHDOG_USEC set, and $WATCHDOG_PID, when set, is this process.
    """
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2_000_000
