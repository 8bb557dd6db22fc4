"""The reliability promises, proven on the real stack with faults injected (tests/faults/).

A slice of the shared maintenance corpus (CI's time); `make faults` (NIS_FAULTS=full) runs the same
scenarios on the whole corpus with 20 kills and prints a FIGURES line per scenario. Every scenario ends
by comparing NetBox with a clean run of the same emails, and the mailbox with what must be there.
"""

from __future__ import annotations

import json
import os
import re

import pytest

from tests.faults.proxy import FaultMix, FaultProxy
from tests.faults.scenarios import (
    Bench,
    append_all,
    cli,
    concurrent_replays,
    dump_difference,
    email_event_outcomes,
    kill_at_random,
    log_events,
    mailbox_contents,
    netbox_dump,
    polls_until_done,
    restart_imap,
    start,
)
from tests.live import LiveDaemon

from .helpers import MAINTENANCE_CORPUS, corpus_manifest

pytestmark = pytest.mark.integration

# Providers with multi-email lifecycles (zayo, lumen), forwarded mail (colt), and every error email.
SLICE_PROVIDERS = {"zayo", "lumen", "colt"}
FULL = os.environ.get("NIS_FAULTS") == "full"
KILLS = 20 if FULL else 4
# Concurrent replays of the whole corpus: how many times each (a race shows only now and then).
RACE_RUNS = int(os.environ.get("NIS_RACE_RUNS", "20" if FULL else "2"))


FIGURES_FILE = os.environ.get("NIS_FAULTS_FIGURES", "/tmp/notices-ingestor-fault-figures.jsonl")


def figures(scenario: str, **values) -> None:
    """Print (seen with -s, as `make faults` runs) and append to FIGURES_FILE (read after a CI run)."""
    line = json.dumps({"scenario": scenario, "full": FULL, **values}, sort_keys=True)
    print(f"\nFIGURES {line}")
    with open(FIGURES_FILE, "a", encoding="utf-8") as out:
        out.write(line + "\n")


@pytest.fixture(scope="module")
def bench(netbox_api, stack, tmp_path_factory) -> Bench:
    manifest = corpus_manifest(MAINTENANCE_CORPUS)
    entries = [e for e in manifest if FULL or e["provider"] in SLICE_PROVIDERS or e["outcome"] != "ok"]
    return Bench(stack, netbox_api, tmp_path_factory.mktemp("faults"), entries)


@pytest.fixture(scope="module")
def clean(bench) -> dict:
    dump = bench.clean_dump()
    assert sum(len(v) for v in dump.values()) >= 10  # the slice makes real events
    return dump


@pytest.fixture
def proxy(stack):
    with FaultProxy(stack.netbox_url) as running:
        yield running


def assert_same_netbox(bench: Bench, clean: dict) -> None:
    problems = dump_difference(netbox_dump(bench.nb), clean)
    assert not problems, "\n".join(problems[:10])


def assert_mailbox_done(bench: Bench) -> dict:
    contents = mailbox_contents(bench.stack)
    assert contents["INBOX"] == [] and contents["claims"] == []
    assert contents["Failed"] == bench.error_ids  # exactly the corpus' error emails: 0 wrongly quarantined
    assert contents["Processed"] == bench.good_ids  # every good email, once
    return contents


def assert_as_clean_run(bench: Bench, clean: dict) -> None:
    assert_mailbox_done(bench)
    assert_same_netbox(bench, clean)


def test_mixed_faults_every_good_email_processed_within_8_polls(bench, clean, proxy):
    bench.loaded()
    proxy.set_mix(FaultMix.issue_mix(seed=7, hold_seconds=2.5))
    config = bench.config("mixed", proxy.url)
    polls, runs = polls_until_done(config, bench.stack, max_polls=8)
    figures("mixed-faults", emails=len(bench.entries), polls=polls, proxy=dict(proxy.counts))
    assert_as_clean_run(bench, clean)
    assert proxy.counts["error_after"] > 0 and proxy.counts["drop"] > 0 and proxy.counts["hold"] > 0
    failed_reasons = [
        e["reason"]
        for run in runs
        for e in log_events(run.stderr, "email_processed")
        if e["outcome"] == "failed"
    ]
    assert all("NetBox" not in reason for reason in failed_reasons), failed_reasons


