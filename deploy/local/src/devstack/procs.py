"""Background processes with PID files: start detached, check, stop exactly what was started.

A PID file records the PID and the process's start time (``/proc/<pid>/stat``); a process counts as
ours only while that PID still has that start time, so a recycled PID is never killed by ``down``.
(The command line is no proof: nginx rewrites its own.)
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Proc:
    name: str
    run_dir: Path
    log_dir: Path

    @property
    def pid_file(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def _record(self) -> dict[str, object] | None:
        try:
            return json.loads(self.pid_file.read_text())
        except (OSError, ValueError):
            return None

    def pid(self) -> int | None:
        """The PID if the recorded process is still the one we started."""
        rec = self._record()
        if not rec:
            return None
        pid = int(rec["pid"])  # type: ignore[arg-type]
        stat = _stat(pid)
        if stat is None or stat[1] != rec.get("start"):
            return None
        # A zombie (exited child of this very process) is not running.
        return None if stat[0] == "Z" else pid

    def running(self) -> bool:
        return self.pid() is not None

    def start(
        self, cmd: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> int:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        full_env = {**os.environ, **(env or {})}
        with open(self.log_file, "ab") as log:
            p = subprocess.Popen(
                list(cmd),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=full_env,
                cwd=cwd,
                start_new_session=True,  # survives the terminal; its own process group for `down`
            )
        stat = _stat(p.pid)
        self.pid_file.write_text(
            json.dumps({"pid": p.pid, "start": stat[1] if stat else None, "cmd": list(cmd)})
        )
        return p.pid

    def adopt(self, pid: int) -> None:
        """Record a process started by someone else on our behalf (a daemon that forked)."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        stat = _stat(pid)
        if stat:
            self.pid_file.write_text(json.dumps({"pid": pid, "start": stat[1], "cmd": [], "group": False}))

    def stop(self, timeout: float = 15.0) -> bool:
        """SIGTERM the process group, then SIGKILL after ``timeout``. True if something was stopped."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        kill = os.killpg if (self._record() or {}).get("group", True) else os.kill
        try:
            kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.pid() is not None:
            _reap(pid)
            time.sleep(0.05)
        if self.pid() is not None:
            try:
                kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _reap(pid)
        self.pid_file.unlink(missing_ok=True)
        return True


def _stat(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks since boot) of a process, or None if it does not exist."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], fields[19]


def is_running(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting to be reaped."""
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def port_open(host: str, port: int, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(
    what: str, check: Callable[[], bool], timeout: float, proc: Proc | None = None, interval: float = 0.1
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if proc is not None and not proc.running():
            tail = ""
            try:
                tail = "\n".join(proc.log_file.read_text(errors="replace").splitlines()[-15:])
            except OSError:
                pass
            raise RuntimeError(f"{what} exited during start-up; last lines of {proc.log_file}:\n{tail}")
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready after {timeout:.0f}s")
