"""`check` and `check --setup`: what the daemon needs in NetBox, verified or created."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pynetbox

from ingestor.http import json_object

from .catalog import Catalog
from .client import NetBoxGateway, auth_header, token_of
from .records import LEGACY_DIGEST_FIELD, LEGACY_MESSAGE_ID_FIELD, LEGACY_NOTICES_FIELD

# Identity lives in NetBox, not in local state: each EventNotification has a journal entry naming its
# email's Message-ID and the notices it stated (records.py), so idempotency and order-independent folding
# survive losing the daemon's state directory (or running the replay CLI on another machine).
WRITTEN_MODELS = (
    "plugins/notices/maintenance",
    "plugins/notices/outage",
    "plugins/notices/impact",
    "plugins/notices/eventnotification",
    "extras/journal-entries",
)
LEGACY_FIELDS = (LEGACY_MESSAGE_ID_FIELD, LEGACY_DIGEST_FIELD, LEGACY_NOTICES_FIELD)


@dataclass
class SetupReport:
    netbox_version: str = ""
    plugin_version: str | None = None
    problems: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _api_headers(gateway: NetBoxGateway) -> dict[str, str]:
    """Headers of a request made beside pynetbox (OPTIONS, a listing with its own parameters)."""
    return {
        "Authorization": auth_header(token_of(gateway.config)),
        "Accept": "application/json",
    }


def create_problem(gateway: NetBoxGateway, path: str) -> str | None:
    """Why this token cannot create objects at ``path``, or None when it can. DRF lists a POST action in
    an OPTIONS answer only when the token may create such objects; an answer that is not JSON (a proxy's
    login page) says nothing about permissions, and says so."""
    url = f"{gateway.config.url}/api/{path}/"
    headers = _api_headers(gateway)
    response = gateway.call(gateway.session.options, url, headers=headers)
    name = path.split("/")[-1]
    if response.status_code >= 500:
        return None  # not a permission answer; the writes themselves will tell
    if not response.ok:
        return f"the token may not create {name} objects (write permission)"
    body = json_object(response)
    if not body:
        kind = response.headers.get("Content-Type", "no content type")
        return f"OPTIONS /api/{path}/ answered {kind}, not NetBox's JSON (a proxy in between?)"
    actions = body.get("actions")
    if isinstance(actions, dict) and "POST" in actions:
        return None
    return f"the token may not create {name} objects (write permission)"


def check_netbox(gateway: NetBoxGateway, create: bool = False) -> SetupReport:
    report = SetupReport()
    status = gateway.call(gateway.api.status)
    report.netbox_version = str(status.get("netbox-version", ""))
    plugins = status.get("plugins") or {}
    report.plugin_version = plugins.get("notices") or plugins.get("netbox_notices")
    if report.plugin_version is None:
        report.problems.append("the netbox-notices plugin ('notices') is not installed in NetBox")
        return report

    problems = (create_problem(gateway, path) for path in WRITTEN_MODELS)
    report.problems += [problem for problem in problems if problem]

    tag = gateway.call(gateway.api.extras.tags.get, slug=gateway.config.tag)
    if tag is None:
        if create:
            gateway.call(
                gateway.api.extras.tags.create,
                name=gateway.config.tag,
                slug=gateway.config.tag,
                description="Created from provider emails by notices-ingestor",
                changelog_message="notices-ingestor setup",
            )
            report.created.append(f"tag {gateway.config.tag}")
        else:
            report.problems.append(
                f"tag '{gateway.config.tag}' is missing (run: notices-ingestor check --setup)"
            )

    legacy = [name for name in LEGACY_FIELDS if gateway.call(gateway.api.extras.custom_fields.get, name=name)]
    if legacy:
        report.notes.append(
            f"custom fields {', '.join(legacy)} of an earlier version are still read, but they print JSON in "
            "the event timeline of every new notification; run: notices-ingestor migrate-records "
            "--delete-fields (moves their records into journal entries, then deletes them)"
        )
    return report


SEEN_SENDERS = 1000  # notifications read for the senders `check` lists as seen (the newest)


def seen_senders(gateway: NetBoxGateway, limit: int = SEEN_SENDERS) -> list[str]:
    """The senders of the newest notifications in NetBox: the providers' addresses this NetBox has seen
    (one request; a NetBox with thousands of notifications has seen its senders in the newest ones)."""
    url = f"{gateway.config.url}/api/plugins/notices/eventnotification/"
    params: dict[str, str | int] = {"ordering": "-id", "limit": limit, "fields": "email_from"}
    headers = _api_headers(gateway)

    def get() -> list[dict]:
        response = gateway.session.get(url, params=params, headers=headers)
        if not response.ok:  # classified like pynetbox's own refusals (faults.py): 5xx retried, 4xx not
            raise pynetbox.RequestError(response)
        return response.json().get("results") or []

    return sorted({row["email_from"].lower() for row in gateway.call(get) if row.get("email_from")})


def sender_lines(
    gateway: NetBoxGateway, senders: Mapping[str, str | None], slug_for: Callable[[str], str]
) -> list[str]:
    """How each sender (address or domain -> the parser provider it is known as, if any) resolves to a
    NetBox provider, by the sink's own rules (Catalog.find_providers; none is created), for `check`."""
    providers = Catalog(gateway).find_providers(list(senders.items()), slug_for)
    lines = []
    for sender, name in sorted(senders.items()):
        match = providers.of(sender, name)
        known = f" (parser provider {name})" if name else ""
        found = (
            f"NetBox provider {match.slug}, by {match.rule}"
            if match
            else (
                "no NetBox provider: its email would fail; add the provider's NOC contact (an address at "
                "this domain) to the provider in NetBox, or map it with [providers.<name>] netbox_provider"
            )
        )
        lines.append(f"sender {sender}{known}: {found}")
    return lines
