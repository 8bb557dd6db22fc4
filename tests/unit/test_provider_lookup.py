"""Issue 17, item 6: a parser provider name with no NetBox provider is looked up by the sender's domain —
the provider's contacts first, then its slug or name — in the in-memory NetBox (the real one:
tests/integration/test_provider_contacts.py)."""

from __future__ import annotations

import pytest

from ingestor.config import NetBoxConfig
from ingestor.netbox.catalog import Catalog
from ingestor.netbox.providers import by_label, same_organisation
from ingestor.netbox.sink import NetBoxSink, SinkEmail
from ingestor.outcome import Outcome

from .memory_netbox import MemoryGateway, MemoryNetBox
from .test_netbox_faults import request_error
from .test_netbox_sink import email, notice


@pytest.fixture
def db() -> MemoryNetBox:
    db = MemoryNetBox()
    exa = db.insert("circuits.providers", {"name": "EXA Infrastructure", "slug": "exa-infrastructure"})
    db.insert("circuits.circuits", {"cid": "ACME-1", "provider": exa["id"]})
    db.insert("circuits.providers", {"name": "Zayo", "slug": "zayo"})
    db.assign_contact(exa["id"], "Change.Management@exainfra.net")
    return db


def gtt_mail(n: int = 1, sender: str = "InfraCo.CM@exainfra.net", provider: str = "gtt") -> SinkEmail:
    """An email the library parsed as provider 'gtt' (its name for the sender's former owner)."""
    meta = email(n).model_copy(update={"sender": sender})
    return SinkEmail(n, meta, [notice("CONFIRMED", n).model_copy(update={"provider": provider})])


def provider_of(db: MemoryNetBox, results, key: int = 1) -> str:
    [event] = results[key].events.values()
    return event.provider


def test_a_provider_whose_contact_has_an_address_at_the_senders_domain_takes_the_email(db):
    results = NetBoxSink(Catalog(MemoryGateway(db)), lambda p: p).write([gtt_mail()])
    assert results[1].outcome is Outcome.INGESTED
    assert provider_of(db, results) == "exa-infrastructure"
    [row] = db.rows("maintenance")
    assert row["provider"] == db.rows("circuits.providers")[0]["id"]
    reads = [r for r in db.requests if r[1] == "GET" and r[0].startswith(("circuits.providers", "tenancy"))]
    # slug 'gtt' (none), the contacts at exainfra.net, their provider assignments; no provider listing
    assert reads == [
        ("circuits.providers", "GET"),
        ("tenancy.contacts", "GET"),
        ("tenancy.contact_assignments", "GET"),
    ]


def test_the_lookup_is_cached_for_the_poll_and_asked_again_after_refresh(db):
    catalog = Catalog(MemoryGateway(db))
    sink = NetBoxSink(catalog, lambda p: p)
    sink.write([gtt_mail(1)])
    sink.write([gtt_mail(2)])
    assert db.count("tenancy.contacts", "GET") == 1
    catalog.refresh()
    sink.write([gtt_mail(3)])
    assert db.count("tenancy.contacts", "GET") == 2


def test_a_known_slug_needs_no_lookup(db):
    NetBoxSink(Catalog(MemoryGateway(db)), lambda p: p).write([gtt_mail(provider="zayo")])
    assert db.count("tenancy.contacts", "GET") == 0


def test_a_subdomain_on_either_side_is_the_same_organisation():
    assert same_organisation("noc@zayo.com", "ops.zayo.com")
    assert same_organisation("noc@eu.zayo.com", "zayo.com")
    assert not same_organisation("noc@notzayo.com", "zayo.com")
    assert not same_organisation("noc", "zayo.com")


def test_then_a_provider_whose_slug_or_name_is_the_domains_label(db):
    db.insert("circuits.providers", {"name": "Crown Castle", "slug": "cc-fiber"})
    results = NetBoxSink(Catalog(MemoryGateway(db)), lambda p: p).write(
        [gtt_mail(1, "fiberChangemgmt@crowncastle.com", provider="crown-castle-fiber")]
    )
    assert provider_of(db, results) == "cc-fiber"  # by name: "Crown Castle" is crowncastle
    providers = [{"id": 1, "slug": "zayo", "name": "Zayo Group"}, {"id": 2, "slug": "x", "name": "Zayo"}]
    assert by_label("mr.zayo.com", providers).id == 1  # the slug before the name
    assert by_label("lumen.com", providers) is None


def test_two_providers_with_contacts_at_the_domain_are_no_answer(db):
    zayo = db.rows("circuits.providers")[1]
    db.assign_contact(zayo["id"], "noc@exainfra.net")
    results = NetBoxSink(Catalog(MemoryGateway(db)), lambda p: p).write([gtt_mail()])
    assert results[1].outcome is Outcome.FAILED
    assert "nor one for the sender's domain exainfra.net" in results[1].reason
    assert "add its NOC contact to the provider in NetBox" in results[1].reason


def test_contacts_the_token_may_not_read_lose_that_rule_only(db):
    db.refuse("tenancy.contacts", "GET", lambda _filters: request_error(403, {"detail": "no permission"}))
    db.insert("circuits.providers", {"name": "ExaInfra", "slug": "exainfra"})
    results = NetBoxSink(Catalog(MemoryGateway(db)), lambda p: p).write([gtt_mail()])
    assert provider_of(db, results) == "exainfra"  # by slug = the domain's label


def test_create_missing_providers_creates_none_that_netbox_knows_by_domain(db):
    gateway = MemoryGateway(db)
    gateway.config = NetBoxConfig(
        **{**gateway.config.model_dump(), "token": "t", "create_missing_providers": True}
    )
    results = NetBoxSink(Catalog(gateway), lambda p: p).write(
        [gtt_mail(), gtt_mail(2, "noc@newcarrier.example", "newcarrier")]
    )
    assert provider_of(db, results, 1) == "exa-infrastructure"
    assert provider_of(db, results, 2) == "newcarrier"
    assert sorted(row["slug"] for row in db.rows("circuits.providers")) == [
        "exa-infrastructure",
        "newcarrier",
        "zayo",
    ]


def test_check_says_how_each_sender_resolves_by_the_sinks_rules(db):
    from ingestor.netbox.setup import sender_lines

    gateway = MemoryGateway(db)
    gateway.config = NetBoxConfig(
        **{**gateway.config.model_dump(), "token": "t", "create_missing_providers": True}
    )
    senders = {"infraco.cm@exainfra.net": "gtt", "mr@zayo.com": "zayo", "noc@nobody.example": "nobody"}
    lines = sender_lines(gateway, senders, lambda name: name)
    assert lines[0] == (
        "sender infraco.cm@exainfra.net (parser provider gtt): NetBox provider exa-infrastructure, "
        "by contact Change.Management@exainfra.net"
    )
    assert lines[1].startswith("sender mr@zayo.com (parser provider zayo): NetBox provider zayo, by slug")
    assert lines[2].startswith("sender noc@nobody.example (parser provider nobody): no NetBox provider: ")
    assert [row["slug"] for row in db.rows("circuits.providers")] == [
        "exa-infrastructure",
        "zayo",
    ]  # none made
