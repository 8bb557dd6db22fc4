#!/usr/bin/env python3
"""A realistic load for the benchmark: provider emails of many interleaved lifecycles, and their truth.

    python scripts/generate_load.py --count 10000 --seed 1 OUT_DIR

Repeating the shared corpus would be no load for NetBox (every repeat is a duplicate), so this writes
fresh events in the formats our parsers read: maintenances as Zayo, Lumen and Equinix send them (HTML,
read by circuit-maintenance-parser) and as BCOP iCalendar invites from three providers of our own; outages
in the 21 carrier styles of tests/corpus/outages/generate.py, each lifecycle one of that corpus's with a
fresh ticket, circuits and date. A maintenance is scheduled, sometimes rescheduled, sometimes reminded of,
sometimes started, then completed — or cancelled; an outage goes reported/investigating → identified →
resolved as its corpus lifecycle does. Emails of all events interleave in the order they are sent, and
file names sort in that order, so a replay of the folder reads them as a mailbox would have received them.

Emails are written as the clock passes (a heap holds only the planned, unsent emails of open events), so
memory stays flat: 10,000 emails take a few seconds. The same --seed writes the same bytes.

OUT_DIR/manifest.json (written as events are planned; ``load_manifest`` reads it):

    {"seed": 1, "count": 10000,
     "providers": {"zayo": ["OGYX/123456//ZYO", ...], ...},        # NetBox provider slug -> circuit cids
     "events": [{"kind": "maintenance" | "outage", "provider": "zayo", "event_id": "TTN-0012345678",
                 "format": "zayo", "status": "COMPLETED", "start": ISO, "end": ISO or null,
                 "etr": ISO or null (outages), "circuits": {"OGYX/123456//ZYO": "OUTAGE"},
                 "emails": ["20250106T031500Z-zayo-ttn-0012345678-1.eml", ...]}, ...]}

Each event's fields are the state NetBox must hold once all its emails are in (README "What it writes"):
derived from the lifecycle as planned, never from a parser. ``seed_netbox(nb, manifest)`` creates the
providers and circuits, as the integration tests seed theirs.
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import html
import json
import random
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.corpus.outages import generate as outage_corpus  # noqa: E402

MANIFEST = "manifest.json"
# Emails are dated from here on, and never after LAST_EVENT (plus a lifecycle): the parsers hold stamps to
# an email's arrival (its Received header), which may not lie in the future.
FIRST_EVENT = datetime(2025, 1, 6, tzinfo=UTC)
LAST_EVENT = datetime(2026, 8, 1, tzinfo=UTC)
EMAILS_PER_DAY = 30  # a busy NOC mailbox; a larger load is packed closer rather than dated later
MAINTENANCE_SHARE = 0.6  # of events
DATE_RULE_DAYS = 14  # parsers/dateorder.py: an ambiguous date is read within this many days of the email
CUSTOMER = "Example Networks Inc"
RECIPIENT = "noc@example.net"


# -- ids ---------------------------------------------------------------------------------------------


def fill(shape: str, rng: random.Random) -> str:
    """``shape`` with every ``#`` replaced by a random digit."""
    return "".join(str(rng.randrange(10)) if char == "#" else char for char in shape)


def last_digits_shape(value: str) -> str:
    """A corpus circuit id as a shape: its last run of digits becomes ``#``s (SPK-10G-0001: SPK-10G-####)."""
    match = list(re.finditer(r"\d+", value))[-1]
    return value[: match.start()] + "#" * len(match.group()) + value[match.end() :]


def all_digits_shape(value: str) -> str:
    return re.sub(r"\d", "#", value)


class UniqueIds:
    """Fresh ids per provider: an id drawn twice would merge two events (or circuits) into one."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.seen: set[tuple[str, str]] = set()

    def draw(self, provider: str, shape: str) -> str:
        for _ in range(1000):
            value = fill(shape, self.rng)
            if (provider, value.lower()) not in self.seen:
                self.seen.add((provider, value.lower()))
                return value
        raise ValueError(f"shape {shape!r} of {provider} has no fresh id left")


def slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


# -- one email -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parts:
    """What a provider's template writes; ``compose`` makes the email."""

    sender: str
    subject: str
    text: str = ""
    html: str = ""
    calendar: str = ""
    zone: str = "UTC"  # the zone of the Date header


def compose(parts: Parts, sent: datetime, message_id: str) -> bytes:
    """A whole RFC 5322 email, topped by a Received header of our MX: its date is the arrival the parsers
    bound stamps by, so the load parses the same whatever day it is replayed. Built with the classic MIME
    classes (compat32): the modern header machinery would take most of the generator's time."""
    received = format_datetime(sent + timedelta(seconds=7))
    headers = {
        "Received": f"from mail.{domain_of(parts.sender)} by mx.example.net with ESMTPS; {received}",
        "From": parts.sender,
        "To": RECIPIENT,
        "Subject": parts.subject if parts.subject.isascii() else Header(parts.subject, "utf-8").encode(),
        "Date": format_datetime(sent.astimezone(ZoneInfo(parts.zone))),
        "Message-ID": message_id,
    }
    head = "".join(f"{name}: {value}\n" for name, value in headers.items())
    return head.encode() + mime_body(parts, message_id).as_bytes()


