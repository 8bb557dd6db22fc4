"""The whole shared maintenance corpus through the real daemon into the real NetBox, three ways:
replay in manifest order, replay again (nothing new), replay in reverse order into a fresh NetBox (same
state); and through Dovecot with `run --once` (dispositions)."""

from __future__ import annotations

import re

import pytest

from tests.stack import reset_stack

from .helpers import (
    MAINTENANCE_CORPUS,
    corpus_manifest,
    expected_maintenances,
    maintenance_circuits,
    netbox_event_state,
    object_counts,
    prepare_netbox,
    recorded_message_ids,
    run_cli,
)

pytestmark = pytest.mark.integration
RECEIVED = re.compile(r"notices-ingestor \(writer [0-9a-f]{12}\): email <")


@pytest.fixture(scope="module")
def manifest():
    return corpus_manifest(MAINTENANCE_CORPUS)


def corpus_files(manifest, reverse=False) -> list[str]:
    files = [str(MAINTENANCE_CORPUS / entry["file"]) for entry in manifest]
    return files[::-1] if reverse else files


def prepare(nb, stack, tmp_path, manifest, mailbox_user=None):
    return prepare_netbox(nb, stack, tmp_path, maintenance_circuits(manifest), mailbox_user)


def assert_netbox_matches(nb, manifest):
    expected = expected_maintenances(manifest)
    assert len(expected) > 40
    mismatches = []
    for (slug, name), event in expected.items():
        state = netbox_event_state(nb, "maintenance", slug, name)
        if state is None:
            mismatches.append(f"{slug}/{name}: missing")
            continue
        want = {
            "status": event.status,
            "start": event.start,
            "end": event.end,
            "circuits": event.circuits,
            "message_ids": event.message_ids,
        }
        got = {key: state[key] for key in want}
        if got != want:
            mismatches.append(f"{slug}/{name}: want {want}, got {got}")
    assert not mismatches, "\n".join(mismatches)
    assert nb.plugins.notices.maintenance.count() == len(expected)
    return expected


def assert_outcomes(results: list[dict], manifest) -> None:
    by_file = {r["source"]: r for r in results}
    for entry in manifest:
        result = by_file[str(MAINTENANCE_CORPUS / entry["file"])]
        if entry["outcome"] == "ok":
            assert result["outcome"] == "ingested", (entry["file"], result)
            names = {e["name"] for e in result["events"]}
            assert names == {m["maintenance_id"] for m in entry["maintenances"]}, entry["file"]
        else:
            assert result["outcome"] == "failed", (entry["file"], result)
            assert result["reason"], entry["file"]


def test_replay_corpus_then_again_then_reversed(netbox_api, stack, tmp_path, manifest):
    nb = netbox_api
    config = prepare(nb, stack, tmp_path, manifest)

    run = run_cli(config, "replay", "--format", "json", *corpus_files(manifest))
    assert run.returncode == 1, run.stderr[-3000:]  # the corpus has emails that must fail
    *results, summary = run.json_lines()
    assert len(results) == len(manifest)
    assert_outcomes(results, manifest)
    errors = sum(1 for e in manifest if e["outcome"] == "error")
    assert summary["summary"]["failed"] == errors
    assert summary["summary"]["ingested"] == len(manifest) - errors
    expected = assert_netbox_matches(nb, manifest)

    # Failed emails left nothing in NetBox.
    failed_ids = {e["message_id"] for e in manifest if e["outcome"] == "error"}
    notifications = [n.id for n in nb.plugins.notices.eventnotification.all()]
    stored = set(recorded_message_ids(nb, notifications).values())
    assert not failed_ids & stored

    # The changelog of each event shows one notification per email that named it.
    for (slug, name), event in list(expected.items())[:10]:
        state = netbox_event_state(nb, "maintenance", slug, name)
        changes = list(
            nb.core.object_changes.filter(
                related_object_type="notices.maintenance",
                related_object_id=state["id"],
                changed_object_type="notices.eventnotification",
                action="create",
            )
        )
        assert len(changes) == len(event.message_ids), (slug, name)
        # each names its email, after the writer's mark (a lost answer's look-up finds its own by it)
        assert all(RECEIVED.match(c.message or "") for c in changes), [c.message for c in changes]

    # Objects the daemon created carry its tag.
    assert nb.plugins.notices.maintenance.count(tag="notices-ingestor") == len(expected)

    # Same input again: nothing new.
    before = object_counts(nb)
    again = run_cli(config, "replay", "--format", "json", *corpus_files(manifest))
    *results, summary = again.json_lines()
    assert summary["summary"]["duplicate"] == len(manifest) - errors
    assert summary["summary"]["ingested"] == 0
    assert object_counts(nb) == before

    # Reverse order into a fresh NetBox: the same final state.
    reset_stack()
    config = prepare(nb, stack, tmp_path, manifest)
    reverse = run_cli(config, "replay", "--format", "json", *corpus_files(manifest, reverse=True))
    *results, _summary = reverse.json_lines()
    assert_outcomes(results, manifest)
    assert_netbox_matches(nb, manifest)


def test_dry_run_writes_nothing(netbox_api, stack, tmp_path, manifest):
    reset_stack()
    nb = netbox_api
    config = prepare(nb, stack, tmp_path, manifest)
    before = object_counts(nb)
    run = run_cli(config, "replay", "--dry-run", "--format", "json", *corpus_files(manifest)[:20])
    *results, summary = run.json_lines()
    assert summary["summary"]["dry_run"] is True
    assert any(r["outcome"] == "ingested" and r["events"] for r in results)
    assert object_counts(nb) == before


def test_imap_run_once_ingests_corpus_and_disposes(
    netbox_api, stack, tmp_path, manifest, imap_append, imap_client
):
    reset_stack()
    nb = netbox_api
    config = prepare(nb, stack, tmp_path, manifest, mailbox_user="ops")
    for entry in manifest:
        imap_append("ops", "INBOX", (MAINTENANCE_CORPUS / entry["file"]).read_bytes())

    run = run_cli(config, "run", "--once")
    assert run.returncode == 1, run.stderr[-3000:]  # the corpus's error emails fail
    assert_netbox_matches(nb, manifest)

    client = imap_client("ops")
    counts = {
        f: client.folder_status(f, [b"MESSAGES"])[b"MESSAGES"] for f in ("INBOX", "Processed", "Failed")
    }
    errors = sum(1 for e in manifest if e["outcome"] == "error")
    assert counts == {"INBOX": 0, "Processed": len(manifest) - errors, "Failed": errors}

    # The failed emails are the corpus's error emails, each logged with its reason and Message-ID.
    client.select_folder("Failed", readonly=True)
    uids = client.search("ALL")
    failed_ids = {
        data[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().split(":", 1)[1].strip()
        for data in client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]).values()
    }
    assert failed_ids == {e["message_id"] for e in manifest if e["outcome"] == "error"}
    for message_id in failed_ids:
        assert message_id in run.stderr

    # A second poll finds nothing new and changes nothing.
    before = object_counts(nb)
    second = run_cli(config, "run", "--once")
    assert second.returncode == 0, second.stderr[-3000:]
    assert object_counts(nb) == before
