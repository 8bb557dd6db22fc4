"""Our own outage corpora into the real NetBox, zero config: tests/corpus/outages (41 lifecycles in 21
carriers' styles) and tests/corpus/outages_world (issue 17: 50 lifecycles of 24 carriers never seen
before, seven languages, circuit tables, quoted replies, named zones). After every email each
lifecycle's outage holds the expected status, start, ETR, end and circuits — through replay and through
Dovecot + `run --once` — and the emails in reverse order end in the same final state.

The lifecycles are independent events, so the n-th emails of all of them go in one run, and every
lifecycle is checked after each run: the state after each email, in a handful of CLI runs.
"""

from __future__ import annotations

import pytest

from tests.outage_corpus import CORPUS, WORLD, Lifecycle, lifecycles
from tests.stack import reset_stack

from .helpers import netbox_event_state, outage_circuits, outage_expected, outage_got, prepare_netbox, run_cli

pytestmark = pytest.mark.integration

CORPORA = {"outages": lifecycles(CORPUS), "outages_world": lifecycles(WORLD)}
corpora = pytest.mark.parametrize("lives", list(CORPORA.values()), ids=list(CORPORA))


def rounds(lives: list[Lifecycle]) -> int:
    return max(len(life.steps) for life in lives)


def prepare(nb, stack, tmp_path, lives, mailbox_user=None):
    entries = [{"provider": life.provider, "circuits": life.steps[-1]["circuits"]} for life in lives]
    return prepare_netbox(nb, stack, tmp_path, outage_circuits(entries), mailbox_user)


def wrong_lifecycles(nb, lives: list[Lifecycle], number: int) -> list[str]:
    """Every lifecycle whose outage is not as expected after its ``number``-th email (or its last)."""
    wrong = []
    for life in lives:
        step = life.steps[min(number, len(life.steps)) - 1]
        state = netbox_event_state(nb, "outage", life.provider, life.event_id)
        want = outage_expected(step, min(number, len(life.steps)))
        got = outage_got(state)
        if got != want:
            wrong.append(f"{life.name}/{step['file']}: got {got}, want {want}")
    return wrong


def nth(lives: list[Lifecycle], number: int) -> list[tuple[Lifecycle, dict]]:
    return [(life, life.steps[number - 1]) for life in lives if len(life.steps) >= number]


@corpora
def test_replay_after_each_email_then_reversed(netbox_api, stack, tmp_path, lives):
    reset_stack()
    config = prepare(netbox_api, stack, tmp_path, lives)
    for number in range(1, rounds(lives) + 1):
        files = [str(life.path(step)) for life, step in nth(lives, number)]
        run = run_cli(config, "replay", "--format", "json", *files)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        results = [line for line in run.json_lines() if "outcome" in line]  # not the summary
        assert [r["outcome"] for r in results] == ["ingested"] * len(files), results
        assert wrong_lifecycles(netbox_api, lives, number) == []

    reset_stack()
    config = prepare(netbox_api, stack, tmp_path, lives)
    files = [str(life.path(step)) for life in lives for step in reversed(life.steps)]
    run = run_cli(config, "replay", "--format", "json", *files)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert wrong_lifecycles(netbox_api, lives, rounds(lives)) == []


@corpora
def test_imap_run_once_after_each_email(netbox_api, stack, tmp_path, imap_append, imap_client, lives):
    reset_stack()
    config = prepare(netbox_api, stack, tmp_path, lives, mailbox_user="noc")
    for number in range(1, rounds(lives) + 1):
        for life, step in nth(lives, number):
            imap_append("noc", "INBOX", life.path(step).read_bytes())
        run = run_cli(config, "run", "--once")
        assert run.returncode == 0, run.stderr[-3000:]
        assert wrong_lifecycles(netbox_api, lives, number) == []
    client = imap_client("noc")
    total = sum(len(life.steps) for life in lives)
    assert client.folder_status("Processed", ["MESSAGES"])[b"MESSAGES"] == total
    assert client.folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"] == 0
