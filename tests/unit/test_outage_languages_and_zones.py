"""The outage reader in German, French, Spanish, Italian, Dutch and Portuguese, zones by name (with
daylight saving for the date, "IST" by the sender's country, offsets) and a time whose zone the email does
not state (the email's own Date offset, with a warning), and "Docket No." tickets."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from parsers.dateorder import DateContext
from parsers.options import ParserOptions
from parsers.outage import explain, parse_outage
from parsers.times import in_english, read_datetime
from tests.unit.test_outage_parser import make_email


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def outage(subject: str, text: str, **kwargs):
    msg, meta = make_email(subject, text, **kwargs)
    [notice] = parse_outage(msg, meta, ParserOptions())
    return notice


# --- languages ---------------------------------------------------------------------------------------------

LANGUAGE_NOTICES = [
    pytest.param(
        "Störungsmeldung NLN-1",
        "Ticketnummer: NLN-1\nStatus: Ursache gefunden\nBeginn der Störung: 04.11.2026, 04:12 Uhr MEZ\n"
        "Voraussichtliche Behebung: Mittwoch, 4. November 2026, 09:30 Uhr (MEZ)\n"
        "Betroffene Dienste: NLN-ETH-1\n",
        "NLN-1",
        "IDENTIFIED",
        at(2026, 11, 4, 3, 12),
        at(2026, 11, 4, 8, 30),
        "de",
        id="de",
    ),
    pytest.param(
        "Incident FH-2 - Fibre Hexagone",
        "Numéro de ticket : FH-2\nStatut : Rétabli - sous surveillance\n"
        "Début de l'incident : 4 novembre 2026 à 14h15 CET\n"
        "Heure estimée de rétablissement : 4 novembre 2026 "
        "à 18h00 CET\nServices impactés : FHX-1\n",
        "FH-2",
        "MONITORING",
        at(2026, 11, 4, 13, 15),
        at(2026, 11, 4, 17),
        "fr",
        id="fr",
    ),
    pytest.param(
        "Incidencia IR-3",
        "Número de incidencia: IR-3\nEstado: Causa identificada\n"
        "Inicio de la incidencia: 4 de noviembre de 2026, 14:15 h (CET)\n"
        "Hora estimada de resolución: 4 de noviembre de 2026, 18:00 h (CET)\nServicios afectados: IBR-1\n",
        "IR-3",
        "IDENTIFIED",
        at(2026, 11, 4, 13, 15),
        at(2026, 11, 4, 17),
        "es",
        id="es",
    ),
    pytest.param(
        "Segnalazione guasto RA-4",
        "Numero ticket: RA-4\nStato: In analisi\nInizio disservizio: 04/11/2026 ore 14:15 CET\n"
        "Ripristino previsto: 04/11/2026 ore 18:00 CET\nCircuiti coinvolti: RAL-1\n",
        "RA-4",
        "INVESTIGATING",
        at(2026, 11, 4, 13, 15),
        at(2026, 11, 4, 17),
        "it",
        id="it",
    ),
    pytest.param(
        "Storingsmelding PN-5",
        "Storingsnummer: PN-5\nStatus: In onderzoek\nBegin storing: 4 november 2026 14.15 uur CET\n"
        "Verwacht herstel: 4 november 2026 18:00 uur CET\nGetroffen diensten: PLD-1\n",
        "PN-5",
        "INVESTIGATING",
        at(2026, 11, 4, 13, 15),
        at(2026, 11, 4, 17),
        "nl",
        id="nl",
    ),
    pytest.param(
        "LusoFibra - Incidente LF-6",
        "Número do chamado: LF-6\nSituação: Em análise\nInício do incidente: 04/11/2026 às 14h15 (BRT)\n"
        "Previsão de normalização: 4 de novembro de 2026 às 18h00 (BRT)\nCircuitos afetados: LSF-1\n",
        "LF-6",
        "INVESTIGATING",
        at(2026, 11, 4, 17, 15),
        at(2026, 11, 4, 21),
        "pt",
        id="pt",
    ),
]


@pytest.mark.parametrize(
    ("subject", "text", "ticket", "status", "start", "etr", "language"), LANGUAGE_NOTICES
)
def test_a_notice_in_each_language(subject, text, ticket, status, start, etr, language) -> None:
    msg, meta = make_email(subject, text, date="Wed, 04 Nov 2026 15:00:00 +0000")
    [notice] = parse_outage(msg, meta, ParserOptions())
    assert (notice.event_id, notice.status, notice.start) == (ticket, status, start)
    assert notice.estimated_time_to_repair == etr
    assert len(notice.circuits) == 1
    fields = explain(msg, meta, ParserOptions())["fields"]
    assert fields["status"]["language"] == language
    assert fields["event_id"]["language"] == language


@pytest.mark.parametrize(
    ("wording", "status"),
    [
        ("noch nicht behoben", None), ("pas encore rétabli", None), ("aún no restablecido", None),
        ("non ancora risolto", None), ("nog niet opgelost", None), ("ainda não normalizado", None),
        ("Provisorisch behoben - Beobachtung", "MONITORING"), ("Entstört", "RESOLVED"),
        ("Gemeldet", "REPORTED"), ("Wird untersucht", "INVESTIGATING"), ("Solucionado", "RESOLVED"),
        ("Guasto individuato", "IDENTIFIED"), ("Hersteld - wordt gemonitord", "MONITORING"),
    ],
)  # fmt: skip
def test_status_wording_and_its_negation_in_other_languages(wording, status) -> None:
    from parsers.statuses import DEFAULT_OUTAGE_STATUS_MAP, map_status

    assert map_status(wording, DEFAULT_OUTAGE_STATUS_MAP) == status


def test_month_and_weekday_names_and_fillers_are_read_as_english() -> None:
    assert in_english("Mittwoch, 4. November 2026, 14.15 Uhr") == ("4 Nov 2026, 14:15", "de")
    assert in_english("4 de noviembre de 2026, 14:15 h")[0] == "4 Nov 2026, 14:15"
    assert in_english("Tue Mar 3 2026 08:15 am") == ("Tue Mar 3 2026 08:15 am", None)


def test_a_maintenance_in_another_language_is_not_an_outage() -> None:
    msg, meta = make_email("Geplante Wartungsarbeiten WA-1", "Ticketnummer: WA-1\nStatus: Neu\n")
    assert parse_outage(msg, meta, ParserOptions()) == []


# --- zones -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "sender", "expected"),
    [
        ("November 28th, 2026 at 2:20 PM Central", "noc@x.example", at(2026, 11, 28, 20, 20)),
        ("July 14th, 2026 at 8:05 AM Central", "noc@x.example", at(2026, 7, 14, 13, 5)),
        ("Nov 1, 2026 03:10 Central Time", "noc@x.example", at(2026, 11, 1, 9, 10)),  # after DST ended
        ("Oct 31, 2026 23:30 Central Time", "noc@x.example", at(2026, 11, 1, 4, 30)),  # before
        ("2026-02-17 08:00 Mountain", "noc@x.example", at(2026, 2, 17, 15)),
        ("2026-08-21 15:30 Mountain Time", "noc@x.example", at(2026, 8, 21, 21, 30)),
        ("Jul 14, 2026 09:05 Pacific Time", "noc@x.example", at(2026, 7, 14, 16, 5)),
        ("11/03/2026 10:05 AM Eastern", "noc@x.example", at(2026, 11, 3, 15, 5)),
        ("06/17/2026 08:45 AM Eastern Time", "noc@x.example", at(2026, 6, 17, 12, 45)),
        ("04.11.2026, 04:12 Uhr MEZ", "noc@x.de", at(2026, 11, 4, 3, 12)),
        ("22.07.2026 14:30 MESZ", "noc@x.de", at(2026, 7, 22, 12, 30)),
        ("04/11/2026 14:15 CET", "noc@x.example", at(2026, 11, 4, 13, 15)),
        ("07/07/2026 08:00 CEST", "noc@x.example", at(2026, 7, 7, 6)),
        ("21 Jul 2026 09:50 BST", "noc@x.example", at(2026, 7, 21, 8, 50)),
        ("25 Nov 2026 10:10 GMT", "noc@x.example", at(2026, 11, 25, 10, 10)),
        ("04/11/2026 10:05 AEDT", "noc@x.example", at(2026, 11, 3, 23, 5)),
        ("08/07/2026 11:00 AEST", "noc@x.example", at(2026, 7, 8, 1)),
        ("2026/11/03 10:05 JST", "noc@x.example", at(2026, 11, 3, 1, 5)),
        ("03-Nov-2026 10:05 SGT", "noc@x.example", at(2026, 11, 3, 2, 5)),
        ("2026-11-03 14:30 HKT", "noc@x.example", at(2026, 11, 3, 6, 30)),
        ("03-11-2026 10:05 IST", "noc@bharatfibre.co.in", at(2026, 11, 3, 4, 35)),
        ("14/07/2026 10:05 IST", "noc@emeraldtransit.ie", at(2026, 7, 14, 9, 5)),
        ("03/11/2026 10:05 IST", "noc@negevlink.co.il", at(2026, 11, 3, 8, 5)),
        ("20/07/2026 08:30 IDT", "noc@negevlink.co.il", at(2026, 7, 20, 5, 30)),
        ("04/11/2026 15:30 (UTC+5:30)", "noc@x.example", at(2026, 11, 4, 10)),
        ("2026-02-09 07:20 (GMT+1)", "noc@x.example", at(2026, 2, 9, 6, 20)),
    ],
)
def test_named_zones_with_daylight_saving_for_the_date(value, sender, expected) -> None:
    context = DateContext.of_email("", sender, sent=expected)
    reading = read_datetime(value, context=context)
    assert reading.value == expected
    assert "no zone stated" not in (reading.warning or "")


def test_ist_from_a_sender_of_no_such_country_is_india_with_a_warning() -> None:
    reading = read_datetime("03-11-2026 10:05 IST", context=DateContext.of_email("", "noc@x.example"))
    assert reading.value == at(2026, 11, 3, 4, 35)
    assert "IST read as India Standard Time (+05:30)" in reading.warning


def test_a_time_without_a_zone_is_read_in_the_emails_date_offset_and_says_so(caplog) -> None:
    text = "Reference Number: GSC-1\nStatus: Investigating\nStart Time: 03 Nov 2026 09:10 (local time)\n"
    with caplog.at_level(logging.WARNING):
        notice = outage("Service Interruption GSC-1", text, date="Tue, 03 Nov 2026 09:20:00 +0400")
    assert notice.start == at(2026, 11, 3, 5, 10)
    assert any("the email's own Date offset +04:00" in warning for warning in notice.warnings)
    assert "Date offset +04:00" in caplog.text


def test_without_a_date_offset_a_time_without_a_zone_is_utc_and_says_so() -> None:
    notice = outage(
        "Incident 1", "Ticket: 1\nStart: 2026-11-03 09:10\n", date="Tue, 03 Nov 2026 09:20:00 -0000"
    )
    assert notice.start == at(2026, 11, 3, 9, 10)
    assert any("states no offset: read as UTC" in warning for warning in notice.warnings)


def test_an_unknown_zone_abbreviation_is_named_in_the_warning() -> None:
    notice = outage(
        "Incident 1", "Ticket: 1\nStart: 2026-11-03 09:10 WIT\n", date="Tue, 03 Nov 2026 09:20 +0900"
    )
    assert notice.start == at(2026, 11, 3, 0, 10)
    assert any("'WIT' is not one this parser knows" in warning for warning in notice.warnings)


def test_explain_names_the_zone_rule() -> None:
    msg, meta = make_email("Outage 9", "Ticket #: 9\nOutage Start: November 28th, 2026 at 2:20 PM Central\n")
    start = explain(msg, meta, ParserOptions())["fields"]["start"]
    assert start["zone_rule"] == "stated with the value: CT (America/Chicago, daylight saving for the date)"


# --- tickets -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["Docket No.", "Docket Number", "Docket ID"])
def test_docket_labels_are_ticket_labels(label: str) -> None:
    notice = outage("Fault Docket", f"{label} : DKT2611030045\nDocket Status : Investigating\n")
    assert (notice.event_id, notice.status) == ("DKT2611030045", "INVESTIGATING")


def test_a_docket_number_in_the_subject() -> None:
    assert (
        outage("Service Disruption - Docket 2611030045", "Status: Investigating\n").event_id == "2611030045"
    )
