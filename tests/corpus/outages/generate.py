"""Writes the outage corpus of this directory: one folder per lifecycle, its emails and expected.json.

Each carrier style below writes a notice the way that carrier's NOC does (plain text with colons, dot
leaders, HTML tables, its date format, zone and wording); each lifecycle states the truth (UTC instants,
the status each email means) and the expected state after each email is derived from that truth and the
rules of README "Outages" — never from the parser. Ticket numbers and circuit ids are fictional.

Run ``python tests/corpus/outages/generate.py`` after changing it; the emails are committed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Zone:
    name: str
    hours: float

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(timezone(timedelta(hours=self.hours)))


@dataclass
class Step:
    at: int  # minutes after the start when the email is sent
    status: str | None  # the plugin status the email means (None: it states none)
    word: str | None = None  # the status wording in the body (None: no status line)
    subject_word: str | None = None  # the status wording in the subject
    start: bool = True  # the email states the start
    etr: int | None = None  # minutes after start of the ETR the email states
    end: int | None = None  # minutes after start of the end the email states
    circuits: bool = True  # the email lists the circuits
    note: str = ""  # a sentence of prose


@dataclass
class Lifecycle:
    style: str
    ticket: str
    circuits: list[str]
    start: datetime
    zone: Zone
    steps: list[Step]
    summary: str = "Fibre cut between two PoPs."
    restoration_label_is_end: bool = False  # the resolved email gives the end under the ETR label
    etr_as: str = "date"  # how the ETR is written: "date", "time" (a clock time only), "duration" (hours)


@dataclass
class View:
    """What one email states, as the carrier writes it."""

    life: Lifecycle
    step: Step
    number: int
    fmt: Callable[[datetime], str]
    start: str | None = None
    etr: str | None = None
    end: str | None = None
    circuits: list[str] = field(default_factory=list)

    @property
    def ticket(self) -> str:
        return self.life.ticket

    def subject_tail(self) -> str:
        return f" - {self.step.subject_word}" if self.step.subject_word else ""


# --- date formats ---


def us12(zone: Zone) -> Callable[[datetime], str]:
    return lambda t: zone.local(t).strftime("%m/%d/%Y %I:%M %p ") + zone.name


def us12_short(zone: Zone) -> Callable[[datetime], str]:
    def fmt(t: datetime) -> str:
        local = zone.local(t)
        return f"{local.month}/{local.day}/{local.year} {local.strftime('%I:%M %p').lstrip('0')} {zone.name}"

    return fmt


def dotted(zone: Zone) -> Callable[[datetime], str]:
    return lambda t: zone.local(t).strftime("%d.%m.%Y %H:%M ") + zone.name


def slashed_dmy(zone: Zone, named: bool = True) -> Callable[[datetime], str]:
    return lambda t: zone.local(t).strftime("%d/%m/%Y %H:%M") + (f" {zone.name}" if named else "")


def slashed_dmy_12(zone: Zone) -> Callable[[datetime], str]:
    return lambda t: zone.local(t).strftime("%d/%m/%Y %I:%M %p ") + zone.name


def dmon(zone: Zone) -> Callable[[datetime], str]:
    return lambda t: zone.local(t).strftime("%d-%b-%Y %H:%M ") + zone.name


def weekday_month(zone: Zone) -> Callable[[datetime], str]:
    def fmt(t: datetime) -> str:
        local = zone.local(t)
        return f"{local.strftime('%a %b')} {local.day} {local.year} {local.strftime('%H:%M')} {zone.name}"

    return fmt


def iso_offset(zone: Zone) -> Callable[[datetime], str]:
    return lambda t: zone.local(t).isoformat(timespec="seconds")


def iso_plain(zone: Zone) -> Callable[[datetime], str]:
    return lambda t: zone.local(t).strftime("%Y-%m-%d %H:%M")


def long_date(zone: Zone) -> Callable[[datetime], str]:
    def fmt(t: datetime) -> str:
        local = zone.local(t)
        return f"{local.day} {local.strftime('%B %Y %H:%M')} {zone.name}"

    return fmt


def day_month(zone: Zone) -> Callable[[datetime], str]:
    return lambda t: zone.local(t).strftime("%d %b %Y %H:%M")


def iso_named(zone: Zone) -> Callable[[datetime], str]:
    return lambda t: zone.local(t).strftime("%Y-%m-%d %H:%M ") + zone.name


def slashed_unnamed(zone: Zone) -> Callable[[datetime], str]:
    return slashed_dmy(zone, named=False)


# --- carrier styles: (sender, subject, body) ---

Rendered = tuple[str, str, str, str]  # sender, subject, text/plain body or "", text/html body or ""

GREETING = "Dear Customer,\n\n"


def listed(label: str, indent: str = "", blank: bool = False) -> Callable[[View], str]:
    """Circuits one per line under their label (after a blank line with ``blank``)."""

    def block(v: View) -> str:
        lines = "".join(f"{indent}{c}\n" for c in v.circuits)
        gap = "\n" if blank else ""
        return f"{label}\n{gap}{lines}\n" if v.circuits else ""

    return block


def inline(label: str, joiner: str) -> Callable[[View], str]:
    """Circuits on their label's line."""
    return lambda v: f"{label}{joiner.join(v.circuits)}\n" if v.circuits else ""


