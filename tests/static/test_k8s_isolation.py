"""Isolation, disruption budgets, secrets and scaling of the Kubernetes manifests, evaluated without a cluster.

The NetworkPolicies of the application's namespace (`dvc`) and the stores' (`dvc-data`) are evaluated as a
network plugin would: a connection is allowed when the source's egress policies and the destination's ingress
policies both admit it. The stores' Pods and their labels are modelled from what each operator documents (the
operators make them, so no manifest here has them), as are the disruption budgets an operator makes itself.
The rendering helpers are tests/static/test_k8s.py's.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from devstack.testing import script
from dvckit.settings import ServiceSettings

# The module pytest collected, so that both share its rendering cache.
k8s = script(Path(__file__).with_name("test_k8s.py"))
rendered, named, of_kind, TARGETS = k8s.rendered, k8s.named, k8s.of_kind, k8s.TARGETS
SERVICE_NAMES: list[str] = k8s.SERVICE_NAMES
APP_TARGETS = tuple(t for t in TARGETS if t != "platform")
APP_NAMESPACE = "dvc"
DATA_NAMESPACE = "dvc-data"
Resource = dict[str, Any]


# -- a model of the cluster's Pods ---------------------------------------------------------------------


@dataclass
class Pod:
    name: str
    namespace: str
    labels: dict[str, str]
    ports: dict[str, int] = field(default_factory=dict)  # named container ports (for policies naming them)
    ip: str = "10.0.0.1"  # Pod addresses are private (the Web Push rule relies on it)
    job: bool = False  # a CronJob's Pod (runs to completion), not a replica


@dataclass
class Address:
    """A destination outside the cluster."""

    ip: str


Endpoint = Pod | Address

# The Pods of other namespaces the policies name, with the labels their charts give them.
KUBE_DNS = Pod("coredns", "kube-system", {"k8s-app": "kube-dns"}, {"dns": 53})
KEDA = Pod("keda-operator", "keda", {"app": "keda-operator"})
PROMETHEUS = Pod("prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"})
TOPOLOGY_OPERATOR = Pod("messaging-topology-operator", "rabbitmq-system", {"app.kubernetes.io/name": "x"})
MINIO_OPERATOR = Pod("minio-operator", "minio-operator", {"app.kubernetes.io/name": "operator"})
STRANGER = Pod("someone-else", "default", {"app.kubernetes.io/name": "anything"})  # a namespace no rule names


def app_pods(resources: list[Resource]) -> list[Pod]:
    """One Pod per Deployment and per CronJob, with its template's labels."""
    out = []
    for i, d in enumerate(k8s.workloads(resources)):
        template = k8s.pod_template(d)
        ports = {
            p["name"]: p["containerPort"] for c in template["spec"]["containers"] for p in c.get("ports", [])
        }
        ns, job = d["metadata"]["namespace"], d["kind"] == "CronJob"
        out.append(
            Pod(d["metadata"]["name"], ns, template["metadata"]["labels"], ports, f"10.1.0.{i + 1}", job)
        )
    return out


def store_pods(platform: list[Resource]) -> list[Pod]:
    """The Pods the operators make for the stores, labelled as they document:
    - MongoDB (Community Operator, MCK): the members of <name> carry `app: <name>-svc`;
    - RabbitMQ Cluster Operator: `app.kubernetes.io/name: <name>`, `app.kubernetes.io/component: rabbitmq`;
    - MinIO Operator: `v1.min.io/tenant: <tenant>`, `v1.min.io/pool: <pool>` (pkg/apis/minio.min.io/v2)."""
    out = []
    for m in of_kind(platform, "MongoDBCommunity"):
        name = m["metadata"]["name"]
        for n in range(m["spec"]["members"]):
            out.append(Pod(f"{name}-{n}", DATA_NAMESPACE, {"app": f"{name}-svc"}, {"mongodb": 27017}))
    for r in of_kind(platform, "RabbitmqCluster"):
        name = r["metadata"]["name"]
        labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/component": "rabbitmq"}
        ports = {"amqp": 5672, "management": 15672, "prometheus": 15692, "epmd": 4369, "cluster-rpc": 25672}
        out += [
            Pod(f"{name}-server-{n}", DATA_NAMESPACE, labels, ports) for n in range(r["spec"]["replicas"])
        ]
    for t in of_kind(platform, "Tenant"):
        name = t["metadata"]["name"]
        for pool in t["spec"]["pools"]:
            labels = {"v1.min.io/tenant": name, "v1.min.io/pool": pool["name"]}
            out += [
                Pod(f"{name}-{pool['name']}-{n}", DATA_NAMESPACE, labels, {"http-minio": 9000})
                for n in range(pool["servers"])
            ]
    for i, p in enumerate(out):
        p.ip = f"10.2.0.{i + 1}"
    return out


