"""The parse workers (parsers.worker): real worker processes, killed and replaced for real.

Slow and large inputs are built so that they need far more than the limits set here (seconds of work
against a limit of a fraction of one), not timed: the assertions are on outcomes, reasons and restarts.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import threading
from pathlib import Path

import pytest

from parsers import parse_email
from parsers.options import ParserOptions
from parsers.worker import ParserUnavailable, ParseWorkerPool

DEMO = Path(__file__).resolve().parents[2] / "scripts" / "demo" / "emails"
OUTAGE = (DEMO / "03-northwind-outage-investigating.eml").read_bytes()
# 1 MB of random bytes, no headers: every library provider is tried, and chardet alone takes seconds.
SLOW = random.Random(1).randbytes(1024 * 1024)


@pytest.fixture
def pool():
    pools: list[ParseWorkerPool] = []

    def make(**options) -> ParseWorkerPool:
        pools.append(ParseWorkerPool(ParserOptions(**options)))
        return pools[-1]

    yield make
    for each in pools:
        each.close()


def comparable(result) -> dict:
    # "now" stands in for a missing Date or arrival (a demo email dated ahead), and so differs between two
    return result.model_dump(exclude={"email": {"received", "arrived"}, "notices": {"__all__": {"stamp"}}})


def test_a_worker_parses_as_the_daemon_would_in_process(pool):
    workers = pool()
    assert comparable(workers.parse(OUTAGE)) == comparable(parse_email(OUTAGE))
    first = workers._workers[0].process.pid
    assert workers.parse(OUTAGE).status == "parsed"
    assert workers._workers[0].process.pid == first  # reused across emails
    assert workers.restarts == 0


def test_a_parse_over_the_time_limit_is_killed_and_the_worker_replaced(pool):
    workers = pool(timeout_seconds=0.3)
    workers.parse(OUTAGE)  # started and warm: the limit is the email's own
    result = workers.parse(SLOW)
    assert result.status == "failed"
    assert result.reason == (
        "parse took longer than 0.3 s, the limit ([parsing] timeout_seconds); its worker process was killed"
    )
    assert result.email.message_id.startswith("sha256:")  # identified all the same
    assert workers.restarts == 1
    assert workers.parse(OUTAGE).status == "parsed"


def test_a_parse_over_the_memory_limit_fails_naming_it_and_the_next_email_parses(pool):
    workers = pool(memory_limit_mb=400)  # a worker's baseline is ~260 MiB of address space
    big = b"From: a@example.org\nSubject: big\n\n" + b"line of a very large body\n" * (8 * 1024 * 1024)
    result = workers.parse(big)
    assert result.status == "failed"
    assert "400 MiB" in result.reason and "[parsing] memory_limit_mb" in result.reason
    assert workers.restarts == 1
    assert workers.parse(OUTAGE).status == "parsed"


def test_a_worker_killed_mid_parse_fails_that_email_only(pool):
    workers = pool(timeout_seconds=60)
    workers.parse(OUTAGE)
    pid = workers._workers[0].process.pid
    threading.Timer(0.5, os.kill, args=(pid, signal.SIGKILL)).start()
    result = workers.parse(SLOW)
    assert result.status == "failed"
    assert result.reason.startswith("parse worker was killed by signal 9 while parsing the email")
    assert workers.restarts == 1
    assert workers.parse(OUTAGE).status == "parsed"
    assert workers._workers[0].process.pid != pid


def test_a_worker_that_died_while_idle_is_replaced_before_the_next_email(pool):
    workers = pool()
    workers.parse(OUTAGE)
    process = workers._workers[0].process
    process.kill()
    process.join()
    assert workers.parse(OUTAGE).status == "parsed"
    assert workers.restarts == 1


def test_the_arrival_time_reaches_the_worker(pool):
    from datetime import UTC, datetime

    arrived = datetime(2020, 1, 1, tzinfo=UTC)  # long before the email's Date: stamps are held to it
    result = pool().parse(OUTAGE, arrived)
    assert result.status == "parsed"
    assert all(notice.stamp <= datetime(2020, 1, 1, 1, tzinfo=UTC) for notice in result.notices)


def test_a_worker_that_cannot_start_leaves_the_email_for_later(pool, monkeypatch):
    import parsers.worker
    from ingestor.config import Config
    from ingestor.pipeline import Pipeline
    from ingestor.sources import RawMessage

    monkeypatch.setattr(parsers.worker, "START_TIMEOUT_SECONDS", 0)  # no worker is ready that fast...
    # ...unless forked from the warm forkserver (a few ms): a spawned one imports everything first
    monkeypatch.setattr(parsers.worker, "_context", lambda: multiprocessing.get_context("spawn"))
    workers = pool()
    with pytest.raises(ParserUnavailable, match="parse worker did not start"):
        workers.parse(OUTAGE)
    config = Config.model_validate({"netbox": {"url": "https://nb.invalid", "token": "t"}})
    pipeline = Pipeline(config, gateway=None)
    pipeline.parser.close()
    pipeline.parser = workers
    with pytest.raises(ParserUnavailable):  # escapes, like NetBoxUnavailable: the email is not disposed of
        pipeline.process_batch([RawMessage(OUTAGE, "test.eml")]).reports[0]
