"""pytest wiring for the real test stack (scripts/dev-stack: NetBox + notices, PostgreSQL, Redis, Dovecot).

Fixtures (all lazy: a test that does not ask for them never starts the stack):
    stack         session   tests.stack.Stack: attributes netbox_url, netbox_token, netbox_admin (user,
                            password for the web UI), imap_host, imap_port
                            (STARTTLS), imaps_port, ca_file, imap_users {user: password}, stack_dir,
                            ssl_context(); raw env values by key: stack["NETBOX_URL"].
                            Runs `scripts/dev-stack up` once (reuses a running stack). If the stack cannot
                            be started, every test using it FAILS with dev-stack's output (never skips).
    netbox_api    session   pynetbox.api(stack.netbox_url, token=stack.netbox_token)
    reset_netbox  module    runs `scripts/dev-stack reset`: NetBox DB from the migrated template (admin
                            user + token kept) and empty Dovecot mailboxes. tests/integration/conftest.py
                            makes every module there use it automatically.
    imap_client   function  factory imap_client(user="noc", *, implicit_tls=False) -> logged-in
                            imapclient.IMAPClient over STARTTLS (or IMAPS), certificate verified with the
                            test CA; all logged out at teardown.
    imap_append   function  imap_append(user, folder, raw_bytes, flags=()) -> UID (from APPENDUID) or None;
                            creates the folder if missing.

Tests under tests/integration/, and any test using `stack`, are marked `integration` automatically.

NIS_NO_SKIPS=1 (set by .ci/run) makes every skip a failure: without ../shared/corpus the corpus tests
skip, and a suite that stays green with a hundred tests gone would prove nothing.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

from tests.stack import Stack, StackUnavailable, append_uid, reset_stack, start_stack

INTEGRATION_DIR = Path(__file__).resolve().parent / "integration"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A skip is a failure under NIS_NO_SKIPS (see the module docstring); the reason says why."""
    report = yield
    if report.skipped and os.environ.get("NIS_NO_SKIPS") == "1" and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under NIS_NO_SKIPS=1 (a skip is a failure in CI): {reason}"
    return report


def pytest_collection_modifyitems(config, items):
    for item in items:
        if INTEGRATION_DIR in Path(str(item.fspath)).resolve().parents or "stack" in item.fixturenames:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def stack() -> Stack:
    try:
        return start_stack()
    except StackUnavailable as exc:
        problem = str(exc)
    pytest.fail(f"the test stack could not be started (scripts/dev-stack up):\n{problem}", pytrace=False)


@pytest.fixture(scope="session")
def netbox_api(stack):
    import pynetbox

    return pynetbox.api(stack.netbox_url, token=stack.netbox_token)


@pytest.fixture(scope="module")
def reset_netbox(stack) -> None:
    try:
        reset_stack()
        return
    except StackUnavailable as exc:
        problem = str(exc)
    pytest.fail(f"the test stack could not be reset (scripts/dev-stack reset):\n{problem}", pytrace=False)


@pytest.fixture
def imap_client(stack):
    from imapclient import IMAPClient

    clients = []

    def connect(user: str = "noc", *, implicit_tls: bool = False) -> IMAPClient:
        password = stack.imap_users[user]
        if implicit_tls:
            client = IMAPClient(
                stack.imap_host, port=stack.imaps_port, ssl=True, ssl_context=stack.ssl_context(), timeout=30
            )
            clients.append(client)
        else:
            client = IMAPClient(stack.imap_host, port=stack.imap_port, ssl=False, timeout=30)
            clients.append(client)
            client.starttls(stack.ssl_context())
        client.login(user, password)
        return client

    yield connect
    for client in clients:
        with contextlib.suppress(Exception):
            client.logout()


@pytest.fixture
def imap_append(imap_client):
    by_user = {}

    def append(user: str, folder: str, raw: bytes, flags=()) -> int | None:
        client = by_user.get(user) or by_user.setdefault(user, imap_client(user))
        if not client.folder_exists(folder):
            client.create_folder(folder)
        return append_uid(client.append(folder, raw, flags=flags))

    return append
