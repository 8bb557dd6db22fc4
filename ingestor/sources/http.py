"""One HTTP session shape for the token endpoints and Microsoft Graph: a CA bundle that really applies.

requests lets ``REQUESTS_CA_BUNDLE`` override ``Session.verify`` (psf/requests#3829), and msal and
google-auth take a session, not a CA path. So the CA file (and a default timeout) is set on each request,
where the environment cannot replace it.
"""

from __future__ import annotations

from typing import Any

import requests


class HttpSession(requests.Session):
    def __init__(self, *, ca_file: str | None = None, verify: bool = True, timeout: float = 30.0):
        super().__init__()
        self._verify: str | bool = (ca_file or True) if verify else False
        self._timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        if kwargs.get("verify") in (None, True):
            kwargs["verify"] = self._verify
        return super().request(method, url, *args, **kwargs)


def json_object(response: requests.Response) -> dict:
    """The response's JSON object, or {} when the body is not one (an HTML error page, empty)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