def test_a_poison_email_goes_to_failed_after_max_attempts_with_its_error(bench, clean, proxy):
    bench.fresh()
    poison = next(e for e in bench.entries if e["outcome"] == "ok" and e["provider"] == "lumen")
    append_all(bench.stack, [MAINTENANCE_CORPUS / poison["file"]])
    proxy.poison = re.compile(re.escape(poison["message_id"]).encode())
    config = bench.config("poison", proxy.url, retries=1)
    config.write_text(
        config.read_text().replace("interval_seconds = 5", "interval_seconds = 5\nmax_attempts = 2")
    )
    first = cli(config, "run", "--once")
    assert mailbox_contents(bench.stack)["INBOX"] == [poison["message_id"]]  # attempt 1: back in INBOX
    second = cli(config, "run", "--once")
    contents = mailbox_contents(bench.stack)
    assert contents["Failed"] == [poison["message_id"]] and contents["INBOX"] == []
    [event] = log_events(second.stderr, "email_poison")
    assert event["message_id"] == poison["message_id"]
    assert event["reason"].startswith("poison email: failed 2 times") and "HTTP 500" in event["reason"]
    assert log_events(first.stderr, "email_deferred")


def test_netbox_down_stops_the_poll_keeps_every_email_and_backs_off(bench, clean, proxy):
    bench.fresh()
    append_all(bench.stack, bench.files[:6])
    proxy.down = True
    config = bench.config("down", proxy.url, retries=1)
    run = cli(config, "run", "--once")
    assert run.returncode == 1
    contents = mailbox_contents(bench.stack)
    assert len(contents["INBOX"]) == 6 and contents["claims"] == [] and contents["Failed"] == []
    assert log_events(run.stderr, "poll_interrupted")[0]["backoff_seconds"] > 0
    # one batch tried (all its emails deferred), then the poll stopped: no request storm against a
    # NetBox that is down
    processed = log_events(run.stderr, "email_processed")
    assert len(processed) == 6 and {e["outcome"] for e in processed} == {"deferred"}
    assert len(log_events(run.stderr, "netbox_retry")) <= 2
    proxy.down = False
    assert cli(config, "run", "--once").returncode in (0, 1)
    assert mailbox_contents(bench.stack)["INBOX"] == []


def test_two_daemons_on_one_mailbox_end_as_a_clean_run(bench, clean):
    bench.loaded()
    configs = [bench.config(name, bench.stack.netbox_url, instance=name) for name in ("host-a", "host-b")]
    for config in configs:  # small batches, so both instances really share the work
        text = config.read_text().replace("interval_seconds = 5", "interval_seconds = 5\nclaim_batch = 3")
        config.write_text("batch_size = 3\n" + text)
    procs = [start(config, "run", "--once") for config in configs]
    outputs = [proc.communicate(timeout=900)[1] for proc in procs]
    processed = [e for out in outputs for e in log_events(out, "email_processed")]
    figures("two-daemons", per_instance=[len(log_events(out, "email_processed")) for out in outputs])
    assert all(len([e for e in log_events(out, "email_processed")]) > 0 for out in outputs), (
        "one instance idle"
    )
    assert len(processed) == len(bench.entries)  # each email processed once, by one of them
    try:
        assert_as_clean_run(bench, clean)
    except AssertionError as exc:  # a race shows only now and then: say what each instance saw
        raise AssertionError(f"{exc}\n{race_story(outputs)}") from None


RACE_EVENTS = (
    "event_race_lost",
    "event_race_won",
    "notification_race_lost",
    "event_reconciled",
    "event_refused_planning_again",
    "event_write_failed",
    "event_refold_failed",
    "netbox_batch_split",
)


def race_story(outputs: list[str]) -> str:
    """What the instances logged about races and failures: the emails that failed and why, then every
    race event, each line with the instance that logged it."""
    lines = []
    for name, out in zip("abcdefgh", outputs, strict=False):
        for event in log_events(out, "email_processed"):
            if event.get("outcome") not in ("ingested", "duplicate", "ignored"):
                lines.append(f"{name} {json.dumps(event, sort_keys=True)}")
        for kind in RACE_EVENTS:
            lines += [f"{name} {json.dumps(event, sort_keys=True)}" for event in log_events(out, kind)]
    return "\n".join(lines)[:20000]


def test_a_replay_beside_the_daemon_ends_as_a_clean_run(bench, clean):
    bench.loaded()
    config = bench.config("daemon", bench.stack.netbox_url)
    replay_config = bench.config("replay", bench.stack.netbox_url, instance="operator")
    daemon = start(config, "run", "--once")
    replay = cli(replay_config, "replay", *map(str, reversed(bench.files)))
    daemon.communicate(timeout=900)
    assert replay.returncode == 1  # the corpus' error emails fail in the replay too
    assert_as_clean_run(bench, clean)


