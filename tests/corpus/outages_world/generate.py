# ruff: noqa: E501  (the carriers and lifecycles are data tables, one entry per carrier or lifecycle)
"""Writes the second outage corpus (issue 17): carriers the reader has never seen, one folder per
lifecycle with its emails and expected.json, in the format of tests/corpus/outages.

What this corpus holds that the first one does not: HTML and text (pipe, fixed-width) circuit tables with
extra columns (Product, Bandwidth, A-End, B-End...) whose header row is not marked up as one; replies
that quote the original notice (Outlook "-----Original Message-----", a bare "From: ... Sent: ..." block,
Outlook's HTML reply, "On ... wrote:" with ">" lines, a "Previous updates" log, and the German, French
and Spanish forms of these) while the news states less than the quote; notices in German, French,
Spanish, Italian, Dutch and Portuguese; zones named as people write them and resolved with daylight
saving for the date ("Central", "Eastern Time", "MEZ/MESZ", "BST", "AEDT", "IST" in India, Ireland and
Israel, "UTC+5:30", "GMT+1"...), and times with no zone at all (read in the email's own Date offset);
"Docket No." tickets; ETRs that slip.

Each carrier is a Carrier (its labels, wording, date format, zone, layout, quoting); each lifecycle
states the truth (UTC instants, the status each email means). The expected state after each email is
derived from that truth by the first corpus's expected_states (README "Outages") — never from the
parser. Every carrier, domain, ticket and circuit id is fictitious.

Run ``python -m tests.corpus.outages_world.generate`` after changing it; the emails are committed.
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from email.message import EmailMessage
from email.utils import format_datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.corpus.outages.generate import Lifecycle as FirstLifecycle
from tests.corpus.outages.generate import Step, at, clear_lifecycles, write_lifecycle

HERE = Path(__file__).resolve().parent
INV, ID, M, R, RP = "INVESTIGATING", "IDENTIFIED", "MONITORING", "RESOLVED", "REPORTED"
FIELDS = ("ticket", "status", "start", "etr", "end", "circuits", "summary")


# --- zones: the instant in the carrier's local time, and the zone as the carrier writes it ---


@dataclass(frozen=True)
class Zone:
    tz: tzinfo
    names: tuple[str, str]  # as written in standard time, in summer time (the same twice: no DST)

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.tz)

    def name(self, instant: datetime) -> str:
        """Summer time is the larger of the year's two offsets (not dst(): Europe/Dublin's is negative in
        winter, and the southern hemisphere's summer is in January)."""
        offsets = [datetime(instant.year, month, 1, tzinfo=self.tz).utcoffset() for month in (1, 7)]
        return self.names[self.local(instant).utcoffset() > min(offsets)]


def region(name: str, standard: str, summer: str | None = None) -> Zone:
    return Zone(ZoneInfo(name), (standard, summer or standard))


def fixed(hours: float, name: str) -> Zone:
    return Zone(timezone(timedelta(hours=hours)), (name, name))


# --- date formats: (local datetime, zone name) -> text ---

DateFormat = Callable[[datetime, str], str]


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _clock12(t: datetime) -> str:
    return t.strftime("%I:%M %p").lstrip("0")


MONTHS = {
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
}
WEEKDAYS_DE = "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag".split()


def month(language: str, t: datetime) -> str:
    return MONTHS[language].split()[t.month - 1]


DATE_FORMATS: dict[str, DateFormat] = {
    "us-ordinal": lambda t, z: f"{t.strftime('%B')} {_ordinal(t.day)}, {t.year} at {_clock12(t)} {z}",
    "us-short-month": lambda t, z: f"{t.strftime('%b')} {t.day}, {t.year} {t.strftime('%H:%M')} {z}",
    "iso-named": lambda t, z: t.strftime("%Y-%m-%d %H:%M ") + z,
    "us-slashed-12": lambda t, z: t.strftime("%m/%d/%Y %I:%M %p ") + z,
    "us-weekday-long": lambda t, z: f"{t.strftime('%A, %B')} {t.day}, {t.year} {t.strftime('%H:%M')} {z}",
    "de-dotted-uhr": lambda t, z: t.strftime("%d.%m.%Y, %H:%M Uhr ") + z,
    "de-long": lambda t, z: (
        f"{WEEKDAYS_DE[t.weekday()]}, {t.day}. {month('de', t)} {t.year}, {t.strftime('%H:%M')} Uhr ({z})"
    ),
    "de-dotted": lambda t, z: t.strftime("%d.%m.%Y %H:%M ") + z,
    "fr-long": lambda t, z: f"{t.day} {month('fr', t)} {t.year} à {t.strftime('%Hh%M')} {z}",
    "es-long": lambda t, z: f"{t.day} de {month('es', t)} de {t.year}, {t.strftime('%H:%M')} h ({z})",
    "es-slashed-hs": lambda t, z: t.strftime("%d/%m/%Y %H:%M hs ") + f"({z})",
    "it-ore": lambda t, z: t.strftime("%d/%m/%Y ore %H:%M ") + z,
    "nl-uur": lambda t, z: f"{t.day} {month('nl', t)} {t.year} {t.strftime('%H:%M')} uur",
    "pt-as": lambda t, z: t.strftime("%d/%m/%Y às %Hh%M ") + f"({z})",
    "dmon": lambda t, z: t.strftime("%d %b %Y %H:%M ") + z,
    "dmy-slashed": lambda t, z: t.strftime("%d/%m/%Y %H:%M ") + z,
    "ymd-slashed": lambda t, z: t.strftime("%Y/%m/%d %H:%M ") + z,
    "dmon-dashed": lambda t, z: t.strftime("%d-%b-%Y %H:%M ") + z,
    "dmy-dashed": lambda t, z: t.strftime("%d-%m-%Y %H:%M ") + z,
    "dmy-paren": lambda t, z: t.strftime("%d/%m/%Y %H:%M ") + f"({z})",
    "iso-paren": lambda t, z: t.strftime("%Y-%m-%d %H:%M ") + f"({z})",
    "local-time": lambda t, z: t.strftime("%d %b %Y %H:%M ") + "(local time)",
}


# --- carriers ---


@dataclass(frozen=True)
class Table:
    """A circuit table with extra columns: the header cells (the circuit id column first or not) and per
    column the value of circuit number i."""

    headers: tuple[str, ...]
    id_column: int = 0
    markup: str = "td"  # "th", "td" (a plain first row), "bold-style" (font-weight in a style), "bgcolor"
    extra: tuple[tuple[str, ...], ...] = ()  # per non-id column, values cycled over the circuits

    def cells(self, index: int, circuit: str) -> list[str]:
        row, extras = [], iter(self.extra)
        for column in range(len(self.headers)):
            if column == self.id_column:
                row.append(circuit)
            else:
                values = next(extras)
                row.append(values[index % len(values)])
        return row


