"""Provider detection from circuit-maintenance-parser's own metadata (parsers.detect)."""

from __future__ import annotations

import pytest
from circuit_maintenance_parser import SUPPORTED_PROVIDERS

from parsers.detect import (
    GENERIC_PROVIDER,
    all_providers,
    candidates,
    organizer_address,
    provider_index,
    registrable_domain,
    sender_matches,
)
from parsers.options import ParserOptions


def test_index_comes_from_the_library_and_is_built_once():
    index = provider_index()
    assert provider_index() is index
    for provider_class in SUPPORTED_PROVIDERS:
        name = provider_class.get_provider_type()
        address = organizer_address(provider_class.get_default_organizer())
        assert name in index.names
        if address:
            assert name in index.by_address[address]
    assert all_providers() == [provider_class.get_provider_type() for provider_class in SUPPORTED_PROVIDERS]


def test_organizer_addresses_are_normalised():
    assert (
        organizer_address("mailto:gsoc-planned-event@pccwglobal.com") == "gsoc-planned-event@pccwglobal.com"
    )
    assert organizer_address("PlannedWorks@colt.net") == "plannedworks@colt.net"
    assert organizer_address("unknown") == ""  # GenericProvider's
    assert organizer_address(None) == ""


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        ("plannedworks@colt.net", ["colt"]),  # library default is PlannedWorks@colt.net
        ("gsoc-planned-event@pccwglobal.com", ["pccw"]),  # default has a mailto: prefix
        ("fiberchangemgmt@crowncastle.com", ["crowncastle"]),
        ("maintenance@eunetworks.com", ["eunetworks"]),  # default is noc@
        ("no-reply@equinix.com", ["equinix"]),  # default is servicedesk@
        ("noc@eu.colt.net", ["colt"]),  # subdomain → registrable parent domain
        ("someone@verizonbusiness.com", ["verizon"]),  # default is on EMEA.verizonbusiness.com
        ("noc@ntt.net", ["ntt"]),  # default is noc@us.ntt.net
        ("alerts@hgc.com.hk", ["hgc"]),  # a country second-level domain
        ("inoc@superonline.net", ["seaborn", "turkcell"]),  # shared sender: try both
        ("support@arelion.com", ["arelion", "telia"]),
        ("change@example.com", []),  # a forwarder
        ("unknown@invalid", []),
        ("", []),
    ],
)
def test_sender_matches(sender, expected):
    assert sender_matches(sender) == expected


def test_exact_address_comes_before_domain_matches():
    # arelion and telia share one address; the exact match keeps the library's order
    assert sender_matches("SUPPORT@Arelion.com") == ["arelion", "telia"]


def test_config_overrides_come_first():
    options = ParserOptions(sender_providers={"change@example.com": "colt", "zayo.com": "lumen"})
    assert candidates("change@example.com", options) == ["colt"]
    assert candidates("mr@zayo.com", options) == ["lumen", "zayo"]
    assert candidates("noc@sub.zayo.com", options) == ["lumen", "zayo"]  # a domain key covers subdomains


def test_overrides_naming_no_library_provider_are_left_out():
    options = ParserOptions(sender_providers={"noc@acme.example": "acme-fiber", "mr@zayo.com": "ZAYO"})
    assert candidates("mr@zayo.com", options) == ["zayo"]
    assert candidates("noc@acme.example", options) == all_providers()


def test_unknown_senders_get_every_provider_with_generic_first():
    found = candidates("patrick.kelly@networktocode.com", ParserOptions())
    assert found == all_providers()
    assert found[0] == GENERIC_PROVIDER
    assert {"colt", "zayo", "seaborn", "turkcell"} <= set(found)


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("x.colt.net", "colt.net"),
        ("colt.net", "colt.net"),
        ("EMEA.verizonbusiness.com".lower(), "verizonbusiness.com"),
        ("noc.hgc.com.hk", "hgc.com.hk"),
        ("mail.bt.co.uk", "bt.co.uk"),
        ("a.b.example.de", "example.de"),
        ("localhost", "localhost"),
    ],
)
def test_registrable_domain(domain, expected):
    assert registrable_domain(domain) == expected
