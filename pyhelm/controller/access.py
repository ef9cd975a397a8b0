"""The cluster a HelmRelease's release goes to and the identity it acts as:
``spec.kubeConfig.secretRef`` (another cluster, its kubeconfig in a Secret of the
HelmRelease's namespace) and ``spec.serviceAccountName`` (impersonated as
``system:serviceaccount:<namespace>:<name>``, as Flux does), else the controller's own.

A kubeconfig from a Secret is input from whoever can write Secrets in that namespace, so,
as Flux does by default (``--insecure-kubeconfig-exec``/``-tls`` unset), it may not run
programs (``exec``, ``auth-provider``), read the controller's files (paths to
certificates, keys or tokens) or turn TLS verification off.
"""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
from collections.abc import Mapping
from typing import Any

from pyhelm import yamlio
from pyhelm.controller.spec import DEFAULT_KUBECONFIG_KEYS, HelmRelease
from pyhelm.errors import HelmReleaseSpecError, KubeNotFoundError
from pyhelm.kube.protocol import KubeClient

# what a kubeconfig from a Secret may not carry: it would run a program, read a file of
# the controller's, or skip TLS verification
_FORBIDDEN_USER = ("exec", "auth-provider", "tokenFile", "client-certificate", "client-key",
                   "username", "password")
_FORBIDDEN_CLUSTER = ("certificate-authority", "insecure-skip-tls-verify", "proxy-url")


def service_account_user(hr: HelmRelease) -> str:
    return f"system:serviceaccount:{hr.namespace}:{hr.service_account}"


def _secret_kubeconfig(kube: KubeClient, hr: HelmRelease) -> str:
    assert hr.kube_config is not None
    where = f"spec.kubeConfig.secretRef: Secret/{hr.namespace}/{hr.kube_config.secret}"
    try:
        secret = kube.get("v1", "Secret", hr.kube_config.secret, hr.namespace)
    except KubeNotFoundError as exc:
        raise HelmReleaseSpecError(f"{where}: not found") from exc
    data = secret.get("data") or {}
    keys = (hr.kube_config.key,) if hr.kube_config.key else DEFAULT_KUBECONFIG_KEYS
    key = next((k for k in keys if k in data), None)
    if key is None:
        raise HelmReleaseSpecError(f"{where}: no key {' or '.join(repr(k) for k in keys)}")
    try:
        return base64.b64decode(data[key]).decode()
    except (binascii.Error, UnicodeDecodeError, TypeError) as exc:
        raise HelmReleaseSpecError(f"{where}: key {key!r} is not text") from exc


def check_kubeconfig(text: str, where: str) -> None:
    """Refuse a kubeconfig that runs programs, reads local files or skips TLS checks."""
    try:
        doc = yamlio.load(text)
    except yamlio.YamlSyntaxError as exc:
        raise HelmReleaseSpecError(f"{where}: not a kubeconfig: {exc}") from None
    if not isinstance(doc, Mapping):
        raise HelmReleaseSpecError(f"{where}: not a kubeconfig")
    entries: list[tuple[str, str, Any]] = [
        ("users", "user", _FORBIDDEN_USER), ("clusters", "cluster", _FORBIDDEN_CLUSTER)]
    for section, field, forbidden in entries:
        for entry in doc.get(section) or []:
            body = (entry or {}).get(field) or {} if isinstance(entry, Mapping) else {}
            found = [key for key in forbidden if body.get(key)]
            if found:
                raise HelmReleaseSpecError(
                    f"{where}: {section[:-1]} {entry.get('name')!r} sets {found[0]}: a "
                    "kubeconfig from a Secret may only carry inline certificates and "
                    "tokens (no programs, local files or skipped TLS verification)")


def _remote(hr: HelmRelease, text: str) -> KubeClient:
    from pyhelm.kube.client import connect
    from pyhelm.kube.kubeconfig import KubeOverrides

    handle, path = tempfile.mkstemp(prefix="pyhelm-kubeconfig-", suffix=".yaml")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
        return connect(overrides=KubeOverrides(kubeconfig=path, namespace=hr.namespace),
                       environ={})
    finally:
        os.unlink(path)


def release_kube(kube: KubeClient, hr: HelmRelease) -> KubeClient:
    """The client the release's objects and records are read and written with."""
    target = kube
    if hr.kube_config is not None:
        where = f"spec.kubeConfig.secretRef: Secret/{hr.namespace}/{hr.kube_config.secret}"
        text = _secret_kubeconfig(kube, hr)
        check_kubeconfig(text, where)
        target = _remote(hr, text)
    if not hr.service_account:
        return target
    impersonating = getattr(target, "impersonating", None)
    if impersonating is None:
        raise HelmReleaseSpecError("spec.serviceAccountName: this kube client cannot "
                                   "impersonate")
    client: KubeClient = impersonating(service_account_user(hr))
    return client
