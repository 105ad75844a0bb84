"""``devstack backup`` and ``devstack restore`` (``make backup``, ``make restore BACKUP=…``): every
service's database and every attachment object of a stack, to a dated folder (or an S3 prefix), and back.

Only the standard protocols: the MongoDB wire protocol (pymongo and bson) and the S3 API (botocore), so
the same code runs against the local stand-ins (secantusdb, the JuiceFS gateway) and genuine MongoDB and
MinIO. docs/operations.md, "Backup and restore", explains the drill and what production uses instead.

A backup folder::

    manifest.json                         written last: a folder without it is not a backup
    mongodb/<service>/<db>/<coll>.bson.gz the collection's documents, BSON one after another, gzip
    objects/<sha256[:2]>/<sha256>         each object's bytes once, named by their SHA-256

Consistency:

- **One snapshot a service.** Every collection of a service is read inside one multi-document transaction
  with read concern ``snapshot``: one point in time, so a state change and the outbox record written in
  its transaction are both in the backup or neither. (Genuine MongoDB caps a transaction at
  ``transactionLifetimeLimitSeconds``, 60 s by default; the stand-in reaps only idle ones. A database too
  big to read in that time is the operator's backup's job: docs/operations.md.)
- **Producers before consumers.** The services' snapshots are pinned one after another, within
  milliseconds, in :data:`ORDER` (a producer of an event before its consumers), then read side by side.
  An event a consumer handled is therefore either in its producer's snapshot too (sent or pending), or
  produced in the milliseconds between two pins. On restore, outbox records still pending are published
  again (the relay does that by itself) and so are those sent in the last ``resend_minutes`` before the
  snapshot (events that may have been in a queue, not yet handled, when the backup was taken): every
  consumer's ``processed_events`` came from a later snapshot than its producer's, so an event it had
  handled is recognised and has no second effect, and one it had not is handled now.
- **Objects after the databases.** Attachments are write-once, so every object a restored database
  names was written before its snapshot and is in the backup; objects written after it are copied too
  (unreferenced, harmless).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bson import decode_file_iter, json_util
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import IndexModel, MongoClient
from pymongo.client_session import ClientSession
from pymongo.read_concern import ReadConcern
from pymongo.read_preferences import ReadPreference
from pymongo.write_concern import WriteConcern

from .config import S3_ACCESS_KEY, S3_SECRET_KEY, SERVICE_NAMES, StackConfig

FORMAT = 1
MANIFEST = "manifest.json"
# Producers before their consumers (auth's users and catalog's procedures feed submission; submission's
# dossiers feed payment, notify and reporting; payment's payments feed submission and reporting: that one
# cycle is closed by pinning every snapshot within milliseconds and by resending on restore). A service
# not named here (a new one) comes after these: a newcomer is usually a consumer (audit, for example).
ORDER = ("auth", "catalog", "submission", "payment", "notify", "reporting")
RAW = CodecOptions(document_class=RawBSONDocument)
BATCH = 1000
RESEND_MINUTES = 15.0

Say = Callable[[str], None]


def _quiet(_msg: str) -> None:
    pass


def service_order(names: tuple[str, ...] = SERVICE_NAMES) -> list[str]:
    return [n for n in ORDER if n in names] + [n for n in names if n not in ORDER]


def utc_stamp(at: datetime | None = None) -> str:
    return (at or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


def s3_client(endpoint: str, access_key: str = S3_ACCESS_KEY, secret_key: str = S3_SECRET_KEY) -> Any:
    import botocore.config
    import botocore.session

    return botocore.session.get_session().create_client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name="us-east-1",
        config=botocore.config.Config(max_pool_connections=16, retries={"max_attempts": 5}),
    )


@dataclass
class Target:
    """Where the stack's data is: each service's MongoDB server and database, the S3 bucket."""

    mongo: dict[str, tuple[str, str]]  # service → (url, database)
    s3_endpoint: str
    bucket: str
    s3_access_key: str = S3_ACCESS_KEY
    s3_secret_key: str = S3_SECRET_KEY
    # The consuming services' queues (main and retry tiers), emptied on restore: what they hold was
    # published after the backup (or is resent from the outboxes).
    amqp_url: str = ""
    queues: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, cfg: StackConfig) -> Target:
        from dvckit.consumer import retry_queue_name
        from dvckit.settings import ServiceSettings

        delays = ServiceSettings.model_fields["retry_delays"].default
        queues = []
        for name in SERVICE_NAMES:
            main = f"{cfg.namespace}{name}.events"
            queues += [main, *(retry_queue_name(main, d) for d in delays)]
        return cls(
            mongo={name: (cfg.mongo_url_for(name), cfg.db_name(name)) for name in SERVICE_NAMES},
            s3_endpoint=cfg.s3_endpoint,
            bucket=cfg.bucket,
            amqp_url=cfg.amqp_url,
            queues=queues,
        )

    def s3(self) -> Any:
        return s3_client(self.s3_endpoint, self.s3_access_key, self.s3_secret_key)


# -- backup ------------------------------------------------------------------------------------------
@dataclass
class _Pinned:
    service: str
    client: MongoClient[Any]
    db: str
    session: ClientSession
    collections: list[dict[str, Any]]
    at: datetime
    operation_time: Any = None


def _collections(client: MongoClient[Any], db: str) -> list[dict[str, Any]]:
    """The database's collections with their options and indexes (listed before the snapshot:
    listCollections and listIndexes are not allowed inside a transaction)."""
    out = []
    for info in client[db].list_collections():
        name = info["name"]
        if info.get("type", "collection") != "collection" or name.startswith("system."):
            continue
        indexes = [_xjson(ix) for ix in client[db][name].list_indexes()]
        out.append({"name": name, "options": _xjson(info.get("options") or {}), "indexes": indexes})
    return sorted(out, key=lambda c: c["name"])


def _xjson(value: Any) -> Any:
    """``value`` as MongoDB Extended JSON (canonical: types kept), for the manifest."""
    return json.loads(json_util.dumps(value, json_options=json_util.CANONICAL_JSON_OPTIONS))


def _unxjson(value: Any) -> Any:
    return json_util.loads(json.dumps(value))


def _pin(service: str, url: str, db: str) -> _Pinned:
    client: MongoClient[Any] = MongoClient(url, serverSelectionTimeoutMS=10_000)
    colls = _collections(client, db)
    session = client.start_session(causal_consistency=False)
    session.start_transaction(read_concern=ReadConcern("snapshot"), read_preference=ReadPreference.PRIMARY)
    # The first read of a transaction fixes its snapshot: every collection read later sees this moment.
    if colls:
        client[db][colls[0]["name"]].find_one({}, session=session)
    return _Pinned(service, client, db, session, colls, datetime.now(UTC), session.operation_time)


def _dump(p: _Pinned, folder: Path) -> dict[str, Any]:
    out = folder / "mongodb" / p.service / p.db
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    size = 0
    try:
        for c in p.collections:
            coll = p.client[p.db].get_collection(c["name"], codec_options=RAW)
            n = 0
            path = out / f"{c['name']}.bson.gz"
            with gzip.open(path, "wb", compresslevel=3) as f:
                for doc in coll.find({}, session=p.session, batch_size=2000):
                    f.write(doc.raw)
                    n += 1
            counts[c["name"]] = n
            size += path.stat().st_size
        p.session.abort_transaction()  # read only: nothing to commit
    finally:
        p.session.end_session()
        p.client.close()
    return {
        "databases": {
            p.db: {
                "collections": {
                    c["name"]: {
                        "documents": counts[c["name"]],
                        "options": c["options"],
                        "indexes": c["indexes"],
                    }
                    for c in p.collections
                }
            }
        },
        "snapshot_at": p.at.isoformat(),
        "operation_time": [p.operation_time.time, p.operation_time.inc] if p.operation_time else None,
        "documents": sum(counts.values()),
        "bytes": size,
    }


def _copy_object(s3: Any, bucket: str, key: str, folder: Path) -> dict[str, Any]:
    r = s3.get_object(Bucket=bucket, Key=key)
    h = hashlib.sha256()
    tmp = folder / "objects" / f".part-{os.getpid()}-{hashlib.md5(key.encode()).hexdigest()}"  # noqa: S324
    size = 0
    with tmp.open("wb") as f:
        for chunk in r["Body"].iter_chunks(1 << 20):
            h.update(chunk)
            f.write(chunk)
            size += len(chunk)
    digest = h.hexdigest()
    dest = folder / "objects" / digest[:2] / digest
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, dest)
    return {
        "key": key,
        "size": size,
        "sha256": digest,
        "etag": r.get("ETag", "").strip('"'),
        "content_type": r.get("ContentType") or "application/octet-stream",
        "metadata": r.get("Metadata") or {},
        "last_modified": r["LastModified"].isoformat() if r.get("LastModified") else None,
    }


def _list_objects(s3: Any, bucket: str) -> Iterator[dict[str, Any]]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        yield from page.get("Contents", [])


def _bucket_exists(s3: Any, bucket: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
        return True
    except ClientError:
        return False


def _objects(target: Target, folder: Path, workers: int = 8) -> dict[str, Any]:
    from botocore.exceptions import ClientError

    s3 = target.s3()
    (folder / "objects").mkdir(parents=True, exist_ok=True)
    if not _bucket_exists(s3, target.bucket):
        return {target.bucket: {"objects": [], "count": 0, "bytes": 0, "missing": True}}
    keys = [o["Key"] for o in _list_objects(s3, target.bucket)]

    def one(key: str) -> dict[str, Any] | None:
        try:
            return _copy_object(s3, target.bucket, key, folder)
        except ClientError as e:  # deleted since it was listed (a draft's file removed): not in the backup
            if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise

    with ThreadPoolExecutor(workers) as pool:
        got = [o for o in pool.map(one, keys) if o is not None]
    got.sort(key=lambda o: o["key"])
    return {target.bucket: {"objects": got, "count": len(got), "bytes": sum(o["size"] for o in got)}}


def _tree_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def backup(target: Target, dest: str, *, say: Say = _quiet) -> dict[str, Any]:
    """Write a backup of ``target`` to ``dest`` (a folder, or ``s3://bucket/prefix`` on the stack's S3
    endpoint): returns the manifest (with ``location``)."""
    t0 = time.monotonic()
    started = datetime.now(UTC)
    remote = dest.startswith("s3://")
    folder = Path(tempfile.mkdtemp(prefix="dvc-backup-")) if remote else Path(dest)
    if (folder / MANIFEST).exists():
        raise SystemExit(f"{dest} holds a backup already")
    folder.mkdir(parents=True, exist_ok=True)
    try:
        # Pin every service's snapshot, producers first, within milliseconds of each other; then read.
        pinned = [_pin(name, *target.mongo[name]) for name in service_order(tuple(target.mongo))]
        say("snapshots pinned: " + ", ".join(p.service for p in pinned))
        with ThreadPoolExecutor(len(pinned)) as pool:
            dumped = dict(
                zip([p.service for p in pinned], pool.map(lambda p: _dump(p, folder), pinned), strict=True)
            )
        t_db = time.monotonic() - t0
        say(f"databases: {sum(d['documents'] for d in dumped.values())} documents in {t_db:.1f}s")
        objects = _objects(target, folder)
        t_obj = time.monotonic() - t0 - t_db
        say(f"objects: {sum(b['count'] for b in objects.values())} in {t_obj:.1f}s")
        manifest = {
            "format": FORMAT,
            "created_at": started.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "order": [p.service for p in pinned],
            "services": dumped,
            "buckets": objects,
            "seconds": {"databases": round(t_db, 2), "objects": round(t_obj, 2)},
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False, default=str))
        manifest["bytes"] = _tree_size(folder)
        manifest["location"] = dest
        if remote:
            _upload_tree(target, folder, dest)
        manifest["seconds"]["total"] = round(time.monotonic() - t0, 2)
        return manifest
    finally:
        if remote:
            shutil.rmtree(folder, ignore_errors=True)


def _split_s3(url: str) -> tuple[str, str]:
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    return bucket, prefix.strip("/")


def _upload_tree(target: Target, folder: Path, url: str) -> None:
    s3 = target.s3()
    bucket, prefix = _split_s3(url)
    if not _bucket_exists(s3, bucket):
        s3.create_bucket(Bucket=bucket)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)

    def put(p: Path) -> None:
        with p.open("rb") as f:
            s3.put_object(
                Bucket=bucket, Key=f"{prefix}/{p.relative_to(folder).as_posix()}".lstrip("/"), Body=f
            )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, files))
    put(folder / MANIFEST)  # last: a prefix without a manifest is not a backup


def _download_tree(target: Target, url: str, folder: Path) -> None:
    s3 = target.s3()
    bucket, prefix = _split_s3(url)
    keys = [o["Key"] for o in _list_objects_prefix(s3, bucket, prefix)]
    if f"{prefix}/{MANIFEST}".lstrip("/") not in keys:
        raise SystemExit(f"{url}: no {MANIFEST}, not a backup")

    def get(key: str) -> None:
        dest = folder / key[len(prefix) :].lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        with dest.open("wb") as f:
            for chunk in s3.get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(1 << 20):
                f.write(chunk)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(get, keys))


def _list_objects_prefix(s3: Any, bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=f"{prefix}/" if prefix else ""
    ):
        yield from page.get("Contents", [])


# -- restore -----------------------------------------------------------------------------------------
def _index_model(saved: dict[str, Any]) -> IndexModel:
    spec = dict(_unxjson(saved))
    keys = list(spec.pop("key").items())
    if any(k == "_fts" for k, _ in keys):  # a text index lists its fields under weights, not key
        at = [k for k, _ in keys].index("_fts")
        text = [(f, "text") for f in spec.get("weights", {})]
        keys = [*keys[:at], *text, *[(k, d) for k, d in keys[at:] if k not in ("_fts", "_ftsx")]]
    spec.pop("v", None)
    spec.pop("ns", None)
    return IndexModel(keys, **spec)


def _restore_service(
    service: str, url: str, db_name: str, folder: Path, entry: dict[str, Any], resend: timedelta
) -> dict[str, Any]:
    client: MongoClient[Any] = MongoClient(url, serverSelectionTimeoutMS=10_000)
    restored: dict[str, int] = {}
    try:
        for db_saved, db_entry in entry["databases"].items():
            db = client.get_database(db_name, codec_options=RAW, write_concern=WriteConcern(w=1))
            client.drop_database(db_name)
            for name, c in db_entry["collections"].items():
                options = {k: v for k, v in _unxjson(c["options"]).items() if k not in ("uuid",)}
                try:
                    db.create_collection(name, **options)
                except Exception:
                    db.create_collection(name)
                models = [_index_model(ix) for ix in c["indexes"] if ix.get("name") != "_id_"]
                if models:
                    db[name].create_indexes(models)
                n = 0
                batch: list[RawBSONDocument] = []
                path = folder / "mongodb" / service / db_saved / f"{name}.bson.gz"
                with gzip.open(path, "rb") as f:
                    for doc in decode_file_iter(f, RAW):
                        batch.append(doc)
                        if len(batch) >= BATCH:
                            db[name].insert_many(batch, ordered=False)
                            n += len(batch)
                            batch = []
                if batch:
                    db[name].insert_many(batch, ordered=False)
                    n += len(batch)
                if n != c["documents"]:
                    raise RuntimeError(
                        f"{service}.{name}: restored {n} documents, the backup has {c['documents']}"
                    )
                restored[name] = n
            if "outbox" in db_entry["collections"]:
                snapshot_at = datetime.fromisoformat(entry["snapshot_at"])
                now = datetime.now(UTC)
                r = client[db_name]["outbox"].update_many(
                    {"status": "sent", "sent_at": {"$gte": snapshot_at - resend}},
                    {"$set": {"status": "pending", "due_at": now, "attempts": 0}, "$unset": {"sent_at": ""}},
                )
                restored["outbox resent"] = r.modified_count
    finally:
        client.close()
    return restored


def _restore_objects(
    target: Target, folder: Path, buckets: dict[str, Any], workers: int = 8
) -> dict[str, int]:
    s3 = target.s3()
    out = {"uploaded": 0, "kept": 0, "deleted": 0}
    wanted: dict[str, dict[str, Any]] = {}
    for b in buckets.values():  # the stack's bucket now (a namespace may differ from the backed-up one)
        for o in b["objects"]:
            wanted[o["key"]] = o
    if not _bucket_exists(s3, target.bucket):
        s3.create_bucket(Bucket=target.bucket)
    present = {o["Key"]: o for o in _list_objects(s3, target.bucket)}
    for key in sorted(set(present) - set(wanted)):
        s3.delete_object(Bucket=target.bucket, Key=key)
        out["deleted"] += 1

    def one(o: dict[str, Any]) -> str:
        have = present.get(o["key"])
        if have and have["Size"] == o["size"] and o["etag"] and have.get("ETag", "").strip('"') == o["etag"]:
            return "kept"
        path = folder / "objects" / o["sha256"][:2] / o["sha256"]
        h = hashlib.sha256()
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        if h.hexdigest() != o["sha256"]:
            raise RuntimeError(f"object {o['key']}: the backup's copy is damaged (SHA-256 differs)")
        with path.open("rb") as f:
            s3.put_object(
                Bucket=target.bucket,
                Key=o["key"],
                Body=f,
                ContentType=o["content_type"],
                Metadata=o["metadata"],
            )
        return "uploaded"

    with ThreadPoolExecutor(workers) as pool:
        for how in pool.map(one, wanted.values()):
            out[how] += 1
    return out


def _purge_queues(target: Target) -> int:
    """Empty the consuming services' queues (not their parking lots, which an operator empties or
    replays): what they hold was published after the backup, or is resent from the outboxes."""
    import asyncio

    import aio_pika
    from aiormq.exceptions import ChannelNotFoundEntity

    async def run() -> int:
        purged = 0
        conn = await aio_pika.connect(target.amqp_url, timeout=30)
        async with conn:
            for name in target.queues:
                ch = await conn.channel()
                try:
                    q = await ch.declare_queue(name, passive=True)
                    r = await q.purge()
                    purged += r.message_count
                except ChannelNotFoundEntity:
                    pass  # never declared here
                finally:
                    if not ch.is_closed:
                        await ch.close()
        return purged

    return asyncio.run(run())


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.exists():
        raise SystemExit(f"{folder}: no {MANIFEST}, not a (complete) backup")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise SystemExit(f"{folder}: backup format {manifest.get('format')!r}, this code reads {FORMAT}")
    return manifest


def restore(
    target: Target, source: str, *, resend_minutes: float = RESEND_MINUTES, say: Say = _quiet
) -> dict[str, Any]:
    """Replace ``target``'s databases, objects (and empty its queues) with the backup at ``source``.
    The services must be stopped (``devstack restore`` stops and starts them)."""
    t0 = time.monotonic()
    remote = source.startswith("s3://")
    folder = Path(tempfile.mkdtemp(prefix="dvc-restore-")) if remote else Path(source)
    try:
        if remote:
            _download_tree(target, source, folder)
        manifest = read_manifest(folder)
        unknown = set(manifest["services"]) - set(target.mongo)
        if unknown:
            raise SystemExit(f"the backup has services this stack has not: {sorted(unknown)}")
        resend = timedelta(minutes=resend_minutes)
        order = [s for s in manifest["order"] if s in manifest["services"]]
        with ThreadPoolExecutor(len(order)) as pool:
            done = dict(
                zip(
                    order,
                    pool.map(
                        lambda s: _restore_service(
                            s, *target.mongo[s], folder, manifest["services"][s], resend
                        ),
                        order,
                    ),
                    strict=True,
                )
            )
        t_db = time.monotonic() - t0
        say(
            f"databases restored in {t_db:.1f}s: "
            + ", ".join(
                f"{s} {sum(v for k, v in d.items() if k != 'outbox resent')}" for s, d in done.items()
            )
        )
        resent = {s: d["outbox resent"] for s, d in done.items() if d.get("outbox resent")}
        say(
            "outbox records sent in the last "
            f"{resend_minutes:g} minutes before the backup, published again: "
            + (", ".join(f"{s} {n}" for s, n in resent.items()) or "none")
        )
        objects = _restore_objects(target, folder, manifest["buckets"])
        t_obj = time.monotonic() - t0 - t_db
        say(f"objects restored in {t_obj:.1f}s: {objects}")
        purged = _purge_queues(target) if target.amqp_url else 0
        if purged:
            say(f"emptied the consumers' queues of {purged} messages published after the backup")
        return {
            "services": done,
            "objects": objects,
            "purged_messages": purged,
            "seconds": {
                "databases": round(t_db, 2),
                "objects": round(t_obj, 2),
                "total": round(time.monotonic() - t0, 2),
            },
        }
    finally:
        if remote:
            shutil.rmtree(folder, ignore_errors=True)


def default_destination(cfg: StackConfig) -> str:
    return str(cfg.root / "backups" / utc_stamp())


def main(cfg: StackConfig, stack: Any, args: Any) -> int:
    """``devstack backup`` and ``devstack restore`` on the stack ``cfg`` describes (``make up``'s)."""
    from .infra import say

    target = Target.of(cfg)
    if args.action == "backup":
        dest = args.to or default_destination(cfg)
        if not dest.startswith("s3://"):
            dest = str(Path(dest).resolve())
        manifest = backup(target, dest, say=say)
        say(
            f"backup: {sum(s['documents'] for s in manifest['services'].values())} documents, "
            f"{sum(b['count'] for b in manifest['buckets'].values())} objects, "
            f"{manifest['bytes'] / 1e6:.1f} MB in {manifest['seconds']['total']:.1f}s"
        )
        print(dest)
        return 0
    if not args.path:
        say("restore: which backup? `make restore BACKUP=backups/<time>` (a folder or s3://bucket/prefix)")
        return 2
    source = args.path if args.path.startswith("s3://") else str(Path(args.path).resolve())
    if not source.startswith("s3://"):
        read_manifest(Path(source))  # refuse before stopping anything
    stopped = stack.down(with_infra=False)
    say("stopped " + (", ".join(stopped) if stopped else "nothing (no service of ours was running)"))
    stack.up_infra()
    resend = RESEND_MINUTES if args.resend_minutes is None else args.resend_minutes
    done = restore(target, source, resend_minutes=resend, say=say)
    say(f"restored in {done['seconds']['total']:.1f}s; starting the services")
    try:
        stack.up(with_infra=False)
    except (RuntimeError, TimeoutError) as e:
        say(f"failed to start: {e}")
        return 1
    say(f"restored from {source}: {cfg.gateway_url}/")
    return 0