def mongo_members(pods: list[Pod], service: str) -> list[Pod]:
    return [p for p in pods if p.labels.get("app") == f"dvc-mongodb-{service}-svc"]


def rabbitmq_nodes(pods: list[Pod]) -> list[Pod]:
    return [p for p in pods if p.labels.get("app.kubernetes.io/component") == "rabbitmq"]


def minio_servers(pods: list[Pod]) -> list[Pod]:
    return [p for p in pods if "v1.min.io/tenant" in p.labels]


# -- NetworkPolicy semantics ---------------------------------------------------------------------------


def selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels", "matchExpressions"}, selector
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


def namespace_labels(namespace: str) -> dict[str, str]:
    return {"kubernetes.io/metadata.name": namespace}


def peer_matches(peer: dict[str, Any], policy_namespace: str, other: Endpoint) -> bool:
    assert set(peer) <= {"podSelector", "namespaceSelector", "ipBlock"}, peer
    ip = ipaddress.ip_address(other.ip)
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        network = ipaddress.ip_network(block["cidr"])
        if ip.version != network.version or ip not in network:
            return False
        return not any(ip in ipaddress.ip_network(e) for e in block.get("except", []))
    if isinstance(other, Address):
        return False  # pod and namespace selectors name Pods only
    if "namespaceSelector" in peer:
        if not selector_matches(peer["namespaceSelector"], namespace_labels(other.namespace)):
            return False
    elif other.namespace != policy_namespace:
        return False
    return selector_matches(peer.get("podSelector", {}), other.labels)


def port_matches(ports: list[dict[str, Any]] | None, port: int, protocol: str, dst: Endpoint) -> bool:
    if not ports:
        return True
    for p in ports:
        if p.get("protocol", "TCP") != protocol:
            continue
        if "port" not in p:
            return True
        wanted = p["port"]
        if isinstance(wanted, str):
            named_port = dst.ports.get(wanted) if isinstance(dst, Pod) else None
            if named_port == port:
                return True
        elif wanted <= port <= p.get("endPort", wanted):
            return True
    return False


def policy_types(policy: Resource) -> list[str]:
    spec = policy["spec"]
    return spec.get("policyTypes") or (["Ingress"] + (["Egress"] if "egress" in spec else []))


def applying(policies: list[Resource], pod: Pod, direction: str) -> list[Resource]:
    return [
        p
        for p in policies
        if p["metadata"]["namespace"] == pod.namespace
        and direction in policy_types(p)
        and selector_matches(p["spec"]["podSelector"], pod.labels)
    ]


def admits(
    policies: list[Resource], direction: str, src: Pod, dst: Endpoint, port: int, protocol: str
) -> bool:
    """Whether the policies on one end let the connection through: its source's ``Egress`` policies, or its
    destination's ``Ingress`` ones (no policy selecting that end lets everything through)."""
    end, peer, peers = (src, dst, "to") if direction == "Egress" else (dst, src, "from")
    selecting = applying(policies, end, direction)
    if not selecting:
        return True
    return any(
        (
            peers not in rule
            or any(peer_matches(p, policy["metadata"]["namespace"], peer) for p in rule[peers])
        )
        and port_matches(rule.get("ports"), port, protocol, dst)
        for policy in selecting
        for rule in policy["spec"].get(direction.lower(), [])
    )


