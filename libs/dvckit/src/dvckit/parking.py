"""Operator command for parking lots: ``dvc-parking list|replay <service>``.

``list`` shows what is parked (event id, type, error) without taking it; ``replay`` moves messages back to
the service's queue once the cause is fixed. Connection settings come from the usual ``DVC_*`` names.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from .consumer import ERROR_HEADER, parking_queue_name, replay_parking
from .events import EventBus
from .settings import ServiceSettings


async def _list(bus: EventBus, queue: str, limit: int) -> int:
    assert bus.connection is not None
    channel = await bus.connection.channel()
    parking = await channel.declare_queue(parking_queue_name(queue), passive=True)
    seen = 0
    # Peek by taking and rejecting with requeue; the channel closes before any ack.
    while seen < limit:
        message = await parking.get(no_ack=False, fail=False, timeout=2)
        if message is None:
            break
        error = (message.headers or {}).get(ERROR_HEADER, "")
        print(f"{message.message_id}\t{message.type}\t{error}")
        seen += 1
    await channel.close()  # unacked messages go back to the queue, in order
    return seen


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="dvc-parking", description=__doc__)
    p.add_argument("action", choices=["list", "replay"])
    p.add_argument("service", help="consuming service, e.g. notify")
    p.add_argument("--limit", type=int, default=100)
    args = p.parse_args(argv)
    settings = ServiceSettings()
    queue = f"{settings.queue_prefix}{args.service}.events"

    async def run() -> int:
        bus = EventBus(settings.amqp_url.get_secret_value(), settings.exchange, name="dvc-parking")
        await bus.connect(retry_forever=False)
        try:
            if args.action == "list":
                n = await _list(bus, queue, args.limit)
                print(f"{n} parked message(s) shown", file=sys.stderr)
            else:
                n = await replay_parking(bus, queue, limit=args.limit)
                print(f"{n} message(s) replayed to {queue}", file=sys.stderr)
            return 0
        finally:
            await bus.close()

    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