def mime_body(parts: Parts, message_id: str) -> Message:
    """The text, HTML and calendar parts the template wrote: one alone, or their multipart/alternative."""
    bodies = [
        MIMEText(content, subtype, UTF8_QP)
        for content, subtype in ((parts.text, "plain"), (parts.html, "html"), (parts.calendar, "calendar"))
        if content
    ]
    for body in bodies:
        if body.get_content_subtype() == "calendar":
            body.set_param("method", "REQUEST")
    if len(bodies) == 1:
        return bodies[0]
    # a boundary of its own, not a random one: the same seed writes the same bytes
    boundary = "=_part_" + hashlib.sha1(message_id.encode()).hexdigest()
    return MIMEMultipart("alternative", boundary, bodies)


UTF8_QP = Charset("utf-8")
UTF8_QP.body_encoding = QP  # quoted-printable, as mailers send mostly-ASCII text


def domain_of(sender: str) -> str:
    return sender.rsplit("@", 1)[1].rstrip(">")


# -- maintenance lifecycles ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One maintenance email as planned: what it states."""

    sent: datetime
    status: str
    start: datetime
    end: datetime
    reminder: bool = False


def plan_maintenance(rng: random.Random, announced: datetime, statuses: frozenset[str]) -> list[Step]:
    """scheduled (sometimes tentative first) -> sometimes rescheduled -> cancelled, or sometimes reminded
    -> sometimes started -> completed. Emails before the window are at least a day apart, so even a
    provider stamping its notices by the day (Zayo) orders them as they were sent."""
    start = night(announced + timedelta(days=rng.randint(14, 35)), rng)
    end = start + timedelta(hours=rng.choice((2, 4, 4, 6, 8)), minutes=-1 if start.minute else 0)
    steps: list[Step] = []
    if "TENTATIVE" in statuses and rng.random() < 0.15:
        steps.append(Step(announced, "TENTATIVE", start, end))
    steps.append(Step(later(steps, announced, rng), "CONFIRMED", start, end))
    for chance in (0.25, 0.08):
        if rng.random() < chance:
            start, end = moved(start, end, rng)
            steps.append(Step(later(steps, announced, rng), "RE-SCHEDULED", start, end))
    if rng.random() < 0.1:
        return [*steps, Step(later(steps, announced, rng), "CANCELLED", start, end)]
    if rng.random() < 0.2:
        reminder = start - timedelta(hours=rng.randint(20, 30))
        steps.append(replace(steps[-1], sent=reminder, reminder=True))
    if "IN-PROCESS" in statuses and rng.random() < 0.5:
        steps.append(Step(start + timedelta(minutes=rng.randint(0, 9)), "IN-PROCESS", start, end))
    return [*steps, Step(end + timedelta(minutes=rng.randint(5, 50)), "COMPLETED", start, end)]


def night(day: datetime, rng: random.Random) -> datetime:
    """A window start in the small hours (UTC), on the hour or a minute past, as providers book them."""
    return day.replace(hour=rng.randint(0, 6), minute=rng.choice((0, 1)), second=0, microsecond=0)


def later(steps: list[Step], first: datetime, rng: random.Random) -> datetime:
    """One to three days after the last email (the first email's time when there is none)."""
    if not steps:
        return first
    return steps[-1].sent + timedelta(days=rng.randint(1, 3), minutes=rng.randint(0, 600))


def moved(start: datetime, end: datetime, rng: random.Random) -> tuple[datetime, datetime]:
    shift = timedelta(days=rng.randint(1, 14), hours=rng.choice((0, 0, 1, -1)))
    return start + shift, end + shift


# -- maintenance templates ------------------------------------------------------------------------------


@dataclass
class Maintenance:
    """One maintenance event: its format, id, circuits and the emails planned for it."""

    fmt: MaintenanceFormat
    event_id: str
    circuits: dict[str, str]  # cid -> impact level, as every email of the event states them
    steps: list[Step]
    summary: str
    place: tuple[str, str]  # (code, name) of where the work is, as the format writes it
    local_zone: tuple[str, str]  # (name the provider writes, IANA zone)

    kind = "maintenance"

    @property
    def provider(self) -> str:
        return self.fmt.provider

    @property
    def format_name(self) -> str:
        return self.fmt.name

    def sent(self) -> list[datetime]:
        return [step.sent for step in self.steps]

    def parts(self, number: int) -> Parts:
        return self.fmt.render(self, self.steps[number - 1], number)

    def truth(self) -> dict:
        last = self.steps[-1]
        return {"status": last.status, "start": iso(last.start), "end": iso(last.end), "etr": None,
                "circuits": dict(self.circuits)}  # fmt: skip


