"""No dependency floor admits a release with a published vulnerability that touches
pyhelm: pip keeps an installed version that satisfies the floor (Debian's, a lock
file's), so the floor is what users actually get.

The table holds the advisories of each dependency that pyhelm's use reaches, with the
first fixed release; a floor below it fails the test. Add a row when an advisory is
published (and raise the floor)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]

# package -> [(advisory, first fixed version)]
ADVISORIES: dict[str, list[tuple[str, str]]] = {
    "jinja2": [("CVE-2024-22195", "3.1.3"), ("CVE-2024-34064", "3.1.4"),
               ("CVE-2024-56201", "3.1.5"), ("CVE-2024-56326", "3.1.5"),
               ("CVE-2025-27516", "3.1.6")],
    "pyyaml": [("CVE-2020-1747", "5.3.1"), ("CVE-2020-14343", "5.4")],
    "cryptography": [("CVE-2023-50782", "42.0.0"), ("CVE-2024-26130", "42.0.4"),
                     ("CVE-2024-12797", "44.0.1")],
    "starlette": [("CVE-2024-47874", "0.40.0"), ("CVE-2025-54121", "0.47.2"),
                  ("CVE-2025-62727", "0.49.1")],
    "uvicorn": [("CVE-2020-7694", "0.11.7"), ("CVE-2020-7695", "0.11.7")],
    "h11": [("CVE-2025-43859", "0.16.0")],
    "python-multipart": [("CVE-2024-24762", "0.0.7"), ("CVE-2024-53981", "0.0.18"),
                         ("CVE-2026-24486", "0.0.22")],
    "jsonschema": [], "click": [], "obstore": [], "prometheus-client": [], "google-re2": [],
    # no advisory against pysequoia; the Sequoia it bundles (2.x) postdates the
    # sequoia-openpgp ones (RUSTSEC-2023-0028, -2024-0345)
    "pysequoia": [],
}


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    texts = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        texts += extra
    return [Requirement(text) for text in texts]


def _floor(requirement: Requirement) -> Version | None:
    floors = [Version(s.version) for s in requirement.specifier if s.operator in (">=", "==")]
    return max(floors) if floors else None


@pytest.mark.parametrize("package", sorted(ADVISORIES))
def test_no_floor_admits_a_vulnerable_release(package: str) -> None:
    found = [r for r in _requirements() if r.name.lower() == package]
    assert found, f"{package} is not a dependency any more: drop its row"
    for requirement in found:
        floor = _floor(requirement)
        assert floor is not None, f"{requirement}: no floor"
        for advisory, fixed in ADVISORIES[package]:
            assert floor >= Version(fixed), f"{requirement} admits {advisory} (fixed in {fixed})"


def test_every_dependency_is_reviewed() -> None:
    reviewed = set(ADVISORIES) | {"referencing", "pathspec", "kubernetes", "rapidyaml",
                                  "pyhelm-helm-engine", "pyhelm-k8s", "pytest",
                                  "pytest-timeout", "ruff", "mypy", "types-pyyaml",
                                  "types-jsonschema", "import-linter", "pyhelm3"}
    assert {r.name.lower() for r in _requirements()} <= reviewed


@pytest.mark.parametrize("version", ["3.1.2", "3.1.4", "3.1.5", "3.0.3", "2.11.3"])
def test_an_escapable_jinja_is_refused_at_run_time(version: str) -> None:
    from pyhelm.engine.sandbox import check_jinja_version
    from pyhelm.errors import RenderError

    with pytest.raises(RenderError, match=f"Jinja2 {version} has sandbox escapes"):
        check_jinja_version(version)


@pytest.mark.parametrize("version", ["3.1.6", "3.1.10", "3.2.0", "4.0.0rc1"])
def test_a_fixed_jinja_is_accepted(version: str) -> None:
    from pyhelm.engine.sandbox import check_jinja_version

    check_jinja_version(version)
