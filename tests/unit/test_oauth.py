"""Token sources against the local token endpoint stand-in (https, throwaway certificate): the real msal and
google-auth code paths, the generic RFC 6749 client, and the cache's refresh rules. No stack needed."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from ingestor.config import OAuth2Config
from ingestor.sources.oauth import TokenCache, TokenError, build_source
from tests.oauth_standin import Client, TokenEndpoint, new_rsa_key, pem_private, self_signed

MAILBOX = "noc@example.net"


@pytest.fixture
def endpoint(tls):
    key = new_rsa_key()
    server = TokenEndpoint(pem_private(key), "unit-1", "https://issuer.test", str(tls[0]), str(tls[1]))
    server.start()
    server.public_key = key.public_key()
    server.add_client(Client("app-1", MAILBOX, secret="s3cret:/+ü", refresh_token="rt-1"))
    yield server
    server.stop()


def oauth(endpoint, tls, **values) -> OAuth2Config:
    return OAuth2Config.model_validate({"ca_file": str(tls[0]), **values})


def claims(endpoint, token: str) -> dict:
    return jwt.decode(token, endpoint.public_key, algorithms=["RS256"], options={"verify_aud": False})


@pytest.mark.parametrize("client_auth", ["basic", "post"])
def test_generic_client_credentials(endpoint, tls, client_auth):
    cfg = oauth(
        endpoint,
        tls,
        provider="generic",
        token_url=endpoint.url + "/token",
        client_id="app-1",
        client_secret="s3cret:/+ü",
        client_auth=client_auth,
        scope="imap",
    )
    token = build_source(cfg, kind="imap", subject=MAILBOX).fetch(fresh=False)
    assert claims(endpoint, token.value)["email"] == MAILBOX
    assert claims(endpoint, token.value)["scope"] == "imap"
    assert 3590 < token.expires_at - time.time() <= 3600
    assert endpoint.requests[-1]["grant_type"] == "client_credentials"


def test_generic_refresh_token_and_refusal(endpoint, tls):
    cfg = oauth(
        endpoint,
        tls,
        provider="generic",
        token_url=endpoint.url + "/token",
        client_id="app-1",
        refresh_token="rt-1",
        client_auth="post",
    )
    token = build_source(cfg, kind="imap", subject=MAILBOX).fetch(fresh=False)
    assert claims(endpoint, token.value)["sub"] == MAILBOX
    assert endpoint.requests[-1]["grant_type"] == "refresh_token"
    bad = oauth(
        endpoint,
        tls,
        provider="generic",
        token_url=endpoint.url + "/token",
        client_id="app-1",
        client_secret="wrong",
    )
    with pytest.raises(TokenError, match="answered 401: invalid_client") as info:
        build_source(bad, kind="imap", subject=MAILBOX).fetch(fresh=False)
    assert not info.value.transient
    assert "wrong" not in str(info.value)


def test_generic_unreachable_is_transient(tls):
    cfg = OAuth2Config(
        provider="generic", token_url="https://127.0.0.1:9/token", client_id="a", client_secret="b"
    )
    with pytest.raises(TokenError, match="unreachable") as info:
        build_source(cfg, kind="imap", subject=MAILBOX).fetch(fresh=False)
    assert info.value.transient


def test_microsoft_secret_via_msal(endpoint, tls, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent")  # ca_file must win over the environment
    cfg = oauth(
        endpoint,
        tls,
        provider="microsoft",
        tenant_id="tenant-1",
        client_id="app-1",
        client_secret="s3cret:/+ü",
        authority_host=endpoint.url,
    )
    source = build_source(cfg, kind="imap", subject=MAILBOX)
    first = source.fetch(fresh=False)
    assert claims(endpoint, first.value)["scope"] == "imap"  # asked for outlook.office365.com/.default
    token_requests = len(endpoint.requests)
    assert source.fetch(fresh=False).value == first.value  # msal's own cache
    assert len(endpoint.requests) == token_requests
    source.fetch(fresh=True)  # after a refusal: past msal's cache
    assert len(endpoint.requests) == token_requests + 1
    assert endpoint.requests[-1]["path"] == "/tenant-1/oauth2/v2.0/token"


def test_microsoft_certificate_via_msal(endpoint, tls, tmp_path):
    key = new_rsa_key()
    cert = self_signed(key, "app-2")
    endpoint.add_client(Client("app-2", "ops@example.net", certificate=cert))
    pem = tmp_path / "app.pem"
    pem.write_bytes(pem_private(key) + cert.public_bytes(serialization.Encoding.PEM))
    cfg = oauth(
        endpoint,
        tls,
        provider="microsoft",
        tenant_id="t",
        client_id="app-2",
        client_certificate_file=str(pem),
        authority_host=endpoint.url,
    )
    token = build_source(cfg, kind="graph", subject="ops@example.net").fetch(fresh=False)
    assert claims(endpoint, token.value)["roles"] == "Mail.ReadWrite"
    endpoint.clients["app-2"].certificate = self_signed(new_rsa_key(), "other")
    with pytest.raises(TokenError, match="invalid_client"):
        build_source(cfg, kind="graph", subject="ops@example.net").fetch(fresh=False)


def test_microsoft_wrong_secret(endpoint, tls):
    cfg = oauth(
        endpoint,
        tls,
        provider="microsoft",
        tenant_id="t",
        client_id="app-1",
        client_secret="nope",
        authority_host=endpoint.url,
    )
    with pytest.raises(TokenError, match="refused: invalid_client"):
        build_source(cfg, kind="imap", subject=MAILBOX).fetch(fresh=False)


def test_google_service_account(endpoint, tls, tmp_path):
    key = endpoint.add_service_account("sa@nis.iam.example", "example.net", endpoint.url + "/google/token")
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(key))
    cfg = oauth(endpoint, tls, provider="google", service_account_file=str(path))
    token = build_source(cfg, kind="imap", subject=MAILBOX).fetch(fresh=False)
    assert claims(endpoint, token.value)["email"] == MAILBOX
    assert 3500 < token.expires_at - time.time() <= 3600
    with pytest.raises(TokenError, match="unauthorized_client"):
        build_source(cfg, kind="imap", subject="someone@elsewhere.example").fetch(fresh=False)


class CountingSource:
    description = "counting"

    def __init__(self, lifetime: float):
        self.lifetime, self.calls = lifetime, []

    def fetch(self, *, fresh: bool):
        from ingestor.sources.oauth import AccessToken

        self.calls.append(fresh)
        return AccessToken(f"t{len(self.calls)}", time.time() + self.lifetime, self.lifetime)


def test_cache_refreshes_before_expiry_and_after_invalidate():
    now = [time.time()]
    source = CountingSource(lifetime=3600)
    cache = TokenCache(source, clock=lambda: now[0])
    assert cache.token() == "t1" and cache.token() == "t1"
    now[0] += 3600 - 119  # inside the 120 s margin
    assert cache.token() == "t2"
    cache.invalidate()
    assert cache.token() == "t3"
    assert source.calls == [False, False, True]


def test_config_errors_name_the_key():
    with pytest.raises(ValueError, match="tenant_id: required for provider 'microsoft'"):
        OAuth2Config(provider="microsoft", client_id="a", client_secret="b")
    with pytest.raises(ValueError, match="exactly one of client_secret"):
        OAuth2Config(provider="microsoft", tenant_id="t", client_id="a")
    with pytest.raises(ValueError, match="client_secret .* or refresh_token"):
        OAuth2Config(provider="generic", token_url="https://x/token", client_id="a")
    secret = OAuth2Config(provider="generic", token_url="https://x/token", client_id="a", client_secret="zz9")
    assert "zz9" not in repr(secret)
