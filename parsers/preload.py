"""Imported once by the parse workers' forkserver (parsers.worker), never by the daemon itself.

Importing this module imports every parser and pays the parse libraries' one-time costs: the
circuit-maintenance-parser reference data (its city table and timezone resolver,
parsers.maintenance.load_reference_data), openpyxl (imported by pandas at the first spreadsheet) and
soupsieve's selector grammar (compiled at the first CSS select). Workers fork from the forkserver with all
of it in place: a worker is ready in milliseconds instead of the 2-4 s it took to import and load on its
own, and the first emails of each kind no longer pay up to a few seconds each — at the start of every
replay and daemon, and after each worker killed over a limit. The workers share those pages instead of
each holding a copy; the daemon's own memory stays small, since it never imports this.
"""

import logging

import bs4

from parsers.maintenance import load_reference_data
from parsers.parse import parse_email  # noqa: F401 - imported here so that workers fork with it imported

load_reference_data()
try:
    import openpyxl  # noqa: F401

    bs4.BeautifulSoup("<div><p>x</p></div>", features="lxml").select("div > p")
except Exception:  # noqa: BLE001 - a warm-up only: the first email that needs them loads them
    logging.getLogger(__name__).debug("parse warm-up incomplete", exc_info=True)
