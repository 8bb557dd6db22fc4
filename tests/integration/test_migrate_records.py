"""`notices-ingestor migrate-records` on the real NetBox: the email records of versions before 0.5, kept in
three custom fields of each EventNotification, move into journal entries, and the fields can go.

Set-up: a Zayo lifecycle (3 emails of one maintenance) is replayed; then NetBox is made to look as 0.4
left it — the three custom fields exist, each notification holds its record in them, and no journal entry
does. What must hold:
- before the migration the records are still read (a replay of the same emails writes nothing);
- the migration writes every record into a journal entry (same Message-ID, digest and notices), deletes
  the custom fields with --delete-fields, and a second run has nothing to do;
- after it, the same emails are still duplicates: nothing written, the event unchanged.
"""

from __future__ import annotations

import pytest

from .helpers import (
    MAINTENANCE_CORPUS,
    corpus_manifest,
    maintenance_circuits,
    object_counts,
    prepare_netbox,
    recorded_emails,
    run_cli,
)

LEGACY_FIELDS = {
    "ingestor_message_id": "text",
    "ingestor_email_digest": "text",
    "ingestor_notices": "json",
}
EVENT = ("zayo", "TTN-0001234567")


def lifecycle() -> list[dict]:
    entries = [
        entry
        for entry in corpus_manifest(MAINTENANCE_CORPUS)
        if entry["outcome"] == "ok"
        and (entry["provider"], (entry.get("maintenances") or [{}])[0].get("maintenance_id")) == EVENT
    ]
    assert len(entries) >= 3, "the corpus has a Zayo lifecycle of 3 emails or more"
    return entries


def outcomes(run) -> list[str]:
    return [line["outcome"] for line in run.json_lines() if "outcome" in line]


@pytest.fixture
def legacy_fields(netbox_api):
    """The custom fields of 0.4 (deleted again at the end, whatever the test did)."""
    created = [
        netbox_api.extras.custom_fields.create(
            name=name, type=kind, object_types=["notices.eventnotification"], ui_editable="no"
        )
        for name, kind in LEGACY_FIELDS.items()
    ]
    yield created
    for name in LEGACY_FIELDS:
        left = netbox_api.extras.custom_fields.get(name=name)
        if left is not None:
            left.delete()


def as_version_0_4_left_it(nb, notification_ids: list[int]) -> dict[int, dict]:
    """Each notification's record into its custom fields, the journal entries gone; returns the records."""
    records = recorded_emails(nb, notification_ids)
    assert sorted(records) == sorted(notification_ids)
    nb.plugins.notices.eventnotification.update(
        [
            {
                "id": nid,
                "custom_fields": {
                    "ingestor_message_id": record["message_id"],
                    "ingestor_email_digest": record["email_digest"],
                    "ingestor_notices": record["notices"],
                },
            }
            for nid, record in records.items()
        ]
    )
    for entry in nb.extras.journal_entries.filter(
        assigned_object_type="notices.eventnotification", assigned_object_id=notification_ids
    ):
        entry.delete()
    assert recorded_emails(nb, notification_ids) == {}
    return records


def test_records_of_an_earlier_version_move_into_journal_entries(netbox_api, stack, tmp_path, legacy_fields):
    entries = lifecycle()
    files = [str(MAINTENANCE_CORPUS / entry["file"]) for entry in entries]
    config = prepare_netbox(netbox_api, stack, tmp_path, maintenance_circuits(entries))
    first = run_cli(config, "replay", "--format", "json", *files)
    assert first.returncode == 0 and set(outcomes(first)) == {"ingested"}, first.stdout[-3000:]
    event = netbox_api.plugins.notices.maintenance.get(name=EVENT[1])
    ids = sorted(n.id for n in netbox_api.plugins.notices.eventnotification.filter(event_object_id=event.id))
    assert len(ids) == len(files)
    records = as_version_0_4_left_it(netbox_api, ids)

    # still read from the custom fields
    counts = object_counts(netbox_api)
    again = run_cli(config, "replay", "--format", "json", *files)
    assert set(outcomes(again)) == {"duplicate"}, again.stdout[-3000:]
    assert object_counts(netbox_api) == counts

    migrated = run_cli(config, "migrate-records", "--delete-fields")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr[-3000:]
    assert f"{len(ids)} notifications hold a record; {len(ids)} moved" in migrated.stdout, migrated.stdout
    assert all(netbox_api.extras.custom_fields.get(name=name) is None for name in LEGACY_FIELDS)
    moved = recorded_emails(netbox_api, ids)
    assert moved == records  # message_id, email_digest and notices, each on its own notification

    twice = run_cli(config, "migrate-records", "--delete-fields")
    assert twice.returncode == 0 and "nothing to migrate" in twice.stdout, twice.stdout

    counts = object_counts(netbox_api)
    last = run_cli(config, "replay", "--format", "json", *files)
    assert set(outcomes(last)) == {"duplicate"}, last.stdout[-3000:]
    assert object_counts(netbox_api) == counts
    assert netbox_api.plugins.notices.maintenance.get(event.id).status == event.status
