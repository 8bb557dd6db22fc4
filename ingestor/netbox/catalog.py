"""Catalog: what NetBox holds that does not change per email — object-type ids, the tag, providers (by
slug and by sender domain), each provider's circuits — read through the gateway and cached for one poll
cycle (``refresh()`` starts a new one, so circuits and providers added in NetBox are seen).

Reads only, but for two writes, each a step of its own, never inside a read: ``create_providers`` (with
``create_missing_providers``), which the sink takes after the look-ups, and ``ensure_unmatched_tag``,
which the writer takes the first time an event awaits circuits.
"""

from __future__ import annotations

from collections.abc import Callable

from parsers.senders import sender_domain

from .client import NetBoxGateway, required_id
from .faults import NetBoxRejected
from .plan import CircuitIndex
from .providers import ProviderMatch, Providers, resolve_domains
from .rows import EVENT_KINDS

# Open events whose notices name circuits NetBox does not have: each poll matches them again (relink.py),
# and a NOC finds them in NetBox by this tag.
UNMATCHED_TAG = "notices-unmatched-circuits"
UNMATCHED_TAG_FIELDS = {
    "name": "Unmatched circuits",
    "color": "ff9800",
    "description": "notices-ingestor: an open event names circuits NetBox does not have yet",
}


class Catalog:
    def __init__(self, gateway: NetBoxGateway):
        self.gateway = gateway
        self._object_types: dict[str, int] = {}
        self.refresh()

    def refresh(self) -> None:
        """Start a new cache cycle (once per poll / replay run)."""
        self._providers: dict[str, int | None] = {}
        self._domains: dict[str, ProviderMatch | None] = {}
        self._circuits: dict[int, CircuitIndex] = {}
        self._tag_by_slug: dict[str, int] | None = None

    def object_type_id(self, app_label: str, model: str) -> int:
        key = f"{app_label}.{model}"
        if not self._object_types:  # the types we use, in one request
            rows = self.gateway.list("core.object_types", app_label=["notices", "circuits"])
            self._object_types = {f"{row['app_label']}.{row['model']}": row["id"] for row in rows}
        if key not in self._object_types:
            raise NetBoxRejected(f"NetBox has no object type {key}: is the netbox-notices plugin installed?")
        return self._object_types[key]

    def event_type_ids(self) -> dict[str, int]:
        return {kind: self.object_type_id("notices", kind) for kind in EVENT_KINDS}

    def tag_ids(self) -> list[int]:
        """The tag every object we create carries ([] until `check --setup` has created it)."""
        found = self._tags().get(self.gateway.config.tag)
        return [found] if found is not None else []

    def ensure_unmatched_tag(self) -> int:
        """The tag of open events that name circuits NetBox does not have, created the first time an
        event needs it (by the writer: a write phase, never inside a read)."""
        found = self._tags().get(UNMATCHED_TAG)
        if found is not None:
            return found
        [row] = self.gateway.create(
            "extras.tags",
            [dict(UNMATCHED_TAG_FIELDS, slug=UNMATCHED_TAG)],
            "notices-ingestor: tag for events whose circuits are not in NetBox yet",
            key=lambda item: item["slug"],
            lookup=lambda: self.gateway.list("extras.tags", slug=UNMATCHED_TAG),
        )
        self._tags()[UNMATCHED_TAG] = row["id"]
        return row["id"]

    def _tags(self) -> dict[str, int]:
        """Our two tags by slug, read once per cycle (one request)."""
        if self._tag_by_slug is None:
            rows = self.gateway.list("extras.tags", slug=[self.gateway.config.tag, UNMATCHED_TAG])
            self._tag_by_slug = {row["slug"]: row["id"] for row in rows}
        return self._tag_by_slug

    def unmatched_events(self) -> dict[str, list[int]]:
        """The events carrying the unmatched-circuits tag, by kind: one request, whatever the tag's state
        (a search, not a filter by slug: NetBox refuses a filter naming a tag that does not exist)."""
        rows = self.gateway.list("extras.tagged_objects", q=UNMATCHED_TAG, fields="object_type,object_id,tag")
        found: dict[str, list[int]] = {}
        for row in rows:
            app, _, model = str(row.get("object_type") or "").partition(".")
            if (
                (row.get("tag") or {}).get("slug") == UNMATCHED_TAG
                and app == "notices"
                and model in EVENT_KINDS
            ):
                found.setdefault(model, []).append(row["object_id"])
        return found

    # -- providers ------------------------------------------------------------------------------------------
    def provider_ids(self, slugs: set[str]) -> dict[str, int | None]:
        """NetBox provider ids by slug (None: no such provider); unknown slugs read in one request."""
        missing = sorted(slugs - self._providers.keys())
        if missing:
            found = {row["slug"]: row["id"] for row in self.gateway.list("circuits.providers", slug=missing)}
            self._providers |= {slug: found.get(slug) for slug in missing}
        return {slug: self._providers[slug] for slug in slugs}

    def providers_by_domain(self, domains: set[str]) -> dict[str, ProviderMatch | None]:
        """The NetBox provider each sender domain belongs to (providers.py: contacts, then slug/name),
        None when none; domains not asked in this cache cycle are read together (at most 3 requests)."""
        missing = {domain for domain in domains if domain and domain not in self._domains}
        if missing:
            self._domains |= resolve_domains(self.gateway, missing)
        return {domain: self._domains.get(domain) for domain in domains}

    def find_providers(
        self, wanted: list[tuple[str, str | None]], slug_for: Callable[[str], str]
    ) -> Providers:
        """Providers for these (sender, parser provider name) pairs: by slug (one request), then by the
        domain of the senders whose name has none (only then); ``Providers.unfound`` names the slugs
        neither finds (``create_providers`` may create them)."""
        by_slug = self.provider_ids({slug_for(name) for _, name in wanted if name})
        lost = [(sender, name) for sender, name in wanted if not name or by_slug[slug_for(name)] is None]
        by_domain = self.providers_by_domain({sender_domain(sender) for sender, _ in lost})
        unfound = {slug_for(n) for s, n in lost if n and by_domain.get(sender_domain(s)) is None}
        return Providers(slug_for, by_slug, by_domain, unfound)

    def create_providers(self, providers: Providers) -> None:
        """With ``create_missing_providers``, create the providers ``providers`` found neither by slug nor
        by sender domain, and add them to it; nothing without it."""
        slugs = providers.unfound
        if not slugs or not self.gateway.config.create_missing_providers:
            return
        wanted = sorted(slugs)
        rows = self.gateway.create(
            "circuits.providers",
            [{"name": slug, "slug": slug} for slug in wanted],
            "notices-ingestor: provider created for incoming notices",
            key=lambda item: item["slug"],
            lookup=lambda: self.gateway.list("circuits.providers", slug=wanted),
            tags=self.tag_ids(),
        )
        created = {row["slug"]: row["id"] for row in rows}
        self._providers |= created
        providers.by_slug |= created

    # -- circuits -------------------------------------------------------------------------------------------
    def circuit_indexes(self, provider_ids: set[int]) -> dict[int, CircuitIndex]:
        """Each provider's circuits; providers not read in this cache cycle are read in one request."""
        missing = sorted(provider_ids - self._circuits.keys())
        if missing:
            by_provider: dict[int, dict[str, int]] = {pid: {} for pid in missing}
            for row in self.gateway.list("circuits.circuits", provider_id=missing):
                by_provider[required_id(row["provider"])][row["cid"]] = row["id"]
            self._circuits |= {pid: CircuitIndex(cids) for pid, cids in by_provider.items()}
        return {pid: self._circuits[pid] for pid in provider_ids}


__all__ = ["UNMATCHED_TAG", "Catalog"]
