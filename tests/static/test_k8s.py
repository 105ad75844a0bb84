"""The Kubernetes manifests (deploy/k8s, deploy/README.md), checked without a cluster.

Every kustomization (the base, the platform, each overlay) is rendered with `kubectl kustomize` (Kustomize 5,
built into kubectl since 1.27), as `kubectl apply -k` would render it; without kubectl on PATH every test that
reads a rendering is skipped and says what to install. Built-in resources are validated against the Kubernetes
API's own schemas (kubernetes-validate, offline), custom resources (KEDA, the operators, Gateway API, Envoy
Gateway, External Secrets) against their CRDs' schemas vendored in tests/static/crds, strictly: an unknown or
misspelled field fails. Then the deployment policy: probes, resources, non-root read-only containers, no
secret values, an autoscaler and a disruption budget for every HTTP Deployment, a KEDA ScaledObject on the
real queue for every consumer, the services' settings as the cluster gives them (production profile), the
gateway's generated configuration.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import ipaddress
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils as kv_utils
import pytest
import yaml
from dockerfile_parse import DockerfileParser

from devstack.config import SERVICES
from devstack.testing import script
from dvckit.health import Health
from dvckit.health import router as health_router

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
README = ROOT / "deploy" / "README.md"


gateway_conf = script(K8S / "gateway_conf.py")
observability = script(K8S / "observability.py")

OVERLAYS = ("staging", "production")
DATA_NAMESPACE = "dvc-data"  # the stores' (deploy/k8s/platform)
TARGETS = {
    "base": K8S / "base",
    "platform": K8S / "platform",
    **{o: K8S / "overlays" / o for o in OVERLAYS},
}
APP_TARGETS = ("base", *OVERLAYS)  # what carries the application (the platform is the databases)
SERVICE_NAMES = [s.name for s in SERVICES]
SERVICE_PORT = gateway_conf.SERVICE_PORT
# The oldest Kubernetes these manifests support (the namespace's pod-security version says the same) and the
# newest kubernetes-validate knows, so that an API removed since would fail here first.
K8S_VERSIONS = ("1.33.0", kv_utils.latest_version())
# Environment variable names that hold credentials: never a literal `value`, never a ConfigMap key.
SECRET_NAME = re.compile(r"PASSWORD|PASSPHRASE|SECRET|TOKEN|CREDENTIAL|_KEY$")
# A URL with a password in it (scheme://user:password@host).
URL_WITH_PASSWORD = re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@")
DNS_1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
EXACT_VERSION = re.compile(r"(^|\D)\d+\.\d+\.\d+($|\D)|^RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$")
FIGURES = (
    "submission_dossiers_per_s_per_replica",
    "search_rps_per_replica",
    "notify_events_per_s_per_replica",
    "gateway_rps_per_worker",
    "mongo_inserts_per_s",
)

Resource = dict[str, Any]


# -- rendering -------------------------------------------------------------------------------------------


# kubectl renders: the same Kustomize as `kubectl apply -k` at rollout (deploy/README.md, "Rolling out").
KUBECTL = shutil.which("kubectl")
NO_KUBECTL = (
    "kubectl is not on PATH: the manifests are rendered with `kubectl kustomize`; install kubectl 1.27 or later "
    "(Kustomize 5), e.g. https://kubernetes.io/docs/tasks/tools/ or `apt-get install kubectl` from "
    "pkgs.k8s.io, and run the tests again"
)
# libyaml's parser where PyYAML has it (the same YAML 1.1 rules, several times faster).
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def _rendered(target: str) -> str:
    assert KUBECTL is not None
    out = subprocess.run(
        [KUBECTL, "kustomize", str(TARGETS[target])], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, f"kubectl kustomize {TARGETS[target]}: {out.stderr}"
    return json.dumps([r for r in yaml.load_all(out.stdout, Loader=LOADER) if r])


def rendered(target: str) -> list[Resource]:
    """``kubectl kustomize`` of TARGETS[target], rendered once per session; a fresh copy each call: no test can
    change what another sees. Skips the calling test, saying what to install, where kubectl is absent."""
    if KUBECTL is None:
        pytest.skip(NO_KUBECTL)
    return json.loads(_rendered(target))


def key(r: Resource) -> tuple[str, str, str]:
    return (r["kind"], r["metadata"].get("namespace", ""), r["metadata"]["name"])


def of_kind(resources: list[Resource], kind: str) -> list[Resource]:
    return [r for r in resources if r["kind"] == kind]


def named(resources: list[Resource], kind: str, name: str) -> Resource:
    found = [r for r in of_kind(resources, kind) if r["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def pod_template(d: Resource) -> Resource:
    """The Pod template of a Deployment or of a CronJob's Jobs."""
    spec = d["spec"]["jobTemplate"]["spec"] if d["kind"] == "CronJob" else d["spec"]
    return spec["template"]


def workloads(resources: list[Resource]) -> list[Resource]:
    """What makes the application's Pods: the Deployments and the CronJobs."""
    return of_kind(resources, "Deployment") + of_kind(resources, "CronJob")


def component(d: Resource) -> str:
    return pod_template(d)["metadata"]["labels"].get("app.kubernetes.io/component", "")


def app_name(d: Resource) -> str:
    return pod_template(d)["metadata"]["labels"]["app.kubernetes.io/name"]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, f"selector forms these tests do not read: {selector}"
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def selects_pods(service: Resource, d: Resource) -> bool:
    """A Service's selector (a plain map) picks the Pods of Deployment ``d``."""
    return selects({"matchLabels": service["spec"]["selector"]}, d["spec"]["template"]["metadata"]["labels"])


def cores(quantity: str | int) -> float:
    text = str(quantity)
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


def containers(d: Resource) -> list[dict[str, Any]]:
    spec = pod_template(d)["spec"]
    return spec.get("initContainers", []) + spec["containers"]


def walk_strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield str(k)
            yield from walk_strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk_strings(v)


def test_every_kustomization_renders() -> None:
    for target in TARGETS:
        resources = rendered(target)
        assert resources, target
        assert len({key(r) for r in resources}) == len(resources), target


# -- schemas ---------------------------------------------------------------------------------------------

# kubernetes-validate ships the schemas of Kubernetes' built-in APIs only; the custom resources (KEDA's, the
# operators', Gateway API's and Envoy Gateway's) are validated against their CRDs' schemas, vendored in
# tests/static/crds at the releases deploy/README.md names (below, "custom resources").
BUILTIN_API_VERSIONS = {
    "v1",
    "apps/v1",
    "autoscaling/v2",
    "batch/v1",
    "policy/v1",
    "networking.k8s.io/v1",
    "rbac.authorization.k8s.io/v1",
}


@functools.cache
def _validator(version: str, kind: str, api_version: str) -> jsonschema.Validator:
    """What kubernetes_validate.validate builds on every call (strict: unknown fields are errors), built
    once per kind and version: validating every rendering against two versions stays well under a second."""
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    schema_dir = f"v{version}-local-strict"
    schema = kv_utils.schema_contents(
        f"kubernetes-json-schema/{schema_dir}/{kind.lower()}-{group_version}.json", version
    )
    definitions = kv_utils.schema_contents(f"kubernetes-json-schema/{schema_dir}/_definitions.json", version)
    registry = kv_utils.Resource.from_contents(schema) @ kv_utils.Registry()
    registry = kv_utils.Resource.from_contents(definitions) @ registry
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def test_the_schema_shortcut_agrees_with_kubernetes_validate() -> None:
    """_validator is kubernetes_validate.validate cached: the two agree on a good and a bad resource."""
    good = named(rendered("production"), "Deployment", "auth-api")
    bad = json.loads(json.dumps(good))
    bad["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"httpGet": {"path": "/readyz"}}
    for version in K8S_VERSIONS:
        kubernetes_validate.validate(good, version, strict=True)
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(bad, version, strict=True)
        schema_version = kv_utils.major_minor(version) + ".0"
        assert not list(_validator(schema_version, "Deployment", "apps/v1").iter_errors(good))
        assert list(_validator(schema_version, "Deployment", "apps/v1").iter_errors(bad))


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("target", TARGETS)
def test_builtin_resources_match_the_kubernetes_api(target: str, version: str) -> None:
    schema_version = kv_utils.major_minor(version) + ".0"
    checked = 0
    for r in rendered(target):
        if r["apiVersion"] not in BUILTIN_API_VERSIONS:
            continue  # a custom resource: test_every_custom_resource_matches_its_vendored_schema
        errors = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
            for e in _validator(schema_version, r["kind"], r["apiVersion"]).iter_errors(r)
        ]
        assert errors == [], key(r)
        checked += 1
    assert checked


# -- custom resources ------------------------------------------------------------------------------------

# The CRDs' schemas (openAPIV3Schema) at pinned upstream releases: tests/static/crds/SOURCES.md, written by
# tests/static/crds/vendor.py.
CRDS = Path(__file__).resolve().parent / "crds"


