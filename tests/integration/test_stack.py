"""The real stack works end to end: NetBox + notices plugin through pynetbox, Dovecot over TLS."""

from __future__ import annotations

import ssl
import uuid
from email.message import EmailMessage

import pynetbox
import pytest

from tests.stack import reset_stack

pytestmark = pytest.mark.integration


def choice(value):
    """A NetBox choice field as its value, whether pynetbox gives a record, a dict or a plain string."""
    if isinstance(value, dict):
        return value.get("value")
    return getattr(value, "value", value)


def object_type_id(netbox_api, app_label: str, model: str) -> int:
    found = list(netbox_api.core.object_types.filter(app_label=app_label, model=model))
    assert len(found) == 1, f"object type {app_label}.{model}: {found}"
    return found[0].id


@pytest.fixture(scope="module")
def circuit(netbox_api):
    provider = netbox_api.circuits.providers.create(name="Acme Transit", slug="acme-transit")
    ctype = netbox_api.circuits.circuit_types.create(name="Internet", slug="internet")
    return netbox_api.circuits.circuits.create(cid="ACME-0001", provider=provider.id, type=ctype.id)


def test_netbox_status_shows_plugin(netbox_api):
    status = netbox_api.status()
    assert status["netbox-version"].startswith("4.7.3")
    assert status["plugins"].get("notices") == "1.3.0"


def test_maintenance_impact_notification_and_changelog(netbox_api, circuit):
    notices = netbox_api.plugins.notices
    maintenance_type = object_type_id(netbox_api, "notices", "maintenance")
    circuit_type = object_type_id(netbox_api, "circuits", "circuit")
    assert maintenance_type != circuit_type

    maintenance = notices.maintenance.create(
        name="ACME-MAINT-42",
        summary="Fibre splice on the Frankfurt ring",
        status="CONFIRMED",
        provider=circuit.provider.id,
        start="2026-12-01T02:00:00Z",
        end="2026-12-01T06:00:00Z",
        changelog_message="ingested ACME-MAINT-42",
    )
    impact = notices.impact.create(
        event_content_type=maintenance_type,
        event_object_id=maintenance.id,
        target_content_type=circuit_type,
        target_object_id=circuit.id,
        impact="OUTAGE",
    )
    message = "notices-ingestor: message <abc@acme.example> from noc/INBOX"
    notification = notices.eventnotification.create(
        event_content_type=maintenance_type,
        event_object_id=maintenance.id,
        subject="[ACME] Planned maintenance ACME-MAINT-42",
        email_from="noc@acme.example",
        email_body="Dear customer,\nwe will splice fibre.\n",
        email_received="2026-11-25T10:00:00Z",
        changelog_message=message,
    )

    fetched = notices.maintenance.get(maintenance.id)
    assert choice(fetched.status) == "CONFIRMED"
    assert fetched.name == "ACME-MAINT-42"
    assert [i.id for i in notices.impact.filter(event_object_id=maintenance.id)] == [impact.id]

    changes = list(
        netbox_api.core.object_changes.filter(
            related_object_type="notices.maintenance", related_object_id=maintenance.id
        )
    )
    by_object = {(c.changed_object_type, c.changed_object_id): c for c in changes}
    note_change = by_object.get(("notices.eventnotification", notification.id))
    assert note_change is not None, f"no changelog entry for the notification in {list(by_object)}"
    assert note_change.message == message
    assert choice(note_change.action) == "create"
    assert ("notices.impact", impact.id) in by_object

    own = list(
        netbox_api.core.object_changes.filter(
            changed_object_type="notices.maintenance", changed_object_id=maintenance.id
        )
    )
    assert [c.message for c in own] == ["ingested ACME-MAINT-42"]


