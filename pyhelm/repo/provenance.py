"""Chart provenance: the ``NAME-VERSION.tgz.prov`` file Helm makes with ``package --sign``
and checks with ``verify`` and ``--verify``.

A ``.prov`` is an OpenPGP clear-signed document: the chart's metadata as YAML, a line
``...``, then ``files: {NAME-VERSION.tgz: "sha256:HEX"}``. Verifying it means: the
signature is good, made by a key of the keyring that is neither expired nor revoked
now, and the archive's SHA-256 is the one the document names for its file name.

The OpenPGP work is Sequoia's (``pysequoia``, chosen by measurement: see the README),
imported only here, and only when a chart is signed or verified. Messages and their
order are Helm 4.3.1's (``pkg/provenance``, ``pkg/downloader.VerifyChart``), so scripts
that match them keep working.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from pyhelm.errors import ProvenanceError

PROV_LAYER = "application/vnd.cncf.helm.chart.provenance.v1.prov"
_SIGNED = b"-----BEGIN PGP SIGNED MESSAGE-----"
_SIGNATURE = b"-----BEGIN PGP SIGNATURE-----"
_MAX_PROV = 1 << 20  # a .prov is a few KiB; refuse to read more than 1 MiB of one

PassphraseSource = Callable[[str], str]


@dataclass(frozen=True)
class Verification:
    """Who signed a chart archive and the digest that was checked."""

    signed_by: tuple[str, ...]  # the signing key's user IDs
    fingerprint: str  # its primary key's fingerprint, upper-case hex (as Helm prints it)
    file_hash: str  # "sha256:HEX"
    file_name: str

    def report(self) -> str:
        """What ``helm verify`` and ``helm pull --verify`` print."""
        lines = [f"Signed by: {name}" for name in self.signed_by]
        lines.append(f"Using Key With Fingerprint: {self.fingerprint}")
        lines.append(f"Chart Hash Verified: {self.file_hash}")
        return "\n".join(lines) + "\n"


def _sequoia() -> Any:
    try:
        return importlib.import_module("pysequoia")
    except ImportError as exc:  # pragma: no cover - a dependency of pyhelm
        raise ProvenanceError("signing and verifying charts needs the pysequoia package "
                              "(pip install pysequoia)") from exc


def default_keyring() -> Path:
    """Helm's default ``--keyring``: ``$GNUPGHOME`` (else ``~/.gnupg``), its legacy
    ``pubring.gpg`` when it exists, else its ``pubring.kbx`` when that exists, else
    ``pubring.gpg``."""
    home = Path(os.environ["GNUPGHOME"]) if "GNUPGHOME" in os.environ \
        else Path.home() / ".gnupg"
    legacy = home / "pubring.gpg"
    if legacy.exists():
        return legacy
    keybox = home / "pubring.kbx"
    return keybox if keybox.exists() else legacy


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# -- keyrings ------------------------------------------------------------------------


def _read_keyring_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ProvenanceError(f"open {path}: no such file or directory") from None
    except OSError as exc:
        raise ProvenanceError(f"open {path}: {exc.strerror or exc}") from None
    if _is_keybox(data):
        return _keybox_keys(data, path)
    return data


def _is_keybox(data: bytes) -> bool:
    # the first blob of a keybox is its header: length, type 1, version 1, "KBXf"
    return len(data) >= 32 and data[4] == 1 and data[8:12] == b"KBXf"


def _keybox_keys(data: bytes, path: Path) -> bytes:
    """The OpenPGP key blocks of a GnuPG keybox (``pubring.kbx``), concatenated: each
    blob is ``length(4) type(1) version(1) ...``; an OpenPGP blob (type 2) holds its
    keyblock at the offset and length its header gives."""
    out = bytearray()
    offset = 0
    while offset + 6 <= len(data):
        (length,) = struct.unpack_from(">I", data, offset)
        if length < 6 or offset + length > len(data):
            raise ProvenanceError(f"reading keybox {path}: truncated blob at {offset}")
        kind = data[offset + 4]
        if kind == 2 and length >= 16:
            start, size = struct.unpack_from(">II", data, offset + 8)
            if start + size > length:
                raise ProvenanceError(f"reading keybox {path}: keyblock out of its blob")
            out += data[offset + start:offset + start + size]
        offset += length
    return bytes(out)


@dataclass
class _Key:
    cert: Any  # pysequoia.Cert
    packets: list[Any]  # the certificate's packets (secret ones included, if any)
    key_ids: set[str]  # fingerprints and key IDs of its primary key and subkeys
    identities: tuple[str, ...]
    secret: bool


def _load_keyring(path: Path) -> list[_Key]:
    sequoia = _sequoia()
    from pysequoia.packet import PacketPile, Tag

    data = _read_keyring_bytes(path)
    try:
        packets = list(PacketPile.from_bytes(data)) if data.strip() else []
    except Exception as exc:
        raise ProvenanceError(f"openpgp: invalid data: {_first_line(exc)}") from None
    primaries = (Tag.PublicKey, Tag.SecretKey)
    subkeys = (Tag.PublicSubkey, Tag.SecretSubkey)
    groups: list[list[Any]] = []
    for packet in packets:
        if packet.tag in primaries:
            groups.append([packet])
        elif groups and packet.tag != Tag.Trust:
            groups[-1].append(packet)
    keys = []
    for group in groups:
        secret = _has_secret(group, Tag)
        try:
            cert = sequoia.Tsk.from_packets(group).extract_certificate() if secret \
                else sequoia.Cert.from_packets(group)
        except Exception:
            continue  # a key Sequoia cannot read (as Helm skips entities it cannot)
        ids: set[str] = set()
        for packet in group:
            if packet.tag in primaries + subkeys:
                ids.update(x.lower() for x in (packet.fingerprint, packet.key_id) if x)
        names = tuple(str(u) for u in cert.user_ids)
        keys.append(_Key(cert, group, ids, names, secret))
    return keys


def _has_secret(group: list[Any], tag: Any) -> bool:
    return any(p.tag in (tag.SecretKey, tag.SecretSubkey) for p in group)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# -- signing -------------------------------------------------------------------------


def message_block(archive: bytes, file_name: str, metadata_yaml: str) -> bytes:
    """The document a ``.prov`` signs: the metadata, ``...``, then the files' digests."""
    sums = yaml.safe_dump({"files": {file_name: digest(archive)}}, default_flow_style=False)
    return (metadata_yaml.rstrip("\n") + "\n\n...\n" + sums).encode()


