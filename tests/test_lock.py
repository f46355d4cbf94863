import os
import signal
import subprocess
import sys
import time

import pytest

from earnings_brief import lock

HOLD = """
import sys, time
from earnings_brief import lock
with lock.acquire(sys.argv[1]):
    print("held", flush=True)
    time.sleep(60)
"""


def hold_in_other_process(path):
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_holder_is_written_and_cleared(tmp_path):
    path = tmp_path / "brief" / ".lock"
    with lock.acquire(path):
        info = lock.holder(path)
        assert info["pid"] == os.getpid() and info["host"] and info["started"]
    assert lock.holder(path) == {}


def test_second_run_waits_then_exits_with_the_lock_code(tmp_path):
    path = tmp_path / ".lock"
    proc = hold_in_other_process(path)
    waited = []
    try:
        with (
            pytest.raises(lock.LockHeld) as caught,
            lock.acquire(path, timeout=0.5, on_wait=waited.append),
        ):
            pass
    finally:
        proc.kill()
        proc.wait()
    assert caught.value.exit_code == 4
    assert f"pid {proc.pid}" in caught.value.one_line()
    assert waited and waited[0]["pid"] == proc.pid


def test_lock_of_a_killed_run_is_recovered(tmp_path):
    path = tmp_path / ".lock"
    proc = hold_in_other_process(path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stale = []
    with lock.acquire(path, timeout=5, on_stale=stale.append):
        assert lock.holder(path)["pid"] == os.getpid()
    assert stale[0]["pid"] == proc.pid
    assert not lock.pid_alive(proc.pid)


def test_waiting_run_proceeds_when_the_holder_finishes(tmp_path):
    path = tmp_path / ".lock"
    proc = hold_in_other_process(path)
    subprocess.Popen(["sh", "-c", f"sleep 0.5; kill {proc.pid}"])
    with lock.acquire(path, timeout=30):
        assert lock.holder(path)["pid"] == os.getpid()
    proc.wait()


def test_different_briefs_lock_independently(tmp_path):
    proc = hold_in_other_process(tmp_path / "a" / ".lock")
    try:
        with lock.acquire(tmp_path / "b" / ".lock", timeout=0):
            assert lock.holder(tmp_path / "b" / ".lock")["pid"] == os.getpid()
    finally:
        proc.kill()
        proc.wait()


def test_forked_child_does_not_keep_the_lock(tmp_path):
    path = tmp_path / ".lock"
    with lock.acquire(path):
        child = os.fork()
        if child == 0:
            lock.close_inherited()
            time.sleep(3)
            os._exit(0)
    # The parent released: another process can take it although the child still runs.
    code = f"from earnings_brief import lock\nwith lock.acquire({str(path)!r}, timeout=0): pass"
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
    assert probe.returncode == 0, probe.stderr
