"""TLS client settings as kubeconfigs and repository entries give them, and the
``ssl`` context they make: one place for the API server's connections and the chart
repositories' downloads."""

from __future__ import annotations

import ssl
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class TlsSettings:
    """The TLS material and checks of a connection."""

    ca_file: str | None = None
    ca_data: bytes | None = None
    cert_file: str | None = None
    key_file: str | None = None
    insecure: bool = False
    server_name: str | None = None  # the name to verify instead of the URL's host


def tls_context(settings: TlsSettings) -> ssl.SSLContext:
    context = ssl.create_default_context(
        cafile=settings.ca_file,
        cadata=settings.ca_data.decode() if settings.ca_data else None)
    if settings.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if settings.cert_file:
        context.load_cert_chain(settings.cert_file, settings.key_file)
    return context
