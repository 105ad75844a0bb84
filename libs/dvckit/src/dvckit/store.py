"""What a service's repositories (its ``adapters/``, the only code that calls the MongoDB driver) tell
the layers above them, in words free of the driver."""

from __future__ import annotations


class AlreadyExists(Exception):
    """A unique key refused the write: an account with this phone, a procedure with this code. Raised by
    a repository where the driver raised its own error (``dvckit.mongo.unique_key``)."""