def _crd_schema_file(api_version: str, kind: str) -> Path:
    group, _, version = api_version.rpartition("/")
    return CRDS / group / version / f"{kind}.json"


def strict_schema(node: Any, *, branch: bool = False) -> Any:
    """A CRD's structural schema (Kubernetes' OpenAPI v3 dialect) as a JSON Schema that refuses what the API
    server would drop or refuse: an object's fields are the ones it lists (`additionalProperties: false`)
    unless it says `x-kubernetes-preserve-unknown-fields` or gives `additionalProperties` itself; an object
    listing no fields takes none (the API server would prune every one silently). `nullable`,
    `x-kubernetes-int-or-string` and `x-kubernetes-embedded-resource` become their JSON Schema meaning.
    Inside `allOf`/`anyOf`/`oneOf`/`not` (value checks over the same fields, never new fields: a structural
    schema's rule) nothing is closed. Not evaluated: `x-kubernetes-validations` (CEL rules) and `format`."""
    if isinstance(node, list):
        return [strict_schema(n, branch=branch) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for k, v in node.items():
        if k in ("properties", "patternProperties"):
            out[k] = {name: strict_schema(sub, branch=branch) for name, sub in v.items()}
        elif k in ("items", "additionalProperties") and isinstance(v, dict):
            out[k] = strict_schema(v, branch=branch)
        elif k in ("allOf", "anyOf", "oneOf", "not"):
            out[k] = strict_schema(v, branch=True)
        elif k == "pattern" and "(?i)" in v:
            out[k] = "(?i)" + v.replace("(?i)", "")  # Go's RE2 takes flags anywhere, Python's re first only
        else:
            out[k] = v
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("type", None)
        out["type"] = ["integer", "string"]
    if out.get("x-kubernetes-embedded-resource"):
        out.setdefault("properties", {})
        for field, schema in (("apiVersion", {"type": "string"}), ("kind", {"type": "string"})):
            out["properties"].setdefault(field, schema)
        out["properties"].setdefault("metadata", OBJECT_META)
    if out.pop("nullable", False) and "type" in out:
        out["type"] = [*(out["type"] if isinstance(out["type"], list) else [out["type"]]), "null"]
    is_object = out.get("type") == "object" or "properties" in out
    if is_object and not branch and not out.get("x-kubernetes-preserve-unknown-fields"):
        out.setdefault("additionalProperties", False)
    return out


# A custom resource's metadata is ObjectMeta, which its CRD does not spell out: the fields these manifests
# may set.
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
OBJECT_META = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "pattern": DNS_1123.pattern},
        "namespace": {"type": "string", "pattern": DNS_1123.pattern},
        "labels": _STRING_MAP,
        "annotations": _STRING_MAP,
    },
    "additionalProperties": False,
}


@functools.cache
def crd_validator(api_version: str, kind: str) -> jsonschema.Validator:
    """Draft 4: OpenAPI 3.0's `exclusiveMinimum` is a boolean, as in Draft 4, not a number."""
    path = _crd_schema_file(api_version, kind)
    assert path.exists(), (
        f"{api_version} {kind}: no vendored schema ({path.relative_to(ROOT)}): add its CRD to "
        "tests/static/crds/vendor.py and run it (a built-in API group: add it to BUILTIN_API_VERSIONS)"
    )
    schema = json.loads(path.read_text())
    schema = strict_schema(schema)
    schema["properties"]["metadata"] = OBJECT_META
    schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata"})
    jsonschema.validators.Draft4Validator.check_schema(schema)
    return jsonschema.validators.Draft4Validator(schema)


def crd_errors(r: Resource) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
        for e in crd_validator(r["apiVersion"], r["kind"]).iter_errors(r)
    ]


def custom_resources(resources: list[Resource]) -> list[Resource]:
    return [r for r in resources if r["apiVersion"] not in BUILTIN_API_VERSIONS]


def gatewayclass() -> Resource:
    """deploy/k8s/gatewayclass.yaml: cluster-wide, applied on its own (no kustomization renders it)."""
    return yaml.safe_load((K8S / "gatewayclass.yaml").read_text())


@pytest.mark.parametrize("target", TARGETS)
def test_every_custom_resource_matches_its_vendored_schema(target: str) -> None:
    """Every custom resource a kustomization renders has its CRD's schema vendored, and matches it strictly:
    a misspelled or unknown field, a missing required one, a value outside an enum or of the wrong type
    fails here, not at the first rollout."""
    checked = 0
    for r in custom_resources(rendered(target)):
        assert crd_errors(r) == [], key(r)
        checked += 1
    assert checked
    assert crd_errors(gatewayclass()) == []


