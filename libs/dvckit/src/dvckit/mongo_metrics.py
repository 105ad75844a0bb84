"""The MongoDB commands a process sends, counted by database and command name: a pymongo command
listener the client of :class:`dvckit.runtime.Runtime` is built with, exposed on every service's
``/metrics`` as ``mongodb_commands_total{database,command}``.

One counter increment per command started (``find``, ``getMore``, ``insert``, ``commitTransaction``…;
a transaction's commit and abort are counted under ``admin``). The driver's own monitoring (``hello``
heartbeats on their own connections) is not a command event and is not counted. Compare with the
server's ``serverStatus.opcounters``, which count the same commands arriving from every client.
"""

from __future__ import annotations

from prometheus_client import Counter
from pymongo import monitoring

commands = Counter("mongodb_commands_total", "MongoDB commands sent by this process", ["database", "command"])


class CommandCounter(monitoring.CommandListener):
    """Counts each command when it starts; does nothing on success or failure."""

    def __init__(self) -> None:
        # The counter's child per label pair, so a command costs a dict lookup and an increment.
        self._children: dict[tuple[str, str], Counter] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        key = (event.database_name, event.command_name)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = commands.labels(*key)
        child.inc()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


# One listener for every client of the process (the counter is the process's anyway).
LISTENER = CommandCounter()
