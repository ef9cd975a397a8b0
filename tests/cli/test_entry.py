"""The console script starts helm-engine early only for charts that may need it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyhelm.cli import entry

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def prestarts(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    started: list[bool] = []
    monkeypatch.setattr("pyhelm.engine.engine_process.prestart", lambda: started.append(True))
    monkeypatch.setattr("pyhelm.cli.main.main", lambda argv: 0)
    return started


def test_a_jinja2_chart_starts_no_engine(prestarts: list[bool]) -> None:
    entry.main(["template", "web", str(ROOT / "charts" / "demo")])
    assert prestarts == []


def test_a_go_template_chart_starts_the_engine_early(prestarts: list[bool]) -> None:
    entry.main(["template", "web", str(ROOT / "bench" / "charts" / "microservices-helm")])
    assert prestarts == [True]


def test_other_verbs_start_no_engine(prestarts: list[bool]) -> None:
    entry.main(["list", "-A"])
    assert prestarts == []


def test_an_unreadable_templates_directory_is_no_evidence(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "templates").mkdir()

    def refuse(path: str) -> None:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr("os.scandir", refuse)
    assert entry._evidently_jinja(["install", "web", str(tmp_path)]) is False
