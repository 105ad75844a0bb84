"""Static checks of the container side: docker-compose.yml, the Dockerfiles, .dockerignore and the
gateway image's nginx configuration. No Docker engine is needed (the development machines have none).

``compose-spec.json`` beside this file is the Compose Specification's JSON schema, vendored unchanged
from the PyPI package check-jsonschema 0.39.0 (file
``check_jsonschema/builtin_schemas/vendor/compose-spec.json``; it tracks the compose-spec project's
``schema/compose-spec.json``). Licence: Apache-2.0, Copyright Docker, Inc.; the licence text is
``compose-spec.LICENSE`` beside it. To update: take the file from a newer check-jsonschema and change
``SCHEMA_SHA256``.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import shlex
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from dockerfile_parse import DockerfileParser

from devstack import gateway
from devstack.config import (
    DEV_ADMIN_PASSWORD,
    DEV_ADMIN_USERNAME,
    S3_ACCESS_KEY,
    S3_SECRET_KEY,
    SERVICES,
    StackConfig,
)
from devstack.infra import nginx_binary

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SCHEMA = HERE / "compose-spec.json"
SCHEMA_SHA256 = "d549057ebc2925f39f62799eab0db7b9e2c18b35b6c00595199116da3ed10e64"
COMPOSE = ROOT / "docker-compose.yml"
SERVICE_NAMES = [s.name for s in SERVICES]
GATEWAY_DOCKERFILE = ROOT / "gateway" / "Dockerfile"
SERVICE_DOCKERFILE = ROOT / "services" / "Dockerfile"  # one template; the service is the build argument
MINIO_DOCKERFILE = ROOT / "deploy" / "minio" / "Dockerfile"  # the MinIO server from its source release
DOCKERFILES = [SERVICE_DOCKERFILE, GATEWAY_DOCKERFILE, MINIO_DOCKERFILE]
# Every image compose builds: the template with each service's argument, the gateway's and MinIO's.
BUILDS = [(SERVICE_DOCKERFILE, {"SERVICE": n}) for n in SERVICE_NAMES] + [
    (GATEWAY_DOCKERFILE, {}),
    (MINIO_DOCKERFILE, {}),
]
SERVICE_PORT = 8000  # what the services listen on inside their containers (the gateway's upstreams too)
GATEWAY_PORT = 8080


# -- helpers ---------------------------------------------------------------------------------------

_VAR = re.compile(r"\$(?:\$|\{(?P<braced>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's variable interpolation: ``$$``, ``$VAR``, ``${VAR}``, ``${VAR:-default}``,
    ``${VAR-default}``, ``${VAR:?error}``, ``${VAR?error}``, ``${VAR:+other}``."""

    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        if m.group("bare"):
            return env.get(m.group("bare"), "")
        expr = m.group("braced")
        name, op, arg = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])(.*))?", expr, re.S).groups()
        val = env.get(name)
        unset_or_empty = val is None or (op is not None and op.startswith(":") and val == "")
        if op in ("-", ":-"):
            return arg if unset_or_empty else val
        if op in ("?", ":?"):
            if unset_or_empty:
                raise ValueError(f"{name} is required: {arg}")
            return val
        if op in ("+", ":+"):
            return "" if unset_or_empty else arg
        return val or ""

    return _VAR.sub(one, value)


def environment(svc: Mapping[str, Any], env: Mapping[str, str] | None = None) -> dict[str, str]:
    """A compose service's container environment, interpolated (defaults only unless ``env`` is given)."""
    raw = svc.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    return {k: interpolate("" if v is None else str(v), env or {}) for k, v in raw.items()}


