"""The NetBox stage: parsed emails in, NetBox's netbox-notices objects written, one result per email out.

What the rest of the daemon (pipeline, cli, daemon, scripts) uses of it is named here; the modules
behind it are the package's own:

- ``NetBoxGateway`` (client.py): the transport — requests, retries, pagination, creates that survive a
  lost answer, deletes, the status probe;
- ``Catalog`` (catalog.py): object types, the tag, providers and circuits, cached for a poll cycle
  (``Catalog.refresh``);
- ``NetBoxSink`` (sink.py): a batch of ``SinkEmail`` in, a ``SinkResult`` per email out (read in
  view.py, planned in plan.py, written in write.py, settled with other writers in settle.py);
- ``relink`` (relink.py): circuits added to NetBox after the email that named them get their impacts;
- ``check_netbox``, ``seen_senders``, ``sender_lines`` (setup.py) for ``check``, and
  ``migrate_legacy_records`` (migrate.py) for ``migrate-records``;
- the fault classifier (faults.py): ``NetBoxUnavailable`` (try again later), ``NetBoxDown`` (NetBox
  does not answer its status probe: decided once, by the sink), ``NetBoxRejected`` (refused),
  ``classify``, ``describe`` and ``unavailable`` for errors raised elsewhere.
"""

from .catalog import Catalog
from .client import NetBoxGateway
from .faults import Fault, NetBoxDown, NetBoxRejected, NetBoxUnavailable, classify, describe, unavailable
from .migrate import MigrationReport, migrate_legacy_records
from .providers import ProviderMatch
from .relink import RelinkResult, relink
from .setup import SetupReport, check_netbox, seen_senders, sender_lines
from .sink import EventResult, NetBoxSink, SinkEmail, SinkResult

__all__ = [
    "Catalog",
    "EventResult",
    "Fault",
    "MigrationReport",
    "NetBoxDown",
    "NetBoxGateway",
    "NetBoxRejected",
    "NetBoxSink",
    "NetBoxUnavailable",
    "ProviderMatch",
    "RelinkResult",
    "SetupReport",
    "SinkEmail",
    "SinkResult",
    "check_netbox",
    "classify",
    "describe",
    "migrate_legacy_records",
    "relink",
    "seen_senders",
    "sender_lines",
    "unavailable",
]
