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

GENERIC_PROVIDER = "genericprovider"  # BCOP iCalendar, whoever sends it

# Second-level labels under which country domains register names (hgc.com.hk, bt.co.uk): the registrable
# domain is then three labels long. A heuristic instead of the Public Suffix List, which is not a dependency;
# a wrong guess only widens or narrows the candidates, content still decides.
_COUNTRY_SECOND_LEVELS = frozenset({"ac", "co", "com", "edu", "gov", "ne", "net", "or", "org", "go", "gob"})


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
        for domain in _domains_of(address):
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
    found: list[str] = []
    if options is not None:
        for key in (address, *_domains_of(address, all_parents=True)):
            override = options.sender_providers.get(key)
            if override and override.lower() in index.names:
                found.append(override.lower())
    found.extend(index.by_address.get(address, ()))
    for domain in _domains_of(address):
        found.extend(index.by_domain.get(domain, ()))
    return list(dict.fromkeys(found))  # de-duplicated, order kept


def candidates(sender: str, options: ParserOptions | None = None) -> list[str]:
    """Provider names to try, in order. An unknown sender (a forward, a new address) gets every provider,
    GenericProvider (iCalendar) included, and the email's content decides."""
    return sender_matches(sender, options) or all_providers()


def organizer_address(organizer: str | None) -> str:
    """A provider's default organizer as a bare lower-case address; "" when it is not an address."""
    value = (organizer or "").strip().lower().removeprefix("mailto:")
    return value if "@" in value else ""


def registrable_domain(domain: str) -> str:
    """The domain a name was registered under: colt.net for x.colt.net, hgc.com.hk for a.hgc.com.hk."""
    labels = domain.strip(".").split(".")
    size = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _COUNTRY_SECOND_LEVELS else 2
    return ".".join(labels[-size:])


def _domains_of(address: str, all_parents: bool = False) -> list[str]:
    """The address's domain and its registrable parent (every parent in between with all_parents)."""
    domain = address.rpartition("@")[2].strip(".")
    if not domain or "." not in domain:
        return []
    registrable = registrable_domain(domain)
    if not all_parents:
        return list(dict.fromkeys((domain, registrable)))
    labels = domain.split(".")
    parents = [".".join(labels[i:]) for i in range(len(labels))]
    return parents[: parents.index(registrable) + 1] if registrable in parents else parents


def _add(index: dict[str, list[str]], key: str, name: str) -> None:
    names = index.setdefault(key, [])
    if name not in names:
        names.append(name)
