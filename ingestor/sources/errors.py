"""What a mailbox source raises, whichever source it is (IMAP, Graph): one hierarchy, so the daemon
decides what to do from the kind of failure, never from who raised it.

- ``MailboxError``: the mailbox cannot be used right now; trying again later (a new session) may work;
- ``MailboxConnectError``: the server cannot be reached, or the connection broke;
- ``MailboxSetupError``: the configuration or the server's identity is wrong (a refused login, a TLS
  failure): reconnecting will not help, a person has to act.

Every message names the mailbox, never the password or token.
"""

from __future__ import annotations


class MailboxError(Exception):
    """The mailbox cannot be used right now. The message names the mailbox, never the password."""


class MailboxConnectError(MailboxError):
    """The server cannot be reached, or the connection broke."""


class MailboxSetupError(MailboxError):
    """Reconnecting will not help: what is wrong is the configuration, or the server's certificate."""


class MailboxTLSError(MailboxConnectError, MailboxSetupError):
    """TLS failed: certificate not trusted, wrong hostname, or TLS not spoken on that port."""


class MailboxLoginError(MailboxSetupError):
    """The server refused the username and password (or the OAuth2 token), or no token could be had."""


class GraphError(MailboxError):
    """Graph answered with an error; ``status`` and Graph's ``code`` are kept for the caller."""

    def __init__(self, message: str, status: int, code: str = ""):
        super().__init__(message)
        self.status, self.code = status, code


class GraphLoginError(GraphError, MailboxLoginError):
    """Graph refused the app: wrong token audience, missing Mail.ReadWrite, or no access to the mailbox."""
