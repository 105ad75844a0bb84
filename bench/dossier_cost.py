"""What one filed dossier costs the databases and the broker, end to end, step by step (issue 15).

    .venv/bin/python bench/dossier_cost.py [--dossiers 20] [--idle 10] [--label after] [--code DIR] [--sms]
                                           [--spacing 0] [--warmup 1]

Starts a stack of its own (fresh MongoDB server(s), ``lib.harness.stack``), registers one citizen (with
an email address; told in the app and by email, the default channels, and by SMS too with ``--sms``),
has the administrator add ``devstack.client.TEST_PROCEDURE`` (two required PDF components), files
``--warmup`` dossiers that are not counted, measures the idle traffic for ``--idle`` seconds, then files ``--dossiers`` dossiers step by step, one phase at a time,
each phase for every dossier one after the other (``--spacing`` seconds apart, 0 by default):

    draft · applicant (step 1) · upload1 · upload2 · fees · captcha · submit · events

``events`` waits until every dossier's in-app notification exists and its deliveries are sent, and the
database is back to its idle rate. The outbox relay publishes right after the submit commits and notify
handles the event within milliseconds, so much of the events' work already falls in the ``submit``
phase: the per-database and per-service tables show whose work it is. Work that is batched by time
(records marked sent together within half a second, events handled together when they wait) costs less
a dossier when dossiers come back to back than when they come one at a time: ``--spacing 1`` shows the
latter.

For each phase, per dossier:

- ``serverStatus.opcounters`` of the stack's MongoDB server(s) (summed over ``cfg.mongo_urls()`` when
  the stack has a server per service): insert, query, update, delete, getmore, command. The stand-in
  (secantusdb) counts one per command: an ``insert_many`` of ten documents is one insert, a
  ``findAndModify`` an update, ``aggregate``/``count`` a command. Idle traffic (heartbeats, relays'
  and workers' polls) is measured before the first phase as a rate and subtracted by each phase's
  duration; the bench's own commands (``serverStatus``, ``top``, the events phase's checks) are
  subtracted exactly.
- the same split by database (the server's ``top``, per collection in the JSON); commands that name no
  collection (``commitTransaction``, ``endSessions``, ``hello``…) are the ``no collection`` column.
- per service, the commands its replicas sent (``mongodb_commands_total`` on their /metrics, when the
  code has it; idle subtracted the same way).
- messages: events the services' outboxes published (``outbox_published_total``) and handled
  (``events_handled_total``). The broker's own counts need its management plugin, which the machine's
  RabbitMQ does not run: not collected.

Results: bench/results/dossier_cost_<label>.json, and a Markdown table on stdout.

To measure another version of the services (the code before a change, say), check it out elsewhere and
name it with ``--code``: the stack's service processes then import that tree's ``libs/dvckit`` and
``services/*`` first (PYTHONPATH through ``stack(extra_env=...)``) and the gateway is configured from it
(DVC_ROOT); the harness and devstack stay this tree's, so both runs are driven the same way:

    git worktree add /tmp/before faddb61
    .venv/bin/python bench/dossier_cost.py --code /tmp/before --label before
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from pymongo import AsyncMongoClient, monitoring

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from lib.code import other_code  # noqa: E402 - the bench folder is on the path only now
from lib.opcounters import KINDS, bucket  # noqa: E402

PHASES = ("draft", "applicant", "upload1", "upload2", "fees", "captcha", "submit", "events")
S = "/api/v1/submissions"
# What the bench reads of each replica's /metrics.
FAMILIES = (
    "mongodb_commands_total",
    "outbox_published_total",
    "events_handled_total",
    "notify_deliveries_total",
    "http_requests_total",
)
# top's sections (its "commands" holds findAndModify, aggregate, count... too).
TOP_SECTION = {
    "find": "query",
    "getMore": "getmore",
    "insert": "insert",
    "update": "update",
    "delete": "delete",
}
TOP_SECTIONS = {
    "queries": "query",
    "getmore": "getmore",
    "insert": "insert",
    "update": "update",
    "remove": "delete",
    "commands": "command",
}

Counts = dict[str, float]


def add(a: Counts, b: Counts, k: float = 1.0) -> Counts:
    """``a + k*b``, key by key."""
    out = dict(a)
    for key, v in b.items():
        out[key] = out.get(key, 0.0) + k * v
    return out


def nest(c: Counts) -> dict[str, Counts]:
    out: dict[str, Counts] = defaultdict(dict)
    for key, v in c.items():
        outer, inner = key.split("\t", 1)
        out[outer][inner] = v
    return dict(out)


def connect(url: str, own: Own) -> AsyncMongoClient[dict[str, Any]]:
    """A client of the bench's, its commands counted in ``own``; its driver's heartbeats (which the
    server counts as commands: part of the idle traffic) only once a minute."""
    return AsyncMongoClient(url, event_listeners=[own], tz_aware=True, heartbeatFrequencyMS=60_000)


class Own(monitoring.CommandListener):
    """The bench's own commands to the servers, counted as the server counts them (so they can be
    taken out of its counters): by opcounter bucket, and by namespace and ``top`` section."""

    def __init__(self) -> None:
        self.ops: Counts = {}
        self.top: Counts = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        self.ops[bucket(name)] = self.ops.get(bucket(name), 0) + 1
        target = event.command.get("collection" if name == "getMore" else name)
        if isinstance(target, str) and target:
            key = f"{event.database_name}.{target}\t{TOP_SECTION.get(name, 'command')}"
            self.top[key] = self.top.get(key, 0) + 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@dataclass
class Snap:
    t: float
    ops: Counts  # opcounters, summed over the servers
    top: Counts  # "<db>.<collection>\t<kind>" -> count
    metrics: Counts  # "<service>\t<family>|<labels>" -> value
    own_ops: Counts
    own_top: Counts


@dataclass
class Net:
    """A span's counts with the bench's own commands and the idle traffic taken out."""

    seconds: float
    ops: Counts
    top: Counts
    metrics: Counts


@dataclass
class Probe:
    """Reads the stack's counters: every MongoDB server's opcounters and ``top``, every replica's
    /metrics."""

    urls: list[str]
    replicas: list[tuple[str, str]]  # (service, metrics URL)
    own: Own = field(default_factory=Own)

    def __post_init__(self) -> None:
        self.clients = [connect(u, self.own) for u in self.urls]
        self.http = httpx.AsyncClient(timeout=30)

    async def close(self) -> None:
        for c in self.clients:
            await c.close()
        await self.http.aclose()

    async def opcounters(self) -> tuple[Counts, Counts]:
        """The servers' opcounters and, read right after them, the bench's own counts."""
        ops: Counts = {}
        for c in self.clients:
            status = await c.admin.command("serverStatus")
            ops = add(ops, {k: float(status["opcounters"][k]) for k in KINDS})
        return ops, dict(self.own.ops)

    async def top(self) -> tuple[Counts, Counts]:
        out: Counts = {}
        for c in self.clients:
            totals = (await c.admin.command("top"))["totals"]
            for ns, sections in totals.items():
                if ns == "note":
                    continue
                for section, kind in TOP_SECTIONS.items():
                    n = sections.get(section, {}).get("count", 0)
                    if n:
                        out[f"{ns}\t{kind}"] = out.get(f"{ns}\t{kind}", 0) + n
        return out, dict(self.own.top)

    async def metrics(self) -> Counts:
        async def one(service: str, url: str) -> Counts:
            text = (await self.http.get(url)).text
            got: Counts = {}
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    if sample.name not in FAMILIES or sample.labels.get("route") == "/metrics":
                        continue  # not the bench's own scrapes
                    labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()) if k != "database")
                    key = f"{service}\t{sample.name}|{labels}"
                    got[key] = got.get(key, 0.0) + sample.value
            return got

        out: Counts = {}
        for got in await asyncio.gather(*(one(s, u) for s, u in self.replicas)):
            out = add(out, got)
        return out

    async def snap(self) -> Snap:
        metrics = await self.metrics()
        ops, own_ops = await self.opcounters()
        top, own_top = await self.top()
        return Snap(time.monotonic(), ops, top, metrics, own_ops, own_top)

    async def quiet(self, idle: Net | None, *, window: float = 2.0, limit: float = 60.0) -> bool:
        """Waits until the servers are back to their idle rate: over ``window`` seconds, at most two
        operations beyond it (the bench's own taken out). False if that did not happen in ``limit``."""
        deadline = time.monotonic() + limit
        ops, own = await self.opcounters()
        t = time.monotonic()
        while True:
            await asyncio.sleep(window)
            ops2, own2 = await self.opcounters()
            t2 = time.monotonic()
            extra = add(add(ops2, ops, -1), add(own2, own, -1), -1)
            if idle is not None:
                extra = add(extra, idle.ops, -(t2 - t))
            if sum(extra.values()) <= 2.0:
                return True
            if t2 > deadline:
                return False
            ops, own, t = ops2, own2, t2


def net(a: Snap, b: Snap, idle: Net | None) -> Net:
    dt = b.t - a.t
    ops = add(add(b.ops, a.ops, -1), add(b.own_ops, a.own_ops, -1), -1)
    top = add(add(b.top, a.top, -1), add(b.own_top, a.own_top, -1), -1)
    metrics = add(b.metrics, a.metrics, -1)
    if idle is not None:
        ops = add(ops, idle.ops, -dt)
        top = add(top, idle.top, -dt)
        metrics = add(metrics, idle.metrics, -dt)
    return Net(dt, ops, top, metrics)


def rate(a: Snap, b: Snap) -> Net:
    n = net(a, b, None)
    per_s = 1.0 / n.seconds
    return Net(
        1.0,
        {k: v * per_s for k, v in n.ops.items()},
        {k: v * per_s for k, v in n.top.items()},
        {k: v * per_s for k, v in n.metrics.items()},
    )


def r2(x: float) -> float:
    return round(x, 2) + 0.0  # no "-0.0"


def summary(n: Net, per: int, db_service: dict[str, str]) -> dict[str, Any]:
    """A phase's counts divided by ``per`` dossiers: by kind, by database and collection, by service."""
    ops = {k: r2(n.ops.get(k, 0.0) / per) for k in KINDS}
    by_db: dict[str, Counts] = defaultdict(dict)
    by_coll: dict[str, Counts] = defaultdict(dict)
    for ns, kinds in nest(n.top).items():
        db, coll = ns.split(".", 1)
        who = db_service.get(db, db)
        for kind, v in kinds.items():
            by_db[who][kind] = by_db[who].get(kind, 0.0) + v
            by_coll[f"{who}.{coll}"][kind] = by_coll[f"{who}.{coll}"].get(kind, 0.0) + v
    named = sum(sum(k.values()) for k in by_db.values())
    services: dict[str, dict[str, Any]] = {}
    for service, fams in nest(n.metrics).items():
        s: dict[str, Any] = defaultdict(dict)
        for key, v in fams.items():
            family, labels = key.split("|", 1)
            if abs(v) >= 0.005 * per:
                s[family][labels] = r2(v / per)
        services[service] = dict(s)

    def family_total(family: str) -> float:
        return sum(v for key, v in n.metrics.items() if key.split("\t", 1)[1].split("|", 1)[0] == family)

    def clean(d: dict[str, Counts]) -> dict[str, Counts]:
        return {
            k: {kind: r2(v / per) for kind, v in sorted(c.items()) if abs(v) >= 0.005 * per}
            for k, c in sorted(d.items())
            if any(abs(v) >= 0.005 * per for v in c.values())
        }

    has_commands = any(k.split("\t", 1)[1].startswith("mongodb_commands_total|") for k in n.metrics)
    return {
        "seconds": round(n.seconds, 2),
        "ops": ops,
        "total": r2(sum(n.ops.get(k, 0.0) for k in KINDS) / per),
        "by_database": {k: r2(sum(c.values()) / per) for k, c in sorted(by_db.items())}
        | {"no collection": r2((sum(n.ops.get(k, 0.0) for k in KINDS) - named) / per)},
        "by_collection": clean(by_coll),
        "commands_sent": (
            {svc: r2(family_total_of(n, svc, "mongodb_commands_total") / per) for svc in services}
            if has_commands
            else None
        ),
        "messages": {
            "published": r2(family_total("outbox_published_total") / per),
            "handled": r2(family_total("events_handled_total") / per),
            "deliveries": r2(family_total("notify_deliveries_total") / per),
        },
        "services": services,
    }


def family_total_of(n: Net, service: str, family: str) -> float:
    return sum(v for key, v in n.metrics.items() if key.startswith(f"{service}\t{family}|"))


# -- the stack and the filing ------------------------------------------------------------------------


def mongo_urls(cfg: Any) -> list[str]:
    """Every MongoDB server of the stack (one a service when the stack has ``mongo_urls()``)."""
    if callable(getattr(cfg, "mongo_urls", None)):
        return list(dict.fromkeys(cfg.mongo_urls()))
    return [cfg.mongo_url]


def mongo_url_of(cfg: Any, service: str) -> str:
    if callable(getattr(cfg, "mongo_url_for", None)):
        return str(cfg.mongo_url_for(service))
    return str(cfg.mongo_url)


@dataclass
class Filing:
    """One citizen's dossiers, each taken through the steps one phase at a time."""

    http: httpx.AsyncClient
    person: Any
    components: list[str]
    ids: list[str] = field(default_factory=list)
    captchas: dict[str, str] = field(default_factory=dict)

    def _ok(self, r: httpx.Response, *expected: int) -> dict[str, Any]:
        if r.status_code not in expected:
            raise RuntimeError(f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text[:300]}")
        return r.json() if r.content else {}

    async def step(self, phase: str, i: int) -> None:
        from devstack import client

        h = self.person.auth
        if phase == "draft":
            d = self._ok(
                await self.http.post(
                    f"{S}/dossiers", json={"procedure_code": client.TEST_PROCEDURE_CODE}, headers=h
                ),
                201,
            )
            self.ids.append(d["id"])
            return
        did = self.ids[i]
        if phase == "applicant":
            body = {"submitter": client.submitter(self.person)}
            self._ok(await self.http.put(f"{S}/dossiers/{did}/applicant", json=body, headers=h), 200)
        elif phase in ("upload1", "upload2"):
            cid = self.components[0 if phase == "upload1" else 1]
            data = client.pdf(20 * 1024, salt=f"{did}{cid}".encode())
            r = await self.http.post(
                f"{S}/dossiers/{did}/attachments",
                headers=h,
                data={"component_id": cid},
                files={"file": ("hồ sơ.pdf", data, "application/pdf")},
            )
            self._ok(r, 201)
        elif phase == "fees":
            self._ok(await self.http.get(f"{S}/dossiers/{did}/fees", headers=h), 200)
        elif phase == "captcha":
            self.captchas[did] = self._ok(await self.http.post(f"{S}/captcha", headers=h), 200, 201)[
                "captcha_id"
            ]
        elif phase == "submit":
            body = {"captcha_id": self.captchas[did], "captcha_answer": "bench"}
            self._ok(await self.http.post(f"{S}/dossiers/{did}/submit", json=body, headers=h), 200)

    async def whole(self) -> str:
        """One dossier through every step (the warm-up); its id."""
        i = len(self.ids)
        for phase in PHASES[:-1]:
            await self.step(phase, i)
        return self.ids[i]


async def delivered(notify: Any, ids: list[str]) -> dict[str, int]:
    """How far notify got with the dossiers ``ids``: their in-app notifications, and those
    notifications' deliveries, sent or not yet."""
    notes = await notify["notifications"].find({"dossier_id": {"$in": ids}}, {"event_id": 1}).to_list()
    events = list({n["event_id"] for n in notes})
    jobs = await notify["deliveries"].find({"event_id": {"$in": events}}, {"status": 1}).to_list()
    sent = sum(1 for j in jobs if j.get("status") == "sent")
    return {
        "dossiers": len(ids),
        "notifications": len(notes),
        "deliveries": len(jobs),
        "sent": sent,
    }


async def wait_delivered(notify: Any, ids: list[str], limit: float = 120.0) -> dict[str, int]:
    deadline = time.monotonic() + limit
    while True:
        got = await delivered(notify, ids)
        done = got["notifications"] >= len(ids) and got["deliveries"] > 0 and got["sent"] == got["deliveries"]
        if done or time.monotonic() > deadline:
            return got | {"complete": int(done)}
        await asyncio.sleep(0.5)


async def run(args: argparse.Namespace, s: Any) -> dict[str, Any]:
    from devstack import client
    from devstack.config import SERVICES

    cfg = s.cfg
    urls = mongo_urls(cfg)
    replicas = [
        (spec.name, f"http://{cfg.host}:{port}/metrics") for spec in SERVICES for port in cfg.ports(spec)
    ]
    db_service = {cfg.db_name(spec.name): spec.name for spec in SERVICES}
    probe = Probe(urls, replicas)
    notify_client = connect(mongo_url_of(cfg, "notify"), probe.own)
    notify = notify_client[cfg.db_name("notify")]
    n = args.dossiers
    try:
        async with httpx.AsyncClient(base_url=cfg.gateway_url, timeout=60) as http:
            admin = await client.admin(http, cfg.admin_username, cfg.admin_password)
            await client.add_procedure(http, admin, client.TEST_PROCEDURE)
            async with client.Inbox(
                mongo_url_of(cfg, "notify"), cfg.db_name("notify"), cfg.mail_dir
            ) as inbox:
                person = await client.register(http, inbox, client.new_person("Người Nộp Đo Chi Phí"))
            if args.sms:  # by default a citizen is told in the app and by email, not by SMS
                r = await http.put(
                    "/api/v1/notifications/preferences", json={"sms": True}, headers=person.auth
                )
                assert r.status_code == 200, r.text
            components = [c["id"] for c in client.TEST_PROCEDURE["components"]]
            warm = Filing(http, person, components)
            warm_ids = [await warm.whole() for _ in range(args.warmup)]
            if warm_ids:
                await wait_delivered(notify, warm_ids)
            await probe.quiet(None, window=3.0, limit=60.0)

            print(f"[dossier_cost] idle traffic for {args.idle} s", flush=True)
            i0 = await probe.snap()
            await asyncio.sleep(args.idle)
            i1 = await probe.snap()
            idle = rate(i0, i1)

            filing = Filing(http, person, components)
            phases: dict[str, dict[str, Any]] = {}
            quiet: dict[str, bool] = {}
            check: dict[str, int] = {}
            a = await probe.snap()
            for phase in PHASES:
                print(f"[dossier_cost] {phase}", flush=True)
                if phase == "events":
                    check = await wait_delivered(notify, filing.ids)
                    quiet[phase] = await probe.quiet(idle)
                else:
                    for i in range(n):
                        if i and args.spacing:
                            await asyncio.sleep(args.spacing)
                        await filing.step(phase, i)
                    # The submit's events go on at once: the next phase counts what the submit's answer
                    # did not wait for.
                    quiet[phase] = phase == "submit" or await probe.quiet(idle, limit=20.0)
                b = await probe.snap()
                phases[phase] = summary(net(a, b, idle), n, db_service)
                a = b
            i2 = await probe.snap()
            await asyncio.sleep(args.idle)
            i3 = await probe.snap()
            idle_after = rate(i2, i3)
    finally:
        await notify_client.close()
        await probe.close()

    total = {
        "ops": {k: r2(sum(p["ops"][k] for p in phases.values())) for k in KINDS},
        "total": r2(sum(p["total"] for p in phases.values())),
        "total_all_dossiers": round(sum(p["total"] for p in phases.values()) * n),
        "messages": {
            m: r2(sum(p["messages"][m] for p in phases.values()))
            for m in ("published", "handled", "deliveries")
        },
    }
    return {
        "label": args.label,
        "code": str(args.code or BENCH.parent),
        "dossiers": n,
        "warmup_dossiers": args.warmup,
        "spacing_seconds": args.spacing,
        "channels": ["in_app", "email", *(["sms"] if args.sms else [])],
        "mongodb_servers": len(urls),
        "unit": "per dossier (each phase's counts divided by the number of dossiers)",
        "idle_per_second": {
            "before": {k: r2(idle.ops.get(k, 0.0)) for k in KINDS},
            "after": {k: r2(idle_after.ops.get(k, 0.0)) for k in KINDS},
        },
        "quiet": quiet,
        "delivered": check,
        "phases": phases,
        "total": total,
    }


# -- output -------------------------------------------------------------------------------------------


def fmt(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:.1f}" if abs(x) >= 0.05 else "0"


def markdown(result: dict[str, Any]) -> str:
    phases = result["phases"]
    lines = [
        f"MongoDB operations and messages per filed dossier ({result['label']}, {result['dossiers']} dossiers "
        f"{result.get('spacing_seconds') or 0} s apart, "
        f"serverStatus.opcounters of {result['mongodb_servers']} server(s), idle subtracted)",
        "",
        "| phase | insert | query | update | delete | getmore | command | total | published | handled "
        "| deliveries |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, p in [*phases.items(), ("total", result["total"])]:
        cells = [fmt(p["ops"][k]) for k in KINDS] + [fmt(p["total"])]
        cells += [fmt(p["messages"][m]) for m in ("published", "handled", "deliveries")]
        label = f"**{name}**" if name == "total" else name
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    named = sorted({d for p in phases.values() for d in p["by_database"]} - {"no collection"})
    dbs = [*named, "no collection"]
    lines += ["", "By database (the server's `top`; commands that name no collection apart):", ""]
    lines += ["| phase | " + " | ".join(dbs) + " |", "|---|" + "---:|" * len(dbs)]
    for name, p in phases.items():
        lines.append(f"| {name} | " + " | ".join(fmt(p["by_database"].get(d, 0.0)) for d in dbs) + " |")
    if any(p["commands_sent"] for p in phases.values()):
        svcs = sorted({s for p in phases.values() for s in (p["commands_sent"] or {})})
        lines += ["", "Commands each service sent (`mongodb_commands_total`):", ""]
        lines += ["| phase | " + " | ".join(svcs) + " |", "|---|" + "---:|" * len(svcs)]
        for name, p in phases.items():
            sent = p["commands_sent"] or {}
            lines.append(f"| {name} | " + " | ".join(fmt(sent.get(s)) for s in svcs) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dossiers", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=1, help="dossiers filed first and not counted")
    ap.add_argument("--idle", type=float, default=10.0, help="seconds of idle traffic measured")
    ap.add_argument("--label", default="after")
    ap.add_argument("--code", type=Path, help="another tree whose services the stack runs")
    ap.add_argument(
        "--mongo-layout",
        choices=("per-service", "shared"),
        default="per-service",
        help="one MongoDB server a service (as make up), or one for all (as before issue 15)",
    )
    ap.add_argument("--sms", action="store_true", help="the citizen chooses SMS too (a second delivery)")
    ap.add_argument(
        "--spacing", type=float, default=0.0, help="seconds between two dossiers' requests of a phase"
    )
    args = ap.parse_args()
    extra = other_code(args.code) if args.code else {}
    from lib.harness import MACHINE, ROOT, stack  # after DVC_ROOT is set: devstack reads it on import

    with stack(extra_env=extra, mongo_layout=args.mongo_layout) as s:
        result = asyncio.run(run(args, s))
    result["machine"] = MACHINE
    out = ROOT / "bench" / "results" / f"dossier_cost_{args.label}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(markdown(result))
    print(f"\n[dossier_cost] {out}")


if __name__ == "__main__":
    main()
