"""NetBoxGateway: the one place that talks to NetBox (pynetbox), with retries and timeouts: transport only.

Every interaction goes through ``call`` (or ``create``), so one classifier (faults.py) decides what is
retried and what fails the email — including pagination, which happens inside the retried call because
listings are materialised there (``[dict(r) for r in ...]``): no lazy pynetbox record is handed out that
could fetch more data later, outside the retries.

Creates survive a lost answer (a 500 after the write reached NetBox, a timeout after the write): before
sending a create again, ``create`` looks the objects up by their identity and sends only what is still
missing, so a retried create never duplicates.

What does not change per email — object-type ids, the tag, providers, circuits — is looked up and
cached for a poll cycle by the catalog (catalog.py), which reads through this gateway.
"""

from __future__ import annotations

import builtins
import threading
import uuid
from collections.abc import Callable, Collection, Hashable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import pynetbox
import requests
import structlog
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from ingestor import metrics
from ingestor.config import NetBoxConfig
from ingestor.http import MIB, HttpSession

from .faults import Fault, NetBoxRejected, NetBoxUnavailable, as_netbox_error, classify, describe, retry_after
from .records import LEGACY_MESSAGE_ID_FIELD

log = structlog.get_logger(__name__)

NOTICES_MODELS = ("maintenance", "outage", "impact", "eventnotification")
HEALTH_TIMEOUT = 5.0
HEALTH_PROBES = 3  # a 30%-faulty path still answers one of three probes almost always
PAGE_SIZE = 1000  # NetBox's default MAX_PAGE_SIZE
# What each listing asks NetBox for (?fields=): exactly what the sink reads.
_EVENT_FIELDS = (
    "id", "name", "provider", "status", "start", "end", "estimated_time_to_repair", "summary",
    "original_timezone", "impact", "acknowledged", "tags",
)  # fmt: skip
READ_FIELDS: dict[str, tuple[str, ...]] = {
    "core.object_changes": ("id", "changed_object_id", "message"),
    "maintenance": _EVENT_FIELDS,
    "outage": _EVENT_FIELDS,
    "impact": (
        "id",
        "event_content_type",
        "event_object_id",
        "target_content_type",
        "target_object_id",
        "impact",
    ),
    "eventnotification": (
        "id",
        "event_content_type",
        "event_object_id",
        "subject",
        "email_from",
        "email_received",
        "email_body",
    ),  # fmt: skip
    "extras.journal_entries": ("id", "assigned_object_type", "assigned_object_id", "comments"),
    "circuits.circuits": ("id", "cid", "provider"),
    "circuits.providers": ("id", "slug"),
    "tenancy.contacts": ("id", "email"),
    "tenancy.contact_assignments": ("id", "object_id", "object", "contact"),
    "core.object_types": ("id", "app_label", "model"),
}
# Read-only fields of the objects we write that NetBox would otherwise put in each write's answer (?omit=),
# some of them looked up per object: an event's impacts and notifications, an impact's event and target.
_COMMON_OMIT = ("url", "display")
WRITE_OMIT: dict[str, tuple[str, ...]] = {
    "maintenance": (*_COMMON_OMIT, "impacts", "notifications", "impact_count", "status_color"),
    "outage": (*_COMMON_OMIT, "impacts", "notifications", "impact_count", "status_color"),
    "impact": (*_COMMON_OMIT, "event", "target"),
    "eventnotification": (*_COMMON_OMIT, "event"),
    "extras.journal_entries": (*_COMMON_OMIT, "display_url", "assigned_object"),
}
URL_BUDGET = 3000  # characters of multi-value filters per request (servers refuse URLs past ~8 KiB)

__all__ = ["NetBoxGateway", "NetBoxRejected", "NetBoxUnavailable"]


