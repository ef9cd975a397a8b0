"""HTTP for chart repositories and registries: a login stays on its own origin.

Helm's rule (its fix for CVE-2021-32690): a repository's credentials go only to the
repository's own scheme, host and port, unless the user passes them to every host
(``--pass-credentials``); and a redirect to another origin never carries them. Go's
client drops ``Authorization`` on such a redirect; urllib copies every header to
wherever a redirect leads, so ``open_url`` uses an opener that drops it.

A login may also be written in a URL (``http://user:password@host/``): it is taken out
of the URL (urllib would read it as part of the host), and a URL is printed only
``redacted``.
"""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        return None
    return parts


def origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port (the scheme's default when none is written)."""
    parts = _split(url)
    if parts is None:
        return ("", url, None)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or ""), parts.port or _DEFAULT_PORTS.get(scheme)


def same_origin(url: str, other: str) -> bool:
    return origin(url) == origin(other)


def split_login(url: str) -> tuple[str, str, str]:
    """The URL without the login written in it, and that login's user and password
    (empty when there is none)."""
    parts = _split(url)
    if parts is None or "@" not in parts.netloc:
        return url, "", ""
    host = parts.netloc.rpartition("@")[2]
    return (parts._replace(netloc=host).geturl(), unquote(parts.username or ""),
            unquote(parts.password or ""))


def redacted(url: str) -> str:
    """The URL as it may be printed: a password written in it becomes ``***``, and so
    does a user written alone (that is how tokens are written)."""
    parts = _split(url)
    if parts is None or "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    login = "***" if parts.password is None else f"{parts.username}:***"
    return parts._replace(netloc=f"{login}@{host}").geturl()


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects as urllib follows them, but ``Authorization`` only to the same origin
    and never to a scheme other than HTTP(S)."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Any, newurl: str) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme.lower() not in _DEFAULT_PORTS:
            raise urllib.error.HTTPError(redacted(newurl), code,
                                         "redirect to a URL that is not HTTP(S)", headers, fp)
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and not same_origin(req.full_url, new.full_url):
            new.remove_header("Authorization")
        return new


def open_url(request: urllib.request.Request, *, timeout: float,
             context: ssl.SSLContext | None = None) -> Any:
    """``urllib.request.urlopen`` with the redirect rule above."""
    opener = urllib.request.build_opener(_SameOriginRedirects(),
                                         urllib.request.HTTPSHandler(context=context))
    return opener.open(request, timeout=timeout)
