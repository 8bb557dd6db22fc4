"""An in-memory stand-in for the handful of NetBox endpoints the gateway uses, with fault injection.

It lets unit tests drive NetBoxGateway and apply.py through lost answers, races and transient faults
without a server; the integration tests (tests/integration/test_faults.py) do the same against the real
NetBox behind the fault proxy. Rows are plain dicts shaped like NetBox's JSON.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import requests

from ingestor.config import NetBoxConfig
from ingestor.netbox.client import NetBoxGateway

OBJECT_TYPES = {"notices.maintenance": 1, "notices.outage": 2, "circuits.circuit": 3}


def lost_answer() -> Exception:
    return requests.ReadTimeout("answer held past the timeout")


class MemoryEndpoint:
    def __init__(self, db: MemoryNetBox, model: str):
        self.db, self.model = db, model

    def _rows(self) -> list[dict]:
        return self.db.tables.setdefault(self.model, [])

    def filter(self, **filters) -> list[dict]:
        self.db.hit(self.model, "GET")
        return [dict(row) for row in self._rows() if all(_matches(row, k, v) for k, v in filters.items())]

    def create(self, payload):
        items = payload if isinstance(payload, list) else [payload]
        fault = self.db.fault(self.model, "POST")
        if fault and not fault.after:
            raise fault.exc
        created = []
        for item in items:
            for hook in self.db.before_create.pop(self.model, []):
                hook(item)
            row = {k: v for k, v in item.items() if k not in ("changelog_message", "tags")}
            row["id"] = next(self.db.ids)
            self._rows().append(row)
            created.append(dict(row))
        if fault:
            raise fault.exc
        return created if isinstance(payload, list) else created[0]

    def update(self, items: list[dict]):
        fault = self.db.fault(self.model, "PATCH")
        if fault and not fault.after:
            raise fault.exc
        for item in items:
            row = next(r for r in self._rows() if r["id"] == item["id"])
            row.update({k: v for k, v in item.items() if k != "changelog_message"})
        if fault:
            raise fault.exc
        return True

    def delete(self, ids: list[int]):
        self.db.hit(self.model, "DELETE")
        self.db.tables[self.model] = [r for r in self._rows() if r["id"] not in ids]
        return True


def _matches(row: dict, key: str, value) -> bool:
    if key == "provider_id":
        return row.get("provider") == value
    if key == "event_content_type":
        return row.get("event_content_type") == OBJECT_TYPES[value]
    if key in ("app_label", "model"):
        return True  # object types are answered by MemoryNetBox.object_type rows
    return row.get(key) == value


class Fault:
    def __init__(self, exc: Exception, after: bool):
        self.exc, self.after = exc, after


class MemoryNetBox:
    def __init__(self):
        self.tables: dict[str, list[dict]] = {"extras.tags": [{"id": 900, "slug": "notices-ingestor"}]}
        self.ids = itertools.count(1)
        self.faults: dict[tuple[str, str], list[Fault]] = {}
        self.before_create: dict[str, list[Callable[[dict], None]]] = {}
        self.requests: list[tuple[str, str]] = []

    def hit(self, model: str, method: str) -> None:
        self.requests.append((model, method))
        fault = self.fault(model, method, record=False)
        if fault:
            raise fault.exc

    def fault(self, model: str, method: str, record: bool = True) -> Fault | None:
        if record:
            self.requests.append((model, method))
        queue = self.faults.get((model, method))
        return queue.pop(0) if queue else None

    def inject(self, model: str, method: str, exc: Exception, *, after: bool = False, times: int = 1) -> None:
        """The next ``times`` requests fail with ``exc``; ``after``: the write happens first (lost answer)."""
        self.faults.setdefault((model, method), []).extend(Fault(exc, after) for _ in range(times))

    def rows(self, model: str) -> list[dict]:
        return self.tables.get(model, [])

    def insert(self, model: str, row: dict) -> dict:
        row = dict(row, id=next(self.ids))
        self.tables.setdefault(model, []).append(row)
        return row


class MemoryGateway(NetBoxGateway):
    def __init__(self, db: MemoryNetBox, retries: int = 3):
        super().__init__(
            NetBoxConfig(url="http://nb.invalid", token="t", retries=retries, retry_backoff_seconds=0.001)
        )
        self.db = db

    def endpoint(self, model: str):
        return MemoryEndpoint(self.db, model)

    def object_type_id(self, app_label: str, model: str) -> int:
        return OBJECT_TYPES[f"{app_label}.{model}"]
