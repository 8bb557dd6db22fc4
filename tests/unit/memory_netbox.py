"""An in-memory stand-in for the NetBox endpoints the gateway uses, at pynetbox's endpoint level, with
fault injection.

It lets unit tests drive NetBoxGateway and the sink (ingestor/netbox/sink.py) through lost answers,
refusals, races and transient faults without a server; the integration tests
(tests/integration/test_faults.py) do the same against the real NetBox behind the fault proxy.

Rows are plain dicts shaped like NetBox's JSON; each table has its own id sequence, as in NetBox (a
maintenance and an outage may share an id). Like NetBox, a bulk write runs in one transaction: a refused
or failing request stores nothing, unless the fault is injected ``after`` the write (a lost answer).
Every request is recorded in ``requests`` as (model, method).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable

import requests

from ingestor.config import NetBoxConfig
from ingestor.netbox.client import NetBoxGateway

from .test_netbox_faults import request_error

OBJECT_TYPES = {
    "notices.maintenance": 1,
    "notices.outage": 2,
    "notices.impact": 3,
    "notices.eventnotification": 4,
    "circuits.circuit": 5,
}
EVENT_MODELS = ("maintenance", "outage")
CHANGES = "core.object_changes"
# What the database holds unique (the plugin answers a second one with 500, an integrity error).
UNIQUE = {
    "impact": ("event_content_type", "event_object_id", "target_content_type", "target_object_id"),
}
WRITES = ("POST", "PATCH", "DELETE")
CLOSED = ("COMPLETED", "CANCELLED", "RESOLVED")

Hook = Callable[[list[dict]], None]
Refusal = Callable[[dict], Exception | None]


def lost_answer() -> Exception:
    return requests.ReadTimeout("answer held past the timeout")


def _values(value) -> list:
    return list(value) if isinstance(value, list | tuple | set) else [value]


def _ref(value):
    """A related object as NetBox may give it (nested dict) or as we post it (id, 'app.model')."""
    return value.get("id") if isinstance(value, dict) else value


def _matches(row: dict, key: str, wanted) -> bool:
    """One filter, any of its values (``?name=a&name=b``)."""
    if key == "provider_id":
        return _ref(row.get("provider")) in _values(wanted)
    if key == "contact_id":
        return _ref(row.get("contact")) in _values(wanted)
    if key.endswith("__iew"):  # NetBox's "ends with, ignoring case" lookup
        value = str(row.get(key.removesuffix("__iew")) or "").lower()
        return any(value.endswith(str(v).lower()) for v in _values(wanted))
    if key == "event_content_type":
        types = [OBJECT_TYPES.get(v, v) for v in _values(wanted)]
        return _ref(row.get("event_content_type")) in types
    return row.get(key) in _values(wanted)


class MemoryEndpoint:
    def __init__(self, db: MemoryNetBox, model: str):
        self.db, self.model = db, model

    def _rows(self) -> list[dict]:
        return self.db.tables.setdefault(self.model, [])

    def filter(self, **filters) -> list[dict]:
        self.db.request(self.model, "GET", [filters])  # a refusal of GETs sees the filters
        filters.pop("limit", None)  # one page holds everything here
        filters.pop("fields", None)  # NetBox answers only these fields; all of them here
        filters.pop("ordering", None)  # rows are kept in id order here
        if self.model == "extras.tagged_objects":
            return self.db.tagged_objects(filters.pop("q", ""))
        rows = [row for row in self._rows() if all(_matches(row, k, v) for k, v in filters.items())]
        return [self.db.shaped(self.model, row) for row in rows]

    def create(self, payload):
        items = payload if isinstance(payload, list) else [payload]
        after = self.db.request(self.model, "POST", items)
        self.db.check_unique(self.model, items)
        self.db.check_open_event(self.model, items)
        created = [
            dict(self.db.insert(self.model, {k: v for k, v in item.items() if k != "changelog_message"}))
            for item in items
        ]
        if self.model in (*EVENT_MODELS, "eventnotification"):  # NetBox's changelog, with create messages
            for item, row in zip(items, created, strict=True):
                change = {"changed_object_type": f"notices.{self.model}", "action": "create"}
                self.db.insert(
                    CHANGES, dict(change, changed_object_id=row["id"], message=item.get("changelog_message"))
                )
        if after:
            raise after
        return created if isinstance(payload, list) else created[0]

    def update(self, items: list[dict]):
        after = self.db.request(self.model, "PATCH", items)
        rows = {row["id"]: row for row in self._rows()}
        self.db.check_open_event(self.model, [dict(rows[item["id"]], **item) for item in items])
        for item in items:
            rows[item["id"]].update({k: v for k, v in item.items() if k != "changelog_message"})
        if after:
            raise after
        return True

    def delete(self, ids: list[int]):
        after = self.db.request(self.model, "DELETE", [{"id": i} for i in ids])
        missing = sorted(set(ids) - {row["id"] for row in self._rows()})
        if missing:  # as NetBox answers a bulk delete naming an id that is gone
            errors = [{"id": i, "errors": {"id": [f"Object with ID {i} does not exist"]}} for i in missing]
            raise request_error(400, {"detail": f"{len(missing)} of {len(ids)} objects could not be found.",
                                      "errors": errors})  # fmt: skip
        self.db.remove(self.model, set(ids))
        if after:
            raise after
        return True


class Fault:
    def __init__(self, exc: Exception, after: bool):
        self.exc, self.after = exc, after


class MemoryNetBox:
    def __init__(self):
        self.tables: dict[str, list[dict]] = {}
        self._ids: dict[str, itertools.count] = defaultdict(lambda: itertools.count(1))
        self.faults: dict[tuple[str, str], list[Fault]] = {}
        self.refusals: dict[tuple[str, str], list[Refusal]] = {}
        self.hooks: dict[tuple[str, str], list[Hook]] = {}
        self.requests: list[tuple[str, str]] = []
        self.answering = True  # what the status probe (/api/status/) sees
        self.insert("extras.tags", {"slug": "notices-ingestor"})
        for name, type_id in OBJECT_TYPES.items():
            app_label, model = name.split(".")
            self.tables.setdefault("core.object_types", []).append(
                {"id": type_id, "app_label": app_label, "model": model}
            )

    # -- what a request meets ---------------------------------------------------------------------------
    def request(self, model: str, method: str, items: list[dict]) -> Exception | None:
        """Record one request and run what was injected for it. Raises a fault that strikes before the
        write (nothing stored) or a refusal of one of ``items``; returns the exception to raise after the
        write (a lost answer)."""
        self.requests.append((model, method))
        for hook in self.hooks.pop((model, method), []):
            hook(items)
        queue = self.faults.get((model, method))
        fault = queue.pop(0) if queue else None
        if fault and not fault.after:
            raise fault.exc
        for refuse in self.refusals.get((model, method), []):
            for item in items:
                if (exc := refuse(item)) is not None:
                    raise exc
        return fault.exc if fault else None

    def check_unique(self, model: str, items: list[dict]) -> None:
        fields = UNIQUE.get(model)
        if fields is None:
            return
        taken = {tuple(_ref(row.get(f)) for f in fields) for row in self.rows(model)}
        for item in items:
            key = tuple(_ref(item.get(f)) for f in fields)
            if key in taken:
                raise request_error(500, "<h1>Server Error (500)</h1>")  # IntegrityError
            taken.add(key)

    def check_open_event(self, model: str, items: list[dict]) -> None:
        """The plugin's Impact.clean(): no impact of a completed, cancelled or resolved event is written."""
        if model != "impact":
            return
        for item in items:
            type_id = _ref(item["event_content_type"])
            kind = next(m for m in EVENT_MODELS if OBJECT_TYPES[f"notices.{m}"] == type_id)
            event = next((r for r in self.rows(kind) if r["id"] == item["event_object_id"]), {})
            if event.get("status") in CLOSED:
                refusal = "You cannot alter an impact once the event has completed."
                raise request_error(400, {"non_field_errors": [refusal]})

    def inject(self, model: str, method: str, exc: Exception, *, after: bool = False, times: int = 1) -> None:
        """The next ``times`` requests fail with ``exc``; ``after``: the write happens first (lost answer)."""
        self.faults.setdefault((model, method), []).extend(Fault(exc, after) for _ in range(times))

    def refuse(self, model: str, method: str, refusal: Refusal) -> None:
        """Every request to (model, method) holding an item for which ``refusal`` returns an exception
        fails with it and stores nothing (NetBox's one transaction per bulk request)."""
        self.refusals.setdefault((model, method), []).append(refusal)

    def before(self, model: str, method: str, hook: Hook) -> None:
        """Run ``hook(items)`` once, when the next (model, method) request arrives, before it is handled:
        another writer acting at that moment."""
        self.hooks.setdefault((model, method), []).append(hook)

    def shaped(self, model: str, row: dict) -> dict:
        """A row as NetBox answers it: a contact assignment carries its object, nested (a provider's
        brief form: id, name, slug), as NetBox's GFK field gives it."""
        row = dict(row)
        if model in EVENT_MODELS:  # tags nested (id, slug), as NetBox answers them
            slugs = {tag["id"]: tag["slug"] for tag in self.rows("extras.tags")}
            row["tags"] = [{"id": tag, "slug": slugs.get(tag)} for tag in row.get("tags") or []]
        if model == "tenancy.contact_assignments" and row.get("object_type") == "circuits.provider":
            provider = next((p for p in self.rows("circuits.providers") if p["id"] == row["object_id"]), None)
            row["object"] = provider and {key: provider[key] for key in ("id", "name", "slug")}
        return row

    def tagged_objects(self, search: str) -> list[dict]:
        """NetBox's extras/tagged-objects: one row per (object, tag) of the event tables, searched by
        the tag's slug (``q``)."""
        tags = {row["id"]: row for row in self.rows("extras.tags") if search in row["slug"]}
        return [
            {"object_type": f"notices.{model}", "object_id": row["id"], "tag": {"slug": tags[tag]["slug"]}}
            for model in EVENT_MODELS
            for row in self.rows(model)
            for tag in row.get("tags") or []
            if tag in tags
        ]

    def assign_contact(self, provider_id: int, email: str, name: str = "NOC") -> dict:
        """A contact with ``email``, assigned to the provider (as an admin does in NetBox's UI)."""
        contact = self.insert("tenancy.contacts", {"name": name, "email": email})
        return self.insert(
            "tenancy.contact_assignments",
            {"object_type": "circuits.provider", "object_id": provider_id, "contact": {"id": contact["id"]}},
        )

    def count(self, model: str, method: str) -> int:
        return self.requests.count((model, method))

    def writes(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[1] in WRITES]

    # -- direct access (another writer, an operator, a test's look) ------------------------------------
    def rows(self, model: str) -> list[dict]:
        return self.tables.get(model, [])

    def insert(self, model: str, row: dict) -> dict:
        row = dict(row, id=next(self._ids[model]))
        self.tables.setdefault(model, []).append(row)
        return row

    def remove(self, model: str, ids: set[int]) -> None:
        """Delete rows and what NetBox deletes with them: an event's impacts (not its notifications: the
        plugin has no reverse relation for them, and they stay behind), an object's journal entries."""
        self.tables[model] = [r for r in self.rows(model) if r["id"] not in ids]
        if model in EVENT_MODELS:
            type_id = OBJECT_TYPES[f"notices.{model}"]
            for related in ("impact",):
                gone = {
                    r["id"]
                    for r in self.rows(related)
                    if _ref(r.get("event_content_type")) == type_id and r["event_object_id"] in ids
                }
                if gone:
                    self.remove(related, gone)
        assigned = f"notices.{model}" if f"notices.{model}" in OBJECT_TYPES else model
        self.tables["extras.journal_entries"] = [
            r
            for r in self.rows("extras.journal_entries")
            if not (r["assigned_object_type"] == assigned and r["assigned_object_id"] in ids)
        ]


class MemoryGateway(NetBoxGateway):
    def __init__(self, db: MemoryNetBox, retries: int = 3, record_wait: float = 0.3):
        super().__init__(
            NetBoxConfig(
                url="https://nb.invalid",
                token="t",
                retries=retries,
                retry_backoff_seconds=0.001,
                record_wait_seconds=record_wait,  # one short wait: no writer here is ever in between
            )
        )
        self.db = db

    def endpoint(self, model: str):
        return MemoryEndpoint(self.db, model)

    def healthy(self) -> bool:
        self.db.requests.append(("status", "GET"))
        return self.db.answering
