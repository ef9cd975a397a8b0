"""What Go's ``net/url.Parse`` refuses, for the places Helm parses a path as a URL
before reading it (``-f``, ``--set-file``): Helm refuses those paths, whatever is on disk.

Covered: control characters, a missing scheme before ``:``, a colon in the first
segment of a relative path, a bad port, bad ``%`` escapes. Not covered: the characters
Go refuses in a host name or user info.
"""

from __future__ import annotations

import re

_SCHEME_START = re.compile(r"[A-Za-z]")
_SCHEME_CHAR = re.compile(r"[A-Za-z0-9+.-]")
_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_PORT = re.compile(r":[0-9]*")


def scheme_and_error(raw: str) -> tuple[str, str | None]:
    """(the URL's scheme in lower case, or "", Go's error for ``raw``, or None)."""
    problem = _problem(raw)
    return _scheme(raw)[0].lower(), None if problem is None else f'parse "{raw}": {problem}'


def _scheme(raw: str) -> tuple[str, str]:
    for index, char in enumerate(raw):
        if char == ":":
            return raw[:index], raw[index + 1:]
        if not (_SCHEME_START.match(char) or (index and _SCHEME_CHAR.match(char))):
            break
    return "", raw


def _problem(raw: str) -> str | None:
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        return "net/url: invalid control character in URL"
    url, _, fragment = raw.partition("#")
    if url.startswith(":"):
        return "missing protocol scheme"
    scheme, rest = _scheme(url)
    rest = rest.partition("?")[0]
    if not rest.startswith("/"):
        if scheme:  # opaque: Go checks nothing more but the fragment
            return _escape_problem(fragment)
        if ":" in rest.partition("/")[0]:
            return "first path segment in URL cannot contain colon"
    elif (scheme or not rest.startswith("///")) and rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        problem = _host_problem(authority.rpartition("@")[2])
        if problem:
            return problem
        rest = slash + path
    return _escape_problem(rest) or _escape_problem(fragment)


def _host_problem(host: str) -> str | None:
    if host.startswith("["):
        if "]" not in host:
            return "missing ']' in host"
        port = host[host.rindex("]") + 1:]
    else:
        port = host[host.rindex(":"):] if ":" in host else ""
    if port and not _PORT.fullmatch(port):
        return f'invalid port "{port}" after host'
    return _escape_problem(host)


def _escape_problem(text: str) -> str | None:
    bad = _ESCAPE.search(text)
    return None if bad is None else f'invalid URL escape "{text[bad.start():bad.start() + 3]}"'
