"""Helpers for tests that use the real stack started by ``scripts/dev-stack``.

The fixtures in tests/conftest.py are thin wrappers around these; they are importable on their own too
(e.g. ``from tests.stack import start_stack``) for a demo script.
"""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEV_STACK = REPO / "scripts" / "dev-stack"
# A cold start (venv + ~6 min of migrations) takes ~9 min on 2 cores; leave plenty of room.
UP_TIMEOUT = int(os.environ.get("NIS_STACK_UP_TIMEOUT", "2700"))


class StackUnavailable(RuntimeError):
    """``dev-stack`` failed; the message carries its output (step, log path, log tail)."""


@dataclass(frozen=True)
class Stack:
    """Where the running stack is. Attribute access below; ``stack["NETBOX_URL"]`` gives the raw env value.

    ``env`` holds exactly what ``scripts/dev-stack env --json`` prints (string values).
    """

    env: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.env[key]

    @property
    def netbox_url(self) -> str:
        return self.env["NETBOX_URL"]

    @property
    def netbox_token(self) -> str:
        return self.env["NETBOX_TOKEN"]

    @property
    def netbox_admin(self) -> tuple[str, str]:
        """(user, password) of NetBox's superuser, for logging in to the web UI."""
        return self.env["NIS_NETBOX_ADMIN_USER"], self.env["NIS_NETBOX_ADMIN_PASSWORD"]

    @property
    def imap_host(self) -> str:
        return self.env["NIS_IMAP_HOST"]

    @property
    def imap_port(self) -> int:
        """IMAP with STARTTLS."""
        return int(self.env["NIS_IMAP_PORT"])

    @property
    def imaps_port(self) -> int:
        """IMAP over implicit TLS."""
        return int(self.env["NIS_IMAPS_PORT"])

    @property
    def ca_file(self) -> str:
        """PEM of the test CA that signed the IMAP server's certificate."""
        return self.env["NIS_IMAP_CA_FILE"]

    @property
    def imap_users(self) -> dict[str, str]:
        """user -> password: {"noc": ..., "ops": ...}."""
        return {
            self.env["NIS_IMAP_USER"]: self.env["NIS_IMAP_PASSWORD"],
            self.env["NIS_IMAP_USER2"]: self.env["NIS_IMAP_PASSWORD2"],
        }

    @property
    def stack_dir(self) -> str:
        return self.env["NIS_STACK_DIR"]

    def ssl_context(self) -> ssl.SSLContext:
        """Verifies the IMAP server against the test CA, hostname checking on."""
        return ssl.create_default_context(cafile=self.ca_file)


def dev_stack(*args: str, timeout: float = 600) -> str:
    """Run ``scripts/dev-stack ARGS``; return its output, raise StackUnavailable with the output on error."""
    cmd = [sys.executable, str(DEV_STACK), *args]
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise StackUnavailable(
            f"`scripts/dev-stack {' '.join(args)}` timed out after {timeout:.0f}s\n"
            f"{exc.stdout or ''}{exc.stderr or ''}"
        ) from exc
    if proc.returncode != 0:
        raise StackUnavailable(
            f"`scripts/dev-stack {' '.join(args)}` exited {proc.returncode}:\n{proc.stdout}{proc.stderr}"
        )
    return proc.stdout


def stack_env() -> Stack:
    return Stack(env=json.loads(dev_stack("env", "--json", timeout=60)))


def start_stack() -> Stack:
    """``dev-stack up`` (idempotent: ~1 s when already running) and where everything is."""
    dev_stack("up", timeout=UP_TIMEOUT)
    return stack_env()


def reset_stack() -> None:
    """Fresh NetBox DB from the migrated template (admin + token kept) and empty mailboxes."""
    dev_stack("reset", timeout=300)


def append_uid(response: bytes | str | None) -> int | None:
    """UID from an APPEND response's ``[APPENDUID <validity> <uid>]`` code, if the server sent one."""
    if isinstance(response, bytes):
        response = response.decode(errors="replace")
    m = re.search(r"\[APPENDUID \d+ (\d+)\]", response or "")
    return int(m.group(1)) if m else None
