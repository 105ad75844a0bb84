"""The release step: build and push the project's nine images, then write each one's digest where Kubernetes
reads it (deploy/README.md, "Images").

    make images REGISTRY=registry.example.org/dvc-haiphong [TAG=0.2.0]

Builds with ``docker buildx build --push --metadata-file`` (the file gives the pushed manifest's digest):
the seven services (services/Dockerfile) and the gateway tagged with the release, MinIO (deploy/minio) with
its source release. Then writes ``<registry>/<name>:<tag>@<digest>`` into the ``images`` entries of every
overlay (``newName``, ``newTag``, ``digest``: what ``kustomize edit set image dvc-auth=<ref>`` writes;
Kustomize's ``edit`` command is not part of kubectl, so this script edits the entries itself) and into
the MinIO Tenant's ``image`` (deploy/k8s/platform/minio.yaml). Commit the result: the repository is the
record of what runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("auth", "catalog", "submission", "notify", "payment", "reporting", "audit")
OVERLAYS = ("staging", "production")
TENANT = Path("deploy/k8s/platform/minio.yaml")
MINIO_DOCKERFILE = Path("deploy/minio/Dockerfile")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


@dataclass
class Build:
    name: str  # the repository under the registry, and dvc-<name> in the overlays
    dockerfile: Path
    context: Path
    tag: str
    args: dict[str, str] = field(default_factory=dict)


def minio_tag(root: Path) -> str:
    """The MinIO source release the Dockerfile builds (its ARG MINIO_TAG): the image's tag."""
    m = re.search(r"^ARG MINIO_TAG=(RELEASE\.\S+)$", (root / MINIO_DOCKERFILE).read_text(), re.M)
    if not m:
        raise SystemExit(f"{MINIO_DOCKERFILE}: no ARG MINIO_TAG=RELEASE.<time>")
    return m.group(1)


def builds(root: Path, tag: str) -> list[Build]:
    return [
        *(Build(s, root / "services/Dockerfile", root, tag, {"SERVICE": s}) for s in SERVICES),
        Build("gateway", root / "gateway/Dockerfile", root, tag),
        Build("minio", root / MINIO_DOCKERFILE, root / MINIO_DOCKERFILE.parent, minio_tag(root)),
    ]


def build_and_push(build: Build, registry: str, metadata: Path, docker: str, revision: str) -> str:
    """Builds and pushes one image; its digest (``sha256:...``) from buildx's metadata file."""
    ref = f"{registry}/{build.name}:{build.tag}"
    command = [docker, "buildx", "build", "--push", "--metadata-file", str(metadata)]
    command += ["-f", str(build.dockerfile), "-t", ref]
    if build.name != "minio":  # MinIO's labels name MinIO's release and commit (its Dockerfile)
        command += ["--label", f"org.opencontainers.image.version={build.tag}"]
        command += ["--label", f"org.opencontainers.image.revision={revision}"]
    for name, value in build.args.items():
        command += ["--build-arg", f"{name}={value}"]
    subprocess.run([*command, str(build.context)], check=True)
    digest = json.loads(metadata.read_text()).get("containerimage.digest", "")
    if not DIGEST.fullmatch(digest):
        raise SystemExit(f"{ref}: buildx reported no digest ({metadata})")
    return digest


def set_overlay_image(kustomization: Path, name: str, new_name: str, tag: str, digest: str) -> None:
    """Rewrites the ``images`` entry ``name`` of a kustomization.yaml, keeping the rest of the file (its
    comments included) as it is."""
    text = kustomization.read_text()
    entry = re.compile(rf"^(  - name: {re.escape(name)}\n)(?:    \S.*\n)*", re.M)
    body = f'    newName: {new_name}\n    newTag: "{tag}"\n    digest: {digest}\n'
    text, found = entry.subn(lambda m: m.group(1) + body, text)
    if found != 1:
        raise SystemExit(f"{kustomization}: {found} images entries named {name}")
    kustomization.write_text(text)
    images = {i["name"]: i for i in yaml.safe_load(text)["images"]}
    assert images[name] == {"name": name, "newName": new_name, "newTag": tag, "digest": digest}


def set_tenant_image(tenant: Path, ref: str) -> None:
    """Rewrites the Tenant's ``spec.image`` line (the file's only two-space-indented ``image:``)."""
    text, found = re.subn(r"^(  image: )\S+$", lambda m: m.group(1) + ref, tenant.read_text(), flags=re.M)
    if found != 1:
        raise SystemExit(f"{tenant}: {found} image lines")
    tenant.write_text(text)
    assert yaml.safe_load(text)["spec"]["image"] == ref


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout.strip()


def check_ready(root: Path, allow_dirty: bool) -> None:
    """Images from one commit, and the gateway's generated configuration current."""
    if not allow_dirty:
        if git(root, "status", "--porcelain"):
            raise SystemExit("uncommitted changes: the images would not be one commit's (--allow-dirty)")
    from devstack import gateway

    if (root / gateway.DOCKER_CONF).read_text() != gateway.docker(root):
        raise SystemExit(f"{gateway.DOCKER_CONF} is stale: run .venv/bin/python -m devstack.gateway")


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", required=True, help="where to push, e.g. registry.example.org/dvc")
    parser.add_argument("--tag", help="the release (default: git describe --tags --always)")
    parser.add_argument("--overlay", action="append", choices=OVERLAYS, help="default: every overlay")
    parser.add_argument("--allow-dirty", action="store_true", help="build with uncommitted changes")
    args = parser.parse_args(argv)
    registry = args.registry.rstrip("/")
    check_ready(root, args.allow_dirty)
    tag = args.tag or git(root, "describe", "--tags", "--always")
    revision = git(root, "rev-parse", "HEAD")
    docker = os.environ.get("DOCKER", "docker")  # another client with buildx's interface, or a test's

    pushed: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as d:
        for build in builds(root, tag):
            digest = build_and_push(build, registry, Path(d) / f"{build.name}.json", docker, revision)
            pushed[build.name] = f"{registry}/{build.name}:{build.tag}@{digest}"
            print(pushed[build.name], flush=True)

    for overlay in args.overlay or OVERLAYS:
        kustomization = root / "deploy/k8s/overlays" / overlay / "kustomization.yaml"
        for name in (*SERVICES, "gateway"):
            ref, _, digest = pushed[name].partition("@")
            set_overlay_image(kustomization, f"dvc-{name}", ref.rpartition(":")[0], tag, digest)
    set_tenant_image(root / TENANT, pushed["minio"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
