"""Who sent an email, as far as addresses tell, and what an email from a provider that says nothing ends as.

Light on purpose (no parse library): the daemon's own process uses it too, to decide about an email whose
sender only NetBox knows (ingestor/pipeline.py), with the same rule the parse workers apply for the
senders the library and the config know (parsers/parse.py). That rule (``unparsed_verdict``): an email
from a known provider that parses to nothing is FAILED — it lands in ``Failed``, where a human looks —
unless the config says that provider's address or subject is one to ignore (a newsletter).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainValidator

from parsers.models import EmailMeta, ParseStatus

# Second-level labels under which country domains register names (hgc.com.hk, bt.co.uk): the registrable
# domain is then three labels long. A heuristic instead of the Public Suffix List, which is not a dependency;
# a wrong guess only widens or narrows the candidates, content still decides.
_COUNTRY_SECOND_LEVELS = frozenset({"ac", "co", "com", "edu", "gov", "ne", "net", "or", "org", "go", "gob"})


def clean_senders(values: Iterable[str]) -> list[str]:
    """Addresses or domains as config lists them, lower-cased; ValueError names the one that is neither."""
    cleaned = [str(value).strip().lower().removeprefix("mailto:") for value in values]
    for sender in cleaned:
        if not sender or " " in sender or sender.endswith("@"):
            raise ValueError(f"{sender!r} is not an address or a domain")
    return cleaned


def sender_in(sender: str, entries: Iterable[str]) -> bool:
    """Is the sender one of ``entries``: an address (exactly, any case) or a domain (its subdomains too)?"""
    address = (sender or "").strip().lower()
    domain = address.rsplit("@", 1)[-1]
    for wanted in entries:
        if "@" in wanted:
            if address == wanted:
                return True
        elif domain == wanted or domain.endswith("." + wanted):
            return True
    return False


def registrable_domain(domain: str) -> str:
    """The domain a name was registered under: colt.net for x.colt.net, hgc.com.hk for a.hgc.com.hk."""
    labels = domain.strip(".").split(".")
    size = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _COUNTRY_SECOND_LEVELS else 2
    return ".".join(labels[-size:])


def sender_domain(sender: str) -> str:
    """The domain of an address, lower case; "" when it has none (a bare local part, nothing)."""
    domain = (sender or "").strip().lower().rpartition("@")[2].strip(".")
    return domain if "." in domain else ""


def domain_label(domain: str) -> str:
    """The name a domain was registered as: zayo for mr.zayo.com, hgc for a.hgc.com.hk."""
    return registrable_domain(domain).split(".")[0] if domain else ""


def domains_of(address: str, all_parents: bool = False) -> list[str]:
    """The address's domain and its registrable parent (every parent in between with all_parents)."""
    domain = sender_domain(address)
    if not domain:
        return []
    registrable = registrable_domain(domain)
    if not all_parents:
        return list(dict.fromkeys((domain, registrable)))
    labels = domain.split(".")
    parents = [".".join(labels[i:]) for i in range(len(labels))]
    return parents[: parents.index(registrable) + 1] if registrable in parents else parents


def looked_up(sender: str, table: Mapping[str, str]) -> list[str]:
    """The values ``table`` holds for the sender's address, then for its domains (most specific first)."""
    address = (sender or "").strip().lower()
    keys = (address, *domains_of(address, all_parents=True))
    return list(dict.fromkeys(table[key] for key in keys if key in table))


def compile_patterns(values: object) -> list[re.Pattern[str]]:
    """Subject regexes, searched ignoring case; ValueError names the one that does not compile."""
    if not isinstance(values, list | tuple):
        raise ValueError("a list of regular expressions")
    compiled = []
    for number, value in enumerate(values):
        try:
            compiled.append(value if isinstance(value, re.Pattern) else re.compile(str(value), re.IGNORECASE))
        except re.error as exc:
            raise ValueError(f"{number}: {value!r} is not a valid regular expression: {exc}") from None
    return compiled


class IgnoreRule(BaseModel):
    """What of one provider's email may be ignored although it comes from the provider (newsletters,
    marketing): ``[providers.<name>] ignore_senders`` / ``ignore_subjects``."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    provider: str  # the [providers.<name>] it comes from, for the reason
    senders: list[str] = Field(default_factory=list)
    subjects: Annotated[list[re.Pattern[str]], PlainValidator(compile_patterns)] = Field(default_factory=list)

    def why(self, meta: EmailMeta) -> str | None:
        """Why this email may be ignored; None when the rule does not cover it."""
        if sender_in(meta.sender, self.senders):
            return f"sender {meta.sender} is in [providers.{self.provider}] ignore_senders"
        for pattern in self.subjects:
            if pattern.search(meta.subject or ""):
                return f"subject matches [providers.{self.provider}] ignore_subjects {pattern.pattern!r}"
        return None


def unparsed_verdict(
    meta: EmailMeta, providers: Sequence[str], reason: str, rules: Mapping[str, IgnoreRule]
) -> tuple[ParseStatus, str, str | None]:
    """(status, reason, provider) of an email that parsed to nothing, given the providers its sender is
    known as (the library's metadata, config senders, a NetBox provider): FAILED "from provider X but not
    understood" for a known provider, unless one of their ignore rules covers it; IGNORED otherwise."""
    if not providers:
        return ParseStatus.IGNORED, reason, None
    for provider in providers:
        rule = rules.get(provider.lower())
        why = rule.why(meta) if rule else None
        if why:
            return ParseStatus.IGNORED, f"{reason}; ignored: {why}", provider
    return ParseStatus.FAILED, f"from provider {providers[0]} but not understood: {reason}", providers[0]