BROKEN = {
    # case: (target, kind, name, path to the object holding the field, the field misspelled)
    "misspelled field": ("base", "ScaledObject", "notify-worker", ("spec",), "minReplicasCount"),
    "misspelled nested field": ("platform", "Tenant", "dvc-minio", ("spec", "pools", 0), "volumesPerServers"),
    "misspelled policy field": (
        "base",
        "ClientTrafficPolicy",
        "dvc-edge",
        ("spec", "timeout", "http"),
        "streamIdleTimout",
    ),
    "misspelled route field": ("base", "HTTPRoute", "gateway-stream", ("spec", "rules", 0), "timeout"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_misspelled_field_is_refused(case: str) -> None:
    target, kind, name, path, misspelling = BROKEN[case]
    r = named(rendered(target), kind, name)
    assert crd_errors(r) == []
    node: Any = r
    for step in path:
        node = node[step]
    correct = next(k for k in node if _close(k, misspelling))
    node[misspelling] = node.pop(correct)
    errors = crd_errors(r)
    assert any(f"('{misspelling}' was unexpected)" in e for e in errors), errors


def _close(a: str, b: str) -> bool:
    """The field a misspelling stands for: one letter added, dropped or changed."""
    return a != b and (
        (len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1)
        or any(a[:i] + a[i + 1 :] == b or b[:i] + b[i + 1 :] == a for i in range(max(len(a), len(b))))
    )


def test_the_vendored_schemas_refuse_wrong_values() -> None:
    """Required fields, enums and types are the CRDs' too, not only field names."""
    tenant = named(rendered("platform"), "Tenant", "dvc-minio")
    del tenant["spec"]["pools"][0]["servers"]
    assert any("'servers' is a required property" in e for e in crd_errors(tenant))
    route = named(rendered("base"), "HTTPRoute", "gateway")
    route["spec"]["rules"][0]["matches"][0]["path"]["type"] = "Prefix"  # Ingress' word, not Gateway API's
    assert any("is not one of" in e for e in crd_errors(route))
    rabbit = named(rendered("platform"), "RabbitmqCluster", "dvc-rabbitmq")
    rabbit["spec"]["replicas"] = "3"
    assert any("'3' is not of type 'integer'" in e for e in crd_errors(rabbit))
    policy = named(rendered("base"), "BackendTrafficPolicy", "dvc-edge")
    policy["spec"]["timeout"]["http"]["connectionIdleTimeout"] = "1 minute"
    assert any("does not match" in e for e in crd_errors(policy))
    unknown = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    with pytest.raises(AssertionError, match="no vendored schema"):
        crd_errors(unknown)


def test_the_vendored_schemas_are_the_listed_ones() -> None:
    """Each schema file has its row in SOURCES.md (repository, tag, path, licence), each row its file."""
    sources = (CRDS / "SOURCES.md").read_text()
    rows = re.findall(
        r"^\| `([^`]+)` (\w+) \| \[([\w./-]+)\]\S* \| `([^`]+)` \| `([^`]+)` \| ([\w.-]+) \|", sources, re.M
    )
    files = {p.relative_to(CRDS) for p in CRDS.glob("*/*/*.json")}
    assert files == {Path(api_version) / f"{kind}.json" for api_version, kind, *_ in rows}
    assert all(licence for *_, licence in rows)


def _pinned(image: str) -> bool:
    """An exact version tag (for the reader and Renovate) and the digest of that build (which cannot move)."""
    ref, _, digest = image.partition("@")
    name, _, tag = ref.rpartition(":")
    exact = bool(name) and "/" not in tag and bool(EXACT_VERSION.search(tag))
    return exact and bool(re.fullmatch(r"sha256:[0-9a-f]{64}", digest))


# What no schema can say: references between resources (a ScaledObject's Deployment and TriggerAuthentication,
# a Permission's User, a route's Gateway and Service), values inside free-form maps (KEDA's trigger metadata),
# and this deployment's own rules (three replicas, pinned images). Fields, types and enums are the schemas'.


def check_scaled_object(r: Resource, everything: list[Resource]) -> None:
    spec = r["spec"]
    ref = spec["scaleTargetRef"]
    assert (ref.get("apiVersion", "apps/v1"), ref.get("kind", "Deployment")) == ("apps/v1", "Deployment")
    named(everything, "Deployment", ref["name"])
    assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
    for trigger in spec["triggers"]:
        assert trigger["type"] == "rabbitmq"
        meta = trigger["metadata"]  # map[string]string: KEDA's scaler reads these, the CRD does not
        assert meta["protocol"] in ("amqp", "http", "auto")
        assert meta["mode"] in ("QueueLength", "MessageRate")
        assert float(meta["value"]) > 0
        assert meta["queueName"]
        assert "host" not in meta and "hostFromEnv" not in meta, "the broker's URL comes from a Secret"
        named(everything, "TriggerAuthentication", trigger["authenticationRef"]["name"])


def check_trigger_authentication(r: Resource, everything: list[Resource]) -> None:
    assert {ref["parameter"] for ref in r["spec"]["secretTargetRef"]} == {"host"}


def check_mongodb(r: Resource, everything: list[Resource]) -> None:
    spec = r["spec"]
    assert spec["members"] >= 3 and spec["members"] % 2 == 1, "a majority must survive losing a member"
    assert EXACT_VERSION.search(spec["version"])
    for user in spec["users"]:
        assert user.get("db", "admin") == "admin"
        assert DNS_1123.match(user["scramCredentialsSecretName"])
        assert DNS_1123.match(user.get("connectionStringSecretName", "x"))


def check_rabbitmq_cluster(r: Resource, everything: list[Resource]) -> None:
    spec = r["spec"]
    assert spec["replicas"] == 3, "a three-node cluster: quorum queues survive one node"
    assert _pinned(spec["image"])
    assert spec["persistence"]["storage"]
    assert {"requests", "limits"} <= set(spec["resources"])


def check_rabbitmq_user(r: Resource, everything: list[Resource]) -> None:
    named(everything, "RabbitmqCluster", r["spec"]["rabbitmqClusterReference"]["name"])


def check_rabbitmq_permission(r: Resource, everything: list[Resource]) -> None:
    spec = r["spec"]
    named(everything, "RabbitmqCluster", spec["rabbitmqClusterReference"]["name"])
    assert spec["vhost"] == "/"
    named(everything, "User", spec["userReference"]["name"])
    assert set(spec["permissions"]) == {"configure", "write", "read"}


def check_minio_tenant(r: Resource, everything: list[Resource]) -> None:
    spec = r["spec"]
    assert _pinned(spec["image"])
    for pool in spec["pools"]:
        assert pool["servers"] * pool["volumesPerServer"] >= 4
        assert pool["volumeClaimTemplate"]["spec"]["resources"]["requests"]["storage"]
    assert sum(p["servers"] for p in spec["pools"]) == 4, "distributed mode on four servers"
    assert spec["users"] and spec["buckets"] and all(DNS_1123.match(b["name"]) for b in spec["buckets"])


def check_service_monitor(r: Resource, everything: list[Resource]) -> None:
    spec = r["spec"]
    services = [
        s for s in of_kind(everything, "Service") if selects(spec["selector"], s["metadata"]["labels"])
    ]
    assert len(services) == 1, f"{key(r)} selects {len(services)} Services"
    (svc,) = services
    assert spec["jobLabel"] in svc["metadata"]["labels"]
    ports = {p["name"] for p in svc["spec"]["ports"]}
    for endpoint in spec["endpoints"]:
        assert endpoint["port"] in ports and endpoint["path"] == "/metrics"


def check_prometheus_rule(r: Resource, everything: list[Resource]) -> None:
    for rule in (rule for g in r["spec"]["groups"] for rule in g["rules"]):
        assert rule["expr"] and ("alert" in rule) != ("record" in rule)


def check_secret_store(r: Resource, everything: list[Resource]) -> None:
    (provider,) = r["spec"]["provider"].values()
    auth = provider["auth"]
    account = auth.get("serviceAccount") or auth["kubernetes"]["serviceAccountRef"]
    assert named(everything, "ServiceAccount", account["name"])["automountServiceAccountToken"] is False


def check_external_secret(r: Resource, everything: list[Resource]) -> None:
    spec = r["spec"]
    assert spec["secretStoreRef"]["kind"] == "SecretStore"
    named(everything, "SecretStore", spec["secretStoreRef"]["name"])
    assert spec["target"]["name"] == r["metadata"]["name"]
    assert spec.get("data") or spec.get("dataFrom")


def check_gateway(r: Resource, everything: list[Resource]) -> None:
    assert r["spec"]["gatewayClassName"] == gatewayclass()["metadata"]["name"]
    params = r["spec"]["infrastructure"]["parametersRef"]
    assert params["group"] == "gateway.envoyproxy.io"
    named(everything, params["kind"], params["name"])


def check_http_route(r: Resource, everything: list[Resource]) -> None:
    """Attached to a listener of a Gateway of the namespace; every backend a Service port."""
    for parent in r["spec"]["parentRefs"]:
        assert "namespace" not in parent and parent.get("kind", "Gateway") == "Gateway"
        gateway = named(everything, "Gateway", parent["name"])
        assert parent["sectionName"] in [lst["name"] for lst in gateway["spec"]["listeners"]]
    for rule in r["spec"]["rules"]:
        for backend in rule.get("backendRefs", []):
            svc = named(everything, "Service", backend["name"])
            assert backend["port"] in [p["port"] for p in svc["spec"]["ports"]]


def check_traffic_policy(r: Resource, everything: list[Resource]) -> None:
    """Envoy Gateway's policies: their targets exist."""
    for ref in r["spec"]["targetRefs"]:
        assert ref["group"] == "gateway.networking.k8s.io"
        named(everything, ref["kind"], ref["name"])


CUSTOM_CHECKS = {
    ("external-secrets.io/v1", "SecretStore"): check_secret_store,
    ("external-secrets.io/v1", "ExternalSecret"): check_external_secret,
    ("monitoring.coreos.com/v1", "ServiceMonitor"): check_service_monitor,
    ("monitoring.coreos.com/v1", "PrometheusRule"): check_prometheus_rule,
    ("keda.sh/v1alpha1", "ScaledObject"): check_scaled_object,
    ("keda.sh/v1alpha1", "TriggerAuthentication"): check_trigger_authentication,
    ("mongodbcommunity.mongodb.com/v1", "MongoDBCommunity"): check_mongodb,
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): check_rabbitmq_cluster,
    ("rabbitmq.com/v1beta1", "User"): check_rabbitmq_user,
    ("rabbitmq.com/v1beta1", "Permission"): check_rabbitmq_permission,
    ("minio.min.io/v2", "Tenant"): check_minio_tenant,
    ("gateway.networking.k8s.io/v1", "Gateway"): check_gateway,
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): check_http_route,
    ("gateway.envoyproxy.io/v1alpha1", "ClientTrafficPolicy"): check_traffic_policy,
    ("gateway.envoyproxy.io/v1alpha1", "BackendTrafficPolicy"): check_traffic_policy,
    # EnvoyProxy refers to nothing: its fields are the schema's, its values test_uploads_and_streams_....
}


@pytest.mark.parametrize("target", TARGETS)
def test_custom_resources_refer_to_what_exists(target: str) -> None:
    """The checks above, for each custom resource that has one (its fields are the schema's business)."""
    everything = rendered(target)
    for r in custom_resources(everything):
        check = CUSTOM_CHECKS.get((r["apiVersion"], r["kind"]))
        if check is not None:
            check(r, everything)


def test_the_platform_is_replicated() -> None:
    platform = rendered("platform")
    assert {r["kind"] for r in platform} >= {"MongoDBCommunity", "RabbitmqCluster", "Tenant"}
    mongodbs = {f"dvc-mongodb-{name}" for name in SERVICE_NAMES}  # one replica set a service
    assert {m["metadata"]["name"] for m in of_kind(platform, "MongoDBCommunity")} == mongodbs
    assert all(named(platform, "MongoDBCommunity", m)["spec"]["members"] == 3 for m in mongodbs)
    assert named(platform, "RabbitmqCluster", "dvc-rabbitmq")["spec"]["replicas"] == 3
    assert sum(p["servers"] for p in named(platform, "Tenant", "dvc-minio")["spec"]["pools"]) == 4
    budgets = of_kind(platform, "PodDisruptionBudget")
    # The MinIO operator makes the Tenant's budget itself (tests/static/test_k8s_isolation.py).
    assert {b["metadata"]["name"] for b in budgets} == {*mongodbs, "dvc-rabbitmq"}
    assert all(b["spec"] == {**b["spec"], "maxUnavailable": 1} for b in budgets)
    # Each budget, spread constraint and the network policy select the members the operator labels
    # app: <name>-svc.
    for m in mongodbs:
        members = {"app": f"{m}-svc"}
        assert [b["metadata"]["name"] for b in budgets if selects(b["spec"]["selector"], members)] == [m]
        spec = named(platform, "MongoDBCommunity", m)["spec"]["statefulSet"]["spec"]["template"]["spec"]
        assert all(selects(c["labelSelector"], members) for c in spec["topologySpreadConstraints"])
        policy = named(platform, "NetworkPolicy", f"{m}-ingress")["spec"]["podSelector"]
        assert selects(policy, members)