def reaches(policies: list[Resource], src: Pod, dst: Endpoint, port: int, protocol: str = "TCP") -> bool:
    if not admits(policies, "Egress", src, dst, port, protocol):
        return False
    return isinstance(dst, Address) or admits(policies, "Ingress", src, dst, port, protocol)


@dataclass
class Cluster:
    resources: list[Resource]
    policies: list[Resource]
    apps: list[Pod]
    stores: list[Pod]

    def app(self, service: str) -> Pod:
        """The service's HTTP Pod (its API's; the gateway's only one)."""
        pods = self.of_service(service)
        (pod,) = (
            pods if len(pods) == 1 else [p for p in pods if p.labels["app.kubernetes.io/component"] == "api"]
        )
        return pod

    def of_service(self, service: str) -> list[Pod]:
        return [p for p in self.apps if p.labels["app.kubernetes.io/name"] == service]

    def reaches(self, src: Pod, dst: Endpoint, port: int, protocol: str = "TCP") -> bool:
        return reaches(self.policies, src, dst, port, protocol)


def cluster(target: str) -> Cluster:
    resources = rendered(target) + rendered("platform")
    policies = of_kind(resources, "NetworkPolicy")
    return Cluster(resources, policies, app_pods(rendered(target)), store_pods(rendered("platform")))


def service_pods(c: Cluster) -> list[Pod]:
    """The services' replicas (their CronJobs' Pods aside)."""
    return [p for p in c.apps if p.labels["app.kubernetes.io/name"] in SERVICE_NAMES and not p.job]


def pod_environment(c: Cluster, pod: Pod) -> dict[str, str]:
    """What the Pod's container sees: its ConfigMaps (envFrom), then env (Secrets as their names)."""
    d = named(c.resources, "CronJob" if pod.job else "Deployment", pod.name)
    (container,) = k8s.pod_template(d)["spec"]["containers"][:1]
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(named(c.resources, "ConfigMap", source["configMapRef"]["name"]).get("data", {}))
    for e in container.get("env", []):
        env[e["name"]] = e.get("value") or str(e.get("valueFrom"))
    return env


# -- the namespaces ------------------------------------------------------------------------------------


def test_the_stores_live_in_their_own_namespace() -> None:
    platform = rendered("platform")
    store_kinds = {"MongoDBCommunity", "RabbitmqCluster", "User", "Permission", "Tenant"}
    stores = [r for r in platform if r["kind"] in store_kinds]
    assert {r["kind"] for r in stores} == store_kinds
    assert {r["metadata"]["namespace"] for r in platform if r["kind"] != "Namespace"} == {DATA_NAMESPACE}
    for target in APP_TARGETS:
        resources = rendered(target)
        assert not [r for r in resources if r["kind"] in store_kinds], target
        (ns,) = of_kind(resources, "Namespace")
        assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    (ns,) = of_kind(platform, "Namespace")
    assert ns["metadata"]["name"] == DATA_NAMESPACE
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"


@pytest.mark.parametrize("target", APP_TARGETS)
def test_the_services_name_the_stores_in_their_namespace(target: str) -> None:
    """The S3 endpoint and the composed AMQP URL name the operators' Services in dvc-data; the MongoDB
    connection strings are the operator's own (its hosts are in its namespace)."""
    c = cluster(target)
    suffix = f".{DATA_NAMESPACE}.svc.cluster.local"
    for pod in service_pods(c):
        env = pod_environment(c, pod)
        if "DVC_S3_ENDPOINT" in env:
            host = urlsplit(env["DVC_S3_ENDPOINT"]).hostname or ""
            assert host == "minio" + suffix, pod.name
    template = named(rendered(target), "ExternalSecret", "dvc-rabbitmq")["spec"]["target"]["template"]["data"]
    (cluster_name,) = [r["metadata"]["name"] for r in of_kind(c.resources, "RabbitmqCluster")]
    for key, port in (("url", 5672), ("management-url", 15672)):
        parts = urlsplit(template[key].replace("{{ .username }}", "u").replace("{{ .password }}", "p"))
        assert (parts.hostname, parts.port) == (cluster_name + suffix, port), key


