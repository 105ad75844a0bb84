"""MongoDB round trips of a citizen's filing, step by step: every command the auth, catalog and submission
services send while one dossier is filed (draft, step 1, two uploads, fees, captcha, submit) and an
officer takes it in (queue, accept), counted in-process by kind (the server's ``opcounters`` buckets)
and by collection.

    .venv/bin/python bench/submission_ops.py [--dossiers 10] [--label after]

The three services run in this process (ASGI, as in the integration tests; submission calls auth's
``/me`` and the catalogue over in-process HTTP) against a MongoDB stand-in and an S3 gateway of the
run's own and the machine's RabbitMQ (a namespace of its own, removed at the end). A pymongo
``CommandListener`` registered for every client counts each command under the step whose request sent
it (a context variable, so the services' background loops, the outbox relay above all, are counted
apart). The citizen has no email, as in ``bench/submission_bench.py``. Besides the filing's steps, each
dossier's count has ``draft_prefill_asked``: a draft whose prefill is not kept (a citizen's first draft),
not in the filing's total. One dossier is filed first to warm the caches (the procedure, the signing
keys); the figures are the mean over ``--dossiers`` more, so the dossier-code counter's block (one
increment every ``SUBMISSION_SEQUENCE_BLOCK`` dossiers) shows as a fraction. Results:
bench/results/submission_ops.json, under ``--label``.

Another version of the services: a worktree and PYTHONPATH (which wins over the editable installs), e.g.
``git worktree add /tmp/before-sub faddb61`` and
``PYTHONPATH=/tmp/before-sub/services/submission/src:/tmp/before-sub/services/auth/src``
``.venv/bin/python bench/submission_ops.py --label before``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import gzip
import json
import secrets
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from pymongo import monitoring

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.harness import MACHINE, ROOT
from lib.opcounters import KINDS, bucket

import auth
import submission
from auth.config import Settings as AuthSettings
from auth.main import create_app as auth_app
from catalog.config import Settings as CatalogSettings
from catalog.domain.model import Procedure
from catalog.main import create_app as catalog_app
from devstack import client
from devstack.config import S3_ACCESS_KEY, S3_SECRET_KEY, StackConfig
from devstack.infra import S3, Mongo
from devstack.testing import free_port, register_in_process, running
from dvckit.auth import TokenVerifier
from submission.config import Settings as SubmissionSettings
from submission.main import create_app as submission_app

S = "/api/v1/submissions"
AMQP = "amqp://guest:guest@127.0.0.1:5672/"
CAPTCHA_ANSWER = "ops-captcha"
PASSWORD = "Ops-Count-Harbour-7"
CODE = client.TEST_PROCEDURE_CODE
COMPONENTS = [c["id"] for c in client.TEST_PROCEDURE["components"]]
CITIZEN_STEPS = ("draft", "applicant", "upload", "fees", "captcha", "submit")
OFFICER_STEPS = ("queue", "accept")
# A draft whose prefill is not kept (the citizen's first, or one after the kept prefill ended): counted
# apart, one a dossier, not in the filing's total.
EXTRA_STEPS = ("draft_prefill_asked",)
UNCOUNTED = "-"  # the measurement's own requests (removing that draft)

STEP: contextvars.ContextVar[str | None] = contextvars.ContextVar("step", default=None)


class Count(monitoring.CommandListener):
    """Each command started, under the current step (None: a background loop), its database and
    collection."""

    def __init__(self) -> None:
        self.seen: Counter[tuple[str | None, str, str, str]] = Counter()
        self.on = False

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if not self.on:
            return
        name = event.command_name
        target = event.command.get("collection" if name == "getMore" else name)
        coll = target if isinstance(target, str) else "-"
        self.seen[(STEP.get(), event.database_name, coll, name)] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


COUNT = Count()
monitoring.register(COUNT)  # before any client is made: every client of the process reports to it


def pdf(size: int = 4000) -> bytes:
    body = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
    return body + b"%" + b"x" * max(0, size - len(body) - 7) + b"\n%%EOF\n"


async def step(name: str, request: Any, ok: tuple[int, ...] = (200, 201)) -> httpx.Response:
    token = STEP.set(name)
    try:
        r = await request
    finally:
        STEP.reset(token)
    if r.status_code not in ok:
        raise RuntimeError(f"{name}: {r.status_code} {r.text[:300]}")
    return r


async def file_one(sub: httpx.AsyncClient, p: dict[str, Any], officer: dict[str, str]) -> None:
    h = p["h"]
    prefills = getattr(sub.app.state, "prefills", None)  # versions that keep the prefill
    if prefills is not None:
        prefills.forget(p["id"])
    asked = {"procedure_code": CODE}
    r = await step("draft_prefill_asked", sub.post(f"{S}/dossiers", json=asked, headers=h))
    assert r.json()["prefill"]["citizen_id"] == p["citizen_id"]
    await step(UNCOUNTED, sub.delete(f"{S}/dossiers/{r.json()['id']}", headers=h), ok=(204,))
    d = (await step("draft", sub.post(f"{S}/dossiers", json={"procedure_code": CODE}, headers=h))).json()
    assert d["prefill"]["citizen_id"] == p["citizen_id"], d["prefill"]
    applicant = {"submitter": client.submitter(p)}
    await step("applicant", sub.put(f"{S}/dossiers/{d['id']}/applicant", json=applicant, headers=h))
    for cid in COMPONENTS:
        await step(
            "upload",
            sub.post(
                f"{S}/dossiers/{d['id']}/attachments",
                headers=h,
                data={"component_id": cid},
                files={"file": ("tờ khai.pdf", pdf(), "application/pdf")},
            ),
        )
    await step("fees", sub.get(f"{S}/dossiers/{d['id']}/fees", headers=h))
    cap = (await step("captcha", sub.post(f"{S}/captcha", headers=h))).json()
    body = {"captcha_id": cap["captcha_id"], "captcha_answer": CAPTCHA_ANSWER}
    r = await step("submit", sub.post(f"{S}/dossiers/{d['id']}/submit", json=body, headers=h))
    assert r.json()["code"], r.text
    q = await step("queue", sub.get(f"{S}/officer/dossiers", params={"q": r.json()["code"]}, headers=officer))
    assert q.json()["total"] == 1, q.text
    await step("accept", sub.post(f"{S}/dossiers/{d['id']}/actions/accept", json={}, headers=officer))


def _settings(cls: type, mongo_url: str, ns: str, s3: str, **over: Any) -> Any:
    values: dict[str, Any] = {
        "env": "test",
        "mongo_url": mongo_url,
        "mongo_db": f"{ns}{cls.service_name}",
        "amqp_url": AMQP,
        "exchange": f"{ns}dvc.events",
        "queue_prefix": ns,
        "queue_expires_ms": 60_000,
        "captcha_test_answer": CAPTCHA_ANSWER,
    }
    if "admin_totp_secret" in cls.model_fields:  # the first administrator's second factor, as make up's
        values["admin_totp_secret"] = client.admin_totp_secret()
    if "s3_endpoint" in cls.model_fields:
        values |= {
            "s3_endpoint": s3,
            "s3_access_key": S3_ACCESS_KEY,
            "s3_secret_key": S3_SECRET_KEY,
            "s3_bucket": f"{ns.replace('_', '-')}ops",
        }
    return cls(**(values | over))


async def measure(mongo_url: str, s3: str, ns: str, n: int, seed: Path) -> dict[str, Any]:
    auth_settings = _settings(
        AuthSettings, mongo_url, ns, s3, argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1
    )
    dbs = {f"{ns}auth": "auth", f"{ns}catalog": "catalog", f"{ns}submission": "submission"}
    a = auth_app(auth_settings)
    c = catalog_app(_settings(CatalogSettings, mongo_url, ns, s3, seed_path=seed))
    async with contextlib.AsyncExitStack() as stack:
        auth_http = await stack.enter_async_context(running(a))
        auth_http.app = a
        await stack.enter_async_context(running(c))
        sub_app = submission_app(
            _settings(
                SubmissionSettings, mongo_url, ns, s3, catalog_url="http://catalog", auth_url="http://auth"
            ),
            transport=httpx.ASGITransport(app=c),
            auth_transport=httpx.ASGITransport(app=a),
        )
        sub_app.state.runtime.tokens = TokenVerifier(
            a.state.keys.jwks, issuer=auth_settings.jwt_issuer, audience=auth_settings.jwt_audience
        )
        sub = await stack.enter_async_context(running(sub_app))
        sub.app = sub_app

        # A citizen and an officer of the procedure's agency, made before anything is counted.
        n0 = secrets.randbelow(10**6)
        person = {
            "full_name": "Người Đếm Thử",
            "citizen_id": f"0319{n0:08d}",
            "phone": f"097{n0:07d}",
            "password": PASSWORD,
        }
        user = await register_in_process(auth_http, person)
        login = {"username": person["phone"], "password": PASSWORD}
        token = (await auth_http.post("/api/v1/auth/login", json=login)).json()["access_token"]
        p = person | {"id": user["id"], "h": {"Authorization": f"Bearer {token}"}}
        agency = (await sub.get(f"{S}/agencies", params={"procedure": CODE})).json()[0]["code"]
        admin = (await client.admin(auth_http, "admin", "admin-dev-password")).token
        officer_body = {
            "full_name": "Cán Bộ Đếm",
            "role": "officer",
            "agencies": [agency],
            "username": f"canbo{n0}",
            "password": PASSWORD,
        }
        made = await auth_http.post(
            "/api/v1/auth/users", json=officer_body, headers={"Authorization": f"Bearer {admin}"}
        )
        assert made.status_code == 201, made.text
        # The officer's first sign-in enrols its second factor (pyotp codes, devstack.client).
        desk = client.Person(officer_body["full_name"], "", "", None)
        officer = (await client.login(auth_http, desk, officer_body["username"], PASSWORD)).auth

        await file_one(sub, p, officer)  # warm: the procedure's copy, the signing keys, a counter block
        await asyncio.sleep(1.0)  # the warm dossier's events leave before counting starts
        COUNT.seen.clear()
        COUNT.on = True
        for _ in range(n):
            await file_one(sub, p, officer)
        await asyncio.sleep(1.0)  # the relay publishes the last events
        COUNT.on = False
        seen = dict(COUNT.seen)
    return summarise(seen, dbs, n)


def summarise(seen: dict[tuple[str | None, str, str, str], int], dbs: dict[str, str], n: int) -> dict:
    per_step: dict[str, dict[str, Any]] = {}
    background: Counter[str] = Counter()
    calls = {"upload": len(COMPONENTS)}
    for (st, db, coll, name), k in sorted(seen.items(), key=lambda kv: str(kv[0])):
        service = dbs.get(db, "admin" if db == "admin" else db)
        if st == UNCOUNTED:
            continue
        if st is None:
            background[f"{service}.{coll}.{name}"] += k
            continue
        s = per_step.setdefault(st, {"kinds": Counter(), "by": Counter(), "calls": calls.get(st, 1)})
        s["kinds"][bucket(name)] += k
        s["by"][f"{service}.{coll}.{name}"] += k
    out: dict[str, Any] = {}
    total: Counter[str] = Counter()
    for st in (*CITIZEN_STEPS, *OFFICER_STEPS, *EXTRA_STEPS):
        s = per_step.get(st, {"kinds": Counter(), "by": Counter(), "calls": calls.get(st, 1)})
        per_dossier = {kind: round(s["kinds"][kind] / n, 2) for kind in KINDS if s["kinds"][kind]}
        out[st] = {
            "per_dossier": per_dossier,
            "round_trips_per_dossier": round(sum(s["kinds"].values()) / n, 2),
            "round_trips_per_call": round(sum(s["kinds"].values()) / n / s["calls"], 2),
            "commands_per_dossier": {k: round(v / n, 2) for k, v in sorted(s["by"].items())},
        }
        if st in CITIZEN_STEPS:
            total.update(s["kinds"])
    return {
        "steps": out,
        "filing_total_per_dossier": {
            "round_trips": round(sum(total.values()) / n, 2),
            **{kind: round(total[kind] / n, 2) for kind in KINDS if total[kind]},
        },
        "background_per_dossier": {k: round(v / n, 2) for k, v in sorted(background.items())},
    }


async def tidy_broker(ns: str) -> None:
    import aio_pika

    conn = await aio_pika.connect(AMQP, timeout=30)
    async with conn:
        ch = await conn.channel()
        await ch.exchange_delete(f"{ns}dvc.events")
        for name in (f"{ns}submission.events",):
            with contextlib.suppress(Exception):
                await ch.queue_delete(name)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dossiers", type=int, default=10)
    ap.add_argument("--label", default="after")
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="dvc-ops-"))
    cfg = StackConfig(data_dir=home, mongo_port=free_port(), s3_port=free_port(), s3_metrics_port=free_port())
    parts = [Mongo(cfg), S3(cfg)]
    ns = f"ops{secrets.token_hex(2)}_"
    try:
        for part in parts:
            part.ensure()
        seed = home / "seed.jsonl.gz"
        with gzip.open(seed, "wt", encoding="utf-8") as f:
            doc = Procedure.model_validate(client.TEST_PROCEDURE).model_dump(mode="json", exclude_none=True)
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")
        mongo_url = f"mongodb://127.0.0.1:{cfg.mongo_port}/?retryWrites=false&directConnection=true"
        result = asyncio.run(measure(mongo_url, cfg.s3_endpoint, ns, args.dossiers, seed))
        asyncio.run(tidy_broker(ns))
    finally:
        for part in parts:
            part.proc.stop()
        shutil.rmtree(home, ignore_errors=True)
    result = {
        "what": "MongoDB commands per filed dossier, by step, auth + catalog + submission in-process",
        "machine": MACHINE,
        "dossiers": args.dossiers,
        "code": {
            "submission": str(Path(submission.__file__).parent),
            "auth": str(Path(auth.__file__).parent),
        },
        **result,
    }
    out = ROOT / "bench" / "results" / "submission_ops.json"
    saved = json.loads(out.read_text()) if out.exists() else {}
    saved[args.label] = result
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: v["round_trips_per_dossier"] for k, v in result["steps"].items()}, indent=1))
    print(json.dumps(result["filing_total_per_dossier"]))


if __name__ == "__main__":
    main()