def test_each_service_has_a_mongodb_of_its_own() -> None:
    """One replica set a service, as docker-compose.yml and `make up` run one server a service: its user
    may read and write its own database only, beside `ops` for people."""
    for name in SERVICE_NAMES:
        m = named(rendered("platform"), "MongoDBCommunity", f"dvc-mongodb-{name}")
        users = {u["name"]: u for u in m["spec"]["users"]}
        assert set(users) == {name, "ops"}
        assert users[name]["roles"] == [{"name": "readWrite", "db": f"dvc_{name}"}]
        assert users[name]["connectionStringSecretName"] == f"dvc-mongodb-{name}"
        assert users[name]["passwordSecretRef"] == {"name": "dvc-mongodb", "key": f"{name}-password"}


# -- the namespace ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_everything_lives_in_the_namespace_the_gateway_is_configured_for(target: str) -> None:
    """The application in `dvc`, which enforces "restricted"; the stores in `dvc-data` ("baseline")."""
    resources = rendered(target)
    namespaces = of_kind(resources, "Namespace")
    expected = DATA_NAMESPACE if target == "platform" else gateway_conf.NAMESPACE
    assert [n["metadata"]["name"] for n in namespaces] == [expected]
    labels = namespaces[0]["metadata"]["labels"]
    enforced = "baseline" if target == "platform" else "restricted"
    assert labels["pod-security.kubernetes.io/enforce"] == enforced
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
    assert labels["pod-security.kubernetes.io/enforce-version"] == "v" + kv_utils.major_minor(K8S_VERSIONS[0])
    for r in resources:
        if r["kind"] != "Namespace":
            assert r["metadata"].get("namespace") == expected, key(r)


# -- the Pods: probes, resources, security ---------------------------------------------------------------


def deployments(target: str) -> list[Resource]:
    found = of_kind(rendered(target), "Deployment")
    assert found
    return found


SERVICE_HEALTH_PATHS = {route.path for route in health_router(Health()).routes}


def gateway_locations() -> set[str]:
    return set(re.findall(r"^\s*location = (\S+) \{", gateway_conf.render(), re.M))


def assert_restricted(d: Resource) -> None:
    """A workload's Pods: no API token, no service links, non-root with the runtime's seccomp profile, every
    container with requests and limits, no privilege, a read-only root filesystem and bounded scratch space."""
    name = d["metadata"]["name"]
    pod = pod_template(d)["spec"]
    assert pod.get("automountServiceAccountToken") is False, name
    assert pod.get("enableServiceLinks") is False, name
    pod_sc = pod["securityContext"]
    assert pod_sc["runAsNonRoot"] is True and pod_sc["runAsUser"] > 0, name
    assert pod_sc["seccompProfile"] == {"type": "RuntimeDefault"}, name
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for c in containers(d):
        where = f"{name}/{c['name']}"
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(c["resources"][kind]), f"{where}: {kind}"
        sc = c["securityContext"]
        assert sc.get("runAsNonRoot", pod_sc["runAsNonRoot"]) is True, where
        assert sc.get("runAsUser", pod_sc["runAsUser"]) != 0, where
        assert sc["allowPrivilegeEscalation"] is False, where
        assert sc["readOnlyRootFilesystem"] is True, where
        assert sc["capabilities"] == {"drop": ["ALL"]}, where
        assert not sc.get("privileged"), where
        assert sc.get("seccompProfile", pod_sc["seccompProfile"]) == {"type": "RuntimeDefault"}, where
        # Written to, the root filesystem being read-only: emptyDirs only (with a size), /tmp included.
        mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
        assert "/tmp" in mounts, f"{where}: no writable /tmp"
        for path, m in mounts.items():
            volume = volumes[m["name"]]
            if "emptyDir" in volume:
                assert volume["emptyDir"].get("sizeLimit"), f"{where}: {path} unbounded"
            else:
                assert m.get("readOnly") is True and ("configMap" in volume or "secret" in volume), where


@pytest.mark.parametrize("target", APP_TARGETS)
def test_every_deployment_meets_the_pod_policy(target: str) -> None:
    for d in deployments(target):
        name = d["metadata"]["name"]
        spec = d["spec"]
        assert "replicas" not in spec, f"{name}: an autoscaler owns the count; an apply would reset it"
        assert spec["strategy"]["type"] == "RollingUpdate"
        assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] in (0, "0%"), name
        assert selects(spec["selector"], spec["template"]["metadata"]["labels"]), name
        pod = spec["template"]["spec"]
        assert_restricted(d)
        for c in pod["containers"]:
            where = f"{name}/{c['name']}"
            ports = {p["name"]: p["containerPort"] for p in c["ports"]}
            served = gateway_locations() if app_name(d) == "gateway" else SERVICE_HEALTH_PATHS
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                check = c[probe]["httpGet"]
                assert check["port"] in ports, f"{where}: {probe} port"
                assert check["path"] in served, f"{where}: {probe} {check['path']} is not served"
            if app_name(d) != "gateway":
                # Ready means its databases answer; alive means the process answers (a broker outage must
                # not restart every Pod).
                assert c["readinessProbe"]["httpGet"]["path"] == "/readyz", where
                assert c["livenessProbe"]["httpGet"]["path"] == "/healthz", where
            if component(d) == "worker":  # no Service: nothing to wait for before the consumer drains
                assert "lifecycle" not in c and pod["terminationGracePeriodSeconds"] == 30, where
                continue
            stop = c["lifecycle"]["preStop"]["sleep"]["seconds"]
            assert stop < pod.get("terminationGracePeriodSeconds", 30), where


@pytest.mark.parametrize("target", APP_TARGETS)
def test_the_audit_trail_is_verified_daily(target: str) -> None:
    """docs/operations.md, "Verify the chains": `dvc-audit verify` over the whole trail once a day, never two
    at once, in the audit image with the audit database's own user; a finding (exit 1) is not retried."""
    job = named(rendered(target), "CronJob", "audit-verify")
    spec = job["spec"]
    minute, hour, *every_day = spec["schedule"].split()
    assert every_day == ["*", "*", "*"] and minute.isdigit() and hour.isdigit(), spec["schedule"]
    assert spec["timeZone"] == "Asia/Ho_Chi_Minh" and spec["concurrencyPolicy"] == "Forbid"
    run = spec["jobTemplate"]["spec"]
    (rule,) = run["podFailurePolicy"]["rules"]
    assert rule["action"] == "FailJob" and rule["onExitCodes"]["values"] == [1]
    assert pod_template(job)["spec"]["restartPolicy"] == "Never"
    (c,) = containers(job)
    assert c["command"] == ["dvc-audit", "verify", "--json"]
    api = named(rendered(target), "Deployment", "audit-api")
    assert c["image"] == containers(api)[0]["image"]
    (url,) = [e for e in env_of(c) if e["name"] == "AUDIT_MONGO_URL"]
    assert url["valueFrom"]["secretKeyRef"] == {
        "name": "dvc-mongodb-audit",
        "key": "connectionString.standard",
    }
    assert app_name(job) == "audit"  # the audit Pods' network policies: its database, nothing else needed
    assert_restricted(job)


@pytest.mark.parametrize("target", APP_TARGETS)
def test_pods_run_as_their_image_user(target: str) -> None:
    for d in workloads(rendered(target)):
        uid = pod_template(d)["spec"]["securityContext"]["runAsUser"]
        dockerfile = ROOT / ("gateway" if app_name(d) == "gateway" else "services") / "Dockerfile"
        users = re.findall(r"^USER (\d+)", dockerfile.read_text(), re.M)
        assert users and int(users[-1]) == uid, d["metadata"]["name"]


# -- secrets ---------------------------------------------------------------------------------------------


def env_of(c: dict[str, Any]) -> list[dict[str, Any]]:
    return c.get("env", [])


@pytest.mark.parametrize("target", TARGETS)
def test_no_secret_value_is_in_the_manifests(target: str) -> None:
    resources = rendered(target)
    assert of_kind(resources, "Secret") == [], "Secrets are created outside the manifests"
    for r in resources:
        for s in walk_strings(r):
            assert not URL_WITH_PASSWORD.search(s), f"{key(r)}: a URL with a password"
    for cm in of_kind(resources, "ConfigMap"):
        for k in cm.get("data", {}):
            assert not SECRET_NAME.search(k.upper()), f"{key(cm)}: {k} belongs in a Secret"
    for d in workloads(resources):
        for c in containers(d):
            for e in env_of(c):
                if SECRET_NAME.search(e["name"]):
                    assert "value" not in e and "secretKeyRef" in e["valueFrom"], f"{key(d)}: {e['name']}"
            assert "envFrom" not in c or all("secretRef" not in f for f in c["envFrom"])