# -- network policies ----------------------------------------------------------------------------------


@pytest.mark.parametrize("target", APP_TARGETS)
def test_each_mongodb_admits_only_the_service_that_owns_it(target: str) -> None:
    """e.g. catalog's Pods cannot reach dvc-mongodb-submission; submission's API and worker reach theirs."""
    c = cluster(target)
    for pod in c.apps:
        owner = pod.labels["app.kubernetes.io/name"]
        for service in SERVICE_NAMES:
            for member in mongo_members(c.stores, service):
                assert c.reaches(pod, member, 27017) is (owner == service), (pod.name, member.name)
    catalog = c.app("catalog")
    assert not any(c.reaches(catalog, m, 27017) for m in mongo_members(c.stores, "submission"))


@pytest.mark.parametrize("target", APP_TARGETS)
def test_the_gateway_cannot_reach_any_store(target: str) -> None:
    """Nor can a Pod of a namespace no policy names."""
    c = cluster(target)
    gateway = c.app("gateway")
    for store in c.stores:
        for port in {*store.ports.values(), 80, 443}:
            assert not c.reaches(gateway, store, port), (store.name, port)
            assert not c.reaches(STRANGER, store, port), (store.name, port)
    for service in SERVICE_NAMES:  # but every service's API, which it proxies to
        assert c.reaches(gateway, c.app(service), k8s.SERVICE_PORT), service


@pytest.mark.parametrize("target", APP_TARGETS)
def test_minio_admits_only_the_services_with_an_s3_client(target: str) -> None:
    c = cluster(target)
    users = {p.name for p in c.apps if "DVC_S3_ENDPOINT" in pod_environment(c, p)}
    assert users == {"submission-api", "submission-worker"}
    for pod in c.apps:
        for server in minio_servers(c.stores):
            assert c.reaches(pod, server, 9000) is (pod.name in users), (pod.name, server.name)


@pytest.mark.parametrize("target", APP_TARGETS)
def test_rabbitmq_admits_the_services_that_publish_or_consume(target: str) -> None:
    c = cluster(target)
    clients = {p.name for p in c.apps if "DVC_AMQP_URL" in pod_environment(c, p)}
    assert clients == {p.name for p in service_pods(c)}
    for pod in c.apps:
        for node in rabbitmq_nodes(c.stores):
            assert c.reaches(pod, node, 5672) is (pod.name in clients), (pod.name, node.name)
            assert not c.reaches(pod, node, 15672), "the management API is KEDA's and the operator's"


@pytest.mark.parametrize("target", APP_TARGETS)
def test_operators_keda_and_monitoring_reach_what_they_need(target: str) -> None:
    c = cluster(target)
    nodes, servers = rabbitmq_nodes(c.stores), minio_servers(c.stores)
    assert all(c.reaches(KEDA, n, 15672) and not c.reaches(KEDA, n, 5672) for n in nodes)
    assert all(c.reaches(TOPOLOGY_OPERATOR, n, 15672) for n in nodes)
    assert all(c.reaches(PROMETHEUS, n, 15692) for n in nodes)
    assert all(c.reaches(MINIO_OPERATOR, s, 9000) for s in servers)
    assert not any(c.reaches(KEDA, m, 27017) for m in mongo_members(c.stores, "auth"))
    # Each store's members reach each other, and not another store's.
    for service in SERVICE_NAMES:
        first, *others = mongo_members(c.stores, service)
        assert all(c.reaches(first, o, 27017) for o in others)
        stranger = mongo_members(c.stores, "audit" if service != "audit" else "auth")[0]
        assert not c.reaches(stranger, first, 27017)
    assert all(c.reaches(nodes[0], n, 25672) for n in nodes[1:])
    assert all(c.reaches(servers[0], s, 9000) for s in servers[1:])
    assert all(c.reaches(PROMETHEUS, p, k8s.SERVICE_PORT) for p in service_pods(c))