def _find_signing_key(keys: list[_Key], key_id: str) -> _Key | None:
    """Helm's rule: a user ID equal to ``key_id`` wins; otherwise the one key whose user
    ID contains it (two such keys are an error)."""
    candidate: _Key | None = None
    vague = False
    for key in keys:
        for name in key.identities:
            if name == key_id:
                return key
            if key_id in name:
                if candidate is not None and candidate is not key:
                    vague = True
                candidate = key
    if vague:
        raise ProvenanceError(f"more than one key contain the id {key_id!r}".replace(
            "'", '"'))
    return candidate


def _is_encrypted(key: _Key) -> bool:
    sequoia = _sequoia()
    try:
        sequoia.Tsk.from_packets(key.packets).signer(None)
    except Exception as exc:
        return "encrypted" in str(exc)
    return False


@dataclass(frozen=True)
class Signer:
    """A secret key found in a keyring and unlocked, ready to sign."""

    key: _Key
    signer: Any  # pysequoia's PySigner


def prepare_signer(keyring: Path | list[_Key], key: str,
                   passphrase: PassphraseSource | None = None) -> Signer:
    """Helm's ``NewFromKeyring`` then ``DecryptKey``: the secret key of ``keyring`` that
    ``key`` names (a user ID or part of one), unlocked with ``passphrase`` (asked with
    the key's user ID) when it is encrypted."""
    sequoia = _sequoia()
    keys = _load_keyring(keyring) if isinstance(keyring, Path) else keyring
    found = _find_signing_key(keys, key) if key else None
    if found is None:
        raise ProvenanceError("private key not found")
    if not found.secret:
        raise ProvenanceError("provided key is not a private key. Try providing a keyring "
                              "with secret keys")
    password: str | None = None
    if _is_encrypted(found):
        if passphrase is None:
            raise ProvenanceError("the signing key is encrypted and no passphrase was given")
        password = passphrase(next((n for n in found.identities if n), "Unknown"))
    tsk = sequoia.Tsk.from_packets(found.packets)
    try:
        return Signer(found, tsk.signer(password))
    except Exception as exc:
        text = _first_line(exc)
        if password is not None:  # Sequoia: "unexpected EOF" or a decryption error
            raise ProvenanceError("openpgp: invalid data: private key checksum failure") \
                from None
        if "signing" in text.lower():
            raise ProvenanceError(f"openpgp: the key {found.cert.fingerprint.upper()} "
                                  f"cannot sign now (expired or revoked): {text}") from None
        raise ProvenanceError(f"openpgp: {text}") from None