def test_the_secret_rule_would_catch_a_literal_password() -> None:
    assert SECRET_NAME.search("DVC_ADMIN_PASSWORD") and SECRET_NAME.search("DVC_S3_SECRET_KEY")
    assert SECRET_NAME.search("AUTH_KEY_PASSPHRASE") and SECRET_NAME.search("NOTIFY_SMS_TOKEN")
    assert SECRET_NAME.search("DVC_S3_ACCESS_KEY")
    assert not SECRET_NAME.search("DVC_S3_BUCKET") and not SECRET_NAME.search("AUTH_KEY_ROTATION_DAYS")
    assert URL_WITH_PASSWORD.search("amqp://dvc:hunter2@rabbitmq:5672/")
    assert not URL_WITH_PASSWORD.search("http://auth:8000/api/v1/auth/.well-known/jwks.json")


def generated_secrets(everything: list[Resource]) -> dict[str, set[str]]:
    """Secrets the operators write themselves (the MongoDB users' connection strings)."""
    out: dict[str, set[str]] = {}
    for m in of_kind(everything, "MongoDBCommunity"):
        for user in m["spec"]["users"]:
            out[user["connectionStringSecretName"]] = {
                "connectionString.standard",
                "connectionString.standardSrv",
                "username",
                "password",
            }
    return out


def referenced_secrets(everything: list[Resource]) -> dict[str, set[str]]:
    """Every Secret the manifests name, with the keys they read from it."""
    out: dict[str, set[str]] = {}

    def add(name: str, *keys: str) -> None:
        out.setdefault(name, set()).update(keys)

    for d in workloads(everything):
        for c in containers(d):
            for e in env_of(c):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    add(ref["name"], ref["key"])
        for v in pod_template(d)["spec"].get("volumes", []):
            if "secret" in v:
                add(v["secret"]["secretName"])
    for t in of_kind(everything, "TriggerAuthentication"):
        for ref in t["spec"]["secretTargetRef"]:
            add(ref["name"], ref["key"])
    for m in of_kind(everything, "MongoDBCommunity"):
        for user in m["spec"]["users"]:
            add(user["passwordSecretRef"]["name"], user["passwordSecretRef"].get("key", "password"))
    for u in of_kind(everything, "User"):
        add(u["spec"]["importCredentialsSecret"]["name"], "username", "password")
    for t in of_kind(everything, "Tenant"):
        add(t["spec"]["configuration"]["name"], "config.env")
        for user in t["spec"]["users"]:
            add(user["name"], "CONSOLE_ACCESS_KEY", "CONSOLE_SECRET_KEY")
    for g in of_kind(everything, "Gateway"):
        for listener in g["spec"]["listeners"]:
            for ref in listener.get("tls", {}).get("certificateRefs", []):
                assert ref.get("kind", "Secret") == "Secret" and "namespace" not in ref
                add(ref["name"], "tls.crt", "tls.key")
    return out


def readme_section(title: str) -> str:
    text = README.read_text()
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", text, re.M | re.S)
    assert match, f"deploy/README.md has no section '## {title}'"
    return match.group(1)


def external_secrets(resources: list[Resource]) -> dict[str, set[str] | None]:
    """The Secrets External Secrets makes, with their keys (None: every key of a vault entry)."""
    out: dict[str, set[str] | None] = {}
    for e in of_kind(resources, "ExternalSecret"):
        target = e["spec"]["target"]
        templated = target.get("template", {}).get("data")
        keys = set(templated) if templated else {d["secretKey"] for d in e["spec"].get("data", [])}
        out[target["name"]] = None if e["spec"].get("dataFrom") else keys
    return out


@pytest.mark.parametrize("target", ("production", "platform"))
def test_every_secret_is_made_by_an_operator_or_documented(target: str) -> None:
    """Every Secret a namespace's resources read is written there by an operator or by an ExternalSecret
    (with the keys read), and has its row in deploy/README.md, "Secrets"."""
    everything = rendered(target)
    generated = generated_secrets(everything)
    referenced = referenced_secrets(everything)
    made = external_secrets(everything)
    section = readme_section("Secrets")
    # The table: | `name` | `key`, `key` ... | read by |
    rows = dict(re.findall(r"^\| `([^`]+)` \| ([^|]*) \|", section, re.M))
    assert len(referenced) >= 4
    for name, keys in referenced.items():
        if name in generated:
            assert keys <= generated[name], f"{name}: the operator writes no {keys - generated[name]}"
            continue
        assert name in made, f"{name}: no ExternalSecret makes it in {target}'s namespace"
        assert made[name] is None or keys <= made[name], f"{name}: no {keys - (made[name] or set())}"
        assert name in rows, f"deploy/README.md, Secrets: no row for `{name}`"
        for k in keys:
            assert f"`{k}`" in rows[name], f"deploy/README.md, Secrets: the key {k} of {name}"


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_production_secrets_of_each_service_come_from_secrets(name: str) -> None:
    """Every setting marked dev_secret (refused at its default in production) is set from a Secret."""
    settings = settings_class(name)
    weak = {
        f.upper()
        for f, field in settings.model_fields.items()
        if isinstance(field.json_schema_extra, dict) and field.json_schema_extra.get("dev_secret")
    }
    assert weak
    for d in service_deployments("production", name):
        from_secrets = {
            e["name"].removeprefix(settings.model_config["env_prefix"]).removeprefix("DVC_")
            for c in d["spec"]["template"]["spec"]["containers"]
            for e in env_of(c)
            if "secretKeyRef" in e.get("valueFrom", {})
        }
        assert weak <= from_secrets, f"{d['metadata']['name']}: {weak - from_secrets}"


# -- autoscaling and disruption budgets ------------------------------------------------------------------


def service_deployments(target: str, service: str) -> list[Resource]:
    return [d for d in deployments(target) if app_name(d) == service]


def targets_of(resources: list[Resource], kind: str, deployment: str) -> list[Resource]:
    return [
        r
        for r in of_kind(resources, kind)
        if r["spec"]["scaleTargetRef"]["name"] == deployment
        and r["spec"]["scaleTargetRef"].get("kind", "Deployment") == "Deployment"
    ]


def budgets_of(resources: list[Resource], d: Resource) -> list[Resource]:
    labels = d["spec"]["template"]["metadata"]["labels"]
    return [p for p in of_kind(resources, "PodDisruptionBudget") if selects(p["spec"]["selector"], labels)]


@pytest.mark.parametrize("target", APP_TARGETS)
def test_every_http_deployment_has_an_autoscaler_and_a_disruption_budget(target: str) -> None:
    resources = rendered(target)
    http = [d for d in deployments(target) if component(d) in ("api", "gateway")]
    assert {app_name(d) for d in http} == {*SERVICE_NAMES, "gateway"}
    for d in http:
        name = d["metadata"]["name"]
        hpas = targets_of(resources, "HorizontalPodAutoscaler", name)
        assert len(hpas) == 1, name
        spec = hpas[0]["spec"]
        assert 1 <= spec["minReplicas"] <= spec["maxReplicas"], name
        assert spec["metrics"], name
        assert not targets_of(resources, "ScaledObject", name), f"{name}: two autoscalers"
        budgets = budgets_of(resources, d)
        assert len(budgets) == 1, name
        assert budgets[0]["spec"].get("maxUnavailable") == 1, name
        if target == "production":
            assert spec["minReplicas"] >= 2, f"{name}: one replica is not highly available"


@pytest.mark.parametrize("target", APP_TARGETS)
def test_disruption_budgets_select_one_deployment_each(target: str) -> None:
    resources = rendered(target)
    for pdb in of_kind(resources, "PodDisruptionBudget"):
        chosen = [d for d in of_kind(resources, "Deployment") if pdb in budgets_of(resources, d)]
        assert len(chosen) == 1, pdb["metadata"]["name"]


# -- consumers: workers, their queues, KEDA --------------------------------------------------------------


def settings_class(service: str) -> type:
    return importlib.import_module(f"{service}.config").Settings


def _clean_environment(mp: pytest.MonkeyPatch, settings: type) -> None:
    for k in list(os.environ):
        if k.startswith((settings.model_config["env_prefix"], settings.platform_prefix)):
            mp.delenv(k)


@pytest.fixture(scope="module")
def consumers() -> dict[str, tuple[str, list[str]]]:
    """Per service, as its create_app() wires it: (its queue's name, the routing keys it handles)."""
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        for name in SERVICE_NAMES:
            settings = settings_class(name)
            _clean_environment(mp, settings)
            app = importlib.import_module(f"{name}.main").create_app(settings())
            runtime = app.state.runtime
            out[name] = (runtime.settings.queue, [pattern for pattern, _ in runtime.consumer.handlers])
    return out


def consume_value(d: Resource) -> str | None:
    for e in env_of(d["spec"]["template"]["spec"]["containers"][0]):
        if e["name"] in ("DVC_CONSUME", app_name(d).upper() + "_CONSUME"):
            return e["value"]
    return None


class _RecordingChannel:
    """Stands in for the broker connection and channel: records what dvckit declares."""

    def __init__(self) -> None:
        self.declared: dict[str, tuple[bool, dict[str, Any]]] = {}

    async def channel(self) -> _RecordingChannel:
        return self

    async def set_qos(self, **_: Any) -> None:
        return None

    async def declare_queue(self, name: str, durable: bool = False, arguments: Any = None, **_: Any) -> Any:
        self.declared[name] = (durable, dict(arguments or {}))
        return self

    async def get_exchange(self, name: str, **_: Any) -> str:
        return name

    async def bind(self, *_: Any, **__: Any) -> None:
        return None


