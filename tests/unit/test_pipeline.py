"""The pipeline's outcomes without a server: the NetBox gateway is a stand-in here, one that raises or the
in-memory NetBox (the real one is exercised by the integration tests)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from ingestor.config import Config
from ingestor.netbox import NetBoxUnavailable
from ingestor.outcome import Outcome
from ingestor.pipeline import Pipeline
from ingestor.sources import RawMessage

from .memory_netbox import MemoryGateway, MemoryNetBox
from .test_netbox_faults import request_error

DEMO = Path(__file__).resolve().parents[2] / "scripts" / "demo" / "emails"
OUTAGE = DEMO / "03-northwind-outage-investigating.eml"
CONFIG = Config.model_validate({"netbox": {"url": "https://nb.invalid", "token": "t"}})
ACME_NEWS_IGNORED = Config.model_validate(
    {
        "netbox": {"url": "https://nb.invalid", "token": "t"},
        "providers": {"acme-transit": {"ignore_senders": ["news@acme-transit.example"]}},
    }
)


class RaisingGateway:
    """Every read raises ``exc``; the status probe answers as ``answering`` says."""

    def __init__(self, exc: Exception, answering: bool = False):
        self.exc, self.answering = exc, answering

    def list(self, model, **filters):
        raise self.exc

    def answers(self) -> bool:
        return self.answering


def message(path: Path = OUTAGE) -> RawMessage:
    """A demo email, dated six years earlier: its own dates, not the clock, order it among the others (a
    stamp later than the clock would be taken as the time of parsing)."""
    data = re.sub(rb"^(Date: .*) 2026 ", rb"\1 2020 ", path.read_bytes(), count=1, flags=re.MULTILINE)
    data = data.replace(b"DTSTAMP:2026", b"DTSTAMP:2020")
    return RawMessage(data=data, source=str(path))


def test_a_bug_met_by_one_email_fails_that_email_only():
    report = Pipeline(CONFIG, RaisingGateway(KeyError("boom"))).process_batch([message()]).reports[0]
    assert report.outcome == Outcome.FAILED
    assert report.reason == "internal error: KeyError: 'boom'"
    assert (
        report.message_id == "<demo-northwind-88213-1@northwind-fiber.example>"
    )  # the crash names the email


def test_netbox_unavailable_defers_the_email_for_the_next_attempt():
    report = (
        Pipeline(CONFIG, RaisingGateway(NetBoxUnavailable("HTTP 503"))).process_batch([message()]).reports[0]
    )
    assert (report.outcome, report.reason) == (Outcome.DEFERRED, "NetBox unavailable: HTTP 503")
    assert report.message_id == "<demo-northwind-88213-1@northwind-fiber.example>"


@pytest.mark.parametrize(
    "exc",
    [
        requests.ConnectionError("connection dropped"),
        requests.ReadTimeout("read timed out"),
        ConnectionResetError(),
    ],
)
def test_a_transient_fault_raised_outside_the_gateway_is_never_quarantined(exc):
    """E.g. a dropped connection while a lazy listing is iterated: the email is deferred, not failed."""
    report = Pipeline(CONFIG, RaisingGateway(exc)).process_batch([message()]).reports[0]
    assert report.outcome == Outcome.DEFERRED
    assert report.reason.startswith("NetBox unavailable: ")


def test_unreadable_source_message_fails_with_the_sources_reason():
    report = (
        Pipeline(CONFIG, RaisingGateway(AssertionError()))
        .process_batch(
            [RawMessage(data=b"", source="/x.eml", error="/x.eml: 30 MiB exceeds max_message_bytes")]
        )
        .reports[0]
    )
    assert (report.outcome, report.reason) == (Outcome.FAILED, "/x.eml: 30 MiB exceeds max_message_bytes")


def newsletter(sender: str = "news@acme-transit.example") -> RawMessage:
    raw = message(DEMO / "05-newsletter.eml")
    return RawMessage(raw.data.replace(b"news@acme-transit.example", sender.encode()), raw.source)


def processed(config: Config, gateway, *messages: RawMessage) -> list:
    pipeline = Pipeline(config, gateway)
    try:
        return pipeline.process_batch(list(messages)).reports
    finally:
        pipeline.close()


def test_an_ignored_email_only_asks_netbox_whose_its_senders_domain_is():
    db = seeded_netbox()
    [report] = processed(CONFIG, MemoryGateway(db), newsletter("news@example.org"))
    assert (report.outcome, report.provider) == (Outcome.IGNORED, None)
    assert "no parser recognised" in report.reason
    assert db.writes() == []
    # contacts at example.org (none: no assignments asked), then the providers for its label
    assert db.requests == [("tenancy.contacts", "GET"), ("circuits.providers", "GET")]


def test_a_newsletter_from_a_netbox_providers_domain_fails_unless_the_config_ignores_it():
    """Issue 17, item 5: acme-transit.example is the domain of NetBox's provider acme-transit (its slug
    is the domain's label), so its newsletter is that provider's email nothing understood."""
    db = seeded_netbox()
    [report] = processed(CONFIG, MemoryGateway(db), newsletter())
    assert (report.outcome, report.provider) == (Outcome.FAILED, "acme-transit")
    assert report.reason == (
        "from provider acme-transit but not understood: "
        "no parser recognised this email (sender news@acme-transit.example)"
    )
    [report] = processed(ACME_NEWS_IGNORED, MemoryGateway(db), newsletter())
    assert (report.outcome, report.provider) == (Outcome.IGNORED, "acme-transit")
    assert report.reason.endswith(
        "ignored: sender news@acme-transit.example is in [providers.acme-transit] ignore_senders"
    )
    assert db.writes() == []


def test_an_ignored_email_waits_while_netbox_cannot_say_whose_it_is():
    [report] = processed(CONFIG, RaisingGateway(NetBoxUnavailable("HTTP 503")), newsletter())
    assert (report.outcome, report.reason) == (Outcome.DEFERRED, "NetBox unavailable: HTTP 503")


def test_a_batch_gets_one_report_per_message_in_order_and_reaches_netbox_once():
    db = seeded_netbox()
    batch = [
        message(DEMO / "02-acme-maintenance-confirmed.eml"),
        message(DEMO / "05-newsletter.eml"),
        RawMessage(data=b"", source="/x.eml", error="/x.eml: unreadable"),
        message(DEMO / "03-northwind-outage-investigating.eml"),
        message(DEMO / "04-northwind-outage-resolved.eml"),
        message(DEMO / "01-acme-maintenance-tentative.eml"),
        message(DEMO / "02-acme-maintenance-confirmed.eml"),  # the same email twice
    ]
    pipeline = Pipeline(ACME_NEWS_IGNORED, MemoryGateway(db))
    try:
        reports = pipeline.process_batch(batch).reports
    finally:
        pipeline.close()
    assert [r.source for r in reports] == [m.source for m in batch]
    assert [r.outcome for r in reports] == [
        Outcome.INGESTED,
        Outcome.IGNORED,
        Outcome.FAILED,
        Outcome.INGESTED,
        Outcome.INGESTED,
        Outcome.INGESTED,
        Outcome.DUPLICATE,
    ]
    assert reports[2].reason == "/x.eml: unreadable"
    assert [(e.kind, e.name, e.provider) for e in reports[3].events] == [
        ("outage", "NW-INC-88213", "northwind-fiber")
    ]
    assert [row["status"] for row in db.rows("maintenance")] == ["CONFIRMED"]  # newest of both, in any order
    assert [row["status"] for row in db.rows("outage")] == ["RESOLVED"]
    assert len(db.rows("eventnotification")) == 4
    for model in ("maintenance", "outage", "impact", "eventnotification", "extras.journal_entries"):
        assert db.count(model, "POST") == 1  # the whole batch in one bulk write per endpoint


def seeded_netbox() -> MemoryNetBox:
    db = MemoryNetBox()
    for slug, cids in (("acme-transit", ["ACME-FRA-AMS-0001"]), ("northwind-fiber", ["NWF-LON-000731"])):
        provider = db.insert("circuits.providers", {"name": slug, "slug": slug})
        for cid in cids:
            db.insert("circuits.circuits", {"cid": cid, "provider": provider["id"]})
    return db


def test_a_read_netbox_cannot_answer_for_one_event_holds_back_only_its_emails():
    """NetBox answers its status probe but every read naming the Northwind outage fails (500): the batch
    is written again in halves down to single emails. The others are ingested; the outage's emails wait,
    each counted towards max_attempts (poison candidates), and nothing else is."""
    db = seeded_netbox()
    db.refuse(
        "outage",
        "GET",
        lambda filters: request_error(500) if "NW-INC-88213" in filters.get("name", []) else None,
    )
    batch = [
        message(DEMO / "03-northwind-outage-investigating.eml"),
        message(DEMO / "01-acme-maintenance-tentative.eml"),
        message(DEMO / "04-northwind-outage-resolved.eml"),
        message(DEMO / "02-acme-maintenance-confirmed.eml"),
    ]
    pipeline = Pipeline(CONFIG, MemoryGateway(db, retries=1))
    try:
        reports = pipeline.process_batch(batch).reports
    finally:
        pipeline.close()
    assert [(r.outcome, r.counted) for r in reports] == [
        (Outcome.DEFERRED, True),
        (Outcome.INGESTED, False),
        (Outcome.DEFERRED, True),
        (Outcome.INGESTED, False),
    ]
    assert reports[0].reason.startswith("NetBox unavailable: HTTP 500")
    assert [row["status"] for row in db.rows("maintenance")] == ["CONFIRMED"]
    assert db.rows("outage") == []


def test_a_batch_waiting_for_netbox_as_a_whole_counts_against_no_email():
    db = seeded_netbox()
    db.answering = False
    db.inject("circuits.providers", "GET", request_error(503), times=10)
    pipeline = Pipeline(CONFIG, MemoryGateway(db, retries=1))
    try:
        done = pipeline.process_batch(
            [
                message(DEMO / "01-acme-maintenance-tentative.eml"),
                message(DEMO / "03-northwind-outage-investigating.eml"),
            ]
        )
    finally:
        pipeline.close()
    assert done.netbox_down
    assert [(r.outcome, r.counted) for r in done.reports] == [(Outcome.DEFERRED, False)] * 2
    assert db.count("circuits.providers", "GET") == 2  # one try (retries=1) and no split: NetBox is down
