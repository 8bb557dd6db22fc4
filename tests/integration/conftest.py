"""Integration tests run against the real stack; each module starts from a clean one.

Every test here is marked `integration` (tests/conftest.py) and gets, once per module, a NetBox DB fresh
from the migrated template and empty mailboxes (`reset_netbox`, i.e. `scripts/dev-stack reset`).
"""

import pytest


@pytest.fixture(scope="module", autouse=True)
def _fresh_stack_per_module(reset_netbox):
    """Each integration module starts with a clean NetBox and empty Dovecot mailboxes."""
