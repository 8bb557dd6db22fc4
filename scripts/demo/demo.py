"""The local demo: seed the demo NetBox and mailbox, then show what the daemon made of the emails.

Run by scripts/demo/run (README's first command) with the stack's environment (scripts/dev-stack env).
  demo.py seed      providers + circuits in NetBox, sample emails APPENDed to the demo mailbox, a config
  demo.py show      what NetBox now holds, and where to look
"""

from __future__ import annotations

import os
import ssl
import sys
from pathlib import Path

import pynetbox
from imapclient import IMAPClient

HERE = Path(__file__).resolve().parent
PROVIDERS = {
    "acme-transit": ("Acme Transit", ["ACME-FRA-AMS-0001", "ACME-FRA-AMS-0002"]),
    "northwind-fiber": ("Northwind Fiber", ["NWF-LON-000731", "NWF-LON-000732"]),
}


def env(name: str) -> str:
    try:
        return os.environ[name]
    except KeyError:
        sys.exit(f"demo: {name} is not set; run through scripts/demo/run")


def config_path() -> Path:
    return Path(env("NIS_STACK_DIR")) / "demo" / "config.toml"


def seed() -> None:
    nb = pynetbox.api(env("NETBOX_URL"), token=env("NETBOX_TOKEN"))
    circuit_type = nb.circuits.circuit_types.get(slug="transit") or nb.circuits.circuit_types.create(
        name="Transit", slug="transit"
    )
    for slug, (name, cids) in PROVIDERS.items():
        provider = nb.circuits.providers.get(slug=slug) or nb.circuits.providers.create(name=name, slug=slug)
        for cid in cids:
            if not nb.circuits.circuits.get(cid=cid, provider_id=provider.id):
                nb.circuits.circuits.create(cid=cid, provider=provider.id, type=circuit_type.id)

    context = ssl.create_default_context(cafile=env("NIS_IMAP_CA_FILE"))
    with IMAPClient(
        env("NIS_IMAP_HOST"), port=int(env("NIS_IMAPS_PORT")), ssl=True, ssl_context=context
    ) as imap:
        imap.login(env("NIS_IMAP_USER"), env("NIS_IMAP_PASSWORD"))
        samples = sorted((HERE / "emails").glob("*.eml"))
        for path in samples:
            imap.append("INBOX", path.read_bytes())
        print(f"demo: {len(samples)} sample emails in {env('NIS_IMAP_USER')}'s INBOX")

    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"""# written by scripts/demo/demo.py for the local demo stack
state_dir = "{path.parent / "state"}"

[netbox]
url = "{env("NETBOX_URL")}"
# token from the environment variable NETBOX_TOKEN

[logging]
format = "console"

[[mailboxes]]
name = "demo"
host = "{env("NIS_IMAP_HOST")}"
port = {env("NIS_IMAP_PORT")}
security = "starttls"
tls_ca_file = "{env("NIS_IMAP_CA_FILE")}"
username = "{env("NIS_IMAP_USER")}"
password_env = "NIS_IMAP_PASSWORD"
interval_seconds = 60

# Acme Transit's newsletter comes from Acme's domain: without this it would go to Failed as an Acme email
# nothing understood (README, "Provider emails"), which is right for anything but a newsletter.
[providers.acme-transit]
ignore_senders = ["news@acme-transit.example"]
"""
    )
    print(f"demo: config written to {path}")


def show() -> None:
    url = env("NETBOX_URL")
    nb = pynetbox.api(url, token=env("NETBOX_TOKEN"))
    notices = nb.plugins.notices
    print("\nWhat NetBox holds now:")
    for kind, endpoint in (("Maintenance", notices.maintenance), ("Outage", notices.outage)):
        for event in endpoint.all():
            impacts = list(
                notices.impact.filter(event_content_type=f"notices.{kind.lower()}", event_object_id=event.id)
            )
            mails = list(
                notices.eventnotification.filter(
                    event_content_type=f"notices.{kind.lower()}", event_object_id=event.id
                )
            )
            status = getattr(event.status, "value", event.status)  # a choice dict or a plain string
            print(
                f"  {kind} {event.name} ({event.provider.name}): status {status}, "
                f"start {event.start}, end {event.end}, {len(impacts)} impacted circuits, {len(mails)} emails"
            )
            path = "maintenance" if kind == "Maintenance" else "outages"  # the plugin's own URL names
            print(f"    {url}/plugins/notices/{path}/{event.id}/")
    with IMAPClient(
        env("NIS_IMAP_HOST"),
        port=int(env("NIS_IMAPS_PORT")),
        ssl=True,
        ssl_context=ssl.create_default_context(cafile=env("NIS_IMAP_CA_FILE")),
    ) as imap:
        imap.login(env("NIS_IMAP_USER"), env("NIS_IMAP_PASSWORD"))
        folders = [f[2] for f in imap.list_folders()]
        counts = {folder: imap.folder_status(folder, ["MESSAGES"])[b"MESSAGES"] for folder in sorted(folders)}
    print("\nThe demo mailbox afterwards: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(
        f"\nLook in NetBox: {url}/  (user admin, password admin) -> Plugins -> Notices;"
        f"\n  the changelog of each event shows one notification per email: {url}/core/changelog/"
        f"\n  API: {url}/api/plugins/notices/maintenance/  (Authorization: Bearer $NETBOX_TOKEN)"
        f"\nRun the daemon again: .venv/bin/notices-ingestor -c {config_path()} run --once"
    )


if __name__ == "__main__":
    {"seed": seed, "show": show}[sys.argv[1] if len(sys.argv) > 1 else "show"]()
