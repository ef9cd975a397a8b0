"""Release names as Helm allows them: a DNS-1123 subdomain of at most 53 characters."""

from __future__ import annotations

import re

from pyhelm.errors import UsageError

NAME_PATTERN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
MAX_NAME_LENGTH = 53


def validate_release_name(name: str) -> None:
    """Helm's check, with Helm's message."""
    if not name or len(name) > MAX_NAME_LENGTH or not NAME_PATTERN.match(name):
        raise UsageError(f'release name "{name}": invalid release name, must match regex '
                         f"{NAME_PATTERN.pattern} and the length must not be longer than "
                         f"{MAX_NAME_LENGTH}")
