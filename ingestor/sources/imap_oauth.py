"""IMAP login with an OAuth2 access token: SASL XOAUTH2 (Microsoft, Google) or OAUTHBEARER (RFC 7628).

The token comes from the mailbox's process-wide TokenCache. A refused token is not retried as is: the cache
is invalidated and one fresh token is tried on the same connection (IMAP allows another AUTHENTICATE after
NO). A second refusal is the mailbox's login error; what exactly was wrong (expired, bad signature, wrong
user) only the server's log says, so the message points there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from ingestor.sources.oauth import TokenCache, token_cache_for

if TYPE_CHECKING:
    from ingestor.config import MailboxConfig

log = structlog.get_logger(__name__)


class OAuth2LoginRefused(Exception):
    """The server refused a fresh token too; the message says with which mechanism and provider."""


def choose_mechanism(preference: str, capabilities: frozenset[bytes]) -> str:
    """XOAUTH2 unless the server offers only OAUTHBEARER (or the config asks for one)."""
    if preference != "auto":
        return preference.upper()
    if b"AUTH=XOAUTH2" not in capabilities and b"AUTH=OAUTHBEARER" in capabilities:
        return "OAUTHBEARER"
    return "XOAUTH2"


def oauth2_login(client: IMAPClient, config: MailboxConfig) -> str:
    """Authenticate ``client`` as ``config.username``; returns the mechanism used.

    Raises OAuth2LoginRefused, or oauth.TokenError when no token could be had.
    """
    assert config.oauth2 is not None  # the config model guarantees it for auth = "oauth2"
    cache = token_cache_for(config.oauth2, kind="imap", subject=config.username)
    mechanism = choose_mechanism(config.oauth2.mechanism, frozenset(client.capabilities()))
    bound = log.bind(mailbox=config.name, mechanism=mechanism, token_source=cache.description)
    try:
        _authenticate(client, mechanism, config.username, cache)
        return mechanism
    except LoginError as exc:
        bound.warning("imap_oauth2_token_refused", reason=str(exc), action="fetching a fresh token once")
    cache.invalidate()
    try:
        _authenticate(client, mechanism, config.username, cache)
    except LoginError as exc:
        cache.invalidate()  # whatever was wrong, the next poll starts from a new token
        raise OAuth2LoginRefused(
            f"{mechanism} login as {config.username!r} refused, also with a fresh token from "
            f"{cache.description}: {exc} (the server's log says why: expired, signature, user or scope)"
        ) from None
    bound.info("imap_oauth2_login_after_refresh")
    return mechanism


def _authenticate(client: IMAPClient, mechanism: str, user: str, cache: TokenCache) -> None:
    token = cache.token()
    if mechanism == "OAUTHBEARER":
        client.oauthbearer_login(user, token)
    else:
        client.oauth2_login(user, token, mech=mechanism)
