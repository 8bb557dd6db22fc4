"""NetBoxGateway: the one place that talks to NetBox (pynetbox), with retries, timeouts and caches.

Every interaction goes through ``call`` (or ``create``), so one classifier (faults.py) decides what is
retried and what fails the email — including pagination, which happens inside the retried call because
listings are materialised there (``[dict(r) for r in ...]``): no lazy pynetbox record is handed out that
could fetch more data later, outside the retries.

Creates survive a lost answer (a 500 after the write reached NetBox, a timeout after the write): before
sending a create again, ``create`` looks the objects up by their identity and sends only what is still
missing, so a retried create never duplicates.

What does not change per email — object-type ids, the tag, providers, circuits per provider — is cached
for one poll cycle (``refresh()`` starts a new one, so circuits added in NetBox are seen).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any

import pynetbox
import requests
import structlog
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from ingestor import metrics
from ingestor.config import NetBoxConfig
from parsers.models import Notice

from .faults import Fault, NetBoxRejected, NetBoxUnavailable, as_netbox_error, classify, describe, retry_after
from .plan import CircuitIndex, EventSnapshot

log = structlog.get_logger(__name__)

MESSAGE_ID_FIELD = "ingestor_message_id"
NOTICES_FIELD = "ingestor_notices"
DIGEST_FIELD = "ingestor_email_digest"
NOTICES_MODELS = ("maintenance", "outage", "impact", "eventnotification")
HEALTH_TIMEOUT = 5.0

__all__ = ["NetBoxGateway", "NetBoxRejected", "NetBoxUnavailable", "notification_identity"]


def parse_datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


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


def notification_identity(row: dict) -> tuple[str, str] | None:
    """(Message-ID, body digest) an EventNotification records, None for one made by hand."""
    custom = row.get("custom_fields") or {}
    if not custom.get(MESSAGE_ID_FIELD):
        return None
    return custom[MESSAGE_ID_FIELD], custom.get(DIGEST_FIELD) or ""


class _TimeoutSession(requests.Session):
    def __init__(self, timeout: float):
        super().__init__()
        self._timeout = timeout
        self.request_count = 0

    def request(self, method, *args, **kwargs):
        kwargs.setdefault("timeout", self._timeout)
        self.request_count += 1
        with metrics.netbox_timer(method) as timed:  # metrics: count, latency, errors (issue 8)
            response = super().request(method, *args, **kwargs)
            timed.status = response.status_code
        return response


class NetBoxGateway:
    def __init__(self, config: NetBoxConfig):
        self.config = config
        self.session = _TimeoutSession(config.timeout_seconds)
        self.session.verify = config.ca_file or config.verify_tls
        self.api = pynetbox.api(config.url, token=config.token.get_secret_value())
        self.api.http_session = self.session
        self._object_types: dict[str, int] = {}
        self.refresh()

    # -- plumbing -----------------------------------------------------------------------------------
    def _retrying(self) -> Retrying:
        backoff = wait_exponential(
            multiplier=self.config.retry_backoff_seconds, max=self.config.retry_backoff_max_seconds
        )

        def wait(state: RetryCallState) -> float:
            asked = retry_after(state.outcome.exception())
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
        lookup: Callable[[], dict[Hashable, dict]] | None = None,
        tagged: bool = True,
    ) -> list[dict]:
        """Bulk-create ``items``; safe to retry when an answer was lost.

        ``key(item)`` names an item's identity and ``lookup()`` returns what NetBox already holds, by
        that identity. Before each retry the items NetBox already holds are taken from the lookup instead
        of being sent again. The result is in the order of ``items``.
        """
        payload = [self._with_meta(item, message, tagged) for item in items]
        found: dict[Hashable, dict] = {}
        try:
            for attempt in self._retrying():
                with attempt:
                    if attempt.retry_state.attempt_number > 1 and lookup is not None and key is not None:
                        found = lookup()
                        payload = [item for item in payload if key(item) not in found]
                    created = plain(self.endpoint(model).create(payload)) if payload else []
        except Exception as exc:
            raise (as_netbox_error(exc) or exc) from exc
        if key is None:
            return created
        by_key = {**found, **{key(row): row for row in created}}
        return [by_key[key(item)] for item in items]

    def _with_meta(self, item: dict, message: str, tagged: bool) -> dict:
        item = dict(jsonable(item), changelog_message=message)
        if tagged:
            item["tags"] = self._tags()
        return item

    def update(self, model: str, record_id: int, data: dict, message: str) -> None:
        """PATCH one object; the same data sent twice changes nothing, so plain retries are safe."""
        self.call(
            self.endpoint(model).update, [dict(jsonable(data), id=record_id, changelog_message=message)]
        )

    def delete(self, model: str, record_id: int) -> None:
        """Remove one object of ours; gone already (404 after a lost answer) counts as done."""
        try:
            self.call(self.endpoint(model).delete, [record_id])
        except NetBoxRejected as exc:
            if "404" not in str(exc):
                raise

    def list(self, model: str, /, **filters) -> list[dict]:
        """Every row matching ``filters``, all pages read inside one retried call."""
        return self.call(lambda: [dict(row) for row in self.endpoint(model).filter(**filters)])

    def healthy(self) -> bool:
        """Does NetBox answer right now? One GET of /api/status/, no retries, a short timeout."""
        try:
            response = self.session.get(
                f"{self.config.url}/api/status/",
                headers={"Authorization": f"Token {self.config.token.get_secret_value()}"},
                timeout=min(HEALTH_TIMEOUT, self.config.timeout_seconds),
            )
        except requests.RequestException:
            return False
        return response.status_code == 200

    def endpoint(self, model: str):
        if model in NOTICES_MODELS:
            return getattr(self.api.plugins.notices, model)
        app, name = model.split(".")
        return getattr(getattr(self.api, app), name)

    def refresh(self) -> None:
        """Start a new cache cycle (once per poll / replay run)."""
        self._providers: dict[str, int | None] = {}
        self._circuits: dict[int, CircuitIndex] = {}
        self._tag_ids: list[int] | None = None

    @property
    def request_count(self) -> int:
        return self.session.request_count

    # -- cached lookups -------------------------------------------------------------------------------
    def object_type_id(self, app_label: str, model: str) -> int:
        key = f"{app_label}.{model}"
        if key not in self._object_types:
            found = self.list("core.object_types", app_label=app_label, model=model)
            if not found:
                raise NetBoxRejected(
                    f"NetBox has no object type {key}: is the netbox-notices plugin installed?"
                )
            self._object_types[key] = found[0]["id"]
        return self._object_types[key]

    def provider_id(self, slug: str) -> int | None:
        if slug not in self._providers:
            rows = self.list("circuits.providers", slug=slug)
            if not rows and self.config.create_missing_providers:
                rows = self.create(
                    "circuits.providers",
                    [{"name": slug, "slug": slug}],
                    "notices-ingestor: provider created for incoming notices",
                    key=lambda item: item["slug"],
                    lookup=lambda: {row["slug"]: row for row in self.list("circuits.providers", slug=slug)},
                )
            self._providers[slug] = rows[0]["id"] if rows else None
        return self._providers[slug]

    def circuits(self, provider_id: int) -> CircuitIndex:
        if provider_id not in self._circuits:
            rows = self.list("circuits.circuits", provider_id=provider_id)
            self._circuits[provider_id] = CircuitIndex({row["cid"]: row["id"] for row in rows})
        return self._circuits[provider_id]

    def _tags(self) -> list[int]:
        """The tag every object we create carries ([] until `check --setup` has created it)."""
        if self._tag_ids is None:
            rows = self.list("extras.tags", slug=self.config.tag)
            self._tag_ids = [rows[0]["id"]] if rows else []
        return self._tag_ids

    # -- an event as NetBox holds it -----------------------------------------------------------------
    def find_events(self, kind: str, provider_id: int, name: str) -> list[dict]:
        """Events of (provider, name), oldest first. The name is not unique in the plugin; provider +
        name is our key, and the oldest wins when there are several (a race, or a copy made by hand)."""
        rows = self.list(kind, provider_id=provider_id, name=name)
        return sorted((row for row in rows if row["name"] == name), key=lambda row: row["id"])

    def find_event(self, kind: str, provider_id: int, name: str) -> dict | None:
        rows = self.find_events(kind, provider_id, name)
        return rows[0] if rows else None

    def impacts(self, kind: str, event_id: int) -> list[dict]:
        return self.list("impact", event_content_type=f"notices.{kind}", event_object_id=event_id)

    def notifications(self, kind: str, event_id: int) -> list[dict]:
        return self.list("eventnotification", event_content_type=f"notices.{kind}", event_object_id=event_id)

    def snapshot(self, kind: str, record: dict) -> EventSnapshot:
        circuit_type = self.object_type_id("circuits", "circuit")
        impacts = self.impacts(kind, record["id"])
        stored: list[Notice] = []
        emails: set[tuple[str, str]] = set()
        for row in self.notifications(kind, record["id"]):
            identity = notification_identity(row)
            if identity:
                emails.add(identity)
            stored += _stored_notices(row, record["id"])
        return EventSnapshot(
            id=record["id"],
            status=_value(record.get("status")),
            start=parse_datetime(record.get("start")),
            end=parse_datetime(record.get("end")),
            estimated_time_to_repair=parse_datetime(record.get("estimated_time_to_repair")),
            summary=record.get("summary") or "",
            original_timezone=record.get("original_timezone") or "",
            impact_text=record.get("impact") or "",
            acknowledged=record.get("acknowledged"),
            impacts={
                imp["target_object_id"]: (imp["id"], _value(imp.get("impact")))
                for imp in impacts
                if _target_type_id(imp) == circuit_type
            },
            stored_notices=stored,
            notified_emails=emails,
        )


def _log_retry(state: RetryCallState) -> None:
    log.warning("netbox_retry", attempt=state.attempt_number, error=describe(state.outcome.exception()))


def _stored_notices(row: dict, event_id: int) -> list[Notice]:
    notices = []
    for item in (row.get("custom_fields") or {}).get(NOTICES_FIELD) or []:
        try:
            notices.append(Notice.model_validate(item))
        except ValueError as exc:  # an operator edited it by hand: skip it, say so
            log.warning("stored_notice_unreadable", event_id=event_id, notification=row["id"], error=str(exc))
    return notices


def _value(choice) -> str | None:
    """Choice fields come back as {'value': ..., 'label': ...}."""
    if isinstance(choice, dict):
        return choice.get("value")
    return choice


def _target_type_id(impact: dict) -> int | None:
    target_type = impact.get("target_content_type")
    if isinstance(target_type, dict):
        return target_type.get("id")
    return target_type if isinstance(target_type, int) else None