async def test_the_queues_keda_watches_are_quorum_queues() -> None:
    """deploy/README.md relies on it: a consuming service declares its queue, retry tiers and parking lot
    as durable quorum queues (replicated on the three RabbitMQ nodes); nothing in the broker's configuration
    has to make them so."""
    from dvckit.consumer import Consumer

    broker = _RecordingChannel()
    bus = SimpleNamespace(connection=broker, exchange="dvc.events", exchange_name="dvc.events")
    consumer = Consumer(bus=bus, client=None, db={"processed_events": None}, queue="notify.events")  # type: ignore[arg-type]
    consumer.on("dossier.submitted.v1")(lambda *_: None)  # type: ignore[arg-type,return-value]
    await consumer.declare()
    assert "notify.events" in broker.declared and "notify.events.parking" in broker.declared
    assert len(broker.declared) == 2 + len(consumer.retry_delays)
    for name, (durable, arguments) in broker.declared.items():
        assert durable and arguments.get("x-queue-type") == "quorum", name
        assert "x-expires" not in arguments, f"{name}: queues of a deployment never expire"


def test_the_services_that_consume_are_the_expected_ones(consumers: dict[str, tuple[str, list[str]]]) -> None:
    assert sorted(n for n, (_, keys) in consumers.items() if keys) == [
        "audit",
        "notify",
        "payment",
        "reporting",
        "submission",
    ]
    assert consumers["notify"][0] == "notify.events"


@pytest.mark.parametrize("target", APP_TARGETS)
def test_every_consumer_has_a_worker_scaled_on_its_queue(
    target: str, consumers: dict[str, tuple[str, list[str]]]
) -> None:
    resources = rendered(target)
    for name, (queue, keys) in consumers.items():
        by_component = {component(d): d for d in service_deployments(target, name)}
        if not keys:
            assert set(by_component) == {"api"}, f"{name} consumes nothing: no worker"
            continue
        assert set(by_component) == {"api", "worker"}, name
        api, worker = by_component["api"], by_component["worker"]
        assert consume_value(api) == "false", f"{name}-api must leave {queue} to the workers"
        assert consume_value(worker) in (None, "true"), name
        assert not targets_of(resources, "HorizontalPodAutoscaler", worker["metadata"]["name"])
        scaled = targets_of(resources, "ScaledObject", worker["metadata"]["name"])
        assert len(scaled) == 1, name
        queues = {t["metadata"]["queueName"] for t in scaled[0]["spec"]["triggers"]}
        assert queues == {queue}, f"{name}: KEDA watches {queues}, the service consumes {queue}"
        assert len(budgets_of(resources, worker)) == 1
        # KEDA reads the queue with the credentials the workers connect with (their Secret's management URL).
        amqp = {
            e["valueFrom"]["secretKeyRef"]["name"]
            for e in env_of(worker["spec"]["template"]["spec"]["containers"][0])
            if e["name"] == "DVC_AMQP_URL"
        }
        for t in scaled[0]["spec"]["triggers"]:
            auth = named(resources, "TriggerAuthentication", t["authenticationRef"]["name"])
            host = [r["name"] for r in auth["spec"]["secretTargetRef"] if r["parameter"] == "host"]
            assert set(host) == amqp
    scaled_targets = {s["spec"]["scaleTargetRef"]["name"] for s in of_kind(resources, "ScaledObject")}
    assert scaled_targets == {f"{n}-worker" for n, (_, keys) in consumers.items() if keys}


# -- the services' settings as the cluster gives them ---------------------------------------------------


def image_env(service: str) -> dict[str, str]:
    """The runtime ENV of a service's image (the services' one Dockerfile: the same for each)."""
    with (ROOT / "services" / "Dockerfile").open("rb") as f:
        return dict(DockerfileParser(fileobj=f, build_args={"SERVICE": service}).envs)


def pod_environment(d: Resource, resources: list[Resource]) -> tuple[dict[str, str], set[str]]:
    """The service container's environment (image ENV, then envFrom, then env); Secrets as stand-ins.
    Also the names the manifests set."""
    c = d["spec"]["template"]["spec"]["containers"][0]
    env = {k: v for k, v in image_env(app_name(d)).items() if k != "PATH"}
    manifest_names: set[str] = set()
    for source in c.get("envFrom", []):
        data = named(resources, "ConfigMap", source["configMapRef"]["name"]).get("data", {})
        env.update(data)
        manifest_names |= set(data)
    for e in env_of(c):
        manifest_names.add(e["name"])
        if "value" in e:
            env[e["name"]] = e["value"]
        elif "secretKeyRef" in e["valueFrom"]:
            ref = e["valueFrom"]["secretKeyRef"]
            if not ref.get("optional"):
                env[e["name"]] = f"from-secret-{ref['name']}-{ref['key']}"
        else:
            env[e["name"]] = f"{d['metadata']['name']}-7d9c5-x2x4q"  # a Pod's name
    return env, manifest_names


def service_url(url: str, resources: list[Resource]) -> Resource:
    """The Service a URL names (by short name or <name>.<namespace>.svc...), checked to serve its port."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    name, _, rest = host.partition(".")
    assert rest in ("", gateway_conf.NAMESPACE, f"{gateway_conf.NAMESPACE}.svc.{gateway_conf.CLUSTER_DOMAIN}")
    svc = named(resources, "Service", name)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    assert port in [p["port"] for p in svc["spec"]["ports"]], url
    return svc


@pytest.mark.parametrize("name", SERVICE_NAMES)
@pytest.mark.parametrize("target", OVERLAYS)
def test_service_settings_in_the_cluster(
    target: str, name: str, consumers: dict[str, tuple[str, list[str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each Deployment's environment, as Kubernetes assembles it, makes a service that starts in the
    production profile (which refuses development secrets), listens where the probes and Service look,
    and finds its database user, broker, object store and the other services where the manifests put them."""
    resources = rendered(target) + rendered("platform")
    settings_cls = settings_class(name)
    read = {settings_cls.model_config["env_prefix"] + f.upper() for f in settings_cls.model_fields} | {
        settings_cls.platform_prefix + f.upper() for f in settings_cls.model_fields
    }
    # The service's own replica set (one a service): its users, by the Secret of their connection string.
    mongo_users = {
        u["connectionStringSecretName"]: u
        for u in named(resources, "MongoDBCommunity", f"dvc-mongodb-{name}")["spec"]["users"]
    }
    for d in service_deployments(target, name):
        where = d["metadata"]["name"]
        env, manifest_names = pod_environment(d, resources)
        assert manifest_names - read == set(), f"{where}: names {name}'s settings do not read"
        _clean_environment(monkeypatch, settings_cls)
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        s = settings_cls()  # raises if a development secret is left in production
        assert s.env == "production"
        c = d["spec"]["template"]["spec"]["containers"][0]
        assert s.host == "0.0.0.0" and s.port == {p["name"]: p["containerPort"] for p in c["ports"]}["http"]
        assert s.port == SERVICE_PORT
        assert s.consume is (component(d) == "worker" or not consumers[name][1]), where
        assert s.queue_prefix == "" and s.queue_expires_ms is None
        # The database user whose connection string this is may read and write this service's database.
        prefix = settings_cls.model_config["env_prefix"]
        assert "DVC_MONGO_URL" not in {e["name"] for e in env_of(c)}, "each service its own URL"
        mongo_ref = next(e for e in env_of(c) if e["name"] == f"{prefix}MONGO_URL")["valueFrom"][
            "secretKeyRef"
        ]
        assert mongo_ref["key"] == "connectionString.standard"
        user = mongo_users[mongo_ref["name"]]
        assert {"name": "readWrite", "db": s.mongo_db} in user["roles"], where
        # Tokens: auth's JWKS through its Service.
        jwks = service_url(s.jwks_url, resources)
        assert jwks["metadata"]["name"] == "auth" and urlsplit(s.jwks_url).path.startswith("/api/v1/auth/")
        if name == "submission":
            for url in (s.catalog_url, s.auth_url):
                service_url(url, resources)
            tenant = named(resources, "Tenant", "dvc-minio")["spec"]
            s3 = urlsplit(s.s3_endpoint)
            # The operator's S3 Service `minio`, in the stores' namespace, answers on 80 without TLS, 443 with it.
            assert (s3.hostname, s3.port) == (
                f"minio.{DATA_NAMESPACE}.svc.{gateway_conf.CLUSTER_DOMAIN}",
                None,
            )
            assert s3.scheme == ("https" if tenant["requestAutoCert"] else "http")
            assert s.s3_bucket in [b["name"] for b in tenant["buckets"]]
            users = {u["name"] for u in tenant["users"]}
            refs = {
                e["valueFrom"]["secretKeyRef"]["name"] for e in env_of(c) if e["name"].startswith("DVC_S3_")
            }
            assert refs and refs <= users
        if name == "notify":
            (host,) = named(resources, "HTTPRoute", "gateway")["spec"]["hostnames"]
            assert s.portal_url == f"https://{host}"