@dataclass(frozen=True)
class Carrier:
    name: str
    sender: str
    language: str
    labels: dict[str, str]  # field of FIELDS -> label as written
    words: dict[str, str]  # status -> default wording
    date_format: str
    subject: str  # format with {ticket}, {re} (the reply prefix, "" on the first email)
    intro: str
    sign: str
    layout: str = "colon"  # "colon" ("Label: value"), "spaced" ("Label : value"), "dots", "html"
    circuits: str = "inline"  # "inline", "list", "html-table", "pipe-table", "fixed-table"
    table: Table | None = None
    quote: str | None = None  # how a reply carries the first notice (QUOTES), None: no reply
    reply_prefix: str = "RE: "
    ticket_format: str = "{}"
    provider: str = ""  # the provider name the reader gives the sender (its domain's first label)


STANDARD_EXTRA = (
    ("Wavelength", "Ethernet"),
    ("10G", "100G", "1G"),
    ("Chicago", "Dallas"),
    ("Dallas", "Omaha"),
)


def en(**labels: str) -> dict[str, str]:
    base = {"ticket": "Ticket Number", "status": "Status", "start": "Start Time", "etr": "ETR",
            "end": "Restored At", "circuits": "Affected Circuits", "summary": "Description"}  # fmt: skip
    return {**base, **labels}


EN_WORDS = {
    RP: "Reported",
    INV: "Investigating",
    ID: "Cause Identified",
    M: "Restored - Monitoring",
    R: "Resolved",
}


# --- quoting: a reply's news on top, the first notice below ---


@dataclass
class Rendered:
    subject: str
    text: str  # text/plain body ("" when HTML only)
    html: str  # text/html body ("" when text only)


def quote_outlook(first: Rendered, meta: dict) -> tuple[str, str]:
    head = (
        f"-----Original Message-----\nFrom: {meta['sender']}\nSent: {meta['sent']}\nTo: NOC\n"
        f"Subject: {first.subject}\n\n"
    )
    return head + first.text, ""


def quote_outlook_bare(first: Rendered, meta: dict) -> tuple[str, str]:
    """Outlook's newer reply header: no "Original Message" line, a "From:" without an address."""
    head = f"From: {meta['display']}\nSent: {meta['sent']}\nTo: Customer NOC\nSubject: {first.subject}\n\n"
    return head + first.text, ""


def quote_outlook_de(first: Rendered, meta: dict) -> tuple[str, str]:
    head = (
        f"-----Ursprüngliche Nachricht-----\nVon: {meta['sender']}\nGesendet: {meta['sent']}\nAn: NOC\n"
        f"Betreff: {first.subject}\n\n"
    )
    return head + first.text, ""


def quote_gt(first: Rendered, meta: dict) -> tuple[str, str]:
    lines = "".join(f"> {line}\n" if line else ">\n" for line in first.text.splitlines())
    return f"On {meta['sent']}, {meta['sender']} wrote:\n{lines}", ""


def quote_gt_fr(first: Rendered, meta: dict) -> tuple[str, str]:
    lines = "".join(f"> {line}\n" if line else ">\n" for line in first.text.splitlines())
    return f"Le {meta['sent']}, {meta['sender']} a écrit :\n{lines}", ""


def quote_gt_es(first: Rendered, meta: dict) -> tuple[str, str]:
    lines = "".join(f"> {line}\n" if line else ">\n" for line in first.text.splitlines())
    return f"El {meta['sent']}, {meta['sender']} escribió:\n{lines}", ""


def quote_log(first: Rendered, meta: dict) -> tuple[str, str]:
    """A status page's "Previous updates" log under the news, the first notice's lines in it."""
    body = first.text.split("\n\n", 1)[-1]  # without the intro
    return f"Previous updates:\n\n[{meta['sent']}]\n{body}", ""


def quote_outlook_html(first: Rendered, meta: dict) -> tuple[str, str]:
    """Outlook's HTML reply: the reply header in div#divRplyFwdMsg, the first notice's HTML below it."""
    inner = first.html.removeprefix("<html><body>").removesuffix("</body></html>")
    header = (
        '<hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg" dir="ltr">'
        f"<b>From:</b> {html_lib.escape(meta['sender'])}<br><b>Sent:</b> {meta['sent']}<br>"
        f"<b>To:</b> NOC<br><b>Subject:</b> {html_lib.escape(first.subject)}</div>"
    )
    return "", f"{header}<div>{inner}</div>"


QUOTES: dict[str, Callable[[Rendered, dict], tuple[str, str]]] = {
    "outlook": quote_outlook,
    "outlook-bare": quote_outlook_bare,
    "outlook-de": quote_outlook_de,
    "gt": quote_gt,
    "gt-fr": quote_gt_fr,
    "gt-es": quote_gt_es,
    "log": quote_log,
    "outlook-html": quote_outlook_html,
}


# --- lifecycles ---


@dataclass
class Lifecycle(FirstLifecycle):
    """A lifecycle of the first corpus's kind whose style is a carrier of CARRIERS and whose zone is this
    module's (a region's daylight saving rules, or a fixed offset)."""

    zone: Zone
    date_header_zone: Zone | None = None  # the zone of the Date header: the carrier's own by default


@dataclass
class View:
    life: Lifecycle
    step: Step
    number: int
    carrier: Carrier
    values: dict[str, str | None] = field(default_factory=dict)
    circuits: list[str] = field(default_factory=list)


def view_of(life: Lifecycle, step: Step, number: int) -> View:
    carrier = CARRIERS[life.style]
    fmt = DATE_FORMATS[carrier.date_format]

    def written(minutes: int | None) -> str | None:
        if minutes is None:
            return None
        instant = life.start + timedelta(minutes=minutes)
        return fmt(life.zone.local(instant), life.zone.name(instant))

    status_word = step.word if step.word is not None else carrier.words.get(step.status or "")
    values = {
        "ticket": carrier.ticket_format.format(life.ticket),
        "status": status_word,
        "start": written(0) if step.start else None,
        "etr": written(step.etr),
        "end": written(step.end),
        "summary": life.summary,
    }
    return View(life, step, number, carrier, values, list(life.circuits) if step.circuits else [])


