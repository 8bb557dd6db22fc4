"""The maintenance corpus through parse_email, and how the circuit-maintenance-parser stage behaves.

The corpus (84 real provider emails with the library's expected results) lives outside the project in
../shared/corpus; the tests that need it skip when it is absent.
"""

from __future__ import annotations

import json
import os
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from circuit_maintenance_parser import Maintenance, NotificationData, ProviderError
from circuit_maintenance_parser.output import Metadata

import parsers.maintenance as maintenance
import parsers.parse
from parsers import parse_email
from parsers.email import email_meta, read_message
from parsers.maintenance import calendar_timezones, parse_maintenances, to_notice
from parsers.options import ParserOptions

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
MAINTENANCE_CORPUS = CORPUS / "maintenance"
needs_corpus = pytest.mark.skipif(
    not MAINTENANCE_CORPUS.is_dir(), reason=f"provider email corpus not found at {MAINTENANCE_CORPUS}"
)


def load_manifest() -> list[dict]:
    if not MAINTENANCE_CORPUS.is_dir():
        return []
    return json.loads((MAINTENANCE_CORPUS / "manifest.json").read_text())


MANIFEST = load_manifest()
BY_FILE = {Path(entry["file"]).stem: entry for entry in MANIFEST}


def corpus_raw(name: str) -> bytes:
    return (MAINTENANCE_CORPUS / BY_FILE[name]["file"]).read_bytes()