# -- the gateway -----------------------------------------------------------------------------------------


def test_the_gateway_configmap_is_current() -> None:
    for path, text in gateway_conf.outputs().items():
        assert path.read_text() == text, f"{path.relative_to(ROOT)} is stale: run deploy/k8s/gateway_conf.py"


@pytest.mark.parametrize("target", APP_TARGETS)
def test_the_gateway_runs_the_kubernetes_configuration(target: str) -> None:
    resources = rendered(target)
    conf = named(resources, "ConfigMap", gateway_conf.CONFIGMAP_NAME)["data"]["nginx.conf"]
    assert conf == gateway_conf.render()
    gw = named(resources, "Deployment", "gateway")
    template = gw["spec"]["template"]
    assert template["metadata"]["annotations"][gateway_conf.CHECKSUM_ANNOTATION] == gateway_conf.checksum(
        conf
    )
    pod = template["spec"]
    (c,) = pod["containers"]
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    conf_mount = mounts["/etc/nginx/nginx.conf"]
    assert conf_mount["subPath"] == "nginx.conf"
    assert volumes[conf_mount["name"]]["configMap"]["name"] == gateway_conf.CONFIGMAP_NAME

    # Kubernetes' DNS, not Docker's; every upstream a headless Service of the namespace, selecting the
    # service's HTTP Pods (not its workers), on the port they listen on.
    assert re.search(rf"^\s*resolver {re.escape(gateway_conf.RESOLVER)} valid=\d+s", conf, re.M)
    assert "127.0.0.11" not in conf
    servers = re.findall(r"^\s*server (\S+):(\d+) .*\bresolve;$", conf, re.M)
    assert sorted(h.split(".")[0] for h, _ in servers) == sorted(SERVICE_NAMES)
    for host, port in servers:
        svc_name, ns, rest = host.split(".", 2)
        assert (ns, rest) == (gateway_conf.NAMESPACE, f"svc.{gateway_conf.CLUSTER_DOMAIN}")
        svc = named(resources, "Service", svc_name)
        assert svc["spec"]["clusterIP"] == "None", f"{svc_name}: nginx must see every Pod"
        assert int(port) in [p["port"] for p in svc["spec"]["ports"]]
        chosen = [d for d in deployments(target) if selects_pods(svc, d)]
        assert [component(d) for d in chosen] == ["api"], svc_name
        assert svc["spec"]["ports"][0]["targetPort"] in [
            p["name"] for p in chosen[0]["spec"]["template"]["spec"]["containers"][0]["ports"]
        ]

    # Where nginx writes: below emptyDirs. It makes the last level of its temporary folders itself, not
    # the edge's key folder, which must be a mount of its own.
    writable = {p for p, m in mounts.items() if "emptyDir" in volumes[m["name"]]}
    temp = re.findall(r"^\s*(?:\w+_temp_path|proxy_cache_path) (\S+)", conf, re.M)
    assert len(temp) == 6
    for path in temp:
        assert str(Path(path).parent) in writable, path
    (pid,) = re.findall(r"^pid (\S+);", conf, re.M)
    assert str(Path(pid).parent) in writable
    (keys,) = re.findall(r"set \$edge_keys_file (\S+);", conf)
    assert str(Path(keys).parent) in writable

    assert re.search(rf"^\s*listen {c['ports'][0]['containerPort']};", conf, re.M)
    workers = int(re.search(r"^worker_processes (\d+);", conf, re.M).group(1))
    assert workers <= cores(c["resources"]["limits"]["cpu"]), "more nginx workers than the CPU limit's cores"


def test_the_gateway_trusts_forwarded_addresses_only_from_private_ranges() -> None:
    conf = gateway_conf.render()
    trusted = re.findall(r"^\s*set_real_ip_from (\S+);", conf, re.M)
    assert trusted == list(gateway_conf.TRUSTED_PROXIES)
    assert all(ipaddress.ip_network(t).is_private for t in trusted)
    assert "real_ip_header X-Forwarded-For;" in conf


def test_the_gateway_configuration_passes_nginx_t() -> None:
    """``nginx -t`` of the ConfigMap's configuration with this machine's nginx. What differs from the Pod,
    and only that: names nginx would resolve while reading the file (the resolver and the upstreams) become
    127.0.0.1, without `resolve` (newer than Debian's nginx here; the image has 1.28); /tmp, /dev/stdout and
    /dev/stderr are a folder and files of the test; the edge's script is the repository's."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("no nginx on this machine (tests/static/test_containers.py needs it too)")
    conf = gateway_conf.render()
    with tempfile.TemporaryDirectory() as d:
        base = Path(d)
        tmp = base / "tmp"
        (tmp / "edge").mkdir(parents=True)
        conf = conf.replace(f"resolver {gateway_conf.RESOLVER} ", "resolver 127.0.0.1 ")
        conf, n = re.subn(
            r"^(\s*server )\S+\.svc\.\S+?:(\d+)(.*) resolve;$", r"\g<1>127.0.0.1:\2\3;", conf, flags=re.M
        )
        assert n == len(SERVICE_NAMES)
        conf = re.sub(r"(?<=\s)/tmp(?=[/;])", str(tmp), conf)
        for stream in ("stdout", "stderr"):
            (base / stream).touch()
            conf = conf.replace(f" /dev/{stream}", f" {base / stream}")
        conf = conf.replace("js_path /etc/nginx/njs;", f"js_path {ROOT / 'gateway' / 'njs'};")
        (base / "nginx.conf").write_text(conf)
        result = subprocess.run(
            [nginx, "-t", "-p", str(base), "-c", str(base / "nginx.conf")],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert "test is successful" in result.stderr


def _seconds(duration: str) -> float:
    """A Gateway API / Envoy Gateway duration (1h, 3660s, 500ms, 1m30s) in seconds."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"(\d+)(ms|h|m|s)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, duration
    return sum(int(n) * units[u] for n, u in parts)


def _quantity(q: str) -> int:
    number, suffix = re.fullmatch(r"(\d+)(Ki|Mi|Gi|k|M|G)?", q).groups()
    scale = {None: 1, "k": 10**3, "M": 10**6, "G": 10**9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}[suffix]
    return int(number) * scale


@pytest.mark.parametrize("target", APP_TARGETS)
def test_the_edge_reaches_the_gateway(target: str) -> None:
    """Gateway API on Envoy Gateway: HTTPS with the certificate dvc-tls, plain HTTP only redirected to it,
    every path to the gateway Service, the live notification stream held at least as long as notify holds
    it, one hostname."""
    resources = rendered(target)
    gw = named(resources, "Deployment", "gateway")
    svc = named(resources, "Service", "gateway")
    assert selects_pods(svc, gw)
    port_names = [p["name"] for p in gw["spec"]["template"]["spec"]["containers"][0]["ports"]]
    assert svc["spec"]["ports"][0]["targetPort"] in port_names

    (gateway,) = of_kind(resources, "Gateway")
    listeners = {lst["name"]: lst for lst in gateway["spec"]["listeners"]}
    assert set(listeners) == {"https", "http"}
    https, http = listeners["https"], listeners["http"]
    assert (https["protocol"], https["port"], http["protocol"], http["port"]) == ("HTTPS", 443, "HTTP", 80)
    assert https["tls"]["mode"] == "Terminate"
    assert [r["name"] for r in https["tls"]["certificateRefs"]] == ["dvc-tls"]
    assert gatewayclass()["spec"]["controllerName"] == "gateway.envoyproxy.io/gatewayclass-controller"

    routes = {r["metadata"]["name"]: r for r in of_kind(resources, "HTTPRoute")}
    assert set(routes) == {"gateway", "gateway-stream", "gateway-redirect"}
    hosts = {h for r in routes.values() for h in r["spec"]["hostnames"]}
    assert len(hosts) == 1
    if target != "base":
        assert not hosts.pop().endswith(".invalid"), "the overlay sets its hostname"
    for name, route in routes.items():
        (parent,) = route["spec"]["parentRefs"]
        assert parent["name"] == gateway["metadata"]["name"]
        assert parent["sectionName"] == ("http" if name == "gateway-redirect" else "https"), name
        for rule in route["spec"]["rules"]:
            for backend in rule.get("backendRefs", []):
                assert (backend["name"], backend["port"]) == ("gateway", svc["spec"]["ports"][0]["port"])
    # Plain HTTP: a redirect to HTTPS, nothing served.
    (redirect,) = routes["gateway-redirect"]["spec"]["rules"]
    assert "backendRefs" not in redirect
    assert redirect["filters"] == [
        {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}
    ]
    # Everything to the gateway; the stream on its own route, held past notify's own limit.
    (everything,) = routes["gateway"]["spec"]["rules"]
    assert everything["matches"] == [{"path": {"type": "PathPrefix", "value": "/"}}]
    notify = next(s for s in SERVICES if s.name == "notify")
    (stream,) = routes["gateway-stream"]["spec"]["rules"]
    assert stream["matches"] == [{"path": {"type": "Exact", "value": f"{notify.prefix}/stream"}}]
    assert _seconds(stream["timeouts"]["request"]) >= _seconds(notify.read_timeout)
    assert _seconds(everything["timeouts"]["request"]) <= _seconds(stream["timeouts"]["request"])