def plain(v: View, intro: str, rows: list[tuple[str, str | None]], circuits: Callable[[View], str], sign: str,
          greeting: str = GREETING) -> str:  # fmt: skip
    """A plain-text notice: greeting, intro, "Label: value" lines (the ones the email states), circuits,
    the step's note and the NOC's signature."""
    lines = "".join(f"{label}{value}\n" for label, value in rows if value)
    return f"{greeting}{intro}\n\n{lines}{circuits(v)}\n{v.step.note}\n\n{sign}\n"


def zayo(v: View) -> Rendered:
    body = plain(v, "Zayo is aware of a service-affecting incident impacting your services.", [
        ("Trouble Ticket Number: ", f"TTN-{v.ticket}"), ("Incident Status: ", v.step.word),
        ("Incident Start: ", v.start), ("Estimated Time to Restore: ", v.etr), ("Service Restored: ", v.end),
        ("Description: ", v.life.summary),
    ], listed("Impacted Circuits:", "  "), "Zayo Network Control Center\n1-866-236-2824")  # fmt: skip
    subject = f"Zayo Incident Notification - TTN-{v.ticket}{v.subject_tail()}"
    return "Zayo NCC <ncc@zayo.com>", subject, body, ""


def cogent(v: View) -> Rendered:
    body = plain(v, "Cogent has opened a trouble ticket for an outage affecting your service.", [
        ("Trouble Ticket: ", f"HD{v.ticket}"), ("Time of occurrence: ", v.start), ("Update: ", v.step.word),
        ("Estimated time to repair: ", v.etr), ("Service restored at: ", v.end),
    ], inline("Circuit ID(s): ", ", "), "Cogent Communications NOC\nsupport@cogentco.com")  # fmt: skip
    return "Cogent Support <support@cogentco.com>", f"Cogent Outage HD{v.ticket}{v.subject_tail()}", body, ""


def colt(v: View) -> Rendered:
    body = plain(v, "Colt has detected a fault affecting the services listed below.", [
        ("Incident Number: ", v.ticket), ("Status: ", v.step.word), ("Time of occurrence: ", v.start),
        ("Estimated time to restore: ", v.etr), ("Clear time: ", v.end),
    ], inline("Circuit ID(s): ", "; "), "Kind regards,\nColt Service Operations Centre")  # fmt: skip
    subject = f"Colt Incident {v.ticket}: fault notification{v.subject_tail()}"
    return "Colt NOC <noc@colt.net>", subject, body, ""


def telekom(v: View) -> Rendered:
    body = plain(v, "we inform you about a disturbance in our network.", [
        ("Ticket-ID: ", f"DTAG-{v.ticket}"), ("Status: ", v.step.word), ("Start time: ", v.start),
        ("Expected restoration time: ", v.etr), ("Restored: ", v.end),
    ], listed("Affected services:", "- "), "All times are UTC.\n\nDeutsche Telekom Global Carrier NOC",
        greeting="Sehr geehrte Kundin, sehr geehrter Kunde / Dear customer,\n\n")  # fmt: skip
    subject = f"Disturbance notification DTAG-{v.ticket}{v.subject_tail()}"
    return "DTAG GC NOC <gc-noc@telekom.de>", subject, body, ""


def ntt(v: View) -> Rendered:
    body = plain(v, "NTT Global IP Network: trouble notification.", [
        ("Trouble Ticket: ", f"NTT-{v.ticket}"), ("Status: ", v.step.word), ("Occurred At: ", v.start),
        ("ETTR: ", v.etr), ("Recovered At: ", v.end),
    ], listed("Service IDs:"), "NTT Communications NOC (Tokyo)")  # fmt: skip
    return "NTT NOC <noc@ntt.net>", f"[NTT] Trouble Notification NTT-{v.ticket}{v.subject_tail()}", body, ""


def tata(v: View) -> Rendered:
    body = plain(v, "This is to inform you about an unplanned outage on your services.", [
        ("Trouble Ticket No : ", v.ticket), ("Ticket Status : ", v.step.word),
        ("Fault Start Time : ", v.start), ("Estimated Time to Restore : ", v.etr),
        ("Fault Clear Time : ", v.end),
    ], listed("Impacted Services :"), "Regards,\nTata Communications Customer Service Centre")  # fmt: skip
    subject = f"Unplanned Outage - Trouble Ticket {v.ticket}{v.subject_tail()}"
    return "TCL CSC <csc@tatacommunications.com>", subject, body, ""


def hgc(v: View) -> Rendered:
    body = plain(v, "HGC Global Communications - service incident.", [
        ("Case ID: ", v.ticket), ("Case Status: ", v.step.word), ("Service Impact Start: ", v.start),
        ("Expected Resolution: ", v.etr), ("Service Restored: ", v.end),
    ], listed("Affected Circuits:", blank=True), "HGC Network Operation Centre")  # fmt: skip
    return "HGC NOC <noc@hgc.com.hk>", f"HGC Service Incident Case {v.ticket}{v.subject_tail()}", body, ""


