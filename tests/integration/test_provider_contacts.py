"""Issue 17, items 5 and 6 on the real NetBox: the provider of an email found through the contacts an admin
assigned to it, and a provider's email nothing understood failed for a human, not ignored.

The case of the issue: circuit-maintenance-parser names exainfra.net's notices "gtt" (the company that
used to own that network); NetBox knows the carrier as "EXA Infrastructure" (slug exa-infrastructure),
whose NOC contact has an address at exainfra.net.
"""

from __future__ import annotations

import json

import pytest

from tests.stack import reset_stack

from .helpers import MAINTENANCE_CORPUS, corpus_manifest, prepare_netbox, run_cli

pytestmark = pytest.mark.integration

GTT_EMAIL = "emails/gtt/gtt6.eml"


def contact_on_provider(nb, provider, email: str, name: str):
    """What an admin does in NetBox: a contact, assigned to the provider in a role (NetBox 4.7 wants one)."""
    role = nb.tenancy.contact_roles.get(slug="noc") or nb.tenancy.contact_roles.create(name="NOC", slug="noc")
    contact = nb.tenancy.contacts.create(name=name, email=email)
    nb.tenancy.contact_assignments.create(
        object_type="circuits.provider", object_id=provider.id, contact=contact.id, role=role.id
    )
    return contact


def replay(config, *paths) -> list[dict]:
    run = run_cli(config, "replay", "--format", "json", *map(str, paths))
    return [line for line in run.json_lines() if "summary" not in line]


@pytest.fixture
def exa(netbox_api, stack, tmp_path):
    reset_stack()
    entry = next(e for e in corpus_manifest(MAINTENANCE_CORPUS) if e["file"] == GTT_EMAIL)
    config = prepare_netbox(netbox_api, stack, tmp_path, {})
    provider = netbox_api.circuits.providers.create(name="EXA Infrastructure", slug="exa-infrastructure")
    circuit_type = netbox_api.circuits.circuit_types.get(slug="transit")
    for circuit in entry["maintenances"][0]["circuits"]:
        netbox_api.circuits.circuits.create(
            cid=circuit["circuit_id"], provider=provider.id, type=circuit_type.id
        )
    netbox_api.circuits.providers.create(name="Zayo", slug="zayo")  # a provider without contacts
    contact_on_provider(netbox_api, provider, "Change.Management@exainfra.net", "EXA change management")
    return config, provider, entry


def test_an_email_whose_parser_provider_has_no_slug_goes_to_the_provider_with_a_contact_at_its_domain(
    netbox_api, exa
):
    config, provider, entry = exa
    [report] = replay(config, MAINTENANCE_CORPUS / GTT_EMAIL)
    assert report["outcome"] == "ingested", report
    [event] = report["events"]
    assert event["provider"] == "exa-infrastructure"
    [maintenance] = netbox_api.plugins.notices.maintenance.filter(
        name=entry["maintenances"][0]["maintenance_id"]
    )
    assert maintenance.provider.id == provider.id
    impacts = netbox_api.plugins.notices.impact.filter(
        event_content_type="notices.maintenance", event_object_id=maintenance.id
    )
    cids = {netbox_api.circuits.circuits.get(impact.target_object_id).cid for impact in impacts}
    assert cids == {c["circuit_id"] for c in entry["maintenances"][0]["circuits"]}


def test_without_the_contact_the_email_fails_saying_how_to_fix_it(netbox_api, exa):
    config, _provider, _entry = exa
    for assignment in netbox_api.tenancy.contact_assignments.all():
        assignment.delete()
    [report] = replay(config, MAINTENANCE_CORPUS / GTT_EMAIL)
    assert report["outcome"] == "failed"
    assert "no NetBox provider with slug 'gtt'" in report["reason"]
    assert "add its NOC contact to the provider in NetBox" in report["reason"]


def newsletter(tmp_path, sender: str):
    path = tmp_path / f"news-{sender}.eml"
    path.write_text(
        f"From: News <{sender}>\nTo: noc@example.net\nSubject: Our December newsletter\n"
        f"Date: Wed, 09 Dec 2026 08:00:00 +0000\nMessage-ID: <news@{sender.split('@')[1]}>\n"
        "Content-Type: text/plain; charset=utf-8\n\nNew data centres, a webinar, our team.\n"
    )
    return path


def test_a_newsletter_from_a_domain_only_netbox_knows_is_failed_unless_configured(netbox_api, exa, tmp_path):
    config, _provider, _entry = exa
    nwf = netbox_api.circuits.providers.create(name="Northwind", slug="nwf")
    contact_on_provider(netbox_api, nwf, "noc@northwind-fiber.example", "Northwind NOC")
    mail = newsletter(tmp_path, "news@northwind-fiber.example")
    stranger = newsletter(tmp_path, "hello@example.org")
    reports = replay(config, mail, stranger)
    assert [(r["outcome"], r["provider"]) for r in reports] == [("failed", "nwf"), ("ignored", None)]
    assert reports[0]["reason"].startswith("from provider nwf but not understood: no parser recognised")

    config.write_text(
        config.read_text() + '\n[providers.nwf]\nignore_senders = ["news@northwind-fiber.example"]\n'
    )
    [report] = replay(config, mail)
    assert (report["outcome"], report["provider"]) == ("ignored", "nwf")
    assert "[providers.nwf] ignore_senders" in report["reason"]


def test_check_lists_how_each_configured_and_seen_sender_resolves(netbox_api, exa):
    config, _provider, _entry = exa
    assert replay(config, MAINTENANCE_CORPUS / GTT_EMAIL)[0]["outcome"] == "ingested"  # a sender seen
    config.write_text(
        config.read_text() + '\n[providers.zayo]\nsenders = ["zayo-alerts.example"]\n'
        '[providers.nobody]\nsenders = ["noc@nobody.example"]\n'
    )
    run = run_cli(config, "check")
    lines = [line for line in run.stdout.splitlines() if line.startswith("netbox: sender ")]
    assert lines == [
        "netbox: sender infraco.cm@exainfra.net (parser provider gtt): NetBox provider exa-infrastructure, "
        "by contact Change.Management@exainfra.net",
        "netbox: sender noc@nobody.example (parser provider nobody): no NetBox provider: its email would "
        "fail; add the provider's NOC contact (an address at this domain) to the provider in NetBox, or map "
        "it with [providers.<name>] netbox_provider",
        "netbox: sender zayo-alerts.example (parser provider zayo): NetBox provider zayo, by slug of parser "
        "provider 'zayo'",
    ], run.stdout + run.stderr[-3000:]
    assert json.dumps(lines)  # printable as they are
