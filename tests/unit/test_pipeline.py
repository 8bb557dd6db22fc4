"""The pipeline's outcomes without a server: the NetBox gateway is a stand-in here (the real one is
exercised by the integration tests)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from ingestor.config import Config
from ingestor.netbox.client import NetBoxUnavailable
from ingestor.pipeline import Pipeline
from ingestor.sources import RawMessage
from parsers.models import Outcome

OUTAGE = (
    Path(__file__).resolve().parents[2]
    / "scripts"
    / "demo"
    / "emails"
    / "03-northwind-outage-investigating.eml"
)
CONFIG = Config.model_validate({"netbox": {"url": "http://nb.invalid", "token": "t"}})


class RaisingGateway:
    def __init__(self, exc: Exception):
        self.exc = exc

    def provider_id(self, slug):
        raise self.exc


def message() -> RawMessage:
    return RawMessage(data=OUTAGE.read_bytes(), source=str(OUTAGE))


def test_a_bug_met_by_one_email_fails_that_email_only():
    report = Pipeline(CONFIG, RaisingGateway(KeyError("boom"))).process(message())
    assert report.outcome == Outcome.FAILED
    assert report.reason == "internal error: KeyError: 'boom'"
    assert (
        report.message_id == "<demo-northwind-88213-1@northwind-fiber.example>"
    )  # the crash names the email


def test_netbox_unavailable_defers_the_email_for_the_next_attempt():
    report = Pipeline(CONFIG, RaisingGateway(NetBoxUnavailable("HTTP 503"))).process(message())
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
    report = Pipeline(CONFIG, RaisingGateway(exc)).process(message())
    assert report.outcome == Outcome.DEFERRED
    assert report.reason.startswith("NetBox unavailable: ")


def test_unreadable_source_message_fails_with_the_sources_reason():
    report = Pipeline(CONFIG, RaisingGateway(AssertionError())).process(
        RawMessage(data=b"", source="/x.eml", error="/x.eml: 30 MiB exceeds max_message_bytes")
    )
    assert (report.outcome, report.reason) == (Outcome.FAILED, "/x.eml: 30 MiB exceeds max_message_bytes")


def test_ignored_email_never_reaches_netbox():
    newsletter = OUTAGE.with_name("05-newsletter.eml")
    report = Pipeline(CONFIG, RaisingGateway(AssertionError("must not be called"))).process(
        RawMessage(data=newsletter.read_bytes(), source=str(newsletter))
    )
    assert report.outcome == Outcome.IGNORED and "no parser recognised" in report.reason