def clear_sign(signer: Signer, archive: bytes, file_name: str, metadata_yaml: str) -> str:
    """The ``.prov`` text for ``archive`` (named ``file_name``)."""
    sequoia = _sequoia()
    body = message_block(archive, file_name, metadata_yaml)
    try:
        signed: bytes = sequoia.sign(signer.signer, body, mode=sequoia.SignatureMode.CLEAR)
    except Exception as exc:
        raise ProvenanceError(f"failed to either sign or armor message block: "
                              f"{_first_line(exc)}") from None
    return signed.decode()


def sign(archive: bytes, file_name: str, metadata_yaml: str, *, key: str,
         keyring: Path | list[_Key], passphrase: PassphraseSource | None = None) -> str:
    """A ``.prov`` for ``archive`` (named ``file_name``), signed by the secret key of
    ``keyring`` that ``key`` names (see ``prepare_signer``)."""
    return clear_sign(prepare_signer(keyring, key, passphrase), archive, file_name,
                      metadata_yaml)


def metadata_yaml(metadata: dict[str, Any]) -> str:
    """Chart metadata as Helm's provenance writes it (keys sorted, as sigs.k8s.io/yaml)."""
    return yaml.safe_dump(metadata, default_flow_style=False, sort_keys=True,
                          allow_unicode=True)


def sign_package(package: Path, *, key: str, keyring: Path,
                 passphrase: PassphraseSource | None = None) -> Path:
    """Write ``PACKAGE.prov`` beside a chart archive (``helm package --sign``)."""
    from pyhelm.chart.loader import parse_metadata
    from pyhelm.release.codec import metadata_to_dict
    from pyhelm.repo.index import package_metadata

    data = package.read_bytes()
    meta = parse_metadata(package_metadata(data, str(package)), f"{package}/Chart.yaml")
    text = sign(data, package.name, metadata_yaml(metadata_to_dict(meta)), key=key,
                keyring=keyring, passphrase=passphrase)
    target = Path(f"{package}.prov")
    target.write_text(text)
    return target


# -- verifying -----------------------------------------------------------------------


def _checksums(plaintext: bytes) -> dict[str, str]:
    parts = plaintext.split(b"\n...\n")
    if len(parts) < 2:
        raise ProvenanceError("message block must have at least two parts")
    try:
        loaded = yaml.safe_load(parts[1].decode(errors="replace"))
    except yaml.YAMLError as exc:
        raise ProvenanceError(f"error converting YAML to JSON: {exc}") from None
    files = loaded.get("files") if isinstance(loaded, dict) else None
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def read_keyring(keyring: Path) -> list[_Key]:
    """The keys of a keyring file (the error as Helm's keyring loader words it)."""
    return _load_keyring(keyring)