def test_kill_9_at_random_moments_then_a_restart_ends_as_a_clean_run(bench, clean):
    bench.loaded()
    config = bench.config("killed", bench.stack.netbox_url)
    moments = kill_at_random(config, kills=KILLS, seed=11, window=(2.5, 6.0))
    left = mailbox_contents(bench.stack)
    figures("kill-9", kills=len(moments), moments=moments, claimed_after_kills=len(left["claims"]))
    polls, _runs = polls_until_done(config, bench.stack, max_polls=3)
    assert polls == 1
    assert_as_clean_run(bench, clean)


def test_dovecot_restarted_mid_poll_loses_nothing(bench, clean, proxy, tmp_path):
    bench.loaded()
    proxy.set_mix(FaultMix(delay_seconds=0.1))  # a slower NetBox: the poll is still running at the restart
    config = bench.config("imap-restart", proxy.url)
    text = config.read_text().replace("interval_seconds = 5", "interval_seconds = 5\nreconnect_attempts = 5")
    config.write_text("batch_size = 5\n" + text)  # several batches: the restart comes between two
    daemon = LiveDaemon(config, tmp_path / "imap-restart.log", "--once")
    daemon.wait_for("email_processed", count=5, timeout=300)
    restart_imap()
    assert daemon.proc.wait(timeout=900) in (0, 1)
    daemon.stop()
    reconnects = daemon.events("imap_reconnecting")
    assert reconnects, "the restart did not interrupt the poll: make NetBox slower"
    figures(
        "imap-restart",
        reconnects=len(reconnects),
        processed_in_that_poll=len(daemon.events("email_processed")),
    )
    polls_until_done(config, bench.stack, max_polls=2)
    assert_as_clean_run(bench, clean)


@pytest.fixture(scope="module")
def corpus_bench(netbox_api, stack, tmp_path_factory) -> Bench:
    """Every email of the shared maintenance corpus that the library parses (the 'ok' ones)."""
    entries = [e for e in corpus_manifest(MAINTENANCE_CORPUS) if e["outcome"] == "ok"]
    return Bench(stack, netbox_api, tmp_path_factory.mktemp("replays"), entries)


@pytest.fixture(scope="module")
def corpus_clean(corpus_bench) -> dict:
    dump = corpus_bench.clean_dump(entries_as_written=True)  # one batch each: the same entries
    assert sum(len(v) for v in dump.values()) >= 50
    return dump


# Three writers only in `make faults` (CI runs two writers, NIS_RACE_RUNS=2 times).
@pytest.mark.parametrize("writers", [2, 3] if FULL else [2])
def test_concurrent_replays_of_the_whole_corpus_end_as_one_clean_run(corpus_bench, corpus_clean, writers):
    """Replays of the same files started at the same moment, each straight to NetBox with its own
    working directory and state_dir: NetBox ends as after one replay (events, impacts, notifications,
    journal entries), and each email's effect on each event is reported ``ingested`` by one writer and
    ``duplicate`` by the others."""
    bench = corpus_bench
    runs = RACE_RUNS
    wrong = []
    for number in range(runs):
        bench.fresh()
        configs = [
            bench.config(f"replay-{writers}-{i}", bench.stack.netbox_url, instance=f"operator-{i}")
            for i in range(writers)
        ]
        workdir = bench.tmp / f"run-{writers}-{number}"
        outputs = concurrent_replays(configs, bench.files, workdir)
        for run in outputs:
            assert run.returncode in (0, 1), run.stderr[-3000:]
        problems = dump_difference(netbox_dump(bench.nb, entries_as_written=True), corpus_clean)
        outcomes = email_event_outcomes(outputs)
        want = sorted(["ingested"] + ["duplicate"] * (writers - 1))
        twice = {key: got for key, got in outcomes.items() if got != want}
        if problems or twice:
            story = race_story([run.stderr for run in outputs])
            head = f"run {number} ({workdir}): {problems[:6]} outcomes {list(twice.items())[:6]}"
            wrong.append(f"{head}\n{story[:6000]}")
    figures("concurrent-replays", writers=writers, runs=runs, wrong=len(wrong))
    assert not wrong, "\n".join(wrong[:3])
