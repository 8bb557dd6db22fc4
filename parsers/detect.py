"""Which circuit-maintenance-parser providers to try for a sender.

Built from the library's own metadata (each provider's default organizer), so a library upgrade that adds
a provider or changes an address needs no change here. The library's own lookup compares whole addresses
case-sensitively and returns only the first provider of a shared address; real senders differ in case and
local part (euNetworks mails from maintenance@, Equinix from no-reply@), so this index also matches by
domain and by the registrable parent domain, and returns every match.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from circuit_maintenance_parser import SUPPORTED_PROVIDERS

from parsers.options import ParserOptions
from parsers.senders import domains_of, looked_up, registrable_domain  # noqa: F401 - parsers.outage imports it from here

GENERIC_PROVIDER = "genericprovider"  # BCOP iCalendar, whoever sends it


@dataclass(frozen=True)
class ProviderIndex:
    names: tuple[str, ...]  # every provider, library order (GenericProvider first)
    by_address: dict[str, tuple[str, ...]]
    by_domain: dict[str, tuple[str, ...]]  # full domain and registrable parent domain


@cache
def provider_index() -> ProviderIndex:
    """The index of the library's providers by organizer address and domain, built once."""
    names: list[str] = []
    by_address: dict[str, list[str]] = {}
    by_domain: dict[str, list[str]] = {}
    for provider_class in SUPPORTED_PROVIDERS:
        name = provider_class.get_provider_type()
        names.append(name)
        address = organizer_address(provider_class.get_default_organizer())
        if not address:  # GenericProvider's organizer is "unknown"
            continue
        _add(by_address, address, name)
        for domain in domains_of(address):
            _add(by_domain, domain, name)
    return ProviderIndex(
        names=tuple(names),
        by_address={key: tuple(value) for key, value in by_address.items()},
        by_domain={key: tuple(value) for key, value in by_domain.items()},
    )


def all_providers() -> list[str]:
    return list(provider_index().names)


def sender_matches(sender: str, options: ParserOptions | None = None) -> list[str]:
    """Providers the sender belongs to: config overrides, then exact address, then domain; [] if unknown.

    Config overrides naming something that is not a circuit-maintenance-parser provider (a declarative
    parser's provider, say) are left out: this stage could not run them.
    """
    index = provider_index()
    address = (sender or "").strip().lower()
    overrides = looked_up(address, options.sender_providers) if options is not None else []
    found = [name.lower() for name in overrides if name.lower() in index.names]
    found.extend(index.by_address.get(address, ()))
    for domain in domains_of(address):
        found.extend(index.by_domain.get(domain, ()))
    return list(dict.fromkeys(found))  # de-duplicated, order kept


def known_providers(sender: str, options: ParserOptions) -> list[str]:
    """Every provider the sender is known as, whether or not the library can parse for it: the library's
    metadata and config overrides (sender_matches), then ``[providers.<name>] senders`` naming another
    provider, then the declarative parsers whose senders cover it. [] for a stranger."""
    configured = looked_up(sender, options.sender_providers)
    declared = [d.provider for d in options.parsers if d.senders and d.sender_matches(sender)]
    return list(dict.fromkeys([*sender_matches(sender, options), *configured, *declared]))


def candidates(sender: str, options: ParserOptions | None = None) -> list[str]:
    """Provider names to try, in order. An unknown sender (a forward, a new address) gets every provider,
    GenericProvider (iCalendar) included, and the email's content decides."""
    return sender_matches(sender, options) or all_providers()


def organizer_address(organizer: str | None) -> str:
    """A provider's default organizer as a bare lower-case address; "" when it is not an address."""
    value = (organizer or "").strip().lower().removeprefix("mailto:")
    return value if "@" in value else ""


def _add(index: dict[str, list[str]], key: str, name: str) -> None:
    names = index.setdefault(key, [])
    if name not in names:
        names.append(name)
