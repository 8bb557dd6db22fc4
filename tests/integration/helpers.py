"""Shared by the end-to-end tests: the corpus, a config for the real stack, the CLI, NetBox state.

The expected state is computed here independently of the daemon's own fold/plan code, straight from
the corpus manifest and the rules in README.md, so a bug there cannot hide in both places.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"
MAINTENANCE_CORPUS = CORPUS / "maintenance"
OUTAGE_CORPUS = CORPUS / "outages"

RANK = {
    "NO-CHANGE": -1,
    "TENTATIVE": 0,
    "CONFIRMED": 1,
    "RE-SCHEDULED": 2,
    "IN-PROCESS": 3,
    "COMPLETED": 4,
    "CANCELLED": 5,
}


def corpus_manifest(folder: Path) -> list[dict]:
    if not folder.is_dir():
        pytest.skip(f"provider corpus not found at {folder} (it lives in ../shared/corpus)")
    return json.loads((folder / "manifest.json").read_text())


def two_circuit_email() -> tuple[dict, dict]:
    """A corpus email with one maintenance on at least two circuits (its entry and that maintenance)."""
    for entry in corpus_manifest(MAINTENANCE_CORPUS):
        if len(entry.get("maintenances") or []) == 1 and len(entry["maintenances"][0]["circuits"]) >= 2:
            return entry, entry["maintenances"][0]
    pytest.fail("no corpus email with one maintenance on two circuits")


def provider_slug(entry: dict, maintenance: dict) -> str:
    """The NetBox provider an email's maintenance belongs to: the library's provider name; for plain
    BCOP iCalendar (genericprovider) the provider the invite names, as a slug."""
    if entry["provider"] == "genericprovider":
        return re.sub(r"[^a-z0-9]+", "-", maintenance["provider"].lower()).strip("-")
    return entry["provider"]


@dataclass
class ExpectedEvent:
    provider: str
    name: str
    status: str | None = None
    start: int | None = None
    end: int | None = None
    circuits: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)  # file -> Message-ID (some files share one)

    @property
    def message_ids(self) -> list[str]:
        return sorted(self.emails.values())


def expected_maintenances(entries: list[dict]) -> dict[tuple[str, str], ExpectedEvent]:
    notices = []
    for entry in entries:
        if entry["outcome"] != "ok":
            continue
        for m in entry["maintenances"]:
            notices.append((provider_slug(entry, m), m, entry))
    # (stamp, sequence, lifecycle rank), then the later window for notices still tied (README, "Order")
    notices.sort(
        key=lambda n: (n[1]["stamp"], n[1]["sequence"], RANK[n[1]["status"]], n[1]["start"], n[1]["end"])
    )
    events: dict[tuple[str, str], ExpectedEvent] = {}
    for slug, m, entry in notices:
        event = events.setdefault((slug, m["maintenance_id"]), ExpectedEvent(slug, m["maintenance_id"]))
        if m["status"] != "NO-CHANGE":
            event.status = m["status"]
        event.start, event.end = m["start"], m["end"]
        for circuit in m["circuits"]:
            event.circuits[circuit["circuit_id"]] = circuit["impact"]
        event.emails[entry["file"]] = entry["message_id"]
    return events


def write_config(path: Path, stack, mailbox_user: str | None = None, extra: str = "") -> Path:
    lines = [
        f'state_dir = "{path.parent / "state"}"',
        "[netbox]",
        f'url = "{stack.netbox_url}"',
        f'token = "{stack.netbox_token}"',
        "retries = 2",
        "[logging]",
        'format = "json"',
    ]
    if mailbox_user:
        lines += [
            "[[mailboxes]]",
            f'name = "{mailbox_user}-box"',
            f'host = "{stack.imap_host}"',
            f"port = {stack.imap_port}",
            'security = "starttls"',
            f'tls_ca_file = "{stack.ca_file}"',
            f'username = "{mailbox_user}"',
            f'password = "{stack.imap_users[mailbox_user]}"',
            "interval_seconds = 5",
        ]
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


@dataclass
class CliRun:
    returncode: int
    stdout: str
    stderr: str

    def json_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.startswith("{")]


def run_cli(config: Path, *args: str, stdin: bytes | None = None, timeout: float = 900) -> CliRun:
    proc = subprocess.run(
        [sys.executable, "-m", "ingestor", "-c", str(config), *args],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        cwd=REPO,
    )
    return CliRun(proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def setup_netbox(config: Path) -> None:
    result = run_cli(config, "check", "--setup")
    assert result.returncode == 0, result.stdout + result.stderr


def seed_providers(nb, circuits_by_provider: dict[str, set[str]]) -> None:
    circuit_type = nb.circuits.circuit_types.get(slug="transit") or nb.circuits.circuit_types.create(
        name="Transit", slug="transit"
    )
    for slug, cids in sorted(circuits_by_provider.items()):
        provider = nb.circuits.providers.get(slug=slug) or nb.circuits.providers.create(name=slug, slug=slug)
        existing = {c.cid for c in nb.circuits.circuits.filter(provider_id=provider.id)}
        new = [
            {"cid": cid, "provider": provider.id, "type": circuit_type.id} for cid in sorted(cids - existing)
        ]
        if new:
            nb.circuits.circuits.create(new)


def prepare_netbox(nb, stack, tmp_path: Path, circuits: dict[str, set[str]], mailbox_user=None) -> Path:
    """A config for the stack, NetBox set up (tag, custom fields), providers and circuits seeded."""
    config = write_config(tmp_path / "config.toml", stack, mailbox_user)
    setup_netbox(config)
    seed_providers(nb, circuits)
    return config


def outage_circuits(entries: list[dict]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for entry in entries:
        found.setdefault(entry["provider"], set()).update(entry["circuits"])
    return found


def maintenance_circuits(entries: list[dict]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for entry in entries:
        for m in entry["maintenances"]:
            found.setdefault(provider_slug(entry, m), set()).update(c["circuit_id"] for c in m["circuits"])
    return found


def epoch(value: str | None) -> int | None:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()) if value else None


def outage_expected(entry: dict, notifications: int) -> dict:
    """The NetBox state an outage manifest entry (or expected.json step) means, as outage_got reads it."""
    return {
        "status": entry["status"],
        "start": epoch(entry["start"]),
        "etr": epoch(entry["etr"]),
        "end": epoch(entry["end"]),
        "circuits": set(entry["circuits"]),
        "notifications": notifications,
    }


def outage_got(state: dict | None) -> dict | None:
    """The fields of netbox_event_state that outage_expected names."""
    keys = ("status", "start", "etr", "end", "notifications")
    return state and {**{k: state[k] for k in keys}, "circuits": set(state["circuits"])}


def choice(value):
    """The plugin serialises some choice fields as {"value", "label"}, others as plain strings."""
    return getattr(value, "value", value)


def netbox_event_state(nb, kind: str, provider_slug_: str, name: str) -> dict | None:
    provider = nb.circuits.providers.get(slug=provider_slug_)
    events = list(getattr(nb.plugins.notices, kind).filter(provider_id=provider.id, name=name))
    if not events:
        return None
    assert len(events) == 1, f"{kind} {provider_slug_}/{name} exists {len(events)} times"
    event = events[0]
    impacts = list(
        nb.plugins.notices.impact.filter(event_content_type=f"notices.{kind}", event_object_id=event.id)
    )
    cids = {c.id: c.cid for c in nb.circuits.circuits.filter(provider_id=provider.id)}
    notifications = list(
        nb.plugins.notices.eventnotification.filter(
            event_content_type=f"notices.{kind}", event_object_id=event.id
        )
    )
    return {
        "id": event.id,
        "status": choice(event.status),
        "start": epoch(event.start),
        "end": epoch(event.end),
        "etr": epoch(getattr(event, "estimated_time_to_repair", None)),
        "circuits": {cids[i.target_object_id]: choice(i.impact) for i in impacts},
        "message_ids": sorted(recorded_message_ids(nb, [n.id for n in notifications]).values()),
        "notifications": len(notifications),
        "acknowledged": event.acknowledged,
    }


def recorded_emails(nb, notification_ids: list[int] | None = None) -> dict[int, dict]:
    """Each notification's journal record (README: where identity lives) — message_id, email_digest,
    notices — read here with a plain JSON parse of the entry's fenced block, not the daemon's reader.
    One entry holds the records of an event's emails of one batch and sits on the first of their
    notifications, so ask for all of an event's notifications. ``notification_ids`` None: every record
    in NetBox."""
    chunks = (
        [None]
        if notification_ids is None
        else [notification_ids[i : i + 100] for i in range(0, len(notification_ids), 100)]
    )
    found: dict[int, dict] = {}
    for chunk in chunks:
        filters = {"assigned_object_type": "notices.eventnotification"}
        if chunk is not None:
            filters["assigned_object_id"] = chunk
        # ordered by id: the pages of an unordered listing overlap and skip rows
        for entry in nb.extras.journal_entries.filter(**filters, ordering="id"):
            block = re.search(r"```json\n(.*?)\n```", entry.comments, re.DOTALL)
            assert block, f"journal entry {entry.id} has no JSON record: {entry.comments[:200]!r}"
            records = json.loads(block.group(1))["records"]
            assert records[0]["notification"] == entry.assigned_object_id, (
                f"entry {entry.id}: not on its first"
            )
            for record in records:
                notification = record["notification"]
                # two writers adopting one orphan may both record it: harmless only if it is the same email
                same = found.get(notification, record)
                assert (same["message_id"], same["email_digest"]) == (
                    record["message_id"],
                    record["email_digest"],
                ), f"notification {notification}: records of two different emails"
                found[notification] = record
    if notification_ids is not None:
        found = {nid: record for nid, record in found.items() if nid in set(notification_ids)}
    return found


def recorded_message_ids(nb, notification_ids: list[int]) -> dict[int, str]:
    """The Message-ID each notification's record names; every notification must have one."""
    records = recorded_emails(nb, notification_ids) if notification_ids else {}
    missing = sorted(set(notification_ids) - records.keys())
    assert not missing, f"notifications without a journal record: {missing}"
    return {nid: record["message_id"] for nid, record in records.items()}


def object_counts(nb) -> dict[str, int]:
    notices = nb.plugins.notices
    return {
        "maintenance": notices.maintenance.count(),
        "outage": notices.outage.count(),
        "impact": notices.impact.count(),
        "eventnotification": notices.eventnotification.count(),
        "objectchange": nb.core.object_changes.count(),
    }