@pytest.mark.parametrize("target", APP_TARGETS)
def test_every_pod_resolves_names(target: str) -> None:
    c = cluster(target)
    for pod in c.apps:
        assert c.reaches(pod, KUBE_DNS, 53, "UDP") and c.reaches(pod, KUBE_DNS, 53, "TCP"), pod.name
        assert not c.reaches(pod, Pod("x", "kube-system", {"k8s-app": "other"}), 53, "UDP"), pod.name


def configured_calls(c: Cluster, pod: Pod) -> set[str]:
    """The Services of the namespace a Pod's settings name (DVC_JWKS_URL, *_URL of its ConfigMaps)."""
    services = {s["metadata"]["name"] for s in of_kind(c.resources, "Service")}
    out = set()
    for value in pod_environment(c, pod).values():
        match = re.match(r"^https?://([a-z0-9-]+)(?::\d+)?(/|$)", value)
        if match and match.group(1) in services:
            out.add(match.group(1))
    return out


@pytest.mark.parametrize("target", APP_TARGETS)
def test_services_reach_exactly_the_services_their_settings_name(target: str) -> None:
    """Every service reaches auth (its JWKS and revocation list) and what its *_URL settings name
    (submission -> catalog, reporting -> catalog, auth -> submission, notify, payment, audit), and no other."""
    c = cluster(target)
    calls = {p.name: configured_calls(c, p) for p in service_pods(c)}
    assert calls["submission-api"] == {"auth", "catalog"}
    assert calls["auth-api"] == {"auth", "submission", "notify", "payment", "audit"}
    for pod in service_pods(c):
        for callee in SERVICE_NAMES:
            allowed = c.reaches(pod, c.app(callee), k8s.SERVICE_PORT)
            expected = callee in calls[pod.name] and callee != pod.labels["app.kubernetes.io/name"]
            assert allowed is expected, (pod.name, callee)
    # Nobody sends requests to a worker: no Service selects it, no policy admits it (Prometheus aside).
    workers = [p for p in c.apps if p.labels.get("app.kubernetes.io/component") == "worker"]
    assert workers and not any(c.reaches(src, w, k8s.SERVICE_PORT) for src in c.apps for w in workers)


PUBLIC = Address("8.8.8.8")


@pytest.mark.parametrize("target", APP_TARGETS)
def test_the_daily_verification_reaches_the_audit_database_and_nothing_else(target: str) -> None:
    c = cluster(target)
    (verify,) = [p for p in c.apps if p.job and p.labels["app.kubernetes.io/name"] == "audit"]
    for store in c.stores:
        wanted = store in mongo_members(c.stores, "audit")
        assert all(c.reaches(verify, store, port) is wanted for port in store.ports.values()), store.name
    assert not any(c.reaches(verify, c.app(name), k8s.SERVICE_PORT) for name in SERVICE_NAMES)
    assert not c.reaches(verify, PUBLIC, 443)
    assert not any(c.reaches(src, verify, 8000) for src in c.apps)  # it listens on nothing


@pytest.mark.parametrize("target", APP_TARGETS)
def test_egress_to_the_internet_is_denied_but_for_notify_web_push(target: str) -> None:
    """e.g. egress to 8.8.8.8:443 is denied for auth. notify's Web Push goes to the browsers' push services:
    HTTPS to public addresses, never a private or link-local one (the cloud's metadata service included)."""
    c = cluster(target)
    assert not c.reaches(c.app("auth"), PUBLIC, 443)
    for pod in c.apps:
        is_notify = pod.labels["app.kubernetes.io/name"] == "notify"
        assert c.reaches(pod, PUBLIC, 443) is is_notify, pod.name
        assert not c.reaches(pod, Address("2001:4860:4860::8888"), 443) or is_notify, pod.name
        for port in (25, 80, 8080, 27017):
            assert not c.reaches(pod, PUBLIC, port), (pod.name, port)
        for private in ("10.3.0.7", "172.16.5.5", "192.168.1.1", "169.254.169.254", "100.64.0.1", "fd00::1"):
            assert not c.reaches(pod, Address(private), 443), (pod.name, private)


