"""Every service has the same inner layout (ARCHITECTURE.md §5), so moving between them costs nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if p.is_dir())
LAYOUT = [
    "pyproject.toml",
    "Dockerfile",
    "src/{name}/main.py",
    "src/{name}/config.py",
    "src/{name}/consumers.py",
    "src/{name}/api",
    "src/{name}/domain",
    "src/{name}/service",
    "src/{name}/adapters",
    "tests/unit",
    "tests/integration",
]


def test_the_four_services_exist():
    assert SERVICES == ["auth", "catalog", "notify", "submission"]


@pytest.mark.parametrize("name", SERVICES)
def test_service_has_the_common_layout(name):
    missing = [p for p in LAYOUT if not (ROOT / "services" / name / p.format(name=name)).exists()]
    assert not missing, f"services/{name} lacks {missing}"


@pytest.mark.parametrize("name", SERVICES)
def test_service_builds_its_app_from_the_platform(name):
    main = (ROOT / "services" / name / "src" / name / "main.py").read_text()
    assert "from dvckit.http import create_app" in main and "def create_app(" in main
    assert f'serve("{name}.main:create_app"' in main