def epoch(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def as_expected(notice) -> dict:
    """A Notice in the manifest's terms."""
    return {
        "maintenance_id": notice.event_id,
        "status": notice.status or "NO-CHANGE",
        "start": epoch(notice.start),
        "end": epoch(notice.end),
        "stamp": epoch(notice.stamp),
        "sequence": notice.sequence,
        "summary": notice.summary or "",
        "account": notice.account or "",
        "circuits": [{"circuit_id": c.circuit_id, "impact": c.impact} for c in notice.circuits],
    }


def manifest_params():
    if not MANIFEST:
        return [pytest.param(None, marks=needs_corpus, id="corpus-absent")]
    return [pytest.param(entry, id=entry["file"].removeprefix("emails/")) for entry in MANIFEST]


# --- the whole corpus ----------------------------------------------------------------------------------


@needs_corpus
@pytest.mark.parametrize("entry", manifest_params())
def test_corpus_email(entry):
    result = parse_email((MAINTENANCE_CORPUS / entry["file"]).read_bytes())
    assert result.email.message_id == entry["message_id"]
    if entry["outcome"] == "error":
        assert result.status == "failed"
        assert result.reason and entry["provider"] in result.reason, result.reason
        return
    assert (result.status, result.provider, result.reason) == ("parsed", entry["provider"], "")
    keys = ("maintenance_id", "status", "start", "end", "stamp", "sequence", "summary", "account", "circuits")
    expected = [{key: m[key] for key in keys} for m in entry["maintenances"]]
    assert [as_expected(notice) for notice in result.notices] == expected
    for notice, listed in zip(result.notices, entry["maintenances"], strict=True):
        assert notice.kind == "maintenance"
        # A plain BCOP invite names its provider itself; every other library provider is its own name.
        own_name = re.sub(r"[^a-z0-9]+", "-", listed["provider"].lower()).strip("-")
        assert notice.provider == (own_name if entry["provider"] == "genericprovider" else entry["provider"])
        assert notice.parser == f"circuit-maintenance-parser:{entry['provider']}"
        assert notice.stamp.tzinfo is not None and notice.start.utcoffset().total_seconds() == 0


@needs_corpus
@pytest.mark.parametrize("name", ["colt3", "colt4", "colt5", "colt6", "colt7"])
def test_forwarded_colt_mail_is_found_by_content(name):
    result = parse_email(corpus_raw(name))
    assert "colt" not in result.email.sender  # change@example.com, a person's address
    assert (result.status, result.provider) == ("parsed", "colt")


@needs_corpus
@pytest.mark.parametrize(("name", "provider"), [("seaborn1", "seaborn"), ("turkcell1", "turkcell")])
def test_shared_sender_tries_both_providers(name, provider):
    result = parse_email(corpus_raw(name))
    assert result.email.sender == "inoc@superonline.net"
    assert (result.status, result.provider) == ("parsed", provider)


@needs_corpus
@pytest.mark.parametrize(("name", "count"), [("zayo5", 3), ("sparkle1", 3), ("lumen8", 2), ("arelion2", 2)])
def test_every_maintenance_of_an_email_becomes_a_notice(name, count):
    result = parse_email(corpus_raw(name))
    assert len(result.notices) == count
    assert len({(n.event_id, n.start) for n in result.notices}) == count


@needs_corpus
def test_att_spreadsheet_attachment():
    result = parse_email(corpus_raw("att1"))
    assert (result.status, result.provider, len(result.notices)) == ("parsed", "att", 1)
    assert result.notices[0].circuits


@needs_corpus
def test_calendar_invite_from_an_unknown_sender_is_generic():
    result = parse_email(corpus_raw("ical1"))
    assert (result.status, result.provider) == ("parsed", "genericprovider")
    assert result.notices[0].original_timezone == "UTC"  # DTSTART written in UTC


@needs_corpus
def test_an_email_without_date_or_subject_still_reaches_the_library():
    # the library's own reader gives up on both; ours hands it the parts with our subject and date
    without_date = re.sub(rb"(?m)^Date:.*\r?\n", b"", corpus_raw("zayo1"), count=1)
    assert (parse_email(without_date).status, parse_email(without_date).provider) == ("parsed", "zayo")
    invite = re.sub(rb"(?m)^(Date|Subject):.*\r?\n", b"", corpus_raw("arelion1"), count=2)
    assert (parse_email(invite).status, parse_email(invite).provider) == ("parsed", "arelion")


@needs_corpus
def test_the_whole_corpus_parses_quickly():
    parse_email(corpus_raw("cogent1"))  # one-off costs (imports, the city table) are not per email
    started = time.perf_counter()
    for entry in MANIFEST:
        parse_email((MAINTENANCE_CORPUS / entry["file"]).read_bytes())
    assert time.perf_counter() - started < 60


# --- the maintenance stage without the corpus -----------------------------------------------------------

DISTURBANCE = b"""From: Arelion Support <support@arelion.com>
Subject: Disturbance Information: 00412345 - Investigating
Date: Mon, 02 Mar 2026 14:10:00 +0000
Message-ID: <disturbance@arelion.example>
Content-Type: text/plain; charset=utf-8

We are investigating a disturbance affecting IC-111111.
"""


def meta_and_msg(raw: bytes):
    msg = read_message(raw)
    return msg, email_meta(msg, raw)


def test_provider_filters_are_reported_as_filtered_not_failed(monkeypatch):
    msg, meta = meta_and_msg(DISTURBANCE)
    attempt = parse_maintenances(msg, meta, ["arelion", "telia"], ParserOptions())
    assert (attempt.status, attempt.notices) == ("filtered", [])
    assert attempt.reason == "excluded by provider filters: arelion, telia"

    monkeypatch.setattr(parsers.parse, "STAGES", (parsers.parse.maintenance_stage,))  # without outage parsing
    result = parse_email(DISTURBANCE)
    # Arelion's own email that nothing could read: a human must see it (issue 17, item 5)
    assert (result.status, result.reason, result.provider) == (
        "failed",
        "from provider arelion but not understood: excluded by provider filters: arelion, telia",
        "arelion",
    )


class FakeProvider:
    def __init__(self, behaviour):
        self.behaviour = behaviour

    def get_maintenances(self, data):
        return self.behaviour(data)


def library_maintenance(maintenance_id: str = "M-1", **changes) -> Maintenance:
    values = {
        "provider": "zayo",
        "account": "ACME",
        "maintenance_id": maintenance_id,
        "status": "CONFIRMED",
        "circuits": [{"circuit_id": "C-1", "impact": "OUTAGE"}],
        "start": 1_700_000_000,
        "end": 1_700_003_600,
        "stamp": 1_699_990_000,
        "organizer": "mr@zayo.com",
        "_metadata": Metadata(provider="zayo", processor="CombinedProcessor", parsers=[]),
    } | changes
    return Maintenance(**values)


def raises(message: str):
    def behaviour(data):
        raise ProviderError(f"Failed creating Maintenance notification for X.\n{message}")

    return behaviour


def fake_providers(monkeypatch, **behaviours):
    monkeypatch.setattr(maintenance, "init_provider", lambda name: FakeProvider(behaviours[name]))


ZAYO_MAIL = b"From: MR Zayo <mr@zayo.com>\nSubject: notice\nDate: Mon, 02 Mar 2026 14:10:00 +0000\n\nbody\n"
UNKNOWN_MAIL = b"From: friend@example.org\nSubject: notice\nDate: Mon, 02 Mar 2026 14:10:00 +0000\n\nbody\n"


def test_first_provider_with_maintenances_wins(monkeypatch):
    fake_providers(
        monkeypatch,
        seaborn=raises("no"),
        turkcell=lambda data: [library_maintenance("A"), library_maintenance("B")],
        zayo=lambda data: [library_maintenance("never")],
    )
    msg, meta = meta_and_msg(UNKNOWN_MAIL)
    attempt = parse_maintenances(msg, meta, ["seaborn", "turkcell", "zayo"], ParserOptions())
    assert (attempt.status, attempt.provider) == ("parsed", "turkcell")
    assert [n.event_id for n in attempt.notices] == ["A", "B"]


def test_only_the_senders_own_providers_explain_a_failure(monkeypatch):
    fake_providers(monkeypatch, cogent=raises("cogent noise"), zayo=raises("zayo trouble"))
    msg, meta = meta_and_msg(ZAYO_MAIL)
    attempt = parse_maintenances(msg, meta, ["cogent", "zayo"], ParserOptions())
    assert (attempt.status, attempt.provider) == ("failed", "zayo")
    assert "zayo" in attempt.reason and "cogent" not in attempt.reason


def test_errors_of_strangers_are_noise_for_an_unknown_sender(monkeypatch):
    fake_providers(monkeypatch, cogent=raises("noise"), zayo=raises("noise"), colt=lambda data: [])
    msg, meta = meta_and_msg(UNKNOWN_MAIL)
    attempt = parse_maintenances(msg, meta, ["cogent", "zayo", "colt"], ParserOptions())
    assert (attempt.status, attempt.reason) == ("unrecognised", "no provider recognised this email")


def test_an_unexpected_error_is_a_failed_attempt(monkeypatch):
    def broken(msg, meta):
        raise RuntimeError("boom")

    monkeypatch.setattr(maintenance, "notification_data", broken)
    msg, meta = meta_and_msg(ZAYO_MAIL)
    attempt = parse_maintenances(msg, meta, ["zayo"], ParserOptions())
    assert (attempt.status, attempt.reason) == ("failed", "RuntimeError: boom")


def test_the_library_never_sees_an_openai_key(monkeypatch):
    seen = []
    fake_providers(monkeypatch, zayo=lambda data: seen.append(os.environ.get("PARSER_OPENAI_API_KEY")) or [])
    monkeypatch.setenv("PARSER_OPENAI_API_KEY", "sk-test")
    msg, meta = meta_and_msg(ZAYO_MAIL)
    parse_maintenances(msg, meta, ["zayo"], ParserOptions())
    assert seen == [None]


def test_library_maintenance_to_notice():
    notice = to_notice(
        library_maintenance(status="NO-CHANGE", summary="", sequence=3, account="ACME"),
        "zayo",
        {"M-1": "UTC"},
    )
    assert notice.status is None and notice.summary is None
    assert notice.start == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert notice.end == datetime(2023, 11, 14, 23, 13, 20, tzinfo=UTC)
    assert (notice.sequence, notice.account, notice.original_timezone) == (3, "ACME", "UTC")
    assert [(c.circuit_id, c.impact) for c in notice.circuits] == [("C-1", "OUTAGE")]
    assert notice.parser == "circuit-maintenance-parser:zayo"


def test_calendar_timezones_by_maintenance_id():
    ics = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\n"
        b"DTSTART;TZID=Europe/Berlin:20260310T020000\r\nDTEND;TZID=Europe/Berlin:20260310T060000\r\n"
        b"X-MAINTNOTE-MAINTENANCE-ID:WO-7\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    data = NotificationData.init_from_raw("text/calendar", ics)
    assert calendar_timezones(data) == {"WO-7": "Europe/Berlin", "": "Europe/Berlin"}