def telstra(v: View) -> Rendered:
    body = plain(v, "Telstra International is managing an incident on your service.", [
        ("Case ID: ", v.ticket), ("Current Status: ", v.step.word), ("Incident start: ", v.start),
        ("ETTR: ", v.etr), ("Resolved: ", v.end),
    ], inline("Impacted services: ", " | "), "Telstra International NOC")  # fmt: skip
    return "Telstra NOC <gnoc@team.telstra.com>", f"Telstra Incident {v.ticket}{v.subject_tail()}", body, ""


def vodafone(v: View) -> Rendered:
    body = plain(v, "Vodafone Carrier Services - Incident Notification", [
        ("Incident Reference: ", f"VF-{v.ticket}"), ("Incident Status: ", v.step.word),
        ("Incident Start (GMT): ", v.start), ("Estimated Time to Repair (GMT): ", v.etr),
        ("Clear Time (GMT): ", v.end),
    ], inline("Affected Circuits: ", ", "), "Vodafone Carrier Services NOC")  # fmt: skip
    return "Vodafone CS NOC <cs.noc@vodafone.co.uk>", f"Incident VF-{v.ticket}{v.subject_tail()}", body, ""


def crowncastle(v: View) -> Rendered:
    body = plain(v, "Crown Castle Fiber NOC outage notification.", [
        ("Incident Number: ", v.ticket), ("Incident Start Time: ", v.start), ("ETR: ", v.etr),
        ("Incident End Time: ", v.end),
    ], listed("Circuits Impacted:"), "Crown Castle Fiber NOC")  # fmt: skip
    subject = f"Crown Castle Fiber Outage - Incident {v.ticket}{v.subject_tail()}"
    return "Crown Castle NOC <fiber.noc@crowncastle.com>", subject, body, ""


def html_table(rows: list[tuple[str, str | None]], intro: str, outro: str, separator: bool = False) -> str:
    cells = []
    for label, value in rows:
        if value is None:
            continue
        middle = "<td>:</td>" if separator else ""
        cells.append(f'<tr><td style="font-weight:bold">{label}</td>{middle}<td>{value}</td></tr>')
    return (
        "<html><body>"
        f'<p>{intro}</p><table border="1" cellpadding="4">{"".join(cells)}</table><p>{outro}</p>'
        "</body></html>"
    )


def stated(v: View, joiner: str) -> tuple[str | None, ...]:
    """What the email states, in the order every carrier below lists it: ticket, status, start, ETR,
    end, circuits, summary."""
    circuits = joiner.join(v.circuits) or None
    return (v.ticket, v.step.word, v.start, v.etr, v.end, circuits, v.life.summary)


def html_notice(
    v: View, labels: tuple[str | None, ...], intro: str, outro: str, separator: bool = False
) -> str:
    rows = [(label, value) for label, value in zip(labels, stated(v, "<br>"), strict=True) if label]
    return html_table(rows, intro, outro, separator)


def dotted_notice(
    v: View, labels: tuple[str | None, ...], width: int, colon: str, joiner: str, before: str = ""
) -> str:
    """Label, ``before``, dot leaders up to ``width``, ``colon``, value: one line per stated value."""
    lines = [
        f"{label}{before}{'.' * (width - len(label))}{colon}{value}\n"
        for label, value in zip(labels, stated(v, joiner), strict=True)
        if label and value
    ]
    return "".join(lines)


def lumen(v: View) -> Rendered:
    html = html_notice(v, (
        "Ticket Number", "Status", "Event Start Time (GMT)", "Estimated Restoral Time (GMT)",
        "Event Clear Time (GMT)", "Affected Circuits", "Event Summary",
    ), "Lumen is currently experiencing a network event that may impact your service.",
        f"{v.step.note} Lumen Network Operations. Please reference the ticket number in correspondence.",
    )  # fmt: skip
    subject = f"Lumen Network Event Notification - Ticket #{v.ticket}{v.subject_tail()}"
    return "Lumen NOC <noc@lumen.com>", subject, "", html


def gtt(v: View) -> Rendered:
    labels = ("Ticket", "Status", "Incident start", "ETR", "Resolved at", "Affected services", "Details")
    body = (
        f"{GREETING}GTT NOC - Incident notification\n\n{dotted_notice(v, labels, 22, ' ', ', ', ' ')}"
        f"\n{v.step.note}\n\nRegards,\nGTT Network Operations Center\n"
    )
    return "GTT NOC <noc@gtt.net>", f"GTT Incident {v.ticket} - Service Impact{v.subject_tail()}", body, ""


def eunetworks(v: View) -> Rendered:
    html = html_notice(v, (
        "Fault Reference", "Fault Status", "Fault Start", "Estimated Repair Time", "Fault Cleared",
        "Impacted Services", "Description",
    ), "euNetworks Service Desk: fault notification.", v.step.note or "Regards.", True)  # fmt: skip
    subject = f"euNetworks Fault {v.ticket} - Service Disruption{v.subject_tail()}"
    return "euNetworks Service Desk <noc@eunetworks.com>", subject, "", html


