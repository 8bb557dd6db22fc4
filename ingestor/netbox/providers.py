"""Which NetBox provider an email's notices go to: the one of the parser's provider name (its slug, or
``[providers.<name>] netbox_provider``), else the one the sender's domain belongs to, else — with
``create_missing_providers`` — a new one under that name. ``Catalog.find_providers`` (catalog.py, which
caches the answers for a poll) is that decision, for the sink and for ``check``; this module holds its
rules and the reads they take.

The provider a sender's domain belongs to, when the parser's provider name has none:

circuit-maintenance-parser names providers after its own classes (and sometimes after a sender domain's
former owner); the NetBox admin knows the provider under another slug. Two rules, in this order:

1. **contact**: a provider whose assigned contacts (tenancy contact assignments on circuits.provider) have
   an email address at the sender's domain — its registrable domain, subdomains on either side included
   (noc@zayo.com stands for maintenance@ops.zayo.com);
2. **slug / name**: a provider whose slug or name is the domain's label (zayo for zayo.com), ignoring case
   and punctuation (crowncastle.com: "Crown Castle", slug crown-castle).

Several providers matching one rule is no answer (a wrong provider is worse than a failed email): the next
rule is asked, and the log names them. Requests, only for domains not answered in this poll: the contacts
at those domains (1), their assignments to providers (1, only when there are such contacts), and the
providers (1, only when a domain is still unanswered then) — see Catalog.providers_by_domain.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from parsers.senders import domain_label, registrable_domain, sender_domain

from .client import NetBoxGateway, ref_id
from .faults import NetBoxRejected

log = structlog.get_logger(__name__)

PROVIDER_TYPE = "circuits.provider"
CONTACTS = "tenancy.contacts"
ASSIGNMENTS = "tenancy.contact_assignments"


@dataclass(frozen=True)
class ProviderMatch:
    """A NetBox provider found for a sender domain, and the rule that found it (for logs and `check`)."""

    id: int
    slug: str
    rule: str  # "contact noc@zayo.com", "slug", "name"


@dataclass
class Providers:
    """The providers found for some (sender, parser provider name) pairs; ``of`` answers for each."""

    slug_for: Callable[[str], str]
    by_slug: dict[str, int | None]
    by_domain: dict[str, ProviderMatch | None]
    unfound: set[str] = field(default_factory=set)  # slugs of names found neither by slug nor by domain
    slugs: dict[int, str] = field(default_factory=dict)  # provider id -> slug, of those answered

    def of(self, sender: str, provider: str | None) -> ProviderMatch | None:
        """The NetBox provider for notices of ``provider`` from ``sender`` (provider None: no parser
        named one)."""
        slug = self.slug_for(provider) if provider else ""
        found = self.by_slug.get(slug)
        match = ProviderMatch(found, slug, f"slug of parser provider {provider!r}") if found else None
        match = match or self.by_domain.get(sender_domain(sender))
        if match is not None:
            self.slugs[match.id] = match.slug
        return match


def resolve_domains(gateway: NetBoxGateway, domains: set[str]) -> dict[str, ProviderMatch | None]:
    """Each domain's provider by the rules above (None: none, or no single one)."""
    found = _by_contacts(gateway, domains)
    rest = {domain for domain in domains if found.get(domain) is None}
    if rest:
        providers = _read(gateway, "circuits.providers", fields="id,slug,name")
        found |= {domain: by_label(domain, providers) for domain in rest}
    for domain, match in found.items():
        if match is not None:
            log.info("provider_from_sender_domain", domain=domain, provider=match.slug, rule=match.rule)
    return {domain: found.get(domain) for domain in domains}


def _by_contacts(gateway: NetBoxGateway, domains: set[str]) -> dict[str, ProviderMatch | None]:
    registrable = sorted({registrable_domain(domain) for domain in domains})
    contacts = _read(gateway, CONTACTS, email__iew=registrable)
    contacts = [row for row in contacts if row.get("email")]
    if not contacts:
        return {}
    assignments = _read(
        gateway,
        ASSIGNMENTS,
        object_type=PROVIDER_TYPE,
        contact_id=[row["id"] for row in contacts],
    )
    return {domain: by_contact(domain, contacts, assignments) for domain in domains}


def by_contact(domain: str, contacts: list[dict], assignments: list[dict]) -> ProviderMatch | None:
    """The one provider whose contacts have an address at ``domain`` (its registrable domain)."""
    emails = {row["id"]: row["email"] for row in contacts if same_organisation(row["email"], domain)}
    providers: dict[int, ProviderMatch] = {}
    for row in assignments:
        contact_id = ref_id(row.get("contact"))
        if contact_id in emails:
            provider = row.get("object") or {}
            slug = provider.get("slug") or str(row["object_id"])
            providers.setdefault(
                row["object_id"], ProviderMatch(row["object_id"], slug, f"contact {emails[contact_id]}")
            )
    return _single(domain, "contact", list(providers.values()))


def by_label(domain: str, providers: list[dict]) -> ProviderMatch | None:
    """The one provider whose slug, else whose name, is the domain's label (case and punctuation aside)."""
    label = _plain(domain_label(domain))
    for key in ("slug", "name"):
        matches = [
            ProviderMatch(row["id"], row["slug"], f"{key} {row.get(key)!r} = the domain's label")
            for row in providers
            if _plain(row.get(key)) == label
        ]
        if matches:
            return _single(domain, key, matches)
    return None


def same_organisation(address: str, domain: str) -> bool:
    """Is ``address`` at ``domain``'s registrable domain or below it (noc@zayo.com for ops.zayo.com)?"""
    theirs, ours = sender_domain(address), registrable_domain(domain)
    return bool(theirs) and (theirs == ours or theirs.endswith("." + ours))


def _single(domain: str, rule: str, matches: list[ProviderMatch]) -> ProviderMatch | None:
    if len(matches) == 1:
        return matches[0]
    if matches:
        log.warning("provider_ambiguous", domain=domain, rule=rule, providers=sorted(m.slug for m in matches))
    return None


def _read(gateway: NetBoxGateway, model: str, **filters) -> list[dict]:
    """A listing for a rule; one the token may not read (403) answers nothing, and the log says so — the
    rule is lost, not the email (NetBoxUnavailable still propagates: the email waits)."""
    try:
        return gateway.list(model, **filters)
    except NetBoxRejected as exc:
        log.warning("provider_lookup_refused", model=model, error=str(exc))
        return []


def _plain(value: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(value or "").lower())


__all__ = ["ProviderMatch", "Providers", "by_contact", "by_label", "resolve_domains"]