# RFC 5737: addresses that route nowhere, the placeholders until the city's providers are known.
DOCUMENTATION_RANGES = [
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
]


def external_blocks(c: Cluster, service: str) -> list[tuple[str, int]]:
    """(cidr, port) of the ipBlocks other than "the public internet" a service's egress names."""
    out = []
    for policy in applying(c.policies, c.app(service), "Egress"):
        for rule in policy["spec"].get("egress", []):
            for peer in rule.get("to", []):
                cidr = peer.get("ipBlock", {}).get("cidr")
                if cidr and ipaddress.ip_network(cidr).prefixlen > 0:
                    out += [(cidr, p["port"]) for p in rule["ports"]]
    return out


@pytest.mark.parametrize("target", APP_TARGETS)
def test_the_providers_are_reached_by_their_service_only(target: str) -> None:
    """SMTP (notify), the payment provider (payment) and the identity provider (auth): each an ipBlock the
    overlay sets (placeholders from the documentation ranges until then), on its port, for its service."""
    c = cluster(target)
    blocks = {s: external_blocks(c, s) for s in SERVICE_NAMES}
    assert {s for s, b in blocks.items() if b} == {"notify", "payment", "auth"}
    assert [p for _, p in blocks["notify"]] == [587] and [p for _, p in blocks["payment"]] == [443]
    assert [p for _, p in blocks["auth"]] == [443]
    readme = k8s.readme_section("Before the first rollout")
    # One rule each, so that an overlay replaces the address at /spec/egress/0/to/0/ipBlock/cidr (README).
    for name in ("notify-mail-egress", "payment-provider-egress", "auth-vneid-egress"):
        (rule,) = named(c.policies, "NetworkPolicy", name)["spec"]["egress"]
        assert [set(peer) for peer in rule["to"]] == [{"ipBlock"}], name
        assert f"`{name}`" in readme, name
    for service, found in blocks.items():
        for cidr, port in found:
            network = ipaddress.ip_network(cidr)
            address = Address(str(network[1] if network.num_addresses > 1 else network[0]))
            for pod in c.apps:
                owner = pod.labels["app.kubernetes.io/name"] == service
                web_push = (
                    pod.labels["app.kubernetes.io/name"] == "notify" and port == 443
                )  # any public address
                assert c.reaches(pod, address, port) is (owner or web_push), (pod.name, cidr)
            if any(ipaddress.ip_network(cidr).subnet_of(d) for d in DOCUMENTATION_RANGES):
                assert f"`{cidr}`" in readme, f"deploy/README.md, Before the first rollout: {cidr}"


# -- disruption budgets --------------------------------------------------------------------------------


def operator_budgets(platform: list[Resource]) -> list[Resource]:
    """The PodDisruptionBudgets the operators make themselves, as their code documents it:
    - the MinIO Operator, one per pool of a Tenant: `<tenant>-<pool>`, minAvailable servers/2+1, selecting
      v1.min.io/tenant and v1.min.io/pool (minio/operator, pkg/controller/pdb.go, CreateOrUpdatePDB);
    - the RabbitMQ Cluster Operator: none (a budget is an example in its docs to write yourself; issue #512
      to make one was closed unimplemented);
    - the MongoDB Community Operator and MCK: none for a MongoDBCommunity (issue #954, closed unimplemented).
    """
    out = []
    for t in of_kind(platform, "Tenant"):
        tenant = t["metadata"]["name"]
        for pool in t["spec"]["pools"]:
            out.append(
                {
                    "apiVersion": "policy/v1",
                    "kind": "PodDisruptionBudget",
                    "metadata": {"name": f"{tenant}-{pool['name']}", "namespace": t["metadata"]["namespace"]},
                    "spec": {
                        "minAvailable": pool["servers"] // 2 + 1,
                        "selector": {
                            "matchLabels": {"v1.min.io/tenant": tenant, "v1.min.io/pool": pool["name"]}
                        },
                    },
                }
            )
    return out


