"""Errors the parsing stage raises on purpose."""

from __future__ import annotations


class ParseFailure(Exception):
    """An email a parser recognised but could not read; the message says which parser and what is missing.

    The email is quarantined with this reason (never dropped), so the text is written for the admin:
    ``"acme-fiber: no event_id (label 'Ticket Ref' not found)"``.
    """
