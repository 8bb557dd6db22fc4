"""What an operator sees on the plugin's event page: the "Event Timeline" that netbox-notices builds from
NetBox's changelog (the event's own changes plus those of its Impacts and EventNotifications, newest 20).

Two real lifecycles go into a fresh NetBox through the CLI, one `replay` per email in arrival order
(as if the emails came one by one): the shared corpus's Colt maintenance CRQ1-12345678 (confirmed;
completed, twice: with and without an "[ EXTERNAL ]" tag, the second changing nothing; cancelled, twice:
two windows in two emails sharing one Message-ID; three subjects are longer than 100 characters) and
our outage corpus's Zayo outage TTN-0007710001 (investigating, identified with an ETR, resolved, RFO).
Then the test logs in to the web UI as the stack's admin, renders both event pages and reads their
timelines (tests/integration/netbox_ui.py). Run with -s to see them.

What the timeline must show:
- exactly one "Notification received: <subject>" per email, in arrival order, the subject cut to 100
  characters with an ellipsis (README, "EventNotification");
- none of the daemon's bookkeeping: no custom field holding JSON (a "Custom Fields" change to a non-empty
  dict), no "ingestor_notices" / "ingestor_message_id" / "ingestor_email_digest", no "{'" or "[{" in any
  line. That data belongs where the timeline does not look: a JournalEntry on each EventNotification
  (a JournalEntry's change has no related_object). A daemon that stores it in the notification's custom
  fields fails here;
- one entry per real change. An email's writes are (ingestor/netbox/apply.py): the event's create (first
  email) or one update of the fields that differ, the impacts it adds, and its notification last. So,
  reading the timeline oldest first and cutting it after each notification, each email's part has at
  most one event entry besides the creation, nothing follows the last notification, and each impact is
  added once. Counted over the event: entries <= 2 x emails (a notification and at most one field
  update each) + impacts (one "Impact added" each: the impact levels of these lifecycles never change,
  and no email adds an impact to a closed event, which would need a reopen) + 1 (the creation).
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.outage_corpus import lifecycles as outage_lifecycles

from .helpers import (
    MAINTENANCE_CORPUS,
    RANK,
    corpus_manifest,
    maintenance_circuits,
    outage_circuits,
    prepare_netbox,
    run_cli,
)
from .netbox_ui import TimelineItem, event_page, format_timeline, login, parse_timeline

pytestmark = pytest.mark.integration

MAINTENANCE = ("colt", "CRQ1-12345678")
OUTAGE = "01-zayo-0007710001"  # a folder of tests/corpus/outages
KINDS = ("maintenance", "outage")
SUBJECT_MAX = 100  # the plugin's limit; README: "subject cut to 100 characters with an ellipsis"
TIMELINE_LIMIT = 20  # the plugin shows the newest 20 changes
BOOKKEEPING = ("ingestor_notices", "ingestor_message_id", "ingestor_email_digest")
NOTIFICATION = "Notification received: "


@dataclass
class Lifecycle:
    """One event and its emails, in the order they arrive."""

    kind: str
    provider: str
    name: str
    files: list[Path]

    @property
    def subjects(self) -> list[str]:
        return [expected_subject(header_subject(path)) for path in self.files]


@dataclass
class Rendered:
    """One event after the replay: its page, its timeline, and what the API says it should show."""

    life: Lifecycle
    url: str
    status: int
    items: list[TimelineItem]  # newest first, as on the page
    changelog: int  # the event's own changes + those whose related object is the event
    impacts: int
    notifications: int

    @property
    def oldest_first(self) -> list[TimelineItem]:
        return self.items[::-1]

    def __repr__(self) -> str:  # what pytest shows of the fixture on a failure
        life = self.life
        return f"<{life.kind} {life.provider}/{life.name}: {len(self.items)} timeline items at {self.url}>"


def header_subject(path: Path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return " ".join(str(message["subject"] or "").split())


def expected_subject(subject: str) -> str:
    return subject if len(subject) <= SUBJECT_MAX else subject[: SUBJECT_MAX - 1].rstrip() + "…"


def maintenance_lifecycle() -> tuple[Lifecycle, list[dict]]:
    entries = [
        entry
        for entry in corpus_manifest(MAINTENANCE_CORPUS)
        if entry["outcome"] == "ok"
        and any((entry["provider"], m["maintenance_id"]) == MAINTENANCE for m in entry["maintenances"])
    ]
    # Arrival order: the providers' own order of their notices (README, "Order"); ties keep the manifest's.
    entries.sort(key=lambda e: [(m["stamp"], m["sequence"], RANK[m["status"]]) for m in e["maintenances"]])
    files = [MAINTENANCE_CORPUS / e["file"] for e in entries]
    return Lifecycle("maintenance", *MAINTENANCE, files), entries


def outage_lifecycle() -> tuple[Lifecycle, dict]:
    [life] = [life for life in outage_lifecycles() if life.name == OUTAGE]
    files = [life.path(step) for step in life.steps]
    return Lifecycle("outage", life.provider, life.event_id, files), {
        "provider": life.provider,
        "circuits": life.steps[-1]["circuits"],
    }


def event_changes(nb, kind: str, event_id: int) -> int:
    own = nb.core.object_changes.filter(changed_object_type=f"notices.{kind}", changed_object_id=event_id)
    related = nb.core.object_changes.filter(related_object_type=f"notices.{kind}", related_object_id=event_id)
    return len(list(own)) + len(list(related))


def render(nb, session, base_url: str, life: Lifecycle) -> Rendered:
    provider = nb.circuits.providers.get(slug=life.provider)
    event = getattr(nb.plugins.notices, life.kind).get(provider_id=provider.id, name=life.name)
    assert event is not None, f"no {life.kind} {life.provider}/{life.name} after the replay"
    page = event_page(session, base_url, life.kind, event.id)
    items = parse_timeline(page.text) if page.status_code == 200 else []
    linked = {"event_content_type": f"notices.{life.kind}", "event_object_id": event.id}
    rendered = Rendered(
        life,
        page.url,
        page.status_code,
        items,
        changelog=event_changes(nb, life.kind, event.id),
        impacts=len(list(nb.plugins.notices.impact.filter(**linked))),
        notifications=len(list(nb.plugins.notices.eventnotification.filter(**linked))),
    )
    print(f"\n=== {life.kind} {life.provider}/{life.name}: {page.url} (HTTP {page.status_code})")
    print(format_timeline(items) or "(no timeline)")
    return rendered


@pytest.fixture(scope="module")
def rendered(netbox_api, stack, tmp_path_factory) -> dict[str, Rendered]:
    maintenance, maintenance_entries = maintenance_lifecycle()
    outage, outage_entry = outage_lifecycle()
    circuits = maintenance_circuits(maintenance_entries)
    for provider, cids in outage_circuits([outage_entry]).items():
        circuits.setdefault(provider, set()).update(cids)
    config = prepare_netbox(netbox_api, stack, tmp_path_factory.mktemp("timeline"), circuits)
    for life in (maintenance, outage):
        for path in life.files:  # one replay per email, as if they arrived one by one
            run = run_cli(config, "replay", "--format", "json", str(path))
            assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
            outcomes = [line["outcome"] for line in run.json_lines() if "outcome" in line]
            assert outcomes == ["ingested"], (path.name, run.stdout[-3000:])
    session = login(stack.netbox_url, *stack.netbox_admin)
    return {life.kind: render(netbox_api, session, stack.netbox_url, life) for life in (maintenance, outage)}


def category(item: TimelineItem) -> str:
    """The plugin's titles (notices/timeline_utils.py), by what wrote them."""
    if item.title.startswith(NOTIFICATION):
        return "notification"
    if item.title.startswith("Impact "):
        return "impact"
    if item.title.endswith(" created"):
        return "creation"
    return "event"  # "Status changed to …", "… updated", "Event times updated", "Event updated"


