"""No network from parsing: what an email says must never leave the host, and a parse must not wait on
the Internet.

circuit-maintenance-parser resolves a city named in an email to its time zone through its offline city
table and, for a city that table lacks, asks OpenStreetMap's online geocoder (geopy's Nominatim) — an
email's content sent to a third party, and 12.5 s per email when the network is closed. In the parse
workers the online lookup is replaced by a refusal (the library then fails that email's time zone, with a
reason naming the city), and an audit hook refuses every name lookup and every TCP/UDP connect the
worker would make, logging each one, so an egress nobody foresaw is refused and seen rather than made.
"""

from __future__ import annotations

import logging
import socket
import sys

logger = logging.getLogger(__name__)

# audited events that would reach the network (PEP 578 names)
_LOOKUPS = frozenset(
    {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "socket.getnameinfo"}
)
_SENDS = frozenset({"socket.connect", "socket.sendto", "socket.bind"})
_NETWORK_FAMILIES = (socket.AF_INET, socket.AF_INET6)
_installed = False


class NetworkRefused(PermissionError):
    """A parse worker tried to reach the network."""


def _offline_only(city: str) -> tuple[float, float]:
    raise ValueError(f"{city!r} is not in the offline city table (online geolocation is off)")


def disable_online_geolocation() -> None:
    """The library's online geocoder replaced by a refusal: only its offline city table answers."""
    from circuit_maintenance_parser.utils import Geolocator

    Geolocator.get_location_from_api = staticmethod(_offline_only)


def _reaches_network(event: str, args: tuple) -> bool:
    if event in _LOOKUPS:
        return True
    if event in _SENDS:
        return getattr(args[0], "family", None) in _NETWORK_FAMILIES
    return False


def _audit(event: str, args: tuple) -> None:
    if _reaches_network(event, args):
        target = args[1] if event in _SENDS and len(args) > 1 else args[0] if args else "?"
        logger.warning("parse worker refused network access: %s %r", event, target)
        raise NetworkRefused(f"no network from parsing ({event})")


def forbid_network() -> None:
    """From now on this process makes no name lookup and no inet connection (an audit hook cannot be
    removed: for the parse workers only, which need nothing but their pipe to the daemon)."""
    global _installed
    if not _installed:
        sys.addaudithook(_audit)
        _installed = True


def offline() -> None:
    """Both, for a parse worker at its start."""
    disable_online_geolocation()
    forbid_network()
