"""Build the ``pyhelm-helm-engine`` wheels: helm-engine for each platform, one wheel each.

    python tools/build_engine_wheels.py DIST_DIR [--platform linux-amd64 ...]

Each wheel is ``py3-none-<platform tag>`` and holds the package ``pyhelm_helm_engine``
(its ``binary_path()`` names the bundled executable), the static ``CGO_ENABLED=0``
helper cross-compiled from ``tools/helm-engine``, and the licence text of every Go
module linked into it (from ``go list -deps``), under the wheel's ``licenses/``.
``pip install 'pyhelm-k8s[helm-charts]'`` picks the one for the user's platform.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pyhelm.helm_reference import HELM_VERSION  # noqa: E402
from pyhelm.testing.engine_build import SOURCE_DIR, build_binary  # noqa: E402

DIST_NAME = "pyhelm_helm_engine"
VERSION = HELM_VERSION.lstrip("v")
# a static Go binary needs no libc: any glibc or musl Linux, macOS 11+ / 10.12+
PLATFORMS: dict[str, tuple[str, str, str]] = {
    "linux-amd64": ("linux", "amd64", "manylinux_2_17_x86_64.manylinux2014_x86_64"
                    ".musllinux_1_1_x86_64"),
    "linux-arm64": ("linux", "arm64", "manylinux_2_17_aarch64.manylinux2014_aarch64"
                    ".musllinux_1_1_aarch64"),
    "darwin-amd64": ("darwin", "amd64", "macosx_10_12_x86_64"),
    "darwin-arm64": ("darwin", "arm64", "macosx_11_0_arm64"),
    "windows-amd64": ("windows", "amd64", "win_amd64"),
}
LICENSE_PREFIXES = ("LICENSE", "LICENCE", "COPYING", "NOTICE")

PACKAGE_INIT = '''"""helm-engine, Helm's own renderer for Go-template charts, for pyhelm."""

from pathlib import Path

HELM_VERSION = "{version}"


def binary_path() -> str:
    """The bundled helm-engine executable."""
    return str(Path(__file__).with_name("bin") / "{binary}")
'''


def module_licences(goos: str, goarch: str) -> dict[str, bytes]:
    """{module path: licence text} for every module linked into the helper."""
    env = {**os.environ, "GOOS": goos, "GOARCH": goarch, "CGO_ENABLED": "0"}
    listing = subprocess.run(
        ["go", "list", "-deps", "-f",
         "{{with .Module}}{{if not .Main}}{{.Path}}\t{{.Dir}}{{end}}{{end}}", "."],
        cwd=SOURCE_DIR, env=env, capture_output=True, text=True, check=True).stdout
    licences: dict[str, bytes] = {}
    for line in sorted(set(listing.splitlines())):
        path, _, directory = line.partition("\t")
        if not directory or path in licences:
            continue
        texts = [p.read_bytes() for p in sorted(Path(directory).iterdir())
                 if p.is_file() and p.name.upper().startswith(LICENSE_PREFIXES)]
        if not texts:
            raise SystemExit(f"no licence file found for Go module {path} in {directory}")
        licences[path] = b"\n\n".join(texts)
    return licences


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(platform: str, dist: Path, work: Path) -> Path:
    goos, goarch, tag = PLATFORMS[platform]
    binary_name = "helm-engine.exe" if goos == "windows" else "helm-engine"
    binary = build_binary(work / platform / binary_name, goos, goarch)
    info = f"{DIST_NAME}-{VERSION}.dist-info"
    files: dict[str, bytes] = {
        f"{DIST_NAME}/__init__.py": PACKAGE_INIT.format(version=HELM_VERSION,
                                                        binary=binary_name).encode(),
        f"{DIST_NAME}/py.typed": b"",
        f"{DIST_NAME}/bin/{binary_name}": binary.read_bytes(),
    }
    licences = module_licences(goos, goarch)
    for module, text in licences.items():
        files[f"{info}/licenses/{module}/LICENSE"] = text
    files[f"{info}/METADATA"] = (
        "Metadata-Version: 2.4\n"
        f"Name: {DIST_NAME.replace('_', '-')}\nVersion: {VERSION}\n"
        "Summary: helm-engine: Helm's own Go-template renderer for pyhelm\n"
        "License-Expression: Apache-2.0\n"
        + "".join(f"License-File: licenses/{m}/LICENSE\n" for m in licences)
        + "Requires-Python: >=3.11\n").encode()
    files[f"{info}/WHEEL"] = ("Wheel-Version: 1.0\nGenerator: pyhelm build_engine_wheels\n"
                              "Root-Is-Purelib: false\n"
                              + "".join(f"Tag: py3-none-{t}\n" for t in tag.split("."))
                              ).encode()
    record = [_record_line(name, data) for name, data in files.items()]
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    dist.mkdir(parents=True, exist_ok=True)
    wheel = dist / f"{DIST_NAME}-{VERSION}-py3-none-{tag}.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            entry = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            entry.external_attr = (0o100755 if "/bin/" in name else 0o100644) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    return wheel


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dist", type=Path)
    parser.add_argument("--platform", action="append", choices=sorted(PLATFORMS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        for platform in args.platform or sorted(PLATFORMS):
            wheel = build_wheel(platform, args.dist, Path(work))
            print(json.dumps({"platform": platform, "wheel": str(wheel),
                              "bytes": wheel.stat().st_size}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