def depends_on(svc: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    raw = svc.get("depends_on") or {}
    if isinstance(raw, list):
        return {name: {"condition": "service_started"} for name in raw}
    return {name: dict(v or {}) for name, v in raw.items()}


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[dict[str, Any]]

    def all(self, instruction: str) -> list[str]:
        return [i["value"] for i in self.instructions if i["instruction"] == instruction]

    def last(self, instruction: str) -> str | None:
        found = self.all(instruction)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for value in self.all("ENV"):
            words = shlex.split(value)
            if len(words) >= 2 and "=" not in words[0]:  # legacy form: ENV NAME value
                out[words[0]] = " ".join(words[1:])
            else:
                out.update(w.split("=", 1) for w in words)
        return out


def stages(path: Path, args: Mapping[str, str] | None = None) -> list[Stage]:
    """The Dockerfile's stages, with the build arguments ``args`` put in as docker would."""
    text = path.read_text()
    for name, value in (args or {}).items():
        assert re.search(rf"^ARG {name}$", text, re.M), f"{path}: no ARG {name}"
        text = text.replace(f"${{{name}}}", value).replace(f"${name}", value)
    with tempfile.TemporaryDirectory() as d:
        rendered = Path(d) / "Dockerfile"
        rendered.write_text(text)
        parser = DockerfileParser(str(rendered), env_replace=False)
        structure = parser.structure
    return _stages(path, structure)


def service_stages(name: str) -> list[Stage]:
    return stages(SERVICE_DOCKERFILE, {"SERVICE": name})


def _stages(path: Path, structure: list[dict[str, Any]]) -> list[Stage]:
    found: list[Stage] = []
    for ins in structure:
        if ins["instruction"] == "FROM":
            words = ins["value"].split()
            words = [w for w in words if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            found.append(Stage(words[0], name, []))
        elif found:
            found[-1].instructions.append(ins)
    assert found, f"{path}: no FROM"
    return found


def copies(stage: Stage) -> Iterator[tuple[list[str], str, dict[str, str]]]:
    """(sources, destination, flags) of every COPY/ADD of a stage."""
    for value in stage.all("COPY") + stage.all("ADD"):
        words = shlex.split(value)
        flags = dict(w[2:].split("=", 1) for w in words if w.startswith("--") and "=" in w)
        args = [w for w in words if not w.startswith("--")]
        if args and args[0].startswith("["):  # JSON form
            args = json.loads(value[value.index("[") :])
        yield args[:-1], args[-1], flags


def exec_form(value: str | None) -> list[str]:
    """CMD/HEALTHCHECK command in exec form (a JSON array), the only form these images use."""
    assert value is not None
    parsed = json.loads(value)
    assert isinstance(parsed, list) and all(isinstance(a, str) for a in parsed), value
    return parsed


def healthcheck_command(stage: Stage) -> list[str] | None:
    value = stage.last("HEALTHCHECK")
    if value is None or value.strip().upper() == "NONE":
        return None
    m = re.search(r"\bCMD\s+(.*)$", value, re.S)
    assert m, f"HEALTHCHECK without CMD: {value}"
    return exec_form(m.group(1))


def exposed_ports(stage: Stage) -> set[int]:
    return {int(p.split("/")[0]) for v in stage.all("EXPOSE") for p in v.split()}


def url_port(command: list[str]) -> int | None:
    for word in command:
        for m in re.finditer(r"https?://[^\s'\"]+", word):
            parts = urlsplit(m.group(0))
            return parts.port or (443 if parts.scheme == "https" else 80)
    return None


_EXACT_TAG = re.compile(r"(^|\D)\d+\.\d+\.\d+($|\D)|^RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$")
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
# Images that publish no version tags at all: the digest is their only version (distroless's tags name the
# Debian release and the variant).
UNVERSIONED = {"gcr.io/distroless/static-debian13"}


def pinned(image: str) -> bool:
    """An image reference that names one build: an exact version tag (x.y.z, MinIO's RELEASE.<time>), for
    the reader and for Renovate, and the digest of that build (a tag can be pushed again; a digest cannot).
    ``latest``, a bare major (``8``), major.minor (``4.1-management``) or a tag alone float."""
    ref, at, digest = image.partition("@")
    if not at or not _DIGEST.search("@" + digest):
        return False
    name, _, tag = ref.rpartition(":")
    if not name or "/" in tag:  # no tag at all (a registry port is not a tag)
        return False
    return name in UNVERSIONED or (tag != "latest" and bool(_EXACT_TAG.search(tag)))


def settings_class(service: str) -> type:
    return importlib.import_module(f"{service}.config").Settings


def names_read_by(settings: type) -> set[str]:
    prefix = settings.model_config["env_prefix"]
    fields = [f.upper() for f in settings.model_fields]
    return {prefix + f for f in fields} | {settings.platform_prefix + f for f in fields}


def dockerignore_patterns() -> list[tuple[bool, re.Pattern[str]]]:
    """``.dockerignore`` as (exclude?, regex) in file order; the last pattern that matches wins."""
    out = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
        rx = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                rx += "(?:.*/)?"
                i += 3
            elif pattern.startswith("**", i):
                rx += ".*"
                i += 2
            elif pattern[i] == "*":
                rx += "[^/]*"
                i += 1
            elif pattern[i] == "?":
                rx += "[^/]"
                i += 1
            else:
                rx += re.escape(pattern[i])
                i += 1
        out.append((not negate, re.compile(rx + "$")))
    return out


def ignored(rel: str, patterns: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether the build context leaves ``rel`` out: a pattern excludes a path or any folder above it."""
    parts = Path(rel).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for exclude, rx in patterns:
        if any(rx.match(c) for c in candidates):
            result = exclude
    return result


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def built_dockerfile(svc: Mapping[str, Any]) -> Path | None:
    build = svc.get("build")
    if build is None:
        return None
    if isinstance(build, str):
        build = {"context": build}
    return ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")


# -- docker-compose.yml ----------------------------------------------------------------------------


def test_vendored_compose_schema_is_the_published_one() -> None:
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256
    assert "Apache License" in (HERE / "compose-spec.LICENSE").read_text()


def test_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    validator_cls = jsonschema.validators.validator_for(schema)
    validator_cls.check_schema(schema)
    validator = validator_cls(schema)
    # The schema really checks services: an unknown key and a bad depends_on condition are rejected.
    bad = {"services": {"a": {"image": "x:1.0.0", "helthcheck": {}}}}
    assert list(validator.iter_errors(bad))
    bad = {"services": {"a": {"image": "x:1.0.0", "depends_on": {"b": {"condition": "service_ready"}}}}}
    assert list(validator.iter_errors(bad))

    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


def test_every_build_points_at_its_own_dockerfile(services: dict[str, dict[str, Any]]) -> None:
    built = {name: built_dockerfile(svc) for name, svc in services.items() if "build" in svc}
    expected = {n: SERVICE_DOCKERFILE for n in SERVICE_NAMES}
    assert built == expected | {"gateway": GATEWAY_DOCKERFILE, "minio": MINIO_DOCKERFILE}
    for n in SERVICE_NAMES:  # the template, told which service it builds
        assert services[n]["build"].get("args") == {"SERVICE": n}, n
    for name, svc in services.items():
        if "build" in svc:
            context = (ROOT / svc["build"]["context"]).resolve()
            # The services and the gateway copy from the repository root; MinIO's image needs only its
            # own folder (the source comes from MinIO's repository at the pinned release).
            assert context == (MINIO_DOCKERFILE.parent if name == "minio" else ROOT), name
            assert built[name] is not None and built[name].is_file(), name
        else:
            assert svc.get("image"), f"{name}: neither image nor build"


def test_dependencies_exist_and_are_waited_for_until_healthy(services: dict[str, dict[str, Any]]) -> None:
    def healthchecked(name: str) -> bool:
        svc = services[name]
        check = svc.get("healthcheck")
        if check is not None:
            return not check.get("disable") and check.get("test") not in (["NONE"], "NONE")
        dockerfile = built_dockerfile(svc)
        return dockerfile is not None and healthcheck_command(stages(dockerfile)[-1]) is not None

    for name, svc in services.items():
        assert healthchecked(name), f"{name} has no healthcheck"
        for target, how in depends_on(svc).items():
            assert target in services, f"{name} depends on unknown {target}"
            assert how.get("condition") == "service_healthy", f"{name} -> {target}: {how}"
    assert set(depends_on(services["gateway"])) == set(SERVICE_NAMES)
    for name in SERVICE_NAMES:
        assert {f"mongo-{name}", "rabbitmq"} <= set(depends_on(services[name])), name
        # Its own database server only, as `make up` runs them (one MongoDB a service).
        others = {f"mongo-{other}" for other in SERVICE_NAMES if other != name}
        assert not others & set(depends_on(services[name])), name
    assert "minio" in depends_on(services["submission"])


def test_one_mongodb_a_service_each_with_volumes_of_its_own(services: dict[str, dict[str, Any]]) -> None:
    mongos = {n: svc for n, svc in services.items() if svc.get("image", "").startswith("mongo:")}
    assert set(mongos) == {f"mongo-{name}" for name in SERVICE_NAMES}
    volumes = [v.split(":", 1)[0] for svc in mongos.values() for v in svc["volumes"]]
    assert len(volumes) == len(set(volumes)) == 2 * len(SERVICE_NAMES)  # data and config, none shared
    for name, svc in mongos.items():
        assert svc["image"].startswith("mongo:8.0.") and "--replSet" in svc["command"], name


def test_only_the_gateway_is_published_on_8080(services: dict[str, dict[str, Any]]) -> None:
    published = {}
    for name, svc in services.items():
        for port in svc.get("ports") or []:
            if isinstance(port, dict):
                host, target = port.get("published"), port["target"]
            else:
                *rest, target = interpolate(str(port), {}).split(":")
                host = rest[-1] if rest else None
            published.setdefault(name, []).append((str(host), int(str(target).split("/")[0])))
    assert published == {"gateway": [(str(GATEWAY_PORT), GATEWAY_PORT)]}


def test_images_are_pinned_by_digest(services: dict[str, dict[str, Any]]) -> None:
    digest = "@sha256:" + "0" * 64
    assert pinned("mongo:8.0.29" + digest) and pinned(
        "registry:5000/minio:RELEASE.2025-10-15T17-29-55Z" + digest
    )
    assert not any(
        pinned(i)
        for i in (
            "mongo",
            "mongo:latest",
            "mongo:8",
            "mongo:8.0.29",  # a tag alone can be pushed again
            "mongo" + digest,  # a digest alone says nothing to the reader or to Renovate
            "rabbitmq:4.2-management" + digest,
            "mongo:8.0.29@sha256:0123",
            "localhost:5000/x" + digest,
        )
    )
    # What compose pulls; an image it builds (MinIO's) carries a local name and is checked through its
    # Dockerfile below.
    images = [svc["image"] for svc in services.values() if "image" in svc and "build" not in svc]
    assert len(images) >= 2
    for dockerfile in DOCKERFILES:
        found = stages(dockerfile)
        names = {s.name for s in found if s.name}
        images += [s.base for s in found if s.base not in names]
        copied_from = [f["from"] for s in found for _, _, f in copies(s) if "from" in f]
        images += [i for i in copied_from if i not in names]
    unpinned = [i for i in images if not pinned(i)]
    assert unpinned == []


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_service_environment_is_read_by_its_settings(name: str, services: dict[str, dict[str, Any]]) -> None:
    settings = settings_class(name)
    read = names_read_by(settings)
    prefix = settings.model_config["env_prefix"]
    assert {f"{prefix}HOST", f"{prefix}PORT", "DVC_ENV", "DVC_MONGO_URL"} <= read  # the rule is right
    set_by_compose = set(environment(services[name]))
    assert set_by_compose, name
    assert set_by_compose - read == set()
    image_env = service_stages(name)[-1].env()
    ours = {k for k in image_env if k.startswith((prefix, settings.platform_prefix))}
    assert ours
    assert ours - read == set()


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_service_settings_in_the_container(
    name: str, services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the service's Settings make of its image's ENV plus compose's environment (defaults)."""
    settings_cls = settings_class(name)
    prefix = settings_cls.model_config["env_prefix"]
    for key in list(os.environ):
        if key.startswith((prefix, settings_cls.platform_prefix)):
            monkeypatch.delenv(key)
    final = service_stages(name)[-1]
    env = {k: v for k, v in final.env().items() if k.startswith((prefix, settings_cls.platform_prefix))}
    env |= environment(services[name])
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    s = settings_cls()

    assert s.env == StackConfig().env == "development"  # compose's defaults are `make up`'s
    assert s.host == "0.0.0.0"
    assert s.port == SERVICE_PORT
    assert exposed_ports(final) == {SERVICE_PORT}
    assert url_port(healthcheck_command(final) or []) == SERVICE_PORT

    mongo = urlsplit(s.mongo_url)
    assert mongo.hostname == f"mongo-{name}"  # a server of its own, as `make up` runs them
    assert environment(services[name])[f"{prefix}MONGO_URL"] == s.mongo_url
    assert mongo.hostname in services
    rs = dict(p.split("=", 1) for p in mongo.query.split("&") if p)["replicaSet"]
    mongo_svc = services[mongo.hostname]
    assert mongo_svc["command"][mongo_svc["command"].index("--replSet") + 1] == rs
    check = " ".join(mongo_svc["healthcheck"]["test"])
    assert f"_id: '{rs}'" in check and f"host: '{mongo.hostname}:{mongo.port or 27017}'" in check

    amqp = urlsplit(s.amqp_url.get_secret_value())
    assert amqp.hostname in services
    broker = environment(services[amqp.hostname])
    assert amqp.username == broker["RABBITMQ_DEFAULT_USER"]
    assert amqp.password == broker["RABBITMQ_DEFAULT_PASS"]

    jwks = urlsplit(s.jwks_url)
    assert (jwks.hostname, jwks.port) == ("auth", SERVICE_PORT)
    assert jwks.path.startswith(next(sp.prefix for sp in SERVICES if sp.name == "auth") + "/")

    if hasattr(s, "s3_endpoint"):
        s3 = urlsplit(s.s3_endpoint)
        assert s3.hostname in services
        store = environment(services[s3.hostname])
        credentials = (s.s3_access_key, s.s3_secret_key.get_secret_value())
        assert credentials == (store["MINIO_ROOT_USER"], store["MINIO_ROOT_PASSWORD"])
        assert credentials == (S3_ACCESS_KEY, S3_SECRET_KEY)
        assert s3.hostname in depends_on(services[name])
    if name == "auth":
        assert s.admin_username == DEV_ADMIN_USERNAME
        assert s.admin_password.get_secret_value() == DEV_ADMIN_PASSWORD


# -- Dockerfiles -----------------------------------------------------------------------------------


def build_id(dockerfile: Path, args: dict[str, str]) -> str:
    return args.get("SERVICE") or dockerfile.parent.name


@pytest.mark.parametrize(("dockerfile", "args"), BUILDS, ids=[build_id(d, a) for d, a in BUILDS])
def test_dockerfile_runtime_stage(dockerfile: Path, args: dict[str, str]) -> None:
    found = stages(dockerfile, args)
    final = found[-1]
    user = final.last("USER")
    assert user is not None, "the final stage sets no USER: it would run as root"
    assert user.split(":")[0] not in ("root", "0")
    command = healthcheck_command(final)
    assert command, "no HEALTHCHECK"
    ports = exposed_ports(final)
    assert ports
    assert url_port(command) in ports
    assert final.last("CMD") is not None

    # The build context: the repository root (and its .dockerignore), or MinIO's own folder.
    context = dockerfile.parent if dockerfile == MINIO_DOCKERFILE else ROOT
    patterns = dockerignore_patterns() if context == ROOT else []
    names = {s.name for s in found if s.name}
    for stage in found:
        for sources, _dest, flags in copies(stage):
            if "from" in flags:
                assert flags["from"] in names or pinned(flags["from"])
                continue
            for src in sources:
                assert (context / src).exists(), f"COPY {src}: not in the build context"
                assert not ignored(src.rstrip("/"), patterns), f"COPY {src}: left out by .dockerignore"


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_service_dockerfile_installs_its_own_package(name: str) -> None:
    builder, final = service_stages(name)[0], service_stages(name)[-1]
    project = (ROOT / "services" / name / "pyproject.toml").read_text()
    package = re.search(r'^name = "([^"]+)"', project, re.M).group(1)
    scripts = re.search(r"^\[project\.scripts\]\n((?:.+\n)+)", project, re.M).group(1)
    # The venv's python links to the base image's interpreter: both stages use the same image.
    assert builder is not final and builder.base == final.base
    # One command name in every image, linked to the service's own console script.
    assert exec_form(final.last("CMD")) == ["dvc-service"]
    assert f"ln -s /app/.venv/bin/{package} /app/.venv/bin/dvc-service" in builder.all("RUN")
    assert re.search(rf"^{re.escape(package)}\s*=", scripts, re.M), f"no console script {package}"

    syncs = [v for v in builder.all("RUN") if "uv sync" in v]
    assert syncs
    for run in syncs:
        for flag in ("--frozen", "--no-dev", "--no-editable", f"--package {package}"):
            assert flag in " ".join(run.split()), f"{flag} missing: {run}"
    copied = {src.rstrip("/") for sources, _, f in copies(builder) if "from" not in f for src in sources}
    other = {f"services/{n}" for n in SERVICE_NAMES if n != name}
    assert f"services/{name}" in copied and "libs/dvckit" in copied
    assert not {c for c in copied if any(c == o or c.startswith(o + "/") for o in other)}
    # Only the venv reaches the runtime stage.
    assert [(s, d) for s, d, f in copies(final)] == [(["/app/.venv"], "/app/.venv")]


def test_dockerignore_keeps_local_state_out_of_the_build_context() -> None:
    patterns = dockerignore_patterns()
    for path in (
        ".venv/bin/python",
        ".tools/bin/uv",
        ".data/log/x",
        ".git/HEAD",
        "tests/static/x.py",
        "bench/x.py",
        "services/auth/tests/unit/test_x.py",
        "libs/dvckit/tests/conftest.py",
        "libs/dvckit/src/dvckit/__pycache__/x.pyc",
        ".env",
    ):
        assert ignored(path, patterns), path
    for path in (
        "uv.lock",
        "pyproject.toml",
        "libs/dvckit/src/dvckit/settings.py",
        "gateway/docker/nginx.conf",
        "gateway/web/index.html",
        "gateway/njs/edge.js",
        "gateway/apidocs/openapi.json",
        "gateway/apidocs/vendor/swagger-ui-bundle.js",
        *(f"services/{n}/src/{n}/main.py" for n in SERVICE_NAMES),
    ):
        assert not ignored(path, patterns), path


# -- the gateway image -----------------------------------------------------------------------------


def test_gateway_image_configuration_is_current() -> None:
    assert (ROOT / gateway.DOCKER_CONF).read_text() == gateway.docker(ROOT)
    final = stages(GATEWAY_DOCKERFILE)[-1]
    assert (["gateway/docker/nginx.conf"], "/etc/nginx/nginx.conf") in [(s, d) for s, d, _ in copies(final)]
    assert exposed_ports(final) == {GATEWAY_PORT}
    assert re.search(rf"^\s*listen {GATEWAY_PORT};", gateway.docker(ROOT), re.M)


def _nginx_t(conf: Path, prefix: Path, *args: str, uid: int | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [nginx_binary(), "-t", "-p", str(prefix), "-c", str(conf), *args],
        capture_output=True,
        text=True,
        timeout=60,
        user=uid,
        group=uid,
        extra_groups=[] if uid is not None else None,
    )


def test_gateway_image_configuration_passes_nginx_t(services: dict[str, Any]) -> None:
    """``nginx -t`` of the image's configuration, with the image's command line and, where the test runs as
    root, as an unprivileged user like the image's. What differs from the container, and only that: the
    upstream hosts (compose's service names, which nginx resolves while it reads the file) become
    127.0.0.1, without `resolve` (newer than this machine's nginx); /tmp is a folder of the test
    holding what the Dockerfile's RUN lines create and chown there (nginx makes only the last level
    of its temp folders); /dev/stderr and /dev/stdout, which
    Docker hands to the container's user, are files."""
    final = stages(GATEWAY_DOCKERFILE)[-1]
    image_user = (final.last("USER") or "").split(":")[0]
    uid = 65534 if os.geteuid() == 0 else None  # nobody stands for the image's user
    with tempfile.TemporaryDirectory() as d:
        base = Path(d)
        base.chmod(0o755)
        fake_tmp = base / "tmp"
        fake_tmp.mkdir()
        fake_tmp.chmod(0o1777)

        def here(path: str) -> Path | None:
            return fake_tmp / path.removeprefix("/tmp/") if path.startswith("/tmp/") else None

        made = 0
        owners = []
        for run in final.all("RUN"):
            for command in re.split(r"&&|\|\||;", run):
                words = shlex.split(command)
                args = [w for w in words[1:] if not w.startswith("-")]
                if words[:1] == ["mkdir"]:
                    for path in filter(None, map(here, args)):
                        path.mkdir(parents=True, exist_ok=True)
                        made += 1
                elif words[:1] == ["chown"]:
                    owners.append(args[0].split(":")[0])
                    if uid is None or owners[-1] != image_user:
                        continue
                    for path in filter(None, map(here, args[1:])):
                        recursive = "-R" in words or "--recursive" in words
                        for sub in [path, *(path.rglob("*") if recursive else [])]:
                            os.chown(sub, uid, uid)
        assert made, "the Dockerfile makes no folder under /tmp for nginx's temporary files"
        assert image_user in owners, f"no chown to the USER of the image, written as it is ({image_user})"

        conf = gateway.docker(ROOT)
        upstream = re.compile(r"^(\s*server )([a-z][a-z0-9-]*):(\d+)( .*;)$", re.M)
        hosts = [(m.group(2), int(m.group(3))) for m in upstream.finditer(conf)]
        assert sorted(hosts) == sorted((n, SERVICE_PORT) for n in SERVICE_NAMES)
        assert all(h in services for h, _ in hosts)
        conf = upstream.sub(r"\g<1>127.0.0.1:\3\4", conf)
        # `resolve` on upstream servers needs nginx >= 1.27.3 (the image has 1.30); Debian's nginx here
        # is older, so the check runs without it and asserts it is there for the image.
        assert conf.count(" resolve;") == len(hosts) and "resolver 127.0.0.11" in conf
        conf = conf.replace(" resolve;", ";")
        conf = re.sub(r"(?<=\s)/tmp/", f"{fake_tmp}/", conf)
        for stream in ("stderr", "stdout"):
            (base / stream).touch()
            if uid is not None:
                os.chown(base / stream, uid, uid)
            conf = conf.replace(f" /dev/{stream}", f" {base / stream}")
        assert all(p.startswith(str(base)) for p in re.findall(r"(?<=\s)/(?:tmp|dev)/[^\s;]*", conf))
        # The edge's JavaScript, where the image copies it.
        assert (["gateway/njs/"], "/etc/nginx/njs/") in [(s, d) for s, d, _ in copies(final)]
        assert "js_path /etc/nginx/njs;" in conf
        conf = conf.replace("js_path /etc/nginx/njs;", f"js_path {ROOT / 'gateway' / 'njs'};")
        path = base / "nginx.conf"
        path.write_text(conf)

        command = exec_form(final.last("CMD"))
        assert Path(command[0]).name == "nginx"
        result = _nginx_t(path, base, *command[1:], uid=uid)
        assert result.returncode == 0, result.stderr
        assert "test is successful" in result.stderr
        # nginx -t accepts temp folders that exist but that its user cannot write: try writing.
        temp_dirs = re.findall(r"^\s*\w+_temp_path (\S+);", conf, re.M)
        assert len(temp_dirs) == 5
        for temp in temp_dirs:
            probe = subprocess.run(
                ["touch", f"{temp}/probe"],
                capture_output=True,
                text=True,
                user=uid,
                group=uid,
                extra_groups=[] if uid is not None else None,
            )
            assert probe.returncode == 0, probe.stderr


def test_local_gateway_configuration_passes_nginx_t(tmp_path: Path) -> None:
    cfg = StackConfig(data_dir=tmp_path / "data")
    conf = gateway.write_local(cfg)
    result = _nginx_t(conf, conf.parent)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    # and a broken configuration fails, so the check above means something
    conf.write_text(conf.read_text().replace("worker_processes", "worker_processez", 1))
    assert _nginx_t(conf, conf.parent).returncode != 0
