"""Outage lifecycles from the shared corpus, step by step, into the real NetBox: through replay and
through Dovecot + `run --once`, then in reverse order; the changelog shows every status and ETR change."""

from __future__ import annotations

from itertools import groupby

import pytest

from tests.stack import reset_stack

from .helpers import (
    OUTAGE_CORPUS,
    corpus_manifest,
    epoch,
    netbox_event_state,
    outage_circuits,
    outage_expected,
    outage_got,
    prepare_netbox,
    run_cli,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def manifest():
    return corpus_manifest(OUTAGE_CORPUS)


def lifecycles(manifest) -> list[list[dict]]:
    return [list(steps) for _, steps in groupby(manifest, key=lambda e: (e["provider"], e["event_id"]))]


def prepare(nb, stack, tmp_path, manifest, mailbox_user=None):
    return prepare_netbox(nb, stack, tmp_path, outage_circuits(manifest), mailbox_user)


def assert_step(nb, entry, emails_so_far: int) -> dict:
    state = netbox_event_state(nb, "outage", entry["provider"], entry["event_id"])
    assert state is not None, f"no outage {entry['event_id']} after {entry['file']}"
    want = outage_expected(entry, emails_so_far)
    got = outage_got(state)
    assert got == want, entry["file"]
    return state


def test_replay_each_lifecycle_step_by_step_then_reversed(netbox_api, stack, tmp_path, manifest):
    reset_stack()
    nb = netbox_api
    config = prepare(nb, stack, tmp_path, manifest)
    for steps in lifecycles(manifest):
        for number, entry in enumerate(steps, start=1):
            run = run_cli(config, "replay", "--format", "json", str(OUTAGE_CORPUS / entry["file"]))
            assert run.returncode == 0, run.stdout + run.stderr[-2000:]
            result = run.json_lines()[0]
            assert result["outcome"] == "ingested", result
            assert result["events"][0]["kind"] == "outage"
            state = assert_step(nb, entry, number)

        # The changelog shows each status and ETR change and each notification's arrival.
        changes = list(
            nb.core.object_changes.filter(changed_object_type="notices.outage", changed_object_id=state["id"])
        )
        statuses = [
            c.postchange_data["status"] for c in sorted(changes, key=lambda c: c.id) if c.postchange_data
        ]
        distinct = [s for i, s in enumerate(statuses) if i == 0 or statuses[i - 1] != s]
        expected_statuses = [e["status"] for e in steps]
        expected_distinct = [
            s for i, s in enumerate(expected_statuses) if i == 0 or expected_statuses[i - 1] != s
        ]
        assert distinct == expected_distinct
        etrs = {
            epoch(c.postchange_data.get("estimated_time_to_repair")) for c in changes if c.postchange_data
        }
        assert {epoch(e["etr"]) for e in steps if e["etr"]} <= etrs
        arrivals = list(
            nb.core.object_changes.filter(
                related_object_type="notices.outage",
                related_object_id=state["id"],
                changed_object_type="notices.eventnotification",
            )
        )
        assert len(arrivals) == len(steps)

    # The same emails in reverse order, into a fresh NetBox, end in the same final state.
    reset_stack()
    config = prepare(nb, stack, tmp_path, manifest)
    for steps in lifecycles(manifest):
        files = [str(OUTAGE_CORPUS / e["file"]) for e in reversed(steps)]
        run = run_cli(config, "replay", "--format", "json", *files)
        assert run.returncode == 0, run.stdout + run.stderr[-2000:]
        assert_step(nb, steps[-1], len(steps))


def test_imap_run_once_after_each_email(netbox_api, stack, tmp_path, manifest, imap_append, imap_client):
    reset_stack()
    nb = netbox_api
    config = prepare(nb, stack, tmp_path, manifest, mailbox_user="noc")
    for steps in lifecycles(manifest):
        for number, entry in enumerate(steps, start=1):
            imap_append("noc", "INBOX", (OUTAGE_CORPUS / entry["file"]).read_bytes())
            run = run_cli(config, "run", "--once")
            assert run.returncode == 0, run.stderr[-3000:]
            assert_step(nb, entry, number)
    client = imap_client("noc")
    assert client.folder_status("Processed", ["MESSAGES"])[b"MESSAGES"] == len(manifest)
    assert client.folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"] == 0