def test_impact_target_must_be_an_allowed_content_type(netbox_api, circuit):
    """PLUGINS_CONFIG reached the plugin: a target type outside allowed_content_types is refused."""
    maintenance = netbox_api.plugins.notices.maintenance.create(
        name="ACME-MAINT-43",
        summary="not allowed target",
        status="TENTATIVE",
        provider=circuit.provider.id,
        start="2026-12-02T02:00:00Z",
        end="2026-12-02T03:00:00Z",
    )
    with pytest.raises(pynetbox.RequestError) as err:
        netbox_api.plugins.notices.impact.create(
            event_content_type=object_type_id(netbox_api, "notices", "maintenance"),
            event_object_id=maintenance.id,
            target_content_type=object_type_id(netbox_api, "circuits", "provider"),
            target_object_id=circuit.provider.id,
            impact="DEGRADED",
        )
    assert err.value.req.status_code == 400


def make_message(subject: str) -> tuple[bytes, str]:
    msg = EmailMessage()
    msg_id = f"<{uuid.uuid4().hex}@acme.example>"
    msg["From"] = "ACME NOC <noc@acme.example>"
    msg["To"] = "noc@example.net"
    msg["Subject"] = subject
    msg["Message-ID"] = msg_id
    msg["Date"] = "Tue, 25 Nov 2026 10:00:00 +0000"
    msg.set_content("Planned maintenance ACME-MAINT-42.\n")
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")), msg_id


def fetch_by_message_id(client, folder: str, msg_id: str) -> tuple[int, dict]:
    client.select_folder(folder, readonly=True)
    uids = client.search(["HEADER", "Message-ID", msg_id])
    assert len(uids) == 1, f"{msg_id} in {folder}: {uids}"
    data = client.fetch(uids, ["RFC822", "FLAGS"])[uids[0]]
    return uids[0], data


def test_imap_append_and_fetch_over_starttls_and_imaps(stack, imap_client, imap_append):
    raw, msg_id = make_message("[ACME] Planned maintenance ACME-MAINT-42")
    uid = imap_append("noc", "Providers/ACME", raw, flags=(b"$Ingested",))
    assert uid is not None

    starttls = imap_client("noc")
    assert isinstance(starttls.socket(), ssl.SSLSocket), "STARTTLS did not switch the socket to TLS"
    assert b"IDLE" in starttls.capabilities()
    got_uid, data = fetch_by_message_id(starttls, "Providers/ACME", msg_id)
    assert got_uid == uid
    assert data[b"RFC822"] == raw
    assert b"$Ingested" in data[b"FLAGS"]

    imaps = imap_client("noc", implicit_tls=True)
    assert isinstance(imaps.socket(), ssl.SSLSocket)
    assert fetch_by_message_id(imaps, "Providers/ACME", msg_id)[1][b"RFC822"] == raw

    ops = imap_client("ops")
    ops.select_folder("INBOX", readonly=True)
    assert ops.search(["HEADER", "Message-ID", msg_id]) == []
    assert not ops.folder_exists("Providers/ACME")


def test_imap_certificate_is_verified(stack):
    """Without the test CA the server certificate is refused: the TLS checks above mean something."""
    from imapclient import IMAPClient

    with pytest.raises(ssl.SSLCertVerificationError):
        IMAPClient(
            stack.imap_host,
            port=stack.imaps_port,
            ssl=True,
            ssl_context=ssl.create_default_context(),
            timeout=10,
        )


def test_reset_restores_clean_netbox_and_mailboxes(stack, netbox_api, imap_client, imap_append):
    netbox_api.circuits.providers.create(name="Doomed", slug="doomed")
    raw, msg_id = make_message("to be deleted")
    imap_append("noc", "INBOX", raw)

    reset_stack()

    assert list(netbox_api.circuits.providers.all()) == []
    assert netbox_api.status()["plugins"].get("notices") == "1.3.0"  # token survives the reset
    client = imap_client("noc")
    client.select_folder("INBOX", readonly=True)
    assert client.search(["ALL"]) == []