def budgets_by_pod(budgets: list[Resource], pods: list[Pod]) -> dict[str, list[str]]:
    return {
        pod.name: [
            b["metadata"]["name"]
            for b in budgets
            if b["metadata"]["namespace"] == pod.namespace
            and selector_matches(b["spec"]["selector"], pod.labels)
        ]
        for pod in pods
    }


def budget_overlaps(budgets: list[Resource], pods: list[Pod]) -> dict[str, list[str]]:
    """Pods that two budgets select: the eviction API refuses to evict them, and node drains hang."""
    return {pod: names for pod, names in budgets_by_pod(budgets, pods).items() if len(names) > 1}


@pytest.mark.parametrize("target", APP_TARGETS)
def test_one_disruption_budget_per_set_of_pods(target: str) -> None:
    platform = rendered("platform")
    pods = app_pods(rendered(target)) + store_pods(platform)
    budgets = (
        of_kind(rendered(target), "PodDisruptionBudget")
        + of_kind(platform, "PodDisruptionBudget")
        + operator_budgets(platform)
    )
    assert budget_overlaps(budgets, pods) == {}
    # A CronJob's Pod is not a set of replicas to keep up: one evicted by a drain is run again by its Job.
    jobs = {p.name for p in pods if p.job}
    unbudgeted = [
        pod for pod, names in budgets_by_pod(budgets, pods).items() if not names and pod not in jobs
    ]
    assert unbudgeted == [], "a node drain could take every replica at once"


OLD_MINIO_BUDGET = {
    "apiVersion": "policy/v1",
    "kind": "PodDisruptionBudget",
    "metadata": {"name": "dvc-minio", "namespace": DATA_NAMESPACE},
    "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"v1.min.io/tenant": "dvc-minio"}}},
}


def test_the_budget_check_catches_a_second_budget_over_the_tenant() -> None:
    """The budget platform/disruption-budgets.yaml had over the Tenant's Pods, beside the operator's."""
    platform = rendered("platform")
    budgets = of_kind(platform, "PodDisruptionBudget") + operator_budgets(platform) + [OLD_MINIO_BUDGET]
    overlaps = budget_overlaps(budgets, store_pods(platform))
    assert overlaps and all(names == ["dvc-minio-pool-0", "dvc-minio"] for names in overlaps.values())
    assert set(overlaps) == {p.name for p in minio_servers(store_pods(platform))}


# -- secrets -------------------------------------------------------------------------------------------


def external_secrets(resources: list[Resource]) -> list[Resource]:
    return of_kind(resources, "ExternalSecret")


@pytest.mark.parametrize("target", APP_TARGETS)
def test_the_rabbitmq_password_is_stored_once(target: str) -> None:
    """One vault entry holds the user's name and password; the URLs are composed by the template."""
    everything = rendered(target) + rendered("platform")
    refs = [
        (e["metadata"]["namespace"], d["remoteRef"]["key"], d["remoteRef"]["property"])
        for e in external_secrets(everything)
        for d in e["spec"].get("data", [])
    ]
    assert not [r for r in refs if "url" in r[2].lower()], "a URL with the password is stored"
    rabbit = {(ns, prop) for ns, key, prop in refs if key == "rabbitmq"}
    assert rabbit == {(ns, p) for ns in (APP_NAMESPACE, DATA_NAMESPACE) for p in ("username", "password")}
    app = named(rendered(target), "ExternalSecret", "dvc-rabbitmq")["spec"]["target"]["template"]["data"]
    assert set(app) == {"url", "management-url"}
    assert all("{{ .username }}:{{ .password }}@" in v for v in app.values())
    user = named(rendered("platform"), "User", "dvc")["spec"]
    assert user["importCredentialsSecret"]["name"] == "dvc-rabbitmq"
    assert "management" in user["tags"], "KEDA reads queue figures through the management API as this user"


