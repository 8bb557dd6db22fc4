"""Issue 17, item 5: a provider's email that parses to nothing is failed for a human, never silently
ignored — unless the config says it is one of that provider's newsletters. (The sender only NetBox knows is
in test_provider_lookup.py.)"""

from __future__ import annotations

import pytest

from ingestor.config import Config, ConfigError, load_config
from parsers import parse_email
from parsers.models import EmailMeta, ParseStatus
from parsers.senders import IgnoreRule, domain_label, sender_domain, sender_in, unparsed_verdict

from .test_parsers_corpus import MAINTENANCE_CORPUS, needs_corpus

NETBOX = {"url": "https://nb.invalid", "token": "t"}


def email(sender: str, subject: str, body: str = "Hello, here is our news.") -> bytes:
    return (
        f"From: Someone <{sender}>\nTo: noc@example.net\nSubject: {subject}\n"
        f"Date: Mon, 02 Mar 2026 14:10:00 +0000\nMessage-ID: <m-{abs(hash(subject))}@x.example>\n"
        f"Content-Type: text/plain; charset=utf-8\n\n{body}\n"
    ).encode()


def options(providers: dict | None = None, parsers: list | None = None):
    return Config.model_validate(
        {"netbox": NETBOX, "providers": providers or {}, "parsers": parsers or []}
    ).parser_options()


def test_an_email_from_a_library_provider_that_parses_to_nothing_fails_for_a_human():
    result = parse_email(email("mr@zayo.com", "Zayo Quarterly Newsletter"))
    assert (result.status, result.provider) == (ParseStatus.FAILED, "zayo")
    assert result.reason == "from provider zayo but not understood: excluded by provider filters: zayo"


def test_a_stranger_that_parses_to_nothing_is_still_ignored():
    result = parse_email(email("friend@example.org", "Lunch?"))
    assert (result.status, result.provider) == (ParseStatus.IGNORED, None)
    assert result.reason == "no parser recognised this email (sender friend@example.org)"


@pytest.mark.parametrize(
    ("rule", "sender"),
    [
        ({"ignore_subjects": ["newsletter"]}, "mr@zayo.com"),  # any case
        ({"ignore_senders": ["news.zayo.com"]}, "marketing@news.zayo.com"),  # a domain covers subdomains
        ({"ignore_senders": ["Marketing@Zayo.com"]}, "marketing@zayo.com"),  # an address, any case
    ],
)
def test_a_providers_newsletter_stays_ignorable_through_config(rule, sender):
    result = parse_email(email(sender, "Zayo Quarterly Newsletter"), options({"zayo": rule}))
    assert (result.status, result.provider) == (ParseStatus.IGNORED, "zayo")
    assert result.reason.startswith("excluded by provider filters: zayo; ignored: ")
    assert "[providers.zayo] ignore_" in result.reason


def test_an_ignore_rule_covers_only_what_it_names():
    zayo = options({"zayo": {"ignore_subjects": ["newsletter"], "ignore_senders": ["news@zayo.com"]}})
    result = parse_email(email("mr@zayo.com", "Zayo ticket update"), zayo)
    assert result.status == ParseStatus.FAILED
    other = options({"lumen": {"ignore_subjects": ["newsletter"]}})  # another provider's rule
    assert parse_email(email("mr@zayo.com", "Zayo Quarterly Newsletter"), other).status == ParseStatus.FAILED


def test_config_senders_of_a_provider_the_library_does_not_know_make_it_a_provider_email():
    raw = email("news@acme-transit.example", "Acme Transit December newsletter")
    acme = options({"acme-transit": {"senders": ["acme-transit.example"]}})
    result = parse_email(raw, acme)
    assert (result.status, result.provider) == (ParseStatus.FAILED, "acme-transit")
    assert result.reason.startswith("from provider acme-transit but not understood: no parser recognised")
    acme = options(
        {
            "acme-transit": {
                "senders": ["acme-transit.example"],
                "ignore_senders": ["news@acme-transit.example"],
            }
        }
    )
    assert parse_email(raw, acme).status == ParseStatus.IGNORED


def test_a_definitions_senders_make_it_a_provider_email():
    definition = {
        "name": "fabrikam-works",
        "kind": "maintenance",
        "provider": "fabrikam-fiber",
        "senders": ["fabrikam-fiber.example"],
        "subject": r"^\[FABRIKAM-MW\]",
        "labels": {"event_id": ["Works Ref"]},
    }
    result = parse_email(
        email("works@fabrikam-fiber.example", "Our new office"), options(parsers=[definition])
    )
    assert (result.status, result.provider) == (ParseStatus.FAILED, "fabrikam-fiber")


@needs_corpus
def test_a_pccw_invite_with_another_subject_fails_instead_of_vanishing():
    """PCCW's parser accepts a notice only when the subject carries its phrase; the same invite under
    another subject parses to zero maintenances. Deliberately FAILED: it is PCCW's calendar invite, and a
    maintenance nobody sees is the loss this daemon exists to prevent (the corpus' own PCCW emails all
    carry the phrase and still parse)."""
    raw = (MAINTENANCE_CORPUS / "emails/pccw/pccw_ical.eml").read_bytes()
    subject_start = raw.index(b"Subject: ")
    subject_end = raw.index(b"\nDate: ")
    renamed = raw[:subject_start] + b"Subject: Reminder: your service R1234" + raw[subject_end:]
    assert parse_email(raw).status == ParseStatus.PARSED
    result = parse_email(renamed)
    assert (result.status, result.provider) == (ParseStatus.FAILED, "pccw")
    assert result.reason.startswith("from provider pccw but not understood: excluded by provider filters")


def test_the_decision_tries_every_provider_the_sender_is_known_as():
    meta = EmailMeta(
        message_id="<x>", sender="inoc@superonline.net", subject="Bülten", received="2026-03-02T00:00:00Z"
    )
    rules = {"turkcell": IgnoreRule(provider="turkcell", subjects=["bülten"])}
    assert unparsed_verdict(meta, ["seaborn", "turkcell"], "r", rules)[:2] == (
        ParseStatus.IGNORED,
        "r; ignored: subject matches [providers.turkcell] ignore_subjects 'bülten'",
    )
    assert unparsed_verdict(meta, ["seaborn"], "r", rules) == (
        ParseStatus.FAILED,
        "from provider seaborn but not understood: r",
        "seaborn",
    )
    assert unparsed_verdict(meta, [], "r", rules) == (ParseStatus.IGNORED, "r", None)


def test_sender_helpers():
    assert sender_domain("NOC@Ops.Zayo.com") == "ops.zayo.com"
    assert sender_domain("postmaster") == ""
    assert domain_label("ops.zayo.com") == "zayo"
    assert domain_label("a.hgc.com.hk") == "hgc"
    assert sender_in("x@ops.zayo.com", ["zayo.com"]) and not sender_in("x@notzayo.com", ["zayo.com"])


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"ignore_subjects": ["("]}, "providers.zayo.ignore_subjects"),
        ({"ignore_senders": ["not an address"]}, "providers.zayo.ignore_senders"),
    ],
)
def test_a_wrong_ignore_rule_names_its_key(tmp_path, table, key):
    lines = ['[netbox]\nurl = "https://nb.invalid"\ntoken = "t"\n[providers.zayo]']
    lines += [f"{name} = {values!r}".replace("'", '"') for name, values in table.items()]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config(path)
