"""The alert rules and the dashboards (deploy/observability), checked offline.

- ``promtool check rules`` on the rule file where ``promtool`` is on PATH (Debian's package
  ``prometheus``), and ``promtool test rules`` on its unit tests (``alerts_test.yaml``);
- everywhere, without promtool: the rule file's shape, every expression parsed by a PromQL parser
  (``promql-parser``, pinned in the workspace's dev group), every duration, every template;
- every metric an alert or a dashboard reads is one the services export (their prometheus_client
  registry, once every service's app module is imported) or Prometheus's own (``up``, ``ALERTS``), and
  is listed in docs/operations.md "Metrics";
- every alert has a runbook: its ``runbook_url`` names a section of docs/operations.md that exists, in
  "Alerts and runbooks", and each such section says what the alert means, what to check, what to do;
- the dashboards' JSON files are what deploy/observability/dashboards.py writes, and their queries parse.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml
from prometheus_client import REGISTRY

from devstack.config import SERVICES
from devstack.testing import script

ROOT = Path(__file__).resolve().parents[2]
OBS = ROOT / "deploy" / "observability"
ALERTS = OBS / "prometheus" / "alerts.yaml"
ALERT_TESTS = OBS / "prometheus" / "alerts_test.yaml"
GRAFANA = OBS / "grafana"
OPERATIONS = ROOT / "docs" / "operations.md"
# Series Prometheus makes itself, not the services.
PROMETHEUS_OWN = {"up", "ALERTS", "ALERTS_FOR_STATE", "scrape_duration_seconds"}
SEVERITIES = {"critical", "warning", "info"}
# Grafana's variables, as a query is sent once they are filled in.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", '"$job"': '".*"', "${datasource}": "x"}


dashboards = script(OBS / "dashboards.py")


@cache
def rules() -> list[dict[str, Any]]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]


@cache
def exported() -> frozenset[str]:
    """Every series name the services' code can export: each service's app module imported (which defines
    its metrics), then the names each metric family of the registry gives its samples."""
    for s in SERVICES:
        importlib.import_module(f"{s.name}.main")
    names: set[str] = set()
    for family in REGISTRY.collect():
        suffixes = {
            "counter": ("_total",),
            "histogram": ("_bucket", "_sum", "_count"),
            "summary": ("_sum", "_count", ""),
        }.get(family.type, ("",))
        names.update(family.name + suffix for suffix in suffixes)
    return frozenset(names)


def selectors(expr: str) -> list[str]:
    """The metric names an expression reads (raises ValueError when it does not parse)."""
    found: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            found.append(node.name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


@cache
def operations_sections() -> dict[str, tuple[str, str]]:
    """docs/operations.md's headings by their anchor (as GitHub makes them): (the top-level section they
    are in, their text up to the next heading)."""
    out: dict[str, tuple[str, str]] = {}
    top = ""
    lines = OPERATIONS.read_text().splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(#{1,6}) (.+)$", line)
        if not m:
            continue
        title = m.group(2).strip()
        if len(m.group(1)) == 2:
            top = title
        body = []
        for following in lines[i + 1 :]:
            if re.match(r"^#{1,6} ", following):
                break
            body.append(following)
        out[anchor(title)] = (top, "\n".join(body))
    return out


def anchor(title: str) -> str:
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def metrics_section() -> str:
    text = OPERATIONS.read_text()
    return text.split("\n## Metrics\n", 1)[1].split("\n## ", 1)[0]


# -- the rule file -----------------------------------------------------------------------------------------


# Prometheus's own checker and the alerts' unit tests (alerts_test.yaml) run with `make alerts-check`, where
# promtool is installed (Debian: apt-get install prometheus); the tests below need nothing but Python.


def test_the_rule_file_has_the_shape_prometheus_reads() -> None:
    doc = yaml.safe_load(ALERTS.read_text())
    assert set(doc) == {"groups"}
    names = [g["name"] for g in doc["groups"]]
    assert len(names) == len(set(names))
    alerts = [r["alert"] for r in rules()]
    assert len(alerts) == len(set(alerts)), "alert names are unique"
    for group in doc["groups"]:
        assert set(group) <= {"name", "interval", "rules"} and group["rules"]
    for rule in rules():
        assert set(rule) <= {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"}, rule[
            "alert"
        ]
        assert re.fullmatch(r"Dvc[A-Z][A-Za-z0-9]+", rule["alert"])
        if "for" in rule:
            promql_parser.parse_duration(rule["for"])
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        assert {"summary", "description", "runbook_url"} <= set(rule["annotations"]), rule["alert"]
        for text in rule["annotations"].values():
            # Go templates: balanced, and reading only what an alert has.
            assert text.count("{{") == text.count("}}"), rule["alert"]
            for inner in re.findall(r"\{\{(.*?)\}\}", text):
                assert re.fullmatch(r"\s*\$(labels\.\w+|value)(\s*\|\s*\w+)?\s*", inner), (
                    rule["alert"],
                    inner,
                )


def test_every_expression_parses() -> None:
    for rule in rules():
        try:
            selectors(rule["expr"])
        except ValueError as e:
            pytest.fail(f"{rule['alert']}: {e}")


def test_the_parser_would_catch_a_broken_expression() -> None:
    for bad in ("sum(rate(x[5m])", "rate(x)", "max by (job) (x) >", "no_such_function(x)"):
        with pytest.raises(ValueError):
            selectors(bad)


def test_alerts_read_only_metrics_the_services_export() -> None:
    known = exported() | PROMETHEUS_OWN
    for rule in rules():
        unknown = set(selectors(rule["expr"])) - known
        assert not unknown, f"{rule['alert']} reads {sorted(unknown)}, which no service exports"


def test_the_check_knows_the_pipeline_and_service_metrics() -> None:
    """The registry really is the services' (a typo in a metric's name would show here first)."""
    assert {
        "outbox_pending_records",
        "outbox_oldest_pending_age_seconds",
        "outbox_unroutable_records",
        "consumer_queue_messages",
        "consumer_parking_messages",
        "consumer_event_lag_seconds_bucket",
        "events_handled_total",
        "dossier_submit_seconds_bucket",
        "certificate_expiry_seconds",
        "dossiers_open",
        "dossiers_overdue",
        "notification_latency_seconds_bucket",
        "auth_login_failures_total",
        "auth_lockouts_total",
        "http_requests_total",
    } <= exported()


# -- runbooks ----------------------------------------------------------------------------------------------


def test_every_alert_has_a_runbook_section() -> None:
    sections = operations_sections()
    for rule in rules():
        url = rule["annotations"]["runbook_url"]
        path, _, fragment = url.partition("#")
        assert path == "docs/operations.md" and fragment, url
        assert fragment in sections, f"{rule['alert']}: no heading #{fragment} in docs/operations.md"
        top, body = sections[fragment]
        assert top == "Alerts and runbooks", f"#{fragment} is under {top!r}"
        for part in ("What it means", "What to check", "What to do"):
            assert f"**{part}**" in body, f"#{fragment} lacks {part!r}"


def test_every_runbook_section_is_an_alert() -> None:
    alerts = {r["annotations"]["runbook_url"].partition("#")[2] for r in rules()}
    runbooks = {
        a
        for a, (top, _) in operations_sections().items()
        if top == "Alerts and runbooks" and a.startswith("dvc")
    }
    assert runbooks == alerts


def base(name: str) -> str:
    """A histogram's series by the histogram's name (``x_bucket``, ``x_sum``, ``x_count`` -> ``x``)."""
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name.removesuffix(suffix) + "_bucket" in exported():
            return name.removesuffix(suffix)
    return name


def test_the_metrics_read_are_documented() -> None:
    documented = set(re.findall(r"^\| `([a-z_]+)", metrics_section(), re.M))
    assert documented, "the Metrics section lists the metrics in a table"
    assert documented <= {base(n) for n in exported()}, sorted(documented - {base(n) for n in exported()})
    read = {n for r in rules() for n in selectors(r["expr"])}
    for d in dashboards.DASHBOARDS:
        read |= {n for expr in _exprs(dashboards.render(d)) for n in selectors(expr)}
    missing = {base(n) for n in read} - PROMETHEUS_OWN - documented
    assert not missing, (
        f"read by an alert or a dashboard, not in docs/operations.md 'Metrics': {sorted(missing)}"
    )


# -- dashboards --------------------------------------------------------------------------------------------


def _exprs(dashboard: dict[str, Any]) -> list[str]:
    out = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            out.append(expr)
    return out


def test_the_dashboard_files_are_current() -> None:
    outputs = dashboards.outputs()
    assert sorted(p.name for p in GRAFANA.glob("*.json")) == sorted(p.name for p in outputs)
    for path, text in outputs.items():
        assert path.read_text() == text, f"{path.name} is stale: run deploy/observability/dashboards.py"
    assert {"dvc-overview", "dvc-events", "dvc-dossiers", "dvc-security"} == {p.stem for p in outputs}


@pytest.mark.parametrize("path", sorted(GRAFANA.glob("*.json")), ids=lambda p: p.stem)
def test_a_dashboard_is_grafana_json_whose_queries_parse(path: Path) -> None:
    dashboard = json.loads(path.read_text())
    assert {"uid", "title", "panels", "templating", "schemaVersion"} <= set(dashboard)
    assert dashboard["uid"] == path.stem
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert "datasource" in variables
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24
        if panel["type"] == "row":
            continue
        assert panel["targets"] and panel["datasource"]["uid"] == "${datasource}"
        for target in panel["targets"]:
            used = set(re.findall(r"\$(\w+)", target["expr"])) - {"__rate_interval", "__interval"}
            assert used <= variables, (panel["title"], used)
    known = exported() | PROMETHEUS_OWN
    for expr in _exprs(dashboard):
        try:
            names = selectors(expr)
        except ValueError as e:
            pytest.fail(f"{path.name}: {expr}: {e}")
        assert set(names) <= known, (path.name, expr)