def text_rows(v: View) -> str:
    c = v.carrier
    rows = [(c.labels[f], v.values.get(f)) for f in FIELDS if f not in ("circuits",) and c.labels.get(f)]
    rows = [(label, value) for label, value in rows if value]
    if c.layout == "spaced":
        return "".join(f"{label} : {value}\n" for label, value in rows)
    if c.layout == "dots":
        return "".join(f"{label} {'.' * (26 - len(label))} {value}\n" for label, value in rows)
    return "".join(f"{label}: {value}\n" for label, value in rows)


def text_circuits(v: View) -> str:
    c, circuits = v.carrier, v.circuits
    if not circuits:
        return ""
    label = c.labels["circuits"]
    if c.circuits == "inline":
        return f"{label}: {', '.join(circuits)}\n"
    if c.circuits == "list":
        return f"{label}:\n" + "".join(f"  - {circuit}\n" for circuit in circuits)
    assert c.table is not None
    rows = [list(c.table.headers)] + [c.table.cells(i, circuit) for i, circuit in enumerate(circuits)]
    widths = [max(len(row[col]) for row in rows) for col in range(len(rows[0]))]
    if c.circuits == "pipe-table":
        lines = [
            "| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |"
            for row in rows
        ]
        lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    else:  # fixed-table
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
    return f"{label}:\n\n" + "\n".join(lines) + "\n"


def html_circuits(v: View) -> str:
    c = v.carrier
    if not v.circuits:
        return ""
    if c.circuits != "html-table" or c.table is None:
        return f"<tr><td>{c.labels['circuits']}</td><td>{'<br>'.join(v.circuits)}</td></tr>"
    head_cell = {
        "th": "<th>{}</th>",
        "td": "<td>{}</td>",
        "bold-style": '<td style="font-weight:bold;background:#ddd">{}</td>',
        "bgcolor": '<td bgcolor="#003366"><font color="#ffffff">{}</font></td>',
    }[c.table.markup]
    header = "".join(head_cell.format(h) for h in c.table.headers)
    rows = "".join(
        "<tr>" + "".join(f"<td>{cell}</td>" for cell in c.table.cells(i, circuit)) + "</tr>"
        for i, circuit in enumerate(v.circuits)
    )
    return f'</table><p>{c.labels["circuits"]}:</p><table border="1"><tr>{header}</tr>{rows}'


def html_body(v: View) -> str:
    c = v.carrier
    rows = "".join(
        f'<tr><td style="font-weight:bold">{c.labels[f]}</td><td>{v.values[f]}</td></tr>'
        for f in FIELDS
        if f != "circuits" and c.labels.get(f) and v.values.get(f)
    )
    note = f"<p>{v.step.note}</p>" if v.step.note else ""
    return (
        f'<html><body><p>{c.intro}</p><table border="1" cellpadding="4">{rows}{html_circuits(v)}</table>'
        f"{note}<p>{c.sign}</p></body></html>"
    )


def render(life: Lifecycle, step: Step, number: int) -> Rendered:
    v = view_of(life, step, number)
    c = v.carrier
    subject = c.subject.format(ticket=v.values["ticket"], re=c.reply_prefix if number > 1 else "")
    if c.layout == "html":
        news = Rendered(subject, "", html_body(v))
    else:
        note = f"\n{step.note}\n" if step.note else ""
        text = f"{c.intro}\n\n{text_rows(v)}{text_circuits(v)}{note}\n{c.sign}\n"
        news = Rendered(subject, text, "")
    if number == 1 or c.quote is None:
        return news
    first = render(life, life.steps[0], 1)
    sent = life.start + timedelta(minutes=life.steps[0].at)
    meta = {
        "sender": c.sender,
        "display": c.sender.partition(" <")[0],
        "sent": format_datetime(sent.astimezone(header_zone(life).tz)),
    }
    text, html = QUOTES[c.quote](first, meta)
    if news.html:
        return Rendered(subject, "", news.html.removesuffix("</body></html>") + html + "</body></html>")
    return Rendered(subject, f"{news.text}\n{text}", "")


def header_zone(life: Lifecycle) -> Zone:
    return life.date_header_zone or life.zone


def email_bytes(life: Lifecycle, step: Step, number: int, index: int) -> bytes:
    rendered = render(life, step, number)
    carrier = CARRIERS[life.style]
    message = EmailMessage()
    message["From"] = carrier.sender
    message["To"] = "noc@customer.example"
    message["Subject"] = rendered.subject
    sent = life.start + timedelta(minutes=step.at)
    message["Date"] = format_datetime(sent.astimezone(header_zone(life).tz))
    message["Message-ID"] = f"<world-{index:02d}-{number}@corpus.invalid>"
    if rendered.text:
        message.set_content(rendered.text)
    else:
        message.set_content(rendered.html, subtype="html")
    return bytes(message)


# --- the carriers ---

CENTRAL = region("America/Chicago", "Central")
EASTERN = region("America/New_York", "Eastern")
EASTERN_TIME = region("America/New_York", "Eastern Time")
PACIFIC_TIME = region("America/Los_Angeles", "Pacific Time")
MOUNTAIN = region("America/Denver", "Mountain")
MEZ = region("Europe/Berlin", "MEZ", "MESZ")
CET = region("Europe/Paris", "CET", "CEST")
UK = region("Europe/London", "GMT", "BST")
SYDNEY = region("Australia/Sydney", "AEST", "AEDT")
JST, SGT, HKT = fixed(9, "JST"), fixed(8, "SGT"), fixed(8, "HKT")
IST_IN = fixed(5.5, "IST")
UTC530 = fixed(5.5, "UTC+5:30")
IRISH = region("Europe/Dublin", "GMT", "IST")
ISRAEL = region("Asia/Jerusalem", "IST", "IDT")
WARSAW = Zone(ZoneInfo("Europe/Warsaw"), ("GMT+1", "GMT+2"))
RIGA = Zone(ZoneInfo("Europe/Riga"), ("UTC+2", "UTC+3"))
BRT, ART, DUBAI = fixed(-3, "BRT"), fixed(-3, "ART"), fixed(4, "GST")
AMSTERDAM = region("Europe/Amsterdam", "", "")  # Dutch notices write no zone at all

