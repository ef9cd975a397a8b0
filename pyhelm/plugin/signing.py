"""The PROVENANCE column of ``plugin list``, worked out as Helm 4.3 works it out.

Helm looks only at ``$HELM_DATA_HOME/plugins/NAME`` (not at ``$HELM_PLUGINS``): missing,
it says ``unknown``; a symlink (``plugin install DIR``) is ``local dev``; otherwise the
tarball an install kept, ``NAME-VERSION.tgz`` beside it, and its ``.prov`` decide:
``unsigned`` without them, ``invalid provenance`` when the ``.prov`` is not a clear-signed
message, ``mismatched provenance`` when its checksums do not name this tarball's SHA-256,
``signed`` otherwise. Like Helm's column, nothing here checks the signature itself
(``plugin verify`` would).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yaml

_BEGIN = "-----BEGIN PGP SIGNED MESSAGE-----"
_SIGNATURE = re.compile(r"^-----BEGIN PGP SIGNATURE-----$.*?^-----END PGP SIGNATURE-----$",
                        re.S | re.M)


def status(name: str, version: str, data_home: Path) -> str:
    plugins = data_home / "plugins"
    directory = plugins / name
    if not directory.is_symlink() and not directory.exists():
        return "unknown"
    if directory.is_symlink():
        return "local dev"
    tarball = plugins / f"{name}-{version}.tgz"
    provenance = Path(f"{tarball}.prov")
    if not tarball.is_file() or not provenance.is_file():
        return "unsigned"
    plaintext = clear_signed_text(provenance.read_text(errors="replace"))
    if plaintext is None:
        return "invalid provenance"
    digest = "sha256:" + hashlib.sha256(tarball.read_bytes()).hexdigest()
    files = _checksums(plaintext)
    if any(tarball.name in filename and expected == digest
           for filename, expected in files.items()):
        return "signed"
    return "mismatched provenance"


def clear_signed_text(text: str) -> str | None:
    """The message of an OpenPGP clear-signed document (dash-escaping undone), or None
    when ``text`` is not one."""
    lines = text.replace("\r\n", "\n").split("\n")
    try:
        start = next(i for i, line in enumerate(lines) if line.rstrip() == _BEGIN)
        blank = next(i for i in range(start + 1, len(lines)) if not lines[i].strip())
        end = next(i for i in range(blank + 1, len(lines))
                   if lines[i].rstrip() == "-----BEGIN PGP SIGNATURE-----")
    except StopIteration:
        return None
    if not all(line.startswith("Hash:") for line in lines[start + 1:blank]):
        return None
    if not _SIGNATURE.search("\n".join(lines[end:])):
        return None
    body = lines[blank + 1:end]
    return "\n".join(line[2:] if line.startswith("- ") else line for line in body)


def _checksums(message: str) -> dict[str, str]:
    """The ``files:`` of the message's second part (after ``...``), as Helm parses it."""
    parts = message.split("\n...\n")
    if len(parts) < 2:
        return {}
    try:
        loaded = yaml.safe_load(parts[1])
    except yaml.YAMLError:
        return {}
    files = loaded.get("files") if isinstance(loaded, dict) else None
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}