def singtel(v: View) -> Rendered:
    html = html_notice(v, (
        "Incident #", "Incident Status", "Start Date/Time (SGT)", "ETR (SGT)", "Resolved Date/Time (SGT)",
        "Impacted Services", "Incident Summary",
    ), "Singtel Global NOC - Incident Notification", v.step.note or "Singtel GNOC")  # fmt: skip
    return "Singtel GNOC <gnoc@singtel.com>", f"Singtel Incident {v.ticket}{v.subject_tail()}", "", html


def verizon(v: View) -> Rendered:
    html = html_notice(v, (
        "Case Number", "Ticket Status", "Outage Start", "Estimated Time of Restoration",
        "Actual Restoration Time", "Circuit ID(s)", "Problem Description",
    ), "Verizon Business Network Outage Notification", v.step.note or "Verizon NOC")  # fmt: skip
    subject = f"Verizon Business Outage Notification - Case {v.ticket}{v.subject_tail()}"
    return "Verizon Business NOC <noc@verizon.com>", subject, "", html


def sparkle(v: View) -> Rendered:
    labels = ("Trouble Ticket", "State", "Start of Outage", "Estimated Restoration", "End of Outage",
              "Services Affected", None)  # fmt: skip
    body = (
        f"{GREETING}Sparkle NOC - Trouble Ticket notification\n\n{dotted_notice(v, labels, 24, ': ', ' ')}"
        f"\n{v.step.note}\n\nBest regards,\nSparkle Customer NOC\n"
    )
    subject = f"Sparkle TT {v.ticket} - Network Incident{v.subject_tail()}"
    return "Sparkle NOC <noc@tisparkle.com>", subject, body, ""


def pccw(v: View) -> Rendered:
    html = html_notice(v, (
        "Trouble Ticket", "Status", "Time (GMT) of occurrence", "Estimated time to restore (GMT)",
        "Restoration time (GMT)", "Impacted services", "Root Cause",
    ), "PCCW Global NOC - Fault Notification", v.step.note or "PCCW Global NOC")  # fmt: skip
    subject = f"PCCW Global Fault TT{v.ticket}{v.subject_tail()}"
    return "PCCW Global NOC <noc@pccwglobal.com>", subject, "", html


def orange(v: View) -> Rendered:
    body = plain(v, "Orange Wholesale - Incident notification.", [
        ("Incident reference : ", v.ticket), ("Incident status : ", v.step.word),
        ("Time of occurrence : ", v.start), ("Estimated time to repair : ", v.etr), ("Clear time : ", v.end),
    ], inline("Impacted services : ", ", "), "All times are CET.\n\nOrange Wholesale GNOC")  # fmt: skip
    return "Orange GNOC <gnoc@orange.com>", f"[Orange] Incident {v.ticket}{v.subject_tail()}", body, ""


def retn(v: View) -> Rendered:
    """Updates are replies: the news on top, the first notice quoted below."""

    def dots(label: str, value: str | None) -> str:
        return f"{label} {'.' * (20 - len(label))} {value}\n" if value else ""

    first = view_of(v.life, v.life.steps[0], 1)
    notice = (
        f"{dots('Trouble Ticket', v.ticket)}{dots('Status', first.step.word)}"
        f"{dots('Incident start', first.start)}"
        f"{dots('ETR', first.etr)}{dots('Impacted services', ', '.join(first.circuits))}"
    )
    if v.number == 1:
        body = f"{GREETING}RETN NOC - Fault notification\n\n{notice}\nRETN NOC\n"
    else:
        news = f"{dots('Status', v.step.word)}{dots('ETR', v.etr)}{dots('Restored', v.end)}"
        quoted = "".join(f"> {line}\n" for line in notice.splitlines())
        body = (
            f"{GREETING}Update on the fault below.\n\n{news}\n{v.step.note}\n\nRETN NOC\n\n"
            f"On {format_datetime(v.life.start)} RETN NOC <noc@retn.net> wrote:\n{quoted}"
        )
    prefix = "RE: " if v.number > 1 else ""
    return "RETN NOC <noc@retn.net>", f"{prefix}RETN Fault Notification {v.ticket}", body, ""


def kddi(v: View) -> Rendered:
    body = plain(v, "KDDI Global Network Operation Center: trouble notification.", [
        ("Trouble No. : ", v.ticket), ("Status : ", v.step.word), ("Occurrence Time : ", v.start),
        ("Estimated Recovery Time : ", v.etr), ("Recovery Time : ", v.end),
    ], listed("Affected Service :"), "KDDI GNOC")  # fmt: skip
    subject = f"KDDI Trouble Notification No.{v.ticket}{v.subject_tail()}"
    return "KDDI GNOC <gnoc@kddi.com>", subject, body, ""


def lightpath(v: View) -> Rendered:
    circuits = "".join(f"Circuit: {c}\n" for c in v.circuits)
    body = plain(v, "Lightpath NOC outage notice.", [
        ("Ticket: ", v.ticket), ("Start: ", v.start), ("ETR: ", v.etr), ("Restored: ", v.end),
    ], lambda _: circuits, "Lightpath Network Operations Center")  # fmt: skip
    subject = f"Lightpath Outage Notice - Ticket {v.ticket}{v.subject_tail()}"
    return "Lightpath NOC <noc@lightpathfiber.com>", subject, body, ""


