"""The local mail server of the development stack (aiosmtpd): accepts every message and saves it as an
``.eml`` file, so what the notify service sends can be read in development.

    python -m devstack.smtp --port 1025 --dir .data/mail
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class SaveToFolder:
    """aiosmtpd handler: one ``.eml`` file a message (the envelope's recipients in a header)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        head = f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n".encode()
        tmp = self.folder / (name + ".part")
        tmp.write_bytes(head + envelope.original_content)
        tmp.rename(self.folder / name)  # readers never see half a message
        return "250 Message accepted for delivery"


def serve(host: str, port: int, folder: Path) -> Controller:
    controller = Controller(SaveToFolder(folder), hostname=host, port=port)
    controller.start()
    return controller


def main() -> None:
    ap = argparse.ArgumentParser(prog="devstack.smtp", description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=1025)
    ap.add_argument("--dir", type=Path, required=True)
    args = ap.parse_args()
    controller = serve(args.host, args.port, args.dir)
    try:
        asyncio.run(asyncio.Event().wait())
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
