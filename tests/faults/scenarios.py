"""The fault scenarios of the reliability work, on the real stack (NetBox + plugin, Dovecot).

Shared by the integration tests (tests/integration/test_faults.py: a slice of the corpus, a few kills)
and by ``make faults`` (scripts/faults.py: the whole corpus, 20 kills, figures). Each scenario starts
from a clean stack, runs the real daemon (``python -m ingestor``) as separate processes, and compares
NetBox with a clean run of the same emails (``netbox_dump``: every event, impact and notification by
identity, its journal entries by the records they hold, ids left out).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from imapclient import IMAPClient

from tests.integration.helpers import (
    MAINTENANCE_CORPUS,
    REPO,
    CliRun,
    choice,
    epoch,
    maintenance_circuits,
    recorded_emails,
    run_cli,
    seed_providers,
    setup_netbox,
    write_config,
)
from tests.stack import Stack, dev_stack, reset_stack

MAILBOX = "noc-box"
USER = "noc"
FOLDERS = ("INBOX", "Processed", "Failed", "Ignored")
CLAIM_PREFIX = "Processing-"


# -- what NetBox holds ------------------------------------------------------------------------------------


def netbox_dump(nb, entries_as_written: bool = False) -> dict:
    """Every event by (kind, provider, name) with its fields, impacts, notifications and the records its
    journal entries hold (``entries_as_written``: grouped by entry); no ids, so two NetBoxes that hold the
    same story compare equal, and a duplicate shows as a second entry."""
    providers = {p.id: p.slug for p in nb.circuits.providers.filter(ordering="id")}
    cids = {c.id: c.cid for c in nb.circuits.circuits.filter(ordering="id")}
    records = recorded_emails(nb)
    entries = journal_entries(nb)
    dump: dict[str, list] = {}  # every listing ordered by id: pages of an unordered one overlap
    for kind in ("maintenance", "outage"):
        impacts: dict[int, list] = {}
        for row in nb.plugins.notices.impact.filter(event_content_type=f"notices.{kind}", ordering="id"):
            impacts.setdefault(row.event_object_id, []).append(
                (cids.get(row.target_object_id), choice(row.impact))
            )
        notes: dict[int, list] = {}
        journal: dict[int, list] = {}
        for row in nb.plugins.notices.eventnotification.filter(
            event_content_type=f"notices.{kind}", ordering="id"
        ):
            record = records.get(row.id, {})
            notes.setdefault(row.event_object_id, []).append(
                (record.get("message_id"), record.get("email_digest"), row.subject)
            )
            journal.setdefault(row.event_object_id, []).extend(entries.pop(row.id, []))
        for event in getattr(nb.plugins.notices, kind).filter(ordering="id"):
            provider = event.provider.id if hasattr(event.provider, "id") else event.provider
            key = f"{kind}:{providers[provider]}:{event.name}"
            state = {
                "status": choice(event.status),
                "start": epoch(event.start),
                "end": epoch(getattr(event, "end", None)),
                "etr": epoch(getattr(event, "estimated_time_to_repair", None)),
                "summary": event.summary,
                "impact": event.impact,
                "acknowledged": event.acknowledged,
                "impacts": sorted(impacts.get(event.id, [])),
                "notifications": sorted(notes.get(event.id, []), key=str),  # None: no record
                # the records, each once; as entries only where both runs write the same batches
                "journal": sorted(journal.get(event.id, []))
                if entries_as_written
                else sorted(record for entry in journal.get(event.id, []) for record in entry),
            }
            dump.setdefault(key, []).append(state)
    if entries:  # entries on notifications that are gone
        dump["journal entries on no notification"] = sorted(map(str, entries.items()))
    return {key: sorted(states, key=json.dumps) for key, states in sorted(dump.items())}


def journal_entries(nb) -> dict[int, list[list[str]]]:
    """The journal entries holding records, by the notification each sits on: per entry the Message-IDs
    of its records, sorted. A clean run writes one entry per event and batch; a second copy of a record
    (two writers recording one email) or a record of a deleted notification shows here."""
    out: dict[int, list[list[str]]] = {}
    for entry in nb.extras.journal_entries.filter(
        assigned_object_type="notices.eventnotification", ordering="id"
    ):
        block = re.search(r"```json\n(.*?)\n```", entry.comments, re.DOTALL)
        records = json.loads(block.group(1))["records"] if block else []
        ids = sorted(f"{r['message_id']} {r['email_digest'][:12]}" for r in records)
        out.setdefault(entry.assigned_object_id, []).append(ids)
    return out


def dump_difference(got: dict, want: dict) -> list[str]:
    """Human-readable differences, for assertion messages and figures: per event, the fields that
    differ (or both whole lists when the event is there a different number of times)."""
    problems = []
    for key in sorted(set(got) | set(want)):
        mine, theirs = got.get(key), want.get(key)
        if mine == theirs:
            continue
        if isinstance(mine, list) and isinstance(theirs, list) and len(mine) == len(theirs):
            for one, other in zip(mine, theirs, strict=True):
                fields = sorted(k for k in set(one) | set(other) if one.get(k) != other.get(k))
                problems += [
                    f"{key} {name}: got {_short(one.get(name))} want {_short(other.get(name))}"
                    for name in fields
                ]
            continue
        problems.append(f"{key}: got {_short(mine)} want {_short(theirs)}")
    return problems


def _short(value) -> str:
    return json.dumps(value)[:600]


# -- the mailbox ------------------------------------------------------------------------------------------


def imap(stack: Stack) -> IMAPClient:
    client = IMAPClient(
        stack.imap_host, port=stack.imaps_port, ssl=True, ssl_context=stack.ssl_context(), timeout=30
    )
    client.login(USER, stack.imap_users[USER])
    return client


def append_all(stack: Stack, files: list[Path]) -> None:
    client = imap(stack)
    try:
        for path in files:
            client.append("INBOX", path.read_bytes())
    finally:
        client.logout()


def mailbox_contents(stack: Stack) -> dict[str, list[str]]:
    """Message-IDs per folder, claim folders included (as 'claims')."""
    client = imap(stack)
    try:
        names = [name for _f, _s, name in client.list_folders()]
        out: dict[str, list[str]] = {name: [] for name in FOLDERS}
        out["claims"] = []
        for name in names:
            key = "claims" if name.startswith(CLAIM_PREFIX) else name
            client.select_folder(name, readonly=True)
            uids = client.search("ALL")
            if not uids:
                out.setdefault(key, [])
                continue
            for data in client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]).values():
                header = next(v for k, v in data.items() if k.startswith(b"BODY"))
                match = re.search(rb"Message-ID:\s*(\S+)", header, re.IGNORECASE)
                out.setdefault(key, []).append(match.group(1).decode() if match else "?")
        return {key: sorted(value) for key, value in out.items()}
    finally:
        client.logout()


# -- a bench: the stack, a slice of the corpus, configs ---------------------------------------------------


@dataclass
class Bench:
    stack: Stack
    nb: object
    tmp: Path
    entries: list[dict]
    runs: list[dict] = field(default_factory=list)

    @property
    def files(self) -> list[Path]:
        return [MAINTENANCE_CORPUS / entry["file"] for entry in self.entries]

    @property
    def good_ids(self) -> list[str]:
        return sorted(e["message_id"] for e in self.entries if e["outcome"] == "ok")

    @property
    def error_ids(self) -> list[str]:
        return sorted(e["message_id"] for e in self.entries if e["outcome"] != "ok")

    def loaded(self) -> None:
        """Clean NetBox and mailboxes, then every email of the slice in the INBOX."""
        self.fresh()
        append_all(self.stack, self.files)

    def fresh(self) -> Path:
        """Clean NetBox and mailboxes, tag/custom fields and circuits in place; returns a direct config."""
        reset_stack()
        config = write_config(self.tmp / "direct.toml", self.stack)
        setup_netbox(config)
        seed_providers(self.nb, maintenance_circuits(self.entries))
        return config

    def config(
        self, name: str, netbox_url: str, *, instance: str = "host-a", extra: str = "", **netbox
    ) -> Path:
        """A daemon config on the noc mailbox; NetBox at ``netbox_url`` (the fault proxy or NetBox)."""
        settings = {
            "timeout_seconds": 2,
            "retries": 4,
            "retry_backoff_seconds": 0.05,
            "retry_backoff_max_seconds": 1,
        }
        settings.update(netbox)
        path = write_config(self.tmp / f"{name}.toml", self.stack, mailbox_user=USER)
        text = path.read_text().replace(self.stack.netbox_url, netbox_url).replace("retries = 2\n", "")
        text = text.replace(
            f'state_dir = "{self.tmp / "state"}"', f'state_dir = "{self.tmp / ("state-" + name)}"'
        )
        lines = "".join(f"{key} = {value}\n" for key, value in settings.items())
        text = text.replace("[netbox]\n", f'instance_name = "{instance}"\n[netbox]\n{lines}', 1)
        path.write_text(text + extra)
        return path

    def clean_dump(self, entries_as_written: bool = False) -> dict:
        """What NetBox holds after a plain replay of the slice (no faults, one writer)."""
        config = self.fresh()
        run = cli(config, "replay", *map(str, self.files))
        assert run.returncode in (0, 1), run.stderr[-2000:]
        return netbox_dump(self.nb, entries_as_written)


cli = run_cli


def start(config: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ingestor", "-c", str(config), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
    )


def concurrent_replays(configs: list[Path], files: list[Path], workdir: Path) -> list[CliRun]:
    """One ``replay --format json`` per config, all started at once, every path in one call each, each
    process in a working directory of its own (as two operators, or a replay beside an HA pair)."""
    procs = []
    for number, config in enumerate(configs):
        cwd = workdir / f"writer-{number}"
        cwd.mkdir(parents=True, exist_ok=True)
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "ingestor", "-c", str(config), "replay", "--format", "json"]
                + [str(path) for path in files],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
                cwd=cwd,
            )
        )
    outputs = [proc.communicate(timeout=900) for proc in procs]
    for number, (out, err) in enumerate(outputs):  # kept for a failure's story
        (workdir / f"writer-{number}" / "stdout.jsonl").write_text(out)
        (workdir / f"writer-{number}" / "stderr.jsonl").write_text(err)
    return [CliRun(proc.returncode, out, err) for proc, (out, err) in zip(procs, outputs, strict=True)]


def email_event_outcomes(runs: list[CliRun]) -> dict[tuple[str, str], list[str]]:
    """Per (email file, event) the outcome each writer reported for that event: ``ingested`` (its writes
    are NetBox's) or ``duplicate`` (another writer's were), from ``replay --format json``."""
    out: dict[tuple[str, str], list[str]] = {}
    for run in runs:
        for line in run.json_lines():
            if "summary" in line:
                continue
            for event in line.get("events") or []:
                key = (line["source"], f"{event['kind']}:{event['provider']}:{event['name']}")
                out.setdefault(key, []).append("duplicate" if event.get("duplicate") else "ingested")
    return {key: sorted(value) for key, value in out.items()}


def log_events(stderr: str, name: str) -> list[dict]:
    events = []
    for line in stderr.splitlines():
        if line.startswith("{") and f'"{name}"' in line:
            record = json.loads(line)
            if record.get("event") == name:
                events.append(record)
    return events


def polls_until_done(config: Path, stack: Stack, max_polls: int) -> tuple[int, list[CliRun]]:
    """``run --once`` until INBOX and the claim folders are empty (or ``max_polls``)."""
    runs = []
    for poll in range(1, max_polls + 1):
        runs.append(cli(config, "run", "--once"))
        left = mailbox_contents(stack)
        if not left["INBOX"] and not left["claims"]:
            return poll, runs
    return max_polls, runs


def kill_at_random(
    config: Path, kills: int, seed: int, window: tuple[float, float] = (0.5, 4.0)
) -> list[float]:
    """Start the daemon and kill -9 it at a random moment, ``kills`` times; returns when each kill was."""
    rng = random.Random(seed)
    moments = []
    for _ in range(kills):
        proc = start(config, "run")
        moment = rng.uniform(*window)
        try:
            proc.wait(timeout=moment)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stderr.close()
        moments.append(round(moment, 2))
    return moments


def restart_imap() -> None:
    dev_stack("restart-imap", timeout=120)
