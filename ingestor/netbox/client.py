"""NetBoxGateway: the one place that talks to NetBox (pynetbox), with retries, timeouts and caches.

It reads what planning needs (providers, circuits, an event's snapshot) and sends the writes apply.py
asks for. What does not change per email — object-type ids, the tag, providers, circuits per provider —
is cached for one poll cycle (`refresh()` starts a new one, so circuits added in NetBox are seen).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pynetbox
import requests
import structlog
from tenacity import RetryCallState, retry, retry_if_exception, stop_after_attempt, wait_exponential

from ingestor.config import NetBoxConfig
from parsers.models import Notice

from .plan import CircuitIndex, EventSnapshot

log = structlog.get_logger(__name__)

MESSAGE_ID_FIELD = "ingestor_message_id"
NOTICES_FIELD = "ingestor_notices"
DIGEST_FIELD = "ingestor_email_digest"
NOTICES_MODELS = ("maintenance", "outage", "impact", "eventnotification")


class NetBoxUnavailable(Exception):
    """NetBox could not be reached or kept failing (5xx, timeouts): try the email again later."""


class NetBoxRejected(Exception):
    """NetBox refused a write (4xx): the email's effect cannot be stored as it is."""


def _status_of(exc: BaseException) -> int | None:
    req = getattr(exc, "req", None)
    return getattr(req, "status_code", None)


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return True
    status = _status_of(exc)
    return status is not None and status in (429, 502, 503, 504)


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, pynetbox.RequestError):
        return f"HTTP {_status_of(exc)}: {exc.error}"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]


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


class _TimeoutSession(requests.Session):
    def __init__(self, timeout: float):
        super().__init__()
        self._timeout = timeout
        self.request_count = 0

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", self._timeout)
        self.request_count += 1
        return super().request(*args, **kwargs)


