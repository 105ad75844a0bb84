"""One filing's trace: the submission's HTTP span → the outbox's publish → notify's handling of the event,
one trace id, each span the child of the one before, exported by OTLP/HTTP to a local receiver
(devstack.otlp, which decodes the protobuf requests as a collector does)."""

from __future__ import annotations

import asyncio
import os
import secrets

from pymongo import AsyncMongoClient

from devstack.otlp import Collector
from devstack.testing import BROKER_PAUSE_S, eventually, free_port, running
from notify.config import Settings as NotifySettings
from notify.main import create_app as notify_app
from submission.config import Settings as SubmissionSettings

S = "/api/v1/submissions"


async def test_one_filing_is_one_trace_from_the_request_to_the_notification(world, infra):
    with Collector() as collector:
        sub = await world.make_submission(
            infra.settings(
                SubmissionSettings,
                catalog_url="http://catalog",
                auth_url="http://auth",
                cleanup_interval_seconds=3600,
                otel_endpoint=collector.endpoint,
            )
        )
        n = notify_app(
            infra.settings(NotifySettings, smtp_port=free_port(), otel_endpoint=collector.endpoint)
        )
        async with running(n):
            rt = n.state.runtime
            await rt.bus.wait_ready(BROKER_PAUSE_S)
            await eventually(lambda: rt.consumer._tag is not None, BROKER_PAUSE_S)

            p = await world.citizen()
            d = await world.ready(p, client=sub)
            captcha = (await sub.post(f"{S}/captcha", headers=p["h"])).json()["captcha_id"]
            # As the gateway passes it on: the trace id and the gateway's own span id.
            trace_id, gateway_span = secrets.token_hex(16), secrets.token_hex(8)
            r = await sub.post(
                f"{S}/dossiers/{d['id']}/submit",
                headers={**p["h"], "traceparent": f"00-{trace_id}-{gateway_span}-01"},
                json={"captcha_id": captcha, "captcha_answer": "test-captcha"},
            )
            assert r.status_code == 200, r.text
            tracers = [sub.app.state.runtime.tracing, rt.tracing]

            def consumed():
                return [
                    s for s in collector.trace(trace_id) if s.service == "notify" and s.kind == "consumer"
                ]

            async def arrived() -> bool:
                for t in tracers:  # the batch processor would send them within 5 s: now
                    await asyncio.to_thread(t.flush)
                # Both ends: notify can finish its span before the relay's publish span ends (that waits
                # for the broker's confirm), so one flush may carry the consumer's span without the other.
                spans = collector.trace(trace_id)
                return bool(consumed()) and any(s.kind == "producer" for s in spans)

            await eventually(arrived, timeout=30, interval=0.3)

        spans = collector.trace(trace_id)
        by_id = {s.span_id: s for s in spans}
        (server,) = [s for s in spans if s.kind == "server"]
        assert server.service == "submission" and server.parent_id == gateway_span
        assert server.name == "POST /dossiers/{dossier_id}/submit"  # the route, as /metrics names it
        assert server.attributes["http.response.status_code"] == 200
        assert server.attributes["url.path"] == f"{S}/dossiers/{d['id']}/submit"

        (publish,) = [s for s in spans if s.kind == "producer" and s.name == "dossier.submitted.v1 publish"]
        assert publish.service == "submission" and publish.parent_id == server.span_id
        assert publish.attributes["messaging.destination.name"] == "dossier.submitted.v1"

        (process,) = [s for s in consumed() if s.name == "dossier.submitted.v1 process"]
        assert process.parent_id == publish.span_id
        assert process.attributes["messaging.message.id"] == publish.attributes["messaging.message.id"]
        assert process.start_ns >= publish.start_ns

        # The MongoDB commands of the request, under its span: names, never a command's document. (Notify's
        # handler writes with the batch's deferred inserts, sent when the batch commits, after its span.)
        queries = [s for s in spans if s.kind == "client" and s.attributes.get("db.system.name") == "mongodb"]
        assert {q.parent_id for q in queries} == {server.span_id}
        assert {"find", "commitTransaction"} <= {q.attributes["db.operation.name"] for q in queries}
        allowed = {"db.system.name", "db.namespace", "db.operation.name", "db.collection.name"}
        assert all(set(q.attributes) <= allowed for q in queries)

        # The attachments went to S3 under their upload's span (the operation, never the object's key).
        uploads = {
            s.span_id
            for s in collector.spans
            if s.kind == "server" and s.name == "POST /dossiers/{dossier_id}/attachments"
        }
        stored = [s for s in collector.spans if s.name.startswith("S3 ") and s.parent_id in uploads]
        assert stored and all(s.kind == "client" and s.attributes["rpc.service"] == "S3" for s in stored)
        assert {s.parent_id for s in stored} == uploads

        # Every span of the trace hangs from the gateway's: nothing else started a trace of its own.
        assert all(s.parent_id in by_id or s is server for s in spans)

        # The envelope in the outbox carries the context of the span that wrote it: the request's.
        settings = sub.app.state.runtime.settings
        mongo = AsyncMongoClient(settings.mongo_url)
        try:
            record = await mongo[settings.mongo_db].outbox.find_one(
                {"routing_key": "dossier.submitted.v1", "envelope.data.dossier_id": d["id"]}
            )
        finally:
            await mongo.close()
        assert record["envelope"]["traceparent"] == f"00-{trace_id}-{server.span_id}-01"


async def test_tracing_is_off_unless_an_endpoint_is_set(world):
    """The submission the other tests use runs without it: no span is made, no envelope carries one."""
    assert not os.environ.get("DVC_OTEL_ENDPOINT")
    rt = world.sub.app.state.runtime
    assert rt.tracing is None and rt.outbox.tracing is None and rt.consumer.tracing is None
    p = await world.citizen()
    filed = await world.submitted(p)
    mongo = AsyncMongoClient(rt.settings.mongo_url)
    try:
        record = await mongo[rt.settings.mongo_db].outbox.find_one(
            {"routing_key": "dossier.submitted.v1", "envelope.data.dossier_id": filed["id"]}
        )
    finally:
        await mongo.close()
    assert "traceparent" not in record["envelope"]