Style = tuple[Callable[[View], Rendered], Callable[[Zone], Callable[[datetime], str]], str, str]
STYLES: dict[str, Style] = {
    # style: (renderer, date format, provider name the outage reader gives the sender, ticket as written)
    "zayo": (zayo, us12, "zayo", "TTN-{}"),
    "lumen": (lumen, iso_plain, "lumen", "{}"),
    "cogent": (cogent, weekday_month, "cogent", "HD{}"),
    "gtt": (gtt, dmon, "gtt", "{}"),
    "colt": (colt, dotted, "colt", "{}"),
    "eunetworks": (eunetworks, slashed_dmy, "eunetworks", "{}"),
    "telekom": (telekom, slashed_unnamed, "telekom", "DTAG-{}"),
    "ntt": (ntt, iso_offset, "ntt", "NTT-{}"),
    "tata": (tata, slashed_dmy, "tata", "{}"),
    "singtel": (singtel, day_month, "singtel", "{}"),
    "hgc": (hgc, slashed_dmy_12, "hgc", "{}"),
    "telstra": (telstra, long_date, "telstra", "{}"),
    "verizon": (verizon, weekday_month, "verizon", "{}"),
    "vodafone": (vodafone, slashed_unnamed, "vodafone", "VF-{}"),
    "crowncastle": (crowncastle, us12_short, "crowncastle", "{}"),
    "sparkle": (sparkle, iso_named, "sparkle", "{}"),
    "pccw": (pccw, slashed_unnamed, "pccw", "{}"),
    "orange": (orange, slashed_unnamed, "orange", "{}"),
    "retn": (retn, dmon, "retn", "{}"),
    "kddi": (kddi, lambda z: lambda t: z.local(t).strftime("%Y/%m/%d %H:%M (") + z.name + ")", "kddi", "{}"),
    "lightpath": (lightpath, lambda z: us12_short(Zone("ET", z.hours)), "lightpathfiber", "{}"),
}

# --- the lifecycles ---

EST, EDT, CST, CDT = Zone("EST", -5), Zone("EDT", -4), Zone("CST", -6), Zone("CDT", -5)
CET, CEST, GMT, UTC_ = Zone("CET", 1), Zone("CEST", 2), Zone("GMT", 0), Zone("UTC", 0)
JST, IST, SGT, HKT = Zone("JST", 9), Zone("IST", 5.5), Zone("SGT", 8), Zone("HKT", 8)
AEDT, AEST = Zone("AEDT", 11), Zone("AEST", 10)
S = Step
INV, ID, M, R, RP = "INVESTIGATING", "IDENTIFIED", "MONITORING", "RESOLVED", "REPORTED"


RFO = "Reason for outage: a third party damaged the cable during civil works."
LATE = 20 * 24 * 60  # the reason-for-outage report comes three weeks later: its dates are far from its own