def load_keyring(keyring: Path) -> list[_Key]:
    """The keys of a keyring file, or Helm's ``failed to load keyring: ...``."""
    try:
        return _load_keyring(keyring)
    except ProvenanceError as exc:
        raise ProvenanceError(f"failed to load keyring: {exc}") from None


def verify(archive: bytes, prov: bytes, file_name: str, keyring: Path | list[_Key]
           ) -> Verification:
    """Check ``prov`` against ``archive`` (named ``file_name``) with the public keys of
    ``keyring``; raises ``ProvenanceError`` with Helm's message when it does not hold."""
    sequoia = _sequoia()
    keys = load_keyring(keyring) if isinstance(keyring, Path) else keyring
    if _SIGNED not in prov or _SIGNATURE not in prov:
        raise ProvenanceError("signature block not found")
    asked: list[str] = []
    matched: list[_Key] = []

    def store(key_ids: list[str]) -> list[Any]:
        asked.extend(k.lower() for k in key_ids)
        found = [k for k in keys if k.key_ids & {i.lower() for i in key_ids}]
        matched.extend(found)
        return [k.cert for k in found]

    try:
        result = sequoia.verify(bytes=prov, store=store)
    except Exception as exc:
        raise _signature_error(matched, exc) from None
    valid = result.valid_sigs
    if not valid or not matched:
        raise ProvenanceError("openpgp: signature made by unknown entity")
    signer_fpr = str(valid[0].certificate).lower()
    key = next((k for k in matched if k.cert.fingerprint.lower() == signer_fpr), matched[0])
    _check_key_now(key)
    plaintext: bytes = result.bytes or b""
    sums = _checksums(plaintext)
    expected = sums.get(file_name)
    if expected is None:
        raise ProvenanceError(f"provenance does not contain a SHA for a file named "
                              f'"{file_name}"')
    actual = digest(archive)
    if expected != actual:
        raise ProvenanceError(f'sha256 sum does not match for {file_name}: "{expected}" != '
                              f'"{actual}"')
    return Verification(key.identities, key.cert.fingerprint.upper(), actual, file_name)


def _check_key_now(key: _Key) -> None:
    if key.cert.is_revoked:
        raise ProvenanceError("openpgp: signature made by revoked key")
    expires = key.cert.expiration
    if expires is not None and expires <= datetime.now(UTC):
        raise ProvenanceError("openpgp: key expired")


def _signature_error(matched: list[_Key], exc: BaseException) -> ProvenanceError:
    if not matched:
        return ProvenanceError("openpgp: signature made by unknown entity")
    for key in matched:
        try:
            _check_key_now(key)
        except ProvenanceError as problem:
            return problem
    return ProvenanceError(f"openpgp: invalid signature: {_first_line(exc)}")


def verify_package(package: Path, keyring: Path, prov: Path | None = None) -> Verification:
    """``helm verify PACKAGE``: the checks of Helm's ``VerifyChart``, in its order."""
    if not package.exists():
        raise ProvenanceError(f"stat {package}: no such file or directory")
    if package.is_dir():
        raise ProvenanceError("unpacked charts cannot be verified")
    if package.suffix.lower() != ".tgz":
        raise ProvenanceError("chart must be a tgz file")
    prov = prov or Path(f"{package}.prov")
    if not prov.exists():
        raise ProvenanceError(f"could not load provenance file {prov}: stat {prov}: "
                              f"no such file or directory")
    keys = load_keyring(keyring)
    if prov.stat().st_size > _MAX_PROV:
        raise ProvenanceError(f"{prov}: larger than {_MAX_PROV} bytes")
    return verify(package.read_bytes(), prov.read_bytes(), package.name, keys)