def per_email(items_oldest_first: list[TimelineItem]) -> tuple[list[list[TimelineItem]], list[TimelineItem]]:
    """The timeline cut after each notification (an email's notification is its last write), and the rest."""
    groups, current = [], []
    for item in items_oldest_first:
        current.append(item)
        if category(item) == "notification":
            groups.append(current)
            current = []
    return groups, current


def json_offences(items: list[TimelineItem]) -> list[str]:
    """One line per timeline item that shows the daemon's bookkeeping, saying what it shows."""
    offences = []
    for item in items:
        found = []
        for change in item.changes:
            if change.name == "Custom Fields" and change.new.startswith("{") and change.new != "{}":
                found.append(f"custom fields {change.new[:120]}")
            elif "{'" in change.text or "[{" in change.text:
                found.append(f"{change.name} holds {change.new[:120]}")
        found += [f"names {word}" for word in BOOKKEEPING if word in item.text]
        if found:
            offences.append(f"{item.title}: " + "; ".join(found))
    return offences


@pytest.mark.parametrize("kind", KINDS)
def test_event_page_shows_one_notification_per_email(rendered, kind):
    event = rendered[kind]
    assert event.status == 200, event.url
    assert "/login/" not in event.url
    assert event.items, f"the timeline of {event.url} is empty"
    assert event.notifications == len(event.life.files)
    # The whole history is on the page: the plugin cuts at 20, and these events stay well below.
    assert event.changelog <= TIMELINE_LIMIT
    assert len(event.items) == event.changelog
    notifications = [i for i in event.oldest_first if category(i) == "notification"]
    received = [i.title.removeprefix(NOTIFICATION) for i in notifications]
    assert received == event.life.subjects


@pytest.mark.parametrize("kind", KINDS)
def test_event_timeline_shows_no_custom_field_json(rendered, kind):
    event = rendered[kind]
    assert event.items, f"the timeline of {event.url} is empty"
    offences = json_offences(event.items)
    assert not offences, f"{len(offences)} timeline lines show ingestor data:\n" + "\n".join(offences)


@pytest.mark.parametrize("kind", KINDS)
def test_event_timeline_has_one_entry_per_real_change(rendered, kind):
    event = rendered[kind]
    emails = len(event.life.files)
    groups, after_last = per_email(event.oldest_first)
    assert len(groups) == emails
    assert after_last == [], "entries after the last email's notification"
    assert category(groups[0][0]) == "creation", "the event's creation is not its first entry"
    for number, group in enumerate(groups, start=1):
        kinds = [category(i) for i in group]
        assert kinds.count("creation") == (number == 1), (number, [i.title for i in group])
        assert kinds.count("event") <= 1, (number, [i.title for i in group])
    impacts = [i.title for i in event.items if category(i) == "impact"]
    assert len(impacts) == len(set(impacts)) == event.impacts, impacts
    assert len(event.items) <= 2 * emails + event.impacts + 1, format_timeline(event.items)
