"""A local OAuth2 token endpoint for tests: a STAND-IN for Microsoft Entra ID, Google's token endpoint and
any RFC 6749 server, none of which is reachable here. 127.0.0.1 only, https (msal accepts no other).

It implements the documented requests the real libraries send, so the tests run msal's and google-auth's
own code:
- ``GET /<tenant>/v2.0/.well-known/openid-configuration`` (msal with instance discovery off);
- ``POST .../token`` with ``grant_type=client_credentials`` (RFC 6749 §4.4; client secret by HTTP Basic or
  in the form, or a certificate-signed ``client_assertion``, RFC 7523 §2.2, as msal sends it),
  ``refresh_token`` (§6), or ``urn:ietf:params:oauth:grant-type:jwt-bearer`` (RFC 7523 §2.1, google-auth's
  service-account grant; the assertion's ``sub`` is the impersonated mailbox).

Tokens are RS256 JWTs with scalar claims only (Debian's Dovecot 2.3.19 auth process crashes on arrays):
``iss``, ``sub``/``email`` = the mailbox, ``scope`` = ``imap`` for any IMAP scope; for the Graph scope
``aud`` = https://graph.microsoft.com and ``roles`` = "Mail.ReadWrite" (a string here, unlike Entra ID).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

IMAP_SCOPES = {"imap", "https://outlook.office365.com/.default", "https://mail.google.com/"}
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
GRAPH_AUDIENCE = "https://graph.microsoft.com"
GOOGLE_AUDIENCE = "https://oauth2.googleapis.com/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem_private(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def self_signed(key: rsa.RSAPrivateKey, common_name: str, *, server: bool = False) -> x509.Certificate:
    """A self-signed certificate; with ``server`` valid for 127.0.0.1/localhost and usable as its own CA."""
    import ipaddress

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        ).add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    return builder.sign(key, hashes.SHA256())


def write_test_tls(directory: Path) -> tuple[Path, Path]:
    """A throwaway server certificate (also the CA file to trust) and key for 127.0.0.1, for unit tests."""
    key = new_rsa_key()
    cert, key_file = directory / "server.crt", directory / "server.key"
    cert.write_bytes(self_signed(key, "127.0.0.1", server=True).public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(pem_private(key))
    return cert, key_file


def serve_https(handler: type[BaseHTTPRequestHandler], cert_file: str, key_file: str) -> ThreadingHTTPServer:
    """``handler`` on an ephemeral 127.0.0.1 port over TLS, served by a daemon thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def stop_server(server: ThreadingHTTPServer | None) -> None:
    if server is not None:
        server.shutdown()
        server.server_close()


def server_url(server: ThreadingHTTPServer | None) -> str:
    assert server is not None, "start() it first"
    return f"https://127.0.0.1:{server.server_address[1]}"


class HttpsStandIn:
    """start()/stop() for a stand-in whose handler class finds it as ``handler.owner``."""

    handler: type[BaseHTTPRequestHandler]
    cert_file: str
    key_file: str
    _server: ThreadingHTTPServer | None

    def start(self):
        handler = type("Handler", (self.handler,), {"owner": self})
        self._server = serve_https(handler, self.cert_file, self.key_file)
        return self

    def stop(self) -> None:
        stop_server(self._server)


@dataclass
class Client:
    """A registered app: how it authenticates and whose mailbox its tokens are for."""

    client_id: str
    mailbox: str
    secret: str | None = None
    certificate: x509.Certificate | None = None
    refresh_token: str | None = None


@dataclass
class ServiceAccount:
    email: str
    public_key: object
    domain: str  # domain-wide delegation: may impersonate mailboxes of this domain only


@dataclass
class TokenEndpoint(HttpsStandIn):
    """``start()`` it, register clients, point the config at ``url``; ``stop()`` at teardown."""

    signing_key_pem: bytes
    kid: str
    issuer: str
    cert_file: str
    key_file: str
    lifetime: int = 3600  # seconds, in ``exp`` and in ``expires_in``
    reported_lifetime: int | None = None  # expires_in when it should differ (a token revoked early)
    clients: dict[str, Client] = field(default_factory=dict)
    service_accounts: dict[str, ServiceAccount] = field(default_factory=dict)
    requests: list[dict] = field(default_factory=list)  # grant_type, client_id, path of each token request
    _server: ThreadingHTTPServer | None = None

    @property
    def handler(self):
        return _Handler

    @property
    def url(self) -> str:
        return server_url(self._server)

    def add_client(self, client: Client) -> Client:
        self.clients[client.client_id] = client
        return client

    def add_service_account(self, email: str, domain: str, token_uri: str) -> dict:
        """Register a service account; returns its key JSON (as Google's console gives it)."""
        key = new_rsa_key()
        self.service_accounts[email] = ServiceAccount(email, key.public_key(), domain)
        return {
            "type": "service_account",
            "project_id": "nis-tests",
            "private_key_id": "nis-test-key",
            "private_key": pem_private(key).decode(),
            "client_email": email,
            "client_id": "100000000000000000001",
            "token_uri": token_uri,
        }

    def mint(self, claims: dict, *, lifetime: int | None = None, key: bytes | None = None) -> str:
        now = int(time.time())
        body = {"iss": self.issuer, "iat": now, "nbf": now, "exp": now + (lifetime or self.lifetime)}
        body.update(claims)
        return jwt.encode(
            body, key or self.signing_key_pem, algorithm="RS256", headers={"kid": self.kid, "typ": "JWT"}
        )

    def imap_token(self, mailbox: str, **kwargs) -> str:
        return self.mint({"sub": mailbox, "email": mailbox, "scope": "imap"}, **kwargs)


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str = ""):
        super().__init__(error)
        self.status, self.error, self.description = status, error, description


