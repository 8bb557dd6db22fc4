"""BatchWriter's split on refusal, without a NetBox: a bulk request NetBox refuses is halved by event
until the event at fault is alone, and only that event is aborted."""

from __future__ import annotations

from ingestor.netbox.faults import NetBoxRejected
from ingestor.netbox.plan import EventPlan
from ingestor.netbox.write import BatchWriter, Item
from ingestor.outcome import Outcome


def test_a_refusal_is_split_down_to_the_event_at_fault():
    plans = [EventPlan("maintenance", f"MW-{n}", 1) for n in range(1, 4)]
    items = [Item(plan, {"name": plan.event_name}) for plan in plans]
    sent: list[list[str]] = []

    def send(data: list[dict], _resent: bool):
        sent.append([d["name"] for d in data])
        if "MW-3" in sent[-1]:
            raise NetBoxRejected('HTTP 400: {"end": ["must be after start"]}')

    writer = BatchWriter(catalog=None)  # a refusal needs no status probe
    writer.send(items, send)
    assert writer.aborted == {
        plans[2].key: (Outcome.FAILED, 'NetBox: HTTP 400: {"end": ["must be after start"]}')
    }
    assert sent == [["MW-1", "MW-2", "MW-3"], ["MW-1"], ["MW-2", "MW-3"], ["MW-2"], ["MW-3"]]


def test_large_phases_go_in_balanced_parts_that_keep_each_event_together():
    from ingestor.netbox.write import _by_event

    sizes = {"MW-1": 12, "MW-2": 1, "MW-3": 1, "MW-4": 10, "MW-5": 1, "MW-6": 11, "MW-7": 4}
    plans = {name: EventPlan("maintenance", name, 1) for name in sizes}
    items = [Item(plans[name], {"name": name}) for name, count in sizes.items() for _ in range(count)]
    parts = _by_event(items, most=3, least=10)
    assert sorted(len(part) for part in parts) == [13, 13, 14]
    for part in parts:  # an event's items never span two requests
        names = {item.plan.event_name for item in part}
        assert sum(sizes[name] for name in names) == len(part)
    assert _by_event(items, most=3, least=40) == [items]  # too few for a second request