def jsonable(data: Any) -> Any:
    if isinstance(data, datetime):
        return data.isoformat()
    if isinstance(data, dict):
        return {key: jsonable(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [jsonable(value) for value in data]
    return data


def plain(result: Any) -> Any:
    """pynetbox records (and lists of them) as plain dicts: nothing left that could fetch lazily."""
    if isinstance(result, pynetbox.core.response.Record):
        return dict(result)
    if isinstance(result, list):
        return [plain(item) for item in result]
    return result


class _TimeoutSession(HttpSession):
    """NetBox's session: per-request TLS settings, timeout and answer cap (HttpSession), the request
    count, and the ?omit= of write answers."""

    def __init__(self, config: NetBoxConfig):
        super().__init__(
            ca_file=config.ca_file,
            verify=config.verify_tls,
            timeout=config.timeout_seconds,
            max_bytes=config.max_response_mb * MIB,
        )
        self.request_count = 0
        self._count_lock = threading.Lock()
        self.write_omit: dict[str, str] = {}  # list URL -> read-only fields a write's answer leaves out

    def request(self, method, url, *args, **kwargs):
        omit = self.write_omit.get(url.rstrip("/")) if method in ("POST", "PATCH") else None
        if omit and not kwargs.get("params"):
            kwargs["params"] = {"omit": omit}
        with self._count_lock:  # the writer sends from several threads at once
            self.request_count += 1
        with metrics.netbox_timer(method) as timed:  # metrics: count, latency, errors (issue 8)
            response = super().request(method, url, *args, **kwargs)
            timed.status = response.status_code
        return response


class NetBoxGateway:
    def __init__(self, config: NetBoxConfig):
        self.config = config
        self.session = _TimeoutSession(config)
        self.api = pynetbox.api(config.url, token=token_of(config))
        self.api.http_session = self.session
        self.session.write_omit = {
            _pynetbox_endpoint(self.api, model).url: ",".join(WRITE_OMIT[model]) for model in WRITE_OMIT
        }
        self._legacy: bool | None = None
        # Marks this process's event creates in their changelog message: after a lost answer, the look-up
        # tells our copy from another writer's created at the same moment (write.py, _create_sender).
        self.writer_id = uuid.uuid4().hex[:12]

    # -- plumbing -----------------------------------------------------------------------------------
    def _retrying(self) -> Retrying:
        backoff = wait_exponential(
            multiplier=self.config.retry_backoff_seconds, max=self.config.retry_backoff_max_seconds
        )

        def wait(state: RetryCallState) -> float:
            asked = retry_after(_error(state))
            return min(asked, self.config.retry_backoff_max_seconds) if asked is not None else backoff(state)

        return Retrying(
            retry=retry_if_exception(lambda exc: classify(exc) is Fault.TRANSIENT),
            stop=stop_after_attempt(self.config.retries + 1),
            wait=wait,
            before_sleep=_log_retry,
            reraise=True,
        )

    def call(self, fn: Callable, *args, **kwargs):
        """Run one NetBox interaction with retries; what still fails becomes NetBoxUnavailable/Rejected."""
        try:
            for attempt in self._retrying():
                with attempt:
                    return plain(fn(*args, **kwargs))
        except Exception as exc:
            raise (as_netbox_error(exc) or exc) from exc
        raise AssertionError("unreachable: tenacity re-raises the last error")

    def create(
        self,
        model: str,
        items: list[dict],
        message: str,
        *,
        key: Callable[[dict], Hashable] | None = None,
        lookup: Callable[[], list[dict]] | None = None,
        tags: list[int] | None = None,
        lookup_first: bool = False,
    ) -> list[dict]:
        """Bulk-create ``items``; safe to retry when an answer was lost.

        ``key(item)`` names an item's identity (``key`` applies to NetBox's rows too) and ``lookup()``
        returns the rows NetBox already holds that may be ``items``. Two items may share a key (two emails
        whose notifications read the same): each row then stands for one item only. Before each retry
        (and before the first try with ``lookup_first``: items sent before in a request whose answer was
        lost) the items NetBox already holds are taken from the lookup instead of being sent again. The
        result is in the order of ``items``. ``tags``: the tag ids each item carries (Catalog.tag_ids).
        """
        payload = [_with_meta(item, message, tags) for item in items]
        found: dict[int, dict] = {}  # position in items -> the row NetBox holds for it
        try:
            for attempt in self._retrying():
                with attempt:
                    again = attempt.retry_state.attempt_number > 1 or lookup_first
                    if again and lookup is not None and key is not None:
                        found = _match(payload, key, lookup())
                    sent = [item for i, item in enumerate(payload) if i not in found]
                    created = plain(self.endpoint(model).create(sent)) if sent else []
        except Exception as exc:
            raise (as_netbox_error(exc) or exc) from exc
        if key is None:
            return created
        # NetBox answers a bulk create in the order it was sent: the rows match what was sent by position.
        fresh = iter(created)
        return [found[i] if i in found else next(fresh) for i in range(len(items))]

    def delete(self, model: str, record_id: int) -> None:
        """Remove one object of ours; gone already (after a lost answer, or removed by another writer
        that took the same copy for its own) counts as done: NetBox answers a bulk delete of a missing
        id with 400 "Object with ID N does not exist", a single one with 404."""
        try:
            self.call(self.endpoint(model).delete, [record_id])
        except NetBoxRejected as exc:
            if "404" not in str(exc) and f"Object with ID {record_id} does not exist" not in str(exc):
                raise

    def list(self, model: str, /, **filters) -> list[dict]:
        """Every row matching ``filters``, all pages read inside one retried call.

        A filter given a list asks for any of its values (``?name=a&name=b``), so one request reads what
        a batch needs; a list too long for one URL is sent in chunks. Pages are as large as NetBox
        allows (``PAGE_SIZE``), so a listing rarely needs a second request. Only the fields we read are
        asked for (``READ_FIELDS``): NetBox then skips nested objects it would look up row by row, which
        makes a listing of hundreds of notifications or impacts several times faster.
        """
        if model in READ_FIELDS and "fields" not in filters:
            filters["fields"] = ",".join(self._read_fields(model))
        many = {key: value for key, value in filters.items() if isinstance(value, list | tuple | set)}
        if any(not values for values in many.values()):
            return []  # "any of no values" matches nothing: no request
        rows: list[dict] = []
        for chunk in _url_chunks(many):
            # ordered by id: pages of an unordered listing overlap and skip rows (seen past 1,000 impacts)
            query = {**filters, **chunk, "limit": PAGE_SIZE, "ordering": "id"}
            rows += self.call(lambda q=query: [dict(row) for row in self.endpoint(model).filter(**q)])
        return rows

    def _read_fields(self, model: str) -> tuple[str, ...]:
        if model == "eventnotification" and self.legacy_records:
            return (*READ_FIELDS[model], "custom_fields")  # records of versions before 0.5
        return READ_FIELDS[model]

    @property
    def legacy_records(self) -> bool:
        """Does NetBox still have the custom fields earlier versions kept email records in? (once)"""
        if self._legacy is None:
            self._legacy = bool(self.list("extras.custom_fields", name=LEGACY_MESSAGE_ID_FIELD))
        return self._legacy

    def forget_legacy_records(self) -> None:
        """Ask legacy_records again (its custom fields were just deleted)."""
        self._legacy = None

    def update_many(self, model: str, rows: builtins.list[dict]) -> None:
        """PATCH several objects in one request (each row has its ``id`` and ``changelog_message``).
        The same data sent twice changes nothing, so plain retries are safe."""
        if rows:
            self.call(self.endpoint(model).update, [jsonable(row) for row in rows])

    def healthy(self) -> bool:
        """Does NetBox answer right now? One GET of /api/status/, no retries, a short timeout."""
        try:
            response = self.session.get(
                f"{self.config.url}/api/status/",
                headers={"Authorization": auth_header(token_of(self.config))},
                timeout=min(HEALTH_TIMEOUT, self.config.timeout_seconds),
            )
        except requests.RequestException:
            return False
        return response.status_code == 200

    def answers(self, probes: int = HEALTH_PROBES) -> bool:
        """Is NetBox answering at all? (then a failure that persists is one request's own)"""
        return any(self.healthy() for _ in range(probes))

    def endpoint(self, model: str):
        return _pynetbox_endpoint(self.api, model)

    @property
    def request_count(self) -> int:
        return self.session.request_count


def _with_meta(item: dict, message: str, tags: list[int] | None) -> dict:
    item = dict(jsonable(item))
    item.setdefault("changelog_message", message)
    if tags is not None:  # ours, with those the item names (the unmatched-circuits tag)
        item["tags"] = sorted(set(tags) | set(item.get("tags") or []))
    return item


def _match(items: list[dict], key: Callable[[dict], Hashable], held: list[dict]) -> dict[int, dict]:
    """Which of ``items`` NetBox holds: position -> row, each row standing for one item (in order)."""
    rows: dict[Hashable, list[dict]] = {}
    for row in held:
        rows.setdefault(key(row), []).append(row)
    found = {}
    for position, item in enumerate(items):
        if rows.get(key(item)):
            found[position] = rows[key(item)].pop(0)
    return found


def _pynetbox_endpoint(api: pynetbox.api, model: str):
    if model in NOTICES_MODELS:
        return getattr(api.plugins.notices, model)
    app, name = model.split(".")
    return getattr(getattr(api, app), name)


def _url_chunks(many: Mapping[str, Collection]) -> list[dict[str, Collection]]:
    """Split the longest multi-value filter so that each request's query stays within URL_BUDGET."""
    if not many:
        return [{}]
    name = max(many, key=lambda key: len(many[key]))
    fixed = sum(len(quote(str(v))) + len(k) + 2 for k, vs in many.items() if k != name for v in vs)
    chunks: list[dict[str, Collection]] = []
    current: list = []
    size = fixed
    for value in sorted(many[name], key=str):
        cost = len(quote(str(value))) + len(name) + 2
        if current and size + cost > URL_BUDGET:
            chunks.append({**many, name: current})
            current, size = [], fixed
        current.append(value)
        size += cost
    chunks.append({**many, name: current})
    return chunks


def _log_retry(state: RetryCallState) -> None:
    log.warning("netbox_retry", attempt=state.attempt_number, error=describe(_error(state)))


def _error(state: RetryCallState) -> BaseException:
    """The error of a failed attempt (tenacity asks ``wait`` and ``before_sleep`` only after one)."""
    error = state.outcome.exception() if state.outcome is not None else None
    if error is None:
        raise AssertionError("unreachable: a retry follows a failed attempt")
    return error


def ref_id(ref: Any) -> int | None:
    """A related object or object type as the API gives it: a nested dict with its id, or the id."""
    return ref.get("id") if isinstance(ref, dict) else ref


def required_id(ref: Any) -> int:
    """``ref_id`` of a reference NetBox always fills (an event's provider, a circuit's)."""
    found = ref_id(ref)
    if found is None:
        raise KeyError(f"no id in the reference {ref!r}")
    return found


def token_of(config: NetBoxConfig) -> str:
    """The API token (the config does not load without one)."""
    if config.token is None:
        raise ValueError("[netbox] has no token")
    return config.token.get_secret_value()


def auth_header(token: str) -> str:
    # v2 tokens ("nbt_<key>.<secret>") go as Bearer, v1 tokens as "Token <hex>", as pynetbox does.
    return f"Bearer {token}" if token.startswith("nbt_") else f"Token {token}"
