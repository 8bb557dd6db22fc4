"""Tables read by structure (header rows, column roles, text tables) and replies read for their news only
(quoted history in text and HTML, in several languages)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from parsers.options import ParserOptions
from parsers.outage import explain, parse_outage
from parsers.quotes import quoted_lines
from parsers.tables import circuit_column, column_role, is_header, text_tables
from tests.unit.test_outage_parser import make_email


def outage(subject: str, text: str | None = None, html: str | None = None, **kwargs):
    msg, meta = make_email(subject, text, html=html, **kwargs)
    [notice] = parse_outage(msg, meta, ParserOptions())
    return notice


def circuits(notice) -> list[str]:
    return [c.circuit_id for c in notice.circuits]


# --- header detection and column roles ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "marked", "header"),
    [
        (["Service ID", "Product", "Bandwidth", "A-End", "B-End"], False, True),
        (["Circuit", "Type", "Capacity", "Site A", "Site Z"], False, True),
        (["Customer", "Circuit ID", "Bandwidth", "Location", "Notes"], False, True),  # one unknown column
        (["Circuit ID", "Bandwidth"], False, True),
        (["Leitungs-ID", "Produkt", "Bandbreite"], False, True),
        (["PLK-100234", "Wavelength", "10G", "Chicago", "Dallas"], False, False),  # a row of values
        (["Status", "Resolved"], False, False),  # a label and its value
        (["Product", "Bandwidth", "A-End"], False, False),  # no circuit column
        (["Ticket", "Status", "Start"], True, True),  # marked up as a header (<th>)
        (["Circuit ID"], True, False),
    ],
)
def test_a_header_row_is_known_by_its_cells(cells, marked, header) -> None:
    assert is_header(cells, marked) is header


def test_each_column_has_a_role_and_the_circuit_column_is_the_most_specific() -> None:
    assert [column_role(h) for h in ("Service ID", "A-End", "Bandwidth", "Site Z", "Remarks")] == [
        "circuit", "a_end", "bandwidth", "b_end", "description",
    ]  # fmt: skip
    assert column_role("Colour") is None
    assert circuit_column(["Service", "Circuit ID", "Bandwidth"]) == 1
    assert circuit_column(["Product", "Bandwidth"]) is None


@pytest.mark.parametrize(
    "header_cell",
    ["<td>{}</td>", "<th>{}</th>", '<td style="font-weight: bold">{}</td>', '<td bgcolor="#036">{}</td>'],
)
def test_an_html_circuit_table_gives_its_id_column_and_no_heading(header_cell: str) -> None:
    headers = "".join(header_cell.format(h) for h in ("Service ID", "Product", "Bandwidth", "A-End", "B-End"))
    html = (
        "<p>Ticket: PL-1</p><p>Status: Investigating</p><p>Affected Services:</p>"
        f"<table><tr>{headers}</tr>"
        "<tr><td>PLK-1</td><td>Wave</td><td>10G</td><td>Chicago</td><td>Dallas</td></tr>"
        "<tr><td>PLK-2</td><td>Ethernet</td><td>1G</td><td>Dallas</td><td>Omaha</td></tr></table>"
    )
    assert circuits(outage("Service Outage PL-1", html=html)) == ["PLK-1", "PLK-2"]


def test_the_id_column_need_not_be_the_first() -> None:
    html = (
        "<p>Ticket: 77</p><table><tr><td>No.</td><td>Service ID</td><td>Service Name</td></tr>"
        "<tr><td>1</td><td>SKB-1</td><td>IP Transit</td></tr><tr><td>2</td><td>SKB-2</td><td>IPLC</td></tr>"
        "</table>"
    )
    assert circuits(outage("Trouble Notification 77", html=html)) == ["SKB-1", "SKB-2"]


def test_a_label_above_a_text_table_does_not_take_its_lines() -> None:
    text = (
        "Incident ID: CF-1\nStatus: Investigating\nImpacted circuits:\n\n"
        "| Circuit ID | Service | Speed  |\n|------------|---------|--------|\n"
        "| CSF-1      | DIA     | 1 Gbps |\n| CSF-2      | Wave    | 10 Gbps |\n"
    )
    assert circuits(outage("Incident CF-1", text)) == ["CSF-1", "CSF-2"]


def test_a_fixed_width_table_is_cut_at_its_header_columns() -> None:
    text = (
        "Trouble Ticket: RMT-1\nCircuits:\n\n"
        "Customer   Circuit ID  Bandwidth  Location\n---------  ----------  ---------  --------\n"
        "ACME CORP  RMT-100     1 Gbps     Denver\nGLOBEX     RMT-101     10 Gbps    Boulder\n"
    )
    [table] = text_tables(text.splitlines())
    assert table.rows[0] == ["ACME CORP", "RMT-100", "1 Gbps", "Denver"]
    assert circuits(outage("Trouble Ticket RMT-1", text)) == ["RMT-100", "RMT-101"]


def test_two_cell_rows_stay_labels_and_values() -> None:
    html = "<table><tr><td>Ticket</td><td>9</td></tr><tr><td>Circuit ID</td><td>C-9</td></tr></table>"
    assert circuits(outage("Outage 9", html=html)) == ["C-9"]


# --- quoted history ----------------------------------------------------------------------------------------

NEWS = "Ticket: 4711\nETR: 2026-03-03 16:00 UTC\n\n"
FIRST = "Ticket: 4711\nStatus: Investigating\nStart: 2026-03-03 08:00 UTC\nCircuits: C-OLD\n"


@pytest.mark.parametrize(
    "marker",
    [
        "-----Original Message-----\nFrom: NOC <noc@carrier.example>\nSent: Tuesday, March 3, 2026 9:00 AM\n",
        "From: Carrier NOC\nSent: Tuesday, March 3, 2026 9:00 AM\nTo: NOC\nSubject: Incident 4711\n",
        "________________________________\nFrom: Carrier NOC\n",
        "On Tue, 3 Mar 2026 at 09:00, NOC <noc@carrier.example> wrote:\n",
        "Previous updates:\n",
        "--- Previous Updates ---\n",
        "-----Ursprüngliche Nachricht-----\nVon: NOC\nGesendet: Dienstag, 3. März 2026 09:00\n",
        "Von: Carrier NOC\nGesendet: Dienstag, 3. März 2026 09:00\n",
        "Le mar. 3 mars 2026 à 09:00, NOC <noc@carrier.example> a écrit :\n",
        "El mar, 3 mar 2026 a las 09:00, NOC <noc@carrier.example> escribió:\n",
        "-----Messaggio originale-----\n",
        "Op di 3 mrt 2026 om 09:00 schreef NOC <noc@carrier.example>:\n",
        "Em ter., 3 de mar. de 2026 às 09:00, NOC <noc@carrier.example> escreveu:\n",
    ],
)
def test_a_status_time_or_circuit_only_in_the_quoted_history_is_not_this_emails(marker: str) -> None:
    notice = outage("RE: Incident 4711", NEWS + marker + "\n" + FIRST)
    assert notice.event_id == "4711"
    assert notice.estimated_time_to_repair == datetime(2026, 3, 3, 16, tzinfo=UTC)
    assert (notice.status, notice.start, circuits(notice)) == (None, None, [])


def test_greater_than_quoting_marks_the_quoted_lines_only() -> None:
    lines = ["Status: Resolved", "", "> Status: Investigating", "> Start: 08:00", "Regards"]
    assert quoted_lines(lines) == [False, False, True, True, False]


def test_the_ticket_may_come_from_the_quote_the_status_may_not() -> None:
    notice = outage("RE: our notice", "Status: Resolved\n\n-----Original Message-----\n" + FIRST)
    assert (notice.event_id, notice.status, notice.start) == ("4711", "RESOLVED", None)


def test_an_outlook_html_reply_quotes_its_first_notice_in_div_rply_fwd_msg() -> None:
    news = (
        "<table><tr><td>Case Number</td><td>AW-1</td></tr>"
        "<tr><td>ETR</td><td>2026-03-03 16:00 UTC</td></tr></table>"
    )
    quoted = (
        '<hr><div id="divRplyFwdMsg"><b>From:</b> NOC<br><b>Sent:</b> Tuesday</div><div><table>'
        "<tr><td>Case Number</td><td>AW-1</td></tr><tr><td>Case Status</td><td>Investigating</td></tr>"
        "<tr><td>Event Start</td><td>2026-03-03 08:00 UTC</td></tr></table>"
        "<table><tr><th>Circuit</th><th>Type</th></tr><tr><td>AWV-1</td><td>Wave</td></tr></table></div>"
    )
    notice = outage("RE: Network Event - Case AW-1", html=f"<html><body>{news}{quoted}</body></html>")
    assert notice.event_id == "AW-1"
    assert notice.estimated_time_to_repair == datetime(2026, 3, 3, 16, tzinfo=UTC)
    assert (notice.status, notice.start, circuits(notice)) == (None, None, [])


def test_a_blockquote_is_quoted_history() -> None:
    html = (
        "<p>Status: Resolved</p>"
        "<blockquote><table><tr><td>Start</td><td>2026-03-03 08:00 UTC</td></tr></table></blockquote>"
    )
    notice = outage("RE: Incident 4711", html=html)
    assert (notice.status, notice.start) == ("RESOLVED", None)


def test_a_forwarded_notice_is_read_as_the_notice() -> None:
    text = "FYI\n\n---------- Forwarded message ----------\nFrom: NOC <noc@carrier.example>\n\n" + FIRST
    notice = outage("Fwd: Incident 4711", text)
    assert (notice.status, circuits(notice)) == ("INVESTIGATING", ["C-OLD"])


def test_the_event_notification_keeps_the_whole_body() -> None:
    msg, meta = make_email("RE: Incident 4711", NEWS + "-----Original Message-----\n" + FIRST)
    assert "Status: Investigating" in meta.body  # the body stored with the notification is the whole email
    report = explain(msg, meta, ParserOptions())
    assert "Status" in report["labels_in_quoted_history"]
    assert report["fields"]["status"]["value"] is None


def test_a_definitions_patterns_search_the_news_only() -> None:
    import re

    from parsers.declarative import ParserDefinition, parse_declarative

    definition = ParserDefinition(
        name="tiny", kind="outage", provider="tiny", senders=["tiny.example"],
        patterns={"event_id": re.compile(r"Ref (T-\d+)"), "circuits": re.compile(r"\b(TNY-\d+)\b")},
    )  # fmt: skip
    text = "Status: Resolved\n\nOn Tue, 3 Mar 2026 at 09:00, NOC <noc@tiny.example> wrote:\n"
    text += "> Ref T-9\n> TNY-1\n"
    msg, meta = make_email("RE: Outage", text, sender="noc@tiny.example")
    [notice] = parse_declarative(msg, meta, ParserOptions(parsers=[definition]))
    assert (notice.event_id, notice.status, circuits(notice)) == ("T-9", "RESOLVED", [])


def test_a_from_to_window_is_no_quoted_header() -> None:
    lines = ["Status: Open", "From: 10:00 UTC", "To: 12:00 UTC", "Date: 03/03/2026", "Circuit: C-1"]
    assert quoted_lines(lines) == [False] * 5
    header = ["Status: Open", "From: Carrier NOC", "Sent: Tuesday", "Status: Old"]
    assert quoted_lines(header)[2:] == [True, True]