@pytest.mark.parametrize("target", APP_TARGETS)
def test_the_connection_strings_reach_dvc_through_a_kubernetes_store(target: str) -> None:
    resources, platform = rendered(target), rendered("platform")
    read = {
        e["valueFrom"]["secretKeyRef"]["name"]
        for d in of_kind(resources, "Deployment")
        for c in d["spec"]["template"]["spec"]["containers"]
        for e in c.get("env", [])
        if e["name"].endswith("_MONGO_URL")
    }
    assert read == {f"dvc-mongodb-{s}" for s in SERVICE_NAMES}
    (role,) = of_kind(platform, "Role")
    (binding,) = of_kind(platform, "RoleBinding")
    secrets_rule = next(r for r in role["rules"] if r["resources"] == ["secrets"])
    assert secrets_rule["verbs"] == ["get"] and set(secrets_rule["resourceNames"]) == read
    for name in read:
        e = named(resources, "ExternalSecret", name)["spec"]
        store = named(resources, "SecretStore", e["secretStoreRef"]["name"])["spec"]["provider"]["kubernetes"]
        assert store["remoteNamespace"] == DATA_NAMESPACE
        assert e["data"] == [
            {
                "secretKey": "connectionString.standard",
                "remoteRef": {"key": name, "property": "connectionString.standard"},
            }
        ]
        account = store["auth"]["serviceAccount"]["name"]
        assert binding["roleRef"]["name"] == role["metadata"]["name"]
        assert {"kind": "ServiceAccount", "name": account, "namespace": APP_NAMESPACE} in binding["subjects"]


# -- scaling -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", APP_TARGETS)
def test_keda_counts_unacknowledged_messages(target: str) -> None:
    """Over AMQP KEDA sees ready messages only; the management API's figure adds the unacknowledged ones,
    so busy workers are not scaled in, provided a replica's target is at most what one worker holds."""
    resources = rendered(target)
    templates = {
        e["spec"]["target"]["name"]: e["spec"]["target"].get("template", {}).get("data", {})
        for e in external_secrets(resources)
    }
    platform = named(resources, "ConfigMap", "dvc-platform")["data"]
    prefetch = int(platform.get("DVC_PREFETCH", ServiceSettings.model_fields["prefetch"].default))
    triggers = [t for s in of_kind(resources, "ScaledObject") for t in s["spec"]["triggers"]]
    assert triggers
    for t in triggers:
        meta = t["metadata"]
        assert (meta["protocol"], meta["mode"]) == ("http", "QueueLength")
        assert meta.get("excludeUnacknowledged", "false") == "false"
        # A busy worker holds up to a prefetch window unacknowledged: a target above it would scale in
        # workers that are all busy.
        assert float(meta["value"]) <= prefetch, meta
        auth = named(resources, "TriggerAuthentication", t["authenticationRef"]["name"])
        for ref in auth["spec"]["secretTargetRef"]:
            url = urlsplit(templates[ref["name"]][ref["key"]])
            assert (url.scheme, url.port) == ("http", 15672), "the management API"


@pytest.mark.parametrize("target", APP_TARGETS)
def test_autoscalers_scale_in_slowly(target: str) -> None:
    resources = rendered(target)
    behaviours = [h["spec"].get("behavior", {}) for h in of_kind(resources, "HorizontalPodAutoscaler")] + [
        s["spec"].get("advanced", {}).get("horizontalPodAutoscalerConfig", {}).get("behavior", {})
        for s in of_kind(resources, "ScaledObject")
    ]
    assert len(behaviours) == len(SERVICE_NAMES) + 1 + 5
    for b in behaviours:
        assert b.get("scaleDown", {}).get("stabilizationWindowSeconds", 0) >= 300, b