class _Handler(BaseHTTPRequestHandler):
    owner: TokenEndpoint

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        base = self.owner.url
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            tenant = parts[0]
            return self._json(
                200,
                {
                    "issuer": f"{base}/{tenant}/v2.0",
                    "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
                },
            )
        self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        if not self.path.split("?")[0].endswith("/token"):
            return self._json(404, {"error": "not_found"})
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        self.owner.requests.append(
            {"path": self.path, "grant_type": form.get("grant_type"), "client_id": form.get("client_id")}
        )
        try:
            self._json(200, self._grant(form), {"Cache-Control": "no-store"})
        except OAuthError as exc:
            headers = {"WWW-Authenticate": 'Basic realm="token"'} if exc.status == 401 else {}
            self._json(exc.status, {"error": exc.error, "error_description": exc.description}, headers)

    def _grant(self, form: dict) -> dict:
        grant = form.get("grant_type")
        if grant == JWT_BEARER:
            mailbox = self._service_account_subject(form.get("assertion", ""))
            claims = {"sub": mailbox, "email": mailbox}
        elif grant == "client_credentials":
            client = self._client(form)
            claims = {"sub": client.mailbox, "email": client.mailbox}
        elif grant == "refresh_token":
            client = self._client_by_refresh_token(form)
            claims = {"sub": client.mailbox, "email": client.mailbox}
        else:
            raise OAuthError(400, "unsupported_grant_type", f"grant_type {grant!r}")
        scope = form.get("scope", "")
        claims.update(_scope_claims(scope, claims["sub"]))
        owner = self.owner
        reported = owner.reported_lifetime if owner.reported_lifetime is not None else owner.lifetime
        return {
            "access_token": owner.mint(claims),
            "token_type": "Bearer",
            "expires_in": reported,
            "scope": scope,
        }

    def _client(self, form: dict) -> Client:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            client_id, secret = unquote(user), unquote(password)
        client = self.owner.clients.get(client_id or "")
        if client is None:
            raise OAuthError(401, "invalid_client", f"unknown client {client_id!r}")
        if form.get("client_assertion_type") == ASSERTION_TYPE and client.certificate is not None:
            self._check_client_assertion(client, form.get("client_assertion", ""))
        elif client.secret is None or secret != client.secret:
            raise OAuthError(401, "invalid_client", "client authentication failed")
        return client

    def _check_client_assertion(self, client: Client, assertion: str) -> None:
        try:
            jwt.decode(
                assertion,
                client.certificate.public_key(),
                algorithms=["PS256", "RS256"],
                audience=self.owner.url + self.path.split("?")[0],
                issuer=client.client_id,
            )
        except jwt.PyJWTError as exc:
            raise OAuthError(401, "invalid_client", f"client assertion: {exc}") from None

    def _client_by_refresh_token(self, form: dict) -> Client:
        for client in self.owner.clients.values():
            if client.refresh_token and client.refresh_token == form.get("refresh_token"):
                return client
        raise OAuthError(400, "invalid_grant", "refresh token unknown or revoked")

    def _service_account_subject(self, assertion: str) -> str:
        try:
            unverified = jwt.decode(assertion, options={"verify_signature": False})
            account = self.owner.service_accounts[unverified["iss"]]
            claims = jwt.decode(assertion, account.public_key, algorithms=["RS256"], audience=GOOGLE_AUDIENCE)
        except (jwt.PyJWTError, KeyError) as exc:
            raise OAuthError(400, "invalid_grant", f"assertion: {exc}") from None
        subject = str(claims.get("sub", ""))
        if not subject.endswith("@" + account.domain):
            raise OAuthError(401, "unauthorized_client", "client not authorized to impersonate that user")
        return subject

    def _json(self, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _scope_claims(scope: str, subject: str) -> dict:
    requested = set(scope.split())
    if requested <= IMAP_SCOPES:  # none requested: as originally granted (RFC 6749 §6), IMAP here
        return {"scope": "imap"}
    if requested == {GRAPH_SCOPE}:
        return {"aud": GRAPH_AUDIENCE, "roles": "Mail.ReadWrite"}
    raise OAuthError(400, "invalid_scope", f"scope {scope!r} not allowed for {subject}")
