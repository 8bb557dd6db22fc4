"""Shared by the unit tests that run local https stand-ins (no stack)."""

import pytest

from tests.oauth_standin import write_test_tls


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    """(certificate, key) of a throwaway server certificate for 127.0.0.1; the certificate is the CA file."""
    return write_test_tls(tmp_path_factory.mktemp("tls"))
