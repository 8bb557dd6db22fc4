"""Issue 20, item 3 on the real NetBox: a circuit added to NetBox after the email that named it gets its
impact at the next poll (and with `notices-ingestor relink`), with a changelog message saying why; the
event carries the tag notices-unmatched-circuits until then."""

from __future__ import annotations

import pytest

from tests.stack import reset_stack

from .helpers import prepare_netbox, run_cli, write_config

pytestmark = pytest.mark.integration
TAG = "notices-unmatched-circuits"


def future_invite(path, cids: list[str]):
    """A BCOP maintenance invite (circuit-maintenance-parser's generic iCalendar) for a window a month
    ahead, naming ``cids``: a maintenance still to come, as late links are for."""
    from datetime import UTC, datetime, timedelta
    from email.message import EmailMessage

    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    stamp = "%Y%m%dT%H%M%SZ"
    calendar = "\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Acme Transit//Maintenance Notifications//EN",
        "METHOD:REQUEST", "BEGIN:VEVENT", "SUMMARY:Fibre works", f"DTSTART;VALUE=DATE-TIME:{start:{stamp}}",
        f"DTEND;VALUE=DATE-TIME:{start + timedelta(hours=4):{stamp}}",
        f"DTSTAMP;VALUE=DATE-TIME:{datetime.now(UTC):{stamp}}", "UID:late-link-1@acme-transit.example",
        "SEQUENCE:1", "X-MAINTNOTE-PROVIDER:Acme Transit", "X-MAINTNOTE-ACCOUNT:Example NOC",
        "X-MAINTNOTE-MAINTENANCE-ID:LATE-LINK-1",
        *[f"X-MAINTNOTE-OBJECT-ID;X-MAINTNOTE-OBJECT-IMPACT=OUTAGE:{cid}" for cid in cids],
        "X-MAINTNOTE-IMPACT:OUTAGE", "X-MAINTNOTE-STATUS:CONFIRMED",
        'ORGANIZER;CN="Acme Transit NOC":mailto:noc@acme-transit.example', "END:VEVENT", "END:VCALENDAR", "",
    ])  # fmt: skip
    message = EmailMessage()
    message["From"] = "Acme Transit NOC <noc@acme-transit.example>"
    message["To"] = "noc@example.net"
    message["Subject"] = "[Acme Transit] Maintenance LATE-LINK-1: CONFIRMED"
    message["Message-ID"] = "<late-link-1@acme-transit.example>"
    message["Date"] = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    message.set_content("Acme Transit maintenance LATE-LINK-1 is confirmed.\n" + "\n".join(cids))
    message.add_attachment(calendar.encode(), maintype="text", subtype="calendar", filename="invite.ics")
    path.write_bytes(bytes(message))
    return path


@pytest.fixture
def half_known(netbox_api, stack, tmp_path):
    """An upcoming maintenance ingested while NetBox has only the first of its circuits."""
    reset_stack()
    slug, cids = "acme-transit", ["ACME-LL-1", "ACME-LL-2"]
    config = prepare_netbox(netbox_api, stack, tmp_path, {slug: {cids[0]}})
    email = future_invite(tmp_path / "invite.eml", cids)
    run = run_cli(config, "replay", "--format", "json", str(email))
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    [event] = netbox_api.plugins.notices.maintenance.filter(name="LATE-LINK-1")
    return config, slug, cids, event


def impacted_cids(nb, event) -> set[str]:
    impacts = nb.plugins.notices.impact.filter(
        event_content_type="notices.maintenance", event_object_id=event.id
    )
    return {nb.circuits.circuits.get(impact.target_object_id).cid for impact in impacts}


def add_circuits(nb, slug: str, cids: list[str]) -> None:
    provider = nb.circuits.providers.get(slug=slug)
    kind = nb.circuits.circuit_types.get(slug="transit")
    nb.circuits.circuits.create([{"cid": cid, "provider": provider.id, "type": kind.id} for cid in cids])


def tag_slugs(nb, event) -> set[str]:
    return {tag.slug for tag in nb.plugins.notices.maintenance.get(event.id).tags}


def test_relink_links_a_circuit_added_after_the_email(netbox_api, half_known):
    config, slug, cids, event = half_known
    assert impacted_cids(netbox_api, event) == {cids[0]}
    assert TAG in tag_slugs(netbox_api, event)
    add_circuits(netbox_api, slug, cids[1:])
    run = run_cli(config, "relink", "--format", "json")
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    [line, summary] = run.json_lines()
    assert line["linked"] == cids[1:] and summary["summary"]["linked"] == len(cids) - 1
    assert impacted_cids(netbox_api, event) == set(cids)
    assert TAG not in tag_slugs(netbox_api, event)
    changes = netbox_api.core.object_changes.filter(
        related_object_type="notices.maintenance", related_object_id=event.id, action="create"
    )
    assert any("late circuit link" in (change.message or "") for change in changes)
    again = run_cli(config, "relink", "--format", "json")
    assert again.json_lines()[-1]["summary"] == {"awaiting": 0, "linked": 0, "over": 0, "failed": 0}


def test_each_poll_links_what_netbox_has_now(netbox_api, stack, half_known, tmp_path):
    config, slug, cids, event = half_known
    add_circuits(netbox_api, slug, cids[1:])
    daemon = write_config(tmp_path / "daemon.toml", stack, mailbox_user="noc")  # an empty mailbox
    run = run_cli(daemon, "run", "--once")
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert impacted_cids(netbox_api, event) == set(cids)
    assert "circuits_linked_late" in run.stderr
