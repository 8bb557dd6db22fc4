"""The NetBox rules of README "What it writes", shown on the real plugin with BCOP iCalendar notices of
our own: operator fields, acknowledgement reset, impacts on a closed event, unknown circuits linked
later, cancellations that list no circuits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from tests.stack import reset_stack

from .helpers import netbox_event_state, prepare_netbox, run_cli

pytestmark = pytest.mark.integration

PROVIDER = "acme-transit"
WINDOW = ("20261215T010000Z", "20261215T050000Z")  # start, end of the notices that keep their window
# Notices are stamped (DTSTAMP) in the past: a stamp later than the email's arrival (+ [parsing]
# stamp_skew_seconds) is cut to it, which would reorder them by arrival.


def invite(
    number: int, status: str, sequence: int, start: str, end: str, circuits: dict[str, str], stamp: str
) -> bytes:
    objects = "".join(
        f"X-MAINTNOTE-OBJECT-ID;X-MAINTNOTE-OBJECT-IMPACT={impact}:{cid}\n"
        for cid, impact in circuits.items()
    )
    # With one object the library reads the event-level impact, so keep the two in step.
    event_impact = next(iter(circuits.values()), "OUTAGE")
    calendar = (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Acme Transit//Notifier//EN\nMETHOD:REQUEST\nBEGIN:VEVENT\n"
        f"SUMMARY:Fiber works {number}\nDTSTART:{start}\nDTEND:{end}\nDTSTAMP:{stamp}\n"
        f"UID:AT-RULES@acme-transit.example\nSEQUENCE:{sequence}\nX-MAINTNOTE-PROVIDER:acme-transit\n"
        "X-MAINTNOTE-ACCOUNT:ACME-CUST-1\nX-MAINTNOTE-MAINTENANCE-ID:AT-RULES\n"
        f"{objects}X-MAINTNOTE-IMPACT:{event_impact}\nX-MAINTNOTE-STATUS:{status}\n"
        "ORGANIZER;CN=Acme:mailto:maintenance@acme-transit.example\nEND:VEVENT\nEND:VCALENDAR\n"
    )
    message = EmailMessage()
    message["From"] = "Acme Transit NOC <maintenance@acme-transit.example>"
    message["To"] = "noc@example.net"
    message["Subject"] = f"[Acme Transit] Maintenance AT-RULES {status.lower()} (notice {number})"
    message["Date"] = "Sat, 07 Nov 2026 09:15:00 +0000"
    message["Message-ID"] = f"<rules-{number}@acme-transit.example>"
    message.set_content(calendar, subtype="calendar", params={"method": "REQUEST"})
    return bytes(message)


@pytest.fixture
def ingest(netbox_api, stack, tmp_path):
    reset_stack()  # every test here starts from an empty NetBox: they share one event id
    config = prepare_netbox(netbox_api, stack, tmp_path, {PROVIDER: {"ACME-1", "ACME-2"}})
    counter = iter(range(1000))

    def ingest_one(raw: bytes) -> dict:
        path = tmp_path / f"{next(counter)}.eml"
        path.write_bytes(raw)
        run = run_cli(config, "replay", "--format", "json", str(path))
        assert run.returncode == 0, run.stdout + run.stderr[-2000:]
        return run.json_lines()[0]

    return ingest_one


def state(nb):
    return netbox_event_state(nb, "maintenance", PROVIDER, "AT-RULES")


def record(nb):
    provider = nb.circuits.providers.get(slug=PROVIDER)
    return nb.plugins.notices.maintenance.get(provider_id=provider.id, name="AT-RULES")


def operator_view(event) -> tuple:
    return (event.status, event.acknowledged, event.internal_ticket, event.comments)


def test_operator_fields_are_kept_and_acknowledged_resets_when_the_window_moves(netbox_api, ingest):
    nb = netbox_api
    ingest(
        invite(
            1,
            "TENTATIVE",
            1,
            *WINDOW,
            {"ACME-1": "OUTAGE"},
            "20261107T091500Z",
        )
    )
    event = record(nb)
    event.update({"acknowledged": True, "internal_ticket": "CHG-4711", "comments": "operator note"})

    ingest(invite(2, "CONFIRMED", 2, *WINDOW, {"ACME-1": "OUTAGE"}, "20261108T091500Z"))
    assert operator_view(record(nb)) == ("CONFIRMED", True, "CHG-4711", "operator note")

    moved = ("20261216T010000Z", "20261216T050000Z")
    ingest(invite(3, "RE-SCHEDULED", 3, *moved, {"ACME-1": "DEGRADED"}, "20261109T091500Z"))
    event = record(nb)
    assert operator_view(event) == ("RE-SCHEDULED", False, "CHG-4711", "operator note")
    assert event.start.startswith("2026-12-16T01:00")
    assert state(nb)["circuits"] == {"ACME-1": "DEGRADED"}  # the newest notice's level


def test_a_late_older_notice_adds_impacts_to_a_completed_event(netbox_api, ingest):
    nb = netbox_api
    ingest(
        invite(
            1,
            "COMPLETED",
            3,
            *WINDOW,
            {"ACME-1": "OUTAGE"},
            "20261116T091500Z",
        )
    )
    assert state(nb)["status"] == "COMPLETED"

    # The older confirmation arrives last: it adds ACME-2 (the plugin refuses impacts on a completed
    # event, so the daemon reopens it for the write) and leaves the status COMPLETED.
    result = ingest(
        invite(
            2,
            "CONFIRMED",
            1,
            *WINDOW,
            {"ACME-2": "DEGRADED"},
            "20261107T091500Z",
        )
    )
    assert any("reopened" in change for change in result["events"][0]["changes"])
    after = state(nb)
    assert after["status"] == "COMPLETED"
    assert after["circuits"] == {"ACME-1": "OUTAGE", "ACME-2": "DEGRADED"}
    messages = [c.message for c in nb.core.object_changes.filter(changed_object_type="notices.maintenance")]
    assert any("reopened as CONFIRMED to record impacts" in (m or "") for m in messages)


def test_unknown_circuit_is_listed_then_linked_once_it_exists(netbox_api, ingest):
    nb = netbox_api
    ingest(
        invite(
            1,
            "CONFIRMED",
            1,
            *WINDOW,
            {"ACME-9": "OUTAGE"},
            "20261107T091500Z",
        )
    )
    event = record(nb)
    assert "Not found in NetBox (linked once they exist): ACME-9" in event.impact
    assert state(nb)["circuits"] == {}

    provider = nb.circuits.providers.get(slug=PROVIDER)
    circuit_type = nb.circuits.circuit_types.get(slug="transit")
    nb.circuits.circuits.create(cid="acme-9", provider=provider.id, type=circuit_type.id)  # other case
    ingest(
        invite(
            2,
            "CONFIRMED",
            2,
            *WINDOW,
            {"ACME-1": "OUTAGE"},
            "20261108T091500Z",
        )
    )
    assert state(nb)["circuits"] == {"acme-9": "OUTAGE", "ACME-1": "OUTAGE"}
    assert "Not found" not in record(nb).impact


def test_cancellation_listing_no_circuits_keeps_impacts(netbox_api, ingest):
    nb = netbox_api
    ingest(
        invite(
            1,
            "CONFIRMED",
            1,
            *WINDOW,
            {"ACME-1": "OUTAGE"},
            "20261107T091500Z",
        )
    )
    ingest(invite(2, "CANCELLED", 2, *WINDOW, {}, "20261108T091500Z"))
    after = state(nb)
    assert after["status"] == "CANCELLED"
    assert after["circuits"] == {"ACME-1": "OUTAGE"}
    assert after["notifications"] == 2


def test_a_forged_future_stamp_does_not_outrank_a_genuine_later_notice(netbox_api, ingest):
    now = datetime.now(UTC)
    received = format_datetime(now - timedelta(hours=3))  # when our server took the forged one in
    forged = invite(1, "CONFIRMED", 1, *WINDOW, {"ACME-1": "OUTAGE"}, "20991231T000000Z")
    ingest(f"Received: from mx.example by mail.example; {received}\n".encode() + forged)
    genuine = (now - timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ")
    ingest(invite(2, "CANCELLED", 1, *WINDOW, {}, genuine))
    # Held to its arrival + [parsing] stamp_skew_seconds (1 h), the forged notice is the older one.
    assert state(netbox_api)["status"] == "CANCELLED"


def test_outage_without_labelled_circuits_finds_known_cids_in_the_text(netbox_api, ingest):
    message = EmailMessage()
    message["From"] = "Acme Transit NOC <noc@acme-transit.example>"
    message["Subject"] = "Outage Notification - AT-INC-77 - Investigating"
    message["Date"] = "Tue, 08 Dec 2026 06:20:00 +0000"
    message["Message-ID"] = "<rules-outage-1@acme-transit.example>"
    message.set_content(
        "Ticket Number: AT-INC-77\nIncident Start: 2026-12-08 06:02 UTC\nCurrent Status: Investigating\n\n"
        "We see loss of light on your service ACME-2 between Frankfurt and Amsterdam.\n"
    )
    result = ingest(bytes(message))
    assert result["outcome"] == "ingested"
    outage = netbox_event_state(netbox_api, "outage", PROVIDER, "AT-INC-77")
    assert outage["circuits"] == {"ACME-2": "OUTAGE"}
    assert outage["status"] == "INVESTIGATING"


def test_missing_provider_is_created_only_when_configured(netbox_api, stack, tmp_path):
    reset_stack()
    raw = invite(1, "CONFIRMED", 1, *WINDOW, {"ACME-1": "OUTAGE"}, "20261107T091500Z")
    email = tmp_path / "invite.eml"
    email.write_bytes(raw)
    config = prepare_netbox(netbox_api, stack, tmp_path, {})
    run = run_cli(config, "replay", "--format", "json", str(email))
    assert run.returncode == 1
    assert "no NetBox provider with slug 'acme-transit'" in run.json_lines()[0]["reason"]

    config.write_text(
        config.read_text().replace("retries = 2", "retries = 2\ncreate_missing_providers = true")
    )
    run = run_cli(config, "replay", "--format", "json", str(email))
    assert run.returncode == 0, run.stdout + run.stderr[-2000:]
    provider = netbox_api.circuits.providers.get(slug=PROVIDER)
    assert [t.slug for t in provider.tags] == ["notices-ingestor"]
    assert state(netbox_api)["circuits"] == {}  # no circuits of a provider NetBox did not know
