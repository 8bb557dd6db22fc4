"""`check` and `check --setup`: what the daemon needs in NetBox, verified or created."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingestor.sources.http import json_object

from .client import NetBoxGateway, auth_header
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


def can_create(gateway: NetBoxGateway, path: str) -> bool:
    """DRF lists a POST action in an OPTIONS answer only when this token may create such objects."""
    url = f"{gateway.config.url}/api/{path}/"
    headers = {
        "Authorization": auth_header(gateway.config.token.get_secret_value()),
        "Accept": "application/json",
    }
    response = gateway.call(gateway.session.options, url, headers=headers)
    if response.status_code >= 500:
        return True  # not a permission answer; the writes themselves will tell
    if not response.ok:
        return False
    actions = json_object(response).get("actions")  # not JSON (a proxy's page): no permission shown
    return isinstance(actions, dict) and "POST" in actions


def check_netbox(gateway: NetBoxGateway, create: bool = False) -> SetupReport:
    report = SetupReport()
    status = gateway.call(gateway.api.status)
    report.netbox_version = str(status.get("netbox-version", ""))
    plugins = status.get("plugins") or {}
    report.plugin_version = plugins.get("notices") or plugins.get("netbox_notices")
    if report.plugin_version is None:
        report.problems.append("the netbox-notices plugin ('notices') is not installed in NetBox")
        return report

    for path in WRITTEN_MODELS:
        if not can_create(gateway, path):
            report.problems.append(
                f"the token may not create {path.split('/')[-1]} objects (write permission)"
            )

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