@pytest.mark.parametrize("target", APP_TARGETS)
def test_uploads_and_streams_pass_the_edge_unbuffered(target: str) -> None:
    """Envoy Gateway's policies on the Gateway: a 210 MB upload streams through (no request buffering,
    a bounded per-connection window, an hour to arrive); no stream is cut by an idle timeout shorter than
    notify's heartbeat allows; TLS 1.2 or later; Envoy drops idle connections to the gateway before nginx
    does."""
    resources = rendered(target)
    (gateway,) = of_kind(resources, "Gateway")
    target_ref = {
        "group": "gateway.networking.k8s.io",
        "kind": "Gateway",
        "name": gateway["metadata"]["name"],
    }
    (client,) = of_kind(resources, "ClientTrafficPolicy")
    (backend,) = of_kind(resources, "BackendTrafficPolicy")
    assert client["spec"]["targetRefs"] == [target_ref] and backend["spec"]["targetRefs"] == [target_ref]
    # requestBuffer is Envoy Gateway's only body-size limit and holds each whole request in memory.
    assert "requestBuffer" not in backend["spec"]
    for policy in (client, backend):
        assert _quantity(policy["spec"]["connection"]["bufferLimit"]) <= 2**20
    upload = 210 * 10**6
    timeouts = client["spec"]["timeout"]["http"]
    assert upload / _seconds(timeouts["requestReceivedTimeout"]) <= 60_000, "a 210 MB upload at 60 kB/s"
    heartbeat = importlib.import_module("notify.service.streams").HEARTBEAT_SECONDS
    assert _seconds(timeouts["streamIdleTimeout"]) >= 10 * heartbeat
    assert client["spec"]["tls"]["minVersion"] in ("1.2", "1.3")
    # Never a single Envoy: at least two, and a drain takes one at a time.
    params = gateway["spec"]["infrastructure"]["parametersRef"]
    envoy = named(resources, params["kind"], params["name"])["spec"]["provider"]["kubernetes"]
    assert envoy["envoyHpa"]["minReplicas"] >= 2 and envoy["envoyPDB"] == {"maxUnavailable": 1}
    keepalive = re.search(r"^\s*keepalive_timeout (\d+)s;", gateway_conf.render(), re.M)
    assert _seconds(backend["spec"]["timeout"]["http"]["connectionIdleTimeout"]) < int(keepalive.group(1))


def test_no_ingress_nginx_remains() -> None:
    """ingress-nginx is retired (March 2026): no Ingress and none of its annotations in any rendering."""
    for target in TARGETS:
        for r in rendered(target):
            assert r["kind"] != "Ingress", key(r)
            assert not any("nginx.ingress.kubernetes.io" in s for s in walk_strings(r)), key(r)
    for path in K8S.rglob("*.yaml"):
        assert "nginx.ingress.kubernetes.io" not in path.read_text(), path


def test_overlays_differ_in_hostname() -> None:
    hosts = {o: named(rendered(o), "HTTPRoute", "gateway")["spec"]["hostnames"][0] for o in OVERLAYS}
    assert len(set(hosts.values())) == len(OVERLAYS)


# -- network policies -----------------------------------------------------------------------------------


@pytest.mark.parametrize("target", APP_TARGETS)
def test_network_policies_admit_the_ports_the_pods_listen_on(target: str) -> None:
    resources = rendered(target)
    policies = {p["metadata"]["name"]: p for p in of_kind(resources, "NetworkPolicy")}
    assert policies["default-deny-ingress"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    gw = named(resources, "Deployment", "gateway")
    gw_port = gw["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"]
    (edge,) = policies["gateway-ingress"]["spec"]["ingress"]
    assert [p["port"] for p in edge["ports"]] == [gw_port]
    # Only Envoy Gateway's proxies (its namespace) reach the gateway: nginx believes their X-Forwarded-For.
    assert edge["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "envoy-gateway-system"}}}
    ]
    services = policies["services-ingress"]["spec"]
    (expr,) = services["podSelector"]["matchExpressions"]
    assert sorted(expr["values"]) == sorted(SERVICE_NAMES)
    assert [p["port"] for p in services["ingress"][0]["ports"]] == [SERVICE_PORT]


# -- images ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", OVERLAYS)
def test_overlays_pin_every_image_to_one_release(target: str) -> None:
    base_images = {c["image"] for d in deployments("base") for c in containers(d)}
    images = {c["image"] for d in deployments(target) for c in containers(d)}
    assert not images & base_images, "an image the overlay does not rewrite"
    assert all(_pinned(i) for i in images), images
    tags = {i.partition("@")[0].rpartition(":")[2] for i in images}
    assert len(tags) == 1, "one tag for every image of a release"
    assert len(images) == len(SERVICE_NAMES) + 1


# -- deploy/README.md -----------------------------------------------------------------------------------


def test_the_capacity_plan_uses_the_measured_figures() -> None:
    """Each per-replica rate in the plan's table is the one its benchmark wrote (rounded as shown), so a
    new measurement that changes it cannot go unnoticed by the plan."""
    capacity = readme_section("Capacity")
    assert "<<FIGURE" not in capacity
    rows = {
        m.group(1): (float(m.group(2).replace(",", "")), m.group(3))
        for m in re.finditer(r"^\| (\w+) \| ([\d,.]+) \| (.*) \|$", capacity, flags=re.M)
    }
    assert set(FIGURES) <= set(rows), set(FIGURES) - set(rows)
    results = ROOT / "bench" / "results"
    for name, (value, source) in rows.items():
        cited = re.match(r"`(\w+\.json)` → `([\w.]+)`", source)
        if cited is None:
            continue  # not from a committed benchmark (the stand-in's trial figure)
        figure: Any = json.loads((results / cited.group(1)).read_text())
        for key in cited.group(2).split("."):
            figure = figure[key]
        per_worker = 2 if name == "gateway_rps_per_worker" else 1  # the benchmark's gateway has two
        assert abs(value - figure / per_worker) <= max(0.05 * value, 0.05), (name, value, figure)


# -- monitoring ------------------------------------------------------------------------------------------


def test_the_monitoring_resources_are_current() -> None:
    for path, text in observability.outputs().items():
        assert path.exists() and path.read_text() == text, (
            f"{path.relative_to(ROOT)} is stale: run deploy/k8s/observability.py"
        )


@pytest.mark.parametrize("target", APP_TARGETS)
def test_every_pod_of_every_service_is_scraped(target: str) -> None:
    """A ServiceMonitor a service, through a Service whose selector takes every Deployment of the service
    (the API's and the worker's) on the port its containers call http; the monitoring namespace may reach it;
    the alert rules are in the deployment as they are in deploy/observability."""
    resources = rendered(target)
    monitors = {m["metadata"]["name"]: m for m in of_kind(resources, "ServiceMonitor")}
    assert set(monitors) == set(SERVICE_NAMES)
    for name, monitor in monitors.items():
        (svc,) = [
            s
            for s in of_kind(resources, "Service")
            if selects(monitor["spec"]["selector"], s["metadata"]["labels"])
        ]
        pods = [d for d in of_kind(resources, "Deployment") if selects_pods(svc, d)]
        assert {app_name(d) for d in pods} == {name}
        assert {d["metadata"]["name"] for d in pods} == {
            d["metadata"]["name"] for d in of_kind(resources, "Deployment") if app_name(d) == name
        }
        for d in pods:
            assert any(p.get("name") == "http" for c in containers(d) for p in c.get("ports", []))
        (endpoint,) = monitor["spec"]["endpoints"]
        assert {"action": "replace", "targetLabel": "system", "replacement": "dvc-haiphong"} in endpoint[
            "relabelings"
        ]
    policy = named(resources, "NetworkPolicy", "services-ingress")
    assert any(
        f.get("namespaceSelector", {}).get("matchLabels") == {"kubernetes.io/metadata.name": "monitoring"}
        for rule in policy["spec"]["ingress"]
        for f in rule["from"]
    )
    rule = named(resources, "PrometheusRule", observability.RULE_NAME)
    assert rule["spec"]["groups"] == yaml.safe_load(observability.ALERTS.read_text())["groups"]
    dashboards = [
        c for c in of_kind(resources, "ConfigMap") if c["metadata"]["labels"].get("grafana_dashboard")
    ]
    assert sorted(k for c in dashboards for k in c["data"]) == sorted(
        p.name for p in observability.GRAFANA.glob("*.json")
    )
