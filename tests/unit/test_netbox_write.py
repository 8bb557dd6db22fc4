"""BatchWriter's split on refusal, without a NetBox: a bulk request NetBox refuses is halved by event
until the event at fault is alone, and only that event is aborted."""

from __future__ import annotations

from ingestor.netbox.faults import NetBoxRejected
from ingestor.netbox.plan import EventPlan
from ingestor.netbox.write import BatchWriter, Item
from parsers.models import Outcome


def test_a_refusal_is_split_down_to_the_event_at_fault():
    plans = [EventPlan("maintenance", f"MW-{n}", 1) for n in range(1, 4)]
    items = [Item(plan, {"name": plan.event_name}) for plan in plans]
    sent: list[list[str]] = []

    def send(data: list[dict], _resent: bool):
        sent.append([d["name"] for d in data])
        if "MW-3" in sent[-1]:
            raise NetBoxRejected('HTTP 400: {"end": ["must be after start"]}')

    writer = BatchWriter(gateway=None)  # a refusal needs no status probe
    writer.send(items, send)
    assert writer.aborted == {
        plans[2].key: (Outcome.FAILED, 'NetBox: HTTP 400: {"end": ["must be after start"]}')
    }
    assert sent == [["MW-1", "MW-2", "MW-3"], ["MW-1"], ["MW-2", "MW-3"], ["MW-2"], ["MW-3"]]
