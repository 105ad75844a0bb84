"""Every service has the same inner layout (docs/architecture.md, "Inside a service"), so moving between
them costs nothing; and its inner layers keep to what each may import."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if p.is_dir())
LAYOUT = [
    "pyproject.toml",
    "src/{name}/main.py",
    "src/{name}/config.py",
    "src/{name}/api",
    "src/{name}/domain",
    "src/{name}/service",
    "src/{name}/adapters",
    "tests/unit",
    "tests/integration",
]


def test_the_seven_services_exist():
    assert SERVICES == ["audit", "auth", "catalog", "notify", "payment", "reporting", "submission"]


@pytest.mark.parametrize("name", SERVICES)
def test_service_has_the_common_layout(name):
    missing = [p for p in LAYOUT if not (ROOT / "services" / name / p.format(name=name)).exists()]
    assert not missing, f"services/{name} lacks {missing}"


def test_the_services_share_one_dockerfile():
    assert (ROOT / "services" / "Dockerfile").is_file()
    assert not list((ROOT / "services").glob("*/Dockerfile")), "a service's own Dockerfile: use the template"


@pytest.mark.parametrize("name", SERVICES)
def test_a_consumers_module_exists_only_where_the_service_consumes_events(name):
    consumers = ROOT / "services" / name / "src" / name / "consumers.py"
    if consumers.exists():
        assert "rt.consumer.on" in consumers.read_text(), f"{name}/consumers.py binds no event"


# Web frameworks and database, broker and storage drivers: for api/ and adapters/ only.
WEB_AND_DRIVERS = {
    "fastapi",
    "starlette",
    "pymongo",
    "motor",
    "bson",
    "aio_pika",
    "aiormq",
    "aiobotocore",
    "botocore",
    "boto3",
}
# The domain is pure: rules and types only, no I/O of any kind and no web framework.
DOMAIN_MAY_NOT_IMPORT = WEB_AND_DRIVERS | {
    "httpx",
    "uvicorn",
    "anyio",
    "asyncio",
    "dvckit.runtime",
    "dvckit.http",
    "dvckit.s3",
}


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def banned_imports(paths: Iterable[Path], banned: set[str]) -> dict[str, list[str]]:
    """The files among ``paths`` that import a module of ``banned`` (or one inside it): what, by file name."""
    bad = {}
    for path in paths:
        hits = {m for m in imported(path) for b in banned if m == b or m.startswith(b + ".")}
        if hits:
            bad[path.name] = sorted(hits)
    return bad


@pytest.mark.parametrize("name", SERVICES)
def test_the_domain_imports_no_framework_driver_or_io(name):
    bad = banned_imports(
        (ROOT / "services" / name / "src" / name / "domain").glob("*.py"), DOMAIN_MAY_NOT_IMPORT
    )
    assert not bad, f"services/{name}/domain imports {bad}"


# Use cases work on domain types and the adapters' interfaces: HTTP stays in api/, drivers in adapters/.
SERVICE_MAY_NOT_IMPORT = WEB_AND_DRIVERS


@pytest.mark.parametrize("name", SERVICES)
def test_the_service_layer_imports_no_web_framework_or_driver(name):
    bad = banned_imports(
        (ROOT / "services" / name / "src" / name / "service").rglob("*.py"), SERVICE_MAY_NOT_IMPORT
    )
    assert not bad, f"services/{name}/service imports {bad}"


@pytest.mark.parametrize("name", SERVICES)
def test_service_builds_its_app_from_the_platform(name):
    main = (ROOT / "services" / name / "src" / name / "main.py").read_text()
    assert "from dvckit.http import create_app" in main and "def create_app(" in main
    assert f'serve("{name}.main:create_app"' in main
