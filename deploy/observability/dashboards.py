"""The Grafana dashboards of the services (``grafana/*.json``), written from the definitions below.

Four dashboards, every panel a PromQL query on the services' /metrics (docs/operations.md, "Metrics" and
"Dashboards"): the overview, events and outbox, dossiers and service quality, security and sign-in. Each
reads a Prometheus data source chosen in the dashboard (``datasource``) and, where it helps, the services
(``job``). Import the JSON files in Grafana, or let the Grafana sidecar of kube-prometheus-stack load the
ConfigMaps that deploy/k8s/observability.py makes of them.

Edit this file, not the JSON, then write them again (tests/static/test_observability.py fails while a file
is stale)::

    .venv/bin/python deploy/observability/dashboards.py          # rewrite the JSON files
    .venv/bin/python deploy/observability/dashboards.py --check  # exit 1 if one is stale
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.generated import write_or_check

HERE = Path(__file__).resolve().parent
GRAFANA = HERE / "grafana"
SYSTEM = 'system="dvc-haiphong"'
QUIET = 'route!~"/readyz|/healthz|/metrics"'
DS = {"type": "prometheus", "uid": "${datasource}"}
RATE = "$__rate_interval"


@dataclass
class Panel:
    title: str
    exprs: list[tuple[str, str]]  # (PromQL, legend)
    unit: str = "short"
    kind: str = "timeseries"  # timeseries | stat | table | bargauge
    width: int = 12
    height: int = 8
    description: str = ""
    thresholds: list[tuple[float, str]] = field(default_factory=list)


@dataclass
class Dashboard:
    uid: str
    title: str
    description: str
    panels: list[Panel | str]  # a string is a row's title
    job_variable: bool = True


def _thresholds(steps: list[tuple[float, str]]) -> dict[str, Any]:
    base = [{"color": "green", "value": None}]
    return {"mode": "absolute", "steps": base + [{"color": c, "value": v} for v, c in steps]}


def _panel(p: Panel, pid: int, x: int, y: int) -> dict[str, Any]:
    targets = [
        {
            "refId": chr(ord("A") + i),
            "datasource": DS,
            "expr": expr,
            "legendFormat": legend,
            **({"instant": True, "format": "table"} if p.kind == "table" else {}),
        }
        for i, (expr, legend) in enumerate(p.exprs)
    ]
    defaults: dict[str, Any] = {"unit": p.unit}
    if p.thresholds:
        defaults["thresholds"] = _thresholds(p.thresholds)
        defaults["color"] = {"mode": "thresholds"}
    options: dict[str, Any] = {}
    if p.kind == "timeseries":
        options = {"legend": {"displayMode": "list", "placement": "bottom"}, "tooltip": {"mode": "multi"}}
    elif p.kind == "stat":
        options = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}
    elif p.kind == "bargauge":
        options = {
            "orientation": "horizontal",
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        }
    return {
        "id": pid,
        "type": p.kind,
        "title": p.title,
        "description": p.description,
        "datasource": DS,
        "gridPos": {"h": p.height, "w": p.width, "x": x, "y": y},
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": options,
    }


def render(d: Dashboard) -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    x = y = 0
    row_height = 0
    for i, p in enumerate(d.panels, start=1):
        if isinstance(p, str):
            y += row_height
            x, row_height = 0, 0
            panels.append(
                {
                    "id": i,
                    "type": "row",
                    "title": p,
                    "collapsed": False,
                    "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                }
            )
            y += 1
            continue
        if x + p.width > 24:
            y += row_height
            x, row_height = 0, 0
        panels.append(_panel(p, i, x, y))
        x += p.width
        row_height = max(row_height, p.height)
    variables: list[dict[str, Any]] = [
        {
            "name": "datasource",
            "label": "Nguồn dữ liệu / data source",
            "type": "datasource",
            "query": "prometheus",
            "current": {},
            "hide": 0,
        }
    ]
    if d.job_variable:
        query = f"label_values(up{{{SYSTEM}}}, job)"
        variables.append(
            {
                "name": "job",
                "label": "Dịch vụ / service",
                "type": "query",
                "datasource": DS,
                "definition": query,
                "query": {"query": query, "refId": "job"},
                "multi": True,
                "includeAll": True,
                "allValue": ".*",
                "current": {"text": "All", "value": "$__all"},
                "refresh": 2,
                "sort": 1,
                "hide": 0,
            }
        )
    return {
        "uid": d.uid,
        "title": d.title,
        "description": d.description,
        "tags": ["dvc-haiphong"],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "annotations": {"list": []},
        "links": [
            {
                "title": "Runbooks (docs/operations.md)",
                "type": "link",
                "url": "docs/operations.md#alerts-and-runbooks",
            }
        ],
        "templating": {"list": variables},
        "panels": panels,
    }


J = 'job=~"$job"'

DASHBOARDS = [
    Dashboard(
        "dvc-overview",
        "DVC Hải Phòng — Tổng quan / Overview",
        "Each service's replicas, traffic, errors, latency and dependencies; the alerts firing.",
        [
            "Dịch vụ / services",
            Panel(
                "Bản chạy trả lời / replicas up",
                [(f"sum by (job) (up{{{SYSTEM}, {J}}})", "{{job}}")],
                kind="stat",
                width=8,
            ),
            Panel(
                "Phụ thuộc không sẵn sàng / checks failing",
                [(f"sum by (job, check) (1 - dependency_up{{{SYSTEM}, {J}}})", "{{job}} {{check}}")],
                kind="stat",
                width=8,
                thresholds=[(1, "red")],
            ),
            Panel(
                "Cảnh báo đang bật / alerts firing",
                [
                    (
                        'sum by (alertname, severity) (ALERTS{alertstate="firing"})',
                        "{{alertname}} ({{severity}})",
                    )
                ],
                kind="table",
                width=8,
            ),
            "HTTP",
            Panel(
                "Yêu cầu mỗi giây / requests per second",
                [(f"sum by (job) (rate(http_requests_total{{{SYSTEM}, {J}, {QUIET}}}[{RATE}]))", "{{job}}")],
                unit="reqps",
            ),
            Panel(
                "Tỉ lệ lỗi 5xx / 5xx ratio",
                [
                    (
                        f"sum by (job) (rate(http_requests_total"
                        f'{{{SYSTEM}, {J}, {QUIET}, status=~"5.."}}[{RATE}]))'
                        f" / sum by (job) (rate(http_requests_total{{{SYSTEM}, {J}, {QUIET}}}[{RATE}]))",
                        "{{job}}",
                    )
                ],
                unit="percentunit",
                thresholds=[(0.02, "red")],
            ),
            Panel(
                "Thời gian phản hồi p95 / latency p95",
                [
                    (
                        "histogram_quantile(0.95, sum by (job, le) (rate(http_request_duration_seconds_bucket"
                        f"{{{SYSTEM}, {J}, {QUIET}}}[{RATE}])))",
                        "{{job}}",
                    )
                ],
                unit="s",
            ),
            Panel(
                "Chậm nhất theo đường dẫn / slowest routes (p95)",
                [
                    (
                        "topk(10, histogram_quantile(0.95, sum by (job, route, le) "
                        f"(rate(http_request_duration_seconds_bucket{{{SYSTEM}, {J}, {QUIET}}}[{RATE}]))))",
                        "{{job}} {{route}}",
                    )
                ],
                unit="s",
            ),
            "MongoDB",
            Panel(
                "Lệnh MongoDB mỗi giây / MongoDB commands per second",
                [
                    (
                        f"sum by (job, command) (rate(mongodb_commands_total{{{J}}}[{RATE}]))",
                        "{{job}} {{command}}",
                    )
                ],
                unit="ops",
                width=24,
            ),
        ],
    ),
    Dashboard(
        "dvc-events",
        "DVC Hải Phòng — Sự kiện và outbox / Events and outbox",
        "The transactional outbox of each producer, each consumer's queue, retries, parking lot and lag.",
        [
            "Outbox",
            Panel(
                "Bản ghi chờ gửi / pending records",
                [(f"max by (job) (outbox_pending_records{{{J}}})", "{{job}}")],
                width=8,
            ),
            Panel(
                "Tuổi bản ghi chờ lâu nhất / oldest pending age",
                [(f"max by (job) (outbox_oldest_pending_age_seconds{{{J}}})", "{{job}}")],
                unit="s",
                width=8,
                thresholds=[(120, "orange"), (600, "red")],
            ),
            Panel(
                "Không định tuyến được / unroutable records",
                [(f"max by (job) (outbox_unroutable_records{{{J}}})", "{{job}}")],
                kind="stat",
                width=8,
                thresholds=[(1, "red")],
            ),
            Panel(
                "Sự kiện đã gửi / events published per second",
                [(f"sum by (type) (rate(outbox_published_total{{{J}}}[{RATE}]))", "{{type}}")],
                unit="ops",
            ),
            Panel(
                "Gửi không xác nhận / publishes not confirmed",
                [
                    (
                        f"sum by (job, reason) (rate(outbox_publish_failures_total{{{J}}}[{RATE}]))",
                        "{{job}} {{reason}}",
                    )
                ],
                unit="ops",
            ),
            "Consumers",
            Panel(
                "Hàng đợi / messages ready in <svc>.events",
                [(f"max by (job) (consumer_queue_messages{{{J}}})", "{{job}}")],
                width=8,
            ),
            Panel(
                "Bãi đỗ / parking lot",
                [(f"max by (job) (consumer_parking_messages{{{J}}})", "{{job}}")],
                width=8,
                thresholds=[(1, "red")],
            ),
            Panel(
                "Độ trễ xử lý p95 / consumer lag p95",
                [
                    (
                        "histogram_quantile(0.95, sum by (job, le) "
                        f"(rate(consumer_event_lag_seconds_bucket{{{J}}}[{RATE}])))",
                        "{{job}}",
                    )
                ],
                unit="s",
                width=8,
            ),
            Panel(
                "Kết quả xử lý / events handled by outcome",
                [
                    (
                        f"sum by (job, outcome) (rate(events_handled_total{{{J}}}[{RATE}]))",
                        "{{job}} {{outcome}}",
                    )
                ],
                unit="ops",
            ),
            Panel(
                "Thời gian xử lý p95 / handling time p95 by event",
                [
                    (
                        "histogram_quantile(0.95, sum by (type, le) "
                        f"(rate(event_handle_seconds_bucket{{{J}}}[{RATE}])))",
                        "{{type}}",
                    )
                ],
                unit="s",
            ),
        ],
    ),
    Dashboard(
        "dvc-dossiers",
        "DVC Hải Phòng — Hồ sơ và chất lượng / Dossiers and service quality",
        "Dossiers open and overdue by agency (reporting's open list), filing and notification latency, "
        "deliveries, the signing certificates' expiry.",
        [
            "Hồ sơ / dossiers",
            Panel(
                "Hồ sơ đang mở theo trạng thái / open dossiers by status",
                [("sum by (status) (max by (status, agency) (dossiers_open))", "{{status}}")],
                width=12,
                description="National status codes: 1 mới đăng ký, 2 đã tiếp nhận, 4 đang xử lý, "
                "5 yêu cầu bổ sung, 6 nghĩa vụ tài chính.",
            ),
            Panel(
                "Hồ sơ quá hạn / overdue dossiers",
                [("sum(max by (agency) (dossiers_overdue))", "quá hạn / overdue")],
                kind="stat",
                width=4,
                thresholds=[(1, "orange"), (50, "red")],
            ),
            Panel(
                "Quá hạn nhiều nhất / most overdue agencies",
                [("topk(15, max by (agency) (dossiers_overdue))", "{{agency}}")],
                kind="bargauge",
                width=8,
            ),
            Panel(
                "Nộp hồ sơ mỗi phút / dossiers filed per minute",
                [(f"sum(rate(dossier_submit_seconds_count[{RATE}])) * 60", "nộp / filed")],
                width=12,
            ),
            Panel(
                "Thời gian nộp / filing latency",
                [
                    (
                        f"histogram_quantile(0.5, sum by (le) (rate(dossier_submit_seconds_bucket[{RATE}])))",
                        "p50",
                    ),
                    (
                        "histogram_quantile(0.95, sum by (le) "
                        f"(rate(dossier_submit_seconds_bucket[{RATE}])))",
                        "p95",
                    ),
                ],
                unit="s",
            ),
            "Thông báo / notifications",
            Panel(
                "Thời gian đến người dân p95 / notification latency p95",
                [
                    (
                        "histogram_quantile(0.95, sum by (channel, le) "
                        f"(rate(notification_latency_seconds_bucket[{RATE}])))",
                        "{{channel}}",
                    )
                ],
                unit="s",
            ),
            Panel(
                "Gửi thư và tin nhắn / deliveries by outcome",
                [
                    (
                        f"sum by (channel, outcome) (rate(notify_deliveries_total[{RATE}]))",
                        "{{channel}} {{outcome}}",
                    )
                ],
                unit="ops",
            ),
            "Chứng thư số / certificates",
            Panel(
                "Số ngày còn hiệu lực / days until expiry",
                [("sort((min by (job, name) (certificate_expiry_seconds) - time()) / 86400)", "{{name}}")],
                kind="table",
                unit="d",
                width=24,
                thresholds=[(7, "red"), (30, "orange")],
            ),
        ],
        job_variable=False,
    ),
    Dashboard(
        "dvc-security",
        "DVC Hải Phòng — An ninh và đăng nhập / Security and sign-in",
        "Failed sign-ins by reason, lockouts, refusals across the services, certificates.",
        [
            "Đăng nhập / sign-in",
            Panel(
                "Đăng nhập thất bại mỗi phút / failed sign-ins per minute",
                [(f"sum by (reason) (rate(auth_login_failures_total[{RATE}])) * 60", "{{reason}}")],
            ),
            Panel(
                "Khóa tạm trong 1 giờ / lockouts in the last hour",
                [("sum by (scope) (increase(auth_lockouts_total[1h]))", "{{scope}}")],
            ),
            "Từ chối / refusals",
            Panel(
                "401, 403, 429 mỗi giây / refusals per second",
                [
                    (
                        "sum by (job, status) "
                        f'(rate(http_requests_total{{{SYSTEM}, status=~"401|403|429"}}[{RATE}]))',
                        "{{job}} {{status}}",
                    )
                ],
                unit="reqps",
                width=24,
            ),
            Panel(
                "Chứng thư sắp hết hạn / certificates expiring within 60 days",
                [("(min by (job, name) (certificate_expiry_seconds) - time()) / 86400 < 60", "{{name}}")],
                kind="table",
                unit="d",
                width=24,
                thresholds=[(7, "red"), (30, "orange")],
            ),
        ],
        job_variable=False,
    ),
]


def outputs() -> dict[Path, str]:
    return {
        GRAFANA / f"{d.uid}.json": json.dumps(render(d), indent=2, ensure_ascii=False) + "\n"
        for d in DASHBOARDS
    }


def main(argv: list[str]) -> int:
    return write_or_check(outputs(), argv, __doc__.strip().splitlines()[-1].strip())


if __name__ == "__main__":
    sys.exit(main(sys.argv))
