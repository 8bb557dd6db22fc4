"""Late circuit links (ingestor/netbox/relink.py) on the in-memory NetBox: a circuit an email named before
NetBox had it gets its impact at the next relink; an event that awaits circuits carries the
unmatched-circuits tag (and loses it when it has them all, or is over); with nothing tagged a relink is
one request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ingestor.netbox.catalog import UNMATCHED_TAG, Catalog
from ingestor.netbox.relink import relink
from ingestor.netbox.rows import EventKey
from ingestor.outcome import Outcome
from parsers.models import Notice

from .memory_netbox import MemoryGateway
from .test_netbox_sink import WINDOW, event, mail, notice, outcomes, provider_id, sink
from .test_netbox_sink import db as _db

db = _db  # the fixture
BEFORE = WINDOW - timedelta(days=1)  # "now" while the window is still ahead
TWO_CIRCUITS = [{"circuit_id": "ACME-1", "impact": "OUTAGE"}, {"circuit_id": "ACME-2", "impact": "DEGRADED"}]


def two(status: str, hour: int) -> Notice:
    """A notice of MW-1 naming ACME-1 (in NetBox) and ACME-2 (not, at first)."""
    return Notice.model_validate({**notice(status, hour).model_dump(), "circuits": TWO_CIRCUITS})


def unmatched_tag(db) -> int | None:
    found = [row["id"] for row in db.rows("extras.tags") if row["slug"] == UNMATCHED_TAG]
    return found[0] if found else None


def impacted(db) -> set[int]:
    return {row["target_object_id"] for row in db.rows("impact")}


def ingest_naming_an_unknown_circuit(db) -> None:
    results = sink(db).write([mail(1, two("CONFIRMED", 1))])
    assert outcomes(results) == {1: Outcome.INGESTED}


def test_an_event_naming_a_circuit_netbox_lacks_carries_the_unmatched_tag(db):
    ingest_naming_an_unknown_circuit(db)
    assert unmatched_tag(db) in event(db)["tags"]
    assert len(impacted(db)) == 1


def test_a_circuit_added_later_gets_its_impact_and_the_tag_goes(db):
    ingest_naming_an_unknown_circuit(db)
    admin_tag = db.insert("extras.tags", {"slug": "noc-watch"})["id"]
    db.tables["maintenance"][0]["tags"] = sorted([*event(db)["tags"], admin_tag])  # an admin's tag stays
    added = db.insert("circuits.circuits", {"cid": "ACME-2", "provider": provider_id(db)})
    result = relink(Catalog(MemoryGateway(db)), BEFORE)
    assert result.linked == {EventKey("maintenance", provider_id(db), "MW-1"): ["ACME-2"]}
    assert added["id"] in impacted(db) and len(impacted(db)) == 2
    assert unmatched_tag(db) not in event(db)["tags"] and admin_tag in event(db)["tags"]
    assert "Not found in NetBox" not in event(db)["impact"]


def test_with_nothing_awaiting_a_relink_is_one_request_and_writes_nothing(db):
    assert outcomes(sink(db).write([mail(1, notice("CONFIRMED", 1))])) == {1: Outcome.INGESTED}
    before = len(db.requests)
    assert relink(Catalog(MemoryGateway(db)), BEFORE).looked_at == 0
    assert db.requests[before:] == [("extras.tagged_objects", "GET")]


def test_a_circuit_still_unknown_is_looked_at_again_without_a_write(db):
    ingest_naming_an_unknown_circuit(db)
    writes = len(db.writes())
    result = relink(Catalog(MemoryGateway(db)), BEFORE)
    assert (result.looked_at, result.linked) == (1, {})
    assert len(db.writes()) == writes
    assert unmatched_tag(db) in event(db)["tags"]


def test_a_maintenance_whose_window_has_ended_only_loses_the_tag(db):
    ingest_naming_an_unknown_circuit(db)
    db.insert("circuits.circuits", {"cid": "ACME-2", "provider": provider_id(db)})
    result = relink(Catalog(MemoryGateway(db)), WINDOW + timedelta(days=2))
    assert result.over and not result.linked
    assert len(impacted(db)) == 1 and unmatched_tag(db) not in event(db)["tags"]


def test_a_later_email_that_links_the_circuit_takes_the_tag_off_too(db):
    ingest_naming_an_unknown_circuit(db)
    db.insert("circuits.circuits", {"cid": "ACME-2", "provider": provider_id(db)})
    later = two("IN-PROCESS", 2)
    assert outcomes(sink(db).write([mail(2, later)])) == {2: Outcome.INGESTED}
    assert len(impacted(db)) == 2 and unmatched_tag(db) not in event(db)["tags"]


def test_a_closing_email_takes_the_tag_off_an_event_that_still_lacks_a_circuit(db):
    ingest_naming_an_unknown_circuit(db)
    done = two("COMPLETED", 3)
    assert outcomes(sink(db).write([mail(2, done)])) == {2: Outcome.INGESTED}
    assert unmatched_tag(db) not in event(db)["tags"]
    assert relink(Catalog(MemoryGateway(db)), datetime.now(UTC)).looked_at == 0


def test_updating_an_event_that_awaits_nothing_reads_no_tags(db):
    """Whether an event carries the unmatched-circuits tag is read with the event itself (its nested
    tags): an update that leaves the tag as it is asks NetBox nothing more."""
    assert outcomes(sink(db).write([mail(1, notice("CONFIRMED", 1))])) == {1: Outcome.INGESTED}
    before = len(db.requests)
    assert outcomes(sink(db).write([mail(2, notice("IN-PROCESS", 2))])) == {2: Outcome.INGESTED}
    assert ("extras.tags", "GET") not in db.requests[before:]
