"""Transactions against a MongoDB server that goes away and comes back (a private one, stopped here)."""

from __future__ import annotations

import asyncio
import time

import pytest
from pymongo.errors import ConnectionFailure

from devstack.config import StackConfig
from devstack.infra import Mongo
from devstack.testing import free_port
from dvckit import mongo


@pytest.fixture
def private_mongo(tmp_path):
    server = Mongo(StackConfig(data_dir=tmp_path, mongo_port=free_port()))
    server.ensure()
    try:
        yield server
    finally:
        server.proc.stop()


async def test_transaction_fails_fast_while_the_server_is_down_and_works_once_it_is_back(private_mongo):
    client = mongo.connect(private_mongo.url, appname="test", timeout_ms=1000)
    db = client["txn"]
    try:
        await mongo.ensure_schema(db, {"things": []})
        await mongo.transaction(client, lambda s: db.things.insert_one({"n": 1}, session=s))

        await asyncio.to_thread(private_mongo.proc.stop)
        started = time.monotonic()
        with pytest.raises(ConnectionFailure):
            await mongo.transaction(client, lambda s: db.things.insert_one({"n": 2}, session=s))
        # pymongo's with_transaction would keep retrying for 120 s: a request would hang that long.
        assert time.monotonic() - started < mongo.UNREACHABLE_RETRY_SECONDS + 10

        await asyncio.to_thread(private_mongo.ensure)
        # The pool's sockets died with the server: the transaction is retried on a new one.
        await mongo.transaction(client, lambda s: db.things.insert_one({"n": 3}, session=s))
        assert sorted([d["n"] async for d in db.things.find()]) == [1, 3]
    finally:
        await client.close()
