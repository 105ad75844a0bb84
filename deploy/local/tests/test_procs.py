"""PID files: `down` stops exactly what `up` started, never a process that merely reuses a PID."""

from __future__ import annotations

import json
import sys

from devstack.procs import Proc, is_running


def test_start_and_stop_by_pid(tmp_path):
    proc = Proc("sleeper", tmp_path / "run", tmp_path / "log")
    pid = proc.start([sys.executable, "-c", "import time; print('hi', flush=True); time.sleep(60)"])
    assert proc.running() and proc.pid() == pid
    assert proc.stop(timeout=5) is True
    assert not is_running(pid)
    assert not proc.pid_file.exists()
    assert proc.stop() is False  # nothing of ours left to stop


def test_a_recycled_pid_is_not_ours(tmp_path):
    proc = Proc("other", tmp_path / "run", tmp_path / "log")
    pid = proc.start([sys.executable, "-c", "import time; time.sleep(60)"])
    record = json.loads(proc.pid_file.read_text())
    # Same PID, different start time: what a new process with a recycled PID looks like.
    proc.pid_file.write_text(json.dumps({**record, "start": "1"}))
    try:
        assert proc.pid() is None
        assert proc.stop() is False
        assert is_running(pid)  # untouched
    finally:
        proc.pid_file.write_text(json.dumps(record))
        proc.stop(timeout=5)
    assert not is_running(pid)