CARRIERS: dict[str, Carrier] = {c.name: c for c in (
    Carrier("prairielink", "PrairieLink NOC <noc@prairielink.example>", "en",
            en(ticket="Ticket #", status="Current Status", start="Outage Start", etr="Estimated Restoral",
               end="Outage End", circuits="Affected Services"),
            EN_WORDS, "us-ordinal", "{re}[PrairieLink] Service Outage - Ticket {ticket}",
            "PrairieLink is experiencing a service outage affecting the services below.",
            "PrairieLink Network Operations", layout="html", circuits="html-table",
            table=Table(("Service ID", "Product", "Bandwidth", "A-End", "B-End"), extra=STANDARD_EXTRA)),
    Carrier("cascadia-fiber", "Cascadia Fiber NOC <noc@cascadia-fiber.example>", "en",
            en(ticket="Incident ID", start="Incident Start", etr="Estimated Time to Repair",
               end="Incident End", circuits="Impacted circuits"),
            EN_WORDS, "us-short-month", "{re}Cascadia Fiber Incident {ticket}",
            "Cascadia Fiber NOC - incident notification.", "Cascadia Fiber NOC, Seattle",
            circuits="pipe-table",
            table=Table(("Circuit ID", "Service", "Speed", "Location"),
                        extra=(("DIA", "Wave"), ("1 Gbps", "10 Gbps"), ("Portland", "Tacoma"))),
            ),
    Carrier("rockymtn-transport", "Rocky Mountain Transport NOC <noc@rockymtn-transport.example>", "en",
            en(ticket="Trouble Ticket", status="Ticket Status", start="Time of Occurrence",
               etr="Estimated Time to Restore", end="Clear Time", circuits="Circuits"),
            EN_WORDS, "iso-named", "{re}RMT Trouble Ticket {ticket} - service affecting",
            "Rocky Mountain Transport has opened a trouble ticket.", "RMT NOC, Denver",
            circuits="fixed-table",
            table=Table(("Customer", "Circuit ID", "Bandwidth", "Location"), id_column=1,
                        extra=(("ACME-CORP", "GLOBEX"), ("1 Gbps", "10 Gbps"), ("Denver", "Boulder")))),
    Carrier("atlantic-wave", "Atlantic Wave NOC <noc@atlantic-wave.example>", "en",
            en(ticket="Case Number", status="Case Status", start="Event Start", etr="Estimated Time of Restoration",
               end="Event End", circuits="Impacted Services"),
            EN_WORDS, "us-slashed-12", "{re}Atlantic Wave Network Event - Case {ticket}",
            "Atlantic Wave NOC: network event notification.", "Atlantic Wave NOC", layout="html",
            circuits="html-table", quote="outlook-html",
            table=Table(("Circuit", "Type", "Capacity", "Site A", "Site Z"), markup="bold-style",
                        extra=(("Ethernet", "Wave"), ("10G",), ("Boston", "Newark"), ("Newark", "Albany")))),
    Carrier("maple-optical", "Maple Optical NOC <noc@maple-optical.example>", "en",
            en(ticket="Incident Number", status="Incident Status", start="Incident Start Time",
               etr="Estimated Time to Restore", end="Incident End Time", circuits="Affected Circuits"),
            EN_WORDS, "us-weekday-long", "{re}Maple Optical Incident {ticket}",
            "Maple Optical is investigating an incident impacting your services.", "Maple Optical NOC, Toronto",
            circuits="list", quote="gt"),
    Carrier("thames-connect", "Thames Connect Service Desk <servicedesk@thames-connect.example>", "en",
            en(ticket="Fault Reference", status="Fault Status", start="Fault Start", etr="Estimated Fix Time",
               end="Fault Cleared", circuits="Affected Services"),
            EN_WORDS, "dmon", "{re}Thames Connect Fault {ticket}",
            "Thames Connect Service Desk: fault notification.", "Thames Connect Service Desk, London",
            layout="spaced", circuits="inline", quote="outlook-bare"),
    Carrier("harbour-bridge", "Harbour Bridge Networks <status@harbour-bridge.example>", "en",
            en(ticket="Incident Reference", status="Status", start="Incident Start", etr="ETR",
               end="Resolved", circuits="Impacted Services"),
            EN_WORDS, "dmy-slashed", "{re}Harbour Bridge Networks Incident {ticket}",
            "Harbour Bridge Networks status update.", "Harbour Bridge Networks NOC, Sydney",
            circuits="list", quote="log", reply_prefix="Update: "),
    Carrier("sakura-backbone", "Sakura Backbone NOC <noc@sakura-backbone.example>", "en",
            en(ticket="Incident No", status="Status", start="Occurrence Time", etr="Estimated Recovery Time",
               end="Recovery Time", circuits="Affected Services"),
            EN_WORDS, "ymd-slashed", "{re}[Sakura Backbone] Trouble Notification {ticket}",
            "Sakura Backbone NOC: trouble notification.", "Sakura Backbone NOC, Tokyo", layout="html",
            circuits="html-table",
            table=Table(("No.", "Service ID", "Service Name", "Bandwidth", "Route"), id_column=1, markup="bgcolor",
                        extra=(("1", "2", "3"), ("IP Transit", "IPLC"), ("10G",), ("Tokyo-Osaka", "Tokyo-LA")))),
    Carrier("merlion-connect", "Merlion Connect GNOC <gnoc@merlion-connect.example>", "en",
            en(ticket="Incident Ref", status="Incident Status", start="Start Date/Time", etr="ETR",
               end="Resolved Date/Time", circuits="Impacted Circuits"),
            EN_WORDS, "dmon-dashed", "{re}Merlion Connect Incident {ticket}",
            "Merlion Connect GNOC incident notification.", "Merlion Connect GNOC, Singapore", layout="html",
            circuits="html-table",
            table=Table(("Circuit ID", "Product", "Bandwidth", "A-End", "B-End", "Impact"), markup="th",
                        extra=(("IPLC", "EPL"), ("10G", "1G"), ("Singapore",), ("Hong Kong", "Jakarta"),
                               ("Down",)))),
    Carrier("victoria-harbour", "Victoria Harbour Telecom NOC <noc@victoria-harbour.example>", "en",
            en(ticket="Case ID", status="Case Status", start="Service Impact Start", etr="Expected Resolution",
               end="Service Restored", circuits="Affected Circuits"),
            EN_WORDS, "iso-named", "{re}VHT Service Incident Case {ticket}",
            "Victoria Harbour Telecom - service incident.", "VHT NOC, Hong Kong", layout="html",
            circuits="html-table",
            table=Table(("Circuit Reference", "Service Type", "Bandwidth", "A-End", "B-End"),
                        extra=(("EPL",), ("1G", "2.5G"), ("Hong Kong",), ("Singapore", "Taipei")))),
    Carrier("bharat-fibre", "Bharat Fibre NOC <noc@bharatfibre.co.in>", "en",
            en(ticket="Docket No.", status="Docket Status", start="Fault Start Time",
               etr="Estimated Time to Restore", end="Fault Clear Time", circuits="Impacted Services"),
            EN_WORDS, "dmy-dashed", "{re}Bharat Fibre Fault Docket {ticket}",
            "This is to inform you about an unplanned outage on your services.",
            "Regards,\nBharat Fibre Customer Service Centre", layout="spaced", circuits="list"),
    Carrier("bharat-fibre-2", "Bharat Fibre Enterprise NOC <enoc@bharatfibre.co.in>", "en",
            en(ticket="Docket Number", status="Status", start="Start Time", etr="ETR", end="End Time",
               circuits="Circuit IDs"),
            EN_WORDS, "dmy-paren", "{re}Service Disruption - Docket {ticket}",
            "Bharat Fibre Enterprise NOC - service disruption.", "Bharat Fibre Enterprise NOC",
            circuits="inline"),
    Carrier("emerald-transit", "Emerald Transit NOC <noc@emeraldtransit.ie>", "en",
            en(ticket="Ticket Ref", status="Status", start="Incident Start", etr="Estimated Restoration Time",
               end="Restoration Time", circuits="Affected Circuits"),
            EN_WORDS, "dmy-slashed", "{re}Emerald Transit Incident {ticket}",
            "Emerald Transit NOC: incident notification.", "Emerald Transit NOC, Dublin", circuits="inline",
            quote="outlook"),
    Carrier("negev-link", "Negev Link NOC <noc@negevlink.co.il>", "en",
            en(ticket="Ticket ID", status="Status", start="Outage Start", etr="ETR", end="Outage End",
               circuits="Affected Circuits"),
            EN_WORDS, "dmy-slashed", "{re}Negev Link Outage {ticket}", "Negev Link NOC: outage notification.",
            "Negev Link NOC, Tel Aviv", circuits="inline"),
    Carrier("tatra-net", "Tatra Net NOC <noc@tatranet.example>", "en",
            en(ticket="TT Number", status="State", start="Failure Time", etr="Estimated Repair Time",
               end="Repair Time", circuits="Services"),
            EN_WORDS, "iso-paren", "{re}Tatra Net TT {ticket} - network incident",
            "Tatra Net NOC - trouble ticket.", "Tatra Net NOC, Krakow", layout="dots", circuits="fixed-table",
            table=Table(("Service ID", "Product", "Bandwidth", "A-End", "B-End"),
                        extra=(("L2VPN", "Wave"), ("1G", "10G"), ("Krakow",), ("Warsaw", "Katowice")))),
    Carrier("baltic-ring", "Baltic Ring NOC <noc@balticring.example>", "en",
            en(ticket="Incident ID", status="Incident Status", start="Incident Start", etr="ETR",
               end="Incident End", circuits="Affected Links"),
            EN_WORDS, "iso-paren", "{re}Baltic Ring Incident {ticket}", "Baltic Ring NOC - incident.",
            "Baltic Ring NOC, Riga", circuits="pipe-table",
            table=Table(("Link ID", "A-End", "B-End", "Capacity"),
                        extra=(("Riga",), ("Tallinn", "Vilnius"), ("100G", "10G")))),
    Carrier("gulfstream-carrier", "Gulfstream Carrier NOC <noc@gulfstream-carrier.example>", "en",
            en(ticket="Reference Number", status="Status", start="Start Time", etr="ETR", end="End Time",
               circuits="Affected Services"),
            EN_WORDS, "local-time", "{re}Gulfstream Carrier Service Interruption {ticket}",
            "Gulfstream Carrier NOC - service interruption.", "Gulfstream Carrier NOC, Dubai", circuits="inline"),
    Carrier("nordlicht-netz", "Nordlicht Netz Störungsstelle <stoerung@nordlicht-netz.de>", "de",
            {"ticket": "Ticketnummer", "status": "Status", "start": "Beginn der Störung",
             "etr": "Voraussichtliche Behebung", "end": "Behoben am", "circuits": "Betroffene Dienste",
             "summary": "Beschreibung"},
            {RP: "Neu", INV: "In Bearbeitung", ID: "Ursache gefunden", M: "Provisorisch behoben - Beobachtung",
             R: "Behoben"},
            "de-dotted-uhr", "{re}Störungsmeldung {ticket}", "Sehr geehrte Damen und Herren,\n\n"
            "wir informieren Sie über eine Störung in unserem Netz.", "Mit freundlichen Grüßen\n"
            "Ihre Nordlicht Netz Störungsstelle", circuits="list", quote="outlook-de", reply_prefix="AW: "),
    Carrier("rhein-carrier", "Rhein Carrier NOC <noc@rhein-carrier.de>", "de",
            {"ticket": "Störungsnummer", "status": "Aktueller Status", "start": "Störungsbeginn",
             "etr": "Voraussichtliches Ende", "end": "Störungsende", "circuits": "Betroffene Leitungen",
             "summary": "Ursache"},
            {RP: "Gemeldet", INV: "Wird untersucht", ID: "Ursache identifiziert", M: "Überwachung",
             R: "Entstört"},
            "de-long", "{re}Rhein Carrier: Störung {ticket}", "Sehr geehrte Kundin, sehr geehrter Kunde,",
            "Rhein Carrier Netzleitstelle", layout="html", circuits="html-table",
            table=Table(("Leitungs-ID", "Produkt", "Bandbreite", "Standort A", "Standort B"),
                        extra=(("Ethernet", "Wellenlänge"), ("10G",), ("Köln",), ("Düsseldorf", "Bonn")))),
    Carrier("fibre-hexagone", "Fibre Hexagone Supervision <supervision@fibre-hexagone.fr>", "fr",
            {"ticket": "Numéro de ticket", "status": "Statut", "start": "Début de l'incident",
             "etr": "Heure estimée de rétablissement", "end": "Fin de l'incident",
             "circuits": "Services impactés", "summary": "Description"},
            {RP: "Nouveau", INV: "En cours d'analyse", ID: "Cause identifiée", M: "Rétabli - sous surveillance",
             R: "Résolu"},
            "fr-long", "{re}Incident {ticket} - Fibre Hexagone", "Bonjour,\n\nnous vous informons d'un incident"
            " sur notre réseau.", "Cordialement,\nLa supervision Fibre Hexagone", layout="spaced",
            circuits="list", quote="gt-fr", reply_prefix="RE : "),
    Carrier("iberia-red", "Iberia Red Centro de Control <noc@iberia-red.es>", "es",
            {"ticket": "Número de incidencia", "status": "Estado", "start": "Inicio de la incidencia",
             "etr": "Hora estimada de resolución", "end": "Fin de la incidencia",
             "circuits": "Servicios afectados", "summary": "Descripción"},
            {RP: "Registrada", INV: "En investigación", ID: "Causa identificada", M: "Restablecido - en observación",
             R: "Resuelta"},
            "es-long", "{re}Incidencia {ticket} - Iberia Red", "Estimado cliente:\n\nle informamos de una "
            "incidencia en nuestra red.", "Atentamente,\nCentro de Control de Red de Iberia Red",
            layout="html", circuits="html-table",
            table=Table(("ID de circuito", "Producto", "Ancho de banda", "Extremo A", "Extremo B"), markup="th",
                        extra=(("Ethernet",), ("1G", "10G"), ("Madrid",), ("Barcelona", "Valencia")))),
    Carrier("pampas-net", "Pampas Net NOC <noc@pampasnet.com.ar>", "es",
            {"ticket": "Ticket", "status": "Estado", "start": "Fecha de inicio",
             "etr": "Tiempo estimado de reparación", "end": "Fecha de resolución",
             "circuits": "Circuitos afectados", "summary": "Descripción"},
            {RP: "Nuevo", INV: "En análisis", ID: "Falla localizada", M: "En monitoreo", R: "Solucionado"},
            "es-slashed-hs", "{re}Pampas Net - Falla masiva - Ticket {ticket}",
            "Estimado cliente, le informamos una falla en nuestra red.", "Pampas Net NOC, Buenos Aires",
            circuits="inline", quote="gt-es"),
    Carrier("rete-alpina", "Rete Alpina NOC <noc@retealpina.it>", "it",
            {"ticket": "Numero ticket", "status": "Stato", "start": "Inizio disservizio",
             "etr": "Ripristino previsto", "end": "Fine disservizio", "circuits": "Circuiti coinvolti",
             "summary": "Descrizione"},
            {RP: "Segnalato", INV: "In analisi", ID: "Guasto individuato", M: "Ripristinato - in osservazione",
             R: "Risolto"},
            "it-ore", "{re}Rete Alpina - Segnalazione guasto {ticket}", "Gentile cliente,\n\nla informiamo di "
            "un disservizio sulla nostra rete.", "Cordiali saluti,\nRete Alpina NOC", circuits="list"),
    Carrier("polder-net", "Polder Net Storingsdienst <storingen@poldernet.nl>", "nl",
            {"ticket": "Storingsnummer", "status": "Status", "start": "Begin storing", "etr": "Verwacht herstel",
             "end": "Einde storing", "circuits": "Getroffen diensten", "summary": "Omschrijving"},
            {RP: "Gemeld", INV: "In onderzoek", ID: "Oorzaak gevonden", M: "Hersteld - wordt gemonitord",
             R: "Opgelost"},
            "nl-uur", "{re}Storingsmelding {ticket} - Polder Net", "Beste klant,\n\ner is een storing in ons "
            "netwerk.", "Met vriendelijke groet,\nPolder Net Storingsdienst", circuits="inline"),
    Carrier("lusofibra", "LusoFibra Centro de Operações <noc@lusofibra.com.br>", "pt",
            {"ticket": "Número do chamado", "status": "Situação", "start": "Início do incidente",
             "etr": "Previsão de normalização", "end": "Fim do incidente", "circuits": "Circuitos afetados",
             "summary": "Descrição"},
            {RP: "Registrado", INV: "Em análise", ID: "Causa identificada", M: "Em monitoramento", R: "Normalizado"},
            "pt-as", "{re}LusoFibra - Incidente {ticket}", "Prezado cliente,\n\ninformamos um incidente em "
            "nossa rede.", "Atenciosamente,\nCentro de Operações LusoFibra", circuits="list"),
)}  # fmt: skip

