"""Issue 20, item 4 on the real NetBox: alerts through NetBox's own Event Rules and webhooks.

What README ("Alerts") tells an admin to configure, configured here through NetBox's API: a webhook to a
receiver (here a local HTTP server on 127.0.0.1), and two event rules — "a maintenance created or
changed" and "an impact added on my circuits" (circuits tagged `my-team`). NetBox's RQ worker
(scripts/dev-stack runs it, as NetBox's netbox-rq service does in production) sends the webhooks. Then
one provider email is replayed, and the receiver must get exactly what the rules promise.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.stack import reset_stack

from .helpers import MAINTENANCE_CORPUS, prepare_netbox, provider_slug, run_cli, two_circuit_email

pytestmark = pytest.mark.integration

WAIT_SECONDS = 60  # the RQ worker polls its queues; a webhook arrives within a second or two here


class Receiver:
    """Webhook bodies POSTed to http://127.0.0.1:<port>/hook, as parsed JSON."""

    def __init__(self):
        self.bodies: list[dict] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                received.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, matches, count: int = 1) -> list[dict]:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            found = [body for body in self.bodies if matches(body)]
            if len(found) >= count:
                time.sleep(2)  # and nothing more than promised comes after
                return [body for body in self.bodies if matches(body)]
            time.sleep(0.2)
        return [body for body in self.bodies if matches(body)]


@pytest.fixture
def alerts(netbox_api, stack, tmp_path):
    reset_stack()
    entry, maintenance = two_circuit_email()
    slug = provider_slug(entry, maintenance)
    cids = sorted(c["circuit_id"] for c in maintenance["circuits"])
    config = prepare_netbox(netbox_api, stack, tmp_path, {slug: set(cids)})
    tag = netbox_api.extras.tags.create(name="my-team", slug="my-team")
    mine = netbox_api.circuits.circuits.get(cid=cids[0], provider=slug)
    mine.tags = [tag.id]
    mine.save()
    receiver = Receiver()
    hook = netbox_api.extras.webhooks.create(
        name="NOC chat", payload_url=receiver.url, http_method="POST", http_content_type="application/json"
    )
    action = {"action_type": "webhook", "action_object_type": "extras.webhook", "action_object_id": hook.id}
    netbox_api.extras.event_rules.create(
        name="Maintenance created or changed",
        object_types=["notices.maintenance", "notices.outage"],
        event_types=["object_created", "object_updated"],
        enabled=True,
        **action,
    )
    netbox_api.extras.event_rules.create(
        name="Impact on my circuits",
        object_types=["notices.impact"],
        event_types=["object_created", "object_updated"],
        conditions={"attr": "target.tags.slug", "value": "my-team", "op": "contains"},
        enabled=True,
        **action,
    )
    yield config, entry, maintenance, cids, receiver
    receiver.server.shutdown()


def test_an_ingested_email_reaches_the_webhook_of_each_event_rule_it_matches(alerts):
    config, entry, maintenance, cids, receiver = alerts
    run = run_cli(config, "replay", "--format", "json", str(MAINTENANCE_CORPUS / entry["file"]))
    reports = [line for line in run.json_lines() if "summary" not in line]
    assert [r["outcome"] for r in reports] == ["ingested"], run.stdout + run.stderr[-3000:]

    created = receiver.wait_for(
        lambda b: b.get("object_type") == "notices.maintenance" and b.get("event") == "created"
    )
    assert [b["data"]["name"] for b in created] == [maintenance["maintenance_id"]]
    assert created[0]["data"]["provider"]["slug"] == provider_slug(entry, maintenance)

    impacts = receiver.wait_for(lambda b: b.get("object_type") == "notices.impact")
    assert [b["data"]["target"]["cid"] for b in impacts] == [cids[0]], "only the impact on our circuit"
    assert impacts[0]["event"] == "created"
    assert impacts[0]["data"]["event"]["id"] == created[0]["data"]["id"]


def test_a_status_change_reaches_the_webhook_with_both_snapshots(alerts, netbox_api):
    """What a NOC alerts on for "status changed": the update's payload holds the status before and after."""
    config, entry, maintenance, _cids, receiver = alerts
    run = run_cli(config, "replay", "--format", "json", str(MAINTENANCE_CORPUS / entry["file"]))
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    [event] = netbox_api.plugins.notices.maintenance.filter(name=maintenance["maintenance_id"])
    before = getattr(event.status, "value", event.status)  # pynetbox gives the plugin's choice as text
    after = "CANCELLED" if before != "CANCELLED" else "COMPLETED"
    event.update({"status": after})
    updates = receiver.wait_for(
        lambda b: b.get("object_type") == "notices.maintenance" and b.get("event") == "updated"
    )
    changed = [b for b in updates if b["snapshots"]["postchange"]["status"] == after]
    assert changed and changed[0]["snapshots"]["prechange"]["status"] == before
