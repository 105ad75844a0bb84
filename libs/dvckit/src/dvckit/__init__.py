"""dvckit: the plumbing every DVC service shares, written once.

Modules: ``settings`` (pydantic-settings base), ``logs`` (JSON logs), ``errors`` (problem+json),
``http`` (app factory, request ids, metrics), ``health`` (/healthz, /readyz), ``mongo`` (AsyncMongoClient,
indexes, transactions), ``events`` (envelope and bus over aio-pika), ``outbox`` (transactional outbox and
relay), ``consumer`` (idempotent consumer, retry tiers, parking lot), ``parking`` (operator command),
``runtime`` (wires them for a service).
"""