S = Step


def d(value: str) -> datetime:
    return at(value)


LIFECYCLES: list[Lifecycle] = [
    # US Central, no "Time", an HTML circuit table with a plain header row; the ETR slips twice.
    Lifecycle("prairielink", "PL-448120", ["PLK-100234", "PLK-100235"], d("2026-11-28 20:20"), CENTRAL, [
        S(10, INV), S(70, ID, etr=300), S(200, ID, "Repair in progress", start=False, etr=420),
        S(330, ID, "Splicing in progress", start=False, etr=540, circuits=False), S(520, R, end=505),
    ]),
    Lifecycle("prairielink", "PL-431077", ["PLK-200871"], d("2026-07-14 13:05"), CENTRAL, [
        S(15, INV), S(90, ID, etr=240), S(250, R, end=235),
    ]),
    # Across the end of US daylight saving (1 November 2026): CDT at the start, CST at the end.
    Lifecycle("prairielink", "PL-450002", ["PLK-300010", "PLK-300011", "PLK-300012"], d("2026-11-01 04:30"),
              CENTRAL, [S(10, INV), S(60, ID, etr=240), S(230, R, end=220)]),
    Lifecycle("cascadia-fiber", "CF-26-1180", ["CSF-DIA-4410", "CSF-WAV-0087"], d("2026-07-14 16:05"),
              PACIFIC_TIME, [S(10, INV), S(80, ID, etr=300), S(260, ID, start=False, etr=400), S(390, R, end=380)]),
    Lifecycle("cascadia-fiber", "CF-26-1622", ["CSF-DIA-5120"], d("2026-01-09 18:40"), PACIFIC_TIME, [
        S(20, RP), S(60, INV, etr=200), S(190, R, end=180),
    ]),
    Lifecycle("rockymtn-transport", "RMT-88120", ["RMT-100234", "RMT-100235"], d("2026-02-17 15:00"),
              MOUNTAIN, [S(10, INV), S(75, ID, etr=300), S(290, R, end=280)]),
    Lifecycle("rockymtn-transport", "RMT-90211", ["RMT-200400"], d("2026-08-21 21:30"), MOUNTAIN, [
        S(15, INV), S(100, M, etr=200), S(260, R, end=150),
    ]),
    # Outlook HTML replies quoting the first notice (its table and its status) below the news.
    Lifecycle("atlantic-wave", "AW-7731020", ["AWV-ETH-1001", "AWV-WAV-2002"], d("2026-11-03 15:05"), EASTERN, [
        S(10, INV), S(70, None, None, start=False, etr=300, circuits=False),
        S(200, None, None, start=False, etr=420, circuits=False), S(410, R, start=False, end=400),
    ]),
    Lifecycle("atlantic-wave", "AW-7731544", ["AWV-ETH-1077"], d("2026-06-17 12:45"), EASTERN, [
        S(10, INV), S(90, ID, start=False, etr=240, circuits=False), S(230, R, start=False, end=220),
    ]),
    Lifecycle("maple-optical", "MO-2026-0310", ["MOP-10G-0441", "MOP-10G-0442"], d("2026-03-10 13:05"),
              EASTERN_TIME, [S(10, INV), S(80, ID, start=False, etr=300, circuits=False),
                             S(170, None, None, start=False, etr=360, circuits=False),
                             S(340, R, start=False, end=330, circuits=False)]),
    Lifecycle("maple-optical", "MO-2026-1107", ["MOP-1G-7710"], d("2026-11-07 02:15"), EASTERN_TIME, [
        S(20, RP), S(120, R, start=False, end=110, circuits=False),
    ]),
    Lifecycle("thames-connect", "TC-F-550120", ["TCN-EPL-3301", "TCN-EPL-3302"], d("2026-07-21 08:50"), UK, [
        S(10, INV), S(60, ID, start=False, etr=240, circuits=False),
        S(200, None, None, start=False, etr=330, circuits=False), S(320, R, start=False, end=310),
    ]),
    Lifecycle("thames-connect", "TC-F-561900", ["TCN-IPT-0070"], d("2026-11-25 10:10"), UK, [
        S(10, INV), S(95, R, start=False, end=85, circuits=False),
    ]),
    # A status page log: "Previous updates" below the news, holding the first notice's lines.
    Lifecycle("harbour-bridge", "HBN-INC-30571", ["HBN-IPVPN-110", "HBN-IPVPN-111"], d("2026-11-03 23:05"),
              SYDNEY, [S(10, INV, etr=200), S(100, ID, start=False, etr=300, circuits=False),
                       S(280, R, start=False, end=270, circuits=False)]),
    Lifecycle("harbour-bridge", "HBN-INC-31004", ["HBN-EPL-207"], d("2026-07-08 01:00"), SYDNEY, [
        S(10, INV, etr=120), S(100, None, None, start=False, etr=240, circuits=False),
        S(230, R, start=False, end=220, circuits=False),
    ]),
    Lifecycle("sakura-backbone", "SB-20261103-014", ["SKB-IPT-0301", "SKB-IPLC-0302", "SKB-IPT-0303"],
              d("2026-11-03 01:05"), JST, [S(10, INV), S(100, ID, etr=600), S(580, R, end=570)]),
    Lifecycle("sakura-backbone", "SB-20260612-002", ["SKB-IPT-0410"], d("2026-06-12 07:30"), JST, [
        S(10, RP), S(60, INV, etr=180), S(170, R, end=160),
    ]),
    Lifecycle("merlion-connect", "MC-INC-2611-0042", ["MLC-IPLC-7001", "MLC-EPL-7002"], d("2026-11-03 02:05"),
              SGT, [S(10, INV), S(80, ID, etr=300), S(220, ID, start=False, etr=420), S(400, R, end=390)]),
    Lifecycle("merlion-connect", "MC-INC-2607-0190", ["MLC-IPLC-8100"], d("2026-07-19 11:00"), SGT, [
        S(15, INV), S(150, R, end=140),
    ]),
    Lifecycle("victoria-harbour", "VHT-CS-771204", ["VHT-EPL-2201", "VHT-EPL-2202"], d("2026-11-03 06:30"), HKT, [
        S(10, INV), S(70, ID, etr=240), S(230, R, end=225),
    ]),
    Lifecycle("victoria-harbour", "VHT-CS-771988", ["VHT-EPL-3301"], d("2026-08-30 14:00"), HKT, [
        S(10, RP), S(50, INV, etr=200), S(180, M, etr=260), S(300, R, end=170),
    ]),
    # India: "Docket No.", IST written by a .in sender; UTC+5:30 written out.
    Lifecycle("bharat-fibre", "DKT2611030045", ["BFL-MPLS-2231", "BFL-MPLS-2232"], d("2026-11-03 04:35"), IST_IN, [
        S(10, INV), S(70, ID, etr=400), S(300, ID, start=False, etr=520), S(500, R, end=490),
    ]),
    Lifecycle("bharat-fibre", "DKT2607150112", ["BFL-ILL-7730"], d("2026-07-15 09:45"), IST_IN, [
        S(15, RP), S(60, INV, etr=180), S(170, R, end=160),
    ]),
    Lifecycle("bharat-fibre-2", "EN-55120", ["BFE-EPL-0091", "BFE-EPL-0092"], d("2026-11-04 10:00"), UTC530, [
        S(10, INV), S(60, ID, etr=240), S(230, R, end=220),
    ]),
    # Ireland: IST is Irish Standard Time (+01:00) in summer, GMT in winter; replies quote in Outlook text.
    Lifecycle("emerald-transit", "ET-2026-0714-03", ["EMT-WAV-0101", "EMT-WAV-0102"], d("2026-07-14 09:05"),
              IRISH, [S(10, INV), S(70, None, None, start=False, etr=300, circuits=False),
                      S(290, R, start=False, end=280, circuits=False)]),
    Lifecycle("emerald-transit", "ET-2026-1203-11", ["EMT-DIA-0440"], d("2026-11-26 09:05"), IRISH, [
        S(10, INV), S(100, ID, start=False, etr=240, circuits=False), S(230, R, start=False, end=225),
    ]),
    # Israel: IST is Israel Standard Time (+02:00), IDT in summer.
    Lifecycle("negev-link", "NL-40021", ["NGL-IPT-3001", "NGL-IPT-3002"], d("2026-11-03 08:05"), ISRAEL, [
        S(10, INV), S(60, ID, etr=240), S(230, R, end=220),
    ]),
    Lifecycle("negev-link", "NL-41590", ["NGL-EPL-0500"], d("2026-07-20 05:30"), ISRAEL, [
        S(10, INV), S(120, R, end=110),
    ]),
    # "GMT+1" in winter, "GMT+2" in summer (Warsaw); UTC+2/UTC+3 (Riga); fixed-width and pipe tables.
    Lifecycle("tatra-net", "TT-2026-02-0088", ["TTN-L2-0041", "TTN-WAV-0042"], d("2026-02-09 06:20"), WARSAW, [
        S(10, INV), S(80, ID, etr=300), S(290, R, end=280),
    ]),
    Lifecycle("tatra-net", "TT-2026-07-0310", ["TTN-L2-0990"], d("2026-07-09 06:20"), WARSAW, [
        S(10, INV), S(90, ID, etr=200), S(230, ID, start=False, etr=320), S(340, R, end=330),
    ]),
    Lifecycle("baltic-ring", "BR-INC-7001", ["BRG-100G-01", "BRG-10G-02"], d("2026-11-12 21:40"), RIGA, [
        S(10, INV), S(70, ID, etr=240), S(230, R, end=220),
    ]),
    Lifecycle("baltic-ring", "BR-INC-7390", ["BRG-10G-17"], d("2026-06-02 03:00"), RIGA, [
        S(15, RP), S(110, R, end=100),
    ]),
    # No zone at all ("local time"): the email's own Date offset (+04:00) is the zone.
    Lifecycle("gulfstream-carrier", "GSC-88012", ["GSC-IPT-0031", "GSC-IPT-0032"], d("2026-11-03 05:10"),
              DUBAI, [S(10, INV), S(60, ID, etr=200), S(190, R, end=180)]),
    Lifecycle("gulfstream-carrier", "GSC-88340", ["GSC-EPL-0800"], d("2026-08-11 18:00"), DUBAI, [
        S(10, INV, etr=120), S(110, ID, etr=240), S(230, R, end=220),
    ]),
    # German: "Störungsmeldung", "Ursache gefunden", "Behoben", "04.11.2026, 04:12 Uhr MEZ"; replies quote
    # the first notice in a German Outlook block.
    Lifecycle("nordlicht-netz", "NLN-2026-11-0412", ["NLN-ETH-00871", "NLN-ETH-00872"], d("2026-11-04 03:12"),
              MEZ, [S(10, INV), S(80, ID, start=False, etr=300, circuits=False),
                    S(250, None, None, start=False, etr=420, circuits=False), S(400, R, start=False, end=390)]),
    Lifecycle("nordlicht-netz", "NLN-2026-07-0077", ["NLN-WAV-01200"], d("2026-07-22 12:30"), MEZ, [
        S(10, RP), S(60, M, start=False, etr=200, circuits=False), S(210, R, start=False, end=190)]),
    Lifecycle("rhein-carrier", "RC-ST-26-3310", ["RHC-ETH-5001", "RHC-WAV-5002"], d("2026-11-18 07:40"), MEZ, [
        S(10, RP), S(40, INV), S(100, ID, etr=360), S(350, R, end=340),
    ]),
    Lifecycle("rhein-carrier", "RC-ST-26-2101", ["RHC-ETH-6100"], d("2026-06-03 19:15"), MEZ, [
        S(10, INV), S(120, M, etr=300), S(300, R, end=110),
    ]),
    Lifecycle("fibre-hexagone", "FH-INC-2611-118", ["FHX-ETH-3011", "FHX-ETH-3012"], d("2026-11-04 13:15"), CET, [
        S(10, INV), S(90, ID, start=False, etr=300, circuits=False),
        S(280, None, None, start=False, etr=400, circuits=False), S(390, R, start=False, end=380, circuits=False),
    ]),
    Lifecycle("fibre-hexagone", "FH-INC-2607-042", ["FHX-WAV-0420"], d("2026-07-07 06:00"), CET, [
        S(10, RP), S(70, INV, start=False, etr=180, circuits=False), S(170, R, start=False, end=160),
    ]),
    Lifecycle("iberia-red", "IR-26-004471", ["IBR-ETH-1001", "IBR-ETH-1002"], d("2026-11-04 13:15"), CET, [
        S(10, INV), S(60, ID, etr=240), S(200, ID, start=False, etr=320), S(310, R, end=300),
    ]),
    Lifecycle("iberia-red", "IR-26-003310", ["IBR-ETH-2200"], d("2026-07-15 10:00"), CET, [
        S(10, RP), S(90, M, etr=200), S(210, R, end=80),
    ]),
    Lifecycle("pampas-net", "PN-778812", ["PAM-IP-4401", "PAM-IP-4402"], d("2026-11-04 17:15"), ART, [
        S(10, INV), S(80, None, None, start=False, etr=300, circuits=False),
        S(290, R, start=False, end=280, circuits=False),
    ]),
    Lifecycle("pampas-net", "PN-779001", ["PAM-IP-5500"], d("2026-06-20 12:00"), ART, [
        S(15, INV), S(70, ID, start=False, etr=200, circuits=False), S(190, R, start=False, end=180),
    ]),
    Lifecycle("rete-alpina", "RA-2026-11-0203", ["RAL-ETH-0701", "RAL-ETH-0702"], d("2026-11-04 13:15"), CET, [
        S(10, INV), S(80, ID, etr=300), S(290, R, end=280),
    ]),
    Lifecycle("rete-alpina", "RA-2026-07-0091", ["RAL-WAV-0090"], d("2026-07-28 04:45"), CET, [
        S(10, RP), S(60, INV, etr=200), S(180, ID, etr=300), S(290, R, end=285),
    ]),
    Lifecycle("polder-net", "PN-ST-20261104-07", ["PLD-GLS-1201", "PLD-GLS-1202"], d("2026-11-04 13:15"),
              AMSTERDAM, [S(10, INV), S(70, ID, etr=250), S(240, R, end=230)]),
    Lifecycle("polder-net", "PN-ST-20260709-02", ["PLD-GLS-3300"], d("2026-07-09 07:00"), AMSTERDAM, [
        S(10, RP), S(50, INV, etr=180), S(170, M, etr=240), S(260, R, end=160),
    ]),
    Lifecycle("lusofibra", "LF-2026110400321", ["LSF-MPLS-0021", "LSF-MPLS-0022"], d("2026-11-04 17:15"), BRT, [
        S(10, INV), S(70, ID, etr=300), S(290, R, end=280),
    ]),
    Lifecycle("lusofibra", "LF-2026060900044", ["LSF-IP-0440"], d("2026-06-09 12:10"), BRT, [
        S(10, RP), S(60, INV, etr=150), S(140, ID, etr=260), S(250, R, end=245),
    ]),
]  # fmt: skip


def zone_names() -> set[str]:
    """Every zone name or offset the corpus writes with a time (for the corpus's own size test)."""
    names = set()
    for life in LIFECYCLES:
        for step in life.steps:
            for minutes in (0, step.etr, step.end):
                if minutes is not None:
                    names.add(life.zone.name(life.start + timedelta(minutes=minutes)))
    return names - {""}


def provider_of(carrier: Carrier) -> str:
    """The provider name the outage reader gives a sender: its registrable domain's first label."""
    domain = carrier.sender.rpartition("@")[2].rstrip(">")
    labels = domain.split(".")
    size = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in ("co", "com") else 2
    return labels[-size]


def main() -> None:
    clear_lifecycles(HERE)
    for index, life in enumerate(LIFECYCLES, start=1):
        carrier = CARRIERS[life.style]
        about = {
            "style": life.style,
            "provider": provider_of(carrier),
            "event_id": carrier.ticket_format.format(life.ticket),
            "language": carrier.language,
        }
        folder = HERE / f"{index:02d}-{life.style}-{life.ticket.lower()}"
        write_lifecycle(folder, life, partial(email_bytes, life, index=index), about)


if __name__ == "__main__":
    main()