class NetBoxGateway:
    def __init__(self, config: NetBoxConfig):
        self.config = config
        self.session = _TimeoutSession(config.timeout_seconds)
        self.session.verify = config.ca_file or config.verify_tls
        self.api = pynetbox.api(config.url, token=config.token.get_secret_value())
        self.api.http_session = self.session
        self._call = retry(
            retry=retry_if_exception(_transient),
            stop=stop_after_attempt(config.retries + 1),
            wait=wait_exponential(multiplier=0.5, max=10),
            before_sleep=self._log_retry,
            reraise=True,
        )
        self._object_types: dict[str, int] = {}
        self.refresh()

    # -- plumbing -----------------------------------------------------------------------------------
    @staticmethod
    def _log_retry(state: RetryCallState) -> None:
        log.warning(
            "netbox_retry", attempt=state.attempt_number, error=_error_text(state.outcome.exception())
        )

    def call(self, fn, *args, **kwargs):
        """Run one pynetbox call with retries; classify what still fails."""
        try:
            return self._call(fn)(*args, **kwargs)
        except pynetbox.RequestError as exc:
            if _transient(exc) or (_status_of(exc) or 0) >= 500:
                raise NetBoxUnavailable(_error_text(exc)) from exc
            raise NetBoxRejected(_error_text(exc)) from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise NetBoxUnavailable(_error_text(exc)) from exc

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
            found = list(self.call(self.api.core.object_types.filter, app_label=app_label, model=model))
            if not found:
                raise NetBoxRejected(
                    f"NetBox has no object type {key}: is the netbox-notices plugin installed?"
                )
            self._object_types[key] = found[0].id
        return self._object_types[key]

    def provider_id(self, slug: str) -> int | None:
        if slug not in self._providers:
            provider = self.call(self.api.circuits.providers.get, slug=slug)
            if provider is None and self.config.create_missing_providers:
                provider = self.call(
                    self.api.circuits.providers.create,
                    name=slug,
                    slug=slug,
                    tags=self._tags(),
                    changelog_message="notices-ingestor: provider created for incoming notices",
                )
            self._providers[slug] = provider.id if provider else None
        return self._providers[slug]

    def circuits(self, provider_id: int) -> CircuitIndex:
        if provider_id not in self._circuits:
            rows = self.call(lambda: list(self.api.circuits.circuits.filter(provider_id=provider_id)))
            self._circuits[provider_id] = CircuitIndex({row.cid: row.id for row in rows})
        return self._circuits[provider_id]

    def _tags(self) -> list[int]:
        """The tag every object we create carries ([] until `check --setup` has created it)."""
        if self._tag_ids is None:
            tag = self.call(self.api.extras.tags.get, slug=self.config.tag)
            self._tag_ids = [tag.id] if tag else []
        return self._tag_ids

    # -- an event as NetBox holds it -----------------------------------------------------------------
    def find_event(self, kind: str, provider_id: int, name: str):
        rows = self.call(lambda: list(self.endpoint(kind).filter(provider_id=provider_id, name=name)))
        # name is not unique in the plugin; provider + name is our key. Oldest wins if an operator
        # made a copy by hand.
        return min(rows, key=lambda r: r.id) if rows else None

    def snapshot(self, kind: str, record) -> EventSnapshot:
        content_type = f"notices.{kind}"
        impacts = self.call(
            lambda: list(
                self.endpoint("impact").filter(event_content_type=content_type, event_object_id=record.id)
            )
        )
        circuit_type = self.object_type_id("circuits", "circuit")
        notifications = self.call(
            lambda: list(
                self.endpoint("eventnotification").filter(
                    event_content_type=content_type, event_object_id=record.id
                )
            )
        )
        stored: list[Notice] = []
        emails: set[tuple[str, str]] = set()
        for row in notifications:
            custom = row.custom_fields or {}
            if custom.get(MESSAGE_ID_FIELD):
                emails.add((custom[MESSAGE_ID_FIELD], custom.get(DIGEST_FIELD) or ""))
            for item in custom.get(NOTICES_FIELD) or []:
                try:
                    stored.append(Notice.model_validate(item))
                except ValueError as exc:  # an operator edited it by hand: skip it, say so
                    log.warning(
                        "stored_notice_unreadable", event_id=record.id, notification=row.id, error=str(exc)
                    )
        return EventSnapshot(
            id=record.id,
            status=_value(record.status),
            start=parse_datetime(record.start),
            end=parse_datetime(getattr(record, "end", None)),
            estimated_time_to_repair=parse_datetime(getattr(record, "estimated_time_to_repair", None)),
            summary=record.summary or "",
            original_timezone=record.original_timezone or "",
            impact_text=record.impact or "",
            acknowledged=record.acknowledged,
            impacts={
                imp.target_object_id: (imp.id, _value(imp.impact))
                for imp in impacts
                if _target_type_id(imp) == circuit_type
            },
            stored_notices=stored,
            notified_emails=emails,
        )

    # -- writes -----------------------------------------------------------------------------------------
    def create(self, model: str, data: dict | list, message: str, tagged: bool = True):
        def with_meta(item: dict) -> dict:
            item = dict(jsonable(item), changelog_message=message)
            if tagged:
                item["tags"] = self._tags()
            return item

        payload = [with_meta(item) for item in data] if isinstance(data, list) else with_meta(data)
        return self.call(self.endpoint(model).create, payload)

    def update(self, model: str, record_id: int, data: dict, message: str) -> None:
        self.call(
            self.endpoint(model).update, [dict(jsonable(data), id=record_id, changelog_message=message)]
        )


def _value(choice) -> str | None:
    """Choice fields come back as {'value': ..., 'label': ...} records."""
    if choice is None:
        return None
    return getattr(choice, "value", choice)


def _target_type_id(impact) -> int | None:
    target_type = impact.target_content_type
    if isinstance(target_type, int):
        return target_type
    return getattr(target_type, "id", None)