def gmt(moment: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return moment.astimezone(UTC).strftime(fmt)


def local(moment: datetime, zone: str, fmt: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime(fmt)


def table(header: list[str], rows: list[list[str]], attributes: str = 'border="1" cellpadding="4"') -> str:
    head = "".join(f"<th>{cell}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table {attributes}><tr>{head}</tr>{body}</table>"


ZAYO_OFFICIAL = "Zayo Maintenance Notification<br><br>This email serves as official notification that Zayo"
ZAYO_ADVISED = "Dear Zayo Customer,<br><br>Please be advised that the"
ZAYO_WORDING = {
    # status: (subject prefix, opening in bold, whether the email carries the "Date Notice Sent" line)
    "CONFIRMED": ("MAINTENANCE NOTIFICATION", f"{ZAYO_OFFICIAL} and/or one of its providers will be "
                  "performing maintenance on its network as described below. This maintenance may affect "
                  "services you have with us.", True),
    "RE-SCHEDULED": ("RESCHEDULE NOTIFICATION", "Reschedule Notification<br><br>Zayo or one of its providers "
                     "has rescheduled the maintenance listed below. Please make a note of revised dates and "
                     "times.", True),
    "CANCELLED": ("CANCELLED NOTIFICATION", f"{ZAYO_OFFICIAL} and/or one of its providers has cancelled the "
                  "maintenance event listed below.", True),
    "IN-PROCESS": ("START MAINTENANCE NOTIFICATION", f"{ZAYO_ADVISED} below scheduled maintenance activity "
                   "will be commencing momentarily.", False),
    "COMPLETED": ("COMPLETED MAINTENANCE NOTIFICATION", f"{ZAYO_ADVISED} scheduled maintenance window has "
                  "been completed in its entirety for this event.", False),
}  # fmt: skip
ZAYO_IMPACT = {"OUTAGE": "Hard Down - up to 2 hours", "NO-IMPACT": "No Expected Impact"}
ZAYO_FOOTER = (
    "<b>Maintenance Team Contacts: </b><br><br><span>Zayo Global Change Management Team<br>Toll free: "
    "1.866.236.2824<br>United Kingdom Toll Free: 0800.169.1646<br>Email: mr@zayo.com<br>Website: "
    "https://www.zayo.com</span><br><br><i>This communication is the property of Zayo and may contain "
    "confidential or privileged information. If you have received this communication in error, please "
    "promptly notify the sender by reply e-mail and destroy all copies of the communication and any "
    "attachments.</i>"
)


def zayo(event: Maintenance, step: Step, number: int) -> Parts:
    """Zayo's HTML notice: bold labels, the window in the local zone and in GMT, a five-column circuit table;
    the status is in the wording (circuit-maintenance-parser's HtmlParserZayo1)."""
    prefix, opening, dated = ZAYO_WORDING[step.status]
    zone_name, zone = event.local_zone
    window = "{} to {}"
    circuits = event.circuits.items()
    lines = [
        f"<b>{opening}</b><br><br>",
        f"<b>Maintenance Ticket #: </b><span>{event.event_id}</span><br><br>",
        "<b>Urgency: </b><span>Planned</span><br><br>",
        f"<b>Date Notice Sent: </b><span>{gmt(step.sent, '%d-%b-%Y')}</span><br><br>" if dated else "",
        f"<b>Customer: </b><span>{CUSTOMER}</span><br><br>",
        "<b>Maintenance Window </b><br><br><b>1<sup>st</sup> Activity Date </b><br>",
        f"<span>{window.format(*(local(t, zone, '%d-%b-%Y %H:%M') for t in (step.start, step.end)))} "
        f"( {zone_name} )</span><br>",
        f"<span>{window.format(*(gmt(t, '%d-%b-%Y %H:%M') for t in (step.start, step.end)))} ( GMT )</span>"
        "<br><br>",
        f"<b>Location of Maintenance: </b><span>{event.place[1]}</span><br><br>",
        f"<b>Reason for Maintenance: </b><span>{event.summary}</span><br><br>",
        "<b>Circuit(s) Affected: </b><br>",
        table(["Circuit Id", "Expected Impact", "A Location CLLI", "Z Location CLLI", "Legacy Circuit Id"],
              [[cid, ZAYO_IMPACT[level], "DLLSTX37", "SNJSCAJN", ""] for cid, level in circuits]),
        "<br><br>Please contact the Zayo Maintenance Team with any questions regarding this maintenance "
        "event. Please reference the Maintenance Ticket number when calling.<br><br>",
        ZAYO_FOOTER,
    ]  # fmt: skip
    subject = f"[maint-notices] {prefix}***{CUSTOMER}***ZAYO {event.event_id} Planned***"
    return Parts("MR Zayo <mr@zayo.com>", subject, html=f"<div>{''.join(lines)}</div>", zone="America/Denver")


LUMEN_UPDATE = {
    "CONFIRMED": "This maintenance is scheduled.",
    "RE-SCHEDULED": "This maintenance has been postponed to the window below.",
    "IN-PROCESS": "The scheduled maintenance work has begun.",
    "COMPLETED": "The scheduled maintenance window {id}-1 has ended.",
    "CANCELLED": "Please be advised that this maintenance has been cancelled.",
}
LUMEN_STATUS_COLUMN = {"RE-SCHEDULED": "Postponed", "COMPLETED": "Completed", "CANCELLED": "Cancelled"}
LUMEN_FOOTER = (
    '<br><br><a href="https://portal.lumen.example/maintenance">Click here</a> for immediate information on '
    "scheduled maintenances via the Lumen Customer Portal.<br><br>For updates anytime via telephone:<br>"
    "North America: 877-453-8353<br>Europe, Middle East, and Africa: +44 1270 727 126<br><br>The information "
    "in this communication is confidential and may not be disclosed to third parties or shared further "
    "without the express permission of Lumen."
)


def lumen(event: Maintenance, step: Step, number: int) -> Parts:
    """Lumen's HTML notice: the newest update on top (its GMT time is the notice's stamp), the window in GMT
    and locally, a circuit table with a Status column once the work is postponed, done or called off."""
    zone_name, zone = event.local_zone
    update = LUMEN_UPDATE[step.status].format(id=event.event_id)
    status = LUMEN_STATUS_COLUMN.get(step.status)
    header = ["Customer Name", "Circuit ID", "Alt Circuit ID", "Bandwidth", "A Location", "Z Location",
              "Impact Type", "Maximum Duration", "Order Number"] + (["Status"] if status else [])  # fmt: skip
    rows = [
        [CUSTOMER, cid, "N/A", "10 GIG", "DENVER CO USA", event.place[1], "Outage", "2 hours", "&nbsp;"]
        + ([status] if status else [])
        for cid in event.circuits
    ]
    windows = [
        ["Start", "End"],
        [f"{gmt(t)} GMT (Greenwich Mean Time)" for t in (step.start, step.end)],
        [local(t, zone, f"%Y-%m-%d %H:%M %Z ({zone_name})") for t in (step.start, step.end)],
    ]
    body = (
        '<html><body><div><br>&nbsp;&nbsp;<img alt="Lumen" src="cid:logo"></div><br>'
        f'<span class="bodyHeading">Scheduled Maintenance #: {event.event_id}</span>'
        '<span class="bodyHeading"><br><br>Summary:</span><br><br>'
        f"{event.summary}<br><br><b>Lumen would like to apologize for any inconvenience caused by this "
        "maintenance</b>.<br><br>"
        f'<span class="bodyHeading">Updates:</span><br><br>{gmt(step.sent, "%Y-%m-%d %H:%M:%S")} GMT - '
        f"{update}<br><br>"
        '<span class="bodyHeading">Customer Impact:</span><br><br>'
        f'<p><span class="windowLabel">{event.event_id}-1</span><br>{plain_table(windows)}<br><br>'
        f'<span class="windowLabel">Maintenance Location(s): </span>{event.place[1]}<br></p>'
        f'<div class="impactMatrix">{plain_table([header, *rows])}</div>{LUMEN_FOOTER}</body></html>'
    )
    return Parts("Lumen SMC <smc@lumen.com>", "Scheduled Maintenance Window", html=body)


def plain_table(rows: list[list[str]]) -> str:
    """A table of plain cells (Lumen's, where the header is a row of ordinary cells too)."""
    cells = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table border="1" cellspacing="0" cellpadding="5">{cells}</table>'


EQUINIX_IMPACT = {
    "OUTAGE": "There will be service interruptions",
    "REDUCED-REDUNDANCY": "Loss of redundancy to your service",
    "NO-IMPACT": "No impact to your service",
}
EQUINIX_SUBJECT = {
    # The library reads the status from the subject; a cancellation must not say "scheduled".
    "CONFIRMED": "Scheduled Software Upgrade - {metro} Metro Area Network Maintenance",
    "RE-SCHEDULED": "RESCHEDULED - Scheduled Software Upgrade - {metro} Metro Area Network Maintenance",
    "COMPLETED": "COMPLETED - Scheduled Software Upgrade - {metro} Metro Area Network Maintenance",
    "CANCELLED": "CANCELLED - Software Upgrade - {metro} Metro Area Network Maintenance",
}
SPAN = "%d-%b-%Y"


def equinix(event: Maintenance, step: Step, number: int) -> Parts:
    """Equinix's HTML notice: the status in the subject, the window as "UTC:" weekday and day (the year from
    the SPAN line), one impact sentence for every circuit, an "Account #" table of service serials."""
    [impact] = set(event.circuits.values())
    span = f"{gmt(step.start, SPAN).upper()} - {gmt(step.end, SPAN).upper()}"
    utc = " - ".join(gmt(t, "%A, %d %b %H:%M").upper() for t in (step.start, step.end))
    rows = [["553311", "Equinix Fabric", f"{event.place[0]}5", cid] for cid in event.circuits]
    body = (
        "<html><body><span>Dear Equinix Customers,</span><br><br>"
        f"<span><strong>DATE:</strong> {span}</span><br><span><br><b>SPAN: {span}</b><br><br>"
        f"<b>UTC: </b>{utc}<br></span><br>"
        f"<span><strong>LOCATION:</strong> {event.place[0]}5, {event.place[0]}6</span><br><br>"
        f"<span><strong>DESCRIPTION:</strong> {event.summary}</span><br><br>"
        f"<span><strong>IMPACT:</strong> {EQUINIX_IMPACT[impact]}</span><br><br>"
        "<span><strong>Impacted Assets</strong></span><br>"
        f"{table(['Account #', 'Product', 'IBX', 'Service Serial #'], rows)}<br>"
        "<span>Equinix is available to answer questions, provide up-to-date status information or additional "
        f"details regarding the maintenance. Please reference {event.event_id}.</span></body></html>"
    )
    prefix = "REMINDER - " if step.reminder else ""
    subject = f"{prefix}{EQUINIX_SUBJECT[step.status].format(metro=event.place[0])} - " \
              f"{gmt(step.start, SPAN).upper()} [{event.event_id}]"  # fmt: skip
    text = html_to_plain(body)
    return Parts("Equinix Network Maintenance <no-reply@equinix.com>", subject, text=text, html=body,
                 zone="America/Los_Angeles")  # fmt: skip


def html_to_plain(body: str) -> str:
    """The text/plain alternative a mailer writes from the HTML."""
    return html.unescape(re.sub(r"<br>|</tr>|</p>", "\n", re.sub(r"<(?!br>|/tr>|/p>)[^>]+>", " ", body)))


@dataclass(frozen=True)
class BcopProvider:
    name: str
    domain: str


def bcop(event: Maintenance, step: Step, number: int) -> Parts:
    """A BCOP maintenance invite (genericprovider): status, per-circuit impact and a SEQUENCE that grows with
    each update; the provider is the one the invite names."""
    provider: BcopProvider = event.fmt.extra
    worst = max(event.circuits.values(), key=IMPACT_ORDER.index)
    objects = [f"X-MAINTNOTE-OBJECT-ID;X-MAINTNOTE-OBJECT-IMPACT={impact}:{cid}"
               for cid, impact in event.circuits.items()]  # fmt: skip
    stamp = "%Y%m%dT%H%M%SZ"
    calendar = "\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:-//{provider.name}//Maintenance Notifications//EN",
        "METHOD:REQUEST", "BEGIN:VEVENT", f"SUMMARY:{event.summary[:60]}",
        f"DTSTART;VALUE=DATE-TIME:{gmt(step.start, stamp)}", f"DTEND;VALUE=DATE-TIME:{gmt(step.end, stamp)}",
        f"DTSTAMP;VALUE=DATE-TIME:{gmt(step.sent, stamp)}", f"UID:{slug(event.event_id)}@{provider.domain}",
        f"SEQUENCE:{number}", f"X-MAINTNOTE-PROVIDER:{provider.name}", f"X-MAINTNOTE-ACCOUNT:{CUSTOMER}",
        f"X-MAINTNOTE-MAINTENANCE-ID:{event.event_id}", *objects, f"X-MAINTNOTE-IMPACT:{worst}",
        f"X-MAINTNOTE-STATUS:{step.status}",
        f'ORGANIZER;CN="{provider.name} NOC":mailto:noc@{provider.domain}',
        "END:VEVENT", "END:VCALENDAR", "",
    ])  # fmt: skip
    text = (
        f"Dear customer,\n\n{provider.name} maintenance {event.event_id} is now {step.status.lower()}.\n"
        f"Window: {gmt(step.start)} - {gmt(step.end)} UTC\n{event.summary}\n\n"
        "Circuits:\n"
        + "".join(f"  {cid} ({impact})\n" for cid, impact in event.circuits.items())
        + f"\nThe attached invite carries the details.\n\n{provider.name} NOC\n"
    )
    sender = f"{provider.name} NOC <noc@{provider.domain}>"
    return Parts(sender, f"[{provider.name}] Maintenance {event.event_id}: {step.status}", text=text,
                 calendar=calendar)  # fmt: skip


IMPACT_ORDER = ["NO-IMPACT", "REDUCED-REDUNDANCY", "DEGRADED", "OUTAGE"]
ALL_STATUSES = frozenset({"TENTATIVE", "CONFIRMED", "RE-SCHEDULED", "IN-PROCESS", "COMPLETED", "CANCELLED"})


@dataclass(frozen=True)
class MaintenanceFormat:
    """A provider's maintenance template and what it can say: statuses, impact levels, ids, circuits."""

    name: str
    provider: str  # NetBox provider slug (the parser's provider name)
    render: Callable[[Maintenance, Step, int], Parts]
    statuses: frozenset[str]
    impacts: tuple[str, ...]
    event_id: str  # shape
    circuits: tuple[str, ...]  # shapes
    weight: int
    one_impact: bool = False  # one level for all circuits (Equinix states one sentence)
    extra: object = None


BCOP_PROVIDERS = (
    BcopProvider("Northwind Fiber", "northwind-fiber.example"),
    BcopProvider("Contoso Transit", "contoso-transit.example"),
    BcopProvider("Tailspin Networks", "tailspin-networks.example"),
)
MAINTENANCE_FORMATS = (
    MaintenanceFormat("zayo", "zayo", zayo, ALL_STATUSES - {"TENTATIVE"}, ("OUTAGE", "NO-IMPACT"),
                      "TTN-00########", ("OGYX/######//ZYO", "IPYX/######//ZYO"), 4),
    MaintenanceFormat("lumen", "lumen", lumen, ALL_STATUSES - {"TENTATIVE"}, ("OUTAGE",), "########",
                      ("#########",), 4),
    MaintenanceFormat("equinix", "equinix", equinix, ALL_STATUSES - {"TENTATIVE", "IN-PROCESS"},
                      ("OUTAGE", "REDUCED-REDUNDANCY", "NO-IMPACT"), "CHG#######", ("########-A", "EC####.1"),
                      3, one_impact=True),
    *(MaintenanceFormat(f"bcop-{slug(p.name)}", slug(p.name), bcop, ALL_STATUSES, tuple(IMPACT_ORDER),
                        f"{p.name[:3].upper()}-MW-######", (f"{p.name[:3].upper()}-WAVE-#####",), 1, extra=p)
      for p in BCOP_PROVIDERS),
)  # fmt: skip
PLACES = (("AM", "Amsterdam"), ("SV", "San Jose, CA"), ("DC", "Ashburn, VA"), ("LD", "London"),
          ("FR", "Frankfurt"), ("CH", "Chicago, IL"), ("DA", "Dallas, TX"))  # fmt: skip
US_ZONES = (("Eastern", "America/New_York"), ("Central", "America/Chicago"), ("Mountain", "America/Denver"),
            ("Pacific", "America/Los_Angeles"))  # fmt: skip
REASONS = (
    "Planned software upgrade of a core router to improve network reliability.",
    "Fiber relocation required by a third-party road construction project.",
    "Replacement of a faulty line card in the regional aggregation node.",
    "Splice work on a damaged fiber bundle to restore full redundancy.",
    "Optical amplifier replacement on the long-haul route.",
    "Emergency power system maintenance at the point of presence.",
)


def new_maintenance(fmt: MaintenanceFormat, announced: datetime, world: World) -> Maintenance:
    rng = world.rng
    cids = world.pick_circuits(fmt.provider, rng.choice((1, 1, 2, 2, 3, 4)))
    level = rng.choice(fmt.impacts)
    circuits = {cid: level if fmt.one_impact else rng.choice(fmt.impacts) for cid in cids}
    return Maintenance(
        fmt=fmt,
        event_id=world.ids.draw(fmt.provider, fmt.event_id),
        circuits=circuits,
        steps=plan_maintenance(rng, announced, fmt.statuses),
        summary=rng.choice(REASONS),
        place=rng.choice(PLACES),
        local_zone=rng.choice(US_ZONES),
    )


# -- outage lifecycles (tests/corpus/outages) ----------------------------------------------------------------

# Where each zone abbreviation of the outage corpus keeps its clocks, to pick the right one for the season.
SEASON_ZONES = {
    "EST": "America/New_York", "EDT": "America/New_York", "CST": "America/Chicago", "CDT": "America/Chicago",
    "CET": "Europe/Berlin", "CEST": "Europe/Berlin", "AEST": "Australia/Sydney", "AEDT": "Australia/Sydney",
}  # fmt: skip


@dataclass
class Outage:
    """One outage: a lifecycle of the outage corpus with a fresh ticket, circuits and start."""

    life: outage_corpus.Lifecycle
    provider: str
    ticket_format: str
    steps: list[outage_corpus.Step] = field(init=False)

    kind = "outage"

    def __post_init__(self) -> None:
        self.steps = list(self.life.steps)

    @property
    def event_id(self) -> str:
        return self.ticket_format.format(self.life.ticket)

    @property
    def format_name(self) -> str:
        return f"outage-{self.life.style}"

    def sent(self) -> list[datetime]:
        return [self.life.start + timedelta(minutes=step.at) for step in self.steps]

    def parts(self, number: int) -> Parts:
        view = outage_corpus.view_of(self.life, self.steps[number - 1], number)
        sender, subject, text, body = outage_corpus.STYLES[self.life.style][0](view)
        return Parts(sender, subject, text=text, html=body)

    def truth(self) -> dict:
        life = replace(self.life, steps=self.steps)
        state = outage_corpus.expected_states(life)[-1]
        circuits = dict.fromkeys(state["circuits"], "OUTAGE")
        return {"status": state["status"], "start": state["start"], "end": state["end"], "etr": state["etr"],
                "circuits": circuits}  # fmt: skip


def outage_templates() -> dict[str, list[outage_corpus.Lifecycle]]:
    """The outage corpus's lifecycles by carrier style: the step patterns and zones each style writes."""
    styles: dict[str, list[outage_corpus.Lifecycle]] = {}
    for life in outage_corpus.LIFECYCLES:
        styles.setdefault(life.style, []).append(life)
    return styles


def season_zone(templates: list[outage_corpus.Lifecycle], start: datetime) -> outage_corpus.Zone:
    """Of the zones a style's lifecycles use, the one its clocks show at ``start`` (EST in winter, EDT in
    summer); a style that writes one zone all year keeps it."""
    zones = {life.zone.name: life.zone for life in templates}
    for zone in zones.values():
        iana = SEASON_ZONES.get(zone.name)
        if iana and start.astimezone(ZoneInfo(iana)).tzname() == zone.name:
            return zone
    return templates[0].zone


def unambiguous_steps(steps: list[outage_corpus.Step], start: datetime) -> list[outage_corpus.Step]:
    """The steps, less a late reason-for-outage report when the start's day of month could be a month: read
    three weeks later, 02/03 is legitimately 2 March by the rule that prefers a reading within 14 days of
    the email (parsers/dateorder.py), which no truth planned here could promise."""
    if start.day > 12:
        return list(steps)
    return [step for step in steps if step.at < DATE_RULE_DAYS * 24 * 60]


def new_outage(style: str, first_email: datetime, world: World) -> Outage:
    rng = world.rng
    templates = world.outage_styles[style]
    template = rng.choice(templates)
    provider, ticket_format = outage_corpus.STYLES[style][2], outage_corpus.STYLES[style][3]
    start = first_email - timedelta(minutes=template.steps[0].at)
    life = replace(
        template,
        steps=unambiguous_steps(template.steps, start),
        ticket=world.ids.draw(provider, all_digits_shape(template.ticket)),
        circuits=world.pick_circuits(provider, len(template.circuits)),
        start=start,
        zone=season_zone(templates, start),
    )
    return Outage(life, provider, ticket_format)


# -- the world: providers, circuits, events in time ------------------------------------------------------

Event = Maintenance | Outage


class World:
    """Providers with their circuits, and a stream of events in the order of their first email."""

    def __init__(self, rng: random.Random, circuits_per_provider: int):
        self.rng = rng
        self.ids = UniqueIds(rng)
        self.outage_styles = outage_templates()
        self.circuits = self._circuit_pools(circuits_per_provider)

    def _circuit_pools(self, size: int) -> dict[str, list[str]]:
        """Each provider's circuits, in the shapes its formats write them (Zayo's maintenance and outage
        notices name one pool)."""
        shapes: dict[str, list[str]] = {}
        for fmt in MAINTENANCE_FORMATS:
            shapes.setdefault(fmt.provider, []).extend(fmt.circuits)
        for style, lives in sorted(self.outage_styles.items()):
            provider = outage_corpus.STYLES[style][2]
            found = shapes.setdefault(provider, [])
            found.extend(
                s for s in (last_digits_shape(c) for life in lives for c in life.circuits) if s not in found
            )
        return {
            provider: [self.ids.draw(f"{provider}/circuit", kinds[i % len(kinds)]) for i in range(size)]
            for provider, kinds in sorted(shapes.items())
        }

    def pick_circuits(self, provider: str, count: int) -> list[str]:
        return self.rng.sample(self.circuits[provider], count)

    def events(self, count: int) -> Iterator[Event]:
        """Events whose first emails are a Poisson process, spaced so ``count`` emails (about three an event)
        fit between FIRST_EVENT and LAST_EVENT."""
        days = min(max(count / EMAILS_PER_DAY, 1.0), (LAST_EVENT - FIRST_EVENT).days)
        mean_gap = days * 86400 / (count / 3)
        clock = FIRST_EVENT
        maintenance_weights = [fmt.weight for fmt in MAINTENANCE_FORMATS]
        styles = sorted(self.outage_styles)
        while True:
            # whole minutes: outage notices write their times to the minute
            clock += timedelta(minutes=round(self.rng.expovariate(1 / mean_gap) / 60))
            if self.rng.random() < MAINTENANCE_SHARE:
                fmt = self.rng.choices(MAINTENANCE_FORMATS, maintenance_weights)[0]
                yield new_maintenance(fmt, clock, self)
            else:
                yield new_outage(self.rng.choice(styles), clock, self)


# -- writing ---------------------------------------------------------------------------------------------


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def file_name(event: Event, number: int, sent: datetime) -> str:
    """Sorts in the order the emails were sent; names the provider, event and email."""
    return f"{sent.astimezone(UTC):%Y%m%dT%H%M%SZ}-{event.provider}-{slug(event.event_id)}-{number}.eml"


def manifest_entry(event: Event, files: list[str]) -> dict:
    return {"kind": event.kind, "provider": event.provider, "event_id": event.event_id,
            "format": event.format_name, **event.truth(), "emails": files}  # fmt: skip


class ManifestWriter:
    """manifest.json written as events are planned: a 100,000-email load never holds its truth in memory."""

    def __init__(self, path: Path, header: dict):
        self.file = path.open("w")
        head = json.dumps(header, indent=1)[:-2]  # without the closing "\n}"
        self.file.write(head + ',\n "events": [')
        self.first = True

    def add(self, entry: dict) -> None:
        self.file.write(("\n  " if self.first else ",\n  ") + json.dumps(entry))
        self.first = False

    def close(self) -> None:
        self.file.write("\n ]\n}\n")
        self.file.close()


@dataclass(order=True)
class Pending:
    sent: datetime
    name: str
    event: Event = field(compare=False)
    number: int = field(compare=False)


def generate(out_dir: Path, count: int, seed: int = 1, circuits_per_provider: int = 20) -> dict:
    """Write ``count`` emails and manifest.json into ``out_dir``; a summary (emails, events by format)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    world = World(random.Random(seed), circuits_per_provider)
    manifest = ManifestWriter(out_dir / MANIFEST, {"seed": seed, "count": count, "providers": world.circuits})
    pending: list[Pending] = []
    planned = 0
    formats: dict[str, int] = {}
    events = world.events(count)
    while planned < count:
        event = next(events)
        first = min(event.sent())
        while pending and pending[0].sent < first:
            write_email(out_dir, heapq.heappop(pending))
        event.steps = event.steps[: count - planned]
        files = [file_name(event, n, sent) for n, sent in enumerate(event.sent(), start=1)]
        manifest.add(manifest_entry(event, files))
        for number, (name, sent) in enumerate(zip(files, event.sent(), strict=True), start=1):
            heapq.heappush(pending, Pending(sent, name, event, number))
        planned += len(files)
        formats[event.format_name] = formats.get(event.format_name, 0) + 1
    while pending:
        write_email(out_dir, heapq.heappop(pending))
    manifest.close()
    return {"emails": planned, "events": sum(formats.values()), "formats": dict(sorted(formats.items()))}


def write_email(out_dir: Path, item: Pending) -> None:
    event = item.event
    message_id = (
        f"<{item.sent:%Y%m%d%H%M%S}.{slug(event.event_id)}.{item.number}@{event.provider}.load.invalid>"
    )
    (out_dir / item.name).write_bytes(compose(event.parts(item.number), item.sent, message_id))


# -- using a load ------------------------------------------------------------------------------------------


def load_manifest(out_dir: Path) -> dict:
    return json.loads((Path(out_dir) / MANIFEST).read_text())


def manifest_circuits(manifest: dict) -> dict[str, set[str]]:
    """NetBox provider slug -> the circuit cids that must exist for every email's impacts to be linked."""
    return {provider: set(cids) for provider, cids in manifest["providers"].items()}


STATE_FIELDS = ("status", "start", "end", "etr", "circuits")


def to_epoch(value: datetime | str | int | None) -> int | None:
    """Epoch seconds of an aware datetime, an ISO 8601 string ("Z" or an offset) or epoch seconds."""
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return round(value.timestamp()) if value else None


def state(status: str | None, start, end, etr, circuits: dict[str, str]) -> dict:
    """An event's state in the terms both sides of a comparison use: instants as epoch seconds."""
    return {"status": status, "start": to_epoch(start), "end": to_epoch(end), "etr": to_epoch(etr),
            "circuits": dict(circuits)}  # fmt: skip


def expected_state(entry: dict) -> dict:
    return state(*(entry[name] for name in STATE_FIELDS))


def event_key(entry: dict) -> tuple[str, str, str]:
    return entry["kind"], entry["provider"], entry["event_id"]


def state_mismatches(events: list[dict], observed: dict[tuple[str, str, str], dict]) -> list[str]:
    """One line per manifest event whose observed state (``state()``, by ``event_key``; from NetBox or from
    a fold of the parsed notices) is not its truth, naming the fields that differ."""
    problems = []
    for entry in events:
        want, got = expected_state(entry), observed.get(event_key(entry))
        if got is None:
            problems.append(f"{'/'.join(event_key(entry))}: missing")
            continue
        wrong = [
            f"{name} {got[name]!r} != {want[name]!r}" for name in STATE_FIELDS if got[name] != want[name]
        ]
        if wrong:
            problems.append(f"{'/'.join(event_key(entry))}: " + "; ".join(wrong))
    return problems


def seed_netbox(nb, manifest: dict) -> None:
    """Create the load's providers and circuits in NetBox (pynetbox api ``nb``), as the integration tests
    seed theirs (tests/integration/helpers.py: provider name and slug = the parser's provider name)."""
    from tests.integration.helpers import seed_providers

    seed_providers(nb, manifest_circuits(manifest))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    parser.add_argument("--count", type=int, default=1000, help="emails to write (default 1000)")
    parser.add_argument("--seed", type=int, default=1, help="the same seed writes the same bytes (default 1)")
    parser.add_argument("--circuits-per-provider", type=int, default=20)
    args = parser.parse_args(argv)
    if args.out_dir.exists() and any(args.out_dir.glob("*.eml")):
        parser.error(f"{args.out_dir} already holds .eml files; give an empty or new folder")
    started = time.perf_counter()
    summary = generate(args.out_dir, args.count, args.seed, args.circuits_per_provider)
    elapsed = time.perf_counter() - started
    print(f"{summary['emails']} emails of {summary['events']} events in {args.out_dir} ({elapsed:.1f} s)")
    print("events by format: " + ", ".join(f"{name} {n}" for name, n in summary["formats"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
