"""Vendor the custom resources' schemas: the ``openAPIV3Schema`` of each CRD these manifests use, from the
upstream CRD file at a pinned release, as compact JSON (``<group>/<version>/<Kind>.json``) and SOURCES.md.

tests/static/test_k8s.py validates every rendered custom resource against these strictly (unknown fields
refused); a kind the manifests render without a schema here fails there. To bump an operator: change its
tag below, run ``.venv/bin/python tests/static/crds/vendor.py`` (it reads raw.githubusercontent.com, or local
clones with ``--mirror DIR``: DIR/<owner>+<name>/repo, a git directory), and fix what the tests then refuse.

Only ``description`` texts are dropped (they make most of the files' size and validate nothing); everything
else is the upstream schema as the API server would hold it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent


# (repository, release tag, licence, CRD file in the repository, {kind: version vendored}).
SOURCES: list[tuple[str, str, str, str, dict[str, str]]] = [
    (
        "kedacore/keda",
        "v2.20.2",
        "Apache-2.0",
        "config/crd/bases/keda.sh_scaledobjects.yaml",
        {"ScaledObject": "v1alpha1"},
    ),
    (
        "kedacore/keda",
        "v2.20.2",
        "Apache-2.0",
        "config/crd/bases/keda.sh_triggerauthentications.yaml",
        {"TriggerAuthentication": "v1alpha1"},
    ),
    (
        "mongodb/mongodb-kubernetes",
        "1.10.0",
        "Apache-2.0",
        "config/crd/bases/mongodbcommunity.mongodb.com_mongodbcommunity.yaml",
        {"MongoDBCommunity": "v1"},
    ),
    (
        "rabbitmq/cluster-operator",
        "v2.22.3",
        "MPL-2.0",
        "config/crd/bases/rabbitmq.com_rabbitmqclusters.yaml",
        {"RabbitmqCluster": "v1beta1"},
    ),
    (
        "rabbitmq/messaging-topology-operator",
        "v1.20.1",
        "MPL-2.0",
        "config/crd/bases/rabbitmq.com_users.yaml",
        {"User": "v1beta1"},
    ),
    (
        "rabbitmq/messaging-topology-operator",
        "v1.20.1",
        "MPL-2.0",
        "config/crd/bases/rabbitmq.com_permissions.yaml",
        {"Permission": "v1beta1"},
    ),
    (
        "minio/operator",
        "v7.1.1",
        "AGPL-3.0",
        "resources/base/crds/minio.min.io_tenants.yaml",
        {"Tenant": "v2"},
    ),
    (
        "prometheus-operator/prometheus-operator",
        "v0.93.0",
        "Apache-2.0",
        "example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml",
        {"ServiceMonitor": "v1"},
    ),
    (
        "prometheus-operator/prometheus-operator",
        "v0.93.0",
        "Apache-2.0",
        "example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml",
        {"PrometheusRule": "v1"},
    ),
    # The standard channel: a field only the experimental channel has is refused.
    (
        "kubernetes-sigs/gateway-api",
        "v1.6.1",
        "Apache-2.0",
        "config/crd/standard/gateway.networking.k8s.io_gatewayclasses.yaml",
        {"GatewayClass": "v1"},
    ),
    (
        "kubernetes-sigs/gateway-api",
        "v1.6.1",
        "Apache-2.0",
        "config/crd/standard/gateway.networking.k8s.io_gateways.yaml",
        {"Gateway": "v1"},
    ),
    (
        "kubernetes-sigs/gateway-api",
        "v1.6.1",
        "Apache-2.0",
        "config/crd/standard/gateway.networking.k8s.io_httproutes.yaml",
        {"HTTPRoute": "v1"},
    ),
    (
        "envoyproxy/gateway",
        "v1.9.0",
        "Apache-2.0",
        "charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_clienttrafficpolicies.yaml",
        {"ClientTrafficPolicy": "v1alpha1"},
    ),
    (
        "envoyproxy/gateway",
        "v1.9.0",
        "Apache-2.0",
        "charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_backendtrafficpolicies.yaml",
        {"BackendTrafficPolicy": "v1alpha1"},
    ),
    (
        "envoyproxy/gateway",
        "v1.9.0",
        "Apache-2.0",
        "charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_envoyproxies.yaml",
        {"EnvoyProxy": "v1alpha1"},
    ),
    (
        "external-secrets/external-secrets",
        "v2.9.0",
        "Apache-2.0",
        "config/crds/bases/external-secrets.io_externalsecrets.yaml",
        {"ExternalSecret": "v1"},
    ),
    (
        "external-secrets/external-secrets",
        "v2.9.0",
        "Apache-2.0",
        "config/crds/bases/external-secrets.io_secretstores.yaml",
        {"SecretStore": "v1"},
    ),
    (
        "external-secrets/external-secrets",
        "v2.9.0",
        "Apache-2.0",
        "config/crds/bases/external-secrets.io_clustersecretstores.yaml",
        {"ClusterSecretStore": "v1"},
    ),
]


def fetch(repo: str, tag: str, path: str, mirror: Path | None) -> bytes:
    if mirror is not None:
        git_dir = mirror / repo.replace("/", "+") / "repo"
        return subprocess.run(
            ["git", "-C", str(git_dir), "show", f"{tag}:{path}"], capture_output=True, check=True
        ).stdout
    with urllib.request.urlopen(f"https://raw.githubusercontent.com/{repo}/{tag}/{path}", timeout=60) as r:
        return r.read()


def without_descriptions(schema: Any) -> Any:
    """The schema without its ``description`` keywords; a property that happens to be called description
    (a key of ``properties``) stays."""
    if isinstance(schema, list):
        return [without_descriptions(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for k, v in schema.items():
        if k == "description" and isinstance(v, str):
            continue
        if k in ("properties", "patternProperties", "definitions"):
            out[k] = {name: without_descriptions(s) for name, s in v.items()}
        else:
            out[k] = without_descriptions(v)
    return out


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, help="local git directories instead of GitHub")
    args = parser.parse_args(argv)
    rows = []
    written = set()
    for repo, tag, licence, path, kinds in SOURCES:
        raw = fetch(repo, tag, path, args.mirror)
        crds = [d for d in yaml.safe_load_all(raw) if d and d.get("kind") == "CustomResourceDefinition"]
        for crd in crds:
            kind = crd["spec"]["names"]["kind"]
            if kind not in kinds:
                continue
            version = next(v for v in crd["spec"]["versions"] if v["name"] == kinds[kind])
            assert version["served"], f"{kind}/{kinds[kind]} is not served by {repo} {tag}"
            group = crd["spec"]["group"]
            schema = without_descriptions(version["schema"]["openAPIV3Schema"])
            out = HERE / group / kinds[kind] / f"{kind}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(schema, sort_keys=True, separators=(",", ":")) + "\n")
            written.add(out)
            sha = hashlib.sha256(raw).hexdigest()
            rows.append(
                f"| `{group}/{kinds[kind]}` {kind} | [{repo}](https://github.com/{repo}) | `{tag}` | `{path}` "
                f"| {licence} | `{sha[:16]}` |"
            )
        missing = set(kinds) - {c["spec"]["names"]["kind"] for c in crds}
        assert not missing, f"{repo} {tag} {path}: no CRD for {missing}"
    for stale in set(HERE.glob("*/*/*.json")) - written:
        stale.unlink()
    (HERE / "SOURCES.md").write_text(
        "# Vendored CRD schemas\n\n"
        "The `openAPIV3Schema` of each custom resource kind the manifests in `deploy/k8s` use, from the upstream\n"
        'CRD file at the release the deployment is written against (deploy/README.md, "Operators"), without\n'
        "its `description` texts. Written by `tests/static/crds/vendor.py` (the pins are there); do not edit\n"
        "by hand. `tests/static/test_k8s.py` validates every rendered custom resource against them, strictly.\n"
        "The schemas are the upstream projects' work under their licences (below); sha256 is of the upstream\n"
        "file.\n\n"
        "| kind | repository | tag | path | licence | sha256 (first 16) |\n"
        "|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