def at(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


LIFECYCLES: list[Lifecycle] = [
    Lifecycle("zayo", "0007710001", ["OGYX/200145//ZYO", "OGYX/200146//ZYO"], at("2026-02-10 13:05"), EST, [
        S(15, INV, "Open - Under Investigation", "Investigating"),
        S(75, ID, "Open - Fault isolated", "Update", etr=420, note="A fiber cut was isolated near Newark."),
        S(300, R, "Closed", "Resolved", end=290),
        S(LATE, R, "Closed", "RFO", end=290, note=RFO),
    ]),
    Lifecycle("zayo", "0007710002", ["OGYX/310007//ZYO"], at("2026-07-08 22:40"), EDT, [
        S(10, RP, "New", "New"),
        S(60, ID, "Fiber cut located - splicing crew dispatched", "Update", start=False, etr=360,
          circuits=False),
        S(200, ID, "Repair in progress", "Update", start=False, etr=480,
          note="ETR extended: splicing continues."),
        S(400, R, "Resolved", "Resolved", end=390),
    ], summary="Third-party construction damaged a fiber bundle."),
    Lifecycle("lumen", "27110456", ["441234567", "441234568", "441234569"], at("2026-03-04 09:12"), GMT, [
        S(20, INV, "Investigating"),
        S(90, ID, "Cause Identified", etr=300),
        S(280, M, "Service Restored - Monitoring", end=265),
        S(600, R, "Closed", start=False, circuits=False),
    ]),
    Lifecycle("lumen", "27118890", ["447700101"], at("2026-11-06 17:30"), GMT, [
        S(5, RP, "Reported"),
        S(45, INV, "Under investigation"),
        S(180, R, "Resolved", note="No further updates will be sent for this event."),
    ]),
    Lifecycle("cogent", "0456789", ["1-300012345", "1-300012346"], at("2026-01-07 14:20"), EST, [
        S(10, INV, "We are investigating a loss of service on the circuits below."),
        S(95, ID, "A fiber cut has been identified; repair crews are on site.", etr=330),
        S(320, M, "Service has been restored and we are monitoring.", end=310),
        S(500, R, None, "Closed", start=False, circuits=False),
    ]),
    Lifecycle("cogent", "0457001", ["1-300099881"], at("2026-08-11 03:50"), EDT, [
        S(15, INV, "Our engineers are troubleshooting the issue."),
        S(120, R, "The fault has been cleared and service is back to normal.", end=110, circuits=False),
    ]),
    Lifecycle("gtt", "7834512", ["GTT-ETH-10021", "GTT-ETH-10022"], at("2026-04-09 06:00"), UTC_, [
        S(10, INV, "Open"),
        S(50, ID, "Open - Fault isolated", etr=240),
        S(230, R, "Closed", end=215),
    ]),
    Lifecycle("gtt", "7839940", ["GTT-WAVE-3301"], at("2025-12-02 21:15"), UTC_, [
        S(20, INV, "Open - under investigation"),
        S(100, INV, "In progress", etr=300),
        S(250, ID, "Fault localised, repair under way", start=False, etr=420),
        S(430, R, "Resolved - service restored", end=410),
    ]),
    Lifecycle("colt", "C-20260205-0042", ["LON/LON/LE-123456", "LON/PAR/IP-884412"], at("2026-02-05 07:30"),
              CET, [
        S(10, INV, "Under investigation"),
        S(80, ID, "Root cause identified", etr=260),
        S(250, R, "Cleared", end=240),
    ]),
    Lifecycle("colt", "C-20260609-0117", ["FRA/FRA/LE-551200"], at("2026-06-09 11:45"), CEST, [
        S(15, RP, "New"),
        S(60, INV, "Investigation in progress", etr=240, circuits=False),
        S(200, R, "Closed"),
    ]),
    Lifecycle("eunetworks", "EUN-F-40021", ["EUN-WAV-0012", "EUN-WAV-0013"], at("2026-03-06 08:10"), CET, [
        S(12, INV, "Open - Investigating"),
        S(70, ID, "Open - Fault located", etr=300),
        S(290, R, "Restored", end=280),
        S(LATE, R, "Closed - RFO issued", end=280, circuits=False, note=RFO),
    ]),
    Lifecycle("eunetworks", "EUN-F-40388", ["EUN-DF-7710"], at("2026-09-03 16:25"), CEST, [
        S(10, INV, "Open"),
        S(140, M, "Temporary fix in place - monitoring", etr=600),
        S(700, R, "Resolved", end=650),
    ]),
    Lifecycle("telekom", "4410021", ["DTGC-FRA-00412", "DTGC-FRA-00413"], at("2026-02-11 10:00"), UTC_, [
        S(20, INV, "in progress"),
        S(120, ID, "cause identified - cable damage", etr=360),
        S(340, R, "closed", end=330),
        S(LATE, R, "closed", end=330, note=RFO),
    ]),
    Lifecycle("telekom", "4417789", ["DTGC-HAM-01020"], at("2026-10-07 04:40"), UTC_, [
        S(10, RP, "opened"),
        S(90, R, "service restored", end=75),
    ]),
    Lifecycle("ntt", "20260309-0031", ["NTT-IP-50311", "NTT-IP-50312"], at("2026-03-09 14:05"), JST, [
        S(20, INV, "Investigating"),
        S(150, ID, "Root cause found - submarine cable fault", etr=900),
        S(880, R, "Recovered", end=860),
    ]),
    Lifecycle("ntt", "20260512-0007", ["NTT-IP-61020"], at("2026-05-12 01:00"), JST, [
        S(10, INV, "Under analysis"),
        S(60, None, None, start=False, etr=180, circuits=False),
        S(170, R, "Closed", end=160),
    ]),
    Lifecycle("tata", "TCL2026031000871", ["TCL-IPLC-2231", "TCL-IPLC-2232"], at("2026-03-10 13:20"), IST, [
        S(10, INV, "Open - Under Investigation"),
        S(70, ID, "Open - Fiber cut identified", etr=400),
        S(380, R, "Closed", end=370),
    ]),
    Lifecycle("tata", "TCL2026080400112", ["TCL-GVPN-7730"], at("2026-08-04 19:45"), IST, [
        S(15, RP, "New"),
        S(50, INV, "Work in progress"),
        S(160, R, "Resolved"),
    ]),
    Lifecycle("singtel", "SGI-2601-0088", ["SGT-IPL-4401", "SGT-IPL-4402"], at("2026-01-08 02:30"), SGT, [
        S(10, INV, "Investigating"),
        S(90, ID, "Identified", etr=300),
        S(280, R, "Resolved", end=270),
    ]),
    Lifecycle("singtel", "SGI-2607-0140", ["SGT-IPL-5510"], at("2026-07-02 09:55"), SGT, [
        S(20, RP, "Reported"),
        S(80, M, "Service restored on protection path - monitoring"),
        S(300, R, "Closed", end=250),
    ]),
    Lifecycle("hgc", "HGC-CS-880123", ["HGC-EPL-7781", "HGC-EPL-7782"], at("2026-04-07 03:15"), HKT, [
        S(10, INV, "Under Investigation"),
        S(60, ID, "Fault isolated", etr=240),
        S(230, R, "Service Restored", end=220),
        S(LATE, R, "Closed", end=220, note=RFO),
    ]),
    Lifecycle("hgc", "HGC-CS-880977", ["HGC-IPT-1202"], at("2026-11-11 15:40"), HKT, [
        S(15, INV, "Open"),
        S(200, R, "Closed"),
    ]),
    Lifecycle("telstra", "TI-0305521", ["TI-IPVPN-3301", "TI-IPVPN-3302"], at("2026-03-02 14:05"), AEDT, [
        S(15, INV, "Investigating"),
        S(120, ID, "Cause known - cable cut", etr=480),
        S(470, R, "Resolved", end=460),
    ], restoration_label_is_end=True),
    Lifecycle("telstra", "TI-0307740", ["TI-EPL-9001"], at("2026-07-06 22:00"), AEST, [
        S(10, RP, "Logged"),
        S(90, INV, "Being investigated", etr=300),
        S(260, R, "Restored", end=250),
    ]),
    Lifecycle("verizon", "VZ26020301", ["VZB/IP/12345", "VZB/IP/12346", "VZB/ETH/55120"],
              at("2026-02-03 13:15"), EST, [
        S(20, INV, "Open - Investigating"),
        S(100, ID, "Open - Cause Identified", etr=360),
        S(340, R, "Closed", end=330),
    ]),
    Lifecycle("verizon", "VZ26061077", ["VZB/ETH/61001"], at("2026-06-10 18:30"), EDT, [
        S(10, RP, "New"),
        S(70, INV, "Acknowledged", etr=240),
        S(240, M, "Restored - monitoring", end=230),
        S(480, R, "Closed", start=False),
    ]),
    Lifecycle("vodafone", "2602090044", ["VFCS-ETH-9001", "VFCS-ETH-9002"], at("2026-02-09 11:00"), GMT, [
        S(10, INV, "Under investigation"),
        S(90, ID, "Fault located", etr=300),
        S(280, R, "Service back to normal", end=270),
        S(LATE, R, "Closed", end=270, note=RFO),
    ]),
    Lifecycle("vodafone", "2612010019", ["VFCS-IPT-1200"], at("2025-12-01 08:20"), GMT, [
        S(10, INV, "Open"),
        S(50, ID, "Open - engineer dispatched", etr=200),
        S(190, R, "Resolved"),
    ]),
    Lifecycle("crowncastle", "INC0481122", ["CCF-DF-10012", "CCF-DF-10013"], at("2026-01-06 15:10"), CST, [
        S(15, RP, None, "Initial"),
        S(90, None, None, "Update", start=False, etr=300),
        S(280, R, None, "Resolved", end=270),
    ]),
    Lifecycle("crowncastle", "INC0489007", ["CCF-ETH-22001"], at("2026-09-08 20:00"), CDT, [
        S(10, RP, None, "Initial"),
        S(150, R, None, "Closed", start=False),
    ]),
    Lifecycle("sparkle", "TT2026030300091", ["SPK-10G-0001", "SPK-10G-0002"], at("2026-03-03 05:00"), UTC_, [
        S(10, INV, "Open - under investigation"),
        S(60, ID, "Open - Fault isolated", etr=180),
        S(170, R, "Closed", end=165),
    ]),
    Lifecycle("sparkle", "TT2026100500210", ["SPK-IPT-7001"], at("2026-10-05 12:00"), UTC_, [
        S(15, INV, "Open"),
        S(120, INV, "Open - fault not yet located", etr=300),
        S(290, R, "Cleared", end=280),
    ]),
    Lifecycle("pccw", "20260212-3301", ["PCCW-EPL-3321", "PCCW-EPL-3322"], at("2026-02-12 01:30"), GMT, [
        S(10, INV, "Open - Under investigation"),
        S(70, ID, "Open - Fault isolated", etr=240),
        S(230, R, "Closed", end=225),
        S(LATE, R, "Closed", end=225, circuits=False, note=RFO),
    ]),
    Lifecycle("pccw", "20260806-0412", ["PCCW-IPT-8800"], at("2026-08-06 10:10"), GMT, [
        S(10, RP, "New"),
        S(100, R, "Fault cleared", end=95),
    ]),
    Lifecycle("orange", "INC-20260210-0311", ["OBS-VPN-4410", "OBS-VPN-4411"], at("2026-02-10 06:40"), CET, [
        S(20, INV, "Under investigation"),
        S(90, ID, "Fault located - repair in progress", etr=480),
        S(460, R, "Cleared", end=450),
    ], etr_as="time"),
    Lifecycle("orange", "INC-20260304-0077", ["OBS-ETH-0900"], at("2026-03-04 21:30"), CET, [
        S(15, RP, "Opened"),
        S(60, INV, "Investigation in progress", etr=300),
        S(280, R, "Closed"),
    ], etr_as="time"),
    Lifecycle("retn", "RETN-26-0451", ["RETN-EPL-0101", "RETN-EPL-0102"], at("2026-03-02 11:20"), UTC_, [
        S(10, INV, "Open - under investigation"),
        S(75, ID, "Open - Fault isolated", etr=300),
        S(290, R, "Service back to normal", end=280),
    ]),
    Lifecycle("retn", "RETN-26-0533", ["RETN-IPT-0440"], at("2026-10-09 02:10"), UTC_, [
        S(15, INV, "Open"),
        S(120, M, "Rerouted - monitoring", etr=400),
        S(380, R, "Closed", end=360),
    ]),
    Lifecycle("kddi", "20260306-02", ["KDDI-IPT-0001", "KDDI-IPT-0002"], at("2026-03-05 15:05"), JST, [
        S(10, INV, "Investigating"),
        S(70, ID, "Cause identified", etr=240),
        S(230, R, "Recovered", end=215),
    ]),
    Lifecycle("lightpath", "998877", ["LP-100", "LP-101", "LP-102"], at("2026-03-05 14:05"), EST, [
        S(20, RP, None, "Initial"),
        S(60, None, None, "Update", start=False, etr=300, circuits=False),
        S(250, R, None, "RESOLVED", start=False, circuits=False),
    ], etr_as="duration"),
    Lifecycle("lightpath", "998990", ["LP-220"], at("2026-07-07 12:30"), EDT, [
        S(10, RP, None, "Initial"),
        S(120, R, None, "Resolved", end=100),
    ]),
]  # fmt: skip


# --- writing ---


def etr_text(life: Lifecycle, step: Step, fmt: Callable[[datetime], str]) -> str | None:
    if step.etr is None:
        return None
    if life.etr_as == "duration":
        return f"{(step.etr - step.at) / 60:g} hours"
    etr = life.start + timedelta(minutes=step.etr)
    return life.zone.local(etr).strftime("%H:%M") if life.etr_as == "time" else fmt(etr)


def view_of(life: Lifecycle, step: Step, number: int) -> View:
    fmt = STYLES[life.style][1](life.zone)
    view = View(life, step, number, fmt)
    view.start = fmt(life.start) if step.start else None
    view.etr = etr_text(life, step, fmt)
    view.end = fmt(life.start + timedelta(minutes=step.end)) if step.end is not None else None
    if life.restoration_label_is_end and step.status == R and view.end:
        view.etr, view.end = view.end, None  # the carrier reuses its ETR field for the restoration time
    view.circuits = list(life.circuits) if step.circuits else []
    return view


def email_bytes(life: Lifecycle, step: Step, number: int, index: int) -> bytes:
    sender, subject, text, html = STYLES[life.style][0](view_of(life, step, number))
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "noc@customer.example"
    message["Subject"] = subject
    message["Date"] = format_datetime(life.start + timedelta(minutes=step.at))
    message["Message-ID"] = f"<outage-{index:02d}-{number}@corpus.invalid>"
    if text:
        message.set_content(text)
    else:
        message.set_content(html, subtype="html")
    return bytes(message)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def expected_states(life: Lifecycle) -> list[dict]:
    """The state NetBox should hold after each email (README "Outages"): each field from the newest
    email stating it; no status yet is REPORTED; no start is the first email's date; a RESOLVED outage
    without an end ends at the date of the email that resolved it."""
    state: dict = {"status": None, "start": None, "etr": None, "end": None}
    circuits: list[str] = []
    resolved_at = None
    states = []
    for step in life.steps:
        sent = life.start + timedelta(minutes=step.at)
        state["status"] = step.status or state["status"]
        resolved_at = sent if step.status == R else resolved_at
        state["start"] = life.start if step.start else state["start"]
        etr = life.start + timedelta(minutes=step.etr) if step.etr is not None else None
        end = life.start + timedelta(minutes=step.end) if step.end is not None else None
        if life.restoration_label_is_end and step.status == R and end is not None:
            etr = None  # read as the end
        state["etr"] = etr or state["etr"]
        state["end"] = end or state["end"]
        if step.circuits:
            circuits += [c for c in life.circuits if c not in circuits]
        status = state["status"] or RP
        states.append({
            "status": status,
            "start": iso(state["start"] or life.start + timedelta(minutes=life.steps[0].at)),
            "etr": iso(state["etr"]),
            "end": iso(state["end"] or (resolved_at if status == R else None)),
            "circuits": list(circuits),
        })  # fmt: skip
    return states


def clear_lifecycles(here: Path) -> None:
    """Remove the lifecycle folders ("01-zayo-...") a previous run wrote."""
    for old in here.iterdir():
        if old.is_dir() and old.name[:2].isdigit():
            shutil.rmtree(old)


def write_lifecycle(folder: Path, life, email_of: Callable[[Step, int], bytes], about: dict) -> None:
    """One lifecycle's folder: its emails ("1-investigating.eml"...) and expected.json (``about``, then the
    state expected after each email). Shared with tests/corpus/outages_world."""
    folder.mkdir()
    steps = []
    for number, (step, state) in enumerate(zip(life.steps, expected_states(life), strict=True), start=1):
        name = f"{number}-{(step.status or 'update').lower()}.eml"
        (folder / name).write_bytes(email_of(step, number))
        steps.append({"file": name, **state})
    expected = json.dumps({**about, "steps": steps}, indent=1, ensure_ascii=False)
    (folder / "expected.json").write_text(expected + "\n")


def main() -> None:
    clear_lifecycles(HERE)
    for index, life in enumerate(LIFECYCLES, start=1):
        _, _, provider, ticket_format = STYLES[life.style]
        folder = HERE / f"{index:02d}-{life.style}-{life.ticket.lower()}"
        about = {"style": life.style, "provider": provider, "event_id": ticket_format.format(life.ticket)}
        write_lifecycle(folder, life, partial(email_bytes, life, index=index), about)


if __name__ == "__main__":
    main()
