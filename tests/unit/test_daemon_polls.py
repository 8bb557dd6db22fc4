"""Polls through the real Daemon and Pipeline with the in-memory NetBox and a stand-in mailbox.

While NetBox is down, "is NetBox down?" is decided once (the writer's or the sink's status probe), and
the daemon never probes NetBox itself; an email whose own reads keep failing while NetBox answers is
set aside as poison after ``max_attempts`` polls (poison.count_attempt, applied by the daemon).

Before issue 19 three layers (writer, pipeline, daemon) each asked ``gateway.answers()``: one poll during
an outage made two to four such decisions, each of HEALTH_PROBES status requests (6 to 12)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ingestor import daemon as daemon_module
from ingestor.config import Config
from ingestor.daemon import Daemon
from ingestor.netbox.client import HEALTH_PROBES
from ingestor.pipeline import Pipeline
from ingestor.sources import RawMessage
from ingestor.state import StateStore
from ingestor.triage import FailureRecords

from .memory_netbox import MemoryGateway, MemoryNetBox
from .test_netbox_faults import request_error
from .test_pipeline import DEMO, message, seeded_netbox

EMAILS = ("01-acme-maintenance-tentative.eml", "03-northwind-outage-investigating.eml")


class CountingGateway(MemoryGateway):
    """The in-memory NetBox, counting the decisions "does NetBox answer?" (each of up to HEALTH_PROBES
    status requests)."""

    def __init__(self, db: MemoryNetBox):
        super().__init__(db, retries=1)
        self.decisions = 0

    def answers(self, probes: int = HEALTH_PROBES) -> bool:
        self.decisions += 1
        return super().answers(probes)


class StandInMailbox:
    """What the daemon uses of a mailbox source: the claimed emails, and what became of each."""

    def __init__(self, messages: list[RawMessage]):
        self.messages = messages
        self.config = SimpleNamespace(name="noc")
        self.released: list[str] = []
        self.disposed: list[str] = []
        self.released_all = False

    def __enter__(self) -> StandInMailbox:
        return self

    def __exit__(self, *_exc) -> None:
        return None

    def fetch_new(self):
        yield from self.messages

    def release(self, message: RawMessage) -> None:
        self.released.append(message.source)

    def release_all(self) -> None:
        self.released_all = True

    def dispose(self, message: RawMessage, _actions) -> None:
        self.disposed.append(message.source)


@pytest.fixture
def poll(tmp_path, monkeypatch):
    """Poll the mailbox once with ``db`` as NetBox; returns the poll's result, the gateway and the mailbox."""

    def run(db: MemoryNetBox, max_attempts: int = 5):
        box = {"name": "noc", "host": "h", "port": 993, "username": "u", "password": "p"}
        config = Config.model_validate(
            {
                "netbox": {"url": "https://nb.invalid", "token": "t"},
                "state_dir": str(tmp_path),
                "mailboxes": [dict(box, max_attempts=max_attempts)],
            }
        )
        mailbox = StandInMailbox([message(DEMO / name) for name in EMAILS])
        monkeypatch.setattr(daemon_module, "mailbox_source", lambda *_args: mailbox)
        gateway = CountingGateway(db)
        pipeline = Pipeline(config, gateway)
        try:
            daemon = Daemon(config, pipeline)
            result = daemon.poll(config.mailboxes[0])
        finally:
            pipeline.close()
        return result, gateway, mailbox, daemon

    return run


def test_a_poll_while_netbox_reads_fail_decides_once_that_netbox_is_down(poll):
    db = seeded_netbox()
    db.answering = False
    db.inject("circuits.providers", "GET", request_error(503), times=10)
    result, gateway, mailbox, daemon = poll(db)
    assert gateway.decisions == 1  # was 2 (pipeline, daemon): 6 status requests
    assert db.count("status", "GET") == HEALTH_PROBES
    assert result.error is not None and result.error.startswith("NetBox unavailable: ")
    assert [r.outcome for r in result.reports] == ["deferred", "deferred"]
    assert mailbox.released_all and mailbox.disposed == []
    assert daemon.netbox_backoff.delay > 0  # every mailbox's polls wait


def test_a_poll_while_netbox_writes_fail_decides_once_that_netbox_is_down(poll):
    db = seeded_netbox()
    db.answering = False
    for kind in ("maintenance", "outage"):
        db.inject(kind, "POST", request_error(503), times=50)
    result, gateway, mailbox, _daemon = poll(db)
    assert gateway.decisions == 1  # was 4 (the writer per event kind, pipeline, daemon): 12 requests
    assert db.count("status", "GET") == HEALTH_PROBES
    assert result.error is not None and result.error.startswith("NetBox unavailable: ")
    assert [r.outcome for r in result.reports] == ["deferred", "deferred"]
    assert [(r.outcome, r.counted) for r in result.reports] == [("deferred", False)] * 2
    assert mailbox.released_all and mailbox.disposed == []


def test_a_poll_while_netbox_answers_asks_no_status(poll):
    result, gateway, mailbox, _daemon = poll(seeded_netbox())
    assert result.error is None and [r.outcome for r in result.reports] == ["ingested", "ingested"]
    assert gateway.decisions == 0 and mailbox.disposed == [m.source for m in mailbox.messages]


def test_an_email_whose_reads_keep_failing_while_netbox_answers_is_poison_after_max_attempts(poll):
    db = seeded_netbox()
    db.refuse(
        "outage",
        "GET",
        lambda filters: request_error(500) if "NW-INC-88213" in filters.get("name", []) else None,
    )
    first, _gateway, mailbox, _daemon = poll(db, max_attempts=2)
    assert [(r.outcome, r.counted) for r in first.reports] == [("ingested", False), ("deferred", True)]
    assert mailbox.released == [mailbox.messages[1].source]
    second, _gateway, mailbox, _daemon = poll(db, max_attempts=2)
    assert [r.outcome for r in second.reports] == ["duplicate", "failed"]
    assert second.reports[1].reason.startswith("poison email: failed 2 times while NetBox answered")
    assert mailbox.disposed == [m.source for m in mailbox.messages] and second.error is None


def test_a_failed_emails_reason_is_recorded_before_it_is_moved(poll, tmp_path, monkeypatch):
    db = seeded_netbox()
    db.refuse(
        "outage",
        "GET",
        lambda filters: request_error(500) if "NW-INC-88213" in filters.get("name", []) else None,
    )
    records_when_moved = []

    def dispose(_box, message, _actions):
        records_when_moved.append((message.source, FailureRecords(StateStore(tmp_path), "noc").load()))

    monkeypatch.setattr(StandInMailbox, "dispose", dispose)
    result, _gateway, mailbox, _daemon = poll(db, max_attempts=1)  # poison at once
    assert [r.outcome for r in result.reports] == ["ingested", "failed"]
    (_, before), (source, records) = records_when_moved
    assert before == {} and source == mailbox.messages[1].source
    [record] = records.values()
    assert record.reason == result.reports[1].reason and record.source == source
